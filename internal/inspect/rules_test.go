package inspect_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/inspect"
)

func m1(m []string) string {
	if m == nil {
		return ""
	}
	return m[1]
}

// TestRulesMatchDocs checks inspect.Rules against the firmware rows of
// the rule table in docs/evaluation.md: the same rules, the same
// provisions (the table's alternatives "a / b" and its [U] marks read as
// one set; a rule's first row counts, later tables repeat rules).
func TestRulesMatchDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/evaluation.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([a-z0-9.-]+)` \\| [^|]+ \\| ([^|]+) \\|")
	id := regexp.MustCompile(`\d+\.\d+-\d+`)
	docs := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if _, seen := docs[m1(m)]; m == nil || seen || strings.HasPrefix(m[1], "probe.") {
			continue
		}
		var ps []string
		for _, p := range id.FindAllString(m[2], -1) {
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		slices.Sort(ps)
		docs[m[1]] = ps
	}
	code := map[string][]string{}
	for _, r := range inspect.Rules() {
		if _, dup := code[r.Rule]; dup {
			t.Errorf("rule %s listed twice", r.Rule)
		}
		ps := slices.Clone(r.Provisions)
		slices.Sort(ps)
		code[r.Rule] = ps
	}
	if len(docs) < 40 {
		t.Fatalf("read only %d rules from docs/evaluation.md", len(docs))
	}
	if d := cmp.Diff(docs, code); d != "" {
		t.Errorf("inspect.Rules and docs/evaluation.md differ (-docs +code):\n%s", d)
	}
}
