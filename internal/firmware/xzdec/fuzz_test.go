package xzdec

import (
	"bytes"
	"errors"
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
		if errors.Is(err, ErrTooBig) || errors.Is(rerr, ErrTooBig) {
			if !errors.Is(err, ErrTooBig) || !errors.Is(rerr, ErrTooBig) {
				t.Fatalf("xzdec: %v; therootcompany: %v", err, rerr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("first %d bytes differ", limit)
			}
			return
		}
		if (err == nil) != (rerr == nil) {
			t.Fatalf("xzdec: %v; therootcompany: %v", err, rerr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("outputs differ: %d and %d bytes", len(got), len(want))
		}
	})
}
