package auth

import (
	"context"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Invited is a new invitation and its one-time link, shown once to the
// member who invited. Nothing in it says whether the address has an
// account.
type Invited struct {
	iotsec.Invitation
	Link string `json:"link"`
}

// Invite invites email to the actor's organisation with role, for
// iotsec.InvitationTTL. The invitee accepts signed in: from their pending
// invitations (an account with that address) or with the link.
func (s *Service) Invite(ctx context.Context, a iotsec.Actor, email string, role iotsec.Role) (Invited, error) {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return Invited{}, err
	}
	secret, hash := iotsec.NewSecret(s.Rand, iotsec.SecretInvite)
	inv := iotsec.Invitation{Email: email, Role: role, Hash: hash, ExpiresAt: s.Now().Add(iotsec.InvitationTTL)}
	if err := s.Store.CreateInvitation(ctx, a, &inv); err != nil {
		return Invited{}, err
	}
	return Invited{Invitation: inv, Link: s.InvitationLink(secret)}, nil
}

// InvitationLink is where an invitation's secret is accepted.
func (s *Service) InvitationLink(secret string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/invitations/" + secret
}

// Invitation is the pending invitation of a link's secret.
func (s *Service) Invitation(ctx context.Context, secret string) (iotsec.Invitation, error) {
	if !strings.HasPrefix(secret, iotsec.SecretInvite) || len(secret) > 100 {
		return iotsec.Invitation{}, iotsec.NotFound("invitation")
	}
	return s.Store.InvitationByHash(ctx, iotsec.HashSecret(secret))
}

// AcceptLink makes the signed-in user a member through the invitation
// whose link they hold.
func (s *Service) AcceptLink(ctx context.Context, userID, secret string) (iotsec.Membership, error) {
	if !strings.HasPrefix(secret, iotsec.SecretInvite) || len(secret) > 100 {
		return iotsec.Membership{}, iotsec.NotFound("invitation")
	}
	return s.Store.AcceptInvitation(ctx, userID, "", iotsec.HashSecret(secret))
}
