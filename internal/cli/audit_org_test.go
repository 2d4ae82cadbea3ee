package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditOrgHead: each organisation verifies its own chain; a signed head
// exported earlier catches events deleted from the end of the chain,
// which the chain alone cannot show; a head of another organisation or an
// edited head is refused.
func TestAuditOrgHead(t *testing.T) {
	dir := t.TempDir()
	runCLI := func(t *testing.T, dir string, args ...string) (string, string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
			switch k {
			case "IOTSEC_DATA":
				return dir
			case "IOTSEC_CA_KEY":
				return strings.Repeat("42", 32)
			}
			return ""
		}}
		code := run(context.Background(), args, e)
		return out.String(), errOut.String(), code
	}
	for _, args := range [][]string{
		{"admin", "org", "create", "Acme", "--country", "DE"},
		{"admin", "org", "create", "Beta", "--country", "DE"},
		{"admin", "user", "create", "a@acme.example", "--org", "Acme", "--role", "admin"},
		{"admin", "user", "create", "b@beta.example", "--org", "Beta", "--role", "admin"},
	} {
		if _, stderr, code := runCLI(t, dir, args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	head := filepath.Join(dir, "acme.head")
	out, stderr, code := runCLI(t, dir, "audit", "head", "--org", "Acme", "--out", head)
	if code != 0 || !strings.Contains(out, "event 2") {
		t.Fatalf("audit head = %d %q %s", code, out, stderr)
	}
	betaHead := filepath.Join(dir, "beta.head")
	if _, stderr, code := runCLI(t, dir, "audit", "head", "--org", "Beta", "--out", betaHead); code != 0 {
		t.Fatal(stderr)
	}
	// Later events; the older head is still reached.
	if _, stderr, code := runCLI(t, dir, "admin", "user", "create", "c@acme.example", "--org", "Acme", "--role", "viewer"); code != 0 {
		t.Fatal(stderr)
	}
	out, _, code = runCLI(t, dir, "audit", "verify", "--org", "Acme", "--head", head)
	if code != 0 || !strings.Contains(out, "intact: 3 events") || !strings.Contains(out, "reaches the signed head (event 2)") {
		t.Fatalf("verify with an older head = %d %q", code, out)
	}
	if _, stderr, code := runCLI(t, dir, "audit", "verify", "--org", "Acme", "--head", betaHead); code == 0 {
		t.Errorf("Beta's head accepted for Acme: %s", stderr)
	}
	if _, stderr, code := runCLI(t, dir, "audit", "head", "--org", "Acme", "--out", head); code != 0 {
		t.Fatal(stderr)
	}

	// Delete Acme's newest event behind the store's back.
	db, err := sql.Open("sqlite", filepath.Join(dir, "iotsec.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TRIGGER audit_events_no_delete",
		"DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events WHERE org_id = (SELECT id FROM orgs WHERE name = 'Acme'))"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	out, _, code = runCLI(t, dir, "audit", "verify", "--org", "Acme")
	if code != 0 {
		t.Errorf("without a head the cut chain still verifies (it cannot tell): %d %q", code, out)
	}
	out, _, code = runCLI(t, dir, "audit", "verify", "--org", "Acme", "--head", head)
	want := "BROKEN at its event 3: the chain ends at event 2 but the signed head vouches for event 3: events 3 to 3 were deleted"
	if code != ExitFailed || !strings.Contains(out, want) {
		t.Errorf("verify against the last head = %d %q, want exit 1 and %q", code, out, want)
	}
	// Beta's chain does not depend on Acme's.
	out, _, code = runCLI(t, dir, "audit", "verify", "--org", "Beta", "--head", betaHead)
	if code != 0 || !strings.Contains(out, "intact: 2 events") {
		t.Errorf("Beta = %d %q", code, out)
	}
}
