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
