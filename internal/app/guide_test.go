package app_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
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
	} {
		t.Run(q.Class, func(t *testing.T) {
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
