package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

const invitationColumns = "i.id, i.org_id, o.name, i.email, i.role, i.invited_by, i.hash, i.created_at, i.expires_at"

func scanInvitation(sc interface{ Scan(...any) error }) (iotsec.Invitation, error) {
	var v iotsec.Invitation
	err := sc.Scan(&v.ID, &v.OrgID, &v.OrgName, &v.Email, &v.Role, &v.InvitedBy, &v.Hash, tscan{&v.CreatedAt}, tscan{&v.ExpiresAt})
	return v, err
}

func (s *Store) CreateInvitation(ctx context.Context, a iotsec.Actor, inv *iotsec.Invitation) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	email, err := iotsec.NormalizeEmail(inv.Email)
	if err != nil {
		return err
	}
	if !inv.Role.Valid() {
		return iotsec.Invalid("role", "must be one of owner, admin, assessor, maker, viewer")
	}
	if !a.Role.Covers(inv.Role) {
		return iotsec.Forbidden("role %s may not grant role %s", a.Role, inv.Role)
	}
	if len(inv.Hash) == 0 {
		return iotsec.Invalid("hash", "is required")
	}
	now := s.now()
	if !inv.ExpiresAt.After(now) {
		return iotsec.Invalid("expires_at", "must be in the future")
	}
	inv.ID, inv.OrgID, inv.Email, inv.InvitedBy, inv.CreatedAt = s.ids.New(iotsec.PrefixInvitation), a.OrgID, email, a.Name(), now
	return s.tx(ctx, func(tx *sql.Tx) error {
		// A member is already in: the organisation sees its members, so
		// this says nothing it does not know.
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND u.email = ?"),
			a.OrgID, email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("%s is already a member", email)
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&inv.OrgName); err != nil {
			return notFound(err, "organisation")
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM invitations WHERE org_id = ? AND email = ?"), a.OrgID, email); err != nil {
			return fmt.Errorf("replace invitation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO invitations (id, org_id, email, role, invited_by, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			inv.ID, inv.OrgID, inv.Email, inv.Role, inv.InvitedBy, inv.Hash, s.t(inv.CreatedAt), s.t(inv.ExpiresAt)); err != nil {
			return fmt.Errorf("insert invitation: %w", s.classify(err))
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "invitation.create", inv.ID, map[string]any{"email": email, "role": inv.Role, "expires_at": inv.ExpiresAt.UTC()})
	})
}

func (s *Store) queryInvitations(ctx context.Context, where string, args ...any) ([]iotsec.Invitation, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+invitationColumns+" FROM invitations i JOIN orgs o ON o.id = i.org_id WHERE "+where+" ORDER BY i.created_at, i.id"), args...)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	defer rows.Close()
	var out []iotsec.Invitation
	for rows.Next() {
		v, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) ListInvitations(ctx context.Context, a iotsec.Actor) ([]iotsec.Invitation, error) {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return nil, err
	}
	return s.queryInvitations(ctx, "i.org_id = ? AND i.expires_at > ?", a.OrgID, s.t(s.now()))
}

func (s *Store) CancelInvitation(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, s.q("SELECT email FROM invitations WHERE id = ? AND org_id = ?"), id, a.OrgID).Scan(&email)
		if err != nil {
			return notFound(err, "invitation")
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM invitations WHERE id = ?"), id); err != nil {
			return fmt.Errorf("cancel invitation: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "invitation.cancel", id, map[string]any{"email": email})
	})
}

func (s *Store) PendingInvitations(ctx context.Context, email string) ([]iotsec.Invitation, error) {
	return s.queryInvitations(ctx, "i.email = ? AND i.expires_at > ?", email, s.t(s.now()))
}

func (s *Store) InvitationByHash(ctx context.Context, hash []byte) (iotsec.Invitation, error) {
	vs, err := s.queryInvitations(ctx, "i.hash = ? AND i.expires_at > ?", hash, s.t(s.now()))
	if err != nil {
		return iotsec.Invitation{}, err
	}
	if len(vs) == 0 {
		return iotsec.Invitation{}, iotsec.NotFound("invitation (it may have expired, been used or been cancelled)")
	}
	return vs[0], nil
}

// invitationFor finds the invitation a user may act on: one to their own
// address by ID, or one whose link they hold.
func (s *Store) invitationFor(ctx context.Context, tx *sql.Tx, userID, id string, hash []byte) (iotsec.Invitation, iotsec.User, error) {
	var u iotsec.User
	if err := tx.QueryRowContext(ctx, s.q("SELECT id, email, name FROM users WHERE id = ?"), userID).Scan(&u.ID, &u.Email, &u.Name); err != nil {
		return iotsec.Invitation{}, u, notFound(err, "user")
	}
	q, arg := "i.id = ? AND i.email = ?", []any{id, u.Email}
	if hash != nil {
		q, arg = "i.hash = ?", []any{hash}
	}
	v, err := scanInvitation(tx.QueryRowContext(ctx, s.q("SELECT "+invitationColumns+" FROM invitations i JOIN orgs o ON o.id = i.org_id WHERE "+q+" AND i.expires_at > ?"),
		append(arg, s.t(s.now()))...))
	return v, u, notFound(err, "invitation (it may have expired, been used or been cancelled)")
}

func (s *Store) AcceptInvitation(ctx context.Context, userID, id string, hash []byte) (iotsec.Membership, error) {
	var m iotsec.Membership
	err := s.tx(ctx, func(tx *sql.Tx) error {
		v, u, err := s.invitationFor(ctx, tx, userID, id, hash)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM invitations WHERE id = ?"), v.ID); err != nil {
			return fmt.Errorf("use invitation: %w", err)
		}
		if err := s.insertMember(ctx, tx, v.OrgID, u.ID, v.Role); err != nil {
			return err
		}
		m = iotsec.Membership{OrgID: v.OrgID, OrgName: v.OrgName, UserID: u.ID, Email: u.Email, Name: u.Name, Role: v.Role, CreatedAt: s.now()}
		by := iotsec.Actor{OrgID: v.OrgID, UserID: u.ID, Role: v.Role, Label: u.Email}.Name()
		return s.audit(ctx, tx, v.OrgID, by, "invitation.accept", v.ID, map[string]any{"user": u.ID, "email": v.Email, "role": v.Role, "invited_by": v.InvitedBy})
	})
	return m, err
}

func (s *Store) DeclineInvitation(ctx context.Context, userID, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		v, u, err := s.invitationFor(ctx, tx, userID, id, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM invitations WHERE id = ?"), v.ID); err != nil {
			return fmt.Errorf("decline invitation: %w", err)
		}
		by := iotsec.Actor{OrgID: v.OrgID, UserID: u.ID, Label: u.Email}.Name()
		return s.audit(ctx, tx, v.OrgID, by, "invitation.decline", v.ID, map[string]any{"email": v.Email})
	})
}
