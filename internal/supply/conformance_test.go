package supply_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// The official schemas and the reference validator's script, kept with
// the engines that write the formats (README in each testdata).
var (
	csafSchemaDir = filepath.Join("..", "vuln", "csaf", "testdata", "schema")
	csafValidator = filepath.Join("..", "vuln", "csaf", "testdata", "validate.mjs")
	openVEXSchema = filepath.Join("..", "vuln", "vex", "testdata", "schema", "openvex_json_schema.json")
)

func compileSchema(t *testing.T, root string, files map[string]string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for path, id := range files {
		f, err := os.Open(path)
		must(t, err)
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		must(t, err)
		must(t, c.AddResource(id, doc))
	}
	s, err := c.Compile(root)
	must(t, err)
	return s
}

// csafVerdict is what validate.mjs prints for one document.
type csafVerdict struct {
	File   string `json:"file"`
	Valid  bool   `json:"valid"`
	Tests  int    `json:"tests"`
	Failed []struct {
		Name   string   `json:"name"`
		Errors []string `json:"errors"`
	} `json:"failed"`
}

// mandatoryTests runs the reference validator's schema test and every
// mandatory test over files; it skips without Node or the package.
func mandatoryTests(t *testing.T, files []string) map[string]csafVerdict {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the CSAF reference validator's mandatory tests did not run (.ci/run installs Node and @secvisogram/csaf-validator-lib)")
	}
	cmd := exec.Command(node, append([]string{csafValidator}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("the CSAF reference validator's mandatory tests did not run: %s(install: npm install --prefix $HOME/.cache/iotsec-csaf-validator @secvisogram/csaf-validator-lib@2.0.10, or set IOTSEC_CSAF_VALIDATOR)", stderr.String())
	}
	if err != nil {
		t.Fatalf("validate.mjs: %v\n%s", err, stderr.String())
	}
	got := map[string]csafVerdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v csafVerdict
		must(t, json.Unmarshal(sc.Bytes(), &v))
		got[v.File] = v
	}
	if len(got) != len(files) {
		t.Fatalf("validate.mjs judged %d of %d documents", len(got), len(files))
	}
	return got
}

// demoActor acts for the demo organisation.
func demoActor(t *testing.T, d *apptest.Demo) iotsec.Actor {
	orgs, err := d.App.Store.ListOrgs(context.Background())
	must(t, err)
	for _, o := range orgs {
		if o.Name == app.DemoOrg {
			return iotsec.System(o.ID, "test")
		}
	}
	t.Fatal("no demo organisation")
	return iotsec.Actor{}
}

// scannedImage is a firmware image as a tar: a BusyBox binary and an
// OpenWrt package database, so its components come from a scan.
func scannedImage(t *testing.T) []byte {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, f := range []struct{ name, body string }{
		{"bin/busybox", "\x7fELF fake busybox BusyBox v1.29.3 (2019-01-01 00:00:00 UTC)" + strings.Repeat("x", 5000)},
		{"usr/lib/opkg/status", "Package: dnsmasq\nVersion: 2.80-1\nStatus: install user installed\nArchitecture: mipsel_24kc\n\n"},
		{"etc/openwrt_release", "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='19.07.0'\n"},
	} {
		must(t, w.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.body)), Typeflag: tar.TypeReg}))
		_, err := w.Write([]byte(f.body))
		must(t, err)
	}
	must(t, w.Close())
	return b.Bytes()
}

