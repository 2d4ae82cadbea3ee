package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestProductFirmware: a product and its firmware versions made from the
// command line, as the README's identity walk-through does.
func TestProductFirmware(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runCLI(t, dir, "admin", "org", "create", "Acme", "--kind", "manufacturer", "--country", "NL"); code != ExitOK {
		t.Fatalf("org create: %d %s", code, errOut)
	}
	out, errOut, code := runCLI(t, dir, "product", "create", "Smart Socket", "--org", "Acme", "--model", "SS-1",
		"--class", "appliance", "--market", "EU, GB", "--support-months", "60", "-o", "json")
	if code != ExitOK {
		t.Fatalf("product create: %d %s", code, errOut)
	}
	var p iotsec.Product
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Model != "SS-1" || p.SupportMonths != 60 || strings.Join(p.Markets, ",") != "EU,GB" || p.Class != "appliance" {
		t.Errorf("product = %+v", p)
	}
	steps := []struct {
		name string
		args []string
		code int
		out  string // a regular expression stdout (or stderr on failure) must match
	}{
		{"duplicate model", []string{"product", "create", "Other", "--org", "Acme", "--model", "SS-1"}, ExitConflict, "model_number"},
		{"unknown class", []string{"product", "create", "Other", "--org", "Acme", "--model", "X", "--class", "toaster-oven"}, ExitUsage, "class: must be one of"},
		{"no org", []string{"product", "list"}, ExitUsage, "--org is required"},
		{"add by model", []string{"firmware", "add", "--org", "Acme", "--product", "ss-1", "--version", "1.4.0", "--released", "2026-03-01", "-o", "text"},
			ExitOK, `^added firmware SS-1 1\.4\.0 \(fw_\w+\), supported until 2031-02-28\n$`},
		{"add id only", []string{"firmware", "add", "--org", "Acme", "--product", p.ID, "--version", "1.4.1", "--support-end", "2027-01-31", "-o", "id"},
			ExitOK, `^fw_\w+\n$`},
		{"same version", []string{"firmware", "add", "--org", "Acme", "--product", "SS-1", "--version", "1.4.0"}, ExitConflict, "version"},
		{"bad date", []string{"firmware", "add", "--org", "Acme", "--product", "SS-1", "--version", "2", "--released", "1 March"}, ExitUsage, "--released"},
		{"unknown product", []string{"firmware", "add", "--org", "Acme", "--product", "NOPE", "--version", "1"}, ExitNotFound, `product "NOPE"`},
		{"list", []string{"firmware", "list", "--org", "Acme", "--product", "SS-1", "-o", "table"}, ExitOK,
			`(?s)VERSION.*SS-1\s+1\.4\.0\s+2026-03-01\s+2031-02-28\s+no image.*SS-1\s+1\.4\.1\s+-\s+2027-01-31`},
		{"products", []string{"product", "list", "--org", "Acme", "-o", "table"}, ExitOK, `SS-1\s+Smart Socket\s+appliance\s+EU,GB\s+60 months`},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, dir, st.args...)
			if code != st.code {
				t.Errorf("exit %d, want %d; stderr %s", code, st.code, errOut)
			}
			text := out
			if st.code != ExitOK {
				text = errOut
			}
			if !regexp.MustCompile(st.out).MatchString(text) {
				t.Errorf("output %q does not match %q", text, st.out)
			}
		})
	}
}
