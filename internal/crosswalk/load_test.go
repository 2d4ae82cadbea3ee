package crosswalk

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(tb testing.TB) *Catalog {
	tb.Helper()
	c, err := Load()
	if err != nil {
		tb.Fatalf("Load() = %v", err)
	}
	return c
}

func TestLoadEmbedded(t *testing.T) {
	c := mustLoad(t)
	want := []string{"au-smart-devices", "de-it-sik", "en-18031-1", "en-18031-2", "en-18031-3", "etsi-en-303-645",
		"etsi-ts-103-701", "eu-cra", "fi-label", "iec-62443-4-2", "iec-81001-5-1", "ioxt", "iso-sae-21434", "jp-jc-star",
		"kr-cic", "nist-ir-8259a", "nist-ir-8259b", "nist-ir-8425", "psa-certified", "sg-cls", "uk-psti", "unece-r155",
		"us-cyber-trust-mark", "us-fda-524b"}
	if diff := cmp.Diff(want, c.Slugs()); diff != "" {
		t.Errorf("Slugs() mismatch (-want +got):\n%s", diff)
	}
}

// TestEN303645Provisions pins the 68 provisions of EN 303 645 V2.1.1 and
// their mandatory/recommended split per clause (schemes.md table).
func TestEN303645Provisions(t *testing.T) {
	c := mustLoad(t)
	s, err := c.Scheme("etsi-en-303-645")
	if err != nil {
		t.Fatal(err)
	}
	type split struct{ M, R int }
	want := map[string]split{
		"4": {1, 0}, "5.1": {5, 0}, "5.2": {1, 2}, "5.3": {7, 9}, "5.4": {4, 0}, "5.5": {4, 4}, "5.6": {3, 6},
		"5.7": {0, 2}, "5.8": {2, 1}, "5.9": {0, 3}, "5.10": {0, 1}, "5.11": {1, 3}, "5.12": {0, 3}, "5.13": {1, 0}, "6": {4, 1},
	}
	got := map[string]split{}
	for _, p := range s.Provisions {
		sp := got[p.Category]
		switch p.Kind {
		case KindMandatory:
			sp.M++
		case KindRecommended:
			sp.R++
		default:
			t.Errorf("provision %s kind = %q", p.ID, p.Kind)
		}
		got[p.Category] = sp
		if !strings.HasPrefix(p.ID, p.Category+"-") {
			t.Errorf("provision %s in category %s", p.ID, p.Category)
		}
		if p.Statement == "" || p.TextKind != "paraphrase" {
			t.Errorf("provision %s: statement %q text_kind %q, want an own paraphrase", p.ID, p.Statement, p.TextKind)
		}
	}
	if len(s.Provisions) != 68 {
		t.Errorf("len(provisions) = %d, want 68", len(s.Provisions))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("split per clause mismatch (-want +got):\n%s", diff)
	}
}

func TestEverySchemeHasSource(t *testing.T) {
	c := mustLoad(t)
	for _, slug := range c.Slugs() {
		s, _ := c.Scheme(slug)
		if !strings.HasPrefix(s.Source.URL, "https://") || s.Licence == "" {
			t.Errorf("scheme %s: source %q licence %q, want an https source and a licence note", slug, s.Source.URL, s.Licence)
		}
	}
	for _, m := range c.MappingSets("") {
		if m.Citation.URL == "" {
			t.Errorf("mapping set %s has no citation URL", m.ID)
		}
	}
}

// TestEveryMappingEndpointExists walks every map of the loaded catalog
// (Build already refuses dangling ones; this guards the index too).
func TestEveryMappingEndpointExists(t *testing.T) {
	c := mustLoad(t)
	for _, m := range c.MappingSets("") {
		from, err := c.Scheme(m.From)
		if err != nil {
			t.Fatalf("mapping %s: %v", m.ID, err)
		}
		to, err := c.Scheme(m.To)
		if err != nil {
			t.Fatalf("mapping %s: %v", m.ID, err)
		}
		for _, mp := range m.Maps {
			for _, id := range mp.Sources {
				if _, ok := from.Provision(id); !ok {
					t.Errorf("mapping %s: source %s not in %s", m.ID, id, m.From)
				}
			}
			for _, id := range mp.Targets {
				if _, ok := to.Provision(id); !ok {
					t.Errorf("mapping %s: target %s not in %s", m.ID, id, m.To)
				}
			}
		}
	}
}

