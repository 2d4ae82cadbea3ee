package vuln_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/osv"
)

// genPyPI writes an osv.dev-shaped PyPI all.zip of n advisories over p
// packages (each with one or two ECOSYSTEM ranges) and a CycloneDX SBOM of
// c components with pypi purls.
func genPyPI(n, p, c int, seed int64) (zipData, sbomData []byte) {
	r := rand.New(rand.NewSource(seed))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for i := range n {
		pkg := fmt.Sprintf("pkg%d", r.Intn(p))
		var ranges []string
		for k := range 1 + r.Intn(2) {
			maj := 2*k + r.Intn(2)
			intro := "0"
			if k > 0 {
				intro = fmt.Sprintf("%d.0", maj)
			}
			ranges = append(ranges, fmt.Sprintf(`{"type":"ECOSYSTEM","events":[{"introduced":"%s"},{"fixed":"%d.%d.%d"}]}`, intro, maj, r.Intn(10), r.Intn(10)))
		}
		id := fmt.Sprintf("PYSEC-2026-%d", i)
		rec := fmt.Sprintf(`{"schema_version":"1.6.0","id":"%s","modified":"2026-01-01T00:00:00Z","published":"2025-01-01T00:00:00Z","aliases":["CVE-2026-%d"],"details":"generated","affected":[{"package":{"ecosystem":"PyPI","name":"%s","purl":"pkg:pypi/%s"},"ranges":[%s]}]}`,
			id, 100000+i, pkg, pkg, strings.Join(ranges, ","))
		w, _ := zw.Create(id + ".json")
		w.Write([]byte(rec))
	}
	zw.Close()
	var comps []string
	for i := range c {
		pkg := fmt.Sprintf("pkg%d", r.Intn(p))
		v := fmt.Sprintf("%d.%d.%d", r.Intn(4), r.Intn(10), r.Intn(10))
		comps = append(comps, fmt.Sprintf(`{"type":"library","bom-ref":"c%d","name":"%s","version":"%s","purl":"pkg:pypi/%s@%s"}`, i, pkg, v, pkg, v))
	}
	sbomData = []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[` + strings.Join(comps, ",") + `]}`)
	return zb.Bytes(), sbomData
}

// TestOSVScannerComparison runs osv-scanner and this engine on the same
// generated PyPI database and SBOM and compares matches and time. It runs
// only when IOTSEC_OSV_SCANNER names the osv-scanner binary (v2.2.4).
func TestOSVScannerComparison(t *testing.T) {
	bin := os.Getenv("IOTSEC_OSV_SCANNER")
	if bin == "" {
		t.Skip("set IOTSEC_OSV_SCANNER to an osv-scanner v2.2.4 binary to compare")
	}
	const advisories, packages, components = 30000, 5000, 5000
	zipData, sbomData := genPyPI(advisories, packages, components, 1)
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "osv-scanner", "PyPI")
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dbDir, "all.zip"), zipData, 0o644); err != nil {
		t.Fatal(err)
	}
	sbomPath := filepath.Join(dir, "sbom.cdx.json")
	if err := os.WriteFile(sbomPath, sbomData, 0o644); err != nil {
		t.Fatal(err)
	}

	// osv-scanner, offline, JSON output.
	start := time.Now()
	cmd := exec.Command(bin, "scan", "source", "--offline", "--offline-vulnerabilities",
		"--format", "json", "-L", sbomPath)
	cmd.Env = append(os.Environ(), "OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	theirs := time.Since(start)
	if err != nil && stdout.Len() == 0 {
		t.Fatalf("osv-scanner: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []struct {
			Packages []struct {
				Package struct {
					Name    string `json:"name"`
					Version string `json:"version"`
				} `json:"package"`
				Vulnerabilities []struct {
					ID string `json:"id"`
				} `json:"vulnerabilities"`
			} `json:"packages"`
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("osv-scanner output: %v\n%s", err, stderr.String())
	}
	theirSet := map[string]bool{}
	for _, r := range res.Results {
		for _, p := range r.Packages {
			for _, v := range p.Vulnerabilities {
				theirSet[p.Package.Name+"@"+p.Package.Version+" "+v.ID] = true
			}
		}
	}

	// This engine: import the zip, build the index, read the SBOM's
	// components, match.
	start = time.Now()
	b := vuln.NewBuilder(nil)
	if _, err := osv.ReadZip(filepath.Join(dbDir, "all.zip"), osv.DefaultLimits(), func(a *vuln.Advisory) error {
		b.AddAdvisory(a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ix := b.Build()
	var bom struct {
		Components []struct {
			Name, Version, Purl string
		} `json:"components"`
	}
	if err := json.Unmarshal(sbomData, &bom); err != nil {
		t.Fatal(err)
	}
	comps := make([]vuln.Component, len(bom.Components))
	for i, c := range bom.Components {
		comps[i] = vuln.Component{Name: c.Name, Version: c.Version, PURL: c.Purl}
	}
	ours := time.Since(start)
	ourSet := map[string]bool{}
	for _, m := range ix.Match(vuln.Firmware{}, comps) {
		ourSet[m.Component.Name+"@"+m.Component.Version+" "+m.Vulnerability.ID] = true
	}
	ours = time.Since(start)

	var onlyTheirs, onlyOurs []string
	for k := range theirSet {
		if !ourSet[k] {
			onlyTheirs = append(onlyTheirs, k)
		}
	}
	for k := range ourSet {
		if !theirSet[k] {
			onlyOurs = append(onlyOurs, k)
		}
	}
	slices.Sort(onlyTheirs)
	slices.Sort(onlyOurs)
	t.Logf("%d advisories, %d components: osv-scanner %d matches in %v; iotsec %d matches in %v (import+index+match); speed-up %.1fx",
		advisories, components, len(theirSet), theirs.Round(time.Millisecond), len(ourSet), ours.Round(time.Millisecond), theirs.Seconds()/ours.Seconds())
	if len(onlyTheirs)+len(onlyOurs) > 0 {
		t.Errorf("match sets differ: %d only in osv-scanner (first %v), %d only here (first %v)",
			len(onlyTheirs), first(onlyTheirs), len(onlyOurs), first(onlyOurs))
	}
	if len(theirSet) == 0 {
		t.Error("osv-scanner found nothing; the comparison is void")
	}
}

func first(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
