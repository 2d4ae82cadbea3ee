package cli

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// normalize replaces what changes from run to run: IDs, secrets, hashes,
// the temporary directory and build details.
func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DATA")
	for _, r := range []struct{ re, repl string }{
		{`\b(org|usr|tok|prd|fw|dev|job|imp|ta|ca|crt|enr|lc|xfr|vex|cra|ntf|vdb|inv)_[0-9a-z]{26}\b`, "${1}_ID"},
		{`iotsec_(tok|lnk|ses|enr|xfr|inv)_[0-9a-z]{52}`, "iotsec_${1}_SECRET"},
		{`\b[0-9a-f]{64}\b`, "HASH"},
		{`\b[0-9a-f]{16}\b`, "HASH16"},
		{`\b[0-9A-F]{24,40}\b`, "SERIAL"},
		{`-----BEGIN ([A-Z0-9 ]+)-----\n[A-Za-z0-9+/=\n]+-----END [A-Z0-9 ]+-----`, "-----BEGIN $1-----\n...\n-----END $1-----"},
		{`iotsec \S+ go1\.\S+ \S+/\S+`, "iotsec VERSION GO OS/ARCH"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.repl)
	}
	return s
}

// normalizeTimes also replaces times and dates, for outputs that show
// certificates' validity or when things happened. Scheme outputs keep
// theirs: their dates are facts under test.
func normalizeTimes(s, dir string) string {
	s = normalize(s, dir)
	for _, r := range []struct{ re, repl string }{
		{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`, "TIME"},
		{`\b20[2-9]\d-\d\d-\d\d\b`, "DATE"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.repl)
	}
	return s
}

// script runs commands in order against one data directory, each step's
// output checked against a golden file.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "fleet.csv")
	os.WriteFile(csv, []byte("uid,product,firmware,state\nSN-1,CAM-1,,operational\nSN-2,CAM-1,,suspended\n"), 0o600)
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("uid,product\nSN-3,NOPE\n"), 0o600)
	steps := []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{"version", []string{"version"}, "", ExitOK},
		{"help", []string{"--help"}, "", ExitOK},
		{"unknown-command", []string{"frobnicate"}, "", ExitUsage},
		{"unknown-flag", []string{"migrate", "--colour"}, "", ExitUsage},
		{"migrate", []string{"migrate"}, "", ExitOK},
		{"migrate-again", []string{"migrate"}, "", ExitOK},
		{"org-create", []string{"admin", "org", "create", "Acme Devices", "--kind", "manufacturer", "--country", "nl"}, "", ExitOK},
		{"org-create-duplicate", []string{"admin", "org", "create", "acme devices", "--country", "NL"}, "", ExitConflict},
		{"org-create-bad-country", []string{"admin", "org", "create", "Other", "--country", "XX"}, "", ExitUsage},
		{"org-list", []string{"admin", "org", "list"}, "", ExitOK},
		{"user-create-link", []string{"admin", "user", "create", "ann@acme.example", "--org", "Acme Devices", "--role", "owner"}, "", ExitOK},
		{"user-create-password", []string{"admin", "user", "create", "bob@acme.example", "--password-stdin"}, "a long passphrase\n", ExitOK},
		{"user-create-weak-password", []string{"admin", "user", "create", "eve@acme.example", "--password-stdin"}, "password123\n", ExitUsage},
		{"user-link", []string{"admin", "user", "link", "bob@acme.example", "--base-url", "https://iotsec.acme.example/"}, "", ExitOK},
		{"user-link-unknown", []string{"admin", "user", "link", "nobody@acme.example"}, "", ExitNotFound},
		{"token-create", []string{"admin", "token", "create", "--org", "Acme Devices", "--name", "ci", "--role", "maker"}, "", ExitOK},
		{"token-no-org", []string{"admin", "token", "create", "--name", "ci"}, "", ExitUsage},
		{"token-unknown-org", []string{"admin", "token", "create", "--org", "Nope", "--name", "ci"}, "", ExitNotFound},
		{"import-no-products", []string{"device", "import", csv, "--org", "Acme Devices"}, "", ExitUsage},
		{"import-missing-file", []string{"device", "import", filepath.Join(dir, "none.csv"), "--org", "Acme Devices"}, "", ExitUsage},
		{"audit-verify", []string{"audit", "verify"}, "", ExitOK},
	}
	var gs []goldenStep
	for _, st := range steps {
		gs = append(gs, goldenStep{name: st.name, args: st.args, stdin: st.stdin, code: st.code})
	}
	runGolden(t, dir, nil, gs)
}

// goldenStep is one command of a golden script; before, if set, runs
// first (to set up what the CLI cannot), and args may name values it set
// as {name}.
type goldenStep struct {
	name   string
	args   []string
	stdin  string
	code   int
	before func(t *testing.T)
}

// runGolden runs steps in order against one data directory, each step's
// output checked against its golden file. extra adds environment variables;
// vars fill {name} placeholders in arguments.
func runGolden(t *testing.T, dir string, extra map[string]string, steps []goldenStep, vars ...map[string]string) {
	ctx := context.Background()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before(t)
			}
			args := make([]string, len(st.args))
			for i, a := range st.args {
				for _, m := range vars {
					for k, v := range m {
						a = strings.ReplaceAll(a, "{"+k+"}", v)
					}
				}
				args[i] = a
			}
			var out, errOut bytes.Buffer
			e := &env{stdin: strings.NewReader(st.stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string {
				if k == "IOTSEC_DATA" {
					return dir
				}
				return extra[k]
			}}
			code := run(ctx, args, e)
			got := normalizeTimes("$ iotsec "+strings.Join(st.args, " ")+"\n--- stdout\n"+out.String()+"--- stderr\n"+errOut.String(), dir)
			golden := filepath.Join("testdata", st.name+".golden")
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
			if code != st.code {
				t.Errorf("exit code %d, want %d", code, st.code)
			}
		})
	}
}

func runCLI(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "IOTSEC_DATA" {
			return dir
		}
		return ""
	}}
	code := run(context.Background(), args, e)
	return out.String(), errOut.String(), code
}

// TestAuditVerifyBroken edits and deletes audit rows behind the store's
// back and checks verify names the first broken event and exits 1.
func TestAuditVerifyBroken(t *testing.T) {
	for _, tt := range []struct {
		name, sql, want string
	}{
		{"edited", "UPDATE audit_events SET target = 'someone-else' WHERE seq = 3", "audit log BROKEN at event 3: stored hash does not match the event's contents: the row was edited"},
		{"deleted", "DELETE FROM audit_events WHERE seq = 2", "audit log BROKEN at event 2: event 2 is missing (next stored event is 3): a row was deleted"},
		{"re-chained", "DELETE FROM audit_events WHERE seq = 2; UPDATE audit_events SET seq = seq - 1 WHERE seq > 2", "audit log BROKEN at event 2: prev_hash does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, args := range [][]string{
				{"admin", "org", "create", "Acme", "--country", "DE"},
				{"admin", "org", "create", "Beta", "--country", "DE"},
				{"admin", "user", "create", "a@acme.example"},
				{"admin", "user", "create", "b@acme.example"},
			} {
				if _, stderr, code := runCLI(t, dir, args...); code != 0 {
					t.Fatalf("%v: %s", args, stderr)
				}
			}
			if out, _, code := runCLI(t, dir, "audit", "verify"); code != 0 || !strings.Contains(out, "intact: 4 events") {
				t.Fatalf("verify before tampering = %d %q", code, out)
			}
			db, err := sql.Open("sqlite", filepath.Join(dir, "iotsec.db"))
			if err != nil {
				t.Fatal(err)
			}
			// Someone with write access to the database file can drop
			// the append-only triggers; the chain still shows it.
			for _, q := range []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", tt.sql} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			db.Close()
			out, _, code := runCLI(t, dir, "audit", "verify")
			if code != ExitFailed || !strings.Contains(out, tt.want) {
				t.Errorf("verify after tampering = %d %q, want exit 1 and %q", code, out, tt.want)
			}
		})
	}
}

// The append-only triggers refuse ordinary edits.
func TestAuditAppendOnly(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, dir, "admin", "org", "create", "Acme", "--country", "DE")
	db, err := sql.Open("sqlite", filepath.Join(dir, "iotsec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
}

func TestDeviceImport(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, dir, "admin", "org", "create", "Acme", "--country", "DE")
	out, _, _ := runCLI(t, dir, "admin", "org", "list", "-o", "json")
	if !strings.Contains(out, `"name": "Acme"`) {
		t.Fatalf("org list -o json = %s", out)
	}
	// Products come from the API or UI; here straight from the store.
	s, _, err := openFor(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	orgs, _ := s.ListOrgs(context.Background())
	if err := s.CreateProduct(context.Background(), iotsec.System(orgs[0].ID, "t"), &iotsec.Product{Name: "Cam", Model: "CAM-1"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	file := filepath.Join(dir, "fleet.json")
	os.WriteFile(file, []byte(`[{"uid":"SN-1","product":"CAM-1"},{"uid":"SN-2","product":"CAM-1","state":"provisioned"}]`), 0o600)
	out, stderr, code := runCLI(t, dir, "device", "import", file, "--org", "acme")
	if code != 0 || out != "imported 2 devices into Acme: 2 created, 0 updated\n" {
		t.Errorf("import = %d %q %q", code, out, stderr)
	}
	out, _, _ = runCLI(t, dir, "device", "import", file, "--org", orgs[0].ID)
	if out != "imported 2 devices into Acme: 0 created, 2 updated\n" {
		t.Errorf("second import = %q", out)
	}
}

func openFor(t *testing.T, dir string) (*sqlstore.Store, config.Config, error) {
	cfg := config.Default()
	cfg.Data = dir
	s, err := app.OpenStore(context.Background(), cfg, sqlstore.Options{})
	return s, cfg, err
}

// Every command explains itself with an example in its --help.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Example == "" {
			t.Errorf("%q has no example in its --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&env{getenv: func(string) string { return "" }}))
}
