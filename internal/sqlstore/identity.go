package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Trust anchors.

const anchorColumns = "id, org_id, kind, name, subject, fingerprint, not_before, not_after, der, crl, crl_next_update, created_at"

func scanAnchor(sc interface{ Scan(...any) error }) (iotsec.TrustAnchor, error) {
	var t iotsec.TrustAnchor
	err := sc.Scan(&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.Subject, &t.Fingerprint, tscan{&t.NotBefore}, tscan{&t.NotAfter},
		&t.DER, &t.CRL, tscan{&t.CRLNextUpdate}, tscan{&t.CreatedAt})
	return t, err
}

func (s *Store) AddAnchor(ctx context.Context, a iotsec.Actor, t *iotsec.TrustAnchor) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if err := t.Normalize(); err != nil {
		return err
	}
	t.ID, t.OrgID, t.CreatedAt = s.ids.New(iotsec.PrefixAnchor), a.OrgID, s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO trust_anchors (id, org_id, kind, name, subject, fingerprint, not_before, not_after, der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			t.ID, t.OrgID, t.Kind, t.Name, t.Subject, t.Fingerprint, s.t(t.NotBefore), s.t(t.NotAfter), t.DER, s.t(t.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "pem", Message: "this certificate is registered already"}
			}
			return fmt.Errorf("insert trust anchor: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.anchor.add", t.ID, map[string]any{"kind": t.Kind, "subject": t.Subject, "fingerprint": t.Fingerprint})
	})
}

func (s *Store) GetAnchor(ctx context.Context, a iotsec.Actor, id string) (iotsec.TrustAnchor, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.TrustAnchor{}, err
	}
	t, err := scanAnchor(s.db.QueryRowContext(ctx, s.q("SELECT "+anchorColumns+" FROM trust_anchors WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return t, notFound(err, "trust anchor")
}

func (s *Store) ListAnchors(ctx context.Context, a iotsec.Actor) ([]iotsec.TrustAnchor, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, nil, "SELECT "+anchorColumns+" FROM trust_anchors WHERE org_id = ? ORDER BY id", a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list trust anchors: %w", err)
	}
	defer rows.Close()
	out := []iotsec.TrustAnchor{}
	for rows.Next() {
		t, err := scanAnchor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) SetAnchorCRL(ctx context.Context, a iotsec.Actor, id string, der []byte, nextUpdate time.Time) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if len(der) == 0 {
		return iotsec.Invalid("crl", "is required")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE trust_anchors SET crl = ?, crl_next_update = ? WHERE id = ? AND org_id = ?"), der, s.t(nextUpdate), id, a.OrgID)
		if err != nil {
			return fmt.Errorf("set anchor CRL: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("trust anchor")
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.anchor.crl", id, map[string]any{"next_update": nextUpdate.UTC().Format(time.RFC3339)})
	})
}

func (s *Store) DeleteAnchor(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanAnchor(tx.QueryRowContext(ctx, s.q("SELECT "+anchorColumns+" FROM trust_anchors WHERE id = ? AND org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "trust anchor")
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM trust_anchors WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete trust anchor: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.anchor.delete", id, map[string]any{"subject": t.Subject, "fingerprint": t.Fingerprint})
	})
}

// Certificate authorities.

const caColumns = "id, org_id, label, subject, algorithm, fingerprint, not_before, not_after, der, sealed_key, created_at"

func scanCA(sc interface{ Scan(...any) error }) (iotsec.CertAuthority, error) {
	var c iotsec.CertAuthority
	err := sc.Scan(&c.ID, &c.OrgID, &c.Label, &c.Subject, &c.Algorithm, &c.Fingerprint, tscan{&c.NotBefore}, tscan{&c.NotAfter},
		&c.DER, &c.SealedKey, tscan{&c.CreatedAt})
	return c, err
}

func (s *Store) CreateCA(ctx context.Context, a iotsec.Actor, c *iotsec.CertAuthority) error {
	if err := a.Can(iotsec.PermManageCA); err != nil {
		return err
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	c.ID, c.OrgID, c.CreatedAt = s.ids.New(iotsec.PrefixCA), a.OrgID, s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM cas WHERE org_id = ?"), a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("this organisation has a certificate authority already")
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO cas (id, org_id, label, subject, algorithm, fingerprint, not_before, not_after, der, sealed_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			c.ID, c.OrgID, c.Label, c.Subject, c.Algorithm, c.Fingerprint, s.t(c.NotBefore), s.t(c.NotAfter), c.DER, c.SealedKey, s.t(c.CreatedAt))
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return &iotsec.Error{Kind: iotsec.ErrConflict, Field: "label", Message: fmt.Sprintf("the CA label %q is taken", c.Label)}
			}
			return fmt.Errorf("insert CA: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.ca.create", c.ID, map[string]any{"label": c.Label, "subject": c.Subject, "algorithm": c.Algorithm, "fingerprint": c.Fingerprint})
	})
}

func (s *Store) GetCA(ctx context.Context, a iotsec.Actor) (iotsec.CertAuthority, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.CertAuthority{}, err
	}
	c, err := scanCA(s.queryRow(ctx, nil, "SELECT "+caColumns+" FROM cas WHERE org_id = ?", a.OrgID))
	return c, notFound(err, "certificate authority")
}

