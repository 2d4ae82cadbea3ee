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

// TestRecognitionAPIMatchesOpenAPI walks /api/v1/recognitions with three
// organisations: A (owner of kr-cic) asks B (owner of jp-jc-star); a
// ministry sees none of it and may not ask in A's name; B's refusal needs
// a reason; A withdraws one request, B agrees to another, and then A's
// and B's catalogs list the agreement and the ministry's does not. Each
// response is checked against openapi.json.
func TestRecognitionAPIMatchesOpenAPI(t *testing.T) {
	f := apptest.New(t)
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx := context.Background()
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.A.Org.ID, Scheme: "kr-cic", Role: iotsec.OperatorOwner}))
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.B.Org.ID, Scheme: "jp-jc-star", Role: iotsec.OperatorOwner}))
	ministry, _ := govTokens(t, f)
	req := `{"from_scheme":"kr-cic","from_level":"standard","to_scheme":"jp-jc-star","to_level":"2","rationale":"KC standard tests every level 2 requirement"}`
	var first, second, third, list map[string]any
	steps := []struct {
		method, path, token, body string
		want                      int
		into                      *map[string]any
	}{
		{"POST", "/api/v1/recognitions", ministry, req, 403, nil},
		{"POST", "/api/v1/recognitions", f.A.Token, strings.Replace(req, `"standard"`, `"platinum"`, 1), 400, nil},
		{"POST", "/api/v1/recognitions", f.A.Token, req, 201, &first},
		{"GET", "/api/v1/recognitions/{1}", ministry, "", 404, nil},
		{"POST", "/api/v1/recognitions/{1}/agree", ministry, "", 404, nil},
		{"POST", "/api/v1/recognitions/{1}/refuse", f.B.Token, `{"reason":""}`, 400, nil},
		{"POST", "/api/v1/recognitions/{1}/refuse", f.A.Token, `{"reason":"mine"}`, 403, nil},
		{"POST", "/api/v1/recognitions/{1}/refuse", f.B.Token, `{"reason":"level 2 needs an update policy"}`, 200, nil},
		{"POST", "/api/v1/recognitions/{1}/agree", f.B.Token, "", 409, nil},
		{"POST", "/api/v1/recognitions", f.A.Token, req, 201, &second},
		{"POST", "/api/v1/recognitions/{2}/withdraw", f.B.Token, "", 403, nil},
		{"POST", "/api/v1/recognitions/{2}/withdraw", f.A.Token, "", 200, nil},
		{"POST", "/api/v1/recognitions", f.A.Token, req, 201, &third},
		{"POST", "/api/v1/recognitions/{3}/agree", f.A.Token, "", 403, nil},
		{"POST", "/api/v1/recognitions/{3}/agree", f.B.Token, "", 200, nil},
		{"GET", "/api/v1/recognitions/{3}", f.A.Token, "", 200, nil},
		{"GET", "/api/v1/recognitions", f.B.Token, "", 200, &list},
	}
	for _, st := range steps {
		path := st.path
		for k, m := range map[string]map[string]any{"{1}": first, "{2}": second, "{3}": third} {
			if m != nil {
				path = strings.ReplaceAll(path, k, m["id"].(string))
			}
		}
		ct := "application/json"
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
	var statuses []string
	for _, it := range list["items"].([]any) {
		statuses = append(statuses, it.(map[string]any)["status"].(string))
	}
	if strings.Join(statuses, ",") != "agreed,withdrawn,refused" {
		t.Errorf("B lists statuses %v, want agreed, withdrawn, refused (newest first)", statuses)
	}
	// The agreement is in A's and B's catalogs, and not in the ministry's.
	agreement := "recognition-" + third["id"].(string)
	for _, c := range []struct {
		who, token string
		want       bool
	}{{"A", f.A.Token, true}, {"B", f.B.Token, true}, {"ministry", ministry, false}} {
		_, got := f.Do("GET", "/api/v1/schemes/kr-cic", c.token, "", nil)
		if strings.Contains(string(got), agreement) != c.want {
			t.Errorf("%s's kr-cic lists %s: %v, want %v", c.who, agreement, !c.want, c.want)
		}
	}
}
