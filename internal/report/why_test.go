package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/scan"
)

var (
	atRiskOnce sync.Once
	atRiskRes  *scan.Result
	atRiskErr  error
)

// atRiskScan scans the router's root file system without its default
// password and without telnet: what is left (a short key, no update
// mechanism, an unhardened program) fails EN 303 645 provisions whose
// mappings onto these schemes are partial, so every verdict on them is
// projected through the crosswalk and at most "at risk".
func atRiskScan(t testing.TB) *scan.Result {
	t.Helper()
	atRiskOnce.Do(func() {
		var files []firmwaretest.File
		for _, f := range firmwaretest.RouterFiles() {
			switch f.Path {
			case "etc/shadow":
				f.Data = []byte("root:*:18000:0:99999:7:::\nnobody:*:18000:0:99999:7:::\n")
			case "etc/init.d/rcS":
				f.Data = []byte("#!/bin/sh\nmount -a\n/usr/sbin/dnsmasq\n/usr/bin/app &\n")
			}
			files = append(files, f)
		}
		cat, err := crosswalk.Load()
		if err != nil {
			atRiskErr = err
			return
		}
		e, err := assess.New(cat)
		if err != nil {
			atRiskErr = err
			return
		}
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		tick := func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock }
		atRiskRes, atRiskErr = scan.Run(context.Background(), "camera.bin", firmwaretest.Gzip(firmwaretest.Cpio(files)), scan.Options{Engine: e, Now: tick,
			Schemes: []crosswalk.SchemeRef{{Slug: "uk-psti"}, {Slug: "eu-cra"}, {Slug: "ioxt"}, {Slug: "nist-ir-8425"}}})
	})
	if atRiskErr != nil {
		t.Fatal(atRiskErr)
	}
	return atRiskRes
}

