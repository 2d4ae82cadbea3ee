package translog

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// byteStore keeps a log the way a SQL store does: leaves and stored hashes
// as byte slices, appended through AppendHashes one leaf at a time.
type byteStore struct {
	leaves [][]byte
	hashes [][]byte
}

func (s *byteStore) read(indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, ErrRange
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

func (s *byteStore) append(leaf []byte) error {
	hs, err := AppendHashes(int64(len(s.leaves)), leaf, s.read)
	if err != nil {
		return err
	}
	s.leaves = append(s.leaves, leaf)
	s.hashes = append(s.hashes, hs...)
	return nil
}

func (s *byteStore) readOnly() ReadOnly {
	return ReadOnly{Count: func() (int64, error) { return int64(len(s.leaves)), nil }, Read: s.read}
}

// A store that appends through AppendHashes keeps the same tree as a Log
// over Memory, and a Log over its reads proves the same.
func TestAppendHashesAndReadOnly(t *testing.T) {
	const n = 300
	ref, m := newLog(t, n)
	var s byteStore
	for i := range int64(n) {
		if err := s.append(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	want := make([][]byte, len(m.hashes))
	for i, h := range m.hashes {
		want[i] = append([]byte(nil), h[:]...)
	}
	if diff := cmp.Diff(want, s.hashes); diff != "" {
		t.Fatalf("stored hashes differ from Log.Append's (-want +got):\n%s", diff)
	}
	l, err := New(origin, s.readOnly())
	if err != nil {
		t.Fatal(err)
	}
	signer, verifier, _, _ := key(t, origin, "log")
	_, signed, err := l.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	_, refSigned, _ := ref.Checkpoint(signer)
	if !bytes.Equal(signed, refSigned) {
		t.Fatalf("checkpoint over ReadOnly:\n%s\nover Memory:\n%s", signed, refSigned)
	}
	for _, i := range []int64{0, 1, 127, 128, 299} {
		b, err := l.Bundle(i, signed)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Verify(verifier, record(i)); err != nil {
			t.Fatalf("bundle of %d: %v", i, err)
		}
	}
	if _, err := l.Append([][]byte{[]byte("x\n")}); err == nil {
		t.Fatal("Append through ReadOnly succeeded")
	}
}

func TestAppendHashesErrors(t *testing.T) {
	var s byteStore
	for i := range int64(3) {
		if err := s.append(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	short := func(idx []int64) ([][]byte, error) { h, err := s.read(idx); return h[:len(h)-1], err }
	if _, err := AppendHashes(3, record(3), short); err == nil {
		t.Error("AppendHashes with a reader that loses a hash succeeded")
	}
	trunc := func(idx []int64) ([][]byte, error) {
		h, err := s.read(idx)
		out := make([][]byte, len(h))
		for i := range h {
			out[i] = h[i][:31]
		}
		return out, err
	}
	if _, err := AppendHashes(3, record(3), trunc); !errors.Is(err, ErrMalformed) {
		t.Errorf("AppendHashes with 31-byte hashes: %v, want ErrMalformed", err)
	}
	failing := func([]int64) ([][]byte, error) { return nil, errors.New("database gone") }
	if _, err := AppendHashes(3, record(3), failing); err == nil {
		t.Error("AppendHashes with a failing reader succeeded")
	}
	if _, err := AppendHashes(-1, nil, s.read); !errors.Is(err, ErrRange) {
		t.Errorf("AppendHashes(-1): %v", err)
	}
	if _, err := AppendHashes(MaxTreeSize, nil, s.read); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AppendHashes(MaxTreeSize): %v", err)
	}
	// Record 2 (n+1 = 3) needs no earlier hash: no read at all.
	if _, err := AppendHashes(2, record(2), failing); err != nil {
		t.Errorf("AppendHashes of record 2 read hashes: %v", err)
	}
}
