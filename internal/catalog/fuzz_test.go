package catalog_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// memStore keeps imports in memory: enough of iotsec.SchemeStore for the
// fuzzer to run Import at full speed without a database.
type memStore struct {
	mu  sync.Mutex
	ims []iotsec.SchemeImport
	rev int64
	n   int // IDs are never reused, so the library's cache stays right
}

// reset forgets every import, as a fresh database would.
func (m *memStore) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ims = nil
	m.rev++
}

func (m *memStore) CreateSchemeImport(_ context.Context, a iotsec.Actor, im *iotsec.SchemeImport) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := im.Normalize(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	im.ID, im.OrgID = fmt.Sprintf("imp_%d", m.n), a.OrgID
	m.ims = append(m.ims, *im)
	m.rev++
	return nil
}

func (m *memStore) GetSchemeImport(context.Context, iotsec.Actor, string) (iotsec.SchemeImport, error) {
	return iotsec.SchemeImport{}, iotsec.NotFound("scheme import")
}

func (m *memStore) ListSchemeImports(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeImport, error) {
	return m.LoadSchemeImports(ctx, a)
}

func (m *memStore) LoadSchemeImports(context.Context, iotsec.Actor) ([]iotsec.SchemeImport, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]iotsec.SchemeImport(nil), m.ims...), nil
}

func (m *memStore) SetSchemeVisibility(context.Context, iotsec.Actor, string, iotsec.Visibility) error {
	return iotsec.NotFound("scheme import")
}

func (m *memStore) DeleteSchemeImport(context.Context, iotsec.Actor, string) error {
	return iotsec.NotFound("scheme import")
}

func (m *memStore) SchemeRevision(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rev, nil
}

// FuzzImport feeds arbitrary files to Import: it must answer with a domain
// error or a result, never panic, and a file it takes must leave a catalog
// that still builds. Run with a short -fuzzminimizetime (3s): minimising a
// bundle through the schema check is slow enough to look like a hang.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"acme-bundle.json", "broken-bundle.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("from,to,sources,relationship,targets,rationale,citation_url\nuk-psti,sg-cls,1,subset-of,5.1-1;5.1-2,r,https://x.example\n"))
	f.Add([]byte("from,to\n\"unterminated"))
	f.Add([]byte(`{"catalog": {"uuid": "x", "metadata": {}}}`))
	f.Add([]byte(`[[[[{}]]]]`))
	// One library for every input: compiling the OSCAL schema takes a while.
	store := &memStore{}
	lib := catalog.New(store, loadBase(f))
	a := iotsec.Actor{OrgID: "org_fuzz", Role: iotsec.RoleOwner, Label: "fuzz"}
	f.Fuzz(func(t *testing.T, data []byte) {
		store.reset()
		res, err := lib.Import(context.Background(), a, catalog.ImportRequest{Data: data})
		if err != nil {
			if iotsec.Kind(err) == nil {
				// The validator is the only internal part; everything
				// about the file itself is the user's to fix.
				t.Fatalf("Import error of no domain kind: %v", err)
			}
			return
		}
		v, err := lib.For(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Skipped) > 0 {
			t.Fatalf("an accepted import does not merge: %+v", v.Skipped)
		}
		for _, s := range res.Schemes {
			if _, err := v.Scheme(s.Slug); err != nil {
				t.Fatalf("imported scheme %s not in the catalog: %v", s.Slug, err)
			}
		}
	})
}
