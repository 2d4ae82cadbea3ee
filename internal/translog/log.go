package translog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Storage is where a Log keeps its tree: the records (leaves) in order and
// the stored hashes of tlog (for record n, the hashes returned by
// tlog.StoredHashes, at stored-hash indexes from tlog.StoredHashIndex(0, n)
// on; about two per record).
//
// Appends must be serialised: Log.Append reads the size and the hashes it
// needs, computes, then calls Append, and nothing else may append in
// between. A SQL Storage does all of it inside one transaction that holds
// the log's write lock (PostgreSQL: a row or advisory lock; SQLite has one
// writer); as a guard, Append refuses (with an error wrapping ErrConflict)
// a size that is no longer the log's. Appends are all or nothing.
//
// The methods take no context: a SQL Storage is a small value bound to one
// transaction and its context, made for the call (translog.New is free).
type Storage interface {
	// ReadHashes returns the stored hashes at the given indexes, one per
	// index, or an error (tlog.HashReader). tlog asks in increasing order.
	ReadHashes(indexes []int64) ([]Hash, error)
	// Size returns the number of records in the log.
	Size() (int64, error)
	// Append stores records as records size, size+1, … and hashes at
	// stored-hash indexes tlog.StoredHashIndex(0, size) onward;
	// len(hashes) is tlog.StoredHashCount(size+len(records)) −
	// tlog.StoredHashCount(size). It fails, storing nothing, when size is
	// not the log's current size.
	Append(size int64, records [][]byte, hashes []Hash) error
}

// A Log is a transparency log named by its origin (for example
// "iotsec.example/registry") over a Storage. It holds no state of its own,
// so a caller makes one per storage transaction.
type Log struct {
	origin string
	st     Storage
}

// New returns the log of the given origin over st. The origin is the first
// line of every checkpoint and the name of the key that signs them, so it
// must be a valid note key name: non-empty UTF-8 with no spaces or '+'.
func New(origin string, st Storage) (*Log, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	return &Log{origin: origin, st: st}, nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// Size returns the number of records in the log.
func (l *Log) Size() (int64, error) {
	n, err := l.st.Size()
	if err != nil {
		return 0, fmt.Errorf("translog: read size: %w", err)
	}
	return n, nil
}

// Append adds records to the end of the log and returns their indexes. It
// computes the new stored hashes with tlog.StoredHashes and writes records
// and hashes with one Storage.Append; see Storage for the serialisation the
// caller owes.
func (l *Log) Append(records [][]byte) ([]int64, error) {
	if len(records) == 0 {
		return nil, nil
	}
	n, err := l.Size()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > MaxTreeSize-int64(len(records)) {
		return nil, fmt.Errorf("translog: append %d records to a log of %d: more than %d records: %w", len(records), n, int64(MaxTreeSize), ErrTooLarge)
	}
	r := &batchReader{st: l.st, start: tlog.StoredHashIndex(0, n)}
	for i, rec := range records {
		hs, err := tlog.StoredHashes(n+int64(i), rec, r)
		if err != nil {
			return nil, fmt.Errorf("translog: hash record %d: %w", n+int64(i), err)
		}
		r.hashes = append(r.hashes, hs...)
	}
	if err := l.st.Append(n, records, r.hashes); err != nil {
		return nil, fmt.Errorf("translog: append %d records at %d: %w", len(records), n, err)
	}
	idx := make([]int64, len(records))
	for i := range idx {
		idx[i] = n + int64(i)
	}
	return idx, nil
}

// batchReader serves the hashes of a batch being appended from memory and
// the older ones from the storage, reading each older hash once.
type batchReader struct {
	st     Storage
	start  int64  // stored-hash index of the batch's first hash
	hashes []Hash // the batch's hashes so far
	old    map[int64]Hash
}

func (r *batchReader) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	var need []int64
	for i, x := range indexes {
		switch {
		case x >= r.start:
			j := x - r.start
			if j >= int64(len(r.hashes)) {
				return nil, fmt.Errorf("stored hash %d is not written yet", x)
			}
			out[i] = r.hashes[j]
		default:
			if h, ok := r.old[x]; ok {
				out[i] = h
			} else {
				need = append(need, x)
			}
		}
	}
	if len(need) == 0 {
		return out, nil
	}
	hs, err := r.st.ReadHashes(need)
	if err != nil {
		return nil, err
	}
	if len(hs) != len(need) {
		return nil, fmt.Errorf("storage returned %d hashes for %d indexes", len(hs), len(need))
	}
	if r.old == nil {
		r.old = map[int64]Hash{}
	}
	for i, x := range need {
		r.old[x] = hs[i]
	}
	for i, x := range indexes {
		if x < r.start {
			out[i] = r.old[x]
		}
	}
	return out, nil
}

