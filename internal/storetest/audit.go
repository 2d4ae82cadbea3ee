package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func testAudit(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "A-1")
	p.Name = "Renamed"
	if err := f.s.UpdateProduct(f.ctx, f.A, &p); err != nil {
		t.Fatal(err)
	}
	f.device(t, f.A, "SN", p.ID, "")
	login := iotsec.AuditEvent{OrgID: f.a.ID, Actor: "user:x", Action: "session.login", Details: `{"ip":"127.0.0.1"}`}
	if err := f.s.Audit(f.ctx, &login); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Audit(f.ctx, &iotsec.AuditEvent{}); iotsec.Kind(err) != iotsec.ErrInvalid {
		t.Errorf("Audit(no action) = %v, want invalid", err)
	}

	events, err := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{})
	wantKind(t, "ListAudit", err, nil)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	want := []string{"session.login", "device.create", "product.update", "product.create", "org.create"}
	if len(actions) != len(want) {
		t.Fatalf("ListAudit actions = %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("ListAudit actions = %v, want %v", actions, want)
		}
	}
	if events[2].Details != `{"name":{"from":"Camera A-1","to":"Renamed"}}` {
		t.Errorf("product.update details = %s", events[2].Details)
	}
	if events[2].Actor != f.A.Name() {
		t.Errorf("product.update actor = %q, want %q", events[2].Actor, f.A.Name())
	}
	page, _ := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{Before: events[1].Seq, Limit: 2})
	if len(page) != 2 || page[0].Seq != events[2].Seq {
		t.Errorf("ListAudit(before %d, limit 2) = %+v", events[1].Seq, page)
	}

	// The whole chain, across organisations, verifies.
	var v iotsec.ChainVerifier
	var after int64
	for {
		evs, err := f.s.AuditEvents(f.ctx, after, 3)
		wantKind(t, "AuditEvents", err, nil)
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if err := v.Next(e); err != nil {
				t.Fatalf("chain: %v", err)
			}
			if e.Time.Before(Start) || e.Time.After(Start.Add(time.Hour)) {
				t.Errorf("event %d time %v is not the store clock's", e.Seq, e.Time)
			}
		}
		after = evs[len(evs)-1].Seq
	}
	// 2 users, 2 orgs, product create+update, device, login.
	if v.Count() != 8 {
		t.Errorf("chain has %d events, want 8", v.Count())
	}
	// A tampered event breaks the chain at that event.
	evs, _ := f.s.AuditEvents(f.ctx, 0, 100)
	var v2 iotsec.ChainVerifier
	evs[4].Target = "prd_other"
	var brk *iotsec.ChainBreak
	for _, e := range evs {
		if err := v2.Next(e); err != nil {
			if !errors.As(err, &brk) {
				t.Fatalf("break is %T", err)
			}
			break
		}
	}
	if brk == nil || brk.Seq != evs[4].Seq {
		t.Errorf("tampered event %d: break = %+v", evs[4].Seq, brk)
	}
}
