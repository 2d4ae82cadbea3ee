package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanNotFirmware: a text file is refused as not firmware, with exit
// code 2 (invalid input), the reason on stderr and nothing on stdout: no
// findings and no verdicts.
func TestScanNotFirmware(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, data, kind string }{
		{"notes.txt", "this is not a router image\n", "27 bytes of text"},
		{"photo.png", "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00\x01", 100), "a picture"},
	} {
		img := filepath.Join(dir, tt.name)
		if err := os.WriteFile(img, []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"table", "json"} {
			out, errOut, code := runCLI(t, dir, "scan", img, "-o", format)
			if code != ExitUsage || out != "" || !strings.Contains(errOut, "not firmware: no known image format was recognised") || !strings.Contains(errOut, tt.kind) {
				t.Errorf("scan %s -o %s = %d\nstdout: %s\nstderr: %s", tt.name, format, code, out, errOut)
			}
		}
	}
}
