package xzdec

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
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

// TestForgedUncompressedSize checks that a block header claiming a huge
// uncompressed size does not make the decoder allocate it.
func TestForgedUncompressedSize(t *testing.T) {
	data := []byte("tiny")
	var b bytes.Buffer
	w, _ := ulxz.NewWriter(&b)
	w.Write(data)
	w.Close()
	s := b.Bytes()
	hs := (int(s[12]) + 1) * 4
	lz := s[12+hs : len(s)] // the LZMA2 data and what follows; the decoder stops at its end marker
	var d Decoder
	_, n, err := d.lzma2(nil, lz, 0, 1<<20, 1<<23)
	if err != nil {
		t.Fatal(err)
	}
	src := wrapLZMA2(lz[:n], len(data))
	// Rewrite the block header with "uncompressed size: 1 TiB".
	h := []byte{0, 0x80}
	h = binary.AppendUvarint(h, 1<<40)
	h = append(h, 0x21, 1, 16)
	for (len(h)+4)%4 != 0 {
		h = append(h, 0)
	}
	h[0] = byte((len(h)+4)/4 - 1)
	h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(h))
	forged := append(append(bytes.Clone(src[:12]), h...), src[24:]...)
	out, _, err := Decode(nil, forged, 1<<41, 1<<23)
	if err == nil {
		t.Fatal("a block shorter than its header's size was accepted")
	}
	if cap(out) > 1<<20 {
		t.Errorf("buffer of %d bytes allocated for %d bytes of input", cap(out), len(forged))
	}
	t.Log(err)
}
