package csaf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/iotsec/iotsec/internal/vuln"
)

// csafSchema compiles the official CSAF 2.0 JSON schema (testdata/schema,
// README there) with format assertions on.
func csafSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for file, id := range map[string]string{
		"csaf_json_schema.json": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
		"cvss-v2.0.json":        "https://www.first.org/cvss/cvss-v2.0.json",
		"cvss-v3.0.json":        "https://www.first.org/cvss/cvss-v3.0.json",
		"cvss-v3.1.json":        "https://www.first.org/cvss/cvss-v3.1.json",
	} {
		f, err := os.Open(filepath.Join("testdata", "schema", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	s, err := c.Compile("https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSchema(t testing.TB, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s does not validate against the CSAF 2.0 schema: %v", name, err)
	}
}

// verdict is what testdata/validate.mjs prints for one document.
type verdict struct {
	File   string `json:"file"`
	Valid  bool   `json:"valid"`
	Tests  int    `json:"tests"`
	Failed []struct {
		Name   string   `json:"name"`
		Errors []string `json:"errors"`
	} `json:"failed"`
}

// referenceValidator runs the schema test and the mandatory tests of
// @secvisogram/csaf-validator-lib over files, skipping when Node or the
// package is absent (.ci/run installs both).
func referenceValidator(t testing.TB, files []string) map[string]verdict {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the CSAF reference validator's mandatory tests did not run (.ci/run installs Node and @secvisogram/csaf-validator-lib)")
	}
	cmd := exec.Command(node, filepath.Join("testdata", "validate.mjs"))
	cmd.Args = append(cmd.Args, files...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("the CSAF reference validator's mandatory tests did not run: %s(install it: npm install --prefix $HOME/.cache/iotsec-csaf-validator @secvisogram/csaf-validator-lib@2.0.10, or set IOTSEC_CSAF_VALIDATOR)", stderr.String())
	}
	if err != nil {
		t.Fatalf("validate.mjs: %v\n%s", err, stderr.String())
	}
	got := map[string]verdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("validate.mjs printed %q: %v", sc.Text(), err)
		}
		got[v.File] = v
	}
	if len(got) != len(files) {
		t.Fatalf("validate.mjs judged %d of %d documents", len(got), len(files))
	}
	return got
}

// TestConformance writes documents of every category the builder takes
// and checks each against the official schema and every mandatory test
// of the reference validator.
func TestConformance(t *testing.T) {
	t0 := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	advisory := input()
	advisory.Category = "csaf_security_advisory"
	advisory.References = []Reference{{URL: "https://example.com/psirt/EXAMPLE-2026-0001", Summary: "The advisory on the maker's site."}}
	advisory.Revisions = []Revision{{Date: t0, Summary: "Initial release."}, {Date: t0.Add(48 * time.Hour), Summary: "CVE-2023-42366 fixed in 1.3."}}
	scores := input()
	scores.ID = "EXAMPLE-2026-0002"
	scores.Vulns[1].CVSS = &vuln.CVSS{Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", Score: 1}
	scores.Vulns = append(scores.Vulns, Vulnerability{CVE: "CVE-2024-0001", Summary: "x",
		CVSS:     &vuln.CVSS{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:O"},
		Statuses: []Status{{Product: "Router R100 firmware", Version: "1.2", Status: vuln.StatusUnderInvestigation}}})
	base := input()
	base.Category, base.Vulns = "csaf_base", nil
	base.Summary = "No known vulnerability affects a listed version."
	dir := t.TempDir()
	var files []string
	s := csafSchema(t)
	for _, c := range []struct {
		name string
		in   Input
	}{{"vex", input()}, {"advisory", advisory}, {"scores", scores}, {"base", base}} {
		c.in.Generator, c.in.Generated = "iotsec 1.0.0", t0
		var buf bytes.Buffer
		if err := Write(&buf, c.in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		validateSchema(t, s, c.name, buf.Bytes())
		f := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The harness can fail: the shape iotsec wrote before (no notes on a
	// vulnerability) must fail test 6.1.27.5.
	var old bytes.Buffer
	if err := Write(&old, input()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(old.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m["vulnerabilities"].([]any) {
		delete(v.(map[string]any), "notes")
	}
	oldFile := filepath.Join(dir, "no-notes.json")
	data, _ := json.Marshal(m)
	if err := os.WriteFile(oldFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	verdicts := referenceValidator(t, append(files, oldFile))
	if v := verdicts[oldFile]; v.Valid || len(v.Failed) != 1 || v.Failed[0].Name != "mandatoryTest_6_1_27_5" {
		t.Errorf("a vulnerability without notes: %+v, want only mandatoryTest_6_1_27_5 failed", v)
	}
	delete(verdicts, oldFile)
	tests := 0
	for f, v := range verdicts {
		tests += v.Tests
		if !v.Valid {
			t.Errorf("%s fails the reference validator: %+v", filepath.Base(f), v.Failed)
		}
		if v.Tests < 40 {
			t.Errorf("%s: the reference validator ran %d tests, want the schema test and every mandatory one", filepath.Base(f), v.Tests)
		}
	}
	t.Logf("%d documents, %d schema and mandatory tests run by the reference validator", len(files), tests)
}

// The score follows the vector, whatever the input said (the scores of
// the vectors are NVD's).
func TestCVSS3(t *testing.T) {
	for _, c := range []struct {
		vector string
		score  float64
		sev    string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "CRITICAL"},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "LOW"},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "MEDIUM"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, "NONE"},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "LOW"},
	} {
		m, ok := cvss3(c.vector)
		if !ok || m["baseScore"] != c.score || m["baseSeverity"] != c.sev {
			t.Errorf("cvss3(%s) = %v, %v; want %v %s", c.vector, m, ok, c.score, c.sev)
		}
	}
	for _, bad := range []string{"", "AV:N/AC:L", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"} {
		if m, ok := cvss3(bad); ok {
			t.Errorf("cvss3(%q) = %v, want refused", bad, m)
		}
	}
}
