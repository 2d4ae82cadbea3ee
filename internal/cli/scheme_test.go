package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// golden runs one command against dir and checks its output and exit code
// against testdata/NAME.golden.
func golden(t *testing.T, dir, name string, code int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "IOTSEC_DATA" {
			return dir
		}
		return ""
	}}
	got := run(context.Background(), args, e)
	text := normalize("$ iotsec "+strings.Join(args, " ")+"\n--- stdout\n"+out.String()+"--- stderr\n"+errOut.String(), dir)
	// OSCAL exports carry the time they were made.
	text = regexp.MustCompile(`"last-modified": "[^"]+"`).ReplaceAllString(text, `"last-modified": "TIME"`)
	text = regexp.MustCompile(`"(created_at|updated_at)": "[^"]+"`).ReplaceAllString(text, `"$1": "TIME"`)
	file := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(file, []byte(text), 0o644)
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), text); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", file, diff)
	}
	if got != code {
		t.Errorf("%s: exit code %d, want %d", name, got, code)
	}
	return out.String()
}

// TestSchemeGolden runs the scheme commands, table and JSON, on a fixed
// date: without a database first, then with an organisation's imports.
func TestSchemeGolden(t *testing.T) {
	dir := t.TempDir()
	const day = "2026-07-01"
	steps := []struct {
		name string
		code int
		args []string
	}{
		{"scheme-list-table", ExitOK, []string{"scheme", "list", "-o", "table"}},
		{"scheme-list-json", ExitOK, []string{"scheme", "list", "-o", "json"}},
		{"scheme-list-filter", ExitOK, []string{"scheme", "list", "--jurisdiction", "SG", "--sector", "consumer", "-o", "table"}},
		{"scheme-list-bad-output", ExitUsage, []string{"scheme", "list", "-o", "yaml"}},
		{"scheme-show-table", ExitOK, []string{"scheme", "show", "uk-psti", "-o", "table"}},
		{"scheme-show-json", ExitOK, []string{"scheme", "show", "uk-psti", "-o", "json"}},
		{"scheme-show-levels", ExitOK, []string{"scheme", "show", "jp-jc-star", "-o", "table"}},
		{"scheme-show-unknown", ExitNotFound, []string{"scheme", "show", "sg-clss"}},
		{"scheme-compare-table", ExitOK, []string{"scheme", "compare", "sg-cls:2", "eu-cra", "-o", "table"}},
		{"scheme-compare-json", ExitOK, []string{"scheme", "compare", "uk-psti", "etsi-en-303-645", "-o", "json"}},
		{"scheme-compare-bad-level", ExitNotFound, []string{"scheme", "compare", "sg-cls:9", "eu-cra"}},
		{"scheme-baseline-table", ExitOK, []string{"scheme", "baseline", "--market", "EU,UK,SG", "--class", "camera", "--sector", "consumer", "--date", day, "-o", "table"}},
		{"scheme-baseline-json", ExitOK, []string{"scheme", "baseline", "--scheme", "uk-psti,au-smart-devices", "--date", day, "-o", "json"}},
		{"scheme-applies-table", ExitOK, []string{"scheme", "applies", "--class", "camera", "--sector", "consumer", "--market", "EU,UK,SG", "--date", day, "-o", "table"}},
		{"scheme-applies-json", ExitOK, []string{"scheme", "applies", "--class", "router", "--market", "SG", "--date", day, "-o", "json"}},
		{"scheme-applies-bad-market", ExitUsage, []string{"scheme", "applies", "--class", "camera", "--market", "EU,Atlantis", "--date", day}},
		{"scheme-applies-no-market", ExitUsage, []string{"scheme", "applies", "--class", "camera"}},
		{"scheme-gaps-table", ExitOK, []string{"scheme", "gaps", "--date", day, "-o", "table"}},
		{"scheme-gaps-json", ExitOK, []string{"scheme", "gaps", "--sector", "public,medical", "--market", "EU,SG", "--date", day, "-o", "json"}},
		{"scheme-recognise-table", ExitOK, []string{"scheme", "recognise", "sg-cls", "--level", "3", "--date", day, "-o", "table"}},
		{"scheme-recognise-json", ExitOK, []string{"scheme", "recognise", "sg-cls", "--level", "3", "--date", day, "-o", "json"}},
		{"scheme-export-csv", ExitOK, []string{"scheme", "export", "uk-psti", "--format", "csv"}},
		{"scheme-export-oscal", ExitOK, []string{"scheme", "export", "uk-psti", "--format", "oscal"}},
		{"scheme-import-no-org", ExitUsage, []string{"scheme", "import", "x.json"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) { golden(t, dir, st.name, st.code, st.args...) })
	}
	if _, err := os.Stat(filepath.Join(dir, "iotsec.db")); err == nil {
		t.Errorf("a scheme command without --org created a database")
	}

	// A scheme owner's file: the PSTI export under another slug, and a
	// spreadsheet mapping it onto CLS.
	// Exported one document per file (--dir), renamed, imported together.
	exported := filepath.Join(dir, "psti-oscal")
	if code := run(context.Background(), []string{"scheme", "export", "uk-psti", "--dir", exported},
		&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("scheme export --dir exit %d", code)
	}
	files, err := filepath.Glob(filepath.Join(exported, "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("scheme export --dir wrote %v (%v), want a catalog and a mapping collection", files, err)
	}
	var bundle []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, "acme-"+filepath.Base(f))
		os.WriteFile(name, bytes.ReplaceAll(b, []byte(`uk-psti`), []byte(`acme-psti`)), 0o600)
		bundle = append(bundle, name)
	}
	maps := filepath.Join(dir, "maps.csv")
	os.WriteFile(maps, []byte("from,to,sources,relationship,targets,rationale,provenance,confidence,citation_title,citation_url\n"+
		"acme-psti,sg-cls,1,equal-to,5.1-1;5.1-2,Same password rules,expert,medium,Acme mapping,https://acme.example/map\n"), 0o600)
	broken := filepath.Join(dir, "broken.csv")
	os.WriteFile(broken, []byte("from,to,sources,relationship,targets,rationale,citation_url\n"+
		"acme-psti,sg-cls,1,kind-of,5.1-1,x,https://acme.example\n"+
		"acme-psti,sg-cls,9,equal-to,5.1-1,x,https://acme.example\n"), 0o600)
	if _, stderr, code := runCLI(t, dir, "admin", "org", "create", "Acme Labs", "--kind", "lab", "--country", "NL"); code != 0 {
		t.Fatal(stderr)
	}
	for _, st := range []struct {
		name string
		code int
		args []string
	}{
		{"scheme-import-table", ExitOK, append(append([]string{"scheme", "import"}, bundle...), "--org", "Acme Labs", "-o", "table")},
		{"scheme-import-json", ExitOK, []string{"scheme", "import", maps, "--org", "Acme Labs", "--share", "-o", "json"}},
		{"scheme-import-broken", ExitUsage, []string{"scheme", "import", broken, "--org", "Acme Labs"}},
		{"scheme-import-again", ExitUsage, append(append([]string{"scheme", "import"}, bundle...), "--org", "Acme Labs")},
		{"scheme-list-org", ExitOK, []string{"scheme", "list", "--org", "Acme Labs", "--jurisdiction", "GB", "-o", "table"}},
		{"scheme-compare-org", ExitOK, []string{"scheme", "compare", "acme-psti", "sg-cls:1", "--org", "Acme Labs", "-o", "table"}},
		{"scheme-show-org-unknown", ExitNotFound, []string{"scheme", "show", "acme-psti"}},
	} {
		t.Run(st.name, func(t *testing.T) { golden(t, dir, st.name, st.code, st.args...) })
	}
	out, _, code := runCLI(t, dir, "scheme", "show", "acme-psti", "--org", "Acme Labs", "-o", "json")
	var d struct {
		Slug       string `json:"slug"`
		Provisions []any  `json:"provisions"`
		Origin     struct {
			Org        string `json:"org"`
			Visibility string `json:"visibility"`
		} `json:"origin"`
	}
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || d.Slug != "acme-psti" || len(d.Provisions) != 3 || d.Origin.Org != "Acme Labs" || d.Origin.Visibility != "private" {
		t.Errorf("scheme show acme-psti --org = %d %+v (%v)", code, d, err)
	}
}

