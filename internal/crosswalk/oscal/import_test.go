package oscal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	o "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// baseWithout returns the embedded catalog minus one scheme and everything
// that refers to it, so the scheme can be imported again.
func baseWithout(tb testing.TB, slug string) *crosswalk.Catalog {
	tb.Helper()
	c, err := baseWithoutErr(slug)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func baseWithoutErr(slug string) (*crosswalk.Catalog, error) {
	d, err := crosswalk.Embedded()
	if err != nil {
		return nil, err
	}
	// Profiles of a removed scheme go with it.
	gone := map[string]bool{slug: true}
	for more := true; more; {
		more = false
		for _, s := range d.Schemes {
			if s.Profile != nil && gone[s.Profile.Of] && !gone[s.Slug] {
				gone[s.Slug], more = true, true
			}
		}
	}
	var keep []crosswalk.Scheme
	for _, s := range d.Schemes {
		if !gone[s.Slug] {
			s.Basis = slices.DeleteFunc(s.Basis, func(b string) bool { return gone[b] })
			keep = append(keep, s)
		}
	}
	d.Schemes = keep
	d.Vocabulary.Hubs = slices.DeleteFunc(d.Vocabulary.Hubs, func(h string) bool { return gone[h] })
	var maps []crosswalk.MappingSet
	for _, m := range d.Mappings {
		if !gone[m.From] && !gone[m.To] {
			maps = append(maps, m)
		}
	}
	d.Mappings = maps
	var ags []crosswalk.Agreement
	for _, a := range d.Agreements {
		uses := false
		for _, e := range a.Edges {
			uses = uses || gone[e.From.Scheme] || gone[e.To.Scheme]
		}
		if !uses {
			ags = append(ags, a)
		}
	}
	d.Agreements = ags
	c, err := crosswalk.Build(d)
	if err != nil {
		return nil, fmt.Errorf("Build(without %s) = %w", slug, err)
	}
	return c, nil
}

type provRow struct {
	ID, Title, Kind, Category string
	Conditional               bool
	Levels                    []string
}

func rows(s crosswalk.Scheme) []provRow {
	var out []provRow
	for _, p := range s.Provisions {
		levels := p.Levels
		// No levels and every level mean the same: required throughout.
		if len(levels) == len(s.Levels) {
			levels = nil
		}
		out = append(out, provRow{p.ID, p.Title, p.Kind, p.Category, p.Conditional, levels})
	}
	return out
}

// TestRoundTrip exports schemes and their mappings as one bundle and
// imports them into a catalog that lacks them.
func TestRoundTrip(t *testing.T) {
	v := newValidator(t)
	full := loadCatalog(t)
	for _, slug := range []string{"sg-cls", "uk-psti", "iec-62443-4-2", "etsi-ts-103-701"} {
		t.Run(slug, func(t *testing.T) {
			want, err := full.Scheme(slug)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ExportScheme(want, exportTime)
			if err != nil {
				t.Fatal(err)
			}
			b.Mappings = exportSets(full, want)
			data, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			im, err := Import(data, baseWithout(t, slug), v, DefaultLimits())
			if err != nil {
				t.Fatalf("Import(export of %s) = %v", slug, err)
			}
			got, err := im.Catalog.Scheme(slug)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rows(want), rows(got)); diff != "" {
				t.Errorf("Import(export of %s) provisions mismatch (-want +got):\n%s", slug, diff)
			}
			if diff := cmp.Diff(want.Levels, got.Levels); diff != "" {
				t.Errorf("Import(export of %s) levels mismatch (-want +got):\n%s", slug, diff)
			}
			wantMaps, gotMaps := 0, 0
			for _, m := range full.MappingSets(slug) {
				if m.From == slug {
					wantMaps += len(m.Maps)
				}
			}
			for _, m := range im.Catalog.MappingSets(slug) {
				if m.From == slug {
					gotMaps += len(m.Maps)
				}
			}
			// Profile refs come back both as the imported mapping and as
			// nothing else: the imported scheme is no longer a profile.
			if gotMaps != wantMaps {
				t.Errorf("Import(export of %s) maps = %d, want %d", slug, gotMaps, wantMaps)
			}
		})
	}
}

