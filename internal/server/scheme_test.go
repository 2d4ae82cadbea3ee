package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/catalog"
)

// TestSchemeSharing: B's shared scheme is visible to A, read only; A's
// attempts to change or delete it are 404 and leave it as it was.
func TestSchemeSharing(t *testing.T) {
	f := apptest.New(t)
	a, b := f.A, f.B
	if resp, body := f.JSON("GET", "/api/v1/schemes/"+b.Scheme, a.Token, ""); resp.StatusCode != 404 {
		t.Fatalf("A reads B's private scheme: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.JSON("PATCH", "/api/v1/schemes/imports/"+b.Import, b.Token, `{"visibility":"shared"}`); resp.StatusCode != 200 {
		t.Fatalf("B shares its import: %d %s", resp.StatusCode, body)
	}
	resp, body := f.JSON("GET", "/api/v1/schemes/"+b.Scheme, a.Token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("A reads B's shared scheme: %d %s", resp.StatusCode, body)
	}
	var d struct {
		Origin struct{ Org, Visibility, Import string } `json:"origin"`
	}
	json.Unmarshal(body, &d)
	if d.Origin.Org != "Org B" || d.Origin.Visibility != "shared" || d.Origin.Import != b.Import {
		t.Errorf("B's shared scheme as A sees it: origin %+v", d.Origin)
	}
	if resp, body := f.JSON("GET", "/api/v1/schemes?jurisdiction=GB", a.Token, ""); !bytes.Contains(body, []byte(`"`+b.Scheme+`"`)) {
		t.Errorf("A's scheme list lacks B's shared scheme: %d", resp.StatusCode)
	}
	if resp, _ := f.JSON("GET", "/api/v1/schemes/compare?a="+b.Scheme+"&b=sg-cls:1", a.Token, ""); resp.StatusCode != 200 {
		t.Errorf("A compares B's shared scheme: %d", resp.StatusCode)
	}
	if resp, _ := f.JSON("GET", "/api/v1/schemes/imports/"+b.Import, a.Token, ""); resp.StatusCode != 200 {
		t.Errorf("A reads B's shared import: %d", resp.StatusCode)
	}
	before := snapshot(f, b)
	for _, c := range []struct{ method, body string }{{"PATCH", `{"visibility":"private"}`}, {"DELETE", ""}} {
		if resp, body := f.JSON(c.method, "/api/v1/schemes/imports/"+b.Import, a.Token, c.body); resp.StatusCode != 404 {
			t.Errorf("%s B's shared import with A's token = %d %s, want 404", c.method, resp.StatusCode, body)
		}
	}
	if after := snapshot(f, b); after != before {
		t.Errorf("B's imports changed:\nbefore %s\nafter  %s", before, after)
	}
	// A maps its own view onto B's shared scheme; when B unshares, A's
	// catalog leaves the mapping out and says why.
	csv := "from,to,sources,relationship,targets,rationale,citation_url\n" + b.Scheme + ",sg-cls,1,equal-to,5.1-1;5.1-2,Same password rule,https://a.example/map\n"
	if resp, body := f.Do("POST", "/api/v1/schemes/imports", a.Token, "text/csv", strings.NewReader(csv)); resp.StatusCode != 201 {
		t.Fatalf("A maps onto B's shared scheme: %d %s", resp.StatusCode, body)
	}
	f.JSON("PATCH", "/api/v1/schemes/imports/"+b.Import, b.Token, `{"visibility":"private"}`)
	_, body = f.JSON("GET", "/api/v1/schemes/imports", a.Token, "")
	var list struct {
		Skipped []struct{ Reason string } `json:"skipped"`
	}
	json.Unmarshal(body, &list)
	if len(list.Skipped) != 1 || !strings.Contains(list.Skipped[0].Reason, b.Scheme) {
		t.Errorf("after B unshared, A's imports list skipped %+v, want A's mapping with the reason", list.Skipped)
	}
	if resp, _ := f.JSON("GET", "/api/v1/schemes/uk-psti", a.Token, ""); resp.StatusCode != 200 {
		t.Errorf("A's catalog broke after B unshared: %d", resp.StatusCode)
	}
}

// TestSchemeImportErrors: a broken file is a 400 naming each problem; an
// oversized one a 413; roles without the right a 403.
func TestSchemeImportErrors(t *testing.T) {
	f := apptest.New(t)
	tok := f.A.Token
	bundle := string(f.SchemeBundle("err-label"))
	// A mapping collection pointing at controls that do not exist, and a
	// profile including an unknown control: each is named.
	broken := strings.Replace(bundle, `"p-5.1-1"`, `"p-5.1-99"`, 1)
	broken = strings.Replace(broken, `"p-5.2-1"`, `"p-nope"`, 1)
	resp, body := f.Do("POST", "/api/v1/schemes/imports", tok, "application/json", strings.NewReader(broken))
	if resp.StatusCode != 400 {
		t.Fatalf("broken bundle = %d %s", resp.StatusCode, body)
	}
	p := apptest.DecodeProblem(t, body)
	var details []string
	for _, e := range p.Errors {
		details = append(details, e.Detail)
		if e.Field != "body" {
			t.Errorf("problem entry names field %q, want body", e.Field)
		}
	}
	all := strings.Join(details, "\n")
	if len(p.Errors) != 2 || !strings.Contains(all, "p-5.1-99") || !strings.Contains(all, "p-nope") || !strings.Contains(p.Detail, "2 problems") {
		t.Errorf("broken bundle problem = %s, want one entry per dangling reference", body)
	}

	csv := "from,to,sources,relationship,targets,rationale,citation_url\n" +
		"uk-psti,etsi-en-303-645,1,kind-of,5.1-1,x,https://x.example\n" +
		"uk-psti,etsi-en-303-645,,equal-to,5.1-1,,https://x.example\n"
	resp, body = f.Do("POST", "/api/v1/schemes/imports", tok, "text/csv", strings.NewReader(csv))
	if p := apptest.DecodeProblem(t, body); resp.StatusCode != 400 || len(p.Errors) != 3 {
		t.Errorf("bad spreadsheet = %d %s, want 400 naming three problems (relationship, sources, rationale)", resp.StatusCode, body)
	}

	big := bytes.Repeat([]byte(" "), int(catalog.MaxBytes())+10)
	resp, body = f.Do("POST", "/api/v1/schemes/imports", tok, "application/json", bytes.NewReader(big))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized import = %d %s, want 413", resp.StatusCode, body)
	}
	bigCSV := "from,to\n" + strings.Repeat("x", 5<<20)
	resp, body = f.Do("POST", "/api/v1/schemes/imports", tok, "text/csv", strings.NewReader(bigCSV))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized spreadsheet = %d %s, want 413", resp.StatusCode, body)
	}
	if resp, body := f.Do("POST", "/api/v1/schemes/imports?visibility=public", tok, "application/json", strings.NewReader(bundle)); resp.StatusCode != 400 || apptest.DecodeProblem(t, body).Field() != "visibility" {
		t.Errorf("bad visibility = %d %s", resp.StatusCode, body)
	}
	// Viewers and makers read the catalog but may not import.
	for _, role := range []string{"viewer", "maker"} {
		resp, body := f.JSON("POST", "/api/v1/tokens", tok, `{"name":"`+role+`","role":"`+role+`"}`)
		var nt struct{ Secret string }
		json.Unmarshal(body, &nt)
		if resp.StatusCode != 201 {
			t.Fatal(string(body))
		}
		if resp, _ := f.JSON("GET", "/api/v1/schemes/compare?a=uk-psti&b=sg-cls", nt.Secret, ""); resp.StatusCode != 200 {
			t.Errorf("%s compares schemes: %d", role, resp.StatusCode)
		}
		if resp, _ := f.Do("POST", "/api/v1/schemes/imports", nt.Secret, "application/json", strings.NewReader(bundle)); resp.StatusCode != 403 {
			t.Errorf("%s imports: %d, want 403", role, resp.StatusCode)
		}
	}
}
