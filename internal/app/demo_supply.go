package app

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iotsec/iotsec/internal/iotsec"
)

//go:embed demodata/nvd/*.json demodata/kev.json
var demoData embed.FS

// demoSBOM is the component list the demo gives two firmware versions: a
// camera on an older kernel, busybox, dnsmasq and OpenSSL.
func demoSBOM(product, version, kernel, busybox, dnsmasq, openssl string) []byte {
	return fmt.Appendf(nil, `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"firmware","type":"firmware","name":%q,"version":%q}},
 "components":[
  {"bom-ref":"linux","type":"operating-system","name":"linux","version":%[3]q,"cpe":"cpe:2.3:o:linux:linux_kernel:%[3]s:*:*:*:*:*:*:*"},
  {"bom-ref":"busybox","type":"application","name":"busybox","version":%[4]q,"cpe":"cpe:2.3:a:busybox:busybox:%[4]s:*:*:*:*:*:*:*"},
  {"bom-ref":"dnsmasq","type":"application","name":"dnsmasq","version":%[5]q,"cpe":"cpe:2.3:a:thekelleys:dnsmasq:%[5]s:*:*:*:*:*:*:*"},
  {"bom-ref":"openssl","type":"library","name":"openssl","version":%[6]q,"cpe":"cpe:2.3:a:openssl:openssl:%[6]s:*:*:*:*:*:*:*"}
 ]}`, product, version, kernel, busybox, dnsmasq, openssl)
}

// seedSupply imports the embedded sample of NVD and KEV records (see
// demodata/README.md) and gives the demo's camera and router firmware
// SBOMs, so the supply-chain pages show matches, a VEX statement and a
// CRA report draft.
func (a *App) seedSupply(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "iotsec-demo-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.CopyFS(dir, demoData); err != nil {
		return err
	}
	for _, p := range []string{filepath.Join(dir, "demodata", "nvd"), filepath.Join(dir, "demodata", "kev.json")} {
		if _, err := a.Supply.Import(ctx, "system:demo", p, ""); err != nil {
			return err
		}
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return err
	}
	var org string
	for _, o := range orgs {
		if o.Name == DemoOrg {
			org = o.ID
		}
	}
	act := iotsec.System(org, "demo")
	fws, err := a.Store.ListFirmware(ctx, act, "")
	if err != nil {
		return err
	}
	products, err := a.Store.ListProducts(ctx, act)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range products {
		names[p.ID] = p.Name
	}
	parts := map[string][4]string{
		"2.1.0": {"5.15.100", "1.35.0", "2.84", "3.0.7"},
		"2.4.3": {"6.1.60", "1.36.1", "2.89", "3.0.12"},
		"1.0.7": {"4.19.200", "1.29.3", "2.80", "1.1.1i"},
	}
	for _, f := range fws {
		c, ok := parts[f.Version]
		if !ok {
			continue
		}
		doc := demoSBOM(names[f.ProductID], f.Version, c[0], c[1], c[2], c[3])
		if _, _, err := a.Supply.ImportSBOM(ctx, act, f.ID, "demo.cdx.json", doc); err != nil {
			return err
		}
		if f.Version == "2.4.3" {
			v := iotsec.VEXStatement{FirmwareID: f.ID, VulnID: "CVE-2023-28450", Component: "dnsmasq", Status: iotsec.VEXNotAffected,
				Justification: "vulnerable_code_not_in_execute_path", Impact: "DNSSEC validation is not enabled in this build."}
			if err := a.Store.AddVEX(ctx, act, &v); err != nil {
				return err
			}
			if _, err := a.Supply.Rematch(ctx, act, f.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
