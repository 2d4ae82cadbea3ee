package credentials

import "testing"

func FuzzParseAccounts(f *testing.F) {
	f.Add("passwd", []byte("root:x:0:0:root:/root:/bin/sh\nguest::1:1::/:/bin/sh\n"))
	f.Add("shadow", []byte("root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:1:0:99999:7:::\n"))
	f.Add("httpd.conf", []byte("/cgi-bin:admin:admin\n"))
	f.Fuzz(func(t *testing.T, kind string, b []byte) {
		for _, ac := range parseAccounts(kind, "f", b) {
			New().accountFindings(ac)
		}
	})
}

func FuzzParseHash(f *testing.F) {
	for _, h := range []string{"aa7/b.JL0E826", "$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/", "$5$rounds=5000$x$y", "$7$101$MDEy$MDEy", "$6$MDEy$MDEy==", "$y$j9T$AAt9R641xPvCI9nXw1HHW/", "{SHA}x"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		s, ok := parseHash(h)
		if ok && s.tries >= 1000 { // only the cheap schemes, once
			tryWords(t.Context(), s, []string{"admin"})
		}
	})
}

func FuzzScanSecrets(f *testing.F) {
	f.Add([]byte("option key 'x1234'\npassword=\"abc\"\nftp://u:p@h\n"))
	f.Add([]byte("# admin_password=x\nADMIN_PASS=abcd\n<adminPwd>secret1</adminPwd>\nhttp_passwd=admin\n"))
	f.Add([]byte("{\"adminPassword\": \"abcdef\", \"token\": e.token}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fd := range append(scanSecrets("f", b), scanSecrets("f.js", b)...) {
			if fd.Evidence.Line < 1 {
				t.Fatalf("line %d", fd.Evidence.Line)
			}
		}
	})
}
