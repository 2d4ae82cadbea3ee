package sbom_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/sbom"
)

// TestDecodeErrorsInDocumentTerms: a document that cannot be read is
// described by where it is wrong and what was expected, never by the
// decoder's Go types or its scanner.
func TestDecodeErrorsInDocumentTerms(t *testing.T) {
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"x.cdx.json", "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\"components\":[\n  {\"type\":\"library\",\"name\":5}]}",
			"x.cdx.json: line 2 column 29: components.name: expected a string, found a number"},
		{"x.spdx.json", `{"spdxVersion":"SPDX-2.3","packages":[{"name":5}]}`, "x.spdx.json: packages.name: expected a string, found a number"},
		{"x.spdx", "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nPackageName: " + string(bytes.Repeat([]byte("a"), 70000)) + "\n",
			"x.spdx: line 3: the line is longer than 64 KiB"},
		{"x.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[`, "x.cdx.json: "},
	} {
		_, _, err := sbom.Decode(strings.NewReader(tt.doc), tt.name, sbom.DefaultLimits())
		if err == nil {
			t.Errorf("%s: no error", tt.want)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "Go struct") || strings.Contains(msg, "bufio") || strings.Contains(msg, "cannot unmarshal") {
			t.Errorf("error = %q, want it to start %q and name no Go internals", msg, tt.want)
		}
	}
}