func render(t *testing.T, format string, r *scan.Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, format, r, report.Meta{Tool: "iotsec test"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// inFormat is text as it appears in a format: escaped in HTML.
func inFormat(format, s string) string {
	if format == "html" {
		return template.HTMLEscapeString(s)
	}
	return s
}

// TestReportsSayWhy: each renderer a person reads says, for a default
// password, that UK PSTI fails directly on Schedule 1 para 1, and, for
// an image with only crosswalk-projected risks, why each at-risk
// provision and each incomplete scheme is not a FAIL.
func TestReportsSayWhy(t *testing.T) {
	router, atRisk := routerScan(t), atRiskScan(t)

	// The at-risk image is what the test says it is: no FAIL, no direct
	// basis on any scheme but EN 303 645, and provisions at risk.
	risky := 0
	for _, v := range atRisk.Schemes {
		if v.Status != assess.StatusIncomplete || v.WhyNotFail == "" {
			t.Errorf("%s: %s, why not FAIL %q; want incomplete with a reason", v.Scheme, v.Status, v.WhyNotFail)
		}
		for _, p := range v.Provisions {
			if p.Verdict == assess.Fail || p.Basis == assess.BasisDirect {
				t.Errorf("%s %s: %s (%s), want no FAIL and no direct basis", v.Scheme, p.ID, p.Verdict, p.Basis)
			}
			if p.Verdict == assess.AtRisk {
				risky++
			}
		}
	}
	if risky < 5 {
		t.Fatalf("%d provisions at risk on the at-risk image: the test proves little", risky)
	}

	for _, format := range []string{"table", "html"} {
		t.Run(format, func(t *testing.T) {
			out := render(t, format, router)
			// the direct FAIL: PSTI provision 1, FAIL, direct, the finding
			// and the requirement cited
			row := map[string]*regexp.Regexp{
				"table": regexp.MustCompile(`(?m)^  1 +FAIL +direct +Account "root" has a common or default password \[credentials\.default-password, [^\]]*etc/shadow\], directly: UK PSTI Schedule 1 para 1: `),
				"html":  regexp.MustCompile(`<td class="mono">1</td><td><span class="badge bad">FAIL</span></td><td>direct</td><td>Account &#34;root&#34; has a common or default password \[credentials\.default-password, [^\]]*etc/shadow\], directly: UK PSTI Schedule 1 para 1: `),
			}[format]
			if !row.MatchString(out) {
				t.Errorf("router: no row saying PSTI 1 FAILs directly on Schedule 1 para 1 (%s)", row)
			}
			if !strings.Contains(out, "UK PSTI: not met, 1 of 3 failing") {
				t.Error("router: PSTI not reported as not met")
			}

			out = render(t, format, atRisk)
			for _, v := range atRisk.Schemes {
				want := inFormat(format, "not a FAIL because "+v.WhyNotFail)
				if format == "html" {
					want = inFormat(format, "Not a FAIL because "+v.WhyNotFail)
				}
				if !strings.Contains(out, want) {
					t.Errorf("%s incomplete: the report does not say %q", v.Scheme, want)
				}
				for _, p := range v.Provisions {
					if p.Verdict != assess.AtRisk {
						continue
					}
					want := inFormat(format, "not a FAIL because "+p.WhyNotFail)
					if !strings.Contains(out, want) {
						t.Errorf("%s %s at risk: the report does not say %q", v.Scheme, p.ID, want)
					}
				}
			}
			// EN 303 645's own FAILs are listed apart in HTML ("provisions
			// decided"); the schemes' rows start at the section on why
			if format == "html" {
				i, j := strings.Index(out, "Why, provision by provision"), strings.Index(out, "EN 303 645 provisions decided")
				if i < 0 || j < i {
					t.Fatalf("HTML sections out of order: why at %d, EN 303 645 at %d", i, j)
				}
				out = out[i:j]
			}
			if strings.Contains(out, "NOT MET") || strings.Contains(out, `<span class="badge bad">FAIL</span>`) ||
				regexp.MustCompile(`(?m)^  \S.*?  +FAIL  +(direct|crosswalk|assessment)  `).MatchString(out) {
				t.Error("at-risk image: a FAIL or NOT MET appears")
			}
		})
	}

	// The machine formats carry the same: JSON per provision, SARIF per
	// scheme.
	var doc struct {
		Verdicts map[string]struct {
			WhyNotFail string `json:"why_not_fail"`
			Provisions []struct {
				ID, Verdict, Basis, Reason string
				WhyNotFail                 string `json:"why_not_fail"`
			}
		}
	}
	if err := json.Unmarshal([]byte(render(t, "json", router)), &doc); err != nil {
		t.Fatal(err)
	}
	if p := doc.Verdicts["uk-psti"].Provisions[0]; p.ID != "1" || p.Verdict != "FAIL" || p.Basis != "direct" || !strings.Contains(p.Reason, "Schedule 1 para 1") {
		t.Errorf("JSON: PSTI provision 1 = %+v, want FAIL, direct, citing Schedule 1 para 1", p)
	}
	var sarif struct {
		Runs []struct {
			Properties struct {
				WhyNotFail map[string]string `json:"why_not_fail"`
			}
		}
	}
	if err := json.Unmarshal([]byte(render(t, "sarif", atRisk)), &sarif); err != nil {
		t.Fatal(err)
	}
	for _, v := range atRisk.Schemes {
		if got := sarif.Runs[0].Properties.WhyNotFail[v.Scheme]; got != v.WhyNotFail {
			t.Errorf("SARIF why_not_fail[%s] = %q, want %q", v.Scheme, got, v.WhyNotFail)
		}
	}
}

// TestGoldenAtRisk keeps the at-risk image's table and HTML report for
// review.
func TestGoldenAtRisk(t *testing.T) {
	r := atRiskScan(t)
	m := report.Meta{Tool: "iotsec test", Product: "Camera C-1", Version: "1.0", Generated: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)}
	for _, format := range []string{"table", "html"} {
		var b bytes.Buffer
		if err := report.Write(&b, format, r, m); err != nil {
			t.Fatal(err)
		}
		golden(t, "atrisk."+format, b.String())
	}
}

// TestNoImage: a firmware version with no image and nothing recorded is
// reported as "no image uploaded" in every format, not as a page of
// incomplete verdicts; the same empty result without the flag is such a
// page, so the test can fail.
func TestNoImage(t *testing.T) {
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := assess.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	r := &scan.Result{Findings: []inspect.Finding{}, Components: []inspect.Component{}, Image: scan.Image{Formats: []string{}},
		Stats: scan.Stats{Seconds: map[string]float64{}}}
	if err := r.Assess(e, scan.AssessInput{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, format := range report.Formats() {
		for _, noImage := range []bool{true, false} {
			m := report.Meta{Tool: "iotsec test", Product: "Hub H-1", Version: "3.0.2"}
			if noImage {
				m.NoVerdicts = report.NoImageNote
			}
			var b bytes.Buffer
			if err := report.Write(&b, format, r, m); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			says, pageOf := strings.Contains(out, "No image uploaded"), strings.Contains(out, "incomplete")
			if noImage && (!says || pageOf) || !noImage && (says || !pageOf) {
				t.Errorf("%s, no image %v: says no image uploaded %v, incomplete verdicts %v", format, noImage, says, pageOf)
			}
			if format == "html" {
				for _, p := range htmlProblems(out) {
					t.Errorf("no-image HTML report: %s", p)
				}
			}
			if format == "json" || format == "sarif" {
				var doc map[string]any
				if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
					t.Errorf("%s: %v", format, err)
				}
			}
		}
	}
}
