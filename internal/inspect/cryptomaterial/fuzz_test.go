package cryptomaterial

import (
	"os"
	"testing"
)

func FuzzScanFile(f *testing.F) {
	for _, n := range []string{"weak.key", "weak.crt", "ec.key", "openssh_ed25519.key", "encrypted.key"} {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte("\x00\x00\x00\x07ssh-rsa"), true)
	a := New()
	f.Fuzz(func(t *testing.T, b []byte, der bool) {
		a.scanFile("f", b, "", der, der)
	})
}
