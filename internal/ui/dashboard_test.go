package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIProcurement adds a procurement policy on the CISO dashboard and
// checks the organisation's product against it, by product and by label;
// the verdict shows each demand and why.
func TestUIProcurement(t *testing.T) {
	f := newFixture(t)
	f.RegistryRecords(&f.A)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	resp, body := b.get("/dashboard/ciso")
	wantStatus(t, "CISO dashboard", resp, body, 200)
	if !strings.Contains(body, "No procurement policy yet") {
		t.Errorf("no invitation to add a policy")
	}
	resp, body = b.post("/dashboard/ciso/policies", url.Values{"name": {"Cameras"}, "min_support_years": {"many"}})
	wantStatus(t, "policy with years in words", resp, body, 400)
	resp, body = b.post("/dashboard/ciso/policies", url.Values{"name": {"Cameras"}, "market": {"eu"}, "scheme": {f.A.Scheme},
		"min_level": {"1"}, "min_support_years": {"2"}, "sbom": {"1"}})
	wantStatus(t, "add policy", resp, body, 303)
	pols, err := f.App.Store.ListProcurementPolicies(context.Background(), f.A.Actor())
	if err != nil || len(pols) != 1 || pols[0].Labels[0].Market != "EU" || !pols[0].SBOMRequired || pols[0].NoKEV {
		t.Fatalf("stored policies = %+v, %v", pols, err)
	}
	b.get("/dashboard/ciso")
	for _, c := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"by product", url.Values{"policy_id": {pols[0].ID}, "product_id": {f.A.Product.ID}},
			[]string{"does not meet the policy", "label " + f.A.Scheme + " level 1 or higher in EU", "firmware 1.0 has no SBOM"}},
		{"by label", url.Values{"policy_id": {pols[0].ID}, "label_id": {f.A.LabelID}},
			[]string{"does not meet the policy", "holds " + f.A.Scheme + " 1"}},
	} {
		resp, body := b.post("/dashboard/ciso/check", c.form)
		wantStatus(t, c.name, resp, body, 200)
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: verdict lacks %q", c.name, w)
			}
		}
	}
	resp, body = b.post("/dashboard/ciso/check", url.Values{"policy_id": {pols[0].ID}, "product_id": {f.B.Product.ID}})
	wantStatus(t, "B's product", resp, body, 400)
	if !strings.Contains(body, "not found") {
		t.Errorf("B's product: %s", body)
	}
}

// TestUIDashboardHistory draws what the service says about history: the
// CISO's change since a snapshot eight days old, the executive's trends as
// an SVG chart, and the regulator's time to react and recognitions.
func TestUIDashboardHistory(t *testing.T) {
	f := newFixture(t)
	f.RegistryRecords(&f.A)
	f.setPassword(f.A.Owner, "correct horse battery")
	ctx := context.Background()
	a := f.A.Actor()
	day := iotsec.DateOf(time.Now())
	if err := f.App.Store.PutDashboardSnapshot(ctx, iotsec.DashboardSnapshot{OrgID: a.OrgID, Day: day.AddDays(-8), Source: "job",
		Figures: map[string]int{"devices": 0, "at-risk": 0, "ready:EU": 0}}); err != nil {
		t.Fatal(err)
	}
	c, err := f.App.Dashboard.CISO(ctx, a)
	if err != nil || c.SinceLastWeek == nil {
		t.Fatalf("CISO = %+v, %v", c.SinceLastWeek, err)
	}
	var devices dashboard.Delta
	for _, d := range c.SinceLastWeek.Deltas {
		if d.Key == "devices" {
			devices = d
		}
	}
	if devices.Now == 0 {
		t.Fatalf("the fixture has no device: %+v", devices)
	}
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/dashboard/ciso", []string{`id="since-last-week"`, "snapshot of " + day.AddDays(-8).String(),
			fmt.Sprintf(`<td class="num">0</td><td class="num">%d</td>`, devices.Now), fmt.Sprintf("<strong>&#43;%d</strong>", devices.Delta)}},
		{"/dashboard/executive", []string{`id="trends"`, `<svg class="dash-trend"`, `<polyline class="dt-line"`, day.AddDays(-8).String()}},
		{"/dashboard/regulator", []string{`id="kev-reaction"`, `id="recognition"`, `id="recognition-requests"`, "This organisation has sent no request."}},
	} {
		resp, body := b.get(c.path)
		wantStatus(t, c.path, resp, body, 200)
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", c.path, w)
			}
		}
	}
}

