package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// The registry: scheme operators, certification records and their history,
// the transparency log's leaves, hashes and checkpoints, and the
// authorities' label signing keys.

// Scheme operators.

const operatorColumns = "org_id, scheme, role, coalesce(delegated_by, ''), created_by, created_at"

func scanOperator(sc rowScanner) (iotsec.SchemeOperator, error) {
	var o iotsec.SchemeOperator
	err := sc.Scan(&o.OrgID, &o.Scheme, &o.Role, &o.DelegatedBy, &o.CreatedBy, tscan{&o.CreatedAt})
	return o, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Store) AddSchemeOperator(ctx context.Context, by string, o *iotsec.SchemeOperator) error {
	if err := o.Normalize(); err != nil {
		return err
	}
	o.CreatedBy, o.CreatedAt = by, s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range []string{o.OrgID, o.DelegatedBy} {
			if id == "" {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM orgs WHERE id = ?"), id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return iotsec.NotFound("organisation")
			}
		}
		if o.Role == iotsec.OperatorDelegate {
			var owner string
			err := tx.QueryRowContext(ctx, s.q("SELECT org_id FROM scheme_operators WHERE scheme = ? AND role = 'owner'"), o.Scheme).Scan(&owner)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if owner != o.DelegatedBy {
				return iotsec.Invalid("delegated_by", "is not the owner of the scheme %q", o.Scheme)
			}
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO scheme_operators (org_id, scheme, role, delegated_by, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
			o.OrgID, o.Scheme, o.Role, nullable(o.DelegatedBy), o.CreatedBy, s.t(o.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return iotsec.Conflict("the organisation operates the scheme %q already, or the scheme has an owner", o.Scheme)
			}
			return fmt.Errorf("insert scheme operator: %w", err)
		}
		return s.audit(ctx, tx, o.OrgID, by, "registry.operator.add", o.Scheme, map[string]any{"role": o.Role, "delegated_by": o.DelegatedBy})
	})
}

func (s *Store) ListSchemeOperators(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeOperator, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+operatorColumns+" FROM scheme_operators WHERE org_id = ? OR delegated_by = ? ORDER BY scheme, role DESC, org_id"), a.OrgID, a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list scheme operators: %w", err)
	}
	defer rows.Close()
	out := []iotsec.SchemeOperator{}
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Store) IsOperator(ctx context.Context, orgID, scheme string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM scheme_operators WHERE org_id = ? AND scheme = ?"), orgID, scheme).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("scheme operator: %w", err)
	}
	return n > 0, nil
}

func (s *Store) SchemeOwner(ctx context.Context, scheme string) (string, error) {
	var org string
	err := s.db.QueryRowContext(ctx, s.q("SELECT org_id FROM scheme_operators WHERE scheme = ? AND role = 'owner'"), scheme).Scan(&org)
	return org, notFound(err, "scheme operator")
}

// Certification records.

const certificationColumns = `c.id, c.org_id, c.product_id, c.firmware_id, c.scheme, c.level, c.authority_org_id, coalesce(c.lab_org_id, ''),
	c.status, c.label_id, c.valid_from, c.valid_until, c.applied_at, c.granted_at, c.updated_at, c.reasons, c.label,
	c.renewal_requested_at`

func scanCertification(sc rowScanner) (iotsec.Certification, error) {
	var c iotsec.Certification
	var reasons string
	err := sc.Scan(&c.ID, &c.OrgID, &c.ProductID, &c.FirmwareID, &c.Scheme, &c.Level, &c.AuthorityOrgID, &c.LabOrgID,
		&c.Status, &c.LabelID, dscan{&c.ValidFrom}, dscan{&c.ValidUntil}, tscan{&c.AppliedAt}, tscan{&c.GrantedAt}, tscan{&c.UpdatedAt}, &reasons, &c.Label,
		tscan{&c.RenewalRequestedAt})
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return c, fmt.Errorf("certification %s: reasons: %w", c.ID, err)
	}
	return c, nil
}

// delegateOf is true when the organisation (the one argument) grants for
// the record's authority.
const delegateOf = `EXISTS (SELECT 1 FROM scheme_operators o WHERE o.org_id = ? AND o.role = 'delegate'
	AND o.scheme = c.scheme AND o.delegated_by = c.authority_org_id)`

