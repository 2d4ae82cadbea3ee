package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Invited is a new invitation and its one-time link, shown once to the
// member who invited. Nothing in it says whether the address has an
// account.
type Invited struct {
	iotsec.Invitation
	Link string `json:"link"`
	// Mailed says the link is being e-mailed to the address: the server
	// has a mail relay. It says nothing about the address.
	Mailed bool `json:"mailed"`
}

// Invite invites email to the actor's organisation with role, for
// iotsec.InvitationTTL. The invitee accepts signed in: from their pending
// invitations (an account with that address) or with the link.
//
// When the server has a mail relay (Mail), the link is also e-mailed to
// the address, whether or not it has an account, after the answer and on
// its own: the answer is the same either way and does not wait for the
// relay. How the sending went is recorded in the organisation's audit log
// (invitation.mail); the link itself is kept nowhere but in the message.
func (s *Service) Invite(ctx context.Context, a iotsec.Actor, email string, role iotsec.Role) (Invited, error) {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return Invited{}, err
	}
	secret, hash := iotsec.NewSecret(s.Rand, iotsec.SecretInvite)
	inv := iotsec.Invitation{Email: email, Role: role, Hash: hash, ExpiresAt: s.Now().Add(iotsec.InvitationTTL)}
	if err := s.Store.CreateInvitation(ctx, a, &inv); err != nil {
		return Invited{}, err
	}
	out := Invited{Invitation: inv, Link: s.InvitationLink(secret), Mailed: s.Mail != nil}
	if s.Mail != nil {
		subject, body := invitationMail(out)
		s.send(ctx, inv.Email, subject, body, func(ctx context.Context, err error) {
			result := "sent"
			if err != nil {
				result = "failed: " + err.Error()
			}
			details, _ := json.Marshal(map[string]string{"email": inv.Email, "result": result})
			s.Store.Audit(ctx, &iotsec.AuditEvent{OrgID: inv.OrgID, Actor: "system:mail", Action: "invitation.mail", Target: inv.ID, Details: string(details)})
		})
	}
	return out, nil
}

// invitationMail is the message that carries an invitation's link.
func invitationMail(inv Invited) (subject, body string) {
	org := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, inv.OrgName)
	subject = "iotsec: invitation to join " + org
	body = fmt.Sprintf("%s invites you to join %s on iotsec as %s.\n\n"+
		"To accept, open this link and sign in (it works once, until %s):\n\n  %s\n\n"+
		"If you have no account on this server yet, ask whoever invited you to create one for this address.\n"+
		"If you did not expect this invitation, ignore this message: nothing happens unless you accept.\n",
		inviter(inv.InvitedBy, org), org, inv.Role, inv.ExpiresAt.UTC().Format("2 January 2006 15:04 MST"), inv.Link)
	return subject, body
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

// inviter names who invited, from the audit log's name of them: a user
// by their address, anything else as the organisation.
func inviter(name, org string) string {
	if rest, ok := strings.CutPrefix(name, "user:"); ok {
		if i := strings.Index(rest, " ("); i >= 0 && strings.HasSuffix(rest, ")") {
			return rest[i+2 : len(rest)-1]
		}
	}
	return "Someone at " + org
}
