package translog

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// AppendHashes returns the stored hashes to write when leaf is appended as
// record n, reading older stored hashes through read, all as byte slices
// (tlog.StoredHashes in a SQL store's shape). It is what a store that keeps
// the log in its own tables, and appends inside the transaction of a
// registry move, calls through its append callback (iotsec.LogAppend.Hashes
// has this signature), so the store needs no Merkle code. The hashes go at
// stored-hash indexes from tlog.StoredHashIndex(0, n) on.
func AppendHashes(n int64, leaf []byte, read func(indexes []int64) ([][]byte, error)) ([][]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("translog: append record %d: %w", n, ErrRange)
	}
	if n >= MaxTreeSize {
		return nil, fmt.Errorf("translog: append record %d: more than %d records: %w", n, int64(MaxTreeSize), ErrTooLarge)
	}
	hs, err := tlog.StoredHashes(n, leaf, bytesReader(read))
	if err != nil {
		return nil, fmt.Errorf("translog: hash record %d: %w", n, err)
	}
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out, nil
}

// bytesReader reads stored hashes kept as byte slices, checking that each
// answer has one 32-byte hash per index.
type bytesReader func(indexes []int64) ([][]byte, error)

func (r bytesReader) ReadHashes(indexes []int64) ([]Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	bs, err := r(indexes)
	if err != nil {
		return nil, err
	}
	if len(bs) != len(indexes) {
		return nil, fmt.Errorf("storage returned %d hashes for %d indexes", len(bs), len(indexes))
	}
	out := make([]Hash, len(bs))
	for i, b := range bs {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("stored hash %d has %d bytes, not %d: %w", indexes[i], len(b), tlog.HashSize, ErrMalformed)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// ReadOnly is a Storage over the reads of a store that keeps the log and
// appends through AppendHashes itself: a Log over it makes checkpoints,
// proofs and bundles; its Append fails. Bind the functions to the request's
// context (or transaction) when making it.
type ReadOnly struct {
	// Count returns the number of records (the store's log size).
	Count func() (int64, error)
	// Read returns stored hashes by index, in the order asked.
	Read func(indexes []int64) ([][]byte, error)
}

// ReadHashes returns the stored hashes at indexes.
func (r ReadOnly) ReadHashes(indexes []int64) ([]Hash, error) {
	return bytesReader(r.Read).ReadHashes(indexes)
}

// Size returns Count().
func (r ReadOnly) Size() (int64, error) { return r.Count() }

// Append fails: the store appends through AppendHashes.
func (ReadOnly) Append(int64, [][]byte, []Hash) error {
	return errors.New("translog: read-only storage: the store appends through AppendHashes")
}
