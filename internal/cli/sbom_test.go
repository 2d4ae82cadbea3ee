package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/sbom"
)

// runEnv runs the CLI with extra environment variables.
func runEnv(t *testing.T, dir string, extra map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "IOTSEC_DATA" {
			return dir
		}
		return extra[k]
	}}
	code := run(context.Background(), args, e)
	return out.String(), errOut.String(), code
}

// epoch fixes the SBOMs' creation time (and so their serial numbers).
var epoch = map[string]string{"SOURCE_DATE_EPOCH": "1717243200"} // 2024-06-01T12:00:00Z

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
	}
}

// routerScan writes the generated router image and its `scan -o json`
// document into dir.
func routerScan(t *testing.T, dir string) (img, scanJSON string, data []byte, comps []inspect.Component) {
	t.Helper()
	img = filepath.Join(dir, "router.bin")
	data = firmwaretest.Router()
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, dir, "scan", img, "-o", "json")
	if code != ExitOK {
		t.Fatalf("scan -o json = %d: %s", code, errOut)
	}
	scanJSON = filepath.Join(dir, "router.json")
	if err := os.WriteFile(scanJSON, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	var res struct{ Components []inspect.Component }
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Components) < 5 {
		t.Fatalf("scan found %d components, the router has at least 5", len(res.Components))
	}
	return img, scanJSON, data, res.Components
}

// TestSBOMGolden runs `iotsec sbom` and `iotsec sbom diff` and checks
// their output and exit codes. Outputs of the generated image have their
// digests replaced (HASH); TestSBOMDecodes checks the digests.
func TestSBOMGolden(t *testing.T) {
	dir := t.TempDir()
	img, scanJSON, _, _ := routerScan(t, dir)
	notScan := filepath.Join(dir, "other.json")
	os.WriteFile(notScan, []byte(`{"name": "router", "files": []}`), 0o644)
	badScan := filepath.Join(dir, "bad-scan.json")
	os.WriteFile(badScan, []byte(`{"image": {"name": "r.bin", "sha256": "123"}, "findings": [], "components": [
  {"name": "busybox", "version": "1.36.1", "cpe": "cpe:2.3:x:busybox:busybox", "purl": "busybox@1.36.1", "path": "bin/busybox"},
  {"name": "", "version": "1.0", "evidence": {"sha256": "zz"}}
]}`), 0o644)
	a, b := filepath.Join("testdata", "sbom", "firmware-1.2.cdx.json"), filepath.Join("testdata", "sbom", "firmware-1.3.cdx.json")
	invalid := filepath.Join("testdata", "sbom", "invalid.cdx.json")
	for _, st := range []struct {
		name string
		args []string
		code int
	}{
		{"sbom-table", []string{"sbom", img, "-o", "table"}, ExitOK},
		{"sbom-table-product", []string{"sbom", scanJSON, "-o", "table", "--product", "Router R100", "--version", "1.2", "--model", "R100", "--manufacturer", "Acme Devices"}, ExitOK},
		{"sbom-cyclonedx", []string{"sbom", img, "--product", "Router R100", "--version", "1.2", "--model", "R100", "--manufacturer", "Acme Devices"}, ExitOK},
		{"sbom-bad-output", []string{"sbom", img, "-o", "swid"}, ExitUsage},
		{"sbom-bad-encoding", []string{"sbom", img, "-o", "spdx", "--encoding", "xml"}, ExitUsage},
		{"sbom-table-encoding", []string{"sbom", img, "-o", "table", "--encoding", "json"}, ExitUsage},
		{"sbom-missing", []string{"sbom", filepath.Join(dir, "none.bin")}, ExitUsage},
		{"sbom-not-scan", []string{"sbom", notScan}, ExitUsage},
		{"sbom-already-sbom", []string{"sbom", a}, ExitUsage},
		{"sbom-bad-scan", []string{"sbom", badScan}, ExitUsage},
		{"sbom-diff-table", []string{"sbom", "diff", a, b}, ExitOK},
		{"sbom-diff-json", []string{"sbom", "diff", a, b, "-o", "json"}, ExitOK},
		{"sbom-diff-exit-code", []string{"sbom", "diff", a, b, "--exit-code"}, ExitFailed},
		{"sbom-diff-same", []string{"sbom", "diff", a, a, "--exit-code"}, ExitOK},
		{"sbom-diff-invalid", []string{"sbom", "diff", a, invalid}, ExitUsage},
		{"sbom-diff-bad-output", []string{"sbom", "diff", a, b, "-o", "csv"}, ExitUsage},
		{"sbom-diff-one-arg", []string{"sbom", "diff", a}, ExitUsage},
	} {
		t.Run(st.name, func(t *testing.T) {
			out, errOut, code := runEnv(t, dir, epoch, st.args...)
			got := "$ iotsec " + strings.Join(st.args, " ") + "\n--- stdout\n" + out + "--- stderr\n" + errOut
			if strings.HasPrefix(st.name, "sbom-diff") {
				got = strings.ReplaceAll(got, dir, "$DATA") // the fixtures' digests are facts under test
			} else {
				got = normalize(got, dir)
			}
			// The tool's name carries the build's version.
			got = strings.ReplaceAll(got, `"name": "`+toolName()+`"`, `"name": "iotsec VERSION"`)
			checkGolden(t, st.name, got)
			if code != st.code {
				t.Errorf("exit code %d, want %d", code, st.code)
			}
		})
	}
}

