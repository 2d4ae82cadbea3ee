package supply_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/supply"
)

// failingStore is a real store whose VulnWriter fails (or panics) on the
// nth PutAdvisories call of an import.
type failingStore struct {
	*sqlstore.Store
	n     int
	panic bool
	calls atomic.Int32
}

var errDiskFull = errors.New("disk full")

func (f *failingStore) ImportVulns(ctx context.Context, imp *iotsec.VulnImport, fn func(w iotsec.VulnWriter) error) error {
	return f.Store.ImportVulns(ctx, imp, func(w iotsec.VulnWriter) error {
		return fn(failingWriter{w, f})
	})
}

type failingWriter struct {
	iotsec.VulnWriter
	f *failingStore
}

func (w failingWriter) PutAdvisories(ctx context.Context, rs []iotsec.VulnRecord) error {
	if int(w.f.calls.Add(1)) == w.f.n {
		if w.f.panic {
			panic("driver bug")
		}
		return errDiskFull
	}
	return w.VulnWriter.PutAdvisories(ctx, rs)
}

// TestImportStoreFailure: the importer writes batches on another
// goroutine while it parses the next; a store error (or panic) there
// stops the import, is reported as the store's error rather than a
// problem of the file, and leaves nothing behind.
func TestImportStoreFailure(t *testing.T) {
	const n = 5000 // batches of 2,000, 2,000 and 1,000
	path := filepath.Join(t.TempDir(), "nvdcve-2.0-2000.json")
	writeFeed(t, newFeedGen(1000, 1), path, n)
	ctx := context.Background()
	for _, kind := range storeKinds {
		for _, tc := range []struct {
			name  string
			at    int
			panic bool
		}{{"first", 1, false}, {"middle", 2, false}, {"last", 3, false}, {"panic", 2, true}} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				st := benchStore(t, kind, t.TempDir())
				fs := &failingStore{Store: st, n: tc.at, panic: tc.panic}
				_, err := supply.New(fs, nil).Import(ctx, "t", path, "")
				switch {
				case err == nil:
					t.Fatal("Import succeeded")
				case errors.Is(err, iotsec.ErrInvalid):
					t.Fatalf("a store failure reported as bad input: %v", err)
				case tc.panic && !strings.Contains(err.Error(), "panic: driver bug"):
					t.Fatalf("err = %v, want the panic", err)
				case !tc.panic && !errors.Is(err, errDiskFull):
					t.Fatalf("err = %v, want %v", err, errDiskFull)
				}
				if got := int(fs.calls.Load()); got != tc.at {
					t.Errorf("%d batches written, failure at batch %d", got, tc.at)
				}
				srcs, imps, err := st.VulnSources(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range srcs {
					if s.Records != 0 {
						t.Errorf("%s: %d records left by a failed import", s.Kind, s.Records)
					}
				}
				if len(imps) != 0 {
					t.Errorf("failed import recorded: %+v", imps)
				}
				// The same store imports the file whole afterwards.
				fs.n = -1
				imp, err := supply.New(fs, nil).Import(ctx, "t", path, "")
				if err != nil || imp.Records != n {
					t.Fatalf("second Import = %d records, %v", imp.Records, err)
				}
			})
		}
	}
}
