package oscal

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nistFile reads testdata/nist/name, gunzipping .gz files.
func nistFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "nist", name))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(name) == ".gz" {
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// countControls counts controls (enhancements included) that are not
// withdrawn, walking the JSON independently of the importer.
func countControls(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "controls" {
				for _, ctl := range c.([]any) {
					withdrawn := false
					if ps, ok := ctl.(map[string]any)["props"].([]any); ok {
						for _, p := range ps {
							pm := p.(map[string]any)
							withdrawn = withdrawn || pm["name"] == "status" && pm["value"] == "withdrawn"
						}
					}
					if !withdrawn {
						n++
					}
					n += countControls(ctl)
				}
				continue
			}
			n += countControls(c)
		}
	case []any:
		for _, e := range x {
			n += countControls(e)
		}
	}
	return n
}

// TestImportNIST imports NIST's SP 800-53 rev5 catalog (the MODERATE
// resolved catalog stands in for the full one, see testdata/README.md) and
// then the LOW and MODERATE baseline profiles against it as imported.
func TestImportNIST(t *testing.T) {
	v := newValidator(t)
	base := loadCatalog(t)
	cat := nistFile(t, "moderate-resolved_catalog.json.gz")
	var raw any
	if err := json.Unmarshal(cat, &raw); err != nil {
		t.Fatal(err)
	}
	want := countControls(raw)
	// Named as the file the profiles import.
	im, err := ImportFiles([]File{{Name: "NIST_SP-800-53_rev5_catalog.json", Data: cat}}, base, v, DefaultLimits())
	if err != nil {
		t.Fatalf("import catalog: %v", err)
	}
	if len(im.Schemes) != 1 || len(im.Schemes[0].Provisions) != want {
		t.Fatalf("catalog imported as %d schemes, first with %d provisions; want 1 with %d", len(im.Schemes), len(im.Schemes[0].Provisions), want)
	}
	t.Logf("catalog %s: %d controls imported", im.Schemes[0].Slug, want)
	for _, tc := range []struct{ file string }{{"LOW-baseline_profile.json"}, {"MODERATE-baseline_profile.json"}} {
		t.Run(tc.file, func(t *testing.T) {
			data := nistFile(t, tc.file)
			var p struct {
				Profile struct {
					Imports []struct {
						Include []struct {
							WithIDs []string `json:"with-ids"`
						} `json:"include-controls"`
					} `json:"imports"`
				} `json:"profile"`
			}
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatal(err)
			}
			sel := map[string]bool{}
			for _, i := range p.Profile.Imports {
				for _, in := range i.Include {
					for _, id := range in.WithIDs {
						sel[id] = true
					}
				}
			}
			got, err := ImportFiles([]File{{Name: tc.file, Data: data}}, im.Catalog, v, DefaultLimits())
			if err != nil {
				t.Fatalf("import %s: %v", tc.file, err)
			}
			if len(got.Schemes) != 1 || len(got.Schemes[0].Provisions) != len(sel) {
				t.Fatalf("%s imported as %d schemes; want one with %d provisions", tc.file, len(got.Schemes), len(sel))
			}
			t.Logf("%s: scheme %s with %d controls", tc.file, got.Schemes[0].Slug, len(sel))
		})
	}
	// Catalog and both baselines in one call: the baselines become levels.
	one, err := ImportFiles([]File{{Name: "NIST_SP-800-53_rev5_catalog.json", Data: cat},
		{Name: "LOW-baseline_profile.json", Data: nistFile(t, "LOW-baseline_profile.json")},
		{Name: "MODERATE-baseline_profile.json", Data: nistFile(t, "MODERATE-baseline_profile.json")}}, base, v, DefaultLimits())
	if err != nil {
		t.Fatalf("import catalog and baselines together: %v", err)
	}
	perLevel := map[string]int{}
	for _, p := range one.Schemes[0].Provisions {
		for _, l := range p.Levels {
			perLevel[l]++
		}
	}
	// The stand-in catalog is the MODERATE selection, so every control is
	// in a baseline and no "all-controls" level is needed.
	wantLevels := map[string]int{"nist-special-publication-800-53-revision-5-1-1-low-impact": 149,
		"nist-special-publication-800-53-revision-5-1-1-moderate-impact": want}
	if diff := cmp.Diff(wantLevels, perLevel); diff != "" {
		t.Errorf("controls per level (-want +got):\n%s", diff)
	}
	// Without the catalog imported first, a profile is refused naming it.
	_, err = ImportFiles([]File{{Name: "LOW-baseline_profile.json", Data: nistFile(t, "LOW-baseline_profile.json")}}, base, v, DefaultLimits())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`"#84cbf061-eb87-4ec1-8112-1f529232e907" (NIST_SP-800-53_rev5_catalog.xml, NIST_SP-800-53_rev5_catalog.json`)) {
		t.Errorf("profile without its catalog: %v, want an error naming the href", err)
	}
}

// TestImportThirdPartyFiles imports a catalog without any iotsec prop and a
// profile of it in the same call, the profile reaching the catalog in the
// ways OSCAL allows; an href nobody knows is refused naming it.
func TestImportThirdPartyFiles(t *testing.T) {
	v := newValidator(t)
	base := loadCatalog(t)
	cat := []byte(`{"catalog":{"uuid":"11111111-1111-4111-8111-111111111111","metadata":{"title":"Third Party Controls","version":"1",` +
		`"oscal-version":"1.2.2","last-modified":"2026-01-01T00:00:00Z","links":[{"href":"https://example.org/tp","rel":"reference"}]},` +
		`"controls":[{"id":"a-1","title":"A","controls":[{"id":"a-1.1","title":"A one"}]},{"id":"b-1","title":"B"},` +
		`{"id":"c-1","title":"C","props":[{"name":"status","value":"withdrawn"}]}]}}`)
	profile := func(href string) []byte {
		return []byte(`{"profile":{"uuid":"22222222-2222-4222-8222-222222222222","metadata":{"title":"Baseline","version":"1",` +
			`"oscal-version":"1.2.2","last-modified":"2026-01-01T00:00:00Z"},"imports":[{"href":"` + href +
			`","include-controls":[{"with-ids":["a-1.1","b-1"]}]}]}}`)
	}
	for _, tc := range []struct {
		name, href, wantErr string
	}{
		{"by file name", "../catalogs/tp.catalog.json", ""},
		{"by UUID", "#11111111-1111-4111-8111-111111111111", ""},
		{"unknown", "https://example.org/other.json", `no catalog "https://example.org/other.json"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := ImportFiles([]File{{Name: "tp.catalog.json", Data: cat}, {Name: "p.json", Data: profile(tc.href)}}, base, v, DefaultLimits())
			if tc.wantErr != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.wantErr)) {
					t.Fatalf("ImportFiles = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := im.Schemes[0]
			var got []string
			for _, p := range s.Provisions {
				got = append(got, p.ID+":"+fmt.Sprint(p.Levels))
			}
			want := []string{"a-1:[all-controls]", "a-1.1:[baseline all-controls]", "b-1:[baseline all-controls]"}
			if s.Slug != "third-party-controls" || !slices.Equal(got, want) || s.Source.URL != "https://example.org/tp" {
				t.Errorf("scheme %s source %s provisions %v, want third-party-controls, https://example.org/tp, %v", s.Slug, s.Source.URL, got, want)
			}
		})
	}
}
