package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Each organisation's supply-chain records: SBOMs, matches, VEX,
// notifications and CRA reports.

func (s *Store) SaveSBOM(ctx context.Context, a iotsec.Actor, b *iotsec.SBOM) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if len(b.Document) == 0 {
		return iotsec.Invalid("sbom", "is empty")
	}
	b.OrgID, b.By, b.CreatedAt = a.OrgID, a.Name(), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.firmwareIn(ctx, tx, a, b.FirmwareID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM sboms WHERE firmware_id = ? AND org_id = ?"), b.FirmwareID, a.OrgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sboms (firmware_id, org_id, name, format, components, document, by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), b.FirmwareID, a.OrgID, b.Name, b.Format, b.Components, b.Document, b.By, s.t(b.CreatedAt)); err != nil {
			return fmt.Errorf("insert sbom: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "sbom.import", b.FirmwareID, map[string]any{"name": b.Name, "format": b.Format, "components": b.Components})
	})
}

func (s *Store) GetSBOM(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.SBOM, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.SBOM{}, err
	}
	var b iotsec.SBOM
	err := s.db.QueryRowContext(ctx, s.q(`SELECT firmware_id, org_id, name, format, components, document, by_name, created_at
		FROM sboms WHERE firmware_id = ? AND org_id = ?`), firmwareID, a.OrgID).
		Scan(&b.FirmwareID, &b.OrgID, &b.Name, &b.Format, &b.Components, &b.Document, &b.By, tscan{&b.CreatedAt})
	return b, notFound(err, "SBOM of firmware version "+firmwareID)
}

func (s *Store) DeleteSBOM(ctx context.Context, a iotsec.Actor, firmwareID string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, s.q("DELETE FROM sboms WHERE firmware_id = ? AND org_id = ?"), firmwareID, a.OrgID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return iotsec.NotFound("SBOM of firmware version " + firmwareID)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "sbom.delete", firmwareID, nil)
	})
}

