package translog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// inclusionLen returns how many hashes prove record n in a tree of size t
// (0 <= n < t): one per level of tlog's recursion down to the leaf.
func inclusionLen(n, t int64) int {
	c := 0
	for lo, hi := int64(0), t; hi-lo > 1; c++ {
		k := maxpow2(hi - lo)
		if n < lo+k {
			hi = lo + k
		} else {
			lo = lo + k
		}
	}
	return c
}

// consistencyLen returns how many hashes prove that the tree of size t
// contains the tree of size n (0 < n <= t), following tlog's recursion.
func consistencyLen(n, t int64) int {
	c := 0
	for lo, hi := int64(0), t; ; c++ {
		if n == hi {
			if lo == 0 {
				return c
			}
			return c + 1
		}
		k := maxpow2(hi - lo)
		if n <= lo+k {
			hi = lo + k
		} else {
			lo = lo + k
		}
	}
}

// maxpow2 returns the largest power of 2 smaller than n (n >= 2).
func maxpow2(n int64) int64 {
	k := int64(1)
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// CheckInclusion checks, without signatures, that record leaf is record
// index of the checkpoint's tree by proof. Use it on a checkpoint that
// VerifyCheckpoint returned; VerifyInclusion does both.
func CheckInclusion(c Checkpoint, leaf []byte, index int64, proof RecordProof) error {
	if c.Size < 0 || c.Size > MaxTreeSize {
		return fmt.Errorf("translog: tree size %d: %w", c.Size, ErrRange)
	}
	if index < 0 || index >= c.Size {
		return fmt.Errorf("translog: record %d is not in a tree of %d records: %w", index, c.Size, ErrRange)
	}
	if len(proof) > MaxProofHashes {
		return fmt.Errorf("translog: inclusion proof of %d hashes, more than %d: %w", len(proof), MaxProofHashes, ErrTooLarge)
	}
	if want := inclusionLen(index, c.Size); len(proof) != want {
		return fmt.Errorf("translog: inclusion proof of %d hashes; record %d of a tree of %d needs %d: %w", len(proof), index, c.Size, want, ErrProofLength)
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Hash, index, tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("translog: record %d with its proof does not lead to the root of tree %d: %w", index, c.Size, ErrNotIncluded)
	}
	return nil
}

// CheckConsistency checks, without signatures, that the newer checkpoint's
// tree contains the older one's: the log only grew. It fails with
// ErrInconsistent for a log that shrank, forked or rewrote an entry.
func CheckConsistency(older, newer Checkpoint, proof TreeProof) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("translog: checkpoints of logs %q and %q: %w", older.Origin, newer.Origin, ErrOrigin)
	}
	for _, c := range []Checkpoint{older, newer} {
		if c.Size < 0 || c.Size > MaxTreeSize {
			return fmt.Errorf("translog: tree size %d: %w", c.Size, ErrRange)
		}
	}
	if newer.Size < older.Size {
		return fmt.Errorf("translog: the newer checkpoint has %d records, the older %d: the log shrank: %w", newer.Size, older.Size, ErrInconsistent)
	}
	if len(proof) > MaxProofHashes {
		return fmt.Errorf("translog: consistency proof of %d hashes, more than %d: %w", len(proof), MaxProofHashes, ErrTooLarge)
	}
	want := 0
	if older.Size > 0 {
		want = consistencyLen(older.Size, newer.Size)
	}
	if len(proof) != want {
		return fmt.Errorf("translog: consistency proof of %d hashes; trees %d and %d need %d: %w", len(proof), older.Size, newer.Size, want, ErrProofLength)
	}
	switch {
	case older.Size == 0:
		if older.Hash != emptyRoot() {
			return fmt.Errorf("translog: the older checkpoint's empty tree has root %s: %w", older.Hash, ErrInconsistent)
		}
		return nil // every tree extends the empty one
	case older.Size == newer.Size:
		if older.Hash != newer.Hash {
			return fmt.Errorf("translog: two roots for tree %d (%s, %s): the log forked: %w", older.Size, older.Hash, newer.Hash, ErrInconsistent)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Hash, older.Size, older.Hash); err != nil {
		return fmt.Errorf("translog: tree %d does not contain tree %d: the log was rewritten or forked: %w", newer.Size, older.Size, ErrInconsistent)
	}
	return nil
}

// VerifyInclusion checks the signed checkpoint against v (VerifyCheckpoint)
// and that leaf is its tree's record index by proof (CheckInclusion). It
// returns the verified checkpoint.
func VerifyInclusion(v Verifier, checkpoint, leaf []byte, index int64, proof RecordProof) (Checkpoint, error) {
	c, err := VerifyCheckpoint(checkpoint, v)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := CheckInclusion(c, leaf, index, proof); err != nil {
		return Checkpoint{}, err
	}
	return c, nil
}

