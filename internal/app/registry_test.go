package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestRegistryAPI drives a certification's life through the API: the
// platform operator makes CSA the owner of sg-cls (a service call, as the
// command line does), Acme applies for its camera's firmware, CSA grants
// it, the label document verifies offline with its inclusion proof, CSA
// puts it under review with reasons, clears it, suspends it and revokes
// it, and the history shows every move with its log entry. Along the way
// a viewer cannot apply, the maker cannot grant and the authority cannot
// withdraw (403), a third organisation sees nothing (404), invalid bodies
// and queries name their field, and a key rotation leaves earlier labels
// verifying. Every response is checked against the OpenAPI document.
func TestRegistryAPI(t *testing.T) {
	v := openAPIValidator(t)
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfgFor(t)
			cfg.Workers, cfg.CAKey = 0, config.Secret(testKEK)
			a, err := app.New(ctx, cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			url, _ := serve(t, a)

			// The maker with a camera, the scheme's owner and a third
			// party, each with tokens of the roles the story needs.
			acme, csa, other := iotsec.Organisation{Name: "Acme Cameras", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"},
				iotsec.Organisation{Name: "Other", Country: "DE"}
			for _, o := range []*iotsec.Organisation{&acme, &csa, &other} {
				must(t, a.Store.CreateOrg(ctx, "test", o, ""))
			}
			maker, judge := iotsec.System(acme.ID, "test"), iotsec.System(csa.ID, "test")
			p := iotsec.Product{Name: "Camera", Model: "CAM-1", Class: "camera"}
			must(t, a.Store.CreateProduct(ctx, maker, &p))
			fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
			must(t, a.Store.CreateFirmware(ctx, maker, &fw))
			acmeOwner, acmeMaker, acmeViewer := newToken(t, a, maker, iotsec.RoleOwner), newToken(t, a, maker, iotsec.RoleMaker), newToken(t, a, maker, iotsec.RoleViewer)
			csaOwner, csaMaker := newToken(t, a, judge, iotsec.RoleOwner), newToken(t, a, judge, iotsec.RoleMaker)
			otherOwner := newToken(t, a, iotsec.System(other.ID, "test"), iotsec.RoleOwner)

			check := func(t *testing.T, tok, method, path, body string, want int) []byte {
				t.Helper()
				ct := ""
				if method != "GET" {
					ct = "application/json"
				}
				resp, got := call(t, method, url+path, tok, ct, []byte(body))
				if resp.StatusCode != want {
					t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, got, want)
				}
				req, _ := http.NewRequest(method, url+path, nil)
				req.Header.Set("Content-Type", ct)
				if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
					for _, e := range verrs {
						t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", method, path, e.Message, e.Reason, e.SchemaValidationErrors)
					}
				}
				return got
			}
			// field sends a request that must be refused with 400 naming
			// the field.
			field := func(t *testing.T, tok, method, path, body, want string) {
				t.Helper()
				got := check(t, tok, method, path, body, 400)
				if p := apptest.DecodeProblem(t, got); p.Field() != want {
					t.Errorf("%s %s %s: problem names %q, want %q: %s", method, path, body, p.Field(), want, got)
				}
			}
			record := func(t *testing.T, b []byte) iotsec.Certification {
				t.Helper()
				var c iotsec.Certification
				if err := json.Unmarshal(b, &c); err != nil {
					t.Fatalf("%v: %s", err, b)
				}
				return c
			}
			// verify fetches the record's label document through the API
			// and checks it offline, as `iotsec label verify` does.
			verify := func(t *testing.T, id string, opts registry.VerifyOptions) registry.Result {
				t.Helper()
				return registry.VerifyLabel(check(t, acmeViewer, "GET", "/api/v1/registry/"+id+"/label", "", 200), opts)
			}
			step := func(name string, fn func(t *testing.T)) {
				t.Helper()
				if !t.Run(name, fn) {
					t.FailNow()
				}
			}
			var rec iotsec.Certification

			step("operator", func(t *testing.T) {
				field(t, acmeOwner, "POST", "/api/v1/registry", `{"firmware_id":"`+fw.ID+`","scheme":"sg-cls","level":"2"}`, "scheme")
				must(t, a.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
				var ops api.List[iotsec.SchemeOperator]
				must(t, json.Unmarshal(check(t, csaOwner, "GET", "/api/v1/registry/operators", "", 200), &ops))
				if len(ops.Items) != 1 || ops.Items[0].Scheme != "sg-cls" || ops.Items[0].Role != iotsec.OperatorOwner {
					t.Errorf("CSA operates %+v, want the owner of sg-cls", ops.Items)
				}
				must(t, json.Unmarshal(check(t, acmeOwner, "GET", "/api/v1/registry/operators", "", 200), &ops))
				if len(ops.Items) != 0 {
					t.Errorf("Acme operates %+v, want nothing", ops.Items)
				}
			})

			step("apply", func(t *testing.T) {
				body := `{"firmware_id":"` + fw.ID + `","scheme":"sg-cls","level":"2"}`
				check(t, acmeViewer, "POST", "/api/v1/registry", body, 403)
				field(t, acmeMaker, "POST", "/api/v1/registry", `{"firmware_id":1,"scheme":"sg-cls"}`, "firmware_id")
				field(t, acmeMaker, "POST", "/api/v1/registry", `{"firmware_id":"`+fw.ID+`","scheme":"sg-cls","colour":"red"}`, "colour")
				field(t, acmeMaker, "POST", "/api/v1/registry", `{"scheme":"sg-cls"}`, "firmware_id")
				field(t, acmeMaker, "POST", "/api/v1/registry", `{"firmware_id":"fw_nope","scheme":"sg-cls"}`, "firmware_id")
				field(t, otherOwner, "POST", "/api/v1/registry", body, "firmware_id") // Acme's firmware is not Other's
				field(t, acmeMaker, "POST", "/api/v1/registry", `{"firmware_id":"`+fw.ID+`","scheme":"sg-cls","lab_org_id":"org_nope"}`, "lab_org_id")
				rec = record(t, check(t, acmeMaker, "POST", "/api/v1/registry", body, 201))
				if rec.Status != iotsec.StatusApplied || rec.AuthorityOrgID != csa.ID || rec.OrgID != acme.ID || rec.ProductID != p.ID || rec.Label != "" {
					t.Errorf("applied record = %+v", rec)
				}
				check(t, acmeMaker, "POST", "/api/v1/registry", body, 409)
			})

			step("read", func(t *testing.T) {
				var l api.List[iotsec.Certification]
				for _, q := range []struct {
					tok, query string
					want       int
				}{
					{acmeViewer, "", 1},
					{acmeViewer, "?as=maker&status=applied&scheme=sg-cls&firmware=" + fw.ID, 1},
					{acmeViewer, "?as=authority", 0},
					{csaOwner, "?as=authority&status=applied", 1},
					{csaOwner, "?as=authority&status=certified", 0},
					{csaOwner, "", 0},
					{otherOwner, "?as=authority", 0},
					{acmeViewer, "?limit=1", 1},
					{acmeViewer, "?before=" + rec.ID, 0},
				} {
					must(t, json.Unmarshal(check(t, q.tok, "GET", "/api/v1/registry"+q.query, "", 200), &l))
					if len(l.Items) != q.want {
						t.Errorf("GET /api/v1/registry%s = %d records, want %d", q.query, len(l.Items), q.want)
					}
				}
				if must(t, json.Unmarshal(check(t, acmeViewer, "GET", "/api/v1/registry?limit=1", "", 200), &l)); l.Next == nil || fmt.Sprint(*l.Next) != rec.ID {
					t.Errorf("a full page has next %v, want %s", l.Next, rec.ID)
				}
				field(t, acmeViewer, "GET", "/api/v1/registry?as=god", "", "as")
				field(t, acmeViewer, "GET", "/api/v1/registry?status=lost", "", "status")
				field(t, acmeViewer, "GET", "/api/v1/registry?limit=0", "", "limit")
				for _, tok := range []string{acmeViewer, csaMaker} {
					if got := record(t, check(t, tok, "GET", "/api/v1/registry/"+rec.ID, "", 200)); got.ID != rec.ID {
						t.Errorf("GET record = %+v", got)
					}
				}
				// A third party sees nothing of it, and moves nothing.
				for _, path := range []string{"", "/history", "/label"} {
					check(t, otherOwner, "GET", "/api/v1/registry/"+rec.ID+path, "", 404)
				}
				for _, m := range []string{"grant", "suspend", "revoke", "review", "clear", "withdraw"} {
					check(t, otherOwner, "POST", "/api/v1/registry/"+rec.ID+"/"+m, `{}`, 404)
				}
				check(t, otherOwner, "POST", "/api/v1/registry/"+rec.ID+"/grant", `not even JSON`, 404) // before the body is read
				// Never granted: no label.
				check(t, acmeViewer, "GET", "/api/v1/registry/"+rec.ID+"/label", "", 404)
			})

			step("grant", func(t *testing.T) {
				path := "/api/v1/registry/" + rec.ID + "/grant"
				check(t, acmeOwner, "POST", path, `{}`, 403) // the maker is the other side
				check(t, csaMaker, "POST", path, `{}`, 403)  // the authority's maker role may not certify
				field(t, csaOwner, "POST", path, `{"valid_until":"2026-13-01"}`, "valid_until")
				field(t, csaOwner, "POST", path, `{"valid_from":"tomorrow"}`, "valid_from")
				field(t, csaOwner, "POST", path, `{"valid_from":"2030-01-01","valid_until":"2029-01-01"}`, "valid_until")
				field(t, csaOwner, "POST", path, `{"reason":["x"]}`, "reason")
				field(t, csaOwner, "POST", path, `{"until":"2029-01-01"}`, "until")
				field(t, csaOwner, "POST", path, ``, "body")
				check(t, csaOwner, "POST", path, `{}`+`{}`, 400)
				rec = record(t, check(t, csaOwner, "POST", path, `{"reason":"tested by the lab"}`, 200))
				today := iotsec.DateOf(time.Now())
				if rec.Status != iotsec.StatusCertified || !rec.ValidFrom.Equal(today) || rec.Label == "" || rec.GrantedAt.IsZero() {
					t.Errorf("granted record = %+v", rec)
				}
				// sg-cls's rule: three years, within the support period.
				if want := iotsec.DateOf(today.Time().AddDate(3, 0, -1)); !rec.ValidUntil.Equal(want) {
					t.Errorf("valid until %s, want %s", rec.ValidUntil, want)
				}
				check(t, csaOwner, "POST", path, `{}`, 409) // certified already
			})

			step("label verifies offline", func(t *testing.T) {
				resp, cp := call(t, "GET", url+"/log/checkpoint", "", "", nil)
				if resp.StatusCode != 200 {
					t.Fatalf("GET /log/checkpoint = %d %s", resp.StatusCode, cp)
				}
				r := verify(t, rec.ID, registry.VerifyOptions{Checkpoint: cp})
				if !r.Valid || r.Status != "certified" || r.Label == nil || r.Label.LabelID != rec.LabelID || r.Label.Scheme.Slug != "sg-cls" || r.Label.Level != "2" {
					t.Fatalf("label verification = %+v", r)
				}
				if r.Label.Maker.Name != "Acme Cameras" || r.Label.GrantedBy.Name != "CSA" || r.Label.FirmwareVersion != "1.4.0" {
					t.Errorf("label claims = %+v", r.Label)
				}
				// The API's document is the public one.
				_, pub := call(t, "GET", url+"/l/"+rec.LabelID+".json", "", "", nil)
				var mine, theirs registry.Document
				must(t, json.Unmarshal(check(t, acmeViewer, "GET", "/api/v1/registry/"+rec.ID+"/label", "", 200), &mine))
				must(t, json.Unmarshal(pub, &theirs))
				if mine.Label != theirs.Label || mine.Status != theirs.Status || mine.Page != theirs.Page {
					t.Errorf("API label document %+v, public %+v", mine, theirs)
				}
				// The labels API: the maker's and the authority's lists hold
				// the label; the document and the bare JWS are the public ones;
				// another organisation sees none of it.
				for _, q := range []struct {
					tok, query string
				}{{acmeViewer, ""}, {csaOwner, "?as=authority"}} {
					var l struct{ Items []iotsec.Certification }
					must(t, json.Unmarshal(check(t, q.tok, "GET", "/api/v1/labels"+q.query, "", 200), &l))
					if len(l.Items) != 1 || l.Items[0].LabelID != rec.LabelID {
						t.Errorf("GET /api/v1/labels%s = %+v", q.query, l.Items)
					}
				}
				var viaLabels registry.Document
				must(t, json.Unmarshal(check(t, csaOwner, "GET", "/api/v1/labels/"+rec.LabelID, "", 200), &viaLabels))
				if viaLabels.Label != theirs.Label || viaLabels.Page != theirs.Page {
					t.Errorf("GET /api/v1/labels/{id} = %+v, public %+v", viaLabels, theirs)
				}
				if jws := check(t, acmeViewer, "GET", "/api/v1/labels/"+rec.LabelID+"?format=jws", "", 200); string(jws) != theirs.Label {
					t.Errorf("GET /api/v1/labels/{id}?format=jws = %q", jws)
				}
				check(t, otherOwner, "GET", "/api/v1/labels/"+rec.LabelID, "", 404)
				var none struct{ Items []iotsec.Certification }
				if must(t, json.Unmarshal(check(t, otherOwner, "GET", "/api/v1/labels", "", 200), &none)); len(none.Items) != 0 {
					t.Errorf("another organisation's labels: %+v", none.Items)
				}
				field(t, acmeViewer, "GET", "/api/v1/labels/"+rec.LabelID+"?format=xml", "", "format")
				// One changed byte fails.
				b := check(t, acmeViewer, "GET", "/api/v1/registry/"+rec.ID+"/label", "", 200)
				i := strings.Index(string(b), `"label": "`) + 40
				b[i] ^= 1
				if r := registry.VerifyLabel(b, registry.VerifyOptions{}); r.Valid {
					t.Error("a label with a changed byte verifies")
				}
			})

			step("review", func(t *testing.T) {
				path := "/api/v1/registry/" + rec.ID + "/review"
				field(t, csaOwner, "POST", path, `{"reasons":[]}`, "reasons")
				field(t, csaOwner, "POST", path, `{"reasons":"one"}`, "reasons")
				field(t, csaOwner, "POST", path, `{"reasons":["`+strings.Repeat("x", 1001)+`"]}`, "reasons")
				check(t, acmeOwner, "POST", path, `{"reasons":["mine"]}`, 403)
				reasons := []string{"CVE-2023-28450 in dnsmasq 2.84 is known to be exploited (CISA KEV)", "5.3-2 fails on 1.4.0"}
				rec = record(t, check(t, csaOwner, "POST", path, apptest.JSONString(map[string]any{"reasons": reasons}), 200))
				if rec.Status != iotsec.StatusUnderReview || !slices.Equal(rec.Reasons, reasons) {
					t.Errorf("reviewed record = %+v", rec)
				}
				r := verify(t, rec.ID, registry.VerifyOptions{})
				if r.Valid || r.Status != "under_review" {
					t.Errorf("a label under review verifies as %+v", r)
				}
				var l api.List[iotsec.Certification]
				must(t, json.Unmarshal(check(t, csaOwner, "GET", "/api/v1/registry?as=authority&status=under-review", "", 200), &l))
				if len(l.Items) != 1 || l.Items[0].ID != rec.ID {
					t.Errorf("the review queue is %+v", l.Items)
				}
				check(t, csaOwner, "POST", "/api/v1/registry/"+rec.ID+"/grant", `{}`, 409) // cleared, not granted
			})

			step("clear", func(t *testing.T) {
				path := "/api/v1/registry/" + rec.ID + "/clear"
				field(t, csaOwner, "POST", path, `{"reasons":["x"]}`, "reasons")
				rec = record(t, check(t, csaOwner, "POST", path, `{"reason":"fixed in 1.4.1; 1.4.0 not exposed"}`, 200))
				if rec.Status != iotsec.StatusCertified || len(rec.Reasons) != 0 {
					t.Errorf("cleared record = %+v", rec)
				}
				check(t, csaOwner, "POST", path, `{}`, 409)
				if r := verify(t, rec.ID, registry.VerifyOptions{}); !r.Valid || r.Status != "certified" {
					t.Errorf("a cleared label verifies as %+v", r)
				}
			})

			step("key rotation", func(t *testing.T) {
				check(t, csaMaker, "POST", "/api/v1/registry/keys/rotate", "", 403)
				check(t, acmeViewer, "POST", "/api/v1/registry/keys/rotate", "", 403)
				var k struct {
					KID       string          `json:"kid"`
					OrgID     string          `json:"org_id"`
					PublicJWK json.RawMessage `json:"public_jwk"`
				}
				must(t, json.Unmarshal(check(t, csaOwner, "POST", "/api/v1/registry/keys/rotate", "", 201), &k))
				if k.OrgID != csa.ID || k.KID == "" || !strings.Contains(string(k.PublicJWK), k.KID) {
					t.Errorf("new key = %+v", k)
				}
				// The label signed with the key before still verifies.
				if r := verify(t, rec.ID, registry.VerifyOptions{}); !r.Valid || r.Kid == k.KID {
					t.Errorf("after the rotation the label verifies as %+v", r)
				}
			})

			step("suspend", func(t *testing.T) {
				path := "/api/v1/registry/" + rec.ID + "/suspend"
				field(t, csaOwner, "POST", path, `{"reason":"x"}`, "reason")
				field(t, csaOwner, "POST", path, `{"reasons":[]}`, "reasons") // the public log says why
				field(t, csaOwner, "POST", path, `{"reasons":[" "]}`, "reasons")
				rec = record(t, check(t, csaOwner, "POST", path, `{"reasons":["declaration of conformity withdrawn"]}`, 200))
				if rec.Status != iotsec.StatusSuspended || len(rec.Reasons) != 1 {
					t.Errorf("suspended record = %+v", rec)
				}
				// Signed anew with the new key.
				if r := verify(t, rec.ID, registry.VerifyOptions{}); r.Valid || r.Status != "suspended" {
					t.Errorf("a suspended label verifies as %+v", r)
				}
			})

			step("revoke", func(t *testing.T) {
				path := "/api/v1/registry/" + rec.ID + "/revoke"
				check(t, acmeOwner, "POST", path, `{"reason":"mine"}`, 403)
				field(t, csaOwner, "POST", path, `{"reason":"`+strings.Repeat("x", 2001)+`"}`, "reason")
				field(t, csaOwner, "POST", path, `{}`, "reason") // the public log says why
				rec = record(t, check(t, csaOwner, "POST", path, `{"reason":"breach of declaration"}`, 200))
				if rec.Status != iotsec.StatusRevoked {
					t.Errorf("revoked record = %+v", rec)
				}
				if r := verify(t, rec.ID, registry.VerifyOptions{}); r.Valid || r.Status != "revoked" {
					t.Errorf("a revoked label verifies as %+v", r)
				}
				for m, body := range map[string]string{"grant": `{}`, "clear": `{}`, "suspend": `{"reasons":["x"]}`, "revoke": `{"reason":"x"}`} {
					check(t, csaOwner, "POST", "/api/v1/registry/"+rec.ID+"/"+m, body, 409)
				}
				check(t, acmeOwner, "POST", "/api/v1/registry/"+rec.ID+"/withdraw", `{}`, 409)
			})

			step("history", func(t *testing.T) {
				var h api.List[iotsec.CertificationEvent]
				must(t, json.Unmarshal(check(t, csaOwner, "GET", "/api/v1/registry/"+rec.ID+"/history", "", 200), &h))
				var moves []string
				for i, ev := range h.Items {
					moves = append(moves, string(ev.To))
					if logged := ev.LogIndex >= 0; logged != (i > 0) {
						t.Errorf("move %d (%s) has log index %d", i, ev.To, ev.LogIndex)
					}
				}
				want := []string{"applied", "certified", "under-review", "certified", "suspended", "revoked"}
				if !slices.Equal(moves, want) {
					t.Errorf("history %v, want %v", moves, want)
				}
				if last := h.Items[len(h.Items)-1]; last.Reason != "breach of declaration" || last.ActorOrgID != csa.ID {
					t.Errorf("the revocation is recorded as %+v", last)
				}
			})

			step("withdraw", func(t *testing.T) {
				// A new application after the revocation; its maker gives
				// it up before any grant, so it never reaches the log.
				c := record(t, check(t, acmeMaker, "POST", "/api/v1/registry", `{"firmware_id":"`+fw.ID+`","scheme":"sg-cls","level":"2"}`, 201))
				path := "/api/v1/registry/" + c.ID + "/withdraw"
				check(t, csaOwner, "POST", path, `{}`, 403) // the authority is the other side
				check(t, acmeViewer, "POST", path, `{}`, 403)
				field(t, acmeMaker, "POST", path, `{"reason":1}`, "reason")
				c = record(t, check(t, acmeMaker, "POST", path, `{"reason":"model discontinued"}`, 200))
				if c.Status != iotsec.StatusWithdrawn || c.Label != "" {
					t.Errorf("withdrawn record = %+v", c)
				}
				check(t, acmeViewer, "GET", "/api/v1/registry/"+c.ID+"/label", "", 404)
				var h api.List[iotsec.CertificationEvent]
				must(t, json.Unmarshal(check(t, acmeViewer, "GET", "/api/v1/registry/"+c.ID+"/history", "", 200), &h))
				for _, ev := range h.Items {
					if ev.LogIndex != -1 {
						t.Errorf("a never-granted record's move %s is in the log at %d", ev.To, ev.LogIndex)
					}
				}
			})
		})
	}
}

