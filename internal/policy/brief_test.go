package policy_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/policy"
)

// Every citation of a brief, in Markdown and HTML, resolves to a numbered
// source that is a dataset entry with a link; every source is cited.
func TestBriefCitationsResolve(t *testing.T) {
	svc, err := policy.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.Now = func() time.Time { return day("2026-12-07") }
	d := embedded(t)
	cite := regexp.MustCompile(`\[(\d+)\]`)
	for _, code := range []string{"GB", "AU", "SG", "US", "IL", "CA"} {
		t.Run(code, func(t *testing.T) {
			b, err := svc.Brief(context.Background(), code, day("2026-12-07"))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range b.Sources {
				e, ok := d.Entry(s.Entry)
				if s.N != i+1 || !ok || e.Source.URL != s.URL || !strings.HasPrefix(s.URL, "http") {
					t.Errorf("source %d = %+v does not resolve to a dataset entry with a link", i+1, s)
				}
			}
			md, err := b.Markdown()
			if err != nil {
				t.Fatal(err)
			}
			html, err := b.HTML()
			if err != nil {
				t.Fatal(err)
			}
			for name, doc := range map[string]string{"markdown": string(md), "html": string(html)} {
				body, _, _ := strings.Cut(doc, "Sources</h2>")
				if name == "markdown" {
					body, _, _ = strings.Cut(doc, "## 7. Sources")
				}
				used := map[int]bool{}
				for _, m := range cite.FindAllStringSubmatch(body, -1) {
					n, _ := strconv.Atoi(m[1])
					if n < 1 || n > len(b.Sources) {
						t.Errorf("%s cites [%d], but there are %d sources", name, n, len(b.Sources))
					}
					used[n] = true
				}
				for _, s := range b.Sources {
					if !used[s.N] {
						t.Errorf("%s lists source %d (%s) that nothing cites", name, s.N, s.Entry)
					}
					if !strings.Contains(doc, s.URL) {
						t.Errorf("%s does not give source %d's link", name, s.N)
					}
				}
				for _, sec := range []string{"Measures in force", "Against international good practice", "Gaps by lifecycle phase",
					"Recommended next measures", "Recognition of labels abroad", "Catalog gaps for this market", "Sources"} {
					if !strings.Contains(doc, sec) {
						t.Errorf("%s has no section %q", name, sec)
					}
				}
			}
			if code == "IL" {
				if !b.NoMeasure || !strings.Contains(string(md), "No national measure found.") || !strings.Contains(string(html), "No national measure found.") {
					t.Errorf("IL brief does not say no national measure was found")
				}
				if len(b.Recommended) == 0 {
					t.Errorf("IL brief recommends nothing, though others have measures")
				}
			}
			if code == "GB" {
				var has []string
				for _, p := range b.Practice {
					if p.Has {
						has = append(has, p.Measure)
					}
				}
				for _, m := range []string{"UDP_BAN", "VDP", "SUPPORT_PERIOD", "MANDATORY_CLASS"} {
					if !slices.Contains(has, m) {
						t.Errorf("GB brief: %s not counted as held (%v)", m, has)
					}
				}
				for _, r := range b.Recommended {
					if r.Has || r.Count < 2 {
						t.Errorf("GB brief recommends %+v", r)
					}
				}
				if len(b.Recognition) < 2 {
					t.Errorf("GB brief: recognition %+v, want the SG and JP arrangements", b.Recognition)
				}
			}
		})
	}
}

// BenchmarkBrief builds a strategy brief and renders it as HTML and
// Markdown (issue 16 asks for under 200 ms in HTML).
func BenchmarkBrief(b *testing.B) {
	svc, err := policy.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, date := context.Background(), day("2026-12-07")
	for b.Loop() {
		br, err := svc.Brief(ctx, "GB", date)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := br.HTML(); err != nil {
			b.Fatal(err)
		}
		if _, err := br.Markdown(); err != nil {
			b.Fatal(err)
		}
	}
}