// reader checks the storage's answers, so a Storage that returns too few
// hashes is an error and not a panic in tlog.
type reader struct{ st Storage }

func (r reader) ReadHashes(indexes []int64) ([]Hash, error) {
	hs, err := r.st.ReadHashes(indexes)
	if err != nil {
		return nil, err
	}
	if len(hs) != len(indexes) {
		return nil, fmt.Errorf("storage returned %d hashes for %d indexes", len(hs), len(indexes))
	}
	return hs, nil
}

// within checks that 0 <= size <= the log's size.
func (l *Log) within(size int64) error {
	n, err := l.Size()
	if err != nil {
		return err
	}
	if size < 0 || size > n {
		return fmt.Errorf("translog: tree size %d: the log has %d records: %w", size, n, ErrRange)
	}
	return nil
}

// TreeHash returns the root hash of the tree of the first size records.
func (l *Log) TreeHash(size int64) (Hash, error) {
	if err := l.within(size); err != nil {
		return Hash{}, err
	}
	h, err := tlog.TreeHash(size, reader{l.st})
	if err != nil {
		return Hash{}, fmt.Errorf("translog: root of tree %d: %w", size, err)
	}
	return h, nil
}

// ProveInclusion returns the proof that record index is in the tree of the
// first size records.
func (l *Log) ProveInclusion(index, size int64) (RecordProof, error) {
	if err := l.within(size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("translog: prove record %d in tree %d: %w", index, size, ErrRange)
	}
	p, err := tlog.ProveRecord(size, index, reader{l.st})
	if err != nil {
		return nil, fmt.Errorf("translog: prove record %d in tree %d: %w", index, size, err)
	}
	return p, nil
}

// ProveConsistency returns the proof that the tree of newSize records
// contains the tree of oldSize records. It is empty when oldSize is 0 or
// equal to newSize.
func (l *Log) ProveConsistency(oldSize, newSize int64) (TreeProof, error) {
	if err := l.within(newSize); err != nil {
		return nil, err
	}
	if oldSize < 0 || oldSize > newSize {
		return nil, fmt.Errorf("translog: prove tree %d in tree %d: %w", oldSize, newSize, ErrRange)
	}
	if oldSize == 0 {
		return TreeProof{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, reader{l.st})
	if err != nil {
		return nil, fmt.Errorf("translog: prove tree %d in tree %d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// Checkpoint returns the checkpoint of the log's current tree and the
// signed note of it, signed by s, whose name must be the log's origin.
func (l *Log) Checkpoint(s Signer) (Checkpoint, []byte, error) {
	n, err := l.Size()
	if err != nil {
		return Checkpoint{}, nil, err
	}
	h, err := l.TreeHash(n)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	c := Checkpoint{Origin: l.origin, Size: n, Hash: h}
	msg, err := c.Sign(s)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	return c, msg, nil
}

// Bundle returns the proof bundle of record index against the signed
// checkpoint, which must be one of this log's (its origin, and its root at
// its size) and contain the record.
func (l *Log) Bundle(index int64, signedCheckpoint []byte) (*Bundle, error) {
	c, err := readUnverified(signedCheckpoint)
	if err != nil {
		return nil, err
	}
	if c.Origin != l.origin {
		return nil, fmt.Errorf("translog: bundle: checkpoint origin %q, this log is %q: %w", c.Origin, l.origin, ErrOrigin)
	}
	h, err := l.TreeHash(c.Size)
	if err != nil {
		return nil, err
	}
	if h != c.Hash {
		return nil, fmt.Errorf("translog: bundle: checkpoint root %s differs from this log's %s at size %d: %w", c.Hash, h, c.Size, ErrInconsistent)
	}
	p, err := l.ProveInclusion(index, c.Size)
	if err != nil {
		return nil, err
	}
	return &Bundle{Index: index, TreeSize: c.Size, Proof: p, Checkpoint: string(signedCheckpoint)}, nil
}