// The SBOM of an image and the SBOM of its scan document are the same,
// byte for byte, in every format; components come out sorted whatever
// their order in the scan document.
func TestSBOMFromScanJSON(t *testing.T) {
	dir := t.TempDir()
	img, scanJSON, _, _ := routerScan(t, dir)
	// The same scan document, compact and with its components reversed.
	raw, _ := os.ReadFile(scanJSON)
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	cs := doc["components"].([]any)
	slices.Reverse(cs)
	shuffled, _ := json.Marshal(doc)
	reversed := filepath.Join(dir, "reversed.json")
	os.WriteFile(reversed, shuffled, 0o644)
	for _, args := range [][]string{
		{"-o", "table"},
		{},
		{"--encoding", "xml"},
		{"-o", "spdx"},
		{"-o", "spdx", "--encoding", "tag-value", "--product", "R100"},
	} {
		want, errOut, code := runEnv(t, dir, epoch, append([]string{"sbom", img}, args...)...)
		if code != 0 || errOut != "" {
			t.Fatalf("sbom image %v = %d: %s", args, code, errOut)
		}
		for _, in := range []string{scanJSON, reversed} {
			got, errOut, code := runEnv(t, dir, epoch, append([]string{"sbom", in}, args...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("sbom %s %v = %d: %s", in, args, code, errOut)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("sbom %s %v differs from the image's (-image +scan):\n%s", filepath.Base(in), args, diff)
			}
		}
	}
	// --out writes the same bytes to a file and says so on stderr.
	want, _, _ := runEnv(t, dir, epoch, "sbom", img, "-o", "spdx")
	file := filepath.Join(dir, "out.spdx.json")
	out, errOut, code := runEnv(t, dir, epoch, "sbom", img, "-o", "spdx", "--out", file)
	got, _ := os.ReadFile(file)
	if code != 0 || out != "" || string(got) != want || errOut != "wrote "+file+" (spdx-json, 5 components)\n" {
		t.Errorf("--out: code %d, stdout %q, stderr %q, file equal %v", code, out, errOut, string(got) == want)
	}
	// Without SOURCE_DATE_EPOCH the time is now; a bad one is refused.
	if out, _, _ := runEnv(t, dir, nil, "sbom", img); strings.Contains(out, "2024-06-01T12:00:00Z") || !strings.Contains(out, `"timestamp": "20`) {
		t.Errorf("sbom without SOURCE_DATE_EPOCH has no current timestamp")
	}
	if _, errOut, code := runEnv(t, dir, map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "sbom", img); code != ExitUsage || !strings.Contains(errOut, "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH = %d %q", code, errOut)
	}
}

