package xzdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	ulxz "github.com/ulikunitz/xz"
)

// FuzzXZ compares xzdec with therootcompany/xz: both accept or both
// reject, with the same output. Streams xzdec leaves to the general
// decoder (ErrUnsupported) are skipped.
func FuzzXZ(f *testing.F) {
	for _, data := range [][]byte{{}, []byte("a"), bytes.Repeat([]byte("abcabd"), 500), corpus()["binary-128K"][:20000]} {
		var b bytes.Buffer
		w, err := ulxz.NewWriter(&b)
		if err != nil {
			f.Fatal(err)
		}
		w.Write(data)
		w.Close()
		f.Add(b.Bytes())
	}
	files, _ := filepath.Glob("testdata/xz-tests/*.xz")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const limit, dict = 1 << 20, 1 << 24
	f.Fuzz(func(t *testing.T, src []byte) {
		got, n, err := Decode(nil, src, limit, dict)
		if errors.Is(err, ErrUnsupported) {
			return
		}
		// Decode reads the first stream only; therootcompany/xz also
		// checks the stream padding after it, so it gets what Decode
		// took when Decode accepts.
		if err == nil {
			src = src[:n]
		}
		want, rerr := reference(src, limit, dict)
		agree(t, got, want, err, rerr, limit)
	})
}

// FuzzLZMA2 fuzzes the LZMA2 data itself: the input becomes the one block
// of an xz stream with check None, its header, index and footer (with
// their CRC32s) written around it, so that mutations reach the LZMA
// decoder instead of failing a CRC. The index takes the sizes xzdec's
// LZMA2 decoder finds; if they are wrong, therootcompany/xz rejects the
// stream and the comparison fails.
func FuzzLZMA2(f *testing.F) {
	for _, data := range [][]byte{{}, []byte("a"), bytes.Repeat([]byte("abcabd"), 500), corpus()["binary-128K"][:20000]} {
		var b bytes.Buffer
		w, err := ulxz.NewWriter(&b)
		if err != nil {
			f.Fatal(err)
		}
		w.Write(data)
		w.Close()
		s := b.Bytes()
		hs := (int(s[12]) + 1) * 4
		f.Add(s[12+hs:]) // the LZMA2 data and what follows it
	}
	// A small output limit keeps each run short: mutated chunks decode
	// garbage until their declared size.
	const limit, dict = 1 << 16, 1 << 20
	f.Fuzz(func(t *testing.T, raw []byte) {
		var d Decoder
		out, n, _ := d.lzma2(nil, raw, 0, limit, dict)
		src := wrapLZMA2(raw[:n], len(out))
		got, _, err := Decode(nil, src, limit, dict)
		want, rerr := reference(src, limit, dict)
		agree(t, got, want, err, rerr, limit)
	})
}

// wrapLZMA2 makes an xz stream (check None) of one block holding the
// LZMA2 data lz, whose output is size bytes.
func wrapLZMA2(lz []byte, size int) []byte {
	le := binary.LittleEndian
	s := []byte{0xFD, '7', 'z', 'X', 'Z', 0, 0, 0}
	s = le.AppendUint32(s, crc32.ChecksumIEEE(s[6:8]))
	h := []byte{2, 0, 0x21, 1, 16, 0, 0, 0} // 12-byte header: LZMA2, 1 MiB dictionary
	h[0] = 12/4 - 1
	h = h[:8]
	s = append(s, h...)
	s = le.AppendUint32(s, crc32.ChecksumIEEE(h))
	s = append(s, lz...)
	for len(s)%4 != 0 {
		s = append(s, 0)
	}
	idx := []byte{0}
	idx = binary.AppendUvarint(idx, 1)
	idx = binary.AppendUvarint(idx, uint64(12+len(lz)))
	idx = binary.AppendUvarint(idx, uint64(size))
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = le.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	s = append(s, idx...)
	foot := le.AppendUint32(nil, uint32(len(idx)/4-1))
	foot = append(foot, 0, 0)
	s = le.AppendUint32(s, crc32.ChecksumIEEE(foot))
	s = append(s, foot...)
	return append(s, 'Y', 'Z')
}

// sameTooBig checks a comparison where one decoder reached the output
// limit. xzdec stops at the limit when a chunk declares more output;
// therootcompany/xz decodes one byte past it and may find the data
// corrupt there first. Both must agree on the first limit bytes, and
// xzdec must have stopped at the limit.
func sameTooBig(t *testing.T, got, want []byte, err, rerr error, limit int) {
	t.Helper()
	if !errors.Is(err, ErrTooBig) {
		t.Fatalf("xzdec: %v; therootcompany: %v", err, rerr)
	}
	if len(got) != limit || len(want) < limit || !bytes.Equal(got, want[:limit]) {
		t.Fatalf("xzdec: %v, %d bytes; therootcompany: %v, %d bytes; first %d bytes differ", err, len(got), rerr, len(want), limit)
	}
}

// agree fails the test unless xzdec's answer (got, err) and
// therootcompany/xz's (want, rerr) agree: both too big alike, both
// accept with the same output, or both reject.
func agree(t *testing.T, got, want []byte, err, rerr error, limit int) {
	t.Helper()
	if errors.Is(err, ErrTooBig) || errors.Is(rerr, ErrTooBig) {
		sameTooBig(t, got, want, err, rerr, limit)
		return
	}
	if (err == nil) != (rerr == nil) {
		t.Fatalf("xzdec: %v; therootcompany: %v", err, rerr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("outputs differ: %d and %d bytes", len(got), len(want))
	}
}