func (s *Store) CAByLabel(ctx context.Context, label string) (iotsec.CertAuthority, error) {
	c, err := scanCA(s.db.QueryRowContext(ctx, s.q("SELECT "+caColumns+" FROM cas WHERE label = ?"), label))
	return c, notFound(err, "certificate authority")
}

func (s *Store) ListCAs(ctx context.Context) ([]iotsec.CertAuthority, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+caColumns+" FROM cas ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list CAs: %w", err)
	}
	defer rows.Close()
	var out []iotsec.CertAuthority
	for rows.Next() {
		c, err := scanCA(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Device certificates.

// certFrom joins the device only while it belongs to the certificate's
// organisation, so a seller never sees the buyer's device through its old
// certificates.
const (
	certColumns = `c.id, c.org_id, c.device_id, c.kind, c.profile, coalesce(c.ca_id, ''), c.serial, c.subject, c.issuer, c.fingerprint,
		c.key_fingerprint, c.not_before, c.not_after, c.status, c.revoked_at, c.reason, c.via, c.der, c.created_at,
		coalesce(d.uid, ''), coalesce(d.state, '')`
	certFrom = " FROM device_certs c LEFT JOIN devices d ON d.id = c.device_id AND d.org_id = c.org_id "
)

func scanCert(sc interface{ Scan(...any) error }) (iotsec.DeviceCert, error) {
	var c iotsec.DeviceCert
	err := sc.Scan(&c.ID, &c.OrgID, &c.DeviceID, &c.Kind, &c.Profile, &c.CAID, &c.Serial, &c.Subject, &c.Issuer, &c.Fingerprint,
		&c.KeyFingerprint, tscan{&c.NotBefore}, tscan{&c.NotAfter}, &c.Status, tscan{&c.RevokedAt}, &c.Reason, &c.Via, &c.DER, tscan{&c.CreatedAt},
		&c.DeviceUID, &c.DeviceState)
	return c, err
}

func (s *Store) certs(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]iotsec.DeviceCert, error) {
	rows, err := s.query(ctx, tx, "SELECT "+certColumns+certFrom+"WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read certificates: %w", err)
	}
	defer rows.Close()
	out := []iotsec.DeviceCert{}
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// deviceState reads the state of a device of org, inside tx.
func (s *Store) deviceState(ctx context.Context, tx *sql.Tx, org, id string) (iotsec.State, error) {
	st, _, err := s.deviceStateUID(ctx, tx, org, id)
	return st, err
}

func (s *Store) deviceStateUID(ctx context.Context, tx *sql.Tx, org, id string) (iotsec.State, string, error) {
	var st iotsec.State
	var uid string
	err := s.queryRow(ctx, tx, "SELECT state, uid FROM devices WHERE id = ? AND org_id = ?", id, org).Scan(&st, &uid)
	return st, uid, notFound(err, "device")
}

// insertCert writes c, whose fields are set, inside tx.
func (s *Store) insertCert(ctx context.Context, tx *sql.Tx, c *iotsec.DeviceCert) error {
	_, err := s.exec(ctx, tx, `INSERT INTO device_certs (id, org_id, device_id, kind, profile, ca_id, serial, subject, issuer, fingerprint,
		key_fingerprint, not_before, not_after, status, revoked_at, reason, via, der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrgID, c.DeviceID, c.Kind, c.Profile, nullString(c.CAID), c.Serial, c.Subject, c.Issuer, c.Fingerprint,
		c.KeyFingerprint, s.t(c.NotBefore), s.t(c.NotAfter), c.Status, s.t(c.RevokedAt), c.Reason, c.Via, c.DER, s.t(c.CreatedAt))
	if err != nil {
		if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
			if c.Kind == iotsec.CertIDevID {
				return iotsec.Conflict("the device has an onboarding identity already; it is immutable")
			}
			return iotsec.Conflict("the CA has issued serial %s already", c.Serial)
		}
		return fmt.Errorf("insert certificate: %w", err)
	}
	return nil
}

// checkCA makes sure an LDevID names the organisation's own CA.
func (s *Store) checkCA(ctx context.Context, tx *sql.Tx, org string, c *iotsec.DeviceCert) error {
	if c.Kind != iotsec.CertLDevID {
		c.CAID = ""
		return nil
	}
	var n int
	if err := s.queryRow(ctx, tx, "SELECT count(*) FROM cas WHERE id = ? AND org_id = ?", c.CAID, org).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return iotsec.Invalid("ca_id", "no CA %q in this organisation", c.CAID)
	}
	return nil
}

func (s *Store) AddCertificate(ctx context.Context, a iotsec.Actor, c *iotsec.DeviceCert) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if err := c.Normalize(); err != nil {
		return err
	}
	c.ID, c.OrgID, c.CreatedAt = s.ids.New(iotsec.PrefixCert), a.OrgID, s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, uid, err := s.deviceStateUID(ctx, tx, a.OrgID, c.DeviceID)
		if err != nil {
			return err
		}
		if err := s.checkCA(ctx, tx, a.OrgID, c); err != nil {
			return err
		}
		if err := s.insertCert(ctx, tx, c); err != nil {
			return err
		}
		c.DeviceState, c.DeviceUID = st, uid
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.cert.add", c.DeviceID, map[string]any{
			"certificate": c.ID, "kind": c.Kind, "serial": c.Serial, "subject": c.Subject, "fingerprint": c.Fingerprint, "via": c.Via})
	})
}

func (s *Store) GetCertificate(ctx context.Context, a iotsec.Actor, id string) (iotsec.DeviceCert, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.DeviceCert{}, err
	}
	c, err := scanCert(s.db.QueryRowContext(ctx, s.q("SELECT "+certColumns+certFrom+"WHERE c.id = ? AND c.org_id = ?"), id, a.OrgID))
	return c, notFound(err, "certificate")
}

func (s *Store) ListCertificates(ctx context.Context, a iotsec.Actor, f iotsec.CertFilter) ([]iotsec.DeviceCert, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	where, args := "c.org_id = ?", []any{a.OrgID}
	add := func(cond string, v any) {
		where += " AND " + cond
		args = append(args, v)
	}
	if f.DeviceID != "" {
		add("c.device_id = ?", f.DeviceID)
	}
	if f.Kind != "" {
		add("c.kind = ?", f.Kind)
	}
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	if f.After != "" {
		add("c.id > ?", f.After)
	}
	args = append(args, limit(f.Limit, 100, 1000))
	return s.certs(ctx, nil, where+" ORDER BY c.id LIMIT ?", args...)
}

func (s *Store) RevokeCertificate(ctx context.Context, a iotsec.Actor, id string, reason iotsec.RevocationReason) (iotsec.DeviceCert, error) {
	var out iotsec.DeviceCert
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return out, err
	}
	if reason == "" {
		reason = iotsec.ReasonUnspecified
	}
	if !reason.Valid() {
		return out, iotsec.Invalid("reason", "must be one of %s", joinReasons())
	}
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCert(tx.QueryRowContext(ctx, s.q("SELECT "+certColumns+certFrom+"WHERE c.id = ? AND c.org_id = ?"), id, a.OrgID))
		if err != nil {
			return notFound(err, "certificate")
		}
		if c.Status == iotsec.CertRevoked {
			return iotsec.Conflict("the certificate was revoked on %s", c.RevokedAt.Format(time.RFC3339))
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE device_certs SET status = ?, revoked_at = ?, reason = ? WHERE id = ?"),
			iotsec.CertRevoked, s.t(now), reason, id); err != nil {
			return fmt.Errorf("revoke certificate: %w", err)
		}
		if c.CAID != "" {
			if err := s.bumpCRL(ctx, tx, c.OrgID); err != nil {
				return err
			}
		}
		c.Status, c.RevokedAt, c.Reason = iotsec.CertRevoked, now, reason
		out = c
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.cert.revoke", c.DeviceID, map[string]any{
			"certificate": c.ID, "kind": c.Kind, "serial": c.Serial, "reason": reason})
	})
	return out, err
}

func joinReasons() string {
	var b strings.Builder
	for i, r := range iotsec.RevocationReasons() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(r))
	}
	return b.String()
}

// bumpCRL marks the organisation's CA's CRL stale.
func (s *Store) bumpCRL(ctx context.Context, tx *sql.Tx, org string) error {
	if _, err := tx.ExecContext(ctx, s.q("UPDATE cas SET crl_version = crl_version + 1 WHERE org_id = ?"), org); err != nil {
		return fmt.Errorf("bump CRL version: %w", err)
	}
	return nil
}

func (s *Store) CertificatesByFingerprint(ctx context.Context, fingerprint string) ([]iotsec.DeviceCert, error) {
	return s.certs(ctx, nil, "c.fingerprint = ? ORDER BY c.id LIMIT 100", fingerprint)
}

func (s *Store) CertificateBySerial(ctx context.Context, caID, serial string) (iotsec.DeviceCert, error) {
	c, err := scanCert(s.db.QueryRowContext(ctx, s.q("SELECT "+certColumns+certFrom+"WHERE c.ca_id = ? AND c.serial = ?"), caID, serial))
	return c, notFound(err, "certificate")
}

// CRLs.

func (s *Store) PrepareCRL(ctx context.Context, caID string, now time.Time) (iotsec.CRLBasis, error) {
	var b iotsec.CRLBasis
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The UPDATE locks the CA's row, which every revocation also
		// updates: a number is allocated either before a revocation
		// commits or after it, with the list read accordingly, so a
		// higher number never lists less.
		err := tx.QueryRowContext(ctx, s.q("UPDATE cas SET crl_number = crl_number + 1 WHERE id = ? RETURNING crl_number, crl_version"), caID).Scan(&b.Number, &b.Version)
		if err != nil {
			return notFound(err, "certificate authority")
		}
		b.Revoked, err = s.certs(ctx, tx, "c.ca_id = ? AND c.status IN (?, ?) AND c.not_after > ? ORDER BY c.id",
			caID, iotsec.CertRevoked, iotsec.CertHold, s.t(now))
		return err
	})
	return b, err
}

// crlsKept is how many CRLs of a CA are kept; older ones go when a new one
// is saved.
const crlsKept = 10

func (s *Store) SaveCRL(ctx context.Context, c iotsec.CRL) error {
	if len(c.DER) == 0 || c.Number <= 0 || c.ThisUpdate.IsZero() || c.NextUpdate.IsZero() {
		return iotsec.Invalid("crl", "a CRL needs its number, DER and validity")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO crls (ca_id, number, version, this_update, next_update, der) VALUES (?, ?, ?, ?, ?, ?)"),
			c.CAID, c.Number, c.Version, s.t(c.ThisUpdate), s.t(c.NextUpdate), c.DER)
		if err != nil {
			return fmt.Errorf("save CRL: %w", s.classify(err))
		}
		_, err = tx.ExecContext(ctx, s.q("DELETE FROM crls WHERE ca_id = ? AND number <= ?"), c.CAID, c.Number-crlsKept)
		return err
	})
}

func (s *Store) LatestCRL(ctx context.Context, caID string) (iotsec.CRL, int64, error) {
	var version int64
	if err := s.db.QueryRowContext(ctx, s.q("SELECT crl_version FROM cas WHERE id = ?"), caID).Scan(&version); err != nil {
		return iotsec.CRL{}, 0, notFound(err, "certificate authority")
	}
	c := iotsec.CRL{CAID: caID}
	err := s.db.QueryRowContext(ctx, s.q("SELECT number, version, this_update, next_update, der FROM crls WHERE ca_id = ? ORDER BY number DESC LIMIT 1"), caID).
		Scan(&c.Number, &c.Version, tscan{&c.ThisUpdate}, tscan{&c.NextUpdate}, &c.DER)
	return c, version, notFound(err, "CRL")
}

// Enrolment tokens.

const enrolTokenColumns = "id, org_id, device_id, hash, expires_at, used_at, created_by, created_at"

func scanEnrolToken(sc interface{ Scan(...any) error }) (iotsec.EnrolToken, error) {
	var t iotsec.EnrolToken
	err := sc.Scan(&t.ID, &t.OrgID, &t.DeviceID, &t.Hash, tscan{&t.ExpiresAt}, tscan{&t.UsedAt}, &t.CreatedBy, tscan{&t.CreatedAt})
	return t, err
}

func (s *Store) CreateEnrolToken(ctx context.Context, a iotsec.Actor, t *iotsec.EnrolToken) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if len(t.Hash) == 0 {
		return iotsec.Invalid("hash", "is required")
	}
	t.ID, t.OrgID, t.CreatedBy, t.CreatedAt = s.ids.New(iotsec.PrefixEnrolToken), a.OrgID, a.Name(), s.now()
	if t.ExpiresAt.IsZero() || !t.ExpiresAt.After(t.CreatedAt) {
		return iotsec.Invalid("expires_at", "must be in the future")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.deviceState(ctx, tx, a.OrgID, t.DeviceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO enrol_tokens (id, org_id, device_id, hash, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
			t.ID, t.OrgID, t.DeviceID, t.Hash, s.t(t.ExpiresAt), t.CreatedBy, s.t(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert enrolment token: %w", s.classify(err))
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.token.create", t.DeviceID, map[string]any{"token": t.ID, "expires_at": t.ExpiresAt.Format(time.RFC3339)})
	})
}

func (s *Store) ListEnrolTokens(ctx context.Context, a iotsec.Actor, deviceID string) ([]iotsec.EnrolToken, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+enrolTokenColumns+" FROM enrol_tokens WHERE org_id = ? AND device_id = ? ORDER BY id"), a.OrgID, deviceID)
	if err != nil {
		return nil, fmt.Errorf("list enrolment tokens: %w", err)
	}
	defer rows.Close()
	out := []iotsec.EnrolToken{}
	for rows.Next() {
		t, err := scanEnrolToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) EnrolTokenByHash(ctx context.Context, hash []byte, now time.Time) (iotsec.EnrolToken, error) {
	t, err := scanEnrolToken(s.db.QueryRowContext(ctx, s.q("SELECT "+enrolTokenColumns+" FROM enrol_tokens WHERE hash = ? AND used_at IS NULL AND expires_at > ?"), hash, s.t(now)))
	return t, notFound(err, "enrolment token")
}

func (s *Store) RecordEnrolment(ctx context.Context, a iotsec.Actor, e *iotsec.Enrolment) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	c := e.Cert
	if c == nil || c.Kind != iotsec.CertLDevID {
		return iotsec.Invalid("kind", "an enrolment records an LDevID")
	}
	c.DeviceID = e.DeviceID
	if err := c.Normalize(); err != nil {
		return err
	}
	now := s.now()
	c.ID, c.OrgID, c.CreatedAt = s.ids.New(iotsec.PrefixCert), a.OrgID, now
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, uid, err := s.deviceStateUID(ctx, tx, a.OrgID, e.DeviceID)
		if err != nil {
			return err
		}
		c.DeviceUID = uid
		if !slices.Contains(e.From, st) {
			return iotsec.Conflict("the device is %s; it may not enrol", st)
		}
		if len(e.TokenHash) > 0 {
			// One UPDATE checks and spends the token, so two enrolments
			// racing with it cannot both win.
			res, err := tx.ExecContext(ctx, s.q("UPDATE enrol_tokens SET used_at = ? WHERE hash = ? AND org_id = ? AND device_id = ? AND used_at IS NULL AND expires_at > ?"),
				s.t(now), e.TokenHash, a.OrgID, e.DeviceID, s.t(now))
			if err != nil {
				return fmt.Errorf("spend enrolment token: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return iotsec.Errorf(iotsec.ErrUnauthorized, "the enrolment token is unknown, spent or expired")
			}
		}
		if err := s.checkCA(ctx, tx, a.OrgID, c); err != nil {
			return err
		}
		if err := s.insertCert(ctx, tx, c); err != nil {
			return err
		}
		c.DeviceState = st
		if e.To != "" && e.To != st {
			t := iotsec.Transition{DeviceID: e.DeviceID, Event: iotsec.EventEnrolment, From: st, To: e.To, Note: "enrolled via " + c.Via}
			if err := s.move(ctx, tx, a, &t, now); err != nil {
				return err
			}
			c.DeviceState = e.To
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "identity.enrol", e.DeviceID, map[string]any{
			"certificate": c.ID, "serial": c.Serial, "subject": c.Subject, "via": c.Via})
	})
}

// Lifecycle.

const transitionColumns = "id, org_id, device_id, event, from_state, to_state, credentials, changed, evidence, note, actor, at"

func scanTransition(sc interface{ Scan(...any) error }) (iotsec.Transition, error) {
	var t iotsec.Transition
	err := sc.Scan(&t.ID, &t.OrgID, &t.DeviceID, &t.Event, &t.From, &t.To, &t.Credentials, &t.Changed, &t.Evidence, &t.Note, &t.Actor, tscan{&t.At})
	return t, err
}

// move changes the device's state from t.From to t.To, applies t's
// credential action and records t, inside tx.
func (s *Store) move(ctx context.Context, tx *sql.Tx, a iotsec.Actor, t *iotsec.Transition, now time.Time) error {
	if err := t.Normalize(); err != nil {
		return err
	}
	if t.Event == "" {
		t.Event = iotsec.EventTransition
	}
	t.ID, t.OrgID, t.Actor, t.At = s.ids.New(iotsec.PrefixTransition), a.OrgID, a.Name(), now
	res, err := tx.ExecContext(ctx, s.q("UPDATE devices SET state = ?, updated_at = ? WHERE id = ? AND org_id = ? AND state = ?"), t.To, s.t(now), t.DeviceID, a.OrgID, t.From)
	if err != nil {
		return fmt.Errorf("move device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return iotsec.Conflict("the device is no longer %s", t.From)
	}
	var q string
	var args []any
	const scope = " WHERE device_id = ? AND org_id = ? AND kind = 'ldevid' AND "
	switch t.Credentials {
	case iotsec.HoldCredentials:
		q, args = "UPDATE device_certs SET status = ?, revoked_at = ?, reason = ?"+scope+"status = ?",
			[]any{iotsec.CertHold, s.t(now), iotsec.ReasonCertificateHold, t.DeviceID, a.OrgID, iotsec.CertActive}
	case iotsec.ReleaseCredentials:
		q, args = "UPDATE device_certs SET status = ?, revoked_at = NULL, reason = ''"+scope+"status = ?",
			[]any{iotsec.CertActive, t.DeviceID, a.OrgID, iotsec.CertHold}
	case iotsec.RevokeCredentials:
		q, args = "UPDATE device_certs SET status = ?, revoked_at = ?, reason = ?"+scope+"status IN (?, ?)",
			[]any{iotsec.CertRevoked, s.t(now), t.RevokeReason, t.DeviceID, a.OrgID, iotsec.CertActive, iotsec.CertHold}
	}
	if q != "" {
		res, err := tx.ExecContext(ctx, s.q(q), args...)
		if err != nil {
			return fmt.Errorf("%s certificates: %w", t.Credentials, err)
		}
		n, _ := res.RowsAffected()
		t.Changed = int(n)
		if n > 0 {
			if err := s.bumpCRL(ctx, tx, a.OrgID); err != nil {
				return err
			}
		}
	}
	if err := s.insertTransition(ctx, tx, t); err != nil {
		return err
	}
	details := map[string]any{"from": t.From, "to": t.To, "event": t.Event, "credentials": t.Credentials, "certificates_changed": t.Changed}
	if t.Evidence != "" {
		details["evidence"] = t.Evidence
	}
	if t.Note != "" {
		details["note"] = t.Note
	}
	return s.audit(ctx, tx, a.OrgID, a.Name(), "device.transition", t.DeviceID, details)
}

func (s *Store) insertTransition(ctx context.Context, tx *sql.Tx, t *iotsec.Transition) error {
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO device_transitions ("+transitionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		t.ID, t.OrgID, t.DeviceID, t.Event, t.From, t.To, t.Credentials, t.Changed, t.Evidence, t.Note, t.Actor, s.t(t.At))
	if err != nil {
		return fmt.Errorf("record transition: %w", err)
	}
	return nil
}

func (s *Store) TransitionDevice(ctx context.Context, a iotsec.Actor, t *iotsec.Transition) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if err := t.Normalize(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := s.deviceState(ctx, tx, a.OrgID, t.DeviceID)
		if err != nil {
			return err
		}
		if st != t.From {
			return iotsec.Conflict("the device is %s, not %s", st, t.From)
		}
		return s.move(ctx, tx, a, t, s.now())
	})
}

func (s *Store) ListTransitions(ctx context.Context, a iotsec.Actor, deviceID string) ([]iotsec.Transition, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+transitionColumns+" FROM device_transitions WHERE org_id = ? AND device_id = ? ORDER BY id"), a.OrgID, deviceID)
	if err != nil {
		return nil, fmt.Errorf("list transitions: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Transition{}
	for rows.Next() {
		t, err := scanTransition(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Transfers.

func (s *Store) OfferTransfer(ctx context.Context, a iotsec.Actor, t *iotsec.Transfer) error {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return err
	}
	if len(t.Hash) == 0 {
		return iotsec.Invalid("hash", "is required")
	}
	t.ID, t.OrgID, t.CreatedBy, t.CreatedAt = s.ids.New(iotsec.PrefixTransfer), a.OrgID, a.Name(), s.now()
	if !t.ExpiresAt.After(t.CreatedAt) {
		return iotsec.Invalid("expires_at", "must be in the future")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.deviceState(ctx, tx, a.OrgID, t.DeviceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO device_transfers (id, org_id, device_id, hash, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
			t.ID, t.OrgID, t.DeviceID, t.Hash, s.t(t.ExpiresAt), t.CreatedBy, s.t(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert transfer: %w", s.classify(err))
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "device.transfer.offer", t.DeviceID, map[string]any{"transfer": t.ID, "expires_at": t.ExpiresAt.Format(time.RFC3339)})
	})
}

func (s *Store) ClaimTransfer(ctx context.Context, a iotsec.Actor, hash []byte, productID string, allowed []iotsec.State, now time.Time) (iotsec.Device, error) {
	var d iotsec.Device
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return d, err
	}
	at := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id, seller, deviceID string
		err := tx.QueryRowContext(ctx, s.q("SELECT id, org_id, device_id FROM device_transfers WHERE hash = ? AND claimed_at IS NULL AND expires_at > ?"), hash, s.t(now)).
			Scan(&id, &seller, &deviceID)
		if errors.Is(err, sql.ErrNoRows) {
			return &iotsec.Error{Kind: iotsec.ErrNotFound, Field: "code", Message: "transfer code unknown, claimed or expired"}
		}
		if err != nil {
			return err
		}
		if seller == a.OrgID {
			return iotsec.Invalid("code", "the device belongs to this organisation already")
		}
		old, err := scanDevice(tx.QueryRowContext(ctx, s.q("SELECT "+deviceColumns+" FROM devices WHERE id = ? AND org_id = ?"), deviceID, seller))
		if err != nil {
			return iotsec.Conflict("the offered device is no longer the seller's")
		}
		if !slices.Contains(allowed, old.State) {
			return iotsec.Conflict("the device is %s now; it may not change hands", old.State)
		}
		d = old
		d.OrgID, d.ProductID, d.FirmwareID, d.UpdatedAt = a.OrgID, productID, "", at
		if err := s.checkRefs(ctx, tx, a.OrgID, &d); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE devices SET org_id = ?, product_id = ?, firmware_id = NULL, updated_at = ? WHERE id = ? AND org_id = ?"),
			a.OrgID, productID, s.t(at), deviceID, seller)
		if err != nil {
			if iotsec.Kind(s.classify(err)) == iotsec.ErrConflict {
				return uidConflict(d.UID)
			}
			return fmt.Errorf("transfer device: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE device_certs SET org_id = ? WHERE device_id = ? AND org_id = ? AND kind = 'idevid'"), a.OrgID, deviceID, seller); err != nil {
			return fmt.Errorf("transfer onboarding identity: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE enrol_tokens SET used_at = ? WHERE device_id = ? AND used_at IS NULL"), s.t(at), deviceID); err != nil {
			return fmt.Errorf("void enrolment tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE device_transfers SET claimed_by = ?, claimed_at = ? WHERE id = ?"), a.OrgID, s.t(at), id); err != nil {
			return fmt.Errorf("claim transfer: %w", err)
		}
		var sellerName, buyerName string
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), seller).Scan(&sellerName); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&buyerName); err != nil {
			return err
		}
		for _, t := range []iotsec.Transition{
			{OrgID: seller, Event: iotsec.EventTransferOut, Note: "to " + buyerName},
			{OrgID: a.OrgID, Event: iotsec.EventTransferIn, Note: "from " + sellerName},
		} {
			t.ID, t.DeviceID, t.From, t.To, t.Credentials, t.Actor, t.At = s.ids.New(iotsec.PrefixTransition), deviceID, old.State, old.State, iotsec.KeepCredentials, a.Name(), at
			if err := s.insertTransition(ctx, tx, &t); err != nil {
				return err
			}
			action := map[string]string{iotsec.EventTransferOut: "device.transfer.out", iotsec.EventTransferIn: "device.transfer.in"}[t.Event]
			if err := s.audit(ctx, tx, t.OrgID, a.Name(), action, deviceID, map[string]any{"uid": old.UID, "transfer": id, "note": t.Note}); err != nil {
				return err
			}
		}
		return nil
	})
	return d, err
}
