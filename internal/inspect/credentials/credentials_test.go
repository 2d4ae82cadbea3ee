package credentials

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
	"github.com/openwall/yescrypt-go"
	"golang.org/x/crypto/bcrypt"
)

func TestWordlist(t *testing.T) {
	w := Wordlist()
	if len(w) < 1000 {
		t.Errorf("len(Wordlist()) = %d, want at least 1000", len(w))
	}
	for _, must := range []string{"xc3511", "vizxv", "7ujMko0vizxv", "admin", "12345", "ubnt", "Zte521"} {
		found := false
		for _, x := range w {
			found = found || x == must
		}
		if !found {
			t.Errorf("Wordlist() lacks %q", must)
		}
	}
}

func TestHashSchemes(t *testing.T) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("admin"), 5)
	ys, err := yescrypt.Hash([]byte("admin"), []byte("$y$j9T$AAt9R641xPvCI9nXw1HHW/"))
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789ab")
	sum := sha512.Sum512(append([]byte("support"), salt...))
	m6 := "$6$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(sum[:])
	key, _ := pbkdf2.Key(sha512.New, "password", salt, 101, 64)
	m7 := "$7$101$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(key)
	cases := []struct {
		hash, scheme, password string
	}{
		{"aa7/b.JL0E826", "des-crypt", "root"},
		{"$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/", "md5-crypt", "admin"},
		{"$5$saltsalt$uDhmHKqqX/dN62g3oXLmm4Z2kcB6b7sTneuhytFHqf6", "sha256-crypt", "vizxv"},
		{"$6$s4lt1234$qQZn6WG5Okf8AYi2YL5/zWV8Ylxr8MP/wQBK0n7IETSoxyXqIfC4lArBmub1s.Yhk/l2JQe5I5Zv5yJZU8xbQ.", "sha512-crypt", "7ujMko0vizxv"},
		{"$apr1$xyzabcde$2TFCn.Vo93NRRHVb9Rd0h0", "apr1-md5", "password"},
		{string(bc), "bcrypt", "admin"},
		{string(ys), "yescrypt", "admin"},
		{"{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc=", "sha1", "admin"},
		{m6, "mosquitto-sha512", "support"},
		{m7, "mosquitto-pbkdf2", "password"},
	}
	words := Wordlist()
	for _, c := range cases {
		t.Run(c.scheme, func(t *testing.T) {
			s, ok := parseHash(c.hash)
			if !ok || s.name != c.scheme {
				t.Fatalf("parseHash(%q) = %q, %v; want %s", c.hash, s.name, ok, c.scheme)
			}
			if !s.check(c.password) || s.check(c.password+"x") {
				t.Errorf("check(%q) does not tell the password", c.password)
			}
			got, ok := tryWords(context.Background(), s, candidates("nobody", words))
			if !ok || got != c.password {
				t.Errorf("tryWords = %q, %v; want %q", got, ok, c.password)
			}
		})
	}
	for _, h := range []string{"*", "!", "x", "!!", "$6$rounds=10$x$y", "$y$Z", "$2a$99$abc", "garbage"} {
		if s, ok := parseHash(h); ok && s.tries > 0 && !locked(h) {
			t.Errorf("parseHash(%q) accepted as %s", h, s.name)
		}
	}
}

