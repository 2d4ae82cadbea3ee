package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestDashboardFigures checks each dashboard's figures against the answers
// of the services and the store they summarise, on the demo: no figure is
// a second computation that could drift from its source.
func TestDashboardFigures(t *testing.T) {
	d := apptest.NewDemo(t)
	a, ctx := d.App, context.Background()
	orgs, err := a.Store.ListOrgs(ctx)
	apptest.Must(t, err)
	var maker, authority iotsec.Actor
	for _, o := range orgs {
		switch o.Name {
		case app.DemoOrg:
			maker = iotsec.System(o.ID, "t")
		case app.DemoAuthority:
			authority = iotsec.System(o.ID, "t")
		}
	}
	day := iotsec.DateOf(time.Now())
	figure := func(fs []dashboard.Figure, key string) int {
		t.Helper()
		i := slices.IndexFunc(fs, func(f dashboard.Figure) bool { return f.Key == key })
		if i < 0 {
			t.Fatalf("no figure %q in %+v", key, fs)
		}
		return fs[i].Value
	}

	t.Run("ciso", func(t *testing.T) {
		c, err := a.Dashboard.CISO(ctx, maker)
		apptest.Must(t, err)
		ov, err := a.Store.Overview(ctx, maker, day)
		apptest.Must(t, err)
		sup, err := a.Supply.Overview(ctx, maker)
		apptest.Must(t, err)
		counts, err := a.Store.DeviceCounts(ctx, maker)
		apptest.Must(t, err)
		kevDevices := 0
		var kevIDs []string
		for _, k := range sup.KEV {
			kevDevices += counts[k.Firmware.ID]
			kevIDs = append(kevIDs, k.Firmware.ID)
		}
		var gotIDs []string
		for _, k := range c.KEV {
			gotIDs = append(gotIDs, k.FirmwareID)
		}
		got := map[string]int{"devices": figure(c.Fleet, "devices"), "kev-versions": figure(c.Fleet, "kev-versions"),
			"kev-devices": figure(c.Fleet, "kev-devices"), "unsupported-versions": figure(c.Fleet, "unsupported-versions"),
			"unsupported-devices": figure(c.Fleet, "unsupported-devices")}
		want := map[string]int{"devices": ov.Devices, "kev-versions": len(sup.KEV), "kev-devices": kevDevices,
			"unsupported-versions": ov.UnsupportedFirmware, "unsupported-devices": ov.DevicesUnsupported}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CISO fleet figures (-services +dashboard):\n%s", diff)
		}
		if diff := cmp.Diff(kevIDs, gotIDs); diff != "" {
			t.Errorf("KEV versions (-supply +dashboard):\n%s", diff)
		}
		if len(sup.KEV) == 0 || ov.Devices == 0 {
			t.Fatalf("the demo should have devices and a known exploited match: %+v, %d KEV versions", ov, len(sup.KEV))
		}
		recs, err := a.Registry.List(ctx, maker, iotsec.CertificationFilter{})
		apptest.Must(t, err)
		for _, st := range []iotsec.RecordStatus{iotsec.StatusCertified, iotsec.StatusUnderReview} {
			n := 0
			for _, r := range recs {
				if r.Status == st {
					n++
				}
			}
			if got := figure(c.Labels, string(st)); got != n {
				t.Errorf("labels %s = %d, registry lists %d", st, got, n)
			}
		}
		ic, err := a.Identity.Counts(ctx, maker)
		apptest.Must(t, err)
		active, revoked := 0, 0
		for k, n := range ic.Certificates {
			switch {
			case len(k) > 7 && k[len(k)-7:] == "-active":
				active += n
			case len(k) > 8 && k[len(k)-8:] == "-revoked":
				revoked += n
			}
		}
		if c.Identity.Active != active || c.Identity.Revoked != revoked || active == 0 {
			t.Errorf("identity health = %+v, identity service counts %v", c.Identity, ic.Certificates)
		}
		if c.ChangesTotal == 0 {
			t.Errorf("the demo was seeded just now, yet no change in the last week: %+v", c.Changes)
		}
		// The demo's history: a snapshot a day for DemoHistoryWeeks
		// weeks, marked as the demo's; last week's is the one compared.
		snaps, err := a.Store.DashboardSnapshots(ctx, maker, iotsec.Date{})
		apptest.Must(t, err)
		if len(snaps) != 7*app.DemoHistoryWeeks || snaps[0].Source != "demo" {
			t.Fatalf("demo snapshots = %d (first %+v), want %d of source demo", len(snaps), snaps[0], 7*app.DemoHistoryWeeks)
		}
		w := c.SinceLastWeek
		if w == nil || w.Source != "demo" || w.Since != day.AddDays(-7) {
			t.Fatalf("since last week = %+v, want the demo's snapshot of %s", w, day.AddDays(-7))
		}
		then := snaps[len(snaps)-7].Figures
		moved := map[string]int{}
		for _, x := range w.Deltas {
			if x.Then != then[x.Key] || x.Delta != x.Now-x.Then {
				t.Errorf("delta %+v, snapshot has %d", x, then[x.Key])
			}
			if x.Delta != 0 {
				moved[x.Key] = x.Delta
			}
		}
		// The camera's 2.1.0 left support three days ago: a version and
		// its devices more out of support than last week, nothing else.
		if moved["unsupported-versions"] != 1 || moved["unsupported-devices"] == 0 || len(moved) != 2 {
			t.Errorf("since last week, moved = %v; want the version whose support ended and its devices", moved)
		}
	})

	// The procurement check's KEV demand is the supply chain's answer.
	t.Run("procurement-kev", func(t *testing.T) {
		sup, err := a.Supply.Overview(ctx, maker)
		apptest.Must(t, err)
		pol := iotsec.ProcurementPolicy{Name: "no KEV", NoKEV: true}
		apptest.Must(t, a.Store.CreateProcurementPolicy(ctx, maker, &pol))
		v, err := a.Dashboard.Check(ctx, maker, pol.ID, sup.KEV[0].Product.ID, "")
		apptest.Must(t, err)
		if v.Pass || len(v.Reasons) != 1 || v.Reasons[0].Met {
			t.Errorf("product with a KEV match = %+v, want refused", v)
		}
	})

	t.Run("executive", func(t *testing.T) {
		e, err := a.Dashboard.Executive(ctx, maker)
		apptest.Must(t, err)
		cras, err := a.Supply.CRAReports(ctx, maker)
		apptest.Must(t, err)
		open := 0
		for _, c := range cras {
			if c.Next() != nil {
				open++
			}
		}
		if len(e.CRA) != open || open == 0 {
			t.Errorf("open CRA reports = %d, supply has %d open", len(e.CRA), open)
		}
		ps, err := a.Store.ListProducts(ctx, maker)
		apptest.Must(t, err)
		if figure(e.Figures, "products") != len(ps) {
			t.Errorf("products = %d, store lists %d", figure(e.Figures, "products"), len(ps))
		}
		// The demo's weeks of history and today make each trend.
		for _, tr := range e.Trends {
			if len(tr.Points) != app.DemoHistoryWeeks+1 || tr.Points[len(tr.Points)-1].Source != "now" || tr.Points[0].Source != "demo" {
				t.Errorf("trend %s = %+v, want %d weekly points ending now", tr.Key, tr.Points, app.DemoHistoryWeeks+1)
			}
		}
		if len(e.Trends) < 3 {
			t.Errorf("trends = %+v, want at risk, open CRA and a market's readiness", e.Trends)
		}
		// Every KEV-matched product is at risk.
		sup, err := a.Supply.Overview(ctx, maker)
		apptest.Must(t, err)
		for _, k := range sup.KEV {
			if !slices.ContainsFunc(e.AtRisk, func(r dashboard.ProductRisk) bool { return r.ID == k.Product.ID }) {
				t.Errorf("product %s has a KEV match but is not at risk: %+v", k.Product.Name, e.AtRisk)
			}
		}
		// The deadlines come from the catalog: the EU's CRA dates.
		if slices.ContainsFunc(ps, func(p iotsec.Product) bool { return slices.Contains(p.Markets, "EU") }) {
			var eu []string
			for _, m := range e.Markets {
				if m.Code == "EU" {
					for _, d := range m.Deadlines {
						if d.Scheme == "eu-cra" {
							eu = append(eu, d.Date.String())
						}
					}
				}
			}
			for _, want := range []string{"2026-09-11", "2027-12-11"} {
				if !slices.Contains(eu, want) {
					t.Errorf("EU CRA deadlines = %v, want %s from the catalog", eu, want)
				}
			}
		}
	})

	t.Run("regulator", func(t *testing.T) {
		r, err := a.Dashboard.Regulator(ctx, authority)
		apptest.Must(t, err)
		under, err := a.Registry.List(ctx, authority, iotsec.CertificationFilter{AsAuthority: true, Status: iotsec.StatusUnderReview})
		apptest.Must(t, err)
		if got := figure(r.ByStatus, string(iotsec.StatusUnderReview)); got != len(under) || len(under) == 0 {
			t.Errorf("under review = %d, registry lists %d", got, len(under))
		}
		reviews := 0
		for _, rv := range r.Reviews {
			if rv.Status == iotsec.StatusUnderReview {
				reviews++
				if len(rv.Reasons) == 0 {
					t.Errorf("review %s without a reason", rv.ID)
				}
			}
		}
		if reviews != len(under) {
			t.Errorf("reviews listed = %d, registry lists %d", reviews, len(under))
		}
		all, err := a.Registry.List(ctx, authority, iotsec.CertificationFilter{AsAuthority: true})
		apptest.Must(t, err)
		n := 0
		for _, l := range r.ByLevel {
			n += l.Count
		}
		if n != len(all) {
			t.Errorf("records by level sum to %d, registry lists %d", n, len(all))
		}
		if r.KEVReviewDays < 0 {
			t.Errorf("the demo's review is for a known exploited vulnerability, yet no reaction time: %+v", r.Reviews)
		}
		// Each review's reaction is from the supply chain's KEV date of
		// its vulnerability to the registry's history event.
		for _, rv := range under {
			hist, err := a.Registry.History(ctx, authority, rv.ID)
			apptest.Must(t, err)
			var at time.Time
			for _, ev := range hist {
				if ev.To == iotsec.StatusUnderReview {
					at = ev.At
				}
			}
			vid := strings.Fields(rv.Reasons[0])[0]
			vv, err := a.Supply.Vulnerability(ctx, maker, vid)
			apptest.Must(t, err)
			if vv.KEV == nil {
				t.Fatalf("%s has no KEV entry in the supply chain", vid)
			}
			want := int(at.Sub(vv.KEV.DateAdded).Hours() / 24)
			i := slices.IndexFunc(r.Reviews, func(x dashboard.Review) bool { return x.ID == rv.ID })
			if got := r.Reviews[i]; got.ReactionDays != want || !got.Since.Equal(at) {
				t.Errorf("review %s: reaction %d days since %s, want %d since %s (KEV %s)", rv.ID, got.ReactionDays, got.Since, want, at, vv.KEV.DateAdded)
			}
		}
		if len(r.KEVReaction) != 1 || r.KEVReaction[0].Scheme != "sg-cls" || r.KEVReaction[0].MedianDays != r.KEVReviewDays || r.KEVReaction[0].Open != len(under) {
			t.Errorf("KEV reaction per scheme = %+v", r.KEVReaction)
		}
		if len(r.Recognitions) == 0 {
			t.Errorf("the CSA owns sg-cls, yet no recognition agreement: %+v", r.Schemes)
		}
	})

	t.Run("policy", func(t *testing.T) {
		p, err := a.Dashboard.Policy(ctx, maker, "DE")
		apptest.Must(t, err)
		rows, err := a.Policy.Countries(ctx, time.Now())
		apptest.Must(t, err)
		if len(p.Countries) != len(rows) || len(rows) == 0 {
			t.Fatalf("countries = %d, policy service has %d", len(p.Countries), len(rows))
		}
		for i, row := range rows {
			if p.Countries[i].Code != row.Code || p.Countries[i].Entries != row.Entries {
				t.Errorf("country %d = %+v, policy says %+v", i, p.Countries[i], row)
			}
		}
		if _, err := a.Dashboard.Policy(ctx, maker, "XX"); iotsec.Kind(err) != iotsec.ErrInvalid {
			t.Errorf("unknown market: err = %v, want invalid", err)
		}
	})

	// The API answers the same struct the service computed.
	t.Run("api", func(t *testing.T) {
		secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
		apptest.Must(t, a.Store.CreateToken(ctx, maker, &iotsec.Token{Name: "dashboards", Role: iotsec.RoleOwner, Hash: hash}))
		for _, role := range []string{"ciso", "executive", "policy"} { // the maker's token; the regulator's is the CSA's
			req, _ := http.NewRequest("GET", d.Srv.URL+"/api/v1/dashboards/"+role, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			apptest.Must(t, err)
			var got any
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d (%v)", role, resp.StatusCode, err)
			}
			v, err := a.Dashboard.Any(ctx, maker, role, "")
			apptest.Must(t, err)
			var want any
			apptest.Must(t, json.Unmarshal([]byte(apptest.JSONString(v)), &want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("API %s differs from the service (-service +API):\n%s", role, diff)
			}
		}
	})
}
