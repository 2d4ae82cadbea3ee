// Package workspace is the workspaces capability's service: organisations
// of different kinds (government, industry, research, labs) working
// together around a focus area or a Special Interest Group. Members
// propose mappings between schemes' provisions (new ones, or a change of
// an existing one's relationship or confidence), comment on them, and a
// reviewer of another member organisation approves; a merged proposal
// becomes a mapping import in every accepted member's own catalog, with
// provenance "expert" and a citation naming the workspace and who
// approved it, so each member's compare and baseline answers change and
// no one else's do; a merged change replaces the map it changes. The
// members' imports and the proposal's move to merged are one transaction
// of the store. A proposer withdraws, a reviewer of another organisation
// rejects with a reason; the creating organisation removes members and
// the others leave. Reports of a period's work go to the other
// workspaces' feeds.
//
// It reaches its records through iotsec.WorkspaceStore and the catalog
// through an injected func (wired in internal/app), never by importing
// another service.
package workspace

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Service is the workspace service.
type Service struct {
	store iotsec.WorkspaceStore
	Now   func() time.Time
	// BaseURL is the server's public address; a merged map cites the
	// workspace's page under it.
	BaseURL string
	// PrepareMappings checks a mapping spreadsheet against the catalog a's
	// organisation sees and returns the private import of a's organisation
	// it makes, storing nothing (wired to the catalog's Prepare).
	// supersedes marks the maps as changes of maps the catalog has: they
	// replace them, and each must match one.
	PrepareMappings func(ctx context.Context, a iotsec.Actor, name string, csv []byte, supersedes bool) (iotsec.SchemeImport, error)
}

// New returns the service over store.
func New(store iotsec.WorkspaceStore) *Service { return &Service{store: store, Now: time.Now} }

// Create creates a workspace with a's organisation as its first reviewer.
func (s *Service) Create(ctx context.Context, a iotsec.Actor, w iotsec.Workspace) (iotsec.Workspace, error) {
	err := s.store.CreateWorkspace(ctx, a, &w)
	return w, err
}

// List lists the workspaces a's organisation is in or invited to.
func (s *Service) List(ctx context.Context, a iotsec.Actor) ([]iotsec.Workspace, error) {
	return s.store.ListWorkspaces(ctx, a)
}

// Get returns one workspace with its members.
func (s *Service) Get(ctx context.Context, a iotsec.Actor, id string) (iotsec.Workspace, error) {
	return s.store.GetWorkspace(ctx, a, id)
}

// Invite invites another organisation with a role.
func (s *Service) Invite(ctx context.Context, a iotsec.Actor, id, orgID string, role iotsec.WorkspaceRole) error {
	return s.store.InviteToWorkspace(ctx, a, id, orgID, role)
}

// Accept accepts a's organisation's invitation.
func (s *Service) Accept(ctx context.Context, a iotsec.Actor, id string) error {
	return s.store.AcceptWorkspace(ctx, a, id)
}

// Detail is a workspace as its page shows it: members, proposals, its own
// reports and the feed of the others'.
type Detail struct {
	Workspace iotsec.Workspace         `json:"workspace"`
	Accepted  bool                     `json:"accepted"` // a's organisation has accepted
	Proposals []iotsec.MappingProposal `json:"proposals"`
	Reports   []iotsec.WorkspaceReport `json:"reports"`
	Feed      []iotsec.WorkspaceReport `json:"feed"`
}

// FeedSize is how many reports of other workspaces a detail shows.
const FeedSize = 50

// Detail returns what a's organisation sees of a workspace. An invited
// organisation that has not accepted sees the workspace and its members
// only.
func (s *Service) Detail(ctx context.Context, a iotsec.Actor, id string) (*Detail, error) {
	w, err := s.store.GetWorkspace(ctx, a, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Workspace: w, Proposals: []iotsec.MappingProposal{}, Reports: []iotsec.WorkspaceReport{}, Feed: []iotsec.WorkspaceReport{}}
	for _, m := range w.Members {
		if m.OrgID == a.OrgID {
			d.Accepted = m.Accepted
		}
	}
	if !d.Accepted {
		return d, nil
	}
	if d.Proposals, err = s.store.ListMappingProposals(ctx, a, id); err != nil {
		return nil, err
	}
	if d.Reports, err = s.store.ListWorkspaceReports(ctx, a, id); err != nil {
		return nil, err
	}
	if d.Feed, err = s.store.WorkspaceFeed(ctx, a, id, FeedSize); err != nil {
		return nil, err
	}
	return d, nil
}

