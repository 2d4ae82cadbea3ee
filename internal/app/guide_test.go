package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

// TestGuideCitationsResolve builds the good practice guide from the
// embedded catalog through the one wiring: every citation of its Markdown
// and HTML names a listed source, every source is cited, every source
// resolves to a catalog scheme or provision or to an iotsec rule, and a
// requirement that a firmware rule or the direct table bears on names
// that rule.
func TestGuideCitationsResolve(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	sv, err := app.NewServices(nil, config.Config{}, nil, app.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []policy.GuideQuery{
		{Class: "camera", Sector: "consumer", Markets: []string{"EU,UK", "SG"}},
		{Class: "smart-speaker", Sector: "consumer", Markets: []string{"US", "JP", "AU"}},
		// No scheme of Brazil's own: the international standards that apply.
		{Class: "camera", Sector: "consumer", Markets: []string{"BR"}},
	} {
		t.Run(q.Class+"/"+strings.Join(q.Markets, "+"), func(t *testing.T) {
			g, err := sv.Policy.Guide(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Requirements) < 10 || len(g.Sources) == 0 {
				t.Fatalf("%d requirements, %d sources", len(g.Requirements), len(g.Sources))
			}
			for _, s := range g.Sources {
				if err := resolves(cat, s); err != "" {
					t.Errorf("source %d (%s): %s", s.N, s.Ref, err)
				}
			}
			md, err := g.Markdown()
			if err != nil {
				t.Fatal(err)
			}
			html, err := g.HTML()
			if err != nil {
				t.Fatal(err)
			}
			for name, doc := range map[string]struct {
				text string
				re   *regexp.Regexp
			}{
				"md":   {string(md[:strings.Index(string(md), "## 4. Sources")]), regexp.MustCompile(`\[(\d+)\]`)},
				"html": {string(html), regexp.MustCompile(`href="#s(\d+)"`)},
			} {
				cited := map[int]bool{}
				for _, m := range doc.re.FindAllStringSubmatch(doc.text, -1) {
					n, _ := strconv.Atoi(m[1])
					if n < 1 || n > len(g.Sources) {
						t.Errorf("%s: citation [%d] names no source (of %d)", name, n, len(g.Sources))
					}
					cited[n] = true
				}
				for _, s := range g.Sources {
					if !cited[s.N] {
						t.Errorf("%s: source %d (%s) is never cited", name, s.N, s.Ref)
					}
				}
			}
			// A requirement a rule bears on names it.
			automated := 0
			for _, r := range g.Requirements {
				var want []string
				for _, ir := range inspect.Rules() {
					if r.Scheme == assess.Hub && slices.Contains(ir.Provisions, r.ID) {
						want = append(want, ir.Rule)
					}
				}
				for _, d := range assess.DirectRules() {
					if slices.ContainsFunc(r.Serves, func(s policy.GuideServes) bool { return s.Scheme == d.Scheme && s.ID == d.Provision }) {
						want = append(want, d.Rule)
					}
				}
				var got []string
				for _, c := range r.Checks {
					got = append(got, c.Rule)
				}
				for _, w := range want {
					if !slices.Contains(got, w) {
						t.Errorf("requirement %s %s: rule %s bears on it but the guide does not name it", r.Scheme, r.ID, w)
					}
				}
				if len(want) > 0 {
					automated++
				}
				if len(want) == 0 && len(got) > 0 {
					t.Errorf("requirement %s %s: the guide names rules %v that bear on none of its provisions", r.Scheme, r.ID, got)
				}
			}
			if automated == 0 || automated != g.Automated {
				t.Errorf("automated: guide says %d, rules give %d", g.Automated, automated)
			}
			if q.Class == "camera" && !strings.Contains(string(md), "`credentials.default-password` (indicative, etsi-en-303-645 5.1-1)") {
				t.Error("the camera guide does not name credentials.default-password under 5.1-1")
			}
		})
	}
}

// resolves says why a guide source does not resolve, or "".
func resolves(cat *crosswalk.Catalog, s policy.GuideSource) string {
	switch s.Kind {
	case "rule":
		name := strings.TrimPrefix(s.Ref, "rule:")
		if slices.ContainsFunc(inspect.Rules(), func(r inspect.RuleInfo) bool { return r.Rule == name }) ||
			slices.ContainsFunc(assess.DirectRules(), func(r assess.DirectRule) bool { return r.Rule == name }) {
			return ""
		}
		return "no such rule"
	case "scheme", "provision":
		slug, id, hasID := strings.Cut(s.Ref, ":")
		sc, err := cat.Scheme(slug)
		if err != nil {
			return err.Error()
		}
		if sc.Source.URL == "" && s.URL == "" {
			return "scheme without a source link"
		}
		if s.Kind == "provision" != hasID {
			return "kind and reference disagree"
		}
		if hasID {
			if _, ok := sc.Provision(id); !ok {
				return "scheme has no provision " + id
			}
		}
		return ""
	}
	return "unknown kind " + s.Kind
}

// TestDocumentsPDF prints the brief, the guide and the calls as PDF and
// reads them back with pdftotext (poppler-utils): each opens, has the
// pages it says in its footer and the headings of its Markdown.
func TestDocumentsPDF(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed: cannot read the PDFs back")
	}
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	sv, err := app.NewServices(nil, config.Config{}, nil, app.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	brief, err := sv.Policy.Brief(ctx, "GB", at)
	if err != nil {
		t.Fatal(err)
	}
	guide, err := sv.Policy.Guide(ctx, policy.GuideQuery{Class: "camera", Sector: "consumer", Markets: []string{"EU", "GB", "SG"}, Date: at})
	if err != nil {
		t.Fatal(err)
	}
	calls, err := sv.Policy.Calls(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]interface {
		Markdown() ([]byte, error)
		PDF() ([]byte, error)
	}{"brief": brief, "guide": guide, "calls": calls} {
		t.Run(name, func(t *testing.T) {
			pdf, err := d.PDF()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("not a PDF: %q", pdf[:min(16, len(pdf))])
			}
			path := filepath.Join(t.TempDir(), name+".pdf")
			if err := os.WriteFile(path, pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext: %v: %s", err, out)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			pages := strings.Count(string(out), "\f")
			if pages < 1 || !strings.Contains(text, fmt.Sprintf("page %d of %d", pages, pages)) {
				t.Errorf("%d pages, but no footer \"page %d of %d\"", pages, pages, pages)
			}
			if name == "guide" && pages < 5 {
				t.Errorf("the guide has %d pages; 65 requirements need more", pages)
			}
			md, err := d.Markdown()
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(md), "\n") {
				if h, ok := strings.CutPrefix(line, "## "); ok {
					if !strings.Contains(text, strings.Join(strings.Fields(h), " ")) {
						t.Errorf("heading %q is not in the PDF", h)
					}
				}
			}
		})
	}
}

