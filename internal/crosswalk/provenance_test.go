package crosswalk

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Issue 16: policy documents repeat what the catalog says about who must do
// what, so scope, levels and official mappings must each cite the clause
// they come from. These tests hold the embedded data to that, and check
// Build refuses data that breaks it.

func TestEverySchemeScopeCitesItsClause(t *testing.T) {
	c := mustLoad(t)
	for _, slug := range c.order {
		s := c.schemes[slug]
		if len(s.Scope) == 0 {
			t.Errorf("%s: no scope", slug)
			continue
		}
		cited := map[bool]map[string]string{false: {}, true: {}}
		for _, b := range s.Scope {
			if strings.TrimSpace(b.Source.Clause) == "" || b.Source.URL == "" {
				t.Errorf("%s: scope entry %v cites no clause or no URL", slug, b.Classes)
			}
			for _, cl := range b.Classes {
				cited[b.Excluded][cl] = b.Source.Clause
			}
		}
		for _, cl := range s.ProductClasses {
			if cited[false][cl] == "" {
				t.Errorf("%s: included class %s cites no clause", slug, cl)
			}
		}
		for _, cl := range s.ExcludedClasses {
			if cited[true][cl] == "" {
				t.Errorf("%s: excluded class %s cites no clause", slug, cl)
			}
		}
	}
}

