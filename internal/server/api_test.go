package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// TestAPIFlowMatchesOpenAPI drives the API through a maker's day and checks
// every response, errors included, against the OpenAPI document.
func TestAPIFlowMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tok := f.A.Token
	var product, firmware, device, token, job, imp, csvImp, invite map[string]any
	bundle := string(f.SchemeBundle("flow-label"))
	mappingCSV := "from,to,sources,relationship,targets,rationale,provenance,confidence,citation_title,citation_url\n" +
		"flow-label,sg-cls,1,equal-to,5.1-1;5.1-2,Same password rule,expert,medium,Flow mapping,https://flow.example/map\n"
	steps := []struct {
		method, path, ct, body string
		want                   int
		into                   *map[string]any
	}{
		{"GET", "/api/v1/me", "", "", 200, nil},
		{"GET", "/api/v1/overview", "", "", 200, nil},
		{"POST", "/api/v1/products", "application/json", `{"name":"Doorbell","model_number":"DB-1","class":"camera","markets":["EU","uk"]}`, 201, &product},
		{"GET", "/api/v1/products", "", "", 200, nil},
		{"GET", "/api/v1/products/{product}", "", "", 200, nil},
		{"PATCH", "/api/v1/products/{product}", "application/json", `{"description":"Video doorbell"}`, 200, nil},
		{"POST", "/api/v1/products/{product}/firmware", "application/json", `{"version":"1.0.0","release_date":"2026-01-15","support_end":"2031-01-15"}`, 201, &firmware},
		{"GET", "/api/v1/products/{product}/firmware", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}", "", "", 200, nil},
		{"PATCH", "/api/v1/firmware/{firmware}", "application/json", `{"image_digest":"sha256:` + strings.Repeat("ab", 32) + `"}`, 200, nil},
		{"POST", "/api/v1/firmware/{firmware}/image?name=fw.bin", "application/octet-stream", "\x27\x05\x19\x56 not a real image", 202, nil},
		{"GET", "/api/v1/firmware/{firmware}/scan", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/findings", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/components", "", "", 200, nil},
		{"PUT", "/api/v1/firmware/{firmware}/ics", "text/csv", "provision,support\n5.1-1,Y\n5.3-13,N/A\n", 200, nil},
		{"PUT", "/api/v1/firmware/{firmware}/ics", "application/json", `{"entries":[{"provision":"5.1-1","support":"Y","detail":"unique per device"}]}`, 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/ics", "", "", 200, nil},
		{"PUT", "/api/v1/firmware/{firmware}/ixit", "application/json", `[{"category":"1-AuthMech","text":"per-device password on the label"}]`, 200, nil},
		{"POST", "/api/v1/firmware/{firmware}/evidence", "application/json", `{"provision":"5.1-1","test_case":"5.1-1-2","verdict":"PASS","rationale":"each unit has its own password"}`, 201, nil},
		{"GET", "/api/v1/firmware/{firmware}/evidence", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/verdicts", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/verdicts?scheme=sg-cls:2&scheme=uk-psti", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/report", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/report?format=sarif", "", "", 200, nil},
		{"GET", "/api/v1/firmware/{firmware}/report?format=html", "", "", 200, nil},
		{"GET", "/api/v1/scans", "", "", 200, nil},
		{"POST", "/api/v1/firmware/{firmware}/evidence", "application/json", `{"provision":"5.1-1","verdict":"GOOD","rationale":"x"}`, 400, nil},
		{"PUT", "/api/v1/firmware/{firmware}/ics", "text/csv", "provision,support\n5.1-1,maybe\n", 400, nil},
		{"GET", "/api/v1/firmware/{firmware}/report?format=pdf", "", "", 400, nil},
		{"POST", "/api/v1/firmware/{firmware}/image", "application/json", `{}`, 415, nil},
		{"POST", "/api/v1/firmware/{firmware}/image", "application/octet-stream", "", 400, nil},
		{"POST", "/api/v1/devices", "application/json", `{"uid":"DB-0001","product_id":"{product}","firmware_id":"{firmware}","state":"operational"}`, 201, &device},
		{"GET", "/api/v1/devices?limit=1", "", "", 200, nil},
		{"GET", "/api/v1/devices/{device}", "", "", 200, nil},
		{"PATCH", "/api/v1/devices/{device}", "application/json", `{"uid":"DB-0001"}`, 200, nil},
		// A state change is a lifecycle transition: operational cannot be disposed of at once.
		{"PATCH", "/api/v1/devices/{device}", "application/json", `{"state":"disposed"}`, 409, nil},
		{"POST", "/api/v1/devices/import", "text/csv", "uid,product,firmware\nDB-0002,DB-1,1.0.0\n", 202, &job},
		{"POST", "/api/v1/devices/import", "application/json", `[{"uid":"DB-0003","product":"DB-1"}]`, 202, nil},
		{"GET", "/api/v1/jobs", "", "", 200, nil},
		{"GET", "/api/v1/jobs/{job}", "", "", 200, nil},
		{"POST", "/api/v1/tokens", "application/json", `{"name":"ci","role":"maker","expires_at":"2099-01-01T00:00:00Z"}`, 201, &token},
		{"GET", "/api/v1/tokens", "", "", 200, nil},
		{"DELETE", "/api/v1/tokens/{token}", "", "", 204, nil},
		{"GET", "/api/v1/members", "", "", 200, nil},
		{"GET", "/api/v1/audit?limit=5", "", "", 200, nil},
		{"GET", "/api/v1/audit/head", "", "", 200, nil},
		// Errors are problem documents too.
		{"POST", "/api/v1/products", "application/json", `{"name":"Doorbell","model_number":"DB-1"}`, 409, nil},
		{"POST", "/api/v1/products", "application/json", `{"name":1}`, 400, nil},
		{"POST", "/api/v1/products", "text/plain", `{}`, 415, nil},
		{"GET", "/api/v1/products/prd_nope", "", "", 404, nil},
		{"DELETE", "/api/v1/products/{product}", "", "", 409, nil},
		{"DELETE", "/api/v1/devices/{device}", "", "", 204, nil},
		{"DELETE", "/api/v1/firmware/{firmware}", "", "", 204, nil},
		{"GET", "/api/v1/devices?state=lost", "", "", 400, nil},
		// An invitation, which Bob accepts (below) before his role changes.
		{"POST", "/api/v1/members", "application/json", `{"email":"bob@b.example","role":"viewer"}`, 201, &invite},
		{"GET", "/api/v1/invitations", "", "", 200, nil},
		{"PATCH", "/api/v1/members/{bob}", "application/json", `{"role":"maker"}`, 200, nil},
		{"DELETE", "/api/v1/members/{bob}", "", "", 204, nil},
		// The catalog and crosswalk: the regulator's questions.
		{"GET", "/api/v1/schemes", "", "", 200, nil},
		{"GET", "/api/v1/schemes?jurisdiction=SG&sector=consumer", "", "", 200, nil},
		{"GET", "/api/v1/schemes/uk-psti", "", "", 200, nil},
		{"GET", "/api/v1/schemes/sg-cls", "", "", 200, nil},
		{"GET", "/api/v1/schemes/uk-psti/provisions/1", "", "", 200, nil},
		{"GET", "/api/v1/schemes/iec-62443-4-2/provisions/CR%201.1", "", "", 200, nil},
		{"GET", "/api/v1/schemes/applies?class=camera&sector=consumer&market=EU,UK,SG&date=2026-07-01", "", "", 200, nil},
		{"GET", "/api/v1/schemes/applies?product={product}&date=2026-07-01", "", "", 200, nil},
		{"GET", "/api/v1/schemes/baseline?market=EU,UK,SG&class=camera&sector=consumer&date=2026-07-01", "", "", 200, nil},
		{"GET", "/api/v1/schemes/baseline?scheme=uk-psti,sg-cls:2&voluntary=true", "", "", 200, nil},
		{"GET", "/api/v1/schemes/compare?a=sg-cls:2&b=eu-cra", "", "", 200, nil},
		{"GET", "/api/v1/schemes/gaps?date=2026-07-01", "", "", 200, nil},
		{"GET", "/api/v1/schemes/recognise?slug=sg-cls&level=3&date=2026-07-01", "", "", 200, nil},
		{"GET", "/api/v1/schemes/agreements", "", "", 200, nil},
		{"GET", "/api/v1/schemes/export?slug=uk-psti&format=oscal", "", "", 200, nil},
		{"GET", "/api/v1/schemes/export?slug=uk-psti&format=csv", "", "", 200, nil},
		{"GET", "/api/v1/schemes/export?slug=sg-cls&format=provisions-csv", "", "", 200, nil},
		{"POST", "/api/v1/schemes/imports?name=flow.json", "application/json", bundle, 201, &imp},
		{"POST", "/api/v1/schemes/imports?name=flow.csv&visibility=shared", "text/csv", mappingCSV, 201, &csvImp},
		{"GET", "/api/v1/schemes/imports", "", "", 200, nil},
		{"GET", "/api/v1/schemes/imports/{import}", "", "", 200, nil},
		{"PATCH", "/api/v1/schemes/imports/{import}", "application/json", `{"visibility":"shared"}`, 200, nil},
		{"GET", "/api/v1/schemes/flow-label", "", "", 200, nil},
		{"GET", "/api/v1/schemes/compare?a=flow-label&b=sg-cls:1", "", "", 200, nil},
		{"GET", "/api/v1/schemes/compare?a=sg-clss&b=eu-cra", "", "", 404, nil},
		{"GET", "/api/v1/schemes/compare?a=sg-cls:9&b=eu-cra", "", "", 404, nil},
		{"GET", "/api/v1/schemes/applies?class=toaster&market=EU", "", "", 400, nil},
		{"GET", "/api/v1/schemes/export?slug=uk-psti&format=xml", "", "", 400, nil},
		{"POST", "/api/v1/schemes/imports", "application/json", bundle, 400, nil},
		{"POST", "/api/v1/schemes/imports", "text/plain", "x", 415, nil},
		{"DELETE", "/api/v1/schemes/imports/{import}", "", "", 409, nil},
		{"DELETE", "/api/v1/schemes/imports/{csvimport}", "", "", 204, nil},
		{"DELETE", "/api/v1/schemes/imports/{import}", "", "", 204, nil},
		{"GET", "/api/v1/schemes/flow-label", "", "", 404, nil},
	}
	ids := func(s string) string {
		for _, r := range []struct {
			name string
			m    map[string]any
		}{{"product", product}, {"firmware", firmware}, {"device", device}, {"token", token}, {"job", job}} {
			if r.m != nil {
				s = strings.ReplaceAll(s, "{"+r.name+"}", fmt.Sprint(r.m["id"]))
			}
		}
		for name, m := range map[string]map[string]any{"{import}": imp, "{csvimport}": csvImp} {
			if m != nil {
				s = strings.ReplaceAll(s, name, fmt.Sprint(m["import"].(map[string]any)["id"]))
			}
		}
		return strings.ReplaceAll(s, "{bob}", f.B.Owner.ID)
	}
	for _, st := range steps {
		path := ids(st.path)
		var body *bytes.Reader
		if st.body != "" {
			body = bytes.NewReader([]byte(ids(st.body)))
		} else {
			body = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(st.method, f.Srv.URL+path, body)
		resp, got := f.Do(st.method, path, tok, st.ct, body)
		if resp.StatusCode != st.want {
			t.Fatalf("%s %s = %d %s, want %d", st.method, path, resp.StatusCode, got, st.want)
		}
		if st.into != nil {
			if err := json.Unmarshal(got, st.into); err != nil {
				t.Fatal(err)
			}
		}
		if st.into == &invite {
			_, err := f.App.Store.AcceptInvitation(context.Background(), f.B.Owner.ID, fmt.Sprint(invite["id"]), nil)
			apptest.Must(t, err)
		}
		req.Header.Set("Content-Type", st.ct)
		if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", st.method, path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	if product["markets"].([]any)[1] != "GB" {
		t.Errorf("markets = %v, want UK read as GB", product["markets"])
	}
	if token["secret"] == nil || !strings.HasPrefix(token["secret"].(string), iotsec.SecretToken) {
		t.Errorf("new token response has no secret: %v", token)
	}
}

// TestBadInput: client mistakes get 4xx naming the field, never a 500.
func TestBadInput(t *testing.T) {
	f := apptest.New(t)
	tok := f.A.Token
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, tt := range []struct {
		name, method, path, ct, body string
		want                         int
		field                        string
	}{
		{"malformed", "POST", "/api/v1/products", "application/json", `{"name": "x",}`, 400, "body"},
		{"truncated", "POST", "/api/v1/products", "application/json", `{"name": "x"`, 400, "body"},
		{"empty", "POST", "/api/v1/products", "application/json", ``, 400, "body"},
		{"not an object", "POST", "/api/v1/products", "application/json", `[1,2]`, 400, "body"},
		{"wrong type", "POST", "/api/v1/products", "application/json", `{"name":"x","markets":"EU"}`, 400, "markets"},
		{"unknown field", "POST", "/api/v1/products", "application/json", `{"name":"x","colour":"red"}`, 400, "colour"},
		{"trailing data", "POST", "/api/v1/products", "application/json", `{"name":"x","model_number":"y"} {}`, 400, "body"},
		{"invalid value", "POST", "/api/v1/products", "application/json", `{"name":"x","model_number":"y","class":"spaceship"}`, 400, "class"},
		{"bad date", "POST", "/api/v1/products/" + f.A.Product.ID + "/firmware", "application/json", `{"version":"2","release_date":"15/01/2026"}`, 400, "release_date"},
		{"bad token role", "POST", "/api/v1/tokens", "application/json", `{"name":"x","role":"god"}`, 400, "role"},
		{"bad limit", "GET", "/api/v1/devices?limit=0", "", "", 400, "limit"},
		{"bad before", "GET", "/api/v1/audit?before=x", "", "", 400, "before"},
		{"too large", "POST", "/api/v1/products", "application/json", big, 413, ""},
		{"wrong content type", "POST", "/api/v1/products", "text/plain", `{}`, 415, ""},
		{"no content type", "PATCH", "/api/v1/devices/" + f.A.Device.ID, "", `{}`, 415, ""},
		{"import: bad row", "POST", "/api/v1/devices/import", "text/csv", "uid,product\nA,CAM-A\n,CAM-A\n", 400, "uid"},
		{"import: unknown product", "POST", "/api/v1/devices/import", "text/csv", "uid,product\nA,NOPE\n", 400, "product"},
		{"import: wrong content type", "POST", "/api/v1/devices/import", "application/xml", "<x/>", 415, ""},
		{"no route", "GET", "/api/v1/nothing", "", "", 404, ""},
		{"wrong method", "PUT", "/api/v1/products", "application/json", `{}`, 405, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			body = strings.NewReader(tt.body)
			resp, got := f.Do(tt.method, tt.path, tok, tt.ct, body)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, resp.StatusCode, got, tt.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := apptest.DecodeProblem(t, got)
			if p.Status != tt.want || p.Detail == "" {
				t.Errorf("problem = %+v", p)
			}
			if p.Field() != tt.field {
				t.Errorf("problem names field %q, want %q (%s)", p.Field(), tt.field, got)
			}
		})
	}
	// 405 says what is allowed.
	resp, _ := f.Do("PUT", "/api/v1/products", tok, "application/json", strings.NewReader(`{}`))
	if allow := resp.Header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow = %q, want GET, POST", allow)
	}
}

