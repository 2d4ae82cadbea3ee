package iotsec

import (
	"context"
	"strings"
	"time"
)

// PolicyStatus is where a proposed change to the country measures dataset
// stands.
type PolicyStatus string

const (
	PolicyPending  PolicyStatus = "pending"
	PolicyAccepted PolicyStatus = "accepted"
	PolicyRejected PolicyStatus = "rejected"
)

// PolicyAction is what a proposal does to the dataset.
type PolicyAction string

const (
	PolicyAdd      PolicyAction = "add"      // a new entry
	PolicyChange   PolicyAction = "change"   // replace the entry with the same ID
	PolicyWithdraw PolicyAction = "withdraw" // remove the entry
)

// PolicyProposal is a change to the national measures dataset that a
// government organisation proposes. It applies to the dataset everyone
// sees only once someone of that organisation other than its proposer has
// accepted it; its events are its history.
type PolicyProposal struct {
	ID           string       `json:"id"`
	OrgID        string       `json:"org_id"`
	OrgName      string       `json:"org_name"`
	Jurisdiction string       `json:"jurisdiction"`
	Action       PolicyAction `json:"action"`
	EntryID      string       `json:"entry_id"`
	// Entry is the proposed dataset entry as JSON (empty for withdraw).
	Entry      []byte       `json:"-"`
	Rationale  string       `json:"rationale"`
	Status     PolicyStatus `json:"status"`
	ProposedBy string       `json:"proposed_by"`
	// ProposerID is the user or token that proposed, so the store can
	// refuse a review by the same one.
	ProposerID string    `json:"-"`
	ProposedAt time.Time `json:"proposed_at"`
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
	ReviewNote string    `json:"review_note,omitempty"`
}

// PolicyEvent is one step in a proposal's history.
type PolicyEvent struct {
	ProposalID string       `json:"proposal_id"`
	At         time.Time    `json:"at"`
	By         string       `json:"by"`
	Status     PolicyStatus `json:"status"`
	Note       string       `json:"note,omitempty"`
}

// Limits of a proposal's fields.
const (
	MaxPolicyEntry     = 16 << 10
	MaxPolicyRationale = 4000
)

// Normalize checks the fields the store keeps.
func (p *PolicyProposal) Normalize() error {
	p.Rationale = strings.TrimSpace(p.Rationale)
	p.EntryID = strings.TrimSpace(p.EntryID)
	switch p.Action {
	case PolicyAdd, PolicyChange, PolicyWithdraw:
	default:
		return Invalid("action", "must be %s, %s or %s", PolicyAdd, PolicyChange, PolicyWithdraw)
	}
	if p.EntryID == "" || len(p.EntryID) > 100 {
		return Invalid("entry_id", "must be 1 to 100 characters")
	}
	if p.Jurisdiction == "" || len(p.Jurisdiction) > 6 {
		return Invalid("jurisdiction", "must be an ISO 3166 code")
	}
	if p.Rationale == "" || len(p.Rationale) > MaxPolicyRationale {
		return Invalid("rationale", "must be 1 to %d characters", MaxPolicyRationale)
	}
	if len(p.Entry) > MaxPolicyEntry {
		return Invalid("entry", "is larger than %d bytes", MaxPolicyEntry)
	}
	if (p.Action == PolicyWithdraw) != (len(p.Entry) == 0) {
		return Invalid("entry", "a withdrawal carries no entry; an addition or change carries one")
	}
	return nil
}

// PolicyStore keeps proposals to the national measures dataset.
type PolicyStore interface {
	// CreatePolicyProposal stores a pending proposal of the actor's
	// organisation (PermWriteSchemes) and its first event.
	CreatePolicyProposal(ctx context.Context, a Actor, p *PolicyProposal) error
	// ListPolicyProposals lists the organisation's proposals, newest first;
	// status filters when set.
	ListPolicyProposals(ctx context.Context, a Actor, status PolicyStatus) ([]PolicyProposal, error)
	// GetPolicyProposal returns one of the organisation's proposals and its
	// history, oldest first.
	GetPolicyProposal(ctx context.Context, a Actor, id string) (PolicyProposal, []PolicyEvent, error)
	// ReviewPolicyProposal accepts or rejects a pending proposal of the
	// organisation (PermManageMembers). Its proposer may not review it.
	ReviewPolicyProposal(ctx context.Context, a Actor, id string, accept bool, note string) (PolicyProposal, error)
	// AcceptedPolicyProposals returns every accepted proposal of every
	// organisation in the order they were accepted: the changes that apply
	// to the public dataset.
	AcceptedPolicyProposals(ctx context.Context) ([]PolicyProposal, error)
}