// visibleTo is the condition under which an organisation (three
// arguments) sees a record: it is the maker, the authority or a delegate.
const visibleTo = "(c.org_id = ? OR c.authority_org_id = ? OR " + delegateOf + ")"

// certification reads a record the organisation sees, inside tx when set.
func (s *Store) certification(ctx context.Context, tx *sql.Tx, org, id string) (iotsec.Certification, error) {
	query := s.q("SELECT " + certificationColumns + " FROM certifications c WHERE c.id = ? AND " + visibleTo)
	var row *sql.Row
	if tx != nil {
		row = tx.QueryRowContext(ctx, query, id, org, org, org)
	} else {
		row = s.db.QueryRowContext(ctx, query, id, org, org, org)
	}
	c, err := scanCertification(row)
	return c, notFound(err, "certification")
}

func (s *Store) certifications(ctx context.Context, query string, args ...any) ([]iotsec.Certification, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list certifications: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Certification{}
	for rows.Next() {
		c, err := scanCertification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) CreateCertification(ctx context.Context, a iotsec.Actor, c *iotsec.Certification) error {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	now := s.now()
	c.ID, c.OrgID, c.Status, c.LabelID = s.ids.New(iotsec.PrefixCertification), a.OrgID, iotsec.StatusApplied, s.ids.Secret()
	c.AppliedAt, c.UpdatedAt, c.GrantedAt = now, now, time.Time{}
	// Validity and the label are the authority's to set, at the grant.
	c.ValidFrom, c.ValidUntil, c.Label, c.Reasons = iotsec.Date{}, iotsec.Date{}, "", []string{}
	ev := iotsec.CertificationEvent{ID: s.ids.New(iotsec.PrefixCertEvent), CertificationID: c.ID, To: iotsec.StatusApplied,
		Actor: a.Name(), ActorOrgID: a.OrgID, At: now, LogIndex: -1}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var product string
		err := tx.QueryRowContext(ctx, s.q("SELECT product_id FROM firmware WHERE id = ? AND org_id = ?"), c.FirmwareID, a.OrgID).Scan(&product)
		if err != nil {
			return notFound(err, "firmware version")
		}
		if c.ProductID == "" {
			c.ProductID = product
		}
		if c.ProductID != product {
			return iotsec.Invalid("product_id", "is not the product of the firmware version")
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM scheme_operators WHERE org_id = ? AND scheme = ? AND role = 'owner'"),
			c.AuthorityOrgID, c.Scheme).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return iotsec.Invalid("authority_org_id", "does not own the scheme %q", c.Scheme)
		}
		if c.LabOrgID != "" {
			if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM orgs WHERE id = ?"), c.LabOrgID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return iotsec.Invalid("lab_org_id", "is not an organisation")
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO certifications (id, org_id, product_id, firmware_id, scheme, level, authority_org_id, lab_org_id,
			status, label_id, applied_at, updated_at, reasons, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '')`),
			c.ID, c.OrgID, c.ProductID, c.FirmwareID, c.Scheme, c.Level, c.AuthorityOrgID, nullable(c.LabOrgID),
			c.Status, c.LabelID, s.t(c.AppliedAt), s.t(c.UpdatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return iotsec.Conflict("the firmware version has a record for %s %s already that is not revoked or withdrawn", c.Scheme, c.Level)
			}
			return fmt.Errorf("insert certification: %w", err)
		}
		if err := s.insertCertEvent(ctx, tx, ev); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "registry.apply", c.ID, map[string]any{"firmware_id": c.FirmwareID, "scheme": c.Scheme, "level": c.Level, "authority_org_id": c.AuthorityOrgID})
	})
}

func (s *Store) GetCertification(ctx context.Context, a iotsec.Actor, id string) (iotsec.Certification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Certification{}, err
	}
	return s.certification(ctx, nil, a.OrgID, id)
}

func (s *Store) ListCertifications(ctx context.Context, a iotsec.Actor, f iotsec.CertificationFilter) ([]iotsec.Certification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("SELECT " + certificationColumns + " FROM certifications c WHERE ")
	var args []any
	if f.AsAuthority {
		b.WriteString("(c.authority_org_id = ? OR " + delegateOf + ")")
		args = append(args, a.OrgID, a.OrgID)
	} else {
		b.WriteString("c.org_id = ?")
		args = append(args, a.OrgID)
	}
	for _, w := range []struct {
		cond, v string
	}{
		{"c.status = ?", string(f.Status)},
		{"c.scheme = ?", f.Scheme},
		{"c.product_id = ?", f.ProductID},
		{"c.firmware_id = ?", f.FirmwareID},
		{"c.label_id = ?", f.LabelID},
		{"c.id < ?", f.Before},
	} {
		if w.v != "" {
			b.WriteString(" AND " + w.cond)
			args = append(args, w.v)
		}
	}
	if f.Granted {
		b.WriteString(" AND c.granted_at IS NOT NULL")
	}
	b.WriteString(" ORDER BY c.id DESC LIMIT ?")
	args = append(args, limit(f.Limit, 100, 1000))
	return s.certifications(ctx, b.String(), args...)
}

func (s *Store) CertificationsForFirmware(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Certification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM firmware WHERE id = ? AND org_id = ?"), firmwareID, a.OrgID).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, iotsec.NotFound("firmware version")
	}
	return s.certifications(ctx, "SELECT "+certificationColumns+" FROM certifications c WHERE c.org_id = ? AND c.firmware_id = ? ORDER BY c.id DESC",
		a.OrgID, firmwareID)
}

const certEventColumns = "id, certification_id, from_status, to_status, reason, actor, actor_org_id, at, log_index"

func (s *Store) insertCertEvent(ctx context.Context, tx *sql.Tx, ev iotsec.CertificationEvent) error {
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO certification_events ("+certEventColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		ev.ID, ev.CertificationID, ev.From, ev.To, ev.Reason, ev.Actor, ev.ActorOrgID, s.t(ev.At), ev.LogIndex)
	if err != nil {
		return fmt.Errorf("insert certification event: %w", s.classify(err))
	}
	return nil
}

func (s *Store) CertificationHistory(ctx context.Context, a iotsec.Actor, id string) ([]iotsec.CertificationEvent, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if _, err := s.certification(ctx, nil, a.OrgID, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+certEventColumns+" FROM certification_events WHERE certification_id = ? ORDER BY id"), id)
	if err != nil {
		return nil, fmt.Errorf("certification history: %w", err)
	}
	return scanCertEvents(rows)
}

func (s *Store) PublicCertification(ctx context.Context, labelID string) (iotsec.PublicCertification, error) {
	return s.publicView(ctx, "c.label_id = ? AND c.granted_at IS NOT NULL", labelID)
}

func (s *Store) LabelState(ctx context.Context, labelID string) (iotsec.RecordStatus, string, error) {
	var st iotsec.RecordStatus
	var label string
	err := s.queryRow(ctx, nil, `SELECT status, label FROM certifications WHERE label_id = ? AND granted_at IS NOT NULL`, labelID).Scan(&st, &label)
	return st, label, notFound(err, "label")
}

// publicView reads the names and dates of one record selected by where.
func (s *Store) publicView(ctx context.Context, where string, arg any) (iotsec.PublicCertification, error) {
	var p iotsec.PublicCertification
	var reasons string
	err := s.queryRow(ctx, nil, `SELECT c.label_id, c.status, c.scheme, c.level, m.name, m.country, p.name, p.model, p.class, f.version, f.support_end,
		au.name, coalesce(l.name, ''), c.valid_from, c.valid_until, c.granted_at, c.updated_at, c.label,
		p.update_delivery, p.security_contact, EXISTS (SELECT 1 FROM sboms b WHERE b.firmware_id = c.firmware_id), c.reasons
		FROM certifications c
		JOIN orgs m ON m.id = c.org_id
		JOIN products p ON p.id = c.product_id
		JOIN firmware f ON f.id = c.firmware_id
		JOIN orgs au ON au.id = c.authority_org_id
		LEFT JOIN orgs l ON l.id = c.lab_org_id
		WHERE `+where, arg).
		Scan(&p.LabelID, &p.Status, &p.Scheme, &p.Level, &p.Maker, &p.MakerCountry, &p.Product, &p.Model, &p.ProductClass, &p.FirmwareVersion,
			dscan{&p.SupportEnd}, &p.Authority, &p.Lab, dscan{&p.ValidFrom}, dscan{&p.ValidUntil}, tscan{&p.GrantedAt}, tscan{&p.UpdatedAt}, &p.Label,
			&p.UpdateDelivery, &p.SecurityContact, &p.SBOM, &reasons)
	if err != nil {
		return p, notFound(err, "label")
	}
	if err := json.Unmarshal([]byte(reasons), &p.Reasons); err != nil {
		return p, fmt.Errorf("label %s: reasons: %w", p.LabelID, err)
	}
	return p, nil
}

// maxMoveReason bounds the reason of a status change.
const maxMoveReason = 2000

func (s *Store) MoveCertification(ctx context.Context, a iotsec.Actor, m iotsec.CertificationMove) (iotsec.Certification, iotsec.CertificationEvent, error) {
	var c iotsec.Certification
	var ev iotsec.CertificationEvent
	side := iotsec.MoveSide(m.To)
	perm := iotsec.PermCertify
	if side == iotsec.SideMaker {
		perm = iotsec.PermWriteProducts
	}
	if err := a.Can(perm); err != nil {
		return c, ev, err
	}
	if !m.To.Valid() {
		return c, ev, iotsec.Invalid("status", "must be one of %s", joinStatuses())
	}
	reason := strings.TrimSpace(m.Reason)
	if !utf8.ValidString(reason) || len(reason) > maxMoveReason || strings.ContainsRune(reason, 0) {
		return c, ev, iotsec.Invalid("reason", "must be valid text of at most %d bytes", maxMoveReason)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Take the log's lock before reading anything: moves then run one
		// at a time, so the record's status and the log's size read here
		// are still true at commit.
		if s.d.LockLog != "" {
			if _, err := tx.ExecContext(ctx, s.d.LockLog); err != nil {
				return fmt.Errorf("lock transparency log: %w", err)
			}
		}
		var err error
		if c, err = s.certification(ctx, tx, a.OrgID, m.ID); err != nil {
			return err
		}
		switch side {
		case iotsec.SideMaker:
			if c.OrgID != a.OrgID {
				return iotsec.Forbidden("only the maker may withdraw its certification")
			}
		case iotsec.SideAuthority:
			ok := c.AuthorityOrgID == a.OrgID
			if !ok {
				var n int
				if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM scheme_operators WHERE org_id = ? AND role = 'delegate' AND scheme = ? AND delegated_by = ?`),
					a.OrgID, c.Scheme, c.AuthorityOrgID).Scan(&n); err != nil {
					return err
				}
				ok = n > 0
			}
			if !ok {
				return iotsec.Forbidden("only the scheme's authority or its delegates may make a record %s", m.To)
			}
		}
		if !iotsec.CanMove(c.Status, m.To) {
			return iotsec.Conflict("a %s record cannot become %s", c.Status, m.To)
		}
		before, now := c, s.now()
		ev = iotsec.CertificationEvent{ID: s.ids.New(iotsec.PrefixCertEvent), CertificationID: c.ID, From: c.Status, To: m.To,
			Reason: reason, Actor: a.Name(), ActorOrgID: a.OrgID, At: now, LogIndex: -1}
		granted := before.GrantedAt
		if iotsec.IsGrant(before.Status, m.To) {
			granted = now
		}
		c.Status, c.UpdatedAt, c.GrantedAt = m.To, now, granted
		if m.To == iotsec.StatusCertified {
			c.Reasons = []string{}
		}
		if iotsec.IsGrant(before.Status, m.To) {
			c.RenewalRequestedAt = time.Time{} // granted: the application is answered
		}
		logged := c.Public()
		var size int64
		if logged {
			if m.Log.Leaf == nil || m.Log.Hashes == nil {
				return errors.New("move certification: a logged move needs its log callbacks")
			}
			if size, err = s.logSize(ctx, tx); err != nil {
				return err
			}
			ev.LogIndex = size
		}
		if m.Update != nil {
			if err := m.Update(&c, ev); err != nil {
				return err
			}
		}
		// The record's identity is not Update's to change.
		c.ID, c.OrgID, c.ProductID, c.FirmwareID, c.Scheme, c.Level = before.ID, before.OrgID, before.ProductID, before.FirmwareID, before.Scheme, before.Level
		c.AuthorityOrgID, c.LabelID, c.AppliedAt = before.AuthorityOrgID, before.LabelID, before.AppliedAt
		c.Status, c.UpdatedAt, c.GrantedAt = m.To, now, granted
		if iotsec.IsGrant(before.Status, m.To) {
			c.RenewalRequestedAt = time.Time{}
		}
		if err := c.CheckMove(); err != nil {
			return err
		}
		reasons, err := json.Marshal(c.Reasons)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE certifications SET status = ?, lab_org_id = ?, valid_from = ?, valid_until = ?, granted_at = ?,
			updated_at = ?, reasons = ?, label = ?, renewal_requested_at = ? WHERE id = ? AND status = ?`),
			c.Status, nullable(c.LabOrgID), s.date(c.ValidFrom), s.date(c.ValidUntil), s.t(c.GrantedAt), s.t(c.UpdatedAt), string(reasons), c.Label,
			s.t(c.RenewalRequestedAt), c.ID, before.Status)
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return iotsec.Invalid("lab_org_id", "is not an organisation")
			}
			return fmt.Errorf("update certification: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the record changed meanwhile")
		}
		if err := s.insertCertEvent(ctx, tx, ev); err != nil {
			return err
		}
		if logged {
			if err := s.appendLog(ctx, tx, size, m.Log, c, ev); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "registry."+string(m.To), c.ID, map[string]any{
			"from": before.Status, "to": m.To, "reason": reason, "maker_org_id": c.OrgID, "log_index": ev.LogIndex})
	})
	if err != nil {
		return iotsec.Certification{}, iotsec.CertificationEvent{}, err
	}
	return c, ev, nil
}

func joinStatuses() string {
	var s []string
	for _, v := range iotsec.RecordStatuses() {
		s = append(s, string(v))
	}
	return strings.Join(s, ", ")
}

// The transparency log.

// storedHashes is how many hashes a tree of n leaves stores
// (tlog.StoredHashIndex(0, n)): each leaf's own and one for every
// complete subtree it closes.
func storedHashes(n int64) int64 { return 2*n - int64(bits.OnesCount64(uint64(n))) }

func (s *Store) logSize(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	err := s.queryRow(ctx, tx, "SELECT coalesce(max(idx) + 1, 0) FROM translog_leaves").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("transparency log size: %w", err)
	}
	return n, nil
}

// appendLog stores leaf number n and the hashes it adds to the tree, inside
// the move's transaction, under the log's lock.
func (s *Store) appendLog(ctx context.Context, tx *sql.Tx, n int64, la iotsec.LogAppend, c iotsec.Certification, ev iotsec.CertificationEvent) error {
	var count int64
	if err := s.queryRow(ctx, tx, "SELECT coalesce(max(idx) + 1, 0) FROM translog_hashes").Scan(&count); err != nil {
		return fmt.Errorf("transparency log hashes: %w", err)
	}
	if count != storedHashes(n) {
		return fmt.Errorf("transparency log is torn: %d leaves but %d stored hashes, want %d", n, count, storedHashes(n))
	}
	leaf, err := la.Leaf(c, ev)
	if err != nil {
		return fmt.Errorf("transparency log leaf: %w", err)
	}
	hs, err := la.Hashes(n, leaf, func(indexes []int64) ([][]byte, error) { return s.readHashes(ctx, tx, indexes) })
	if err != nil {
		return fmt.Errorf("transparency log hashes: %w", err)
	}
	if want := storedHashes(n+1) - count; int64(len(hs)) != want {
		return fmt.Errorf("transparency log: appending leaf %d stores %d hashes, got %d", n, want, len(hs))
	}
	if _, err := s.exec(ctx, tx, "INSERT INTO translog_leaves (idx, data, at) VALUES (?, ?, ?)", n, leaf, s.t(ev.At)); err != nil {
		return fmt.Errorf("append transparency log leaf: %w", err)
	}
	for i, h := range hs {
		if _, err := s.exec(ctx, tx, "INSERT INTO translog_hashes (idx, hash) VALUES (?, ?)", count+int64(i), h); err != nil {
			return fmt.Errorf("append transparency log hash: %w", err)
		}
	}
	return nil
}

func (s *Store) LogSize(ctx context.Context) (int64, error) { return s.logSize(ctx, nil) }

func (s *Store) ReadLogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	return s.readHashes(ctx, nil, indexes)
}

// readHashes reads stored hashes in the order asked, inside tx when set.
func (s *Store) readHashes(ctx context.Context, tx *sql.Tx, indexes []int64) ([][]byte, error) {
	found := make(map[int64][]byte, len(indexes))
	read := func(cond string, args []any) error {
		query := s.q("SELECT idx, hash FROM translog_hashes WHERE idx " + cond)
		var rows *sql.Rows
		var err error
		if tx != nil {
			rows, err = tx.QueryContext(ctx, query, args...)
		} else {
			rows, err = s.db.QueryContext(ctx, query, args...)
		}
		if err != nil {
			return fmt.Errorf("read transparency log hashes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var i int64
			var h []byte
			if err := rows.Scan(&i, &h); err != nil {
				return err
			}
			found[i] = h
		}
		return rows.Err()
	}
	if s.d.Arrays {
		if err := read("= ANY(?)", []any{indexes}); err != nil {
			return nil, err
		}
	} else {
		for lo := 0; lo < len(indexes); lo += lookupChunk {
			part := indexes[lo:min(lo+lookupChunk, len(indexes))]
			args := make([]any, len(part))
			for i, v := range part {
				args[i] = v
			}
			if err := read("IN ("+placeholders(len(part))+")", args); err != nil {
				return nil, err
			}
		}
	}
	out := make([][]byte, len(indexes))
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok {
			return nil, iotsec.NotFound(fmt.Sprintf("transparency log hash %d", idx))
		}
		out[i] = h
	}
	return out, nil
}

// maxLogRecords bounds one read of log entries.
const maxLogRecords = 1000

func (s *Store) LogRecords(ctx context.Context, from, to int64) ([]iotsec.LogRecord, error) {
	if from < 0 || to < from {
		return nil, iotsec.Invalid("from", "the range must start at 0 or later and not end before it starts")
	}
	to = min(to, from+maxLogRecords)
	rows, err := s.db.QueryContext(ctx, s.q("SELECT idx, data, at FROM translog_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"), from, to)
	if err != nil {
		return nil, fmt.Errorf("read transparency log: %w", err)
	}
	defer rows.Close()
	out := []iotsec.LogRecord{}
	for rows.Next() {
		var r iotsec.LogRecord
		if err := rows.Scan(&r.Index, &r.Data, tscan{&r.At}); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) SaveCheckpoint(ctx context.Context, c iotsec.Checkpoint) error {
	if c.Size < 0 {
		return iotsec.Invalid("size", "must not be negative")
	}
	if c.Text == "" || !utf8.ValidString(c.Text) || len(c.Text) > 64<<10 {
		return iotsec.Invalid("text", "must be the checkpoint's text, at most 64 KiB")
	}
	c.At = s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		n, err := s.logSize(ctx, tx)
		if err != nil {
			return err
		}
		if c.Size > n {
			return iotsec.Invalid("size", "the log has %d entries, not %d", n, c.Size)
		}
		_, err = tx.ExecContext(ctx, s.q("INSERT INTO translog_checkpoints (size, text, at) VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING"), c.Size, c.Text, s.t(c.At))
		if err != nil {
			return fmt.Errorf("save checkpoint: %w", err)
		}
		return nil
	})
}

func (s *Store) checkpoint(ctx context.Context, query string, args ...any) (iotsec.Checkpoint, error) {
	var c iotsec.Checkpoint
	err := s.db.QueryRowContext(ctx, s.q("SELECT size, text, at FROM translog_checkpoints "+query), args...).Scan(&c.Size, &c.Text, tscan{&c.At})
	return c, notFound(err, "checkpoint")
}

func (s *Store) LatestCheckpoint(ctx context.Context) (iotsec.Checkpoint, error) {
	return s.checkpoint(ctx, "ORDER BY size DESC LIMIT 1")
}

func (s *Store) CheckpointAt(ctx context.Context, size int64) (iotsec.Checkpoint, error) {
	return s.checkpoint(ctx, "WHERE size = ?", size)
}

// Label signing keys.

const registryKeyColumns = "kid, org_id, alg, public_jwk, created_at, retired_at"

func scanRegistryKey(sc rowScanner, sealed bool) (iotsec.RegistryKey, error) {
	var k iotsec.RegistryKey
	dest := []any{&k.KID, &k.OrgID, &k.Alg, &k.PublicJWK, tscan{&k.CreatedAt}, tscan{&k.RetiredAt}}
	if sealed {
		dest = append(dest, &k.Sealed)
	}
	err := sc.Scan(dest...)
	return k, err
}

func (s *Store) AddRegistryKey(ctx context.Context, a iotsec.Actor, k *iotsec.RegistryKey) error {
	if err := a.Can(iotsec.PermCertify); err != nil {
		return err
	}
	if err := k.Normalize(); err != nil {
		return err
	}
	k.OrgID, k.CreatedAt, k.RetiredAt = a.OrgID, s.now(), time.Time{}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO registry_keys (kid, org_id, alg, public_jwk, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
			k.KID, k.OrgID, k.Alg, k.PublicJWK, k.Sealed, s.t(k.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "kid", Message: "a key with this ID exists already"}
			}
			return fmt.Errorf("insert registry key: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "registry.key.add", k.KID, map[string]any{"alg": k.Alg})
	})
}

func (s *Store) ListRegistryKeys(ctx context.Context, orgID string) ([]iotsec.RegistryKey, error) {
	query, args := "SELECT "+registryKeyColumns+" FROM registry_keys", []any{}
	if orgID != "" {
		query, args = query+" WHERE org_id = ?", append(args, orgID)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+" ORDER BY created_at, kid"), args...)
	if err != nil {
		return nil, fmt.Errorf("list registry keys: %w", err)
	}
	defer rows.Close()
	out := []iotsec.RegistryKey{}
	for rows.Next() {
		k, err := scanRegistryKey(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Store) RetireRegistryKey(ctx context.Context, a iotsec.Actor, kid string) error {
	if err := a.Can(iotsec.PermCertify); err != nil {
		return err
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE registry_keys SET retired_at = ? WHERE kid = ? AND org_id = ? AND retired_at IS NULL"), s.t(now), kid, a.OrgID)
		if err != nil {
			return fmt.Errorf("retire registry key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM registry_keys WHERE kid = ? AND org_id = ?"), kid, a.OrgID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return iotsec.NotFound("key")
			}
			return iotsec.Conflict("the key is retired already")
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "registry.key.retire", kid, nil)
	})
}

func (s *Store) ActiveRegistryKey(ctx context.Context, a iotsec.Actor) (iotsec.RegistryKey, error) {
	if err := a.Can(iotsec.PermCertify); err != nil {
		return iotsec.RegistryKey{}, err
	}
	k, err := scanRegistryKey(s.db.QueryRowContext(ctx, s.q("SELECT "+registryKeyColumns+", sealed FROM registry_keys WHERE org_id = ? AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1"), a.OrgID), true)
	return k, notFound(err, "active signing key")
}

func (s *Store) CertificationView(ctx context.Context, a iotsec.Actor, id string) (iotsec.PublicCertification, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.PublicCertification{}, err
	}
	c, err := s.certification(ctx, nil, a.OrgID, id)
	if err != nil {
		return iotsec.PublicCertification{}, err
	}
	return s.publicView(ctx, "c.id = ?", c.ID)
}

func (s *Store) RequestRenewal(ctx context.Context, a iotsec.Actor, id string) (iotsec.Certification, error) {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return iotsec.Certification{}, err
	}
	var c iotsec.Certification
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.certification(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if c.OrgID != a.OrgID {
			return iotsec.Forbidden("only the maker applies for renewal")
		}
		if c.Status != iotsec.StatusCertified && c.Status != iotsec.StatusExpired {
			return iotsec.Conflict("a %s record is not renewed; only a certified or expired one is", c.Status)
		}
		if !c.RenewalRequestedAt.IsZero() {
			return nil // applied already: once is enough
		}
		c.RenewalRequestedAt = s.now()
		if _, err := tx.ExecContext(ctx, s.q("UPDATE certifications SET renewal_requested_at = ? WHERE id = ?"), s.t(c.RenewalRequestedAt), c.ID); err != nil {
			return fmt.Errorf("request renewal: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "registry.renewal-requested", c.ID, map[string]any{
			"authority_org_id": c.AuthorityOrgID, "valid_until": c.ValidUntil})
	})
	if err != nil {
		return iotsec.Certification{}, err
	}
	return c, nil
}

func (s *Store) DueCertifications(ctx context.Context, day iotsec.Date, limit int) ([]iotsec.DueCertification, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+certificationColumns+`, f.support_end FROM certifications c JOIN firmware f ON f.id = c.firmware_id
		WHERE c.status IN ('certified', 'under-review', 'suspended') AND (c.valid_until < ? OR f.support_end < ?)
		ORDER BY c.valid_until, c.id LIMIT ?`), s.date(day), s.date(day), limit)
	if err != nil {
		return nil, fmt.Errorf("due certifications: %w", err)
	}
	defer rows.Close()
	out := []iotsec.DueCertification{}
	for rows.Next() {
		var d iotsec.DueCertification
		var reasons string
		c := &d.Certification
		if err := rows.Scan(&c.ID, &c.OrgID, &c.ProductID, &c.FirmwareID, &c.Scheme, &c.Level, &c.AuthorityOrgID, &c.LabOrgID,
			&c.Status, &c.LabelID, dscan{&c.ValidFrom}, dscan{&c.ValidUntil}, tscan{&c.AppliedAt}, tscan{&c.GrantedAt}, tscan{&c.UpdatedAt}, &reasons, &c.Label,
			tscan{&c.RenewalRequestedAt}, dscan{&d.SupportEnd}); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
			return nil, fmt.Errorf("certification %s: reasons: %w", c.ID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Store) SetCertificationLabel(ctx context.Context, a iotsec.Actor, id, label string) error {
	if a.Can(iotsec.PermCertify) != nil {
		if err := a.Can(iotsec.PermWriteProducts); err != nil {
			return err
		}
	}
	if len(label) > 64<<10 || !utf8.ValidString(label) {
		return iotsec.Invalid("label", "must be text of at most 64 KiB")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		c, err := s.certification(ctx, tx, a.OrgID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE certifications SET label = ? WHERE id = ?"), label, c.ID); err != nil {
			return fmt.Errorf("set certification label: %w", err)
		}
		return nil
	})
}

// The transparency log's signing key.

func (s *Store) AddLogKey(ctx context.Context, k iotsec.LogKey) (iotsec.LogKey, error) {
	if k.Origin == "" || k.VerifierKey == "" || len(k.Sealed) == 0 {
		return iotsec.LogKey{}, iotsec.Invalid("origin", "a log key needs its origin, verifier key and sealed signer key")
	}
	k.CreatedAt = s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO translog_keys (origin, verifier_key, sealed, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO NOTHING"),
			k.Origin, k.VerifierKey, k.Sealed, s.t(k.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert log key: %w", err)
		}
		return nil
	})
	if err != nil {
		return iotsec.LogKey{}, err
	}
	return s.LogKey(ctx, k.Origin)
}

func (s *Store) LogKey(ctx context.Context, origin string) (iotsec.LogKey, error) {
	var k iotsec.LogKey
	err := s.db.QueryRowContext(ctx, s.q("SELECT origin, verifier_key, sealed, created_at FROM translog_keys WHERE origin = ?"), origin).
		Scan(&k.Origin, &k.VerifierKey, &k.Sealed, tscan{&k.CreatedAt})
	return k, notFound(err, "log key")
}

// scanCertEvents reads rows of certEventColumns and closes them.
func scanCertEvents(rows *sql.Rows) ([]iotsec.CertificationEvent, error) {
	defer rows.Close()
	out := []iotsec.CertificationEvent{}
	for rows.Next() {
		var ev iotsec.CertificationEvent
		if err := rows.Scan(&ev.ID, &ev.CertificationID, &ev.From, &ev.To, &ev.Reason, &ev.Actor, &ev.ActorOrgID, tscan{&ev.At}, &ev.LogIndex); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