// TestSBOMDecodes reads the written SBOMs back with package sbom: the top
// component is the firmware with the image's SHA-256, every component of
// the scan is there with its CPE, purl, path and file digest, and the four
// encodings say the same.
func TestSBOMDecodes(t *testing.T) {
	dir := t.TempDir()
	img, _, data, scanned := routerScan(t, dir)
	sum := sha256.Sum256(data)
	flags := []string{"--product", "Router R100", "--version", "1.3", "--model", "R100", "--manufacturer", "Acme Devices"}
	decode := func(args ...string) (*sbom.Document, sbom.Format, string) {
		t.Helper()
		out, errOut, code := runEnv(t, dir, epoch, append(append([]string{"sbom", img}, flags...), args...)...)
		if code != 0 {
			t.Fatalf("sbom %v = %d: %s", args, code, errOut)
		}
		d, f, err := sbom.Decode(strings.NewReader(out), "out", sbom.DefaultLimits())
		if err != nil {
			t.Fatalf("sbom %v does not decode: %v", args, err)
		}
		return d, f, out
	}
	cdx, f, raw := decode()
	if f != sbom.CycloneDXJSON {
		t.Errorf("default format %s, want %s", f, sbom.CycloneDXJSON)
	}
	var top struct {
		Metadata struct {
			Component struct {
				Type string `json:"type"`
			} `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(raw), &top); err != nil || top.Metadata.Component.Type != "firmware" {
		t.Errorf("metadata.component.type = %q (%v), want firmware", top.Metadata.Component.Type, err)
	}
	wantFW := sbom.Firmware{Ref: "firmware", Manufacturer: "Acme Devices", Product: "Router R100", Model: "R100", Version: "1.3",
		Hashes: []sbom.Hash{{Alg: "SHA-256", Value: hex.EncodeToString(sum[:])}}}
	if diff := cmp.Diff(wantFW, cdx.Firmware); diff != "" {
		t.Errorf("firmware (-want +got):\n%s", diff)
	}
	if cdx.Tool == "" || !cdx.Created.Equal(cdx.Created.UTC()) || cdx.Created.Unix() != 1717243200 {
		t.Errorf("tool %q, created %v", cdx.Tool, cdx.Created)
	}
	if len(cdx.Components) != len(scanned) {
		t.Fatalf("%d components, the scan found %d", len(cdx.Components), len(scanned))
	}
	types := map[string]string{"busybox": sbom.TypeApplication, "dnsmasq": sbom.TypeApplication, "dropbear": sbom.TypeApplication, "linux": sbom.TypeOS, "openssl": sbom.TypeLibrary}
	for i, s := range scanned { // the scan lists them by name, as the SBOM does
		want := sbom.Component{Ref: s.Name + "@" + s.Version, Type: types[s.Name], Name: s.Name, Version: s.Version, CPEs: []string{s.CPE}, PURL: s.PURL,
			Files: []string{s.Path}, Hashes: []sbom.Hash{{Alg: "SHA-256", Value: s.Evidence.SHA256}}}
		if diff := cmp.Diff(want, cdx.Components[i]); diff != "" {
			t.Errorf("component %d (-want +got):\n%s", i, diff)
		}
	}

	// SPDX (tag-value and JSON) round-trips: the same document but for refs.
	ignoreRefs := []cmp.Option{cmpopts.IgnoreFields(sbom.Component{}, "Ref"), cmpopts.IgnoreFields(sbom.Firmware{}, "Ref"), cmpopts.IgnoreFields(sbom.Document{}, "Serial")}
	for _, tc := range []struct {
		args []string
		want sbom.Format
	}{
		{[]string{"-o", "spdx", "--encoding", "tag-value"}, sbom.SPDXTagValue},
		{[]string{"-o", "spdx"}, sbom.SPDXJSON},
		{[]string{"-o", "SPDX", "--encoding", "JSON"}, sbom.SPDXJSON},
	} {
		d, f, _ := decode(tc.args...)
		if f != tc.want {
			t.Errorf("%v: format %s, want %s", tc.args, f, tc.want)
		}
		if diff := cmp.Diff(cdx, d, ignoreRefs...); diff != "" {
			t.Errorf("%v differs from the CycloneDX JSON (-cdx +spdx):\n%s", tc.args, diff)
		}
	}
	// CycloneDX XML keeps everything, evidence included (cyclonedx-go
	// v0.12.0 writes evidence.occurrences in XML too).
	x, f, _ := decode("--encoding", "xml")
	if f != sbom.CycloneDXXML {
		t.Errorf("--encoding xml: format %s", f)
	}
	if diff := cmp.Diff(cdx, x, cmpopts.IgnoreFields(sbom.Document{}, "Serial")); diff != "" {
		t.Errorf("XML differs from JSON (-json +xml):\n%s", diff)
	}
}

// A diff reads any format: the 1.3 fixture as SPDX tag-value against the
// 1.2 fixture as CycloneDX gives the same changes as CycloneDX on both.
func TestSBOMDiffAcrossFormats(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join("testdata", "sbom", "firmware-1.2.cdx.json"), filepath.Join("testdata", "sbom", "firmware-1.3.cdx.json")
	d, _, err := sbom.DecodeFile(b, sbom.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sbom.Encode(&buf, d, sbom.SPDXTagValue); err != nil {
		t.Fatal(err)
	}
	spdx := filepath.Join(dir, "firmware-1.3.spdx")
	os.WriteFile(spdx, buf.Bytes(), 0o644)
	read := func(args ...string) jsonDiff {
		out, errOut, code := runCLI(t, dir, append([]string{"sbom", "diff"}, args...)...)
		if code != 0 {
			t.Fatalf("diff %v = %d: %s", args, code, errOut)
		}
		var j jsonDiff
		if err := json.Unmarshal([]byte(out), &j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	want, got := read(a, b, "-o", "json"), read(a, spdx, "-o", "json")
	if len(want.Added) != 1 || len(want.Removed) != 1 || len(want.Changed) != 1 {
		t.Fatalf("diff 1.2 1.3 = %+v", want)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(jsonComponent{}, "Ref")); diff != "" {
		t.Errorf("diff against SPDX differs (-cdx +spdx):\n%s", diff)
	}
	// And backwards: 1.3 to 1.2 swaps added and removed.
	back := read(b, a, "-o", "json")
	if back.Added[0].Name != "dropbear" || back.Removed[0].Name != "dnsmasq" || back.Changed[0].Fields[0] != (jsonField{"version", "1.36.1", "1.35.0"}) {
		t.Errorf("diff 1.3 1.2 = %+v", back)
	}
}

func TestSBOMFormatFlags(t *testing.T) {
	for _, tt := range []struct {
		o, enc string
		set    bool
		want   sbom.Format
		err    string
	}{
		{"cyclonedx", "", false, sbom.CycloneDXJSON, ""},
		{"cyclonedx", "json", true, sbom.CycloneDXJSON, ""},
		{"CycloneDX", "XML", true, sbom.CycloneDXXML, ""},
		{"spdx", "", false, sbom.SPDXJSON, ""},
		{"spdx", "tag-value", true, sbom.SPDXTagValue, ""},
		{"table", "", false, "", ""},
		{"table", "", true, "", "not for -o table"},
		{"spdx", "xml", true, "", `--encoding "xml" does not go with -o spdx (use json or tag-value)`},
		{"cyclonedx", "tag-value", true, "", "does not go with -o cyclonedx (use json or xml)"},
		{"cyclonedx", "", true, "", `--encoding ""`},
		{"swid", "", false, "", `-o "swid" is not one of cyclonedx, spdx, table`},
	} {
		f, err := sbomFormat(tt.o, tt.enc, tt.set)
		if tt.err == "" && (err != nil || f != tt.want) {
			t.Errorf("sbomFormat(%q, %q, %v) = %q, %v; want %q", tt.o, tt.enc, tt.set, f, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || exitCode(err, false) != ExitUsage) {
			t.Errorf("sbomFormat(%q, %q, %v) = %v; want usage error %q", tt.o, tt.enc, tt.set, err, tt.err)
		}
	}
}
