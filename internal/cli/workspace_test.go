package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWorkspaceCommands walks a change proposal through the command line
// with a ministry, a lab and a maker: create, invite, accept, propose,
// withdraw, reject, approve, merge, report; the maker's compare answer
// follows the merged change, and a removed maker sees the workspace no
// more.
func TestWorkspaceCommands(t *testing.T) {
	dir := t.TempDir()
	want := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := runCLI(t, dir, args...)
		if got != code {
			t.Fatalf("iotsec %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errOut)
		}
		return out
	}
	id := func(out string) string {
		t.Helper()
		var v struct {
			ID       string `json:"id"`
			Proposal struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"proposal"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return v.ID
	}
	for _, o := range []string{"Ministry", "Lab", "Maker"} {
		want(0, "admin", "org", "create", o, "--country", "GB")
	}
	want(2, "workspace", "list")
	w := id(want(0, "workspace", "create", "--org", "Ministry", "--name", "Consumer IoT SIG", "--focus", "PSTI and EN 303 645", "-o", "json"))
	want(0, "workspace", "invite", w, "--org", "Ministry", "--invite", "Lab", "--role", "reviewer")
	want(0, "workspace", "invite", w, "--org", "Ministry", "--invite", "Maker")
	want(3, "workspace", "show", w, "--org", "Nobody")
	if out := want(0, "workspace", "list", "--org", "Lab", "-o", "table"); !strings.Contains(out, "invited") {
		t.Errorf("the lab's list before accepting:\n%s", out)
	}
	want(0, "workspace", "accept", w, "--org", "Lab")
	want(0, "workspace", "accept", w, "--org", "Maker")

	full := func() float64 {
		t.Helper()
		var c struct {
			Stats struct {
				Full int `json:"full"`
			} `json:"stats"`
		}
		if err := json.Unmarshal([]byte(want(0, "scheme", "compare", "uk-psti", "etsi-en-303-645", "--org", "Maker", "-o", "json")), &c); err != nil {
			t.Fatal(err)
		}
		return float64(c.Stats.Full)
	}
	before := full()
	propose := []string{"workspace", "propose", w, "--org", "Maker", "--kind", "change", "--from", "uk-psti", "--sources", "1",
		"--relationship", "intersects-with", "--to", "etsi-en-303-645", "--targets", "5.1-1;5.1-2", "--rationale", "narrower in scope", "-o", "json"}
	p1 := id(want(0, propose...))
	want(5, "workspace", "withdraw", w, p1, "--org", "Lab")
	if out := want(0, "workspace", "withdraw", w, p1, "--org", "Maker"); !strings.Contains(out, "withdrawn") {
		t.Errorf("withdraw printed %q", out)
	}
	p2 := id(want(0, propose...))
	want(2, "workspace", "reject", w, p2, "--org", "Lab")
	want(0, "workspace", "comment", w, p2, "--org", "Ministry", "--body", "which cases?")
	if out := want(0, "workspace", "reject", w, p2, "--org", "Lab", "--reason", "cite the cases", "-o", "json"); !strings.Contains(out, `"reason": "cite the cases"`) {
		t.Errorf("reject printed %s", out)
	}
	p3 := id(want(0, propose...))
	want(5, "workspace", "approve", w, p3, "--org", "Maker")
	want(0, "workspace", "approve", w, p3, "--org", "Lab")
	merged := want(0, "workspace", "merge", w, p3, "--org", "Maker", "-o", "json")
	if strings.Count(merged, `"import_id"`) != 3 {
		t.Errorf("merge made imports %s, want three", merged)
	}
	want(4, "workspace", "merge", w, p3, "--org", "Maker")
	if got := full(); got != before-1 {
		t.Errorf("the maker's full coverage %v after the change, want %v", got, before-1)
	}
	want(0, "workspace", "report", w, "--org", "Lab", "--title", "March", "--from", "2026-03-01", "--to", "2026-03-31", "--merged", p3)
	show := want(0, "workspace", "show", w, "--org", "Lab", "-o", "table")
	for _, s := range []string{p1 + "  withdrawn", p2 + "  rejected", p3 + "  merged", "March"} {
		if !strings.Contains(show, s) {
			t.Errorf("show does not list %q:\n%s", s, show)
		}
	}
	want(0, "workspace", "remove", w, "--org", "Ministry", "--member", "Maker")
	want(3, "workspace", "show", w, "--org", "Maker")
	want(4, "workspace", "leave", w, "--org", "Ministry")
	want(0, "workspace", "leave", w, "--org", "Lab")
	if out := want(0, "workspace", "list", "--org", "Lab", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("the lab's workspaces after leaving: %s", out)
	}
}
