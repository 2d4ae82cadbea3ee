package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
)

// TestWorkspaceAPIMatchesOpenAPI walks /api/v1/workspaces with three
// organisations: a ministry creates a workspace and invites B (a reviewer)
// and A (a member); A sees none of it before it is invited and none of B's
// other things after it joins; the ministry's proposal is commented on,
// refused approval by A (no reviewer) and by the ministry (its proposer),
// approved by B and merged by A once; B reports. Each response is checked
// against openapi.json.
func TestWorkspaceAPIMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ministry, _ := govTokens(t, f)
	var ws, prop, merged, detail map[string]any
	proposal := `{"kind":"new","from":"uk-psti","to":"etsi-en-303-645","sources":["1"],"targets":["5.1-2"],"relationship":"intersects-with",` +
		`"confidence":"medium","rationale":"the password rule also forbids guessable defaults"}`
	steps := []struct {
		method, path, token, body string
		want                      int
		into                      *map[string]any
	}{
		{"POST", "/api/v1/workspaces", ministry, `{"name":"Consumer IoT SIG","focus":"baselines"}`, 201, &ws},
		{"POST", "/api/v1/workspaces", ministry, `{"name":"","focus":"baselines"}`, 400, nil},
		{"GET", "/api/v1/workspaces/{w}", f.A.Token, "", 404, nil},
		{"POST", "/api/v1/workspaces/{w}/invitations", ministry, `{"org_id":"` + f.B.Org.ID + `","role":"reviewer"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/invitations", ministry, `{"org_id":"` + f.A.Org.ID + `","role":"member"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/invitations", ministry, `{"org_id":"` + f.A.Org.ID + `","role":"member"}`, 409, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", f.A.Token, proposal, 403, nil}, // invited, not yet accepted
		{"POST", "/api/v1/workspaces/{w}/accept", f.A.Token, "", 200, nil},
		{"POST", "/api/v1/workspaces/{w}/accept", f.B.Token, "", 200, nil},
		// A member sees the workspace, never the other members' own things.
		{"GET", "/api/v1/products/" + f.B.Product.ID, f.A.Token, "", 404, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", ministry, strings.Replace(proposal, `["1"]`, `["no-such"]`, 1), 400, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", ministry, proposal, 201, &prop},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/comments", f.A.Token, `{"body":"true of our cameras"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/merge", f.A.Token, "", 409, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/approve", f.A.Token, "", 403, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/approve", ministry, "", 403, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/approve", f.B.Token, "", 200, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/merge", f.A.Token, "", 200, &merged},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/merge", f.A.Token, "", 409, nil},
		{"GET", "/api/v1/workspaces/{w}/proposals/{p}", ministry, "", 200, nil},
		{"POST", "/api/v1/workspaces/{w}/reports", f.B.Token, `{"title":"March","from":"2026-03-01","to":"2026-03-31","merged":["{p}"],"gaps":"5.13"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/reports", f.B.Token, `{"title":"March","from":"2026-03-31","to":"2026-03-01"}`, 400, nil},
		{"GET", "/api/v1/workspaces", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/workspaces/{w}", f.A.Token, "", 200, &detail},
	}
	for _, st := range steps {
		path, body := st.path, st.body
		if ws != nil {
			path = strings.ReplaceAll(path, "{w}", ws["id"].(string))
		}
		if prop != nil {
			path = strings.ReplaceAll(path, "{p}", prop["id"].(string))
			body = strings.ReplaceAll(body, "{p}", prop["id"].(string))
		}
		ct := "application/json"
		resp, got := f.Do(st.method, path, st.token, ct, strings.NewReader(body))
		if resp.StatusCode != st.want {
			t.Fatalf("%s %s = %d %s, want %d", st.method, path, resp.StatusCode, got, st.want)
		}
		if st.into != nil {
			if err := json.Unmarshal(got, st.into); err != nil {
				t.Fatal(err)
			}
		}
		req, _ := http.NewRequest(st.method, f.Srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", st.method, path, e.Message, e.Reason, e.SchemaValidationErrors)
			}
		}
	}
	if imps := merged["imports"].([]any); len(imps) != 3 {
		t.Errorf("merge made %d imports, want one in each of the three members' catalogs: %v", len(imps), imps)
	}
	if ps := detail["proposals"].([]any); len(ps) != 1 || ps[0].(map[string]any)["status"] != "merged" {
		t.Errorf("detail proposals = %v", ps)
	}
	// The merged mapping is in A's catalog, cited to the workspace.
	_, got := f.Do("GET", "/api/v1/schemes/imports", f.A.Token, "", nil)
	if !strings.Contains(string(got), "workspace Consumer IoT SIG") {
		t.Errorf("A's imports do not hold the merged mapping: %s", got)
	}
}

// TestWorkspaceCloseAPIMatchesOpenAPI walks the moves that end a proposal
// or a membership, with a ministry (which creates the workspace), B (a
// reviewer) and A (a member): A's change proposal is withdrawn by A only;
// the next is rejected by the ministry, with a reason; the ministry
// removes A, which then sees nothing of the workspace; B leaves; the
// ministry cannot. Each response is checked against openapi.json.
func TestWorkspaceCloseAPIMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ministry, _ := govTokens(t, f)
	change := `{"kind":"change","from":"uk-psti","to":"etsi-en-303-645","sources":["1"],"targets":["5.1-1","5.1-2"],"relationship":"intersects-with",` +
		`"confidence":"medium","rationale":"narrower in scope than the two provisions together"}`
	var ws, prop, got map[string]any
	steps := []struct {
		method, path, token, body string
		want                      int
		into                      *map[string]any
	}{
		{"POST", "/api/v1/workspaces", ministry, `{"name":"Consumer IoT SIG","focus":"baselines"}`, 201, &ws},
		{"POST", "/api/v1/workspaces/{w}/invitations", ministry, `{"org_id":"` + f.B.Org.ID + `","role":"reviewer"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/invitations", ministry, `{"org_id":"` + f.A.Org.ID + `","role":"member"}`, 201, nil},
		{"POST", "/api/v1/workspaces/{w}/accept", f.A.Token, "", 200, nil},
		{"POST", "/api/v1/workspaces/{w}/accept", f.B.Token, "", 200, nil},
		// A change naming provisions no map joins is refused.
		{"POST", "/api/v1/workspaces/{w}/proposals", f.A.Token, strings.Replace(change, `"5.1-1",`, "", 1), 400, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", f.A.Token, change, 201, &prop},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/withdraw", f.B.Token, "", 403, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/withdraw", f.A.Token, "", 200, &got},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/withdraw", f.A.Token, "", 409, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", f.A.Token, change, 201, &prop},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/reject", ministry, `{}`, 400, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/reject", f.A.Token, `{"reason":"mine"}`, 403, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/reject", ministry, `{"reason":"cite the market surveillance cases"}`, 200, &got},
		{"POST", "/api/v1/workspaces/{w}/proposals/{p}/approve", f.B.Token, "", 409, nil},
		{"POST", "/api/v1/workspaces/{w}/proposals", f.A.Token, change, 201, &prop},
		{"DELETE", "/api/v1/workspaces/{w}/members/" + f.A.Org.ID, f.B.Token, "", 403, nil},
		{"DELETE", "/api/v1/workspaces/{w}/members/" + f.A.Org.ID, ministry, "", 200, nil},
		{"GET", "/api/v1/workspaces/{w}", f.A.Token, "", 404, nil},
		{"GET", "/api/v1/workspaces/{w}/proposals/{p}", f.A.Token, "", 404, nil},
		{"GET", "/api/v1/workspaces/{w}/proposals/{p}", f.B.Token, "", 200, &got},
		{"POST", "/api/v1/workspaces/{w}/leave", ministry, "", 409, nil},
		{"POST", "/api/v1/workspaces/{w}/leave", f.B.Token, "", 204, nil},
		{"GET", "/api/v1/workspaces/{w}", f.B.Token, "", 404, nil},
	}
	for i, st := range steps {
		path := st.path
		if ws != nil {
			path = strings.ReplaceAll(path, "{w}", ws["id"].(string))
		}
		if prop != nil {
			path = strings.ReplaceAll(path, "{p}", prop["id"].(string))
		}
		ct := "application/json"
		resp, body := f.Do(st.method, path, st.token, ct, strings.NewReader(st.body))
		if resp.StatusCode != st.want {
			t.Fatalf("step %d: %s %s = %d %s, want %d", i, st.method, path, resp.StatusCode, body, st.want)
		}
		if st.into != nil {
			if err := json.Unmarshal(body, st.into); err != nil {
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
		switch {
		case strings.HasSuffix(path, "/withdraw") && st.want == 200 && got["status"] != "withdrawn":
			t.Errorf("withdraw answered %v", got)
		case strings.HasSuffix(path, "/reject") && st.want == 200 && (got["status"] != "rejected" || got["reason"] != "cite the market surveillance cases"):
			t.Errorf("reject answered %v", got)
		}
	}
	// The removed organisation's open proposal was withdrawn with it.
	if got["status"] != "withdrawn" || got["reason"] == "" {
		t.Errorf("the removed member's open proposal = %v, want withdrawn with the reason", got)
	}
}