// TestSchemeDefaultOutput: JSON when stdout is not a terminal, as pipes and
// CI read it.
func TestSchemeDefaultOutput(t *testing.T) {
	out, _, code := runCLI(t, t.TempDir(), "scheme", "list")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("scheme list to a pipe = %d, not JSON: %v", code, err)
	}
	for _, k := range []string{"slug", "title", "version", "jurisdictions", "sectors", "status", "provision_count"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("scheme list JSON rows lack %q", k)
		}
	}
}

// lastModifiedRE finds the timestamps that differ between two exports made
// in different seconds.
var lastModifiedRE = regexp.MustCompile(`"last-modified": "[^"]*"`)

// TestSchemeExportZip: --zip holds the same documents as --dir, byte for
// byte; stdout holds the catalog alone; a zip of renamed documents imports
// whole (catalog, level and mapping set).
func TestSchemeExportZip(t *testing.T) {
	dir := t.TempDir()
	docs, zipName := filepath.Join(dir, "docs"), filepath.Join(dir, "psti.zip")
	for _, args := range [][]string{{"--dir", docs}, {"--zip", zipName}} {
		if _, stderr, code := runCLI(t, dir, append([]string{"scheme", "export", "uk-psti"}, args...)...); code != 0 {
			t.Fatalf("scheme export %v: exit %d: %s", args, code, stderr)
		}
	}
	zr, err := zip.OpenReader(zipName)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries, _ := os.ReadDir(docs)
	if len(zr.File) != len(entries) || len(entries) < 2 {
		t.Fatalf("zip has %d entries, dir %d files; want the same, at least a catalog and a mapping collection", len(zr.File), len(entries))
	}
	var buf bytes.Buffer
	renamed := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		want, err := os.ReadFile(filepath.Join(docs, f.Name))
		if err != nil || !bytes.Equal(lastModifiedRE.ReplaceAll(got, nil), lastModifiedRE.ReplaceAll(want, nil)) {
			t.Errorf("zip entry %s differs from the --dir file (%v)", f.Name, err)
		}
		w, _ := renamed.Create(strings.ReplaceAll(f.Name, "uk-psti", "beta-psti"))
		w.Write(bytes.ReplaceAll(got, []byte("uk-psti"), []byte("beta-psti")))
	}
	renamed.Close()
	stdout, _, code := runCLI(t, dir, "scheme", "export", "uk-psti")
	catalogFile, _ := os.ReadFile(filepath.Join(docs, "uk-psti.catalog.json"))
	if code != 0 || lastModifiedRE.ReplaceAllString(stdout, "") != lastModifiedRE.ReplaceAllString(string(catalogFile), "") {
		t.Errorf("scheme export uk-psti: exit %d, stdout is not the catalog document alone", code)
	}
	betaZip := filepath.Join(dir, "beta.zip")
	os.WriteFile(betaZip, buf.Bytes(), 0o600)
	if _, stderr, code := runCLI(t, dir, "admin", "org", "create", "Beta Labs", "--kind", "lab", "--country", "NL"); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code := runCLI(t, dir, "scheme", "import", betaZip, "--org", "Beta Labs", "-o", "json")
	if code != 0 {
		t.Fatalf("scheme import zip: exit %d: %s", code, stderr)
	}
	var res struct {
		Schemes []struct {
			Slug   string   `json:"slug"`
			Levels []string `json:"levels"`
		} `json:"schemes"`
		MappingSets []struct {
			ID string `json:"id"`
		} `json:"mapping_sets"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Schemes) != 1 || res.Schemes[0].Slug != "beta-psti" || len(res.MappingSets) != len(zr.File)-1 ||
		res.MappingSets[0].ID != "beta-psti--etsi-en-303-645" {
		t.Errorf("scheme import zip = %s, want beta-psti and its mapping set beta-psti--etsi-en-303-645 under the same ID", out)
	}
}