// TestExpiryAtStart: a label whose period ended while the server was down
// is expired when the server starts, before it answers a request, on
// both databases.
func TestExpiryAtStart(t *testing.T) {
	for name, mk := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := apptest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
			cfg := mk(t)
			cfg.CAKey, cfg.Workers = config.Secret(testKEK), 0
			a, err := app.New(ctx, cfg, quietLog(), app.Options{Now: clock.Now})
			must(t, err)
			t.Cleanup(func() { a.Close() })
			maker, csa := iotsec.Organisation{Name: "Acme", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"}
			must(t, a.Store.CreateOrg(ctx, "t", &maker, ""))
			must(t, a.Store.CreateOrg(ctx, "t", &csa, ""))
			m, judge := iotsec.System(maker.ID, "t"), iotsec.System(csa.ID, "t")
			must(t, a.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
			p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
			must(t, a.Store.CreateProduct(ctx, m, &p))
			fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
			must(t, a.Store.CreateFirmware(ctx, m, &fw))
			c, err := a.Registry.Apply(ctx, m, fw.ID, "sg-cls", "1", "")
			must(t, err)
			c, err = a.Registry.Grant(ctx, judge, c.ID, registry.GrantInput{ValidUntil: iotsec.NewDate(2026, 6, 30)})
			must(t, err)

			clock.Set(time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC))
			url, stop := serve(t, a)
			resp, err := http.Get(url + "/l/" + c.LabelID + ".json")
			must(t, err)
			var doc registry.Document
			must(t, json.NewDecoder(resp.Body).Decode(&doc))
			resp.Body.Close()
			stop()
			if doc.Status != "expired" {
				t.Errorf("after a start past the end, the label document says %q, want expired", doc.Status)
			}
			hist, err := a.Registry.History(ctx, m, c.ID)
			must(t, err)
			if last := hist[len(hist)-1]; last.To != iotsec.StatusExpired || last.Actor != "system:expiry" {
				t.Errorf("last event %+v", last)
			}
		})
	}
}