// TestImportBroken checks that a deliberately broken bundle fails with an
// error naming each problem.
func TestImportBroken(t *testing.T) {
	v := newValidator(t)
	data, err := os.ReadFile(filepath.Join("testdata", "broken-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Import(data, loadCatalog(t), v, DefaultLimits())
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("Import(broken-bundle.json) = %v, want *ImportError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`duplicate control ID "p-a-1"`,
		`dangling reference: control "p-a-9" is not in catalog "Acme IoT baseline"`,
		`profile import cycle: profile "Level X" -> profile "Level Y" -> profile "Level X"`,
		`dangling reference: target "p-nowhere" is not a control of etsi-en-303-645`,
		`dangling reference: no catalog "#00000000-0000-4000-8000-00000000dead"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Import(broken-bundle.json) error does not name %q; got:\n%s", want, msg)
		}
	}
}

// TestImportGood imports a hand-written scheme with a level and a mapping
// onto EN 303 645 and compares it through the hub.
func TestImportGood(t *testing.T) {
	v := newValidator(t)
	data, err := os.ReadFile(filepath.Join("testdata", "acme-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := Import(data, loadCatalog(t), v, DefaultLimits())
	if err != nil {
		t.Fatalf("Import(acme-bundle.json) = %v", err)
	}
	res, err := im.Catalog.Compare(crosswalk.SchemeRef{Slug: "acme-iot"}, crosswalk.SchemeRef{Slug: "uk-psti"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range res.Provisions {
		got[p.ID] = p.Coverage
	}
	want := map[string]string{"A-1": crosswalk.CoverPartial, "A-2": crosswalk.CoverNone}
	if diff := cmp2(want, got); diff != "" {
		t.Errorf("Compare(acme-iot, uk-psti) coverage mismatch (-want +got):\n%s", diff)
	}
}

func cmp2(a, b any) string { return cmp.Diff(a, b) }

func TestImportLimits(t *testing.T) {
	v := newValidator(t)
	base := loadCatalog(t)
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	lim := DefaultLimits()
	for _, tc := range []struct {
		name string
		data string
		lim  Limits
		want string
	}{
		{"depth", deep, lim, "nested deeper than 64"},
		{"size", `{"catalog":{}}`, Limits{MaxBytes: 4, MaxDepth: 64, MaxDocuments: 1}, "limit 4"},
		{"empty", "  ", lim, "empty file"},
		{"not json", "{", lim, "JSON"},
		{"unknown model", `{"system-security-plan":{}}`, lim, `unsupported model "system-security-plan"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import([]byte(tc.data), base, v, tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Import(%s) = %v, want error containing %q", tc.name, err, tc.want)
			}
		})
	}
}

// exportSets exports the mapping sets from s, as "scheme export" does: a
// profile's own equal-to set travels as the controls' ref props instead.
func exportSets(c *crosswalk.Catalog, s crosswalk.Scheme) []o.MappingCollection {
	var out []o.MappingCollection
	for _, m := range c.MappingSets(s.Slug) {
		if m.From == s.Slug && (s.Profile == nil || m.ID != "profile:"+s.Slug+"--"+s.Profile.Of) {
			out = append(out, ExportMappingSet(m, exportTime))
		}
	}
	return out
}

// exportFiles exports a scheme as one file per document.
func exportFiles(t *testing.T, c *crosswalk.Catalog, slug string) []File {
	t.Helper()
	s, err := c.Scheme(slug)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ExportScheme(s, exportTime)
	if err != nil {
		t.Fatal(err)
	}
	b.Mappings = exportSets(c, s)
	var out []File
	for _, d := range b.Documents() {
		body, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Name: d.Name, Data: body})
	}
	return out
}

// TestRoundTripEveryScheme exports every embedded scheme one document per
// file, imports the files into a catalog without the scheme and exports
// again: every document must come back byte for byte, and validate.
func TestRoundTripEveryScheme(t *testing.T) {
	v := newValidator(t)
	full := loadCatalog(t)
	docs := 0
	for _, slug := range full.Slugs() {
		t.Run(slug, func(t *testing.T) {
			first := exportFiles(t, full, slug)
			base := baseWithout(t, slug)
			im, err := ImportFiles(first, base, v, DefaultLimits())
			if err != nil {
				t.Fatalf("ImportFiles(export of %s) = %v", slug, err)
			}
			second := exportFiles(t, im.Catalog, slug)
			if diff := cmp.Diff(names(first), names(second)); diff != "" {
				t.Fatalf("files differ (-first +second):\n%s", diff)
			}
			for i := range first {
				if err := v.Validate(first[i].Name, json.RawMessage(first[i].Data)); err != nil {
					t.Errorf("Validate(%s) = %v", first[i].Name, err)
				}
				docs++
				if diff := cmp.Diff(string(first[i].Data), string(second[i].Data)); diff != "" {
					t.Errorf("%s changed on export -> import -> export (-first +second):\n%s", first[i].Name, diff)
				}
			}
		})
	}
	t.Logf("%d documents validated and identical after a round trip", docs)
}

func names(fs []File) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}
