package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// govTokens makes a government organisation of GB with an owner and an
// admin, each with an API token of their role.
func govTokens(t *testing.T, f *apptest.Fixture) (owner, admin string) {
	t.Helper()
	ctx, s := context.Background(), f.App.Store
	alice, bob := iotsec.User{Email: "alice@dsit.example"}, iotsec.User{Email: "bob@dsit.example"}
	apptest.Must(t, s.CreateUser(ctx, "test", &alice))
	apptest.Must(t, s.CreateUser(ctx, "test", &bob))
	org := iotsec.Organisation{Name: "DSIT", Kind: iotsec.OrgGovernment, Country: "GB"}
	apptest.Must(t, s.CreateOrg(ctx, "test", &org, alice.ID))
	A := iotsec.Actor{OrgID: org.ID, UserID: alice.ID, Role: iotsec.RoleOwner, Label: alice.Email}
	apptest.Must(t, s.AddMember(ctx, A, bob.ID, iotsec.RoleAdmin))
	tok := func(a iotsec.Actor, role iotsec.Role) string {
		secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
		tk := iotsec.Token{Name: "policy", Role: role, Hash: hash}
		apptest.Must(t, s.CreateToken(ctx, a, &tk))
		return secret
	}
	return tok(A, iotsec.RoleOwner), tok(iotsec.Actor{OrgID: org.ID, UserID: bob.ID, Role: iotsec.RoleAdmin, Label: bob.Email}, iotsec.RoleAdmin)
}

// TestPolicyAPIMatchesOpenAPI walks /api/v1/policy: the dataset views,
// a proposal by a government organisation, its review by another member,
// and every other organisation kept out; each response is checked
// against openapi.json.
func TestPolicyAPIMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	owner, admin := govTokens(t, f)
	entry := `{"id":"gb-test-sbom","jurisdiction":"GB","measure":"SBOM","instrument":{"name":"Test","number":"SI 2099/1","url":"https://www.legislation.gov.uk/"},` +
		`"status":"adopted","scope":{"text":"Consumer connectable products."},"dates":{"applies_from":"2099-01-01"},` +
		`"source":{"title":"legislation.gov.uk","url":"https://www.legislation.gov.uk/"},"confidence":"high"}`
	var prop map[string]any
	steps := []struct {
		method, path, token, body string
		want                      int
		into                      *map[string]any
	}{
		{"GET", "/api/v1/policy/countries", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries?date=2026-13-01", f.A.Token, "", 400, nil},
		{"GET", "/api/v1/policy/measures", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/matrix?date=2026-12-07", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/uk?date=2026-12-07", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/IL", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/NO", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/XX", f.A.Token, "", 404, nil},
		{"GET", "/api/v1/policy/countries/SG/brief?date=2026-12-07", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/IL/brief?format=md", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/GB/brief?format=html", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/GB/brief?format=pdf", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/policy/countries/GB/brief?format=doc", f.A.Token, "", 400, nil},
		{"GET", "/api/v1/policy/matrix", "", "", 401, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer&market=EU,UK&market=SG&date=2026-12-07", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer&market=EU&format=md", f.B.Token, "", 200, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer&market=GB&format=html", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer", f.A.Token, "", 400, nil},
		{"GET", "/api/v1/guides?class=toaster-oven&sector=consumer&market=EU", f.A.Token, "", 400, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer&market=EU", "", "", 401, nil},
		{"GET", "/api/v1/standards/calls?date=2026-12-07", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/standards/calls?format=md", f.B.Token, "", 200, nil},
		{"GET", "/api/v1/standards/calls?format=html", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/standards/calls?format=doc", f.A.Token, "", 400, nil},
		{"GET", "/api/v1/standards/calls?format=pdf", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/guides?class=camera&sector=consumer&market=SG&format=pdf", f.A.Token, "", 200, nil},
		// A manufacturer does not propose national measures.
		{"POST", "/api/v1/policy/proposals", f.A.Token, `{"action":"add","entry":` + entry + `,"rationale":"r"}`, 403, nil},
		{"POST", "/api/v1/policy/proposals", owner, `{"action":"add","entry":` + strings.Replace(entry, `"confidence":"high"`, `"confidence":"sure"`, 1) + `,"rationale":"r"}`, 400, nil},
		{"POST", "/api/v1/policy/proposals", owner, `{"action":"add","entry":` + strings.Replace(entry, `"GB"`, `"FR"`, 1) + `,"rationale":"r"}`, 403, nil},
		{"POST", "/api/v1/policy/proposals", owner, `{"action":"add","entry":` + entry + `,"rationale":"made 2026-12-01"}`, 201, &prop},
		{"GET", "/api/v1/policy/proposals?status=pending", owner, "", 200, nil},
		{"GET", "/api/v1/policy/proposals?status=maybe", owner, "", 400, nil},
		{"GET", "/api/v1/policy/proposals/{p}", f.A.Token, "", 404, nil},
		{"POST", "/api/v1/policy/proposals/{p}/review", f.A.Token, `{"accept":true}`, 404, nil},
		{"POST", "/api/v1/policy/proposals/{p}/review", owner, `{"accept":true}`, 403, nil},
		{"POST", "/api/v1/policy/proposals/{p}/review", admin, `{}`, 400, nil},
		{"POST", "/api/v1/policy/proposals/{p}/review", admin, `{"accept":true,"note":"checked"}`, 200, nil},
		{"POST", "/api/v1/policy/proposals/{p}/review", admin, `{"accept":false}`, 409, nil},
		{"GET", "/api/v1/policy/proposals/{p}", owner, "", 200, nil},
		{"GET", "/api/v1/policy/countries/GB?date=2026-12-07", f.B.Token, "", 200, nil},
	}
	for _, st := range steps {
		path := st.path
		if prop != nil {
			path = strings.ReplaceAll(path, "{p}", prop["id"].(string))
		}
		ct := ""
		if st.body != "" {
			ct = "application/json"
		}
		resp, got := f.Do(st.method, path, st.token, ct, strings.NewReader(st.body))
		if resp.StatusCode != st.want {
			t.Fatalf("%s %s = %d %s, want %d", st.method, path, resp.StatusCode, got, st.want)
		}
		if st.into != nil {
			if err := json.Unmarshal(got, st.into); err != nil {
				t.Fatal(err)
			}
		}
		req, _ := http.NewRequest(st.method, f.Srv.URL+path, strings.NewReader(st.body))
		req.Header.Set("Content-Type", ct)
		if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", st.method, path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	// Once accepted, every organisation sees the change and its record.
	_, got := f.Do("GET", "/api/v1/policy/countries/GB?date=2026-12-07", f.B.Token, "", nil)
	var gb struct {
		Entries []struct{ ID, Proposal string }
		Changes []struct{ ID, Status string }
	}
	if err := json.Unmarshal(got, &gb); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range gb.Entries {
		found = found || (e.ID == "gb-test-sbom" && e.Proposal == prop["id"])
	}
	if !found || len(gb.Changes) != 1 || gb.Changes[0].Status != "accepted" {
		t.Errorf("GB after review: entries %+v, changes %+v", gb.Entries, gb.Changes)
	}
}