func TestAnalyse(t *testing.T) {
	strong := "$6$s4lt1234$Ihf89muVTo.OZBlqyjkMIrtaAWWTawpfxNnfmGwMxmtAb3/z5zLH5Kpgjdfo.nH59hWY2j8Yt.1rwEwIHqoyv1"
	files := inspecttest.Files{
		"rootfs/etc/passwd": inspecttest.Text("root:x:0:0:root:/root:/bin/ash\n" +
			"daemon:*:1:1:daemon:/var:/bin/false\n" +
			"backdoor:x:0:0::/:/bin/sh\n" +
			"guest::1000:1000::/home/guest:/bin/sh\n" +
			"ftp::55:55::/home/ftp:/bin/false\n" +
			"olduser:aa7/b.JL0E826:1001:1001::/:/bin/sh\n" +
			"alice:x:1002:1002::/home/alice:/bin/sh\n"),
		"rootfs/etc/shadow": inspecttest.Text("root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:18000:0:99999:7:::\n" +
			"daemon:*:0:0:99999:7:::\n" +
			"backdoor:" + strong + ":18000:0:99999:7:::\n" +
			"alice:" + strong + ":18000:0:99999:7:::\n"),
		"rootfs/www/.htpasswd":                inspecttest.Text("admin:$apr1$xyzabcde$2TFCn.Vo93NRRHVb9Rd0h0\n"),
		"rootfs/etc/httpd.conf":               inspecttest.Text("A:*\n/cgi-bin:admin:admin\n"),
		"rootfs/etc/config/wireless":          inspecttest.Text("config wifi-iface\n\toption ssid 'Home'\n\toption encryption 'psk2'\n\toption key 'supersecret99'\n"),
		"rootfs/usr/sbin/cloud.sh":            inspecttest.Text("#!/bin/sh\nPASSWORD=\"$1\"\nAPI_KEY=sk_live_51HxYz\ncurl ftp://upload:Upl0adPw@files.example.com/\n"),
		"rootfs/etc/app.json":                 inspecttest.Text(`{"user":"admin","password":"hunter2"}`),
		"rootfs/usr/share/doc/readme.txt":     inspecttest.Text("password=shouldnotmatch\n"),
		"rootfs/etc/mosquitto/mosquitto.conf": inspecttest.Text("password_file /etc/mosquitto/passwd\n"),
		"rootfs/etc/mosquitto/passwd":         inspecttest.Text("sensor:$6$MDEyMzQ1Njc4OWFi$" + mosq6("support") + "\n"),
		"rootfs/etc/placeholders.conf":        inspecttest.Text("password=${PASS}\npassword=\ntoken = %s\nkey: true\n"),
	}
	inspecttest.New().WithFiles(files).
		ExpectFindings(
			"credentials.default-password rootfs/etc/httpd.conf critical 5.1-1,5.1-2",
			"credentials.default-password rootfs/etc/mosquitto/passwd high 5.1-1,5.1-2",
			"credentials.default-password rootfs/etc/passwd high 5.1-1,5.1-2",
			"credentials.default-password rootfs/etc/shadow critical 5.1-1,5.1-2",
			"credentials.default-password rootfs/www/.htpasswd critical 5.1-1,5.1-2",
			"credentials.empty-password rootfs/etc/passwd critical 5.1-1",
			"credentials.hardcoded rootfs/etc/app.json high 5.1-1,5.4-3",
			"credentials.hardcoded rootfs/etc/config/wireless high 5.1-1,5.4-3",
			"credentials.hardcoded rootfs/usr/sbin/cloud.sh high 5.1-1,5.4-3",
			"credentials.hardcoded rootfs/usr/sbin/cloud.sh high 5.1-1,5.4-3",
			"credentials.hash-in-passwd rootfs/etc/passwd medium 5.4-1",
			"credentials.uid0-account rootfs/etc/shadow high 5.6-7",
			"credentials.weak-hash rootfs/etc/mosquitto/passwd medium 5.1-3,5.4-1",
			"credentials.weak-hash rootfs/etc/passwd medium 5.1-3,5.4-1",
			"credentials.weak-hash rootfs/etc/shadow medium 5.1-3,5.4-1",
			"credentials.weak-hash rootfs/www/.htpasswd medium 5.1-3,5.4-1",
		).
		ForEachFinding(func(t testing.TB, f check.Finding) {
			for _, secret := range []string{"hunter2", "supersecret99", "Upl0adPw", "l/LAqC8oJERu7Cmx6trtY/", "sk_live_51HxYz"} {
				if strings.Contains(f.Evidence.Text, secret) && !strings.HasPrefix(f.Evidence.Text, secret) {
					t.Errorf("%s evidence %q shows secret %q", f.Rule, f.Evidence.Text, secret)
				}
			}
			if f.Evidence.SHA256 == "" || f.Evidence.Line == 0 {
				t.Errorf("%s %s: evidence %+v lacks hash or line", f.Rule, f.Path, f.Evidence)
			}
		}).
		Test(t, New())
}

func mosq6(pw string) string {
	sum := sha512.Sum512(append([]byte(pw), []byte("0123456789ab")...))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestClean(t *testing.T) {
	strong := "$6$s4lt1234$Ihf89muVTo.OZBlqyjkMIrtaAWWTawpfxNnfmGwMxmtAb3/z5zLH5Kpgjdfo.nH59hWY2j8Yt.1rwEwIHqoyv1"
	files := inspecttest.Files{
		"etc/passwd":         inspecttest.Text("root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534::/:/bin/false\n"),
		"etc/shadow":         inspecttest.Text("root:" + strong + ":18000:0:99999:7:::\nnobody:*:0:0:99999:7:::\n"),
		"etc/config/system":  inspecttest.Text("config system\n\toption hostname 'OpenWrt'\n"),
		"usr/bin/setpass.sh": inspecttest.Text("#!/bin/sh\npassword=\"$(cat /dev/urandom | head -c 8)\"\necho \"root:$password\" | chpasswd\n"),
	}
	inspecttest.New().WithFiles(files).ExpectNoFindings().Test(t, New())
}
