package credentials

import "testing"

func TestDESCrypt(t *testing.T) {
	cases := []struct{ password, salt, want string }{
		{"password", "xO", "xOAFZqRz5RduI"},      // evaluation.md §3 test vector
		{"admin", "ab", "abOV.DfJmdnYw"},         // glibc crypt(3)
		{"12345678", "Zz", "ZzghNB6kZv6hQ"},      // glibc crypt(3)
		{"12345678extra", "Zz", "ZzghNB6kZv6hQ"}, // only 8 characters count
	}
	for _, c := range cases {
		if got := desCrypt(c.password, c.salt); got != c.want {
			t.Errorf("desCrypt(%q, %q) = %q, want %q", c.password, c.salt, got, c.want)
		}
	}
}