// TestDocumentsConform writes the CSAF and OpenVEX documents of the demo
// data and of a firmware version whose SBOM comes from scanning an image,
// and checks each against its official schema; the CSAF documents also
// pass every mandatory test of the reference validator.
func TestDocumentsConform(t *testing.T) {
	d := apptest.NewDemo(t)
	ctx := context.Background()
	svc := d.App.Supply
	a := demoActor(t, d)

	// The scanned image: a product of its own, one version, the SBOM
	// made from the scan, matched; and one version with nothing.
	p := iotsec.Product{Name: "Scanned gateway", Model: "SG-1"}
	must(t, d.App.Store.CreateProduct(ctx, a, &p))
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "3.0.1"}
	must(t, d.App.Store.CreateFirmware(ctx, a, &fw))
	res, err := d.App.Evaluation.Components(ctx, "gateway.tar", scannedImage(t))
	must(t, err)
	if len(res.Components) == 0 {
		t.Fatal("the scan identified no component")
	}
	var sb bytes.Buffer
	must(t, supply.EncodeSBOM(&sb, supply.ImageSBOM(res.Image.Name, res.Image.SHA256, res.Components), supply.CycloneDXJSON))
	_, _, err = svc.ImportSBOM(ctx, a, fw.ID, "gateway.cdx.json", sb.Bytes())
	must(t, err)
	_, err = svc.Rematch(ctx, a, fw.ID)
	must(t, err)
	empty := iotsec.Product{Name: "Quiet sensor", Model: "QS-1"}
	must(t, d.App.Store.CreateProduct(ctx, a, &empty))
	must(t, d.App.Store.CreateFirmware(ctx, a, &iotsec.FirmwareVersion{ProductID: empty.ID, Version: "1.0"}))

	csafSchema := compileSchema(t, "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", map[string]string{
		filepath.Join(csafSchemaDir, "csaf_json_schema.json"): "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
		filepath.Join(csafSchemaDir, "cvss-v2.0.json"):        "https://www.first.org/cvss/cvss-v2.0.json",
		filepath.Join(csafSchemaDir, "cvss-v3.0.json"):        "https://www.first.org/cvss/cvss-v3.0.json",
		filepath.Join(csafSchemaDir, "cvss-v3.1.json"):        "https://www.first.org/cvss/cvss-v3.1.json",
	})
	const ovID = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"
	ovSchema := compileSchema(t, ovID, map[string]string{openVEXSchema: ovID})
	validate := func(s *jsonschema.Schema, name string, data []byte) error {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return err
		}
		return s.Validate(doc)
	}

	products, err := d.App.Store.ListProducts(ctx, a)
	must(t, err)
	dir := t.TempDir()
	var files []string
	categories := map[string]int{}
	openvex, emptyVEX := 0, 0
	for _, p := range products {
		fws, err := d.App.Store.ListFirmware(ctx, a, p.ID)
		must(t, err)
		var buf bytes.Buffer
		err = svc.WriteCSAF(ctx, a, p.ID, &buf)
		if len(fws) == 0 {
			// Nothing to say: no version, no product tree.
			if !errors.Is(err, iotsec.ErrInvalid) {
				t.Errorf("CSAF of %s without firmware versions: %v, want invalid", p.Name, err)
			}
			continue
		}
		must(t, err)
		if err := validate(csafSchema, p.Name, buf.Bytes()); err != nil {
			t.Errorf("CSAF of %s does not validate against the schema: %v", p.Name, err)
		}
		var doc struct {
			Document struct {
				Category  string `json:"category"`
				Publisher struct {
					Namespace string `json:"namespace"`
				} `json:"publisher"`
			} `json:"document"`
			Vulns []json.RawMessage `json:"vulnerabilities"`
		}
		must(t, json.Unmarshal(buf.Bytes(), &doc))
		categories[doc.Document.Category]++
		if doc.Document.Publisher.Namespace != d.Srv.URL {
			t.Errorf("CSAF of %s: namespace %q, want the server's base URL %q", p.Name, doc.Document.Publisher.Namespace, d.Srv.URL)
		}
		if p.ID == fw.ProductID && (doc.Document.Category != "csaf_vex" || len(doc.Vulns) == 0) {
			t.Errorf("CSAF of the scanned image: %s with %d vulnerabilities, want csaf_vex with some", doc.Document.Category, len(doc.Vulns))
		}
		if p.ID == empty.ID && doc.Document.Category != "csaf_base" {
			t.Errorf("CSAF of a product without vulnerabilities: %s, want csaf_base", doc.Document.Category)
		}
		f := filepath.Join(dir, p.ID+".json")
		must(t, os.WriteFile(f, buf.Bytes(), 0o644))
		files = append(files, f)

		for _, v := range fws {
			var ov bytes.Buffer
			must(t, svc.WriteVEX(ctx, a, v.ID, "openvex", &ov))
			openvex++
			stmts, err := vex.Read(ov.Bytes(), "openvex", vex.DefaultLimits())
			must(t, err)
			var head struct {
				ID string `json:"@id"`
			}
			must(t, json.Unmarshal(ov.Bytes(), &head))
			if want := d.Srv.URL + "/vex/" + v.ID; head.ID != want {
				t.Errorf("OpenVEX of %s %s: @id %q, want %q", p.Name, v.Version, head.ID, want)
			}
			err = validate(ovSchema, "openvex", ov.Bytes())
			if len(stmts) == 0 {
				// OpenVEX 0.2.0's schema wants one statement at least
				// (vex.WriteOpenVEX says why an empty one is written).
				emptyVEX++
				if err == nil || !strings.Contains(err.Error(), "minItems") || strings.Count(err.Error(), "\n- ") > 1 {
					t.Errorf("OpenVEX of %s %s without statements: schema says %v, want only the statements' minItems", p.Name, v.Version, err)
				}
			} else if err != nil {
				t.Errorf("OpenVEX of %s %s does not validate against the schema: %v", p.Name, v.Version, err)
			}
		}
	}
	if categories["csaf_vex"] < 2 || categories["csaf_base"] < 1 || openvex-emptyVEX < 1 {
		t.Errorf("wrote CSAF %v and %d OpenVEX documents (%d empty): the demo should give csaf_vex and csaf_base documents and OpenVEX with statements", categories, openvex, emptyVEX)
	}
	tests := 0
	for f, v := range mandatoryTests(t, files) {
		tests += v.Tests
		if !v.Valid {
			t.Errorf("CSAF %s fails the reference validator: %+v", filepath.Base(f), v.Failed)
		}
	}
	t.Logf("CSAF: %d documents %v, %d schema and mandatory tests of the reference validator run, all passed; OpenVEX: %d documents (%d without statements)",
		len(files), categories, tests, openvex, emptyVEX)
}

