package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (s *Store) PutDashboardSnapshot(ctx context.Context, snap iotsec.DashboardSnapshot) error {
	if err := snap.Check(); err != nil {
		return err
	}
	if snap.TakenAt.IsZero() {
		snap.TakenAt = s.now()
	}
	figs, err := json.Marshal(snap.Figures)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO dashboard_snapshots (org_id, day, taken_at, source, figures) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, day) DO UPDATE SET taken_at = excluded.taken_at, source = excluded.source, figures = excluded.figures`),
		snap.OrgID, s.date(snap.Day), s.t(snap.TakenAt), snap.Source, string(figs))
	if err != nil {
		return fmt.Errorf("store dashboard snapshot: %w", err)
	}
	return nil
}

func (s *Store) DashboardSnapshots(ctx context.Context, a iotsec.Actor, from iotsec.Date) ([]iotsec.DashboardSnapshot, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if from.IsZero() {
		from = iotsec.NewDate(1970, 1, 1)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT org_id, day, taken_at, source, figures FROM dashboard_snapshots
		WHERE org_id = ? AND day >= ? ORDER BY day`), a.OrgID, s.date(from))
	if err != nil {
		return nil, fmt.Errorf("list dashboard snapshots: %w", err)
	}
	defer rows.Close()
	out := []iotsec.DashboardSnapshot{}
	for rows.Next() {
		var snap iotsec.DashboardSnapshot
		var figs string
		if err := rows.Scan(&snap.OrgID, dscan{&snap.Day}, tscan{&snap.TakenAt}, &snap.Source, &figs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(figs), &snap.Figures); err != nil {
			return nil, fmt.Errorf("dashboard snapshot of %s: %w", snap.Day, err)
		}
		out = append(out, snap)
	}
	return out, rows.Err()
}

func (s *Store) AuditCounts(ctx context.Context, a iotsec.Actor, since time.Time) (map[string]int, error) {
	if err := a.Can(iotsec.PermReadAudit); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT action, count(*) FROM audit_events WHERE org_id = ? AND at >= ? GROUP BY action"),
		a.OrgID, s.t(since))
	if err != nil {
		return nil, fmt.Errorf("count audit events: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var action string
		var n int
		if err := rows.Scan(&action, &n); err != nil {
			return nil, err
		}
		out[action] = n
	}
	return out, rows.Err()
}

func (s *Store) CertificateHealth(ctx context.Context, a iotsec.Actor, now, soon time.Time) (iotsec.CertHealth, error) {
	var h iotsec.CertHealth
	if err := a.Can(iotsec.PermRead); err != nil {
		return h, err
	}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT
		coalesce(sum(CASE WHEN c.status = 'active' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN c.status = 'active' AND c.not_after >= ? AND c.not_after < ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN c.status = 'active' AND c.not_after < ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN c.status = 'revoked' THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN c.status = 'active' AND c.key_fingerprint <> '' AND EXISTS (SELECT 1 FROM device_certs o
			WHERE o.org_id = c.org_id AND o.key_fingerprint = c.key_fingerprint AND o.status = 'active' AND o.device_id <> c.device_id)
			THEN 1 ELSE 0 END), 0)
		FROM device_certs c WHERE c.org_id = ?`), s.t(now), s.t(soon), s.t(now), a.OrgID).
		Scan(&h.Active, &h.Expiring, &h.Expired, &h.Revoked, &h.Shared)
	if err != nil {
		return h, fmt.Errorf("certificate health: %w", err)
	}
	return h, nil
}

func (s *Store) AuthorityEvents(ctx context.Context, a iotsec.Actor, f iotsec.CertEventFilter) ([]iotsec.CertificationEvent, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	q := "SELECT e." + certEventColumnsE + ` FROM certification_events e JOIN certifications c ON c.id = e.certification_id
		WHERE (c.authority_org_id = ? OR ` + delegateOf + ")"
	args := []any{a.OrgID, a.OrgID}
	if f.To != "" {
		q += " AND e.to_status = ?"
		args = append(args, string(f.To))
	}
	if !f.Since.IsZero() {
		q += " AND e.at >= ?"
		args = append(args, s.t(f.Since))
	}
	q += " ORDER BY e.at, e.id LIMIT ?"
	args = append(args, limit(f.Limit, 1000, 10000))
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("authority events: %w", err)
	}
	return scanCertEvents(rows)
}

// certEventColumnsE is certEventColumns on the alias e.
const certEventColumnsE = "id, e.certification_id, e.from_status, e.to_status, e.reason, e.actor, e.actor_org_id, e.at, e.log_index"
