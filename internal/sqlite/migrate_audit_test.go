package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// TestMigrateAuditChains: a log written before migration 0010 (one chain
// for every organisation) gets a chain per organisation on migrating,
// numbered without gaps and verifiable alone, and the whole log still
// verifies; the append-only trigger still refuses edits after.
func TestMigrateAuditChains(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "iotsec.db")
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var before []sqlstore.Migration
	for _, m := range all {
		if m.Version < 10 {
			before = append(before, m)
		}
	}
	old, err := openWith(ctx, path, sqlstore.Options{}, before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	old.Close()

	// Events as the store wrote them before: one chain, orgs interleaved.
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	orgs := []string{"org_a", "org_b", "org_a", "", "org_a", "org_b", "org_c", "org_a"}
	var prev *iotsec.AuditEvent
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, org := range orgs {
		e := iotsec.AuditEvent{OrgID: org, Actor: "system:test", Action: "test.event", Target: fmt.Sprint(i), Details: "{}", Time: at.Add(time.Duration(i) * time.Second)}
		e.Seal(prev)
		prev = &e
		if _, err := db.Exec("INSERT INTO audit_events (seq, at, org_id, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			e.Seq, e.Time.Format(iotsec.AuditTimeLayout), e.OrgID, e.Actor, e.Action, e.Target, e.Details, e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("migrate to 0010: %v", err)
	}
	if !slices.Contains(applied, 10) { // and any later migrations
		t.Fatalf("applied %v", applied)
	}
	// The whole log still verifies.
	var whole iotsec.ChainVerifier
	evs, err := s.AuditEvents(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := whole.Next(e); err != nil {
			t.Fatalf("whole log after migrating: %v", err)
		}
	}
	// Each organisation's chain: 1..n, verifiable alone.
	for org, n := range map[string]int{"org_a": 4, "org_b": 2, "org_c": 1, "": 1} {
		var v iotsec.ChainVerifier
		evs, err := s.OrgAuditEvents(ctx, org, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != n {
			t.Errorf("%q: %d events, want %d", org, len(evs), n)
		}
		for i, e := range evs {
			if e.OrgSeq != int64(i+1) {
				t.Errorf("%q: event %d has org_seq %d", org, i, e.OrgSeq)
			}
			if err := v.Next(e.OrgLink()); err != nil {
				t.Errorf("%q: %v", org, err)
			}
		}
		h, err := s.AuditHead(ctx, org)
		if err != nil || h.Seq != int64(n) || h.Hash != evs[n-1].OrgHash {
			t.Errorf("%q: head %+v, %v", org, h, err)
		}
	}
	// A new event continues its organisation's chain.
	e := iotsec.AuditEvent{OrgID: "org_b", Actor: "system:test", Action: "test.after"}
	if err := s.Audit(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if e.OrgSeq != 3 || e.Seq != int64(len(orgs)+1) {
		t.Errorf("new event: seq %d org_seq %d, want %d and 3", e.Seq, e.OrgSeq, len(orgs)+1)
	}
	db, err = sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE audit_events SET org_seq = 9 WHERE seq = 1", "UPDATE audit_events SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_events WHERE seq = 1"} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s: no error, want the append-only refusal", q)
		}
	}
}
