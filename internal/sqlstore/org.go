package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (s *Store) CreateOrg(ctx context.Context, by string, o *iotsec.Organisation, ownerID string) error {
	if err := o.Normalize(); err != nil {
		return err
	}
	o.ID, o.CreatedAt = s.ids.New(iotsec.PrefixOrg), s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM orgs WHERE lower(name) = lower(?)"), o.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("an organisation named %q exists", o.Name)
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO orgs (id, name, kind, country, created_at) VALUES (?, ?, ?, ?, ?)"),
			o.ID, o.Name, o.Kind, o.Country, s.t(o.CreatedAt)); err != nil {
			return fmt.Errorf("insert org: %w", s.classify(err))
		}
		if ownerID != "" {
			if err := s.insertMember(ctx, tx, o.ID, ownerID, iotsec.RoleOwner); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, o.ID, by, "org.create", o.ID, map[string]any{"name": o.Name, "kind": o.Kind, "country": o.Country, "owner": ownerID})
	})
}

func (s *Store) GetOrg(ctx context.Context, id string) (iotsec.Organisation, error) {
	var o iotsec.Organisation
	err := s.db.QueryRowContext(ctx, s.q("SELECT id, name, kind, country, created_at FROM orgs WHERE id = ?"), id).
		Scan(&o.ID, &o.Name, &o.Kind, &o.Country, tscan{&o.CreatedAt})
	return o, notFound(err, "organisation")
}

func (s *Store) ListOrgs(ctx context.Context) ([]iotsec.Organisation, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, kind, country, created_at FROM orgs ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list orgs: %w", err)
	}
	defer rows.Close()
	var out []iotsec.Organisation
	for rows.Next() {
		var o iotsec.Organisation
		if err := rows.Scan(&o.ID, &o.Name, &o.Kind, &o.Country, tscan{&o.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Store) insertMember(ctx context.Context, tx *sql.Tx, org, user string, role iotsec.Role) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM users WHERE id = ?"), user).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return iotsec.NotFound("user")
	}
	_, err := tx.ExecContext(ctx, s.q("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)"),
		org, user, role, s.t(s.now()))
	if err != nil {
		if err := s.classify(err); iotsec.Kind(err) == iotsec.ErrConflict {
			return iotsec.Conflict("the user is already a member")
		}
		return fmt.Errorf("insert membership: %w", err)
	}
	return nil
}

// memberRole returns the role of user in org, or not found.
func (s *Store) memberRole(ctx context.Context, tx *sql.Tx, org, user string) (iotsec.Role, error) {
	var r iotsec.Role
	err := tx.QueryRowContext(ctx, s.q("SELECT role FROM memberships WHERE org_id = ? AND user_id = ?"), org, user).Scan(&r)
	return r, notFound(err, "member")
}

func (s *Store) AddMember(ctx context.Context, a iotsec.Actor, userID string, role iotsec.Role) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	if !role.Valid() {
		return iotsec.Invalid("role", "must be one of owner, admin, assessor, maker, viewer")
	}
	if !a.Role.Covers(role) {
		return iotsec.Forbidden("role %s may not grant role %s", a.Role, role)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertMember(ctx, tx, a.OrgID, userID, role); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "member.add", userID, map[string]any{"role": role})
	})
}

func (s *Store) SetMemberRole(ctx context.Context, a iotsec.Actor, userID string, role iotsec.Role) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	if !role.Valid() {
		return iotsec.Invalid("role", "must be one of owner, admin, assessor, maker, viewer")
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := s.memberRole(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		if !a.Role.Covers(role) || !a.Role.Covers(old) {
			return iotsec.Forbidden("role %s may not change a %s into a %s", a.Role, old, role)
		}
		if old == iotsec.RoleOwner && role != iotsec.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, a.OrgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?"), role, a.OrgID, userID); err != nil {
			return fmt.Errorf("update membership: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "member.role", userID, map[string]any{"from": old, "to": role})
	})
}

// keepAnOwner refuses a change that would leave the organisation without
// an owner once the current owner is demoted or removed.
func (s *Store) keepAnOwner(ctx context.Context, tx *sql.Tx, org string) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM memberships WHERE org_id = ? AND role = ?"), org, iotsec.RoleOwner).Scan(&n); err != nil {
		return err
	}
	if n <= 1 {
		return iotsec.Conflict("an organisation must keep at least one owner")
	}
	return nil
}

func (s *Store) RemoveMember(ctx context.Context, a iotsec.Actor, userID string) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		old, err := s.memberRole(ctx, tx, a.OrgID, userID)
		if err != nil {
			return err
		}
		if !a.Role.Covers(old) {
			return iotsec.Forbidden("role %s may not remove a %s", a.Role, old)
		}
		if old == iotsec.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, a.OrgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM memberships WHERE org_id = ? AND user_id = ?"), a.OrgID, userID); err != nil {
			return fmt.Errorf("delete membership: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.q("DELETE FROM tokens WHERE org_id = ? AND user_id = ?"), a.OrgID, userID)
		if err != nil {
			return fmt.Errorf("revoke tokens: %w", err)
		}
		revoked, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, s.q("UPDATE sessions SET org_id = NULL WHERE org_id = ? AND user_id = ?"), a.OrgID, userID); err != nil {
			return fmt.Errorf("detach sessions: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "member.remove", userID, map[string]any{"role": old, "tokens_revoked": revoked})
	})
}

const memberQuery = `SELECT m.org_id, o.name, m.user_id, u.email, u.name, m.role, m.created_at
	FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id`

func (s *Store) scanMembers(ctx context.Context, query string, args ...any) ([]iotsec.Membership, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []iotsec.Membership
	for rows.Next() {
		var m iotsec.Membership
		if err := rows.Scan(&m.OrgID, &m.OrgName, &m.UserID, &m.Email, &m.Name, &m.Role, tscan{&m.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) ListMembers(ctx context.Context, a iotsec.Actor) ([]iotsec.Membership, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	return s.scanMembers(ctx, memberQuery+" WHERE m.org_id = ? ORDER BY u.email", a.OrgID)
}

func (s *Store) Memberships(ctx context.Context, userID string) ([]iotsec.Membership, error) {
	return s.scanMembers(ctx, memberQuery+" WHERE m.user_id = ? ORDER BY o.name", userID)
}
