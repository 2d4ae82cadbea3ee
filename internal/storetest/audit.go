package storetest

import (
	"errors"
	"fmt"
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

// testOrgAuditChains: each organisation's events are numbered 1..n without
// gaps however they interleave with others', chain alone, and end at
// AuditHead.
func testOrgAuditChains(t *testing.T, open Opener) {
	f := setup(t, open)
	for i := range 3 {
		f.product(t, f.A, fmt.Sprintf("A-%d", i))
		f.product(t, f.B, fmt.Sprintf("B-%d", i))
	}
	for _, org := range []string{f.a.ID, f.b.ID} {
		evs, err := f.s.OrgAuditEvents(f.ctx, org, 0, 100)
		wantKind(t, "OrgAuditEvents", err, nil)
		if len(evs) != 4 { // org.create and three products
			t.Fatalf("%s: %d events, want 4", org, len(evs))
		}
		var v iotsec.ChainVerifier
		for i, e := range evs {
			if e.OrgSeq != int64(i+1) || e.OrgID != org {
				t.Errorf("%s: event %d: org %s org_seq %d", org, i, e.OrgID, e.OrgSeq)
			}
			if err := v.Next(e.OrgLink()); err != nil {
				t.Errorf("%s: %v", org, err)
			}
		}
		h, err := f.s.AuditHead(f.ctx, org)
		wantKind(t, "AuditHead", err, nil)
		if h.Seq != 4 || h.Hash != evs[3].OrgHash || h.OrgID != org {
			t.Errorf("AuditHead = %+v", h)
		}
		// The page of the organisation shows 4, 3, 2, 1.
		a := f.A
		if org == f.b.ID {
			a = f.B
		}
		page, _ := f.s.ListAudit(f.ctx, a, iotsec.AuditFilter{})
		for i, e := range page {
			if e.OrgSeq != int64(len(page)-i) {
				t.Errorf("ListAudit item %d has org_seq %d", i, e.OrgSeq)
			}
		}
	}
	if h, err := f.s.AuditHead(f.ctx, "org_none"); err != nil || h.Seq != 0 || h.Hash != iotsec.GenesisHash {
		t.Errorf("AuditHead of an empty chain = %+v, %v", h, err)
	}
}
