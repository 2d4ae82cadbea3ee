package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testDashboardSnapshots pins the daily snapshots: one per organisation
// and day (the later replaces the earlier), listed oldest first from a
// day on, each organisation's own, checked on the way in.
func testDashboardSnapshots(t *testing.T, open Opener) {
	f := setup(t, open)
	day := iotsec.DateOf(Start)
	put := func(org string, d iotsec.Date, src string, figs map[string]int) {
		t.Helper()
		wantKind(t, "PutDashboardSnapshot", f.s.PutDashboardSnapshot(f.ctx, iotsec.DashboardSnapshot{OrgID: org, Day: d, Source: src, Figures: figs}), nil)
	}
	put(f.a.ID, day.AddDays(-14), "demo", map[string]int{"devices": 10, "ready:EU": 50})
	put(f.a.ID, day.AddDays(-7), "job", map[string]int{"devices": 12})
	put(f.a.ID, day, "start", map[string]int{"devices": 13})
	put(f.a.ID, day, "job", map[string]int{"devices": 14, "kev-devices": 2}) // replaces the start's
	put(f.b.ID, day, "job", map[string]int{"devices": 99})

	got, err := f.s.DashboardSnapshots(f.ctx, f.A, day.AddDays(-7))
	wantKind(t, "DashboardSnapshots", err, nil)
	type row struct {
		Day    string
		Source string
		Figs   map[string]int
	}
	var rows []row
	for _, s := range got {
		if s.OrgID != f.a.ID || s.TakenAt.IsZero() {
			t.Errorf("snapshot %+v: wrong organisation or no time", s)
		}
		rows = append(rows, row{s.Day.String(), s.Source, s.Figures})
	}
	want := []row{
		{day.AddDays(-7).String(), "job", map[string]int{"devices": 12}},
		{day.String(), "job", map[string]int{"devices": 14, "kev-devices": 2}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("DashboardSnapshots from a week ago (-want +got):\n%s", diff)
	}
	all, err := f.s.DashboardSnapshots(f.ctx, f.A, iotsec.Date{})
	if err != nil || len(all) != 3 || all[0].Figures["ready:EU"] != 50 {
		t.Errorf("DashboardSnapshots(all) = %+v, %v; want 3, oldest first", all, err)
	}
	if b, err := f.s.DashboardSnapshots(f.ctx, f.B, iotsec.Date{}); err != nil || len(b) != 1 || b[0].Figures["devices"] != 99 {
		t.Errorf("DashboardSnapshots(B) = %+v, %v; want B's one", b, err)
	}

	many := map[string]int{}
	for i := range iotsec.MaxSnapshotFigures + 1 {
		many[time.Duration(i).String()] = i
	}
	for name, s := range map[string]iotsec.DashboardSnapshot{
		"no org":        {Day: day},
		"no day":        {OrgID: f.a.ID},
		"empty key":     {OrgID: f.a.ID, Day: day, Figures: map[string]int{"": 1}},
		"spaced key":    {OrgID: f.a.ID, Day: day, Figures: map[string]int{" x": 1}},
		"too many keys": {OrgID: f.a.ID, Day: day, Figures: many},
	} {
		wantKind(t, "PutDashboardSnapshot("+name+")", f.s.PutDashboardSnapshot(f.ctx, s), iotsec.ErrInvalid)
	}
}

// testDashboardCounts pins the grouped reads against the lists they
// count: the audit log's events by action since a time, and the
// certificates' health.
func testDashboardCounts(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	f.clock.Set(Start.Add(time.Hour))
	since := Start.Add(time.Hour)
	f.product(t, f.A, "P-2")
	f.product(t, f.A, "P-3")
	d1 := f.provisioned(t, f.A, "SN-1", p.ID)
	d2 := f.provisioned(t, f.A, "SN-2", p.ID)
	f.product(t, f.B, "B-1")

	got, err := f.s.AuditCounts(f.ctx, f.A, since)
	wantKind(t, "AuditCounts", err, nil)
	want := map[string]int{}
	es, err := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{Limit: 1000})
	wantKind(t, "ListAudit", err, nil)
	for _, e := range es {
		if !e.Time.Before(since) {
			want[e.Action]++
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || got["product.create"] != 2 {
		t.Errorf("AuditCounts (-listed +counted):\n%s (product.create = %d, want 2)", diff, got["product.create"])
	}
	// Whoever may not read the audit log may not count it either.
	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}
	_, cerr := f.s.AuditCounts(f.ctx, viewer, since)
	_, lerr := f.s.ListAudit(f.ctx, viewer, iotsec.AuditFilter{})
	if iotsec.Kind(cerr) != iotsec.Kind(lerr) {
		t.Errorf("AuditCounts(viewer) = %v, ListAudit(viewer) = %v; want the same answer", cerr, lerr)
	}

	now := Start.Add(48 * time.Hour)
	ca := f.ca(t, f.A, "org-a")
	add := func(device, seed, key string, notAfter time.Time) iotsec.DeviceCert {
		c := cert(iotsec.CertLDevID, device, seed, key)
		c.CAID, c.NotAfter = ca.ID, notAfter
		return f.addCert(t, f.A, c)
	}
	add(d1.ID, "a", "shared", now.AddDate(1, 0, 0))    // active, shared with d2
	add(d2.ID, "b", "shared", now.AddDate(1, 0, 0))    // active, shared with d1
	add(d1.ID, "c", "own", now.AddDate(0, 0, 10))      // expiring
	add(d2.ID, "d", "own2", now.Add(-time.Hour))       // expired
	r := add(d2.ID, "e", "gone", now.AddDate(1, 0, 0)) // revoked below
	add(d1.ID, "f", "again", now.AddDate(1, 0, 0))     // same key twice on one device: not shared
	add(d1.ID, "g", "again", now.AddDate(1, 0, 0))     //
	if _, err := f.s.RevokeCertificate(f.ctx, f.A, r.ID, iotsec.ReasonKeyCompromise); err != nil {
		t.Fatalf("RevokeCertificate: %v", err)
	}
	h, err := f.s.CertificateHealth(f.ctx, f.A, now, now.AddDate(0, 0, 30))
	wantKind(t, "CertificateHealth", err, nil)
	if diff := cmp.Diff(iotsec.CertHealth{Active: 6, Expiring: 1, Expired: 1, Revoked: 1, Shared: 2}, h); diff != "" {
		t.Errorf("CertificateHealth (-want +got):\n%s", diff)
	}
	if hb, err := f.s.CertificateHealth(f.ctx, f.B, now, now.AddDate(0, 0, 30)); err != nil || hb != (iotsec.CertHealth{}) {
		t.Errorf("CertificateHealth(B) = %+v, %v; want nothing of A's", hb, err)
	}
}

// testAuthorityEvents pins the grouped read of a scheme owner's history:
// the moves of the records it grants (and its delegate's), by status,
// oldest first; the maker and a bystander see none of them.
func testAuthorityEvents(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	r.move(t, r.judge, c.ID, iotsec.StatusCertified)
	r.move(t, r.judge, c.ID, iotsec.StatusUnderReview, "CVE-2024-0001 in busybox 1.36.1 is known to be exploited (CISA KEV)")
	r.move(t, r.L, c.ID, iotsec.StatusCertified)
	r.move(t, r.judge, c.ID, iotsec.StatusUnderReview, "CVE-2024-0002 in openssl is known to be exploited (CISA KEV)")

	hist, err := r.s.CertificationHistory(r.ctx, r.B, c.ID)
	wantKind(t, "CertificationHistory", err, nil)
	var want []iotsec.CertificationEvent
	for _, ev := range hist {
		if ev.To == iotsec.StatusUnderReview {
			want = append(want, ev)
		}
	}
	for _, who := range []iotsec.Actor{r.B, r.L} {
		got, err := r.s.AuthorityEvents(r.ctx, who, iotsec.CertEventFilter{To: iotsec.StatusUnderReview})
		wantKind(t, "AuthorityEvents", err, nil)
		if diff := cmp.Diff(want, got); diff != "" || len(got) != 2 {
			t.Errorf("AuthorityEvents(%s, under review) (-history +grouped):\n%s", who.Label, diff)
		}
	}
	all, err := r.s.AuthorityEvents(r.ctx, r.B, iotsec.CertEventFilter{})
	if err != nil || len(all) != len(hist) {
		t.Errorf("AuthorityEvents(every move) = %d, %v; history has %d", len(all), err, len(hist))
	}
	later, err := r.s.AuthorityEvents(r.ctx, r.B, iotsec.CertEventFilter{Since: want[1].At})
	if err != nil || len(later) != 1 || later[0].ID != want[1].ID {
		t.Errorf("AuthorityEvents(since the second review) = %+v, %v", later, err)
	}
	for _, who := range []iotsec.Actor{r.A, r.C} {
		if got, err := r.s.AuthorityEvents(r.ctx, who, iotsec.CertEventFilter{}); err != nil || len(got) != 0 {
			t.Errorf("AuthorityEvents(%s) = %d events, %v; want none", who.Label, len(got), err)
		}
	}
}
