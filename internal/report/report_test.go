package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/scan"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var (
	once   sync.Once
	result *scan.Result
	runErr error
)

// routerScan scans the generated router image once, with a fixed clock so
// the stage timings are stable.
func routerScan(t testing.TB) *scan.Result {
	t.Helper()
	once.Do(func() {
		cat, err := crosswalk.Load()
		if err != nil {
			runErr = err
			return
		}
		e, err := assess.New(cat)
		if err != nil {
			runErr = err
			return
		}
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		tick := func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock }
		result, runErr = scan.Run(context.Background(), "router.bin", firmwaretest.Router(), scan.Options{Engine: e, Now: tick,
			Schemes: []crosswalk.SchemeRef{{Slug: "etsi-en-303-645"}, {Slug: "sg-cls"}, {Slug: "uk-psti"}, {Slug: "eu-cra"}}})
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	return result
}

// normalize replaces what differs between machines: the certificate's
// hash and validity (made once with openssl) stay, timings do not vary
// (fixed clock), so only stray absolute paths would.
func normalize(s string) string {
	return regexp.MustCompile(`"(total|unpack|inspect|assess)": [0-9.e-]+`).ReplaceAllString(s, `"$1": 0`)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	got = normalize(got)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	r := routerScan(t)
	m := report.Meta{Tool: "iotsec test", Product: "Router R-9", Version: "2.0", Generated: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)}
	for _, format := range report.Formats() {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.Write(&b, format, r, m); err != nil {
				t.Fatal(err)
			}
			golden(t, "router."+format, b.String())
		})
	}
	if err := report.Write(&bytes.Buffer{}, "xml", r, m); err == nil {
		t.Error("Write(xml): no error")
	}
}

// The table names what "Done means" asks for: the default password,
// telnet, the weak key, unhardened binaries, components, and which
// schemes fail and why.
func TestTableSaysWhy(t *testing.T) {
	var b bytes.Buffer
	if err := report.Table(&b, routerScan(t)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"credentials.default-password", "surface.telnet", "crypto.short-private-key", "binary.no-canary",
		"busybox", "1.28.4", "cpe:2.3:a:thekelleys:dnsmasq:2.73", "dropbear", "linux",
		"SG CLS level 1: not met", `5.1-1 FAIL: /etc/shadow: Account "root" has a common or default password`,
		// a default password falsifies PSTI's own requirement: not met, with the reason
		"UK PSTI: not met, 1 of 3 failing (1 FAIL ← ", "UK PSTI Schedule 1 para 1",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func TestJSONContract(t *testing.T) {
	var b bytes.Buffer
	if err := report.JSON(&b, routerScan(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Image struct {
			Name, SHA256 string
			Size         int64
			Formats      []string
		}
		Findings []struct {
			Rule, Category, Severity, Title, Path string
			Evidence                              map[string]any
			Provisions                            []string
		}
		Components []struct{ Name, Version, CPE, PURL, Path string }
		Verdicts   map[string]struct {
			Status     string
			Provisions []struct {
				ID, Verdict string
				Rules       []string
			}
		}
		Stats struct {
			Files   int
			Bytes   int64
			Seconds map[string]float64
		}
	}
	dec := json.NewDecoder(&b)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Image.Name != "router.bin" || len(doc.Image.SHA256) != 64 || doc.Image.Size == 0 || len(doc.Image.Formats) < 3 {
		t.Errorf("image = %+v", doc.Image)
	}
	if len(doc.Findings) < 10 || doc.Findings[0].Severity != "critical" || len(doc.Findings[0].Provisions) == 0 {
		t.Errorf("findings = %d, first %+v", len(doc.Findings), doc.Findings[0])
	}
	if len(doc.Components) < 5 || doc.Components[0].PURL == "" {
		t.Errorf("components = %+v", doc.Components)
	}
	cls := doc.Verdicts["sg-cls"]
	if cls.Status != "not-met" || cls.Provisions[1].ID != "5.1-1" || cls.Provisions[1].Verdict != "FAIL" ||
		!cmp.Equal(cls.Provisions[1].Rules, []string{"credentials.default-password"}) {
		t.Errorf("sg-cls = %s, %+v", cls.Status, cls.Provisions[1])
	}
	for _, stage := range []string{"unpack", "inspect", "assess", "total"} {
		if _, ok := doc.Stats.Seconds[stage]; !ok {
			t.Errorf("stats.seconds lacks %s", stage)
		}
	}
	if doc.Stats.Files == 0 || doc.Stats.Bytes == 0 {
		t.Errorf("stats = %+v", doc.Stats)
	}
}

// TestSARIFSchema validates the SARIF output against the OASIS SARIF
// 2.1.0 JSON schema (testdata/sarif-schema-2.1.0.json).
func TestSARIFSchema(t *testing.T) {
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.SARIF(&b, routerScan(t), report.Meta{Tool: "iotsec v0.0.0"}); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("SARIF output is not valid SARIF 2.1.0: %v", err)
	}
	// And a document that is not SARIF fails, so the check can fail.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{}}]}`))
	if sch.Validate(bad) == nil {
		t.Error("schema accepts a run without a driver")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := report.HTML(&b, routerScan(t), report.Meta{}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, bad := range []string{"<script", "src=", "href=", "url(", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q: it must need nothing from elsewhere", bad)
		}
	}
	if n := strings.Count(html, "<svg"); n != 3 {
		t.Errorf("%d inline SVG charts, want 3", n)
	}
	// The CSP hash covers exactly the one style element.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(html, -1)
	if len(m) != 1 {
		t.Fatalf("%d style elements, want 1", len(m))
	}
	if !strings.HasPrefix(report.StyleHash(), "'sha256-") || strings.Contains(html, "style=") {
		t.Errorf("StyleHash %s, or inline style attributes the hash does not cover", report.StyleHash())
	}
}
