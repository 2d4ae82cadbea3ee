package translog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Every record of every log of 1..300 records is provably in it, the roots
// are RFC 6962's, and proofs have the length the checks demand.
func TestInclusionAllSizes(t *testing.T) {
	const max = 300
	l, m := newLog(t, max)
	signer, verifier, _, _ := key(t, origin, "log")
	leaves := make([][]byte, max)
	for i := range leaves {
		leaves[i] = record(int64(i))
	}
	for size := int64(1); size <= max; size++ {
		root, err := l.TreeHash(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := mth(leaves[:size]); root != want {
			t.Fatalf("TreeHash(%d) = %s, RFC 6962 says %s", size, root, want)
		}
		c := Checkpoint{Origin: origin, Size: size, Hash: root}
		signed, err := c.Sign(signer)
		if err != nil {
			t.Fatal(err)
		}
		for i := int64(0); i < size; i++ {
			p, err := l.ProveInclusion(i, size)
			if err != nil {
				t.Fatalf("ProveInclusion(%d, %d): %v", i, size, err)
			}
			if len(p) != inclusionLen(i, size) {
				t.Fatalf("proof of %d in %d has %d hashes, inclusionLen says %d", i, size, len(p), inclusionLen(i, size))
			}
			if err := CheckInclusion(c, leaves[i], i, p); err != nil {
				t.Fatalf("CheckInclusion(%d in %d): %v", i, size, err)
			}
			// The whole offline path, signature included, for a sample.
			if i%17 == 0 || i == size-1 {
				got, err := VerifyInclusion(verifier, signed, leaves[i], i, p)
				if err != nil {
					t.Fatalf("VerifyInclusion(%d in %d): %v", i, size, err)
				}
				if diff := cmp.Diff(c, got); diff != "" {
					t.Fatalf("VerifyInclusion returned another checkpoint (-want +got):\n%s", diff)
				}
			}
		}
	}
	for i := range int64(max) {
		got, err := m.Record(i)
		if err != nil || !bytes.Equal(got, leaves[i]) {
			t.Fatalf("Record(%d) = %q, %v; want %q", i, got, err, leaves[i])
		}
	}
}

// Appending in batches stores the same hashes as appending one by one.
func TestAppendBatches(t *testing.T) {
	const n = 300
	one, m1 := newLog(t, n)
	for _, batches := range [][]int{{300}, {7}, {1, 2, 3, 64, 5}, {255, 1, 44}, {128, 128, 44}} {
		l, m := newLog(t, n, batches...)
		if diff := cmp.Diff(m1.hashes, m.hashes); diff != "" {
			t.Fatalf("batches %v: stored hashes differ from one-by-one appends (-want +got):\n%s", batches, diff)
		}
		for size := int64(1); size <= n; size += 13 {
			a, _ := one.TreeHash(size)
			b, err := l.TreeHash(size)
			if err != nil || a != b {
				t.Fatalf("batches %v: TreeHash(%d) = %s, %v; want %s", batches, size, b, err, a)
			}
		}
	}
	if idx, err := one.Append(nil); err != nil || idx != nil {
		t.Fatalf("Append(nil) = %v, %v", idx, err)
	}
}

// Every pair of sizes up to 70 has a consistency proof that checks, of the
// length the check demands, and a proof of another pair does not.
func TestConsistencyAllPairs(t *testing.T) {
	const max = 70
	l, _ := newLog(t, max)
	cps := make([]Checkpoint, max+1)
	for size := range int64(max + 1) {
		h, err := l.TreeHash(size)
		if err != nil {
			t.Fatal(err)
		}
		cps[size] = Checkpoint{Origin: origin, Size: size, Hash: h}
	}
	for o := int64(0); o <= max; o++ {
		for n := o; n <= max; n++ {
			p, err := l.ProveConsistency(o, n)
			if err != nil {
				t.Fatalf("ProveConsistency(%d, %d): %v", o, n, err)
			}
			if o > 0 && len(p) != consistencyLen(o, n) {
				t.Fatalf("proof %d→%d has %d hashes, consistencyLen says %d", o, n, len(p), consistencyLen(o, n))
			}
			if err := CheckConsistency(cps[o], cps[n], p); err != nil {
				t.Fatalf("CheckConsistency(%d, %d): %v", o, n, err)
			}
			// The same proof between other trees of the log fails.
			if o > 1 && n > o {
				if err := CheckConsistency(cps[o-1], cps[n], p); err == nil {
					t.Fatalf("proof %d→%d also proves %d→%d", o, n, o-1, n)
				}
			}
		}
	}
	if _, err := l.ProveConsistency(5, max+1); !errors.Is(err, ErrRange) {
		t.Fatalf("ProveConsistency past the end: %v, want ErrRange", err)
	}
	if _, err := l.ProveConsistency(6, 5); !errors.Is(err, ErrRange) {
		t.Fatalf("ProveConsistency backwards: %v, want ErrRange", err)
	}
}

// Each way of lying about a record fails, each with its own error.
func TestVerifyFailures(t *testing.T) {
	const size, index = 300, 5
	l, _ := newLog(t, size)
	signer, verifier, _, _ := key(t, origin, "log")
	other, _, _, _ := key(t, origin, "another key of the same name")
	stranger, _, _, _ := key(t, "other.example/log", "another log")
	_, signed, err := l.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := l.ProveInclusion(index, size)
	neighbour, _ := l.ProveInclusion(index+1, size) // same length as proof
	far, _ := l.ProveInclusion(290, size)           // another length
	root, _ := l.TreeHash(size)
	resign := func(c Checkpoint, s Signer) []byte {
		t.Helper()
		msg, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	// edit replaces old by new in the signed note's text, keeping its
	// signature.
	edit := func(old, new string) []byte {
		t.Helper()
		if !bytes.Contains(signed, []byte(old)) {
			t.Fatalf("checkpoint has no %q", old)
		}
		return bytes.Replace(signed, []byte(old), []byte(new), 1)
	}
	var other32 tlog.Hash
	other32[0] = 1
	tests := []struct {
		name       string
		checkpoint []byte
		leaf       []byte
		index      int64
		proof      tlog.RecordProof
		want       error
	}{
		{"valid", signed, record(index), index, proof, nil},
		{"tampered leaf", signed, append(record(index), '!'), index, proof, ErrNotIncluded},
		{"proof of the neighbouring record", signed, record(index), index, neighbour, ErrNotIncluded},
		{"proof of a record in another subtree", signed, record(index), index, far, ErrProofLength},
		{"leaf and proof of another index", signed, record(index + 1), index, neighbour, ErrNotIncluded},
		{"index past the tree", signed, record(index), size, proof, ErrRange},
		{"signed by another key", resign(Checkpoint{Origin: origin, Size: size, Hash: root}, other), record(index), index, proof, ErrUnknownKey},
		{"signed by another log", resign(Checkpoint{Origin: "other.example/log", Size: size, Hash: root}, stranger), record(index), index, proof, ErrUnknownKey},
		{"changed size", edit("\n300\n", "\n301\n"), record(index), index, proof, ErrBadSignature},
		{"changed root", edit(root.String(), other32.String()), record(index), index, proof, ErrBadSignature},
		{"origin of another log, signed by our key", resignOrigin(t, "other.example/log", size, root, signer), record(index), index, proof, ErrOrigin},
		{"not a note", []byte("iotsec.example/registry\n300\n" + root.String() + "\n"), record(index), index, proof, ErrMalformed},
		{"too large", append(bytes.Repeat([]byte("x"), MaxCheckpointSize), signed...), record(index), index, proof, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyInclusion(verifier, tt.checkpoint, tt.leaf, tt.index, tt.proof)
			want := "nil"
			for _, k := range kinds {
				if k.err == tt.want {
					want = k.name
				}
			}
			if got := kindOf(err); got != want {
				t.Fatalf("VerifyInclusion: %s, want %s (%v)", got, want, err)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}
	// The lies the task names fail with distinct errors.
	seen := map[error]string{}
	for _, name := range []string{"tampered leaf", "proof of a record in another subtree", "signed by another key", "changed size", "origin of another log, signed by our key"} {
		for _, tt := range tests {
			if tt.name == name {
				if prev, ok := seen[tt.want]; ok {
					t.Errorf("%q and %q fail with the same error", prev, name)
				}
				seen[tt.want] = name
			}
		}
	}
}

// resignOrigin signs a checkpoint whose origin line is not the key's name,
// which Checkpoint.Sign refuses to do.
func resignOrigin(t *testing.T, org string, size int64, root tlog.Hash, s Signer) []byte {
	t.Helper()
	if _, err := (Checkpoint{Origin: org, Size: size, Hash: root}).Sign(s); !errors.Is(err, ErrOrigin) {
		t.Fatalf("Sign with a key of another name: %v, want ErrOrigin", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(Checkpoint{Origin: org, Size: size, Hash: root}.Text())}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// A log that forks, two histories signed by the same key, cannot convince
// a monitor that kept an old checkpoint; the honest log can.
func TestFork(t *testing.T) {
	signer, verifier, _, _ := key(t, origin, "log")
	honest, _ := newLog(t, 10)
	_, old, err := honest.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	// The monitor checks and keeps the old checkpoint.
	if _, err := VerifyCheckpoint(old, verifier); err != nil {
		t.Fatal(err)
	}

	// fork returns a log of the given records, signed by the same key.
	fork := func(recs ...[]byte) (*Log, []byte) {
		l, err := New(origin, NewMemory())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(recs); err != nil {
			t.Fatal(err)
		}
		_, cp, err := l.Checkpoint(signer)
		if err != nil {
			t.Fatal(err)
		}
		return l, cp
	}
	recs := func(from, to int64, edit func(i int64) []byte) [][]byte {
		var out [][]byte
		for i := from; i < to; i++ {
			r := record(i)
			if edit != nil {
				r = edit(i)
			}
			if r != nil {
				out = append(out, r)
			}
		}
		return out
	}
	revoked := func(i int64) []byte {
		if i == 7 {
			return []byte("revoke 3: actually not revoked\n")
		}
		return record(i)
	}
	hidden := func(i int64) []byte {
		if i == 3 {
			return nil // the record the log wants nobody to see
		}
		return record(i)
	}

	// The honest log grows: the monitor accepts.
	if _, err := honest.Append(recs(10, 15, nil)); err != nil {
		t.Fatal(err)
	}
	_, grown, err := honest.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	p, err := honest.ProveConsistency(10, 15)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyConsistency(verifier, old, grown, p); err != nil {
		t.Fatalf("honest growth rejected: %v", err)
	}

	tests := []struct {
		name string
		log  *Log
		cp   []byte
	}{}
	add := func(name string, r [][]byte) {
		l, cp := fork(r...)
		tests = append(tests, struct {
			name string
			log  *Log
			cp   []byte
		}{name, l, cp})
	}
	add("rewrote record 7, then grew", recs(0, 15, revoked))
	add("rewrote record 7, same size", recs(0, 10, revoked))
	add("hid record 3, then grew", recs(0, 16, hidden))
	add("dropped the last records", recs(0, 8, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The forked checkpoint is validly signed: only consistency
			// with what the monitor kept reveals the fork.
			c, err := VerifyCheckpoint(tt.cp, verifier)
			if err != nil {
				t.Fatal(err)
			}
			var proof tlog.TreeProof
			if c.Size >= 10 {
				if proof, err = tt.log.ProveConsistency(10, c.Size); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := VerifyConsistency(verifier, old, tt.cp, proof); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("forked log's consistency proof: %v, want ErrInconsistent", err)
			}
			// Nor does the honest log's proof of the same sizes help.
			if c.Size >= 10 {
				hp, err := honest.ProveConsistency(10, c.Size)
				if err == nil {
					if _, err := VerifyConsistency(verifier, old, tt.cp, hp); !errors.Is(err, ErrInconsistent) {
						t.Fatalf("honest proof with the forked checkpoint: %v, want ErrInconsistent", err)
					}
				}
			}
		})
	}
}

// Bundles survive JSON, verify, and refuse the same lies.
func TestBundle(t *testing.T) {
	l, _ := newLog(t, 300)
	signer, verifier, _, _ := key(t, origin, "log")
	_, signed, err := l.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	for _, index := range []int64{0, 5, 255, 256, 299} {
		b, err := l.Bundle(index, signed)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBundle(data)
		if err != nil {
			t.Fatalf("ParseBundle(%s): %v", data, err)
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Fatalf("bundle JSON round trip (-want +got):\n%s", diff)
		}
		if _, err := got.Verify(verifier, record(index)); err != nil {
			t.Fatalf("bundle of %d: %v", index, err)
		}
		if _, err := got.Verify(verifier, record(index+1)); !errors.Is(err, ErrNotIncluded) {
			t.Fatalf("bundle of %d with another record: %v, want ErrNotIncluded", index, err)
		}
		moved := *got
		moved.Index = (index + 1) % 300
		if _, err := moved.Verify(verifier, record(index)); err == nil {
			t.Fatalf("bundle of %d verified at index %d", index, moved.Index)
		}
		shrunk := *got
		shrunk.TreeSize--
		if _, err := shrunk.Verify(verifier, record(index)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("bundle with another tree_size: %v, want ErrMalformed", err)
		}
	}
	// A checkpoint of another log, or of another tree, makes no bundle.
	stranger, _, _, _ := key(t, "other.example/log", "another log")
	otherLog, _ := New("other.example/log", NewMemory())
	otherLog.Append([][]byte{[]byte("x\n")})
	_, foreign, _ := otherLog.Checkpoint(stranger)
	if _, err := l.Bundle(0, foreign); !errors.Is(err, ErrOrigin) {
		t.Fatalf("Bundle with another log's checkpoint: %v, want ErrOrigin", err)
	}
	forked, _ := newLog(t, 2)
	forked.Append([][]byte{[]byte("fork\n")})
	_, fcp, _ := forked.Checkpoint(signer)
	if _, err := l.Bundle(0, fcp); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Bundle with a forked checkpoint: %v, want ErrInconsistent", err)
	}
	if _, err := l.Bundle(300, signed); !errors.Is(err, ErrRange) {
		t.Fatalf("Bundle past the tree: %v, want ErrRange", err)
	}
}

func TestParseBundleErrors(t *testing.T) {
	h := `"` + tlog.RecordHash(nil).String() + `"`
	tests := []struct {
		name, in string
		want     error
	}{
		{"not JSON", `{`, ErrMalformed},
		{"trailing data", `{"index":0,"tree_size":1,"proof":[],"checkpoint":"x"} {}`, ErrMalformed},
		{"unknown field", `{"index":0,"tree_size":1,"proof":[],"checkpoint":"x","extra":1}`, ErrMalformed},
		{"no index", `{"tree_size":1,"proof":[],"checkpoint":"x"}`, ErrMalformed},
		{"no proof", `{"index":0,"tree_size":1,"checkpoint":"x"}`, ErrMalformed},
		{"null proof", `{"index":0,"tree_size":1,"proof":null,"checkpoint":"x"}`, ErrMalformed},
		{"no checkpoint", `{"index":0,"tree_size":1,"proof":[]}`, ErrMalformed},
		{"fractional index", `{"index":0.5,"tree_size":1,"proof":[],"checkpoint":"x"}`, ErrMalformed},
		{"index past the tree", `{"index":1,"tree_size":1,"proof":[],"checkpoint":"x"}`, ErrRange},
		{"negative index", `{"index":-1,"tree_size":1,"proof":[],"checkpoint":"x"}`, ErrRange},
		{"empty tree", `{"index":0,"tree_size":0,"proof":[],"checkpoint":"x"}`, ErrRange},
		{"huge tree", `{"index":0,"tree_size":9007199254740993,"proof":[],"checkpoint":"x"}`, ErrRange},
		{"short hash", `{"index":0,"tree_size":2,"proof":["AAAA"],"checkpoint":"x"}`, ErrMalformed},
		{"hash with stray bits", `{"index":0,"tree_size":2,"proof":["` + strings.Repeat("A", 42) + `B="],"checkpoint":"x"}`, ErrMalformed},
		{"65 hashes", `{"index":0,"tree_size":2,"proof":[` + strings.Repeat(h+",", 64) + h + `],"checkpoint":"x"}`, ErrTooLarge},
		{"huge checkpoint", `{"index":0,"tree_size":2,"proof":[],"checkpoint":"` + strings.Repeat("x", MaxCheckpointSize+1) + `"}`, ErrTooLarge},
		{"huge bundle", `{"index":0,"tree_size":2,"proof":[],"checkpoint":"x"}` + strings.Repeat(" ", MaxBundleSize), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBundle([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseBundle: %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestParseCheckpointErrors(t *testing.T) {
	root := tlog.RecordHash(nil).String()
	empty := emptyRoot().String()
	tests := []struct {
		name, in string
		want     error
	}{
		{"two lines", "o\n1\n", ErrMalformed},
		{"no final newline", "o\n1\n" + root, ErrMalformed},
		{"empty origin", "\n1\n" + root + "\n", ErrMalformed},
		{"empty extension line", "o\n1\n" + root + "\n\next\n", ErrMalformed},
		{"leading zero", "o\n01\n" + root + "\n", ErrMalformed},
		{"sign", "o\n+1\n" + root + "\n", ErrMalformed},
		{"hex size", "o\n0x1\n" + root + "\n", ErrMalformed},
		{"size over the limit", "o\n9007199254740993\n" + root + "\n", ErrTooLarge},
		{"size over int64", "o\n99999999999999999999\n" + root + "\n", ErrTooLarge},
		{"raw base64 root", "o\n1\n" + strings.TrimSuffix(root, "=") + "\n", ErrMalformed},
		{"url base64 root", "o\n1\n" + strings.NewReplacer("+", "-", "/", "_").Replace("+/"+root[2:]) + "\n", ErrMalformed},
		{"short root", "o\n1\nAAAA\n", ErrMalformed},
		{"carriage return", "o\r\n1\n" + root + "\n", ErrMalformed},
		{"not UTF-8", "o\xff\n1\n" + root + "\n", ErrMalformed},
		{"empty tree with another root", "o\n0\n" + root + "\n", ErrMalformed},
		{"long origin", strings.Repeat("o", MaxOriginSize+1) + "\n1\n" + root + "\n", ErrTooLarge},
		{"huge", "o\n1\n" + root + "\n" + strings.Repeat("x\n", MaxCheckpointSize), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCheckpoint([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseCheckpoint: %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
	// The empty tree and extension lines are fine.
	for _, in := range []string{"o\n0\n" + empty + "\n", "o\n1\n" + root + "\next one\next two\n"} {
		c, err := ParseCheckpoint([]byte(in))
		if err != nil {
			t.Fatalf("ParseCheckpoint(%q): %v", in, err)
		}
		if got := string(c.Text()); got != in {
			t.Fatalf("round trip: %q, want %q", got, in)
		}
	}
}

func TestKeysAndOrigins(t *testing.T) {
	for _, o := range []string{"", "has space", "has+plus", "tab\there", strings.Repeat("o", MaxOriginSize+1)} {
		if _, err := New(o, NewMemory()); err == nil {
			t.Errorf("New(%q) accepted the origin", o)
		}
		if _, _, err := GenerateKey(bytes.NewReader(make([]byte, 64)), o); err == nil {
			t.Errorf("GenerateKey(%q) accepted the origin", o)
		}
	}
	if _, err := NewSigner("PRIVATE+KEY+secret"); !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "secret") {
		t.Errorf("NewSigner of a bad key: %v; want ErrMalformed without the key", err)
	}
	if _, err := NewVerifier("nope"); !errors.Is(err, ErrMalformed) {
		t.Errorf("NewVerifier of a bad key: %v, want ErrMalformed", err)
	}
	// The log signs only with its own key name.
	l, _ := newLog(t, 3)
	stranger, _, _, _ := key(t, "other.example/log", "another log")
	if _, _, err := l.Checkpoint(stranger); !errors.Is(err, ErrOrigin) {
		t.Errorf("Checkpoint with another log's key: %v, want ErrOrigin", err)
	}
	if _, err := VerifyCheckpoint([]byte("x"), nil); err == nil {
		t.Error("VerifyCheckpoint without a verifier succeeded")
	}
}

// A checkpoint signed by another key too (a witness, a rotated key) still
// verifies with the log's key, and with the witness's key it is of
// another origin.
func TestCosigned(t *testing.T) {
	l, _ := newLog(t, 4)
	signer, verifier, _, _ := key(t, origin, "log")
	witness, wv, _, _ := key(t, "witness.example", "witness")
	_, signed, err := l.Checkpoint(signer)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		t.Fatal(err)
	}
	both, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCheckpoint(both, verifier); err != nil {
		t.Fatalf("cosigned checkpoint: %v", err)
	}
	if _, err := VerifyCheckpoint(both, wv); !errors.Is(err, ErrOrigin) {
		t.Fatalf("checkpoint verified with the witness's key: %v, want ErrOrigin", err)
	}
}

// raceStorage appends a record behind the Log's back between its reading
// the size and writing, as an unserialised second writer would.
type raceStorage struct {
	*Memory
	raced bool
}

func (r *raceStorage) Append(size int64, recs [][]byte, hashes []tlog.Hash) error {
	if !r.raced {
		r.raced = true
		other, _ := New(origin, r.Memory)
		if _, err := other.Append([][]byte{[]byte("sneaked in\n")}); err != nil {
			return err
		}
	}
	return r.Memory.Append(size, recs, hashes)
}

func TestConflict(t *testing.T) {
	st := &raceStorage{Memory: NewMemory()}
	l, _ := New(origin, st)
	if _, err := l.Append([][]byte{[]byte("a\n")}); !errors.Is(err, ErrConflict) {
		t.Fatalf("Append racing another writer: %v, want ErrConflict", err)
	}
	if n, _ := l.Size(); n != 1 {
		t.Fatalf("size %d after a refused append, want 1", n)
	}
	if _, err := l.Append([][]byte{[]byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	if err := st.Memory.Append(0, [][]byte{[]byte("x\n")}, []tlog.Hash{{}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("Memory.Append at a stale size: %v, want ErrConflict", err)
	}
	if err := st.Memory.Append(2, [][]byte{[]byte("x\n")}, nil); err == nil {
		t.Fatal("Memory.Append with too few hashes succeeded")
	}
}

// shortStorage answers with fewer hashes than asked.
type shortStorage struct{ *Memory }

func (s shortStorage) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	h, err := s.Memory.ReadHashes(idx)
	if len(h) > 0 {
		h = h[1:]
	}
	return h, err
}

func TestBrokenStorage(t *testing.T) {
	_, m := newLog(t, 10)
	l, _ := New(origin, shortStorage{m})
	if _, err := l.TreeHash(10); err == nil {
		t.Error("TreeHash over a storage that loses hashes succeeded")
	}
	if _, err := l.ProveInclusion(3, 10); err == nil {
		t.Error("ProveInclusion over a storage that loses hashes succeeded")
	}
	if _, err := l.ProveConsistency(3, 10); err == nil {
		t.Error("ProveConsistency over a storage that loses hashes succeeded")
	}
	if _, err := l.Append([][]byte{[]byte("x\n"), []byte("y\n")}); err == nil { // record 11 needs stored hashes
		t.Error("Append over a storage that loses hashes succeeded")
	}
}

// Proofs of trees up to MaxTreeSize stay within MaxProofHashes.
func TestProofLengthBound(t *testing.T) {
	sizes := []int64{MaxTreeSize, MaxTreeSize - 1, MaxTreeSize/2 + 1, MaxTreeSize/2 + 3, 1<<52 - 1, 3 << 51}
	worst := [2]int{}
	for _, size := range sizes {
		for _, n := range []int64{0, 1, 2, size / 3, size/2 - 1, size / 2, size/2 + 1, size - 2, size - 1} {
			if n < 0 || n >= size {
				continue
			}
			worst[0] = max(worst[0], inclusionLen(n, size))
			if n > 0 {
				worst[1] = max(worst[1], consistencyLen(n, size))
			}
		}
	}
	if worst[0] > 53 || worst[1] > 54 || worst[1] > MaxProofHashes {
		t.Fatalf("longest proofs near MaxTreeSize: inclusion %d, consistency %d", worst[0], worst[1])
	}
	t.Logf("longest proofs near MaxTreeSize: inclusion %d, consistency %d", worst[0], worst[1])
}

// Writers that do not serialise their appends lose races with ErrConflict
// and never corrupt the tree: after retries every record is in it, once,
// and the stored hashes are those of the records in their final order.
func TestConcurrentAppends(t *testing.T) {
	m := NewMemory()
	const writers, each = 4, 50
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			l, _ := New(origin, m)
			for i := range each {
				for {
					_, err := l.Append([][]byte{fmt.Appendf(nil, "writer %d record %d\n", w, i)})
					if err == nil {
						break
					}
					if !errors.Is(err, ErrConflict) {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n, _ := m.Size()
	if n != writers*each {
		t.Fatalf("%d records, want %d", n, writers*each)
	}
	leaves := make([][]byte, n)
	seen := map[string]bool{}
	for i := range leaves {
		leaves[i], _ = m.Record(int64(i))
		if seen[string(leaves[i])] {
			t.Fatalf("record %q twice", leaves[i])
		}
		seen[string(leaves[i])] = true
	}
	l, _ := New(origin, m)
	for _, size := range []int64{1, 77, 128, n} {
		if h, err := l.TreeHash(size); err != nil || h != mth(leaves[:size]) {
			t.Fatalf("TreeHash(%d) = %s, %v; RFC 6962 says %s", size, h, err, mth(leaves[:size]))
		}
	}
}