// VerifyConsistency checks both signed checkpoints against v and that the
// newer one's tree contains the older one's by proof. A monitor keeps the
// returned (newer) checkpoint for next time.
func VerifyConsistency(v Verifier, older, newer []byte, proof TreeProof) (Checkpoint, error) {
	o, err := verifyCheckpoint(older, v, "older checkpoint")
	if err != nil {
		return Checkpoint{}, err
	}
	n, err := verifyCheckpoint(newer, v, "newer checkpoint")
	if err != nil {
		return Checkpoint{}, err
	}
	if err := CheckConsistency(o, n, proof); err != nil {
		return Checkpoint{}, err
	}
	return n, nil
}

// A Bundle is what a label carries to prove offline that the log published
// its record: the record's index, the inclusion proof and the signed
// checkpoint of the tree it was proved against. Its JSON is
//
//	{"index": 5, "tree_size": 300, "proof": ["<base64 hash>", …],
//	 "checkpoint": "<signed note text>"}
//
// and decoding it checks the limits (ParseBundle also bounds the size).
type Bundle struct {
	Index      int64
	TreeSize   int64
	Proof      RecordProof
	Checkpoint string
}

type bundleJSON struct {
	Index      *int64   `json:"index"`
	TreeSize   *int64   `json:"tree_size"`
	Proof      []string `json:"proof"`
	Checkpoint *string  `json:"checkpoint"`
}

// MarshalJSON encodes the bundle; the proof is always a list.
func (b Bundle) MarshalJSON() ([]byte, error) {
	proof := make([]string, len(b.Proof))
	for i, h := range b.Proof {
		proof[i] = h.String()
	}
	return json.Marshal(bundleJSON{Index: &b.Index, TreeSize: &b.TreeSize, Proof: proof, Checkpoint: &b.Checkpoint})
}

// UnmarshalJSON decodes a bundle strictly: every field present, no other
// field, sizes and proof within the limits.
func (b *Bundle) UnmarshalJSON(data []byte) error {
	var w bundleJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("translog: proof bundle: %v: %w", err, ErrMalformed)
	}
	switch {
	case w.Index == nil:
		return fmt.Errorf("translog: proof bundle: no index: %w", ErrMalformed)
	case w.TreeSize == nil:
		return fmt.Errorf("translog: proof bundle: no tree_size: %w", ErrMalformed)
	case w.Proof == nil:
		return fmt.Errorf("translog: proof bundle: no proof: %w", ErrMalformed)
	case w.Checkpoint == nil || *w.Checkpoint == "":
		return fmt.Errorf("translog: proof bundle: no checkpoint: %w", ErrMalformed)
	case *w.TreeSize < 1 || *w.TreeSize > MaxTreeSize:
		return fmt.Errorf("translog: proof bundle: tree_size %d is not in 1..%d: %w", *w.TreeSize, int64(MaxTreeSize), ErrRange)
	case *w.Index < 0 || *w.Index >= *w.TreeSize:
		return fmt.Errorf("translog: proof bundle: index %d is not in a tree of %d: %w", *w.Index, *w.TreeSize, ErrRange)
	case len(w.Proof) > MaxProofHashes:
		return fmt.Errorf("translog: proof bundle: %d proof hashes, more than %d: %w", len(w.Proof), MaxProofHashes, ErrTooLarge)
	case len(*w.Checkpoint) > MaxCheckpointSize:
		return fmt.Errorf("translog: proof bundle: checkpoint of %d bytes, more than %d: %w", len(*w.Checkpoint), MaxCheckpointSize, ErrTooLarge)
	}
	proof := make(RecordProof, len(w.Proof))
	for i, s := range w.Proof {
		h, err := parseHash(s)
		if err != nil {
			return fmt.Errorf("translog: proof bundle: proof[%d]: %w", i, err)
		}
		proof[i] = h
	}
	*b = Bundle{Index: *w.Index, TreeSize: *w.TreeSize, Proof: proof, Checkpoint: *w.Checkpoint}
	return nil
}

// ParseBundle decodes the JSON of a proof bundle of at most MaxBundleSize
// bytes. It checks the form only; Verify checks the proof.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("translog: proof bundle of %d bytes, more than %d: %w", len(data), MaxBundleSize, ErrTooLarge)
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrRange) {
			return nil, err
		}
		return nil, fmt.Errorf("translog: proof bundle: %v: %w", err, ErrMalformed)
	}
	return &b, nil
}

// Verify checks the bundle's checkpoint against v, that the bundle's
// tree_size is the checkpoint's, and that leaf is its record Index. It
// returns the verified checkpoint.
func (b *Bundle) Verify(v Verifier, leaf []byte) (Checkpoint, error) {
	c, err := VerifyCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return Checkpoint{}, err
	}
	if b.TreeSize != c.Size {
		return Checkpoint{}, fmt.Errorf("translog: proof bundle for tree %d with a checkpoint of tree %d: %w", b.TreeSize, c.Size, ErrMalformed)
	}
	if err := CheckInclusion(c, leaf, b.Index, b.Proof); err != nil {
		return Checkpoint{}, err
	}
	return c, nil
}
