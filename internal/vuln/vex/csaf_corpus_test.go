package vex

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
)

// oasisDir holds OASIS's CSAF 2.0 example documents and the validator
// test data (testdata/README.md).
const oasisDir = "testdata/csaf/oasis"

// csafCounts are what a CSAF document holds, counted from its JSON
// without the reader: product_ids the product tree defines, statements
// its vulnerabilities make (one per product_id in a status list, lists
// of one status counted once), and vulnerabilities without any ID.
type csafCounts struct {
	products, statements, skipped int
}

func countCSAF(t *testing.T, data []byte) csafCounts {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	list := func(v any) []any { l, _ := v.([]any); return l }
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	var c csafCounts
	tree := obj(doc["product_tree"])
	var walk func([]any)
	walk = func(bs []any) {
		for _, b := range bs {
			if obj(b)["product"] != nil {
				c.products++
			}
			walk(list(obj(b)["branches"]))
		}
	}
	walk(list(tree["branches"]))
	c.products += len(list(tree["full_product_names"])) + len(list(tree["relationships"]))
	for _, v := range list(doc["vulnerabilities"]) {
		named := obj(v)["cve"] != nil
		for _, id := range list(obj(v)["ids"]) {
			named = named || obj(id)["text"] != ""
		}
		if !named {
			c.skipped++
			continue
		}
		ps := obj(obj(v)["product_status"])
		for _, group := range [][]string{{"known_not_affected"}, {"fixed", "first_fixed"},
			{"known_affected", "first_affected", "last_affected"}, {"under_investigation"}} {
			ids := map[any]bool{}
			for _, l := range group {
				for _, id := range list(ps[l]) {
					ids[id] = true
				}
			}
			c.statements += len(ids)
		}
	}
	return c
}