// Propose stores a mapping proposal after checking it against the
// catalog a's organisation sees: both schemes and every provision must
// exist there.
func (s *Service) Propose(ctx context.Context, a iotsec.Actor, p iotsec.MappingProposal) (iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return p, err
	}
	if err := p.Normalize(); err != nil {
		return p, err
	}
	if _, err := s.store.GetWorkspace(ctx, a, p.WorkspaceID); err != nil {
		return p, err
	}
	if s.PrepareMappings != nil {
		body, err := spreadsheet(p, "workspace proposal", s.pageURL(p.WorkspaceID))
		if err != nil {
			return p, err
		}
		if _, err := s.PrepareMappings(ctx, a, "proposal", body, p.Kind == iotsec.ProposalChange); err != nil {
			if p.Kind == iotsec.ProposalChange && strings.Contains(strings.Join(iotsec.DetailsOf(err), " "), "replaces no map") {
				return p, iotsec.Invalid("sources", "a change names a map your catalog has: no map joins %s %s and %s %s; propose a new one instead",
					p.From, strings.Join(p.Sources, ";"), p.To, strings.Join(p.Targets, ";"))
			}
			return p, err
		}
	}
	err := s.store.CreateMappingProposal(ctx, a, &p)
	return p, err
}

// Proposal returns one proposal of workspace wsID with its comments.
func (s *Service) Proposal(ctx context.Context, a iotsec.Actor, wsID, id string) (iotsec.MappingProposal, error) {
	p, err := s.store.GetMappingProposal(ctx, a, id)
	if err == nil && p.WorkspaceID != wsID {
		return iotsec.MappingProposal{}, iotsec.NotFound("mapping proposal")
	}
	return p, err
}

// Comment adds a comment to a proposal of workspace wsID.
func (s *Service) Comment(ctx context.Context, a iotsec.Actor, wsID, id, body string) error {
	if _, err := s.Proposal(ctx, a, wsID, id); err != nil {
		return err
	}
	return s.store.CommentMappingProposal(ctx, a, id, body)
}

// Approve approves an open proposal of workspace wsID (a reviewer of an
// organisation other than the proposer's).
func (s *Service) Approve(ctx context.Context, a iotsec.Actor, wsID, id string) (iotsec.MappingProposal, error) {
	if _, err := s.Proposal(ctx, a, wsID, id); err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.store.ApproveMappingProposal(ctx, a, id)
}

// Merged says what a merge did.
type Merged struct {
	Proposal iotsec.MappingProposal `json:"proposal"`
	// Imports are the mapping imports made, one per accepted member.
	Imports []MemberImport `json:"imports"`
}

// MemberImport is the import a merge made in one member's catalog.
type MemberImport struct {
	OrgID    string `json:"org_id"`
	OrgName  string `json:"org_name"`
	ImportID string `json:"import_id"`
}