// TestUIRecognitionRequests walks a recognition request through the web
// UI: B (owner of jp-jc-star) asks on the registry page, A (owner of
// kr-cic) sees it on its regulator dashboard, cannot refuse without a
// reason, and agrees; B's dashboard then shows it agreed, and the
// agreement is on both organisations' kr-cic catalog pages.
func TestUIRecognitionRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.A.Org.ID, Scheme: "kr-cic", Role: iotsec.OperatorOwner}))
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.B.Org.ID, Scheme: "jp-jc-star", Role: iotsec.OperatorOwner}))
	f.setPassword(f.A.Owner, "correct horse battery")
	f.setPassword(f.B.Owner, "correct horse battery")
	a, b := f.browser(), f.browser()
	a.login("alice@a.example", "correct horse battery")
	b.login("bob@b.example", "correct horse battery")

	resp, body := b.get("/registry")
	wantStatus(t, "/registry", resp, body, 200)
	if !strings.Contains(body, `action="/registry/recognitions"`) {
		t.Fatalf("B's registry page has no recognition form:\n%s", body)
	}
	form := url.Values{"from_scheme": {"jp-jc-star"}, "from_level": {"2"}, "to_scheme": {"kr-cic"}, "to_level": {"basic"},
		"kind": {"deemed-equivalence"}, "rationale": {"JC-STAR level 2 covers KC basic"}}
	resp, body = b.post("/registry/recognitions", form)
	wantStatus(t, "POST /registry/recognitions", resp, body, 303)
	resp, body = b.get(resp.Header.Get("Location"))
	wantStatus(t, "the dashboard after the request", resp, body, 200)
	if !strings.Contains(body, "Recognition request sent") || !strings.Contains(body, "submitted") {
		t.Fatalf("B's dashboard after the request:\n%s", body)
	}
	rs, err := f.App.Registry.Recognitions(ctx, f.A.Actor())
	if err != nil || len(rs) != 1 {
		t.Fatalf("A's requests = %v, %v", rs, err)
	}
	id := rs[0].ID
	resp, body = a.get("/dashboard/regulator")
	wantStatus(t, "/dashboard/regulator", resp, body, 200)
	if !strings.Contains(body, "/registry/recognitions/"+id+"/agree") || !strings.Contains(body, "JC-STAR level 2 covers KC basic") {
		t.Fatalf("A's dashboard does not offer the pending request:\n%s", body)
	}
	resp, body = a.post("/registry/recognitions/"+id+"/refuse", url.Values{"reason": {" "}})
	wantStatus(t, "refuse without a reason", resp, body, 400)
	resp, body = a.post("/registry/recognitions/"+id+"/agree", url.Values{})
	wantStatus(t, "agree", resp, body, 303)
	resp, body = a.get(resp.Header.Get("Location"))
	wantStatus(t, "the dashboard after agreeing", resp, body, 200)
	if !strings.Contains(body, "Agreed: the recognition is in both") {
		t.Errorf("A's dashboard after agreeing:\n%s", body)
	}
	for who, br := range map[string]*browser{"A": a, "B": b} {
		_, body := br.get("/catalog/schemes/kr-cic")
		if !strings.Contains(body, "recognition-"+id) {
			t.Errorf("%s's kr-cic page does not list the agreement recognition-%s", who, id)
		}
	}
}