func TestAuthentication(t *testing.T) {
	f := apptest.New(t)
	for _, tt := range []struct{ name, header string }{
		{"none", ""},
		{"wrong scheme", "Basic YTpi"},
		{"unknown token", "Bearer iotsec_tok_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"session secret as token", "Bearer iotsec_ses_x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.Srv.URL+"/api/v1/products", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := f.Srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("status %d, WWW-Authenticate %q; want 401 with a challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// A viewer token reads but does not write.
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	apptest.Must(t, f.App.Store.CreateToken(t.Context(), iotsec.System(f.A.Org.ID, "t"), &iotsec.Token{Name: "v", Role: iotsec.RoleViewer, Hash: hash}))
	if resp, _ := f.JSON("GET", "/api/v1/products", secret, ""); resp.StatusCode != 200 {
		t.Errorf("viewer GET = %d", resp.StatusCode)
	}
	if resp, body := f.JSON("POST", "/api/v1/products", secret, `{"name":"x","model_number":"y"}`); resp.StatusCode != 403 {
		t.Errorf("viewer POST = %d %s, want 403", resp.StatusCode, body)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	f := apptest.New(t)
	for _, p := range []string{"/healthz", "/readyz", "/api/openapi.json"} {
		if resp, body := f.Do("GET", p, "", "", nil); resp.StatusCode != 200 {
			t.Errorf("GET %s = %d %s", p, resp.StatusCode, body)
		}
	}
	f.JSON("GET", "/api/v1/products", f.A.Token, "")
	_, body := f.Do("GET", "/metrics", "", "", nil)
	for _, want := range []string{`iotsec_http_requests_total{code="200",route="GET /api/v1/products"} 1`, "go_goroutines", "go_sql_open_connections"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// A closed database is not ready.
	f.App.Store.Close()
	if resp, body := f.Do("GET", "/readyz", "", "", nil); resp.StatusCode != 503 {
		t.Errorf("/readyz with the database closed = %d %s, want 503", resp.StatusCode, body)
	}
}

// TestIdentityAPIFlowMatchesOpenAPI drives the identity API through a
// device's life, checking every response against the OpenAPI document.
func TestIdentityAPIFlowMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	paa, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Test PAA"}, Rand: rand.Reader, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	apptest.Must(t, err)
	crl, err := paa.CRL(big.NewInt(1), nil, 24*time.Hour)
	apptest.Must(t, err)
	vals := map[string]string{
		"product": f.A.Product.ID, "bproduct": f.B.Product.ID, "adevice": f.A.Device.ID,
		"paa":      apptest.JSONString(string(identity.PEM(paa.Cert.Raw))),
		"crl":      apptest.JSONString(base64.StdEncoding.EncodeToString(crl)),
		"idevid":   apptest.JSONString(string(apptest.IDevID(t, f.A.Root, f.A.IDevKey, "CAM-A-2"))),
		"idevid3":  apptest.JSONString(string(apptest.IDevID(t, f.A.Root, f.A.IDevKey, "CAM-A-3"))),
		"csr":      apptest.JSONString(apptest.CSRPEM(t, "CAM-A-2")),
		"csrwrong": apptest.JSONString(apptest.CSRPEM(t, "SOMEONE-ELSE")),
		"soon":     time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339),
	}
	id := func(name string) func(map[string]any) {
		return func(m map[string]any) { vals[name] = fmt.Sprint(m["id"]) }
	}
	steps := []struct {
		method, path, body string
		token              string // default A's
		want               int
		capture            func(map[string]any)
	}{
		{"POST", "/api/v1/identity/ca", `{"name":"Org A Device CA","algorithm":"ecdsa-p384"}`, "", 201, nil},
		{"GET", "/api/v1/identity/ca", "", "", 200, nil},
		{"POST", "/api/v1/identity/ca", `{}`, "", 409, nil},
		{"POST", "/api/v1/identity/roots", `{"kind":"matter-paa","pem":{paa}}`, "", 201, func(m map[string]any) {
			vals["root"] = fmt.Sprint(m["items"].([]any)[0].(map[string]any)["id"])
		}},
		{"GET", "/api/v1/identity/roots", "", "", 200, nil},
		{"GET", "/api/v1/identity/roots/{root}", "", "", 200, nil},
		{"POST", "/api/v1/identity/roots/{root}/crl", `{"pem":{crl}}`, "", 200, nil},
		{"POST", "/api/v1/identity/devices", `{"uid":"CAM-A-2","product_id":"{product}","state":"provisioned","idevid":{idevid}}`, "", 201, func(m map[string]any) {
			vals["dev"] = fmt.Sprint(m["device"].(map[string]any)["id"])
		}},
		{"GET", "/api/v1/identity/devices/{dev}", "", "", 200, nil},
		{"POST", "/api/v1/identity/devices/{dev}/certificates", `{"csr":{csr}}`, "", 201, id("ldev")},
		{"POST", "/api/v1/identity/devices/{dev}/certificates", `{"csr":{csrwrong}}`, "", 400, nil},
		{"GET", "/api/v1/identity/certificates?kind=ldevid&limit=10", "", "", 200, nil},
		{"GET", "/api/v1/identity/certificates/{ldev}", "", "", 200, nil},
		{"POST", "/api/v1/identity/devices/{dev}/tokens", `{"expires_at":"{soon}"}`, "", 201, nil},
		{"POST", "/api/v1/identity/devices/{dev}/tokens", `{"expires_at":"2099-01-01T00:00:00Z"}`, "", 400, nil},
		{"POST", "/api/v1/identity/certificates/{ldev}/revoke", `{"reason":"superseded"}`, "", 200, nil},
		{"POST", "/api/v1/identity/certificates/{ldev}/revoke", `{"reason":"superseded"}`, "", 409, nil},
		{"POST", "/api/v1/identity/devices/{dev}/transitions", `{"to":"suspended"}`, "", 201, nil},
		{"POST", "/api/v1/identity/devices/{dev}/transitions", `{"to":"decommissioned"}`, "", 400, nil},
		{"POST", "/api/v1/identity/devices/{dev}/transitions", `{"to":"provisioned"}`, "", 409, nil},
		{"POST", "/api/v1/identity/devices/{dev}/transitions", `{"to":"decommissioned","evidence":"wiped: NIST 800-88 clear","note":"returned"}`, "", 201, nil},
		{"GET", "/api/v1/identity/devices/{dev}", "", "", 200, nil},
		{"POST", "/api/v1/identity/devices/{dev}/transfer", `{}`, "", 201, func(m map[string]any) { vals["code"] = fmt.Sprint(m["code"]) }},
		{"POST", "/api/v1/identity/transfers/claim", `{"code":"{code}","product_id":"{bproduct}"}`, "b", 200, nil},
		{"GET", "/api/v1/identity/devices/{dev}", "", "", 404, nil},
		{"POST", "/api/v1/devices", `{"uid":"CAM-A-3","product_id":"{product}"}`, "", 201, id("dev3")},
		{"POST", "/api/v1/identity/devices/{dev3}/idevid", `{"pem":{idevid3}}`, "", 201, nil},
		{"POST", "/api/v1/identity/devices/{dev3}/idevid", `{"pem":{idevid3}}`, "", 409, nil},
		{"POST", "/api/v1/identity/devices/{dev3}/certificates", `{"csr":{csr}}`, "", 409, nil},
		{"GET", "/api/v1/identity/audit?expiring_within_days=60", "", "", 200, nil},
		{"DELETE", "/api/v1/identity/roots/{root}", "", "", 204, nil},
		{"POST", "/api/v1/identity/roots", `{"pem":"not a certificate"}`, "", 400, nil},
		{"GET", "/api/v1/identity/certificates?status=lost", "", "", 400, nil},
		{"GET", "/api/v1/identity/audit?expiring_within_days=0", "", "", 400, nil},
	}
	fill := func(s string) string {
		for k, val := range vals {
			s = strings.ReplaceAll(s, "{"+k+"}", val)
		}
		return s
	}
	for _, st := range steps {
		path, body := fill(st.path), fill(st.body)
		tok := f.A.Token
		if st.token == "b" {
			tok = f.B.Token
		}
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		resp, got := f.Do(st.method, path, tok, ct, strings.NewReader(body))
		if resp.StatusCode != st.want {
			t.Fatalf("%s %s = %d %s, want %d", st.method, path, resp.StatusCode, got, st.want)
		}
		if st.capture != nil {
			var m map[string]any
			if err := json.Unmarshal(got, &m); err != nil {
				t.Fatal(err)
			}
			st.capture(m)
		}
		req, _ := http.NewRequest(st.method, f.Srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", st.method, path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
}