func (s *Store) MatchTargets(ctx context.Context) ([]iotsec.MatchTarget, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, id FROM firmware f
		WHERE EXISTS (SELECT 1 FROM sboms b WHERE b.firmware_id = f.id)
		   OR EXISTS (SELECT 1 FROM components c WHERE c.firmware_id = f.id)
		ORDER BY org_id, id`)
	if err != nil {
		return nil, fmt.Errorf("list match targets: %w", err)
	}
	defer rows.Close()
	var out []iotsec.MatchTarget
	for rows.Next() {
		var t iotsec.MatchTarget
		if err := rows.Scan(&t.OrgID, &t.FirmwareID); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const matchColumns = `m.org_id, m.firmware_id, f.product_id, f.version, m.vuln_id, m.component, m.component_version, m.severity, m.score,
	m.kev, m.epss, m.fixed_version, m.vex_status, m.suppressed, m.data, m.first_seen`

func scanMatch(sc rowScanner) (iotsec.VulnMatch, error) {
	var m iotsec.VulnMatch
	err := sc.Scan(&m.OrgID, &m.FirmwareID, &m.ProductID, &m.Version, &m.VulnID, &m.Component, &m.ComponentVersion, &m.Severity, &m.Score,
		&m.KEV, &m.EPSS, &m.FixedVersion, &m.VEXStatus, &m.Suppressed, &m.Data, tscan{&m.FirstSeen})
	return m, err
}

func (s *Store) ReplaceMatches(ctx context.Context, a iotsec.Actor, firmwareID string, ms []iotsec.VulnMatch) ([]iotsec.VulnMatch, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	var fresh []iotsec.VulnMatch
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.firmwareIn(ctx, tx, a, firmwareID)
		if err != nil {
			return err
		}
		old := map[string]time.Time{}
		rows, err := tx.QueryContext(ctx, s.q("SELECT vuln_id, component, component_version, first_seen FROM vuln_matches WHERE firmware_id = ? AND org_id = ?"), f.ID, a.OrgID)
		if err != nil {
			return fmt.Errorf("read matches: %w", err)
		}
		for rows.Next() {
			var m iotsec.VulnMatch
			if err := rows.Scan(&m.VulnID, &m.Component, &m.ComponentVersion, tscan{&m.FirstSeen}); err != nil {
				rows.Close()
				return err
			}
			old[m.Key()] = m.FirstSeen
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM vuln_matches WHERE firmware_id = ? AND org_id = ?"), f.ID, a.OrgID); err != nil {
			return err
		}
		fresh = nil
		var ins [][]any
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m.Key()] {
				continue
			}
			seen[m.Key()] = true
			m.OrgID, m.FirmwareID, m.ProductID, m.Version = a.OrgID, f.ID, f.ProductID, f.Version
			if t, ok := old[m.Key()]; ok {
				m.FirstSeen = t
			} else {
				m.FirstSeen = now
				fresh = append(fresh, m)
			}
			ins = append(ins, []any{m.OrgID, m.FirmwareID, m.VulnID, m.Component, m.ComponentVersion, m.Severity, m.Score, m.KEV, m.EPSS,
				m.FixedVersion, m.VEXStatus, m.Suppressed, m.Data, s.t(m.FirstSeen)})
		}
		return insertRows(ctx, s, tx, "vuln_matches", []string{"org_id", "firmware_id", "vuln_id", "component", "component_version", "severity",
			"score", "kev", "epss", "fixed_version", "vex_status", "suppressed", "data", "first_seen"}, "", ins)
	})
	return fresh, err
}

func (s *Store) ListMatches(ctx context.Context, a iotsec.Actor, f iotsec.MatchFilter) ([]iotsec.VulnMatch, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	q := "SELECT " + matchColumns + " FROM vuln_matches m JOIN firmware f ON f.id = m.firmware_id WHERE m.org_id = ?"
	args := []any{a.OrgID}
	add := func(cond string, v any) {
		q += " AND " + cond
		args = append(args, v)
	}
	if f.FirmwareID != "" {
		add("m.firmware_id = ?", f.FirmwareID)
	}
	if f.ProductID != "" {
		add("f.product_id = ?", f.ProductID)
	}
	if f.VulnID != "" {
		add("m.vuln_id = ?", f.VulnID)
	}
	if f.Component != "" {
		add("m.component = ?", f.Component)
	}
	if f.KEV {
		add("m.kev = ?", true)
	}
	if !f.Suppressed {
		add("m.suppressed = ?", false)
	}
	q += " ORDER BY m.kev DESC, m.score DESC, m.vuln_id, f.product_id, f.version, m.component LIMIT ?"
	args = append(args, limit(f.Limit, 1000, 10000))
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list matches: %w", err)
	}
	defer rows.Close()
	out := []iotsec.VulnMatch{}
	for rows.Next() {
		m, err := scanMatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

const vexColumns = "id, org_id, firmware_id, vuln_id, component, component_version, status, justification, impact, action, author, created_at"

func (s *Store) AddVEX(ctx context.Context, a iotsec.Actor, v *iotsec.VEXStatement) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	v.VulnID = strings.TrimSpace(v.VulnID)
	v.Component = strings.TrimSpace(v.Component)
	v.ComponentVersion = strings.TrimSpace(v.ComponentVersion)
	if err := v.Normalize(); err != nil {
		return err
	}
	v.ID, v.OrgID, v.Author, v.CreatedAt = s.ids.New(iotsec.PrefixVEX), a.OrgID, a.Name(), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.firmwareIn(ctx, tx, a, v.FirmwareID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO vex_statements ("+vexColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			v.ID, v.OrgID, v.FirmwareID, v.VulnID, v.Component, v.ComponentVersion, v.Status, v.Justification, v.Impact, v.Action, v.Author, s.t(v.CreatedAt)); err != nil {
			return fmt.Errorf("insert VEX statement: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "vex.add", v.FirmwareID, map[string]any{"vex_id": v.ID, "vulnerability": v.VulnID,
			"component": v.Component, "status": v.Status, "justification": v.Justification})
	})
}

func (s *Store) ListVEX(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.VEXStatement, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	q, args := "SELECT "+vexColumns+" FROM vex_statements WHERE org_id = ?", []any{a.OrgID}
	if firmwareID != "" {
		if err := s.checkFirmware(ctx, a, firmwareID); err != nil {
			return nil, err
		}
		q += " AND firmware_id = ?"
		args = append(args, firmwareID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("list VEX: %w", err)
	}
	defer rows.Close()
	out := []iotsec.VEXStatement{}
	for rows.Next() {
		var v iotsec.VEXStatement
		if err := rows.Scan(&v.ID, &v.OrgID, &v.FirmwareID, &v.VulnID, &v.Component, &v.ComponentVersion, &v.Status, &v.Justification,
			&v.Impact, &v.Action, &v.Author, tscan{&v.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) AddNotifications(ctx context.Context, a iotsec.Actor, ns []iotsec.Notification, ds []iotsec.Delivery) error {
	if err := a.Can(iotsec.PermRead); err != nil {
		return err
	}
	if len(ns) == 0 {
		return nil
	}
	now := s.now()
	var rows [][]any
	ids := make([]string, 0, len(ns))
	for i := range ns {
		n := &ns[i]
		n.ID, n.OrgID, n.CreatedAt = s.ids.New(iotsec.PrefixNotice), a.OrgID, now
		rows = append(rows, []any{n.ID, n.OrgID, n.Kind, n.Title, n.Body, n.Link, s.t(n.CreatedAt)})
		ids = append(ids, n.ID)
	}
	jobs, err := s.newDeliveries(a, ds, ids, now)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := insertRows(ctx, s, tx, "notifications", []string{"id", "org_id", "kind", "title", "body", "link", "created_at"}, "", rows); err != nil {
			return err
		}
		// Same transaction: a batch is delivered if and only if it is stored.
		return s.insertDeliveries(ctx, tx, a, ds, jobs)
	})
}

func (s *Store) ListNotifications(ctx context.Context, a iotsec.Actor, unread bool, n int) ([]iotsec.Notification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	q := "SELECT id, org_id, kind, title, body, link, created_at, read_at FROM notifications WHERE org_id = ?"
	if unread {
		q += " AND read_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, s.q(q+" ORDER BY id DESC LIMIT ?"), a.OrgID, limit(n, 100, 1000))
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Notification{}
	for rows.Next() {
		var x iotsec.Notification
		if err := rows.Scan(&x.ID, &x.OrgID, &x.Kind, &x.Title, &x.Body, &x.Link, tscan{&x.CreatedAt}, tscan{&x.ReadAt}); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Store) MarkRead(ctx context.Context, a iotsec.Actor, ids []string) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	now := s.t(s.now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		if len(ids) == 0 {
			_, err := tx.ExecContext(ctx, s.q("UPDATE notifications SET read_at = ? WHERE org_id = ? AND read_at IS NULL"), now, a.OrgID)
			return err
		}
		return s.inChunks(ids, func(cond string, args []any) error {
			_, err := tx.ExecContext(ctx, s.q("UPDATE notifications SET read_at = ? WHERE org_id = ? AND read_at IS NULL AND id "+cond),
				append([]any{now, a.OrgID}, args...)...)
			return err
		})
	})
}

func (s *Store) NotifySettings(ctx context.Context, a iotsec.Actor) (iotsec.NotifySettings, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.NotifySettings{}, err
	}
	var n iotsec.NotifySettings
	err := s.db.QueryRowContext(ctx, s.q("SELECT webhook_url, webhook_secret, email FROM notify_settings WHERE org_id = ?"), a.OrgID).
		Scan(&n.WebhookURL, &n.WebhookSecret, &n.Email)
	if err == sql.ErrNoRows {
		err = nil
	}
	return n, err
}

func (s *Store) SetNotifySettings(ctx context.Context, a iotsec.Actor, n iotsec.NotifySettings) error {
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return err
	}
	n.WebhookURL, n.Email = strings.TrimSpace(n.WebhookURL), strings.TrimSpace(n.Email)
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(n.WebhookURL) > 2000 {
			return iotsec.Invalid("webhook_url", "must be an http or https URL")
		}
	}
	if n.Email != "" && (!strings.Contains(n.Email, "@") || len(n.Email) > 320 || strings.ContainsAny(n.Email, "\r\n ,;")) {
		return iotsec.Invalid("email", "must be one e-mail address")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notify_settings (org_id, webhook_url, webhook_secret, email) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret, email = excluded.email`),
			a.OrgID, n.WebhookURL, n.WebhookSecret, n.Email); err != nil {
			return fmt.Errorf("save notification settings: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "notify.settings", a.OrgID, map[string]any{"webhook_url": n.WebhookURL, "email": n.Email})
	})
}

