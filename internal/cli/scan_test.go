package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
)

// TestScanGolden runs `iotsec scan` on the generated router image in
// every output format and checks the exit codes of the contract: 0, 3
// when findings reach --fail-on, 2 for usage errors. It needs no
// database: the data directory stays empty.
func TestScanGolden(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "router.bin")
	if err := os.WriteFile(img, firmwaretest.Router(), 0o644); err != nil {
		t.Fatal(err)
	}
	seconds := regexp.MustCompile(`"(total|unpack|inspect|assess)": [0-9.e-]+`)
	version := regexp.MustCompile(`"version": "[^"]*"`)
	for _, st := range []struct {
		name string
		args []string
		code int
	}{
		{"scan-table", []string{"scan", img}, ExitOK},
		{"scan-json", []string{"scan", img, "-o", "json", "--scheme", "sg-cls", "--scheme", "uk-psti,eu-cra"}, ExitOK},
		{"scan-fail-on", []string{"scan", img, "--fail-on", "high", "--scheme", "sg-cls:1"}, ExitFindings},
		{"scan-bad-format", []string{"scan", img, "-o", "xml"}, ExitUsage},
		{"scan-bad-scheme", []string{"scan", img, "--scheme", "nope"}, ExitUsage},
		{"scan-bad-severity", []string{"scan", img, "--fail-on", "severe"}, ExitUsage},
		{"scan-missing", []string{"scan", filepath.Join(dir, "none.bin")}, ExitUsage},
	} {
		t.Run(st.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, dir, st.args...)
			got := "$ iotsec " + strings.Join(st.args, " ") + "\n--- stdout\n" + out + "--- stderr\n" + errOut
			got = normalize(seconds.ReplaceAllString(got, `"$1": 0`), dir)
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
	// The SARIF and HTML outputs are checked in internal/report; here only
	// that they come out whole.
	for _, format := range []string{"sarif", "html"} {
		out, errOut, code := runCLI(t, dir, "scan", img, "-o", format)
		if code != 0 || errOut != "" {
			t.Fatalf("scan -o %s = %d: %s", format, code, errOut)
		}
		if format == "sarif" {
			var doc map[string]any
			if err := json.Unmarshal([]byte(version.ReplaceAllString(out, `"version": "x"`)), &doc); err != nil || doc["runs"] == nil {
				t.Errorf("scan -o sarif: %v", err)
			}
		} else if !strings.HasSuffix(out, "</html>\n") {
			t.Errorf("scan -o html is cut off")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("scan wrote into the data directory: %v", entries)
	}
}