// Merge merges an approved proposal into the catalog of every accepted
// member organisation: one private mapping import each, made with the
// database's authority in that organisation (the workspace's agreement
// is the member's consent), with provenance expert and a citation
// "workspace W, approved by R of O". A change proposal's map replaces
// the map it changes in each member's catalog. Each member's import is
// checked against its catalog first, then all of them are written with
// the proposal's move to merged in one transaction: every member gets
// its import or none does.
func (s *Service) Merge(ctx context.Context, a iotsec.Actor, wsID, id string) (*Merged, error) {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return nil, err
	}
	if s.PrepareMappings == nil {
		return nil, fmt.Errorf("merge: no catalog to merge into")
	}
	p, err := s.Proposal(ctx, a, wsID, id)
	if err != nil {
		return nil, err
	}
	if p.Status != iotsec.ProposalApproved {
		return nil, iotsec.Conflict("only an approved proposal is merged; this one is %s", p.Status)
	}
	w, err := s.store.GetWorkspace(ctx, a, p.WorkspaceID)
	if err != nil {
		return nil, err
	}
	body, err := spreadsheet(p, Citation(w, p), s.pageURL(w.ID))
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("workspace %s: proposal %s", w.Name, p.ID)
	var imports []iotsec.SchemeImport
	for _, m := range w.Members {
		if !m.Accepted {
			continue
		}
		im, err := s.PrepareMappings(ctx, iotsec.System(m.OrgID, "workspace "+w.ID), name, body, p.Kind == iotsec.ProposalChange)
		if err != nil {
			return nil, iotsec.Conflict("the proposal no longer fits the catalog of %s: %s", m.OrgName, detail(err))
		}
		im.OrgID = m.OrgID
		imports = append(imports, im)
	}
	merged, err := s.store.MergeMappingProposal(ctx, a, id, imports)
	if err != nil {
		return nil, err
	}
	out := &Merged{Proposal: merged, Imports: []MemberImport{}}
	for _, im := range imports {
		out.Imports = append(out.Imports, MemberImport{OrgID: im.OrgID, OrgName: im.OrgName, ImportID: im.ID})
	}
	return out, nil
}

// detail is an error's message with its details.
func detail(err error) string {
	msg := iotsec.Message(err)
	if ds := iotsec.DetailsOf(err); len(ds) > 0 {
		msg += ": " + strings.Join(ds, "; ")
	}
	return msg
}

// Withdraw withdraws an open proposal of workspace wsID (its proposing
// organisation).
func (s *Service) Withdraw(ctx context.Context, a iotsec.Actor, wsID, id string) (iotsec.MappingProposal, error) {
	if _, err := s.Proposal(ctx, a, wsID, id); err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.store.WithdrawMappingProposal(ctx, a, id)
}

// Reject rejects an open proposal of workspace wsID with a reason (a
// reviewer of an organisation other than the proposer's).
func (s *Service) Reject(ctx context.Context, a iotsec.Actor, wsID, id, reason string) (iotsec.MappingProposal, error) {
	if _, err := s.Proposal(ctx, a, wsID, id); err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.store.RejectMappingProposal(ctx, a, id, reason)
}

// Remove removes another organisation from the workspace (the
// organisation that created it). The imports a merge made in the removed
// organisation's catalog stay there: they are its own.
func (s *Service) Remove(ctx context.Context, a iotsec.Actor, wsID, orgID string) error {
	return s.store.RemoveWorkspaceMember(ctx, a, wsID, orgID)
}

// Leave takes a's organisation out of the workspace, or declines its
// invitation.
func (s *Service) Leave(ctx context.Context, a iotsec.Actor, wsID string) error {
	return s.store.LeaveWorkspace(ctx, a, wsID)
}

// Citation is the citation a merged proposal's map carries: the
// workspace and who approved it.
func Citation(w iotsec.Workspace, p iotsec.MappingProposal) string {
	return fmt.Sprintf("workspace %s (%s), proposal %s by %s, approved by %s of %s", w.Name, w.ID, p.ID, p.OrgName, p.ApprovedBy, p.ApprovedOrg)
}

// spreadsheet writes a proposal as a one-row mapping spreadsheet, the
// catalog's import format.
func spreadsheet(p iotsec.MappingProposal, citation, url string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"from", "to", "sources", "relationship", "targets", "rationale", "provenance", "confidence", "citation_title", "citation_url"})
	w.Write([]string{p.From, p.To, strings.Join(p.Sources, ";"), p.Relationship, strings.Join(p.Targets, ";"), p.Rationale,
		"expert", p.Confidence, citation, url})
	w.Flush()
	return b.Bytes(), w.Error()
}

// pageURL is a workspace's page, which a merged map cites.
func (s *Service) pageURL(id string) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = "http://localhost"
	}
	return base + "/workspaces/" + id
}

// Publish publishes a report of a period's work.
func (s *Service) Publish(ctx context.Context, a iotsec.Actor, r iotsec.WorkspaceReport) (iotsec.WorkspaceReport, error) {
	err := s.store.PublishWorkspaceReport(ctx, a, &r)
	return r, err
}