func TestBuildRefusesUncitedScopeLevelAndOfficialMap(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(d *Data)
		want   string
	}{
		{"excluded class without a clause", func(d *Data) {
			s := schemeOf(d, "uk-psti")
			s.ExcludedClasses = append(s.ExcludedClasses, "printer")
		}, "scheme uk-psti: excluded class printer: no scope entry cites where it is excluded"},
		{"scope entry without clause", func(d *Data) {
			s := schemeOf(d, "au-smart-devices")
			s.Scope[1].Source.Clause = ""
		}, "scheme au-smart-devices: scope #2: no clause cited"},
		{"scope names a class the lists do not", func(d *Data) {
			s := schemeOf(d, "eu-cra")
			s.Scope[1].Classes = append(s.Scope[1].Classes, "smartphone")
		}, "class smartphone is not in the scheme's excluded_classes"},
		{"no scope at all", func(d *Data) {
			schemeOf(d, "ioxt").Scope = nil
		}, "scheme ioxt: no scope"},
		{"level without source", func(d *Data) {
			schemeOf(d, "sg-cls").Levels[1].Source = nil
		}, "scheme sg-cls: level 2: description cites no source clause"},
		{"official map without clause", func(d *Data) {
			for i := range d.Mappings {
				if d.Mappings[i].ID == "nist-ir-8425--nist-ir-8259a" {
					d.Mappings[i].Citation.Clause = ""
				}
			}
		}, "official, but its citation names no clause"},
		{"official profile without clause", func(d *Data) {
			schemeOf(d, "etsi-ts-103-701").Profile.Source.Clause = ""
		}, "mapping set profile:etsi-ts-103-701--etsi-en-303-645"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Embedded()
			if err != nil {
				t.Fatal(err)
			}
			tt.break_(&d)
			_, err = Build(d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Imported data may leave scope and levels uncited.
	d, _ := Embedded()
	s := schemeOf(&d, "ioxt")
	s.Scope, s.Imported = nil, true
	if _, err := Build(d); err != nil {
		t.Errorf("Build(imported scheme without scope) = %v", err)
	}
}

func schemeOf(d *Data, slug string) *Scheme {
	for i := range d.Schemes {
		if d.Schemes[i].Slug == slug {
			return &d.Schemes[i]
		}
	}
	panic("no scheme " + slug)
}

func TestEveryLevelCitesItsSource(t *testing.T) {
	c := mustLoad(t)
	n := 0
	for _, slug := range c.order {
		for _, l := range c.schemes[slug].Levels {
			n++
			if l.Description == "" || l.Source == nil || l.Source.Clause == "" {
				t.Errorf("%s level %s: description %q, source %+v", slug, l.ID, l.Description, l.Source)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d levels seen", n)
	}
	cls := c.schemes["sg-cls"]
	l2, _ := cls.Level("2")
	l3, _ := cls.Level("3")
	if !strings.Contains(l2.Description, "threat-risk assessment") || !strings.Contains(l2.Title, "security by design") {
		t.Errorf("CLS level 2 = %q: %q, want security by design (threat-risk assessment, design review)", l2.Title, l2.Description)
	}
	if strings.Contains(strings.ToLower(l3.Title+l3.Description), "security by design") || !strings.Contains(l3.Description, "binaries") {
		t.Errorf("CLS level 3 = %q: %q, want binary analysis and no security by design", l3.Title, l3.Description)
	}
}

func TestEveryOfficialMapCitesAClause(t *testing.T) {
	c := mustLoad(t)
	official := 0
	for _, m := range c.Data().Mappings {
		for _, mp := range m.Maps {
			prov, cit := mp.Provenance, m.Citation
			if prov == "" {
				prov = m.Provenance
			}
			if mp.Citation != nil {
				cit = *mp.Citation
			}
			if prov != ProvenanceOfficial {
				continue
			}
			official++
			if cit.Clause == "" || cit.URL == "" {
				t.Errorf("%s %v: official without clause: %+v", m.ID, mp.Sources, cit)
			}
		}
	}
	if official == 0 {
		t.Fatal("no official maps left")
	}
	// The two the review could not trace are expert now.
	cmp, err := c.Compare(ParseRef("au-smart-devices"), ParseRef("etsi-en-303-645"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cmp.Provisions {
		if p.Provenance == ProvenanceOfficial {
			t.Errorf("AU %s -> EN 303 645 is official; no deeming clause was traced", p.ID)
		}
	}
}

func TestAppliesByFineClass(t *testing.T) {
	c := mustLoad(t)
	date := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	applies := func(class, market string) ([]string, []string) {
		t.Helper()
		res, err := c.Applies(AppliesQuery{Class: class, Markets: []string{market}, Date: date})
		if err != nil {
			t.Fatalf("Applies(%s, %s): %v", class, market, err)
		}
		var mandatory []string
		for _, a := range res.Schemes {
			if a.Status == StatusMandatory {
				mandatory = append(mandatory, a.Slug)
			}
		}
		return mandatory, res.Notes
	}
	tests := []struct {
		class, market, slug string
		want                bool
	}{
		{"smartphone", "GB", "uk-psti", true},
		{"tablet-cellular", "UK", "uk-psti", true},
		{"tablet", "GB", "uk-psti", false},
		{"pc", "GB", "uk-psti", false},
		{"camera", "GB", "uk-psti", true},
		{"smartphone", "AU", "au-smart-devices", false},
		{"tablet-cellular", "AU", "au-smart-devices", false},
		{"camera", "AU", "au-smart-devices", true},
		{"smartphone", "DE", "en-18031-1", true},
		{"smartphone", "DE", "eu-cra", true},
	}
	for _, tt := range tests {
		got, _ := applies(tt.class, tt.market)
		if slices.Contains(got, tt.slug) != tt.want {
			t.Errorf("Applies(%s, %s) mandatory = %v, want %s included = %v", tt.class, tt.market, got, tt.slug, tt.want)
		}
	}
	res, err := c.Applies(AppliesQuery{Class: "smartphone", Markets: []string{"JP"}, Date: date})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Schemes {
		if a.Slug == "jp-jc-star" {
			t.Errorf("JC-STAR offered for smartphones, which it excludes")
		}
	}
	// The retired class still answers, for desktops and laptops, with a note.
	got, notes := applies("computer", "GB")
	if slices.Contains(got, "uk-psti") || len(notes) != 1 || !strings.Contains(notes[0], "smartphone") {
		t.Errorf("Applies(computer, GB) = %v, notes %q", got, notes)
	}
}

// Issue 14: the calls for missing standards come as groups, each call in
// exactly one group of its kind and markets, with the cells behind it.
func TestGapCallsGrouped(t *testing.T) {
	c := mustLoad(t)
	g, err := c.Gaps(GapQuery{Date: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Groups) == 0 || len(g.Groups) >= len(g.Calls) {
		t.Fatalf("%d groups for %d calls", len(g.Groups), len(g.Calls))
	}
	seen := map[string]int{}
	for _, gr := range g.Groups {
		for _, cell := range gr.Cells {
			seen[gr.Kind+"|"+strings.Join(gr.Markets, ",")+"|"+cell.Sector+"|"+cell.Class]++
			if !strings.Contains(gr.Text, cell.Title) || !slices.Contains(gr.Sectors, cell.Sector) || !slices.Contains(gr.Classes, cell.Class) {
				t.Errorf("group %q does not name its cell %+v", gr.Text, cell)
			}
		}
	}
	for _, call := range g.Calls {
		k := call.Kind + "|" + strings.Join(call.Markets, ",") + "|" + call.Sector + "|" + call.Class
		if seen[k] != 1 {
			t.Errorf("call %q is in %d groups, want 1", call.Text, seen[k])
		}
	}
	total := 0
	for _, n := range seen {
		total += n
	}
	if total != len(g.Calls) {
		t.Errorf("groups hold %d cells, calls are %d", total, len(g.Calls))
	}
}
