package translog

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

const origin = "iotsec.example/registry"

// key returns a signer and verifier for name whose Ed25519 seed is derived
// from seed, so signatures (deterministic in Ed25519) are reproducible.
func key(t testing.TB, name, seed string) (Signer, Verifier, string, string) {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	skey, vkey, err := GenerateKey(bytes.NewReader(s[:]), name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier, skey, vkey
}

// record is the test log's record i.
func record(i int64) []byte {
	return fmt.Appendf(nil, "grant %d: camera model X firmware 1.%d.0 CLS level 2\n", i, i)
}

// newLog returns a log of origin over a new Memory with records
// record(0..n-1), appended in batches of the given sizes (cycled; one by
// one when none).
func newLog(t testing.TB, n int64, batches ...int) (*Log, *Memory) {
	t.Helper()
	m := NewMemory()
	l, err := New(origin, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) == 0 {
		batches = []int{1}
	}
	for i, b := int64(0), 0; i < n; b++ {
		k := min(int64(batches[b%len(batches)]), n-i)
		recs := make([][]byte, k)
		for j := range recs {
			recs[j] = record(i + int64(j))
		}
		idx, err := l.Append(recs)
		if err != nil {
			t.Fatal(err)
		}
		if len(idx) != int(k) || idx[0] != i || idx[k-1] != i+k-1 {
			t.Fatalf("Append at %d of %d records returned indexes %v", i, k, idx)
		}
		i += k
	}
	return l, m
}

// mth is RFC 6962's Merkle tree hash, written out, as the reference.
func mth(leaves [][]byte) tlog.Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return tlog.RecordHash(leaves[0])
	}
	k := 1
	for k<<1 < len(leaves) {
		k <<= 1
	}
	return tlog.NodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

// kinds are the sentinel errors; kindOf names the ones err wraps.
var kinds = []struct {
	name string
	err  error
}{
	{"ErrMalformed", ErrMalformed}, {"ErrTooLarge", ErrTooLarge}, {"ErrUnknownKey", ErrUnknownKey},
	{"ErrBadSignature", ErrBadSignature}, {"ErrOrigin", ErrOrigin}, {"ErrRange", ErrRange},
	{"ErrProofLength", ErrProofLength}, {"ErrNotIncluded", ErrNotIncluded},
	{"ErrInconsistent", ErrInconsistent}, {"ErrConflict", ErrConflict},
}

func kindOf(err error) string {
	if err == nil {
		return "nil"
	}
	var out []string
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			out = append(out, k.name)
		}
	}
	if len(out) != 1 {
		return fmt.Sprintf("%v (%v)", out, err)
	}
	return out[0]
}
