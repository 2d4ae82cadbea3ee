package iotsec

import (
	"context"
	"strings"
	"time"
)

// A Workspace joins several organisations (government, industry, research,
// labs) around a focus area or a Special Interest Group. Its members are
// organisations, each with a role in the workspace; one organisation
// creates it and invites the others, whose owner or admin accepts.
type Workspace struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Focus     string            `json:"focus"`
	OrgID     string            `json:"org_id"` // the organisation that created it
	CreatedBy string            `json:"created_by"`
	CreatedAt time.Time         `json:"created_at"`
	Members   []WorkspaceMember `json:"members"`
}

// WorkspaceRole is an organisation's role in a workspace.
type WorkspaceRole string

// Workspace roles. Reviewers approve mapping proposals of other members.
const (
	WorkspaceReviewer   WorkspaceRole = "reviewer"
	WorkspaceMemberRole WorkspaceRole = "member"
)

// WorkspaceMember is one organisation of a workspace.
type WorkspaceMember struct {
	OrgID     string        `json:"org_id"`
	OrgName   string        `json:"org_name"`
	Role      WorkspaceRole `json:"role"`
	Accepted  bool          `json:"accepted"`
	InvitedBy string        `json:"invited_by"`
	InvitedAt time.Time     `json:"invited_at"`
	JoinedAt  time.Time     `json:"joined_at,omitzero"`
}

// MappingProposal is a proposed mapping between two schemes' provisions,
// new or changing an existing one's relationship or confidence.
type MappingProposal struct {
	ID           string         `json:"id"`
	WorkspaceID  string         `json:"workspace_id"`
	OrgID        string         `json:"org_id"`
	OrgName      string         `json:"org_name"`
	Kind         string         `json:"kind"` // new or change
	From         string         `json:"from"`
	To           string         `json:"to"`
	Sources      []string       `json:"sources"`
	Targets      []string       `json:"targets"`
	Relationship string         `json:"relationship"`
	Confidence   string         `json:"confidence"`
	Rationale    string         `json:"rationale"`
	Status       ProposalStatus `json:"status"`
	ProposedBy   string         `json:"proposed_by"`
	ProposedAt   time.Time      `json:"proposed_at"`
	ApprovedBy   string         `json:"approved_by,omitempty"`
	ApprovedOrg  string         `json:"approved_org,omitempty"` // the reviewing organisation's name
	ApprovedAt   time.Time      `json:"approved_at,omitzero"`
	MergedBy     string         `json:"merged_by,omitempty"`
	MergedAt     time.Time      `json:"merged_at,omitzero"`
	// ClosedBy, ClosedOrg, Reason and ClosedAt say who withdrew or
	// rejected the proposal, and why.
	ClosedBy  string            `json:"closed_by,omitempty"`
	ClosedOrg string            `json:"closed_org,omitempty"`
	Reason    string            `json:"reason,omitempty"`
	ClosedAt  time.Time         `json:"closed_at,omitzero"`
	Comments  []ProposalComment `json:"comments"`
}

// ProposalStatus is where a mapping proposal is in its review.
type ProposalStatus string

// Proposal statuses: open, approved by a reviewer, merged into the
// members' catalogs; or closed without a merge: withdrawn by its
// proposer, rejected by a reviewer.
const (
	ProposalOpen      ProposalStatus = "open"
	ProposalApproved  ProposalStatus = "approved"
	ProposalMerged    ProposalStatus = "merged"
	ProposalWithdrawn ProposalStatus = "withdrawn"
	ProposalRejected  ProposalStatus = "rejected"
)

// Kinds of mapping proposal.
const (
	ProposalNew    = "new"
	ProposalChange = "change"
)