// SOURCE_DATE_EPOCH makes the export reproducible: the same data and
// source date give the same bytes, whenever it runs; the configured
// publisher is the document's.
func TestCSAFReproducible(t *testing.T) {
	d := apptest.NewDemo(t)
	ctx := context.Background()
	svc := d.App.Supply
	a := demoActor(t, d)
	ps, err := d.App.Store.ListProducts(ctx, a)
	must(t, err)
	ps = slices.DeleteFunc(ps, func(p iotsec.Product) bool {
		fws, err := d.App.Store.ListFirmware(ctx, a, p.ID)
		return err != nil || len(fws) == 0
	})
	if len(ps) == 0 {
		t.Fatal("the demo has no product with firmware versions")
	}
	src := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	svc.SourceDate = src
	svc.Publisher = supply.Publisher{Name: "Demo PSIRT", Namespace: "https://psirt.example/", Category: "coordinator"}
	var one, two bytes.Buffer
	must(t, svc.WriteCSAF(ctx, a, ps[0].ID, &one))
	svc.Now = func() time.Time { return time.Now().Add(72 * time.Hour) }
	must(t, svc.WriteCSAF(ctx, a, ps[0].ID, &two))
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("two exports with the same SOURCE_DATE_EPOCH differ")
	}
	for _, want := range []string{`"date": "2026-01-02T03:04:05Z"`, `"name": "Demo PSIRT"`, `"namespace": "https://psirt.example/"`, `"category": "coordinator"`} {
		if !strings.Contains(one.String(), want) {
			t.Errorf("CSAF lacks %s", want)
		}
	}
	if strings.Contains(one.String(), ".invalid") {
		t.Error("CSAF names a .invalid host")
	}
}

// A CSAF document with a vulnerability iotsec cannot name is imported
// without it, and the skipped entry is logged by name.
func TestImportCSAFSkipsUnnamed(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	var logged bytes.Buffer
	svc := supply.New(st, slog.New(slog.NewTextHandler(&logged, nil)))
	doc := `{"document":{"category":"csaf_vex","csaf_version":"2.0","title":"t","tracking":{"id":"X-1","current_release_date":"2026-01-01T00:00:00Z"}},
 "product_tree":{"branches":[{"category":"vendor","name":"Example","branches":[{"category":"product_name","name":"Router R100","branches":[
  {"category":"product_version","name":"1.2","branches":[{"category":"service_pack","name":"1.2.1","product":{"product_id":"P1","name":"Example Router R100 1.2.1"}}]},
  {"category":"product_version","name":"1.3","product":{"product_id":"P2","name":"Example Router R100 1.3"}}]}]}]},
 "vulnerabilities":[
  {"title":"An issue without identifier","product_status":{"known_affected":["P1"]}},
  {"cve":"CVE-2023-42366","product_status":{"fixed":["P2"],"under_investigation":["P1"]}}]}`
	f := filepath.Join(t.TempDir(), "vendor.csaf.json")
	must(t, os.WriteFile(f, []byte(doc), 0o644))
	imp, err := svc.Import(context.Background(), "t", f, "")
	if err != nil || imp.Kind != supply.KindVEX {
		t.Fatalf("import: %+v, %v", imp, err)
	}
	srcs, _, err := st.VulnSources(context.Background())
	must(t, err)
	stored := -1
	for _, s := range srcs {
		if s.Kind == "vex" {
			stored = s.Records
		}
	}
	if stored != 2 {
		t.Errorf("%d vendor statements stored, want 2", stored)
	}
	if !strings.Contains(logged.String(), `vendor.csaf.json: vulnerabilities[0] (\"An issue without identifier\") has no cve and no ids: skipped`) {
		t.Errorf("log does not name the skipped vulnerability:\n%s", logged.String())
	}
}
