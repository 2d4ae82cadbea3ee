package storetest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testDeliveries: a batch of notifications is stored with one delivery per
// channel and a queued job for each, in one transaction; a delivery's
// attempts are recorded; all of it is the organisation's own.
func testDeliveries(t *testing.T, open Opener) {
	f := setup(t, open)
	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}
	nobody := iotsec.Actor{OrgID: f.a.ID, Role: "nobody"}
	batch := func() []iotsec.Notification {
		return []iotsec.Notification{{Kind: "newly-affected", Title: "one"}, {Kind: "cra-draft", Title: "two"}}
	}

	// A bad channel stores nothing: neither notifications nor jobs.
	err := f.s.AddNotifications(f.ctx, f.A, batch(), []iotsec.Delivery{{Channel: "pigeon", Target: "loft"}})
	wantKind(t, "AddNotifications with an unknown channel", err, iotsec.ErrInvalid)
	if ns, _ := f.s.ListNotifications(f.ctx, f.A, false, 0); len(ns) != 0 {
		t.Errorf("a refused batch left %d notifications", len(ns))
	}
	wantKind(t, "AddNotifications as nobody", f.s.AddNotifications(f.ctx, nobody, batch(), nil), iotsec.ErrForbidden)

	ns := batch()
	ds := []iotsec.Delivery{{Channel: iotsec.ChannelWebhook, Target: "https://hooks.a.example/x"}, {Channel: iotsec.ChannelEmail, Target: "psirt@a.example"}}
	wantKind(t, "AddNotifications with deliveries", f.s.AddNotifications(f.ctx, f.A, ns, ds), nil)
	ids := []string{ns[0].ID, ns[1].ID}
	for i, d := range ds {
		if d.ID == "" || d.JobID == "" || d.OrgID != f.a.ID || d.State != iotsec.DeliveryQueued || d.CreatedAt.IsZero() || !cmp.Equal(d.Notifications, ids) {
			t.Errorf("delivery %d after AddNotifications = %+v", i, d)
		}
		j, err := f.s.GetJob(f.ctx, viewer, d.JobID)
		wantKind(t, "GetJob of a delivery", err, nil)
		if j.Kind != iotsec.JobDeliver || j.State != iotsec.JobQueued || j.Actor != f.A {
			t.Errorf("delivery %d job = %+v", i, j)
		}
	}
	// A batch without channels queues nothing more.
	wantKind(t, "AddNotifications without deliveries", f.s.AddNotifications(f.ctx, f.A, batch(), nil), nil)

	got, err := f.s.ListDeliveries(f.ctx, viewer, 0)
	wantKind(t, "ListDeliveries", err, nil)
	if diff := cmp.Diff([]iotsec.Delivery{ds[1], ds[0]}, got); diff != "" {
		t.Errorf("ListDeliveries, want newest first (-want +got):\n%s", diff)
	}
	_, err = f.s.ListDeliveries(f.ctx, nobody, 0)
	wantKind(t, "ListDeliveries as nobody", err, iotsec.ErrForbidden)
	if got, _ := f.s.ListDeliveries(f.ctx, f.B, 0); len(got) != 0 {
		t.Errorf("B sees %d of A's deliveries", len(got))
	}

	d, carried, err := f.s.JobDelivery(f.ctx, f.A, ds[0].JobID)
	wantKind(t, "JobDelivery", err, nil)
	if diff := cmp.Diff(ds[0], d); diff != "" {
		t.Errorf("JobDelivery (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ns, carried); diff != "" {
		t.Errorf("JobDelivery notifications (-want +got):\n%s", diff)
	}
	_, _, err = f.s.JobDelivery(f.ctx, f.B, ds[0].JobID)
	wantKind(t, "JobDelivery of A's job as B", err, iotsec.ErrNotFound)
	_, _, err = f.s.JobDelivery(f.ctx, f.A, "job_none")
	wantKind(t, "JobDelivery of no job", err, iotsec.ErrNotFound)

	// Attempts: retrying with its reason and next time, then failed.
	next := Start.Add(time.Hour)
	tests := []struct {
		name   string
		change func(d *iotsec.Delivery)
	}{
		{"retrying", func(d *iotsec.Delivery) {
			d.State, d.Attempts, d.NextAttemptAt, d.LastError, d.Target = iotsec.DeliveryRetrying, 1, next, "connection refused", "https://hooks.a.example/y"
		}},
		{"failed", func(d *iotsec.Delivery) {
			d.State, d.Attempts, d.NextAttemptAt, d.LastError = iotsec.DeliveryFailed, 2, time.Time{}, "webhook answered 500 Internal Server Error"
		}},
		{"sent", func(d *iotsec.Delivery) {
			d.State, d.Attempts, d.LastError, d.SentAt = iotsec.DeliverySent, 3, "", Start.Add(2*time.Hour)
		}},
	}
	for _, tt := range tests {
		tt.change(&d)
		wantKind(t, "UpdateDelivery "+tt.name, f.s.UpdateDelivery(f.ctx, f.A, &d), nil)
		back, _, err := f.s.JobDelivery(f.ctx, viewer, d.JobID)
		wantKind(t, "JobDelivery after "+tt.name, err, nil)
		if diff := cmp.Diff(d, back); diff != "" {
			t.Errorf("delivery after %s (-want +got):\n%s", tt.name, diff)
		}
	}

	long := d
	long.State, long.LastError = iotsec.DeliveryRetrying, strings.Repeat("é", 2000)
	wantKind(t, "UpdateDelivery with a long reason", f.s.UpdateDelivery(f.ctx, f.A, &long), nil)
	back, _, _ := f.s.JobDelivery(f.ctx, f.A, d.JobID)
	if len(back.LastError) > 1000 || !utf8.ValidString(back.LastError) || !strings.HasPrefix(back.LastError, "éé") {
		t.Errorf("a long reason was kept as %d bytes (valid UTF-8: %v)", len(back.LastError), utf8.ValidString(back.LastError))
	}
	bad := d
	bad.State = "lost"
	wantKind(t, "UpdateDelivery to a bad state", f.s.UpdateDelivery(f.ctx, f.A, &bad), iotsec.ErrInvalid)
	other := d
	wantKind(t, "UpdateDelivery of A's as B", f.s.UpdateDelivery(f.ctx, f.B, &other), iotsec.ErrNotFound)
	wantKind(t, "UpdateDelivery as nobody", f.s.UpdateDelivery(f.ctx, nobody, &other), iotsec.ErrForbidden)
}