// ProposalComment is one comment on a mapping proposal.
type ProposalComment struct {
	OrgName string    `json:"org_name"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Body    string    `json:"body"`
}

// WorkspaceReport summarises a period's work of a workspace; it is
// published to the other workspaces, which see it in their feed.
type WorkspaceReport struct {
	ID            string    `json:"id"`
	WorkspaceID   string    `json:"workspace_id"`
	WorkspaceName string    `json:"workspace_name"`
	Title         string    `json:"title"`
	From          Date      `json:"from"`
	To            Date      `json:"to"`
	Merged        []string  `json:"merged"` // proposal IDs merged in the period
	OpenQuestions string    `json:"open_questions"`
	Gaps          string    `json:"gaps"`
	PublishedBy   string    `json:"published_by"`
	PublishedAt   time.Time `json:"published_at"`
}

// Limits of workspace records.
const (
	MaxWorkspaceText = 4000
	MaxProposalIDs   = 50
)

func trimLen(field, s string, min, max int) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) < min || len(s) > max {
		return s, Invalid(field, "must be %d to %d characters", min, max)
	}
	return s, nil
}

// Normalize checks a workspace's own fields.
func (w *Workspace) Normalize() (err error) {
	if w.Name, err = trimLen("name", w.Name, 1, 200); err != nil {
		return err
	}
	w.Focus, err = trimLen("focus", w.Focus, 1, MaxWorkspaceText)
	return err
}

// Normalize checks a proposal's own fields (that the provisions exist is
// the catalog's to say).
func (p *MappingProposal) Normalize() (err error) {
	if p.Kind != ProposalNew && p.Kind != ProposalChange {
		return Invalid("kind", "must be %s or %s", ProposalNew, ProposalChange)
	}
	if p.From, err = trimLen("from", p.From, 1, 64); err != nil {
		return err
	}
	if p.To, err = trimLen("to", p.To, 1, 64); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		ids  *[]string
	}{{"sources", &p.Sources}, {"targets", &p.Targets}} {
		var out []string
		for _, id := range *f.ids {
			if id = strings.TrimSpace(id); id != "" {
				if len(id) > 100 || strings.ContainsAny(id, ";,\n") {
					return Invalid(f.name, "ID %q: at most 100 characters, no ';' or ','", id)
				}
				out = append(out, id)
			}
		}
		if len(out) == 0 || len(out) > MaxProposalIDs {
			return Invalid(f.name, "must name 1 to %d provisions", MaxProposalIDs)
		}
		*f.ids = out
	}
	switch p.Relationship {
	case "equivalent-to", "equal-to", "subset-of", "superset-of", "intersects-with", "no-relationship":
	default:
		return Invalid("relationship", "must be an OSCAL relationship (equivalent-to, equal-to, subset-of, superset-of, intersects-with, no-relationship)")
	}
	switch p.Confidence {
	case "high", "medium", "low":
	default:
		return Invalid("confidence", "must be high, medium or low")
	}
	p.Rationale, err = trimLen("rationale", p.Rationale, 1, MaxWorkspaceText)
	return err
}

// Normalize checks a report's own fields.
func (r *WorkspaceReport) Normalize() (err error) {
	if r.Title, err = trimLen("title", r.Title, 1, 200); err != nil {
		return err
	}
	if r.From.IsZero() || r.To.IsZero() || r.To.Before(r.From) {
		return Invalid("to", "the period needs a start and an end not before it")
	}
	if r.OpenQuestions, err = trimLen("open_questions", r.OpenQuestions, 0, MaxWorkspaceText); err != nil {
		return err
	}
	r.Gaps, err = trimLen("gaps", r.Gaps, 0, MaxWorkspaceText)
	return err
}

// WorkspaceStore keeps workspaces. Every call is scoped to the actor's
// organisation: a workspace it is not a member of (invited or accepted)
// does not exist for it (ErrNotFound).
type WorkspaceStore interface {
	// CreateWorkspace creates a workspace with the actor's organisation as
	// its first member and reviewer (PermManageMembers).
	CreateWorkspace(ctx context.Context, a Actor, w *Workspace) error
	// ListWorkspaces lists the workspaces the organisation is a member of
	// or invited to, with their members.
	ListWorkspaces(ctx context.Context, a Actor) ([]Workspace, error)
	GetWorkspace(ctx context.Context, a Actor, id string) (Workspace, error)
	// InviteToWorkspace invites another organisation (PermManageMembers of
	// an accepted member).
	InviteToWorkspace(ctx context.Context, a Actor, workspaceID, orgID string, role WorkspaceRole) error
	// AcceptWorkspace accepts the organisation's invitation (PermManageMembers).
	AcceptWorkspace(ctx context.Context, a Actor, workspaceID string) error

	// CreateMappingProposal stores an open proposal of an accepted member
	// (PermWriteSchemes).
	CreateMappingProposal(ctx context.Context, a Actor, p *MappingProposal) error
	// ListMappingProposals lists a workspace's proposals, newest first,
	// each with its comments.
	ListMappingProposals(ctx context.Context, a Actor, workspaceID string) ([]MappingProposal, error)
	// GetMappingProposal returns a proposal with its comments, oldest first.
	GetMappingProposal(ctx context.Context, a Actor, id string) (MappingProposal, error)
	CommentMappingProposal(ctx context.Context, a Actor, id, body string) error
	// ApproveMappingProposal approves an open proposal: the actor's
	// organisation must be a reviewer of the workspace and not the
	// proposer's (PermWriteSchemes).
	ApproveMappingProposal(ctx context.Context, a Actor, id string) (MappingProposal, error)
	// MergeMappingProposal moves an approved proposal to merged and stores
	// imports (one mapping import per member organisation, each with its
	// OrgID set, mappings only) in the same transaction: every member gets
	// its import and the proposal is merged, or nothing is written. Each
	// import's organisation must be an accepted member (PermWriteSchemes).
	MergeMappingProposal(ctx context.Context, a Actor, id string, imports []SchemeImport) (MappingProposal, error)
	// WithdrawMappingProposal closes an open proposal of the actor's
	// organisation (PermWriteSchemes).
	WithdrawMappingProposal(ctx context.Context, a Actor, id string) (MappingProposal, error)
	// RejectMappingProposal closes an open proposal with a reason: the
	// actor's organisation must be a reviewer of the workspace and not the
	// proposer's (PermWriteSchemes).
	RejectMappingProposal(ctx context.Context, a Actor, id, reason string) (MappingProposal, error)

	// RemoveWorkspaceMember removes another organisation (a member or an
	// invited one) from the workspace: only the organisation that created
	// it may (PermManageMembers). The removed organisation's open
	// proposals are withdrawn; from then on it sees nothing of the
	// workspace.
	RemoveWorkspaceMember(ctx context.Context, a Actor, workspaceID, orgID string) error
	// LeaveWorkspace takes the actor's organisation out of a workspace it
	// is in or invited to (declining the invitation), as removal does; the
	// organisation that created the workspace cannot leave it
	// (PermManageMembers).
	LeaveWorkspace(ctx context.Context, a Actor, workspaceID string) error

	// PublishWorkspaceReport publishes a report of a workspace the
	// organisation is an accepted member of (PermWriteSchemes).
	PublishWorkspaceReport(ctx context.Context, a Actor, r *WorkspaceReport) error
	// ListWorkspaceReports lists a workspace's own reports, newest first.
	ListWorkspaceReports(ctx context.Context, a Actor, workspaceID string) ([]WorkspaceReport, error)
	// WorkspaceFeed lists, newest first, the reports of other workspaces
	// that the organisation's workspaces see (every published one of a
	// workspace the organisation is not in), at most limit.
	WorkspaceFeed(ctx context.Context, a Actor, workspaceID string, limit int) ([]WorkspaceReport, error)
}