// oasisCorpus sorts the OASIS documents: every example and every
// document testcases.json calls valid, and each failure with the test it
// fails.
func oasisCorpus(t *testing.T) (valid []string, invalid map[string]string) {
	t.Helper()
	examples, err := filepath.Glob(filepath.Join(oasisDir, "examples", "csaf", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	vex, _ := filepath.Glob(filepath.Join(oasisDir, "examples", "csaf", "csaf_vex", "*.json"))
	valid = append(examples, vex...)
	data, err := os.ReadFile(filepath.Join(oasisDir, "test", "validator", "data", "testcases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tc struct {
		Tests []struct {
			ID       string `json:"id"`
			Failures []struct {
				Name string `json:"name"`
			} `json:"failures"`
			Valid []struct {
				Name string `json:"name"`
			} `json:"valid"`
		} `json:"tests"`
	}
	if err := json.Unmarshal(data, &tc); err != nil {
		t.Fatal(err)
	}
	invalid = map[string]string{}
	for _, x := range tc.Tests {
		for _, f := range x.Valid {
			valid = append(valid, filepath.Join(oasisDir, "test", "validator", "data", f.Name))
		}
		for _, f := range x.Failures {
			invalid[filepath.Join(oasisDir, "test", "validator", "data", f.Name)] = x.ID
		}
	}
	slices.Sort(valid)
	return slices.Compact(valid), invalid
}

// Every valid OASIS document reads with all its products and statements:
// none dropped, none merged into another; a vulnerability without an ID
// is skipped with a warning naming it, not a reason to drop the file.
func TestReadCSAFCorpus(t *testing.T) {
	valid, _ := oasisCorpus(t)
	if len(valid) < 100 {
		t.Fatalf("%d valid documents in the corpus, want the 18 examples and 94 test documents", len(valid))
	}
	var products, statements, skipped int
	for _, f := range valid {
		t.Run(strings.TrimPrefix(f, oasisDir+"/"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := countCSAF(t, data)
			var warnings []string
			lim := DefaultLimits()
			lim.Warn = func(m string) { warnings = append(warnings, m) }
			r, err := parseCSAF(data, filepath.Base(f), lim)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			got := csafCounts{products: len(r.products), statements: len(r.statements), skipped: len(warnings)}
			if got != want {
				t.Errorf("read %+v, the document holds %+v", got, want)
			}
			for _, w := range warnings {
				if !regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(f)) + `: vulnerabilities\[\d+\] \(.+\) has no cve and no ids: skipped$`).MatchString(w) {
					t.Errorf("warning %q does not name the file and the vulnerability", w)
				}
			}
			for id, p := range r.products {
				if p[0].IsZero() || (p[0].Name == "" && p[0].PURL == "" && p[0].CPE == "") {
					t.Errorf("product %s has no name: %+v", id, p)
				}
			}
			distinct := map[string]bool{}
			for _, s := range r.statements {
				distinct[fmt.Sprint(s.Vulnerability, s.Product, s.Component)] = true
				if s.Vulnerability == "" || s.Product.IsZero() || !slices.Contains([]string{vuln.StatusAffected, vuln.StatusNotAffected, vuln.StatusFixed, vuln.StatusUnderInvestigation}, s.Status) {
					t.Errorf("statement %+v", s)
				}
			}
			if len(distinct) != len(r.statements) {
				t.Errorf("%d statements name only %d distinct vulnerability-product pairs: products merged", len(r.statements), len(distinct))
			}
			products += got.products
			statements += got.statements
			skipped += got.skipped
		})
	}
	t.Logf("%d valid OASIS documents read: %d products, %d statements, %d vulnerabilities without ID skipped", len(valid), products, statements, skipped)
}

// The Cisco example's 259 products sit below service_pack branches: each
// is its own product, named by its product_name and versions.
func TestReadCSAFDeepBranches(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(oasisDir, "examples", "csaf", "cisco-sa-20180328-smi2.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseCSAF(data, "cisco", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([2]vuln.Ref{{Name: "IOS", Version: "12.2SE 12.2(55)SE"}}, r.products["CVRFPID-103763"]); diff != "" {
		t.Errorf("CVRFPID-103763 (-want +got):\n%s", diff)
	}
	versions := map[string]bool{}
	for _, s := range r.statements {
		versions[s.Product.Name+" "+s.Product.Version] = true
	}
	if len(r.statements) != 259 || len(versions) != 259 {
		t.Errorf("%d statements about %d products, want 259 about 259", len(r.statements), len(versions))
	}
	// A relationship names the product and the component in it.
	data, err = os.ReadFile(filepath.Join(oasisDir, "examples", "csaf", "rhsa-2021_5186.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err = parseCSAF(data, "rhsa", DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	got := r.products["8Base-RHOSE-4.6:openshift4/ose-metering-ansible-operator-bundle:v4.6.0.202112161349.p0.gd74112d.assembly.art3595-1"]
	if got[0].Name != "Red Hat OpenShift Container Platform 4.6" || !strings.HasPrefix(got[1].Name, "openshift4/ose-metering-ansible-operator-bundle") {
		t.Errorf("relationship read as %+v", got)
	}
}

// csafStructural are the mandatory tests whose failures leave a document
// the reader cannot trust: references to products and groups that are
// not there, defined twice or in a circle, and contradicting statuses.
// The other tests check what the reader does not use (CVSS, CWE,
// language, revision history, ...): documents failing only them are read.
var csafStructural = []string{"6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.1.5", "6.1.6"}

// The official invalid documents that are structurally broken are
// refused, naming the problem and the test; the others are read.
func TestReadCSAFInvalid(t *testing.T) {
	_, invalid := oasisCorpus(t)
	refused, read := 0, 0
	for f, test := range invalid {
		t.Run(strings.TrimPrefix(f, oasisDir+"/"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read(data, filepath.Base(f), DefaultLimits())
			if slices.Contains(csafStructural, test) {
				if err == nil || !strings.Contains(err.Error(), "(CSAF 2.0 test "+test+")") || !strings.HasPrefix(err.Error(), filepath.Base(f)) {
					t.Errorf("fails test %s: read with %v, want refused naming the file and the test", test, err)
				}
				refused++
				return
			}
			if err != nil {
				t.Errorf("fails test %s only, which the reader does not rely on: refused: %v", test, err)
			}
			read++
		})
	}
	if refused < 12 {
		t.Errorf("%d structurally broken documents, want the 12 of tests 6.1.1 to 6.1.6", refused)
	}
	t.Logf("%d official invalid documents: %d structurally broken refused, %d failing other tests read", len(invalid), refused, read)
}

func FuzzReadCSAF(f *testing.F) {
	for _, n := range []string{"examples/csaf/rhsa-2021_5186.json", "examples/csaf/csaf_vex/2022-evd-uc-08-001.json",
		"test/validator/data/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-03-01.json", "examples/csaf/bsi-2022-0001.json"} {
		data, err := os.ReadFile(filepath.Join(oasisDir, n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(fixture(f, "csaf-router.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxStatements: 1000, MaxDepth: 16, Warn: func(string) {}}
		r, err := parseCSAF(data, "fuzz", lim)
		if err != nil {
			return
		}
		if len(r.statements) > lim.MaxStatements {
			t.Fatalf("%d statements over the limit", len(r.statements))
		}
		for _, s := range r.statements {
			if s.Vulnerability == "" || csafStatusOf(s.Status) {
				t.Fatalf("statement %+v", s)
			}
		}
	})
}

func csafStatusOf(s string) bool {
	return !slices.Contains([]string{vuln.StatusAffected, vuln.StatusNotAffected, vuln.StatusFixed, vuln.StatusUnderInvestigation}, s)
}

// Products told apart only by a branch iotsec does not name by (here
// architecture) keep their full product names, so they stay apart.
func TestReadCSAFQualifiers(t *testing.T) {
	doc := `{"document":{"category":"csaf_vex","csaf_version":"2.0","tracking":{"id":"Q-1","current_release_date":"2026-01-01T00:00:00Z"}},
 "product_tree":{"branches":[{"category":"product_name","name":"Gateway","branches":[{"category":"product_version","name":"2.0","branches":[
  {"category":"architecture","name":"arm64","product":{"product_id":"A","name":"Gateway 2.0 arm64"}},
  {"category":"architecture","name":"mips","product":{"product_id":"M","name":"Gateway 2.0 mips"}}]},
  {"category":"product_version","name":"2.1","branches":[{"category":"language","name":"de","product":{"product_id":"D","name":"Gateway 2.1 (de)"}}]}]}]},
 "vulnerabilities":[{"cve":"CVE-2024-0001","product_status":{"fixed":["A","D"],"known_affected":["M"]},
  "remediations":[{"category":"vendor_fix","details":"update","product_ids":["M"]}]}]}`
	r, err := parseCSAF([]byte(doc), "q", DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]vuln.Ref{
		"A": {{Name: "Gateway 2.0 arm64", Version: "2.0"}},
		"M": {{Name: "Gateway 2.0 mips", Version: "2.0"}},
		"D": {{Name: "Gateway", Version: "2.1"}},
	}
	if diff := cmp.Diff(want, r.products); diff != "" {
		t.Errorf("products (-want +got):\n%s", diff)
	}
}
