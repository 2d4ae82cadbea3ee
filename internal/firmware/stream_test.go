package firmware

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
)

func TestXZDict(t *testing.T) {
	b := xzc(t, bytes.Repeat([]byte("x"), 1000))
	d, ok := xzDict(b)
	if !ok || d != 8<<20 { // ulikunitz's writer uses an 8 MiB dictionary
		t.Errorf("xzDict() = %d, %v; want 8 MiB", d, ok)
	}
	// forge a 1.5 GiB dictionary and fix nothing else: it must be refused
	// before the reader allocates it
	forged := bytes.Clone(b)
	i := bytes.IndexByte(forged[12:], 0x21) + 12
	forged[i+2] = 39
	if _, _, err := unxz(forged, 1<<20); err == nil {
		t.Error("unxz accepted a 1.5 GiB dictionary")
	}
}

// TestUnxz covers both decoders behind unxz: xzdec for LZMA2 alone, the
// general decoder for BCJ filters, and the output limit on each.
func TestUnxz(t *testing.T) {
	data := bytes.Repeat([]byte("\x7fELF\x48\x89\xe5\xe8\x10\x20\x00\x00 firmware "), 5000)
	streams := map[string][]byte{"lzma2": xzc(t, data)}
	if _, err := exec.LookPath("xz"); err == nil {
		cmd := exec.Command("xz", "-c", "--x86", "--lzma2=preset=6")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		streams["bcj"] = out
	}
	for name, src := range streams {
		t.Run(name, func(t *testing.T) {
			trailing := append(bytes.Clone(src), 0, 0, 0, 0, 'j', 'u', 'n', 'k')
			out, n, err := unxz(trailing, int64(len(data)))
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("unxz: %v, %d bytes, equal %v", err, len(out), bytes.Equal(out, data))
			}
			if n < int64(len(src)) || n > int64(len(trailing)) {
				t.Errorf("consumed %d, stream is %d bytes", n, len(src))
			}
			out, _, err = unxz(src, 1000)
			if !errors.Is(err, errTooBig) || !bytes.Equal(out, data[:1000]) {
				t.Errorf("limit 1000: %v, %d bytes", err, len(out))
			}
		})
	}
}
