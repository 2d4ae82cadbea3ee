package iotsec

import (
	"context"
	"time"
)

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// Invitation asks whoever holds an e-mail address to join an organisation
// with a role. Adding a member creates one; it becomes a membership only
// when the invitee accepts it, signed in, from their pending invitations
// or through its one-time link. Nothing about it says whether the address
// has an account.
type Invitation struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	OrgName   string    `json:"org_name"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	InvitedBy string    `json:"invited_by"` // the audit log's name of who invited
	Hash      []byte    `json:"-"`          // of the one-time link's secret
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// InvitationStore keeps invitations to organisations.
type InvitationStore interface {
	// CreateInvitation invites inv.Email with inv.Role (which the actor's
	// role must cover) until inv.ExpiresAt; inv.Hash is the link's.
	// Inviting an address again replaces its pending invitation.
	CreateInvitation(ctx context.Context, a Actor, inv *Invitation) error
	// ListInvitations lists the organisation's pending invitations.
	ListInvitations(ctx context.Context, a Actor) ([]Invitation, error)
	CancelInvitation(ctx context.Context, a Actor, id string) error
	// PendingInvitations lists the unexpired invitations to email, in
	// every organisation.
	PendingInvitations(ctx context.Context, email string) ([]Invitation, error)
	// InvitationByHash finds an unexpired invitation by its link.
	InvitationByHash(ctx context.Context, hash []byte) (Invitation, error)
	// AcceptInvitation makes the user a member with the invitation's role
	// and uses the invitation up. The user accepts either an invitation
	// to their own address (by ID, hash nil) or one whose link they hold
	// (by hash, id empty).
	AcceptInvitation(ctx context.Context, userID, id string, hash []byte) (Membership, error)
	// DeclineInvitation removes an invitation to the user's address.
	DeclineInvitation(ctx context.Context, userID, id string) error
}
