package supply

import "testing"

// FuzzDetect: kind detection reads the head of untrusted files; it must
// never panic, and whatever it decides is one of the known kinds.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{`{"resultsPerPage":1}`, `{"catalogVersion":"1"}`, `{"@context":"https://openvex.dev/ns/v0.2.0"}`,
		`{"schema_version":"1.6.0"}`, "#model_version:v2025.03.14,score_date:2025-03-15T00:00:00Z\ncve,epss,percentile\n", `{"a":[1,{"b":2}],"cve":{}}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k := detectBytes(data)
		switch k {
		case "", KindNVD, KindOSV, KindKEV, KindEPSS, KindVEX:
		default:
			t.Fatalf("detectBytes returned %q", k)
		}
	})
}