const craColumns = "id, org_id, product_id, firmware_id, vuln_id, aware_at, fix_at, sent, fields, created_at, updated_at"

func scanCRA(sc rowScanner) (iotsec.CRAReport, error) {
	var r iotsec.CRAReport
	var sent, fields string
	if err := sc.Scan(&r.ID, &r.OrgID, &r.ProductID, &r.FirmwareID, &r.VulnID, tscan{&r.AwareAt}, tscan{&r.FixAt}, &sent, &fields,
		tscan{&r.CreatedAt}, tscan{&r.UpdatedAt}); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(sent), &r.Sent); err != nil {
		return r, fmt.Errorf("CRA report %s: sent: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return r, fmt.Errorf("CRA report %s: fields: %w", r.ID, err)
	}
	return r, nil
}

func (s *Store) CreateCRAReport(ctx context.Context, a iotsec.Actor, r *iotsec.CRAReport) (bool, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return false, err
	}
	if r.VulnID == "" || r.AwareAt.IsZero() {
		return false, iotsec.Invalid("vulnerability", "a CRA report needs a vulnerability and an awareness time")
	}
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		f, err := s.firmwareIn(ctx, tx, a, r.FirmwareID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM cra_reports WHERE product_id = ? AND vuln_id = ?"), f.ProductID, r.VulnID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		now := s.now()
		r.ID, r.OrgID, r.ProductID, r.CreatedAt, r.UpdatedAt = s.ids.New(iotsec.PrefixCRA), a.OrgID, f.ProductID, now, now
		if r.Sent == nil {
			r.Sent = map[string]time.Time{}
		}
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		sent, _ := json.Marshal(r.Sent)
		fields, _ := json.Marshal(r.Fields)
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO cra_reports ("+craColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			r.ID, r.OrgID, r.ProductID, r.FirmwareID, r.VulnID, s.t(r.AwareAt), s.t(r.FixAt), string(sent), string(fields), s.t(now), s.t(now)); err != nil {
			return fmt.Errorf("insert CRA report: %w", err)
		}
		created = true
		return s.audit(ctx, tx, a.OrgID, a.Name(), "cra.draft", r.ID, map[string]any{"product_id": r.ProductID, "firmware_id": r.FirmwareID,
			"vulnerability": r.VulnID, "aware_at": r.AwareAt})
	})
	return created, err
}

