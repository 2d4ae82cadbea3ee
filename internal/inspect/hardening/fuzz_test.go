package hardening

import (
	"os"
	"testing"
)

func FuzzInspect(f *testing.F) {
	for _, p := range []string{"/bin/true", "/usr/lib/x86_64-linux-gnu/libc.so.6"} {
		if b, err := os.ReadFile(p); err == nil && len(b) < 4<<20 {
			f.Add(b)
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Inspect(b)
	})
}
