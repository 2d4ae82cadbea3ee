package ui

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// wellFormed parses s as XML: an SVG the browser draws must be one.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

func TestHeatmap(t *testing.T) {
	c, err := mustCatalog(t).Compare(crosswalk.ParseRef("uk-psti"), crosswalk.ParseRef("etsi-en-303-645"))
	if err != nil {
		t.Fatal(err)
	}
	svg := string(heatmap(c))
	wellFormed(t, svg)
	for _, want := range []string{`role="img"`, `<title id="hm-title">`, `<desc id="hm-desc">`, "Rows are the 3 provisions of uk-psti"} {
		if !strings.Contains(svg, want) {
			t.Errorf("heatmap lacks %q", want)
		}
	}
	// PSTI 1 is met by EN 5.1-1 and 5.1-2, 2 by 5.2-1, 3 by 5.3-13: four
	// full cells, none partial.
	if n := strings.Count(svg, `class="hm-full"`); n != 4 {
		t.Errorf("heatmap has %d full cells, want 4", n)
	}
	if n := strings.Count(svg, `class="hm-partial"`); n != 0 {
		t.Errorf("heatmap has %d partial cells, want 0", n)
	}
	if n := strings.Count(svg, `class="hm-row hm-full"`); n != 3 {
		t.Errorf("heatmap strip has %d full rows, want 3", n)
	}
	if heatmap(&crosswalk.Comparison{}) != "" {
		t.Errorf("heatmap of an empty comparison is not empty")
	}
}

// Imported schemes carry strangers' text: nothing of it may reach the SVG
// unescaped.
func TestSVGEscapes(t *testing.T) {
	evil := `<script>alert(1)</script>`
	c := &crosswalk.Comparison{A: crosswalk.SchemeRef{Slug: "a"}, B: crosswalk.SchemeRef{Slug: `b"` + evil},
		Provisions:  []crosswalk.ProvisionCompare{{ID: evil, Coverage: crosswalk.CoverPartial, Covers: []crosswalk.Cover{{ID: `x"&`, Coverage: crosswalk.CoverPartial}}}},
		BProvisions: []crosswalk.Brief{{ID: `x"&`}}}
	svg := string(heatmap(c))
	wellFormed(t, svg)
	if strings.Contains(svg, "<script>") {
		t.Errorf("heatmap carries raw markup:\n%s", svg)
	}
	g, edges := recognitionGraph([]crosswalk.Agreement{{ID: evil, Status: "active", Edges: []crosswalk.Recognition{
		{From: crosswalk.LabelRef{Scheme: "a"}, To: crosswalk.LabelRef{External: evil}, Kind: crosswalk.DeemedEquivalence}}}},
		func(string) (string, bool) { return evil, true })
	wellFormed(t, string(g))
	if strings.Contains(string(g), "<script>") || len(edges) != 1 {
		t.Errorf("graph carries raw markup or lost the edge:\n%s", g)
	}
}

func TestRecognitionGraph(t *testing.T) {
	c := mustCatalog(t)
	g, edges := recognitionGraph(c.Agreements(), func(slug string) (string, bool) {
		s, err := c.Scheme(slug)
		return s.Title, err == nil
	})
	svg := string(g)
	wellFormed(t, svg)
	total := 0
	for _, a := range c.Agreements() {
		total += len(a.Edges)
	}
	if len(edges) != total || strings.Count(svg, `<path class="rg-edge`) != total {
		t.Errorf("graph draws %d edges (%d listed), want %d", strings.Count(svg, `<path class="rg-edge`), len(edges), total)
	}
	for _, want := range []string{`<title id="rg-title">`, `<desc id="rg-desc">`, `href="/catalog/schemes/sg-cls"`, "rg-simplified-route", "rg-inactive"} {
		if !strings.Contains(svg, want) {
			t.Errorf("graph lacks %q", want)
		}
	}
}

func mustCatalog(t *testing.T) *crosswalk.Catalog {
	t.Helper()
	c, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
