package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// TestSupplyGolden runs the supply-chain commands against the labelled
// NVD corpus of internal/vuln (README there): import, match, SBOM import,
// VEX, a new KEV entry and the CRA report draft it makes, CSAF.
func TestSupplyGolden(t *testing.T) {
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	nvd := filepath.Join("..", "vuln", "testdata", "labelled", "nvd")
	overrides := filepath.Join("..", "vuln", "testdata", "labelled", "nvd-overrides")
	sbomFile := f("fw.cdx.json")
	write := func(name, body string) {
		if err := os.WriteFile(f(name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fw.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"Router R100","version":"1.2"}},
 "components":[
  {"bom-ref":"busybox","type":"application","name":"busybox","version":"1.29.3","cpe":"cpe:2.3:a:busybox:busybox:1.29.3:*:*:*:*:*:*:*"},
  {"bom-ref":"dnsmasq","type":"application","name":"dnsmasq","version":"2.84","cpe":"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*"}
 ]}`)
	// The same SBOM with a serial number, and a standalone CycloneDX VEX
	// that points into it by BOM-Link, as a vendor publishes them.
	write("fw-serial.cdx.json", strings.Replace(fileText(t, sbomFile), `"version":1,`,
		`"version":1,"serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",`, 1))
	write("bomlink.vex.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "vulnerabilities":[{"id":"CVE-2023-28450","source":{"name":"NVD"},
  "analysis":{"state":"not_affected","justification":"code_not_reachable","detail":"EDNS0 is off in this build"},
  "affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#dnsmasq"}]}]}`)
	write("kev.json", `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.20","dateReleased":"2026-11-20T10:00:00.000Z","count":1,
 "vulnerabilities":[{"cveID":"CVE-2023-28450","vendorProject":"Thekelleys","product":"dnsmasq","vulnerabilityName":"dnsmasq EDNS0","dateAdded":"2026-11-20","shortDescription":"x","requiredAction":"Apply updates per vendor instructions.","dueDate":"2026-12-11","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":[]}]}`)
	full, err := os.ReadFile(filepath.Join(nvd, "CVE-2023-28450.json"))
	if err != nil {
		t.Fatal(err)
	}
	write("truncated.json", string(full[:len(full)/2]))

	vars := map[string]string{}
	// The version is listed at a fixed earlier time, so the CSAF
	// revision history always has the listing and the matches as two
	// revisions however long the steps between them take.
	product := func(t *testing.T) {
		cfg := config.Default()
		cfg.Data = dir
		listed := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		s, err := app.OpenStore(context.Background(), cfg, sqlstore.Options{Now: func() time.Time { return listed }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		orgs, _ := s.ListOrgs(ctx)
		a := iotsec.System(orgs[0].ID, "test")
		p := iotsec.Product{Name: "Router R100", Model: "R100", Class: "router"}
		if err := s.CreateProduct(ctx, a, &p); err != nil {
			t.Fatal(err)
		}
		fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.2"}
		if err := s.CreateFirmware(ctx, a, &fw); err != nil {
			t.Fatal(err)
		}
		vars["fw"], vars["product"] = fw.ID, p.ID
	}
	steps := []goldenStep{
		{name: "match-empty-db", args: []string{"match", sbomFile}, code: ExitUsage},
		{name: "vulndb-import", args: []string{"vulndb", "import", nvd, overrides}},
		{name: "vulndb-import-truncated", args: []string{"vulndb", "import", f("truncated.json")}, code: ExitUsage},
		{name: "vulndb-import-bad-kind", args: []string{"vulndb", "import", "--kind", "rss", nvd}, code: ExitUsage},
		{name: "vulndb-status", args: []string{"vulndb", "status"}},
		{name: "match-table", args: []string{"match", sbomFile}},
		{name: "match-json", args: []string{"match", sbomFile, "-o", "json"}},
		{name: "match-missing", args: []string{"match", f("none.cdx.json"), "--fail-on", "low"}, code: ExitUsage},
		{name: "match-vex-bomlink", args: []string{"match", f("fw-serial.cdx.json"), "--vex", f("bomlink.vex.json")}},
		{name: "match-fail-on", args: []string{"match", sbomFile, "--fail-on", "critical"}, code: ExitFindings},
		{name: "match-fail-on-kev", args: []string{"match", sbomFile, "--fail-on", "kev"}},
		{name: "match-bad-fail-on", args: []string{"match", sbomFile, "--fail-on", "dire"}, code: ExitUsage},
		{name: "supply-org", args: []string{"admin", "org", "create", "Acme", "--country", "NL"}},
		{name: "sbom-import", args: []string{"sbom", "import", sbomFile, "--org", "Acme", "--firmware", "{fw}"}, before: product},
		{name: "vex-add", args: []string{"vex", "add", "CVE-2018-1000500", "--org", "Acme", "--firmware", "{fw}", "--component", "busybox",
			"--status", "not_affected", "--justification", "vulnerable_code_not_present"}},
		{name: "vex-add-no-justification", args: []string{"vex", "add", "CVE-2022-28391", "--org", "Acme", "--firmware", "{fw}", "--status", "not_affected"}, code: ExitUsage},
		{name: "vex-export", args: []string{"vex", "export", "--org", "Acme", "--firmware", "{fw}"}},
		{name: "vulndb-import-kev", args: []string{"vulndb", "import", f("kev.json")}},
		{name: "cra-list", args: []string{"cra", "list", "--org", "Acme"}},
		{name: "vulndb-rematch", args: []string{"vulndb", "rematch"}},
		{name: "vulndb-rematch-org", args: []string{"vulndb", "rematch", "--org", "Acme"}},
		{name: "csaf", args: []string{"csaf", "--org", "Acme", "--product", "{product}"}},
	}
	runGolden(t, dir, nil, steps, vars)
}

func fileText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
