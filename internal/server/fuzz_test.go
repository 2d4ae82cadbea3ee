package server_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
)

// FuzzAPIBodies sends arbitrary bodies and content types to every API
// route that takes a body, through the real server and store: whatever
// the client sends, the answer is never a 5xx.
func FuzzAPIBodies(f *testing.F) {
	fx := apptest.New(f)
	fx.RegistryRecords(&fx.A)
	var routes []api.Route
	for _, r := range api.New(nil).Routes() {
		if r.Method == "POST" || r.Method == "PATCH" || r.Method == "PUT" {
			routes = append(routes, r)
		}
	}
	ids := map[string]string{"{id}": "", "{user_id}": fx.B.Owner.ID}
	for _, s := range []string{`{"name":"x","model_number":"y"}`, `{"uid":"u","product_id":"p"}`, `{"version":"1","release_date":"2026-01-01"}`,
		`{"name":"t","role":"viewer"}`, `{"email":"bob@b.example","role":"viewer"}`, `{"role":"admin"}`, "uid,product\nA,CAM-A\n", `[{"uid":"A","product":"CAM-A"}]`, `null`, `{"state":"x"}`} {
		for i := range routes {
			f.Add(uint8(i), []byte(s), "application/json")
		}
	}
	f.Add(uint8(0), []byte("uid,product\nA,CAM-A\n"), "text/csv")
	for _, s := range []struct{ body, ct string }{
		{`{"provision":"5.1-1","verdict":"PASS","rationale":"r"}`, "application/json"},
		{"provision,support\n5.1-1,N/A\n", "text/csv"},
		{`{"entries":[{"provision":"5.1-1","support":"Y"}]}`, "application/json"},
		{`[{"category":"1-AuthMech","text":"t"}]`, "application/json"},
		{"\x27\x05\x19\x56 firmware", "application/octet-stream"},
		{apptest.SBOM, "application/vnd.cyclonedx+json"},
		{`{"vulnerability":"CVE-2023-28450","component":"dnsmasq","status":"not_affected","justification":"component_not_present"}`, "application/json"},
		{`{"fix_available_at":"2026-01-01T00:00:00Z","sent":["early warning","final report"],"fields":{"general_nature":"x"}}`, "application/json"},
		{`{"ids":[]}`, "application/json"},
		{`{"webhook_url":"http://127.0.0.1:9/hook","email":"a@a.example","webhook_secret":"s"}`, "application/json"},
		{`{"firmware_id":"` + fx.A.Firmware.ID + `","scheme":"` + fx.A.Scheme + `","level":"2"}`, "application/json"},
		{`{"valid_from":"2026-01-01","valid_until":"2026-13-01","reason":"r"}`, "application/json"},
		{`{"reasons":["r","","\u0000"]}`, "application/json"},
		{`{"reason":"r"}`, "application/json"},
	} {
		for i := range routes {
			f.Add(uint8(i), []byte(s.body), s.ct)
		}
	}
	for i, r := range routes {
		if r.Path == "/api/v1/schemes/imports" {
			f.Add(uint8(i), fx.SchemeBundle("fuzz-label"), "application/json")
			f.Add(uint8(i), []byte("from,to,sources,relationship,targets,rationale,citation_url\nuk-psti,sg-cls,1,subset-of,5.1-1,r,https://x.example\n"), "text/csv")
		}
		if r.Path == "/api/v1/schemes/imports/{id}" {
			f.Add(uint8(i), []byte(`{"visibility":"shared"}`), "application/json")
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, ct string) {
		if strings.ContainsFunc(ct, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			t.Skip("not a header value a client can send")
		}
		fx.T = t // requests report to this input's test
		r := routes[int(route)%len(routes)]
		path := r.Path
		switch {
		case strings.HasPrefix(path, "/api/v1/products/{id}"):
			ids["{id}"] = fx.A.Product.ID
		case strings.HasPrefix(path, "/api/v1/firmware/"):
			ids["{id}"] = fx.A.Firmware.ID
		case strings.HasPrefix(path, "/api/v1/devices/{id}"):
			ids["{id}"] = fx.A.Device.ID
		case strings.HasPrefix(path, "/api/v1/schemes/imports/{id}"):
			ids["{id}"] = fx.A.Import
		case strings.HasPrefix(path, "/api/v1/cra-reports/{id}"):
			ids["{id}"] = fx.A.CRA
		case strings.HasPrefix(path, "/api/v1/registry/{id}"):
			ids["{id}"] = fx.A.Certification
		}
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		resp, got := fx.Do(r.Method, path, fx.A.Token, ct, bytes.NewReader(body))
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s (%q, %q) = %d %s", r.Method, path, ct, body, resp.StatusCode, got)
		}
	})
}
