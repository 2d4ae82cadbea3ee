package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// audit appends an event to the chain inside tx. by is the actor's audit
// name, org the organisation the event belongs to ("" for system events).
func (s *Store) audit(ctx context.Context, tx *sql.Tx, org, by, action, target string, details any) error {
	e := iotsec.AuditEvent{OrgID: org, Actor: by, Action: action, Target: target, Time: s.now()}
	if details != nil {
		b, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		e.Details = string(b)
	}
	return s.appendAudit(ctx, tx, &e)
}

func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, e *iotsec.AuditEvent) error {
	if s.d.LockAudit != "" {
		if _, err := tx.ExecContext(ctx, s.d.LockAudit); err != nil {
			return fmt.Errorf("lock audit log: %w", err)
		}
	}
	var prev iotsec.AuditEvent
	err := s.queryRow(ctx, tx, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").Scan(&prev.Seq, &prev.Hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e.Seal(nil)
	case err != nil:
		return fmt.Errorf("read audit head: %w", err)
	default:
		e.Seal(&prev)
	}
	var orgPrev iotsec.AuditEvent
	err = s.queryRow(ctx, tx, "SELECT org_seq, org_hash FROM audit_events WHERE org_id = ? ORDER BY org_seq DESC LIMIT 1", e.OrgID).
		Scan(&orgPrev.OrgSeq, &orgPrev.OrgHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e.SealOrg(nil)
	case err != nil:
		return fmt.Errorf("read the organisation's audit head: %w", err)
	default:
		e.SealOrg(&orgPrev)
	}
	_, err = s.exec(ctx, tx, `INSERT INTO audit_events (seq, at, org_id, actor, action, target, details, prev_hash, hash, org_seq, org_prev_hash, org_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, s.t(e.Time), e.OrgID, e.Actor, e.Action, e.Target, e.Details, e.PrevHash, e.Hash, e.OrgSeq, e.OrgPrevHash, e.OrgHash)
	if err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// Audit appends an event that comes with no other change.
func (s *Store) Audit(ctx context.Context, e *iotsec.AuditEvent) error {
	if e.Action == "" {
		return iotsec.Invalid("action", "is required")
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) })
}

const auditColumns = "seq, at, org_id, actor, action, target, details, prev_hash, hash, coalesce(org_seq, 0), coalesce(org_prev_hash, ''), coalesce(org_hash, '')"

func scanAudit(rows *sql.Rows) ([]iotsec.AuditEvent, error) {
	defer rows.Close()
	var out []iotsec.AuditEvent
	for rows.Next() {
		var e iotsec.AuditEvent
		if err := rows.Scan(&e.Seq, tscan{&e.Time}, &e.OrgID, &e.Actor, &e.Action, &e.Target, &e.Details, &e.PrevHash, &e.Hash, &e.OrgSeq, &e.OrgPrevHash, &e.OrgHash); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListAudit lists the organisation's events, newest first.
func (s *Store) ListAudit(ctx context.Context, a iotsec.Actor, f iotsec.AuditFilter) ([]iotsec.AuditEvent, error) {
	if err := a.Can(iotsec.PermReadAudit); err != nil {
		return nil, err
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+auditColumns+" FROM audit_events WHERE org_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"),
		a.OrgID, before, limit(f.Limit, 100, 1000))
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return scanAudit(rows)
}

// AuditEvents reads the whole chain in order, a page at a time.
func (s *Store) AuditEvents(ctx context.Context, after int64, n int) ([]iotsec.AuditEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+auditColumns+" FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?"),
		after, limit(n, 1000, 10000))
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return scanAudit(rows)
}

// OrgAuditEvents reads one organisation's chain in order ("" is the
// system's), a page at a time: up to n events with OrgSeq > after.
func (s *Store) OrgAuditEvents(ctx context.Context, orgID string, after int64, n int) ([]iotsec.AuditEvent, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+auditColumns+" FROM audit_events WHERE org_id = ? AND org_seq > ? ORDER BY org_seq LIMIT ?"),
		orgID, after, limit(n, 1000, 10000))
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	return scanAudit(rows)
}

// AuditHead is the newest event of an organisation's chain; Seq 0 and
// the genesis hash when it has none.
func (s *Store) AuditHead(ctx context.Context, orgID string) (iotsec.AuditHead, error) {
	h := iotsec.AuditHead{OrgID: orgID, Hash: iotsec.GenesisHash}
	err := s.db.QueryRowContext(ctx, s.q("SELECT org_seq, org_hash FROM audit_events WHERE org_id = ? AND org_seq IS NOT NULL ORDER BY org_seq DESC LIMIT 1"), orgID).
		Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return h, err
}

// chainOrgs gives the events stored before migration 0010 their
// organisation chains, in seq order, inside the migration's transaction.
func (s *Store) chainOrgs(ctx context.Context, tx *sql.Tx) error {
	heads := map[string]*iotsec.AuditEvent{}
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, s.q("SELECT "+auditColumns+" FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000"), after)
		if err != nil {
			return fmt.Errorf("chain audit: %w", err)
		}
		evs, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		for i := range evs {
			e := &evs[i]
			e.SealOrg(heads[e.OrgID])
			heads[e.OrgID] = e
			if _, err := tx.ExecContext(ctx, s.q("UPDATE audit_events SET org_seq = ?, org_prev_hash = ?, org_hash = ? WHERE seq = ?"),
				e.OrgSeq, e.OrgPrevHash, e.OrgHash, e.Seq); err != nil {
				return fmt.Errorf("chain audit event %d: %w", e.Seq, err)
			}
		}
		after = evs[len(evs)-1].Seq
	}
}

// changes describes, for the audit log, which fields differ between two
// versions of a record, by their JSON names. Timestamps are left out.
func changes(before, after any) map[string]any {
	var b, a map[string]any
	bb, _ := json.Marshal(before)
	ab, _ := json.Marshal(after)
	json.Unmarshal(bb, &b)
	json.Unmarshal(ab, &a)
	out := map[string]any{}
	for k, av := range a {
		if k == "created_at" || k == "updated_at" {
			continue
		}
		bv, _ := json.Marshal(b[k])
		nv, _ := json.Marshal(av)
		if string(bv) != string(nv) {
			out[k] = map[string]any{"from": b[k], "to": av}
		}
	}
	return out
}
