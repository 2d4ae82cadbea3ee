package oscal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds arbitrary bytes to the OSCAL importer: it must return a
// result or an *ImportError, never panic or hang. Run with a short
// -fuzzminimizetime: minimising a bundle through the schema check is slow.
func FuzzImport(f *testing.F) {
	base := loadCatalog(f)
	v := newValidator(f)
	for _, name := range []string{"acme-bundle.json", "broken-bundle.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"profile":{"uuid":"x","imports":[{"href":"#x"}]}}`))
	low, err := os.ReadFile(filepath.Join("testdata", "nist", "LOW-baseline_profile.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(low)
	f.Add([]byte(`{"catalog":{"uuid":"u","metadata":{"title":"T","version":"1","oscal-version":"1.2.2","last-modified":"2026-01-01T00:00:00Z"},"controls":[{"id":"a-1","title":"A"}]}}`))
	f.Add([]byte(`[{"mapping-collection":{"mappings":[]}}]`))
	lim := DefaultLimits()
	lim.MaxBytes = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Import(data, base, v, lim)
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("Import returned %T %v, want *ImportError", err, err)
		}
	})
}

// FuzzImportFiles imports a catalog and a profile as two files of one call,
// so a profile may reach the catalog by file name or UUID: never a panic,
// only a result or an *ImportError.
func FuzzImportFiles(f *testing.F) {
	base := loadCatalog(f)
	v := newValidator(f)
	cat := []byte(`{"catalog":{"uuid":"11111111-1111-4111-8111-111111111111","metadata":{"title":"Third party","version":"1",` +
		`"oscal-version":"1.2.2","last-modified":"2026-01-01T00:00:00Z","links":[{"href":"https://example.org/tp","rel":"reference"}]},` +
		`"controls":[{"id":"a-1","title":"A","controls":[{"id":"a-1.1","title":"A one"}]},{"id":"b-1","title":"B"}]}}`)
	prof := []byte(`{"profile":{"uuid":"22222222-2222-4222-8222-222222222222","metadata":{"title":"Baseline","version":"1",` +
		`"oscal-version":"1.2.2","last-modified":"2026-01-01T00:00:00Z"},"imports":[{"href":"cat.json","include-controls":[{"with-ids":["a-1.1"]}]}]}}`)
	f.Add(cat, prof)
	f.Add(cat, []byte(`{"profile":{"uuid":"x","imports":[{"href":"#11111111-1111-4111-8111-111111111111"}]}}`))
	lim := DefaultLimits()
	lim.MaxBytes = 1 << 16
	f.Fuzz(func(t *testing.T, a, b []byte) {
		_, err := ImportFiles([]File{{Name: "cat.json", Data: a}, {Name: "prof.json", Data: b}}, base, v, lim)
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("ImportFiles returned %T %v, want *ImportError", err, err)
		}
	})
}
