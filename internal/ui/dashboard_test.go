package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

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
		{"/dashboard/regulator", []string{`id="kev-reaction"`, `id="recognition"`, "iotsec keeps no recognition requests"}},
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
