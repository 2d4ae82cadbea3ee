package oscal

import (
	"testing"
	"time"

	o "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

var exportTime = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

func newValidator(tb testing.TB) *Validator {
	tb.Helper()
	v, err := NewValidator()
	if err != nil {
		tb.Fatalf("NewValidator() = %v", err)
	}
	return v
}

func loadCatalog(tb testing.TB) *crosswalk.Catalog {
	tb.Helper()
	c, err := crosswalk.Load()
	if err != nil {
		tb.Fatalf("catalog.Load() = %v", err)
	}
	return c
}

// TestExportValidates exports every embedded scheme, level profile and
// mapping set and checks each document against the OSCAL 1.2.2 schema.
func TestExportValidates(t *testing.T) {
	v := newValidator(t)
	c := loadCatalog(t)
	for _, slug := range c.Slugs() {
		t.Run(slug, func(t *testing.T) {
			s, err := c.Scheme(slug)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ExportScheme(s, exportTime)
			if err != nil {
				t.Fatalf("ExportScheme(%s) = %v", slug, err)
			}
			if len(b.Profiles) != len(s.Levels) {
				t.Errorf("ExportScheme(%s) profiles = %d, want one per level (%d)", slug, len(b.Profiles), len(s.Levels))
			}
			if err := v.ValidateBundle(b); err != nil {
				t.Errorf("ValidateBundle(%s) = %v", slug, err)
			}
		})
	}
	for _, m := range c.MappingSets("") {
		t.Run(m.ID, func(t *testing.T) {
			mc := ExportMappingSet(m, exportTime)
			if err := v.ValidateBundle(Bundle{Mappings: []o.MappingCollection{mc}}); err != nil {
				t.Errorf("ValidateBundle(%s) = %v", m.ID, err)
			}
		})
	}
}

// TestValidatorRejects shows the schema check can fail: a control ID that
// is not an OSCAL token and a mapping with an empty relationship.
func TestValidatorRejects(t *testing.T) {
	v := newValidator(t)
	c := loadCatalog(t)
	s, err := c.Scheme("uk-psti")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ExportScheme(s, exportTime)
	if err != nil {
		t.Fatal(err)
	}
	(*(*b.Catalogs[0].Groups)[0].Controls)[0].ID = "1 bad id"
	if err := v.ValidateBundle(b); err == nil {
		t.Errorf("ValidateBundle(control ID %q) = nil, want a schema error", "1 bad id")
	}
	mc := ExportMappingSet(c.MappingSets("uk-psti")[0], exportTime)
	mc.Mappings.Maps[0].Sources = nil
	if err := v.ValidateBundle(Bundle{Mappings: []o.MappingCollection{mc}}); err == nil {
		t.Errorf("ValidateBundle(map without sources) = nil, want a schema error")
	}
}