// TestBuildReportsEveryProblem breaks the embedded data in several ways
// and checks each break is named.
func TestBuildReportsEveryProblem(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	d.Schemes = append(d.Schemes, d.Schemes[0]) // duplicate slug
	for i := range d.Schemes {
		switch d.Schemes[i].Slug {
		case "uk-psti":
			d.Schemes[i].Source.URL = ""
			d.Schemes[i].Dates.InForce = "2024-13-45"
			d.Schemes[i].Provisions = append(d.Schemes[i].Provisions, d.Schemes[i].Provisions[0])
		case "sg-cls":
			d.Schemes[i].Provisions[0].MinLevel = "9"
		}
	}
	d.Mappings = append(d.Mappings, MappingSet{ID: "bad", From: "uk-psti", To: "etsi-en-303-645", Provenance: ProvenanceExpert,
		Citation: Ref{URL: "https://example.org"}, Confidence: High,
		Maps: []Map{{Sources: []string{"9"}, Targets: []string{"5.99-1"}, Relationship: "same-as", Rationale: "x"}}})
	d.Agreements[0].Edges[0].To.Level = "7"
	_, err = Build(d)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Build(broken) = %v, want *ValidationError", err)
	}
	for _, want := range []string{
		"scheme au-smart-devices: duplicate slug",
		"scheme uk-psti: no source URL",
		`scheme uk-psti: in_force date "2024-13-45" does not parse`,
		"scheme uk-psti: provision 1: duplicate ID",
		"scheme sg-cls: provision 4-1: min_level 9 does not exist",
		"source 9 is not a provision of uk-psti",
		"target 5.99-1 is not a provision of etsi-en-303-645",
		`relationship "same-as" is not an OSCAL 1.2 relationship`,
		"agreement sg-fi-2021: edge #1 to level 7 does not exist in sg-cls",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Build(broken) error does not name %q", want)
		}
	}
}

func TestWithRejectsClash(t *testing.T) {
	c := mustLoad(t)
	s, _ := c.Scheme("uk-psti")
	if _, err := c.With([]Scheme{s}, nil, nil); err == nil || !strings.Contains(err.Error(), "already in the catalog") {
		t.Errorf("With(uk-psti again) = %v, want a slug clash", err)
	}
	s.Slug = "uk-psti-copy"
	c2, err := c.With([]Scheme{s}, nil, nil)
	if err != nil {
		t.Fatalf("With(uk-psti-copy) = %v", err)
	}
	if got := len(c2.Slugs()); got != len(c.Slugs())+1 {
		t.Errorf("With added %d schemes, want 1", got-len(c.Slugs()))
	}
}

func TestDate(t *testing.T) {
	for _, tc := range []struct {
		d     Date
		valid bool
	}{{"2024", true}, {"2024-04", true}, {"2024-04-29", true}, {"", true}, {"2024-4-29", false}, {"29/04/2024", false}, {"2024-02-30", false}} {
		if got := tc.d.Valid(); got != tc.valid {
			t.Errorf("Date(%q).Valid() = %v, want %v", tc.d, got, tc.valid)
		}
	}
}

// TestSchemeValidity pins the validity rules the catalog holds as data
// (the registry computes grant periods and renewal windows from them) and
// that a broken rule is reported.
func TestSchemeValidity(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		slug           string
		months, window int
		none           bool
	}{
		{slug: "de-it-sik", months: 24, window: 90},
		{slug: "sg-cls", months: 36, window: 90},
		{slug: "jp-jc-star", months: 24, window: 90},
		{slug: "etsi-en-303-645", none: true},
	}
	for _, tt := range tests {
		s, err := c.Scheme(tt.slug)
		if err != nil {
			t.Fatal(err)
		}
		if tt.none {
			if s.Validity != nil {
				t.Errorf("%s: validity %+v, want none", tt.slug, *s.Validity)
			}
			continue
		}
		if s.Validity == nil {
			t.Fatalf("%s: no validity", tt.slug)
		}
		if s.Validity.Months != tt.months || s.Validity.RenewalWindowDays != tt.window || s.Validity.Source == "" {
			t.Errorf("%s: validity %+v, want %d months, %d days and a source", tt.slug, *s.Validity, tt.months, tt.window)
		}
	}
	d := c.Data()
	for i := range d.Schemes {
		if d.Schemes[i].Slug == "sg-cls" {
			d.Schemes[i].Validity = &Validity{Months: 0, RenewalWindowDays: -1}
		}
	}
	_, err := Build(d)
	for _, want := range []string{"scheme sg-cls: validity months 0 is not 1..120", "renewal_window_days -1", "scheme sg-cls: validity has no source"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Build(bad validity) = %v, want it to name %q", err, want)
		}
	}
	// Data hands out copies: the edit above did not reach the catalog.
	if s, _ := c.Scheme("sg-cls"); s.Validity == nil || s.Validity.Months != 36 {
		t.Errorf("the catalog's sg-cls validity changed through Data(): %+v", s.Validity)
	}
}
