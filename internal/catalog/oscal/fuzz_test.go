package oscal

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzImport feeds arbitrary bytes to the OSCAL importer: it must return a
// result or an *ImportError, never panic or hang.
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
	s, _ := base.Scheme("uk-psti")
	bundle, err := ExportScheme(s, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	bundle.Mappings = append(bundle.Mappings, ExportMappingSet(base.MappingSets("uk-psti")[0], time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	b, _ := json.Marshal(bundle)
	f.Add(b)
	f.Add([]byte(`{"profile":{"uuid":"x","imports":[{"href":"#x"}]}}`))
	f.Add([]byte(`[{"mapping-collection":{"mappings":[]}}]`))
	lim := DefaultLimits()
	lim.MaxBytes = 1 << 18
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Import(data, base, v, lim)
		var ie *ImportError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("Import returned %T %v, want *ImportError", err, err)
		}
	})
}
