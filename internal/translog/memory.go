package translog

import (
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Memory is a Storage in memory, for tests and the command line. Its
// Append refuses a stale size (ErrConflict), so concurrent Log.Append
// calls on one Memory fail rather than corrupt the tree; callers that
// append from several goroutines serialise them. Records are kept in one
// buffer, so a million-record log costs the records' bytes, 8 bytes of
// offset and about 64 bytes of stored hashes per record.
type Memory struct {
	mu     sync.RWMutex
	hashes []Hash
	data   []byte  // the records, one after the other
	ends   []int64 // ends[i]: the end of record i in data
}

// NewMemory returns an empty in-memory log storage.
func NewMemory() *Memory { return &Memory{} }

// ReadHashes returns the stored hashes at the given indexes.
func (m *Memory) ReadHashes(indexes []int64) ([]Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("translog: stored hash %d of %d: %w", x, len(m.hashes), ErrRange)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Size returns the number of records.
func (m *Memory) Size() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.ends)), nil
}

// Append stores records and their stored hashes at size, which must be the
// current size.
func (m *Memory) Append(size int64, records [][]byte, hashes []Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size != int64(len(m.ends)) {
		return fmt.Errorf("translog: append at %d to a log of %d: %w", size, len(m.ends), ErrConflict)
	}
	if want := tlog.StoredHashCount(size+int64(len(records))) - tlog.StoredHashCount(size); int64(len(hashes)) != want {
		return fmt.Errorf("translog: append of %d records with %d stored hashes, want %d", len(records), len(hashes), want)
	}
	m.hashes = append(m.hashes, hashes...)
	for _, r := range records {
		m.data = append(m.data, r...)
		m.ends = append(m.ends, int64(len(m.data)))
	}
	return nil
}

// Record returns a copy of record index.
func (m *Memory) Record(index int64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if index < 0 || index >= int64(len(m.ends)) {
		return nil, fmt.Errorf("translog: record %d of %d: %w", index, len(m.ends), ErrRange)
	}
	start := int64(0)
	if index > 0 {
		start = m.ends[index-1]
	}
	return append([]byte(nil), m.data[start:m.ends[index]]...), nil
}
