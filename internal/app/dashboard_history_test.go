package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestDashboardHistory moves a test clock over a week of a maker's life on
// SQLite and PostgreSQL: a snapshot is stored, then devices are added, a
// firmware version's support ends and a KEV import puts its label under
// review. The CISO's "since last week" says each figure now, then (the
// stored snapshot) and their difference; the executive's trends end with
// the live figures after the stored ones; the regulator's time to react
// runs from the KEV entry's date to the review in the record's history.
func TestDashboardHistory(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := apptest.NewClock(t0)
	for name, st := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			clock.Set(t0)
			ctx := context.Background()
			cfg := config.Default()
			cfg.Data, cfg.CAKey = t.TempDir(), config.Secret(testKEK)
			sv, err := app.NewServices(st, cfg, quietLog(), app.Options{Now: clock.Now})
			must(t, err)
			d := sv.Dashboard

			maker, csa := iotsec.Organisation{Name: "Acme Cameras", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"}
			must(t, st.CreateOrg(ctx, "t", &maker, ""))
			must(t, st.CreateOrg(ctx, "t", &csa, ""))
			a, judge := iotsec.System(maker.ID, "t"), iotsec.System(csa.ID, "t")
			must(t, sv.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
			p := iotsec.Product{Name: "Camera", Model: "CAM-1", Class: "camera", Markets: []string{"EU", "SG"}, SupportMonths: 24}
			must(t, st.CreateProduct(ctx, a, &p))
			// Support ends three days after the first snapshot.
			fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.DateOf(t0).AddDays(3)}
			must(t, st.CreateFirmware(ctx, a, &fw))
			devices := func(from, n int) {
				var ds []iotsec.Device
				for i := from; i < from+n; i++ {
					ds = append(ds, iotsec.Device{UID: "SN-" + string(rune('A'+i)), ProductID: p.ID, FirmwareID: fw.ID, State: iotsec.StateOperational})
				}
				_, err := st.UpsertDevices(ctx, a, ds, nil)
				must(t, err)
			}
			devices(0, 10)
			c, err := sv.Registry.Apply(ctx, a, fw.ID, "sg-cls", "2", "")
			must(t, err)
			_, err = sv.Registry.Grant(ctx, judge, c.ID, registry.GrantInput{Reason: "tested"})
			must(t, err)

			// The first snapshot is what the dashboards said then.
			snap, err := d.Snapshot(ctx, a, "job")
			must(t, err)
			want, err := d.SnapshotFigures(ctx, a)
			must(t, err)
			stored, err := st.DashboardSnapshots(ctx, a, iotsec.Date{})
			must(t, err)
			if len(stored) != 1 || stored[0].Day != iotsec.DateOf(t0) || stored[0].Source != "job" {
				t.Fatalf("stored snapshots = %+v", stored)
			}
			if diff := cmp.Diff(want, stored[0].Figures); diff != "" || snap.Figures["devices"] != 10 || snap.Figures["labels:certified"] != 1 {
				t.Errorf("stored snapshot (-dashboards +stored):\n%s\n%v", diff, snap.Figures)
			}
			// Six days on there is no snapshot a week old yet.
			clock.Add(6 * 24 * time.Hour)
			if c, err := d.CISO(ctx, a); err != nil || c.SinceLastWeek != nil {
				t.Errorf("six days on: since last week = %+v, %v; want none", c.SinceLastWeek, err)
			}

			// A week and a day on: five more devices, support ended, a KEV
			// entry matched and the label under review.
			clock.Add(2 * 24 * time.Hour)
			devices(10, 5)
			if _, err := sv.Supply.Import(ctx, "t", filepath.Join("..", "vuln", "testdata", "labelled", "nvd", "CVE-2023-28450.json"), ""); err != nil {
				t.Fatal(err)
			}
			if _, _, err := sv.Supply.ImportSBOM(ctx, a, fw.ID, "fw.cdx.json", []byte(apptest.SBOM)); err != nil {
				t.Fatal(err)
			}
			kev := filepath.Join(t.TempDir(), "kev.json")
			must(t, os.WriteFile(kev, []byte(kevFile), 0o600))
			if _, err := sv.Supply.Import(ctx, "t", kev, ""); err != nil {
				t.Fatal(err)
			}
			if sum, err := sv.Supply.RematchAll(ctx); err != nil || sum.Failed != 0 {
				t.Fatalf("re-match: %+v, %v", sum, err)
			}

			c2, err := d.CISO(ctx, a)
			must(t, err)
			w := c2.SinceLastWeek
			if w == nil || w.Since != iotsec.DateOf(t0) || w.Source != "job" {
				t.Fatalf("since last week = %+v, want the snapshot of %s", w, iotsec.DateOf(t0))
			}
			now := map[string]int{}
			for _, f := range c2.Fleet {
				now[f.Key] = f.Value
			}
			for _, f := range c2.IdentityFigs {
				now["identity:"+f.Key] = f.Value
			}
			for _, f := range c2.Labels {
				now["labels:"+f.Key] = f.Value
			}
			got := map[string][3]int{}
			for _, x := range w.Deltas {
				if x.Now != now[x.Key] || x.Then != snap.Figures[x.Key] || x.Delta != x.Now-x.Then || x.Href == "" {
					t.Errorf("delta %+v: now %d on the dashboard, then %d in the snapshot", x, now[x.Key], snap.Figures[x.Key])
				}
				got[x.Key] = [3]int{x.Then, x.Now, x.Delta}
			}
			for key, wantD := range map[string][3]int{
				"devices":              {10, 15, 5},
				"unsupported-devices":  {0, 15, 15},
				"unsupported-versions": {0, 1, 1},
				"kev-versions":         {0, 1, 1},
				"kev-devices":          {0, 15, 15},
				"labels:certified":     {1, 0, -1},
				"labels:under-review":  {0, 1, 1},
				"identity:active":      {0, 0, 0},
			} {
				if got[key] != wantD {
					t.Errorf("since last week %s = then/now/delta %v, want %v", key, got[key], wantD)
				}
			}
			if len(w.Deltas) != len(now) {
				t.Errorf("%d deltas for %d figures", len(w.Deltas), len(now))
			}

			// The executive's trends: the stored week, then today.
			e, err := d.Executive(ctx, a)
			must(t, err)
			efig := map[string]int{}
			for _, f := range e.Figures {
				efig[f.Key] = f.Value
			}
			for _, m := range e.Markets {
				efig["ready:"+m.Code] = m.Ready
			}
			keys := []string{}
			for _, tr := range e.Trends {
				keys = append(keys, tr.Key)
				wantPts := []dashboard.Point{{Day: iotsec.DateOf(t0), Value: snap.Figures[tr.Key], Source: "job"}, {Day: e.Day, Value: efig[tr.Key], Source: "now"}}
				if diff := cmp.Diff(wantPts, tr.Points); diff != "" {
					t.Errorf("trend %s (-want +got):\n%s", tr.Key, diff)
				}
			}
			if diff := cmp.Diff([]string{"at-risk", "open-cra", "ready:EU", "ready:SG"}, keys); diff != "" {
				t.Errorf("trend keys (-want +got):\n%s", diff)
			}
			if efig["at-risk"] != 1 || snap.Figures["at-risk"] != 0 {
				t.Errorf("at risk then %d, now %d; want 0 then 1", snap.Figures["at-risk"], efig["at-risk"])
			}

			// The regulator: from the KEV entry (2025-06-02) to the review
			// in the record's history.
			clock.Add(3 * 24 * time.Hour)
			r, err := d.Regulator(ctx, judge)
			must(t, err)
			hist, err := sv.Registry.History(ctx, judge, c.ID)
			must(t, err)
			var review iotsec.CertificationEvent
			for _, ev := range hist {
				if ev.To == iotsec.StatusUnderReview {
					review = ev
				}
			}
			kevDay := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
			days := int(review.At.Sub(kevDay).Hours() / 24)
			if days < 270 {
				t.Fatalf("review at %s, %d days after the KEV entry", review.At, days)
			}
			wantR := []dashboard.KEVReaction{{Scheme: "sg-cls", Reviews: 1, MedianDays: days, Open: 1, OpenMedianAgeDays: 3}}
			if diff := cmp.Diff(wantR, r.KEVReaction); diff != "" || r.KEVReviewDays != days {
				t.Errorf("KEV reaction (-want +got):\n%s; median %d, want %d", diff, r.KEVReviewDays, days)
			}
			if len(r.Reviews) != 1 || !r.Reviews[0].Since.Equal(review.At) || r.Reviews[0].KEVAdded == nil ||
				*r.Reviews[0].KEVAdded != iotsec.DateOf(kevDay) || r.Reviews[0].ReactionDays != days || r.Reviews[0].DaysOpen != 3 {
				t.Errorf("reviews = %+v, want the one since %s, KEV added %s", r.Reviews, review.At, kevDay)
			}
			// Recognitions: the catalog's agreements of sg-cls, as they are.
			if diff := cmp.Diff([]string{"sg-cls"}, r.Schemes); diff != "" {
				t.Errorf("schemes (-want +got):\n%s", diff)
			}
			v, err := sv.Catalog.For(ctx, judge)
			must(t, err)
			var wantAg []string
			for _, ag := range v.Agreements() {
				for _, e := range ag.Edges {
					if e.From.Scheme == "sg-cls" || e.To.Scheme == "sg-cls" {
						wantAg = append(wantAg, ag.ID)
						break
					}
				}
			}
			var gotAg []string
			for _, rc := range r.Recognitions {
				gotAg = append(gotAg, rc.Agreement)
				if rc.Scheme != "sg-cls" || len(rc.Counterparts) == 0 || slices.Contains(rc.Counterparts, "sg-cls") || rc.SourceURL == "" {
					t.Errorf("recognition %+v", rc)
				}
			}
			if diff := cmp.Diff(wantAg, gotAg); diff != "" || len(wantAg) == 0 {
				t.Errorf("recognitions (-catalog +dashboard):\n%s", diff)
			}
			if m, err := d.Regulator(ctx, a); err != nil || len(m.KEVReaction) != 0 || len(m.Recognitions) != 0 {
				t.Errorf("the maker's regulator dashboard = %+v, %v; want nothing of the CSA's", m, err)
			}

			// The daily job stores one snapshot per organisation and day.
			n, err := d.SnapshotAll(ctx, "job", false)
			if err != nil || n != 2 {
				t.Errorf("SnapshotAll = %d, %v; want both organisations", n, err)
			}
			if n, err := d.SnapshotAll(ctx, "job", false); err != nil || n != 0 {
				t.Errorf("SnapshotAll again the same day = %d, %v; want none", n, err)
			}
		})
	}
}