// TestCallsCiteTheMatrix: every call names the cells behind it, cites the
// gap matrix and the standards it names, and together they hold every
// call of the catalog's matrix.
func TestCallsCiteTheMatrix(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	sv, err := app.NewServices(nil, config.Config{}, nil, app.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sv.Policy.Calls(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	g, err := sv.Catalog.Base().Gaps(catalog.GapQuery{Date: at})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Calls) != len(g.Groups) || c.Cells != len(g.Calls) || len(c.Calls) == 0 {
		t.Errorf("%d calls of %d cells; the matrix has %d groups of %d calls", len(c.Calls), c.Cells, len(g.Groups), len(g.Calls))
	}
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Sources {
		if s.Kind == "matrix" {
			continue
		}
		if err := resolves(cat, s); err != "" {
			t.Errorf("source %d (%s): %s", s.N, s.Ref, err)
		}
	}
	md, err := c.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range c.Calls {
		if len(call.Cells) == 0 || len(call.Sectors) == 0 || len(call.Markets) == 0 || call.Cites[0] != 1 || c.Sources[0].Kind != "matrix" {
			t.Errorf("call %d: %+v", call.N, call)
		}
		if len(call.Cites) != 1+len(call.Schemes) {
			t.Errorf("call %d names %d standards but cites %d sources", call.N, len(call.Schemes), len(call.Cites))
		}
		for _, cell := range call.Cells {
			if !strings.Contains(string(md), "| "+cell.Sector+" | "+cell.Title+" ("+cell.Class+") |") {
				t.Errorf("call %d: cell %s/%s is not in the Markdown", call.N, cell.Sector, cell.Class)
			}
		}
	}
}

// FuzzGuideQuery: whatever class, sector and markets a request carries,
// the guide is built or refused as invalid input (or an unknown name),
// never a panic or another kind of error.
func FuzzGuideQuery(f *testing.F) {
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	sv, err := app.NewServices(nil, config.Config{}, nil, app.Options{Now: func() time.Time { return at }})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("camera", "consumer", "EU,UK,SG")
	f.Add("", "consumer", "EU")
	f.Add("camera", "medical", ",,,")
	f.Add("toaster", "consumer", "ZZ")
	f.Add("camera", "consumer", strings.Repeat("EU,", 40))
	f.Fuzz(func(t *testing.T, class, sector, markets string) {
		g, err := sv.Policy.Guide(context.Background(), policy.GuideQuery{Class: class, Sector: sector, Markets: []string{markets}, Date: at})
		if err != nil {
			if k := iotsec.Kind(err); k != iotsec.ErrInvalid && k != iotsec.ErrNotFound {
				t.Fatalf("%q %q %q: %v (kind %v)", class, sector, markets, err, k)
			}
			return
		}
		if _, err := g.Markdown(); err != nil {
			t.Fatal(err)
		}
	})
}
