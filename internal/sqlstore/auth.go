package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (s *Store) CreateToken(ctx context.Context, a iotsec.Actor, t *iotsec.Token) error {
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return err
	}
	if !t.Role.Valid() {
		return iotsec.Invalid("role", "must be one of owner, admin, assessor, maker, viewer")
	}
	if !a.Role.Covers(t.Role) {
		return iotsec.Forbidden("role %s may not create a token with role %s", a.Role, t.Role)
	}
	if err := iotsec.CheckTokenName(t.Name); err != nil {
		return err
	}
	if len(t.Hash) == 0 {
		return iotsec.Invalid("hash", "is required")
	}
	t.ID, t.OrgID, t.UserID, t.CreatedAt = s.ids.New(iotsec.PrefixToken), a.OrgID, a.UserID, s.now()
	var user any
	if t.UserID != "" {
		user = t.UserID
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO tokens (id, org_id, user_id, name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			t.ID, t.OrgID, user, t.Name, t.Role, t.Hash, s.t(t.CreatedAt), s.t(t.ExpiresAt))
		if err != nil {
			return fmt.Errorf("insert token: %w", s.classify(err))
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "token.create", t.ID, map[string]any{"name": t.Name, "role": t.Role})
	})
}

const tokenColumns = "id, org_id, coalesce(user_id, ''), name, role, hash, created_at, expires_at, last_used_at"

func scanToken(sc interface{ Scan(...any) error }) (iotsec.Token, error) {
	var t iotsec.Token
	err := sc.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Role, &t.Hash, tscan{&t.CreatedAt}, tscan{&t.ExpiresAt}, tscan{&t.LastUsedAt})
	return t, err
}

func (s *Store) ListTokens(ctx context.Context, a iotsec.Actor) ([]iotsec.Token, error) {
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+tokenColumns+" FROM tokens WHERE org_id = ? ORDER BY id"), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []iotsec.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *Store) RevokeToken(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var role iotsec.Role
		err := tx.QueryRowContext(ctx, s.q("SELECT role FROM tokens WHERE id = ? AND org_id = ?"), id, a.OrgID).Scan(&role)
		if err != nil {
			return notFound(err, "token")
		}
		if !a.Role.Covers(role) {
			return iotsec.Forbidden("role %s may not revoke a token with role %s", a.Role, role)
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM tokens WHERE id = ? AND org_id = ?"), id, a.OrgID); err != nil {
			return fmt.Errorf("delete token: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "token.revoke", id, nil)
	})
}

func (s *Store) TokenByHash(ctx context.Context, hash []byte, now time.Time) (iotsec.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, s.q("SELECT "+tokenColumns+" FROM tokens WHERE hash = ?"), hash))
	if err != nil {
		return t, notFound(err, "token")
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return iotsec.Token{}, iotsec.NotFound("token")
	}
	return t, nil
}

func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q("UPDATE tokens SET last_used_at = ? WHERE id = ?"), s.t(at), id)
	return err
}

func (s *Store) CreateSession(ctx context.Context, ses *iotsec.Session) error {
	ses.CreatedAt = s.now()
	var org any
	if ses.OrgID != "" {
		org = ses.OrgID
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO sessions (hash, user_id, org_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
		ses.Hash, ses.UserID, org, ses.CSRF, s.t(ses.CreatedAt), s.t(ses.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert session: %w", s.classify(err))
	}
	return nil
}

func (s *Store) SessionByHash(ctx context.Context, hash []byte, now time.Time) (iotsec.Session, error) {
	ses := iotsec.Session{Hash: hash}
	err := s.db.QueryRowContext(ctx, s.q("SELECT user_id, coalesce(org_id, ''), csrf, created_at, expires_at FROM sessions WHERE hash = ? AND expires_at > ?"),
		hash, s.t(now)).Scan(&ses.UserID, &ses.OrgID, &ses.CSRF, tscan{&ses.CreatedAt}, tscan{&ses.ExpiresAt})
	return ses, notFound(err, "session")
}

func (s *Store) SetSessionOrg(ctx context.Context, hash []byte, orgID string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE sessions SET org_id = ? WHERE hash = ?
		AND EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = ? AND m.user_id = sessions.user_id)`), orgID, hash, orgID)
	if err != nil {
		return fmt.Errorf("set session org: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return iotsec.NotFound("organisation")
	}
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.db.ExecContext(ctx, s.q("DELETE FROM sessions WHERE hash = ?"), hash)
	return err
}

func (s *Store) CreateLoginLink(ctx context.Context, userID string, hash []byte, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO login_links (hash, user_id, expires_at) VALUES (?, ?, ?)"), hash, userID, s.t(expires))
	if err != nil {
		return fmt.Errorf("insert login link: %w", s.classify(err))
	}
	return nil
}

func (s *Store) UseLoginLink(ctx context.Context, hash []byte, now time.Time) (string, error) {
	var user string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// One UPDATE both checks and spends the link, so two requests racing
		// with the same link cannot both win.
		res, err := tx.ExecContext(ctx, s.q("UPDATE login_links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?"), s.t(now), hash, s.t(now))
		if err != nil {
			return fmt.Errorf("use login link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("login link")
		}
		return tx.QueryRowContext(ctx, s.q("SELECT user_id FROM login_links WHERE hash = ?"), hash).Scan(&user)
	})
	return user, err
}

func (s *Store) RecordLogin(ctx context.Context, key string, ok bool, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Old attempts only matter inside the rate-limit window; drop them
		// as we go so the table stays small.
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM login_attempts WHERE key = ? AND at < ?"), key, s.t(at.Add(-24*time.Hour))); err != nil {
			return err
		}
		okv := 0
		if ok {
			okv = 1
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO login_attempts (key, at, ok) VALUES (?, ?, ?)"), key, s.t(at), okv)
		return err
	})
}

func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	// Failures after the last success count; a success clears the slate.
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM login_attempts WHERE key = ? AND ok = 0 AND at >= ?
		AND at > coalesce((SELECT max(at) FROM login_attempts WHERE key = ? AND ok = 1), ?)`),
		key, s.t(since), key, s.t(since)).Scan(&n)
	return n, err
}

func (s *Store) LoginFailureStreak(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	var n int
	var last time.Time
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*), max(at) FROM login_attempts WHERE key = ? AND ok = 0 AND at >= ?
		AND at > coalesce((SELECT max(at) FROM login_attempts WHERE key = ? AND ok = 1), ?)`),
		key, s.t(since), key, s.t(since)).Scan(&n, tscan{&last})
	return n, last, err
}

func (s *Store) Sweep(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			query string
			arg   time.Time
		}{
			{"DELETE FROM sessions WHERE expires_at <= ?", now},
			{"DELETE FROM login_links WHERE expires_at <= ? OR used_at IS NOT NULL", now},
			{"DELETE FROM login_attempts WHERE at < ?", now.Add(-24 * time.Hour)},
		} {
			res, err := tx.ExecContext(ctx, s.q(q.query), s.t(q.arg))
			if err != nil {
				return fmt.Errorf("sweep: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}
