package xzdec

import (
	"bytes"
	"testing"

	ulxz "github.com/ulikunitz/xz"
)

// TestWrapLZMA2 checks that FuzzLZMA2's wrapping makes streams both
// decoders accept, so that the fuzzer compares decoding, not framing.
func TestWrapLZMA2(t *testing.T) {
	data := corpus()["binary-128K"]
	var b bytes.Buffer
	w, _ := ulxz.NewWriter(&b)
	w.Write(data)
	w.Close()
	s := b.Bytes()
	raw := s[12+(int(s[12])+1)*4:]
	var d Decoder
	out, n, err := d.lzma2(nil, raw, 0, 1<<20, 1<<23)
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("lzma2: %v", err)
	}
	src := wrapLZMA2(raw[:n], len(out))
	got, _, err := Decode(nil, src, 1<<20, 1<<23)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Decode: %v", err)
	}
	if ref, err := reference(src, 1<<20, 1<<23); err != nil || !bytes.Equal(ref, data) {
		t.Fatalf("reference: %v", err)
	}
}