func (s *Store) GetCRAReport(ctx context.Context, a iotsec.Actor, id string) (iotsec.CRAReport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.CRAReport{}, err
	}
	r, err := scanCRA(s.db.QueryRowContext(ctx, s.q("SELECT "+craColumns+" FROM cra_reports WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return r, notFound(err, "CRA report")
}

func (s *Store) ListCRAReports(ctx context.Context, a iotsec.Actor) ([]iotsec.CRAReport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+craColumns+" FROM cra_reports WHERE org_id = ? ORDER BY id DESC"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list CRA reports: %w", err)
	}
	defer rows.Close()
	out := []iotsec.CRAReport{}
	for rows.Next() {
		r, err := scanCRA(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) UpdateCRAReport(ctx context.Context, a iotsec.Actor, r *iotsec.CRAReport) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	for k, v := range r.Fields {
		if len(k) > 100 || len(v) > 20000 {
			return iotsec.Invalid("fields", "field %q is too long", k)
		}
	}
	if len(r.Fields) > 100 {
		return iotsec.Invalid("fields", "too many fields")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanCRA(tx.QueryRowContext(ctx, s.q("SELECT "+craColumns+" FROM cra_reports WHERE id = ? AND org_id = ?"), r.ID, a.OrgID))
		if err != nil {
			return notFound(err, "CRA report")
		}
		if !r.FixAt.IsZero() && r.FixAt.Before(old.AwareAt.Add(-24*time.Hour*365*10)) {
			return iotsec.Invalid("fix_available_at", "is implausibly early")
		}
		r.OrgID, r.ProductID, r.FirmwareID, r.VulnID, r.AwareAt, r.CreatedAt = old.OrgID, old.ProductID, old.FirmwareID, old.VulnID, old.AwareAt, old.CreatedAt
		r.UpdatedAt = s.now()
		if r.Sent == nil {
			r.Sent = map[string]time.Time{}
		}
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		sent, _ := json.Marshal(r.Sent)
		fields, _ := json.Marshal(r.Fields)
		if _, err := tx.ExecContext(ctx, s.q("UPDATE cra_reports SET fix_at = ?, sent = ?, fields = ?, updated_at = ? WHERE id = ? AND org_id = ?"),
			s.t(r.FixAt), string(sent), string(fields), s.t(r.UpdatedAt), r.ID, a.OrgID); err != nil {
			return fmt.Errorf("update CRA report: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "cra.update", r.ID, map[string]any{"fix_available_at": r.FixAt, "sent": r.Sent})
	})
}
