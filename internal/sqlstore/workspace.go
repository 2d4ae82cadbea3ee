package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// wsMember returns the actor's organisation's membership of a workspace;
// ErrNotFound when it has none, so a non-member cannot tell the workspace
// exists. accepted demands an accepted membership.
func (s *Store) wsMember(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, a iotsec.Actor, wsID string, accepted bool) (iotsec.WorkspaceRole, error) {
	var role iotsec.WorkspaceRole
	var acc int
	err := q.QueryRowContext(ctx, s.q("SELECT role, accepted FROM workspace_members WHERE workspace_id = ? AND org_id = ?"), wsID, a.OrgID).Scan(&role, &acc)
	if err != nil {
		return "", notFound(err, "workspace")
	}
	if accepted && acc != 1 {
		return "", iotsec.Forbidden("your organisation has not accepted the invitation to this workspace")
	}
	return role, nil
}

func (s *Store) CreateWorkspace(ctx context.Context, a iotsec.Actor, w *iotsec.Workspace) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	if err := w.Normalize(); err != nil {
		return err
	}
	w.ID, w.OrgID, w.CreatedBy, w.CreatedAt = s.ids.New(iotsec.PrefixWorkspace), a.OrgID, a.Name(), s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO workspaces (id, name, focus, org_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
			w.ID, w.Name, w.Focus, w.OrgID, w.CreatedBy, s.t(w.CreatedAt)); err != nil {
			return fmt.Errorf("insert workspace: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO workspace_members (workspace_id, org_id, role, accepted, invited_by, invited_at, joined_at)
			VALUES (?, ?, ?, 1, ?, ?, ?)`), w.ID, a.OrgID, iotsec.WorkspaceReviewer, w.CreatedBy, s.t(w.CreatedAt), s.t(w.CreatedAt)); err != nil {
			return fmt.Errorf("insert workspace member: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.create", w.ID, map[string]any{"name": w.Name})
	})
	if err != nil {
		return err
	}
	got, err := s.GetWorkspace(ctx, a, w.ID)
	*w = got
	return err
}

func (s *Store) members(ctx context.Context, wsID string) ([]iotsec.WorkspaceMember, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT m.org_id, o.name, m.role, m.accepted, m.invited_by, m.invited_at, m.joined_at
		FROM workspace_members m JOIN orgs o ON o.id = m.org_id WHERE m.workspace_id = ? ORDER BY m.invited_at, m.org_id`), wsID)
	if err != nil {
		return nil, fmt.Errorf("list workspace members: %w", err)
	}
	defer rows.Close()
	out := []iotsec.WorkspaceMember{}
	for rows.Next() {
		var m iotsec.WorkspaceMember
		var acc int
		if err := rows.Scan(&m.OrgID, &m.OrgName, &m.Role, &acc, &m.InvitedBy, tscan{&m.InvitedAt}, tscan{&m.JoinedAt}); err != nil {
			return nil, err
		}
		m.Accepted = acc == 1
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) ListWorkspaces(ctx context.Context, a iotsec.Actor) ([]iotsec.Workspace, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT w.id, w.name, w.focus, w.org_id, w.created_by, w.created_at FROM workspaces w
		JOIN workspace_members m ON m.workspace_id = w.id AND m.org_id = ? ORDER BY w.id`), a.OrgID)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	out := []iotsec.Workspace{}
	for rows.Next() {
		var w iotsec.Workspace
		if err := rows.Scan(&w.ID, &w.Name, &w.Focus, &w.OrgID, &w.CreatedBy, tscan{&w.CreatedAt}); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Members, err = s.members(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) GetWorkspace(ctx context.Context, a iotsec.Actor, id string) (iotsec.Workspace, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Workspace{}, err
	}
	if _, err := s.wsMember(ctx, s.db, a, id, false); err != nil {
		return iotsec.Workspace{}, err
	}
	var w iotsec.Workspace
	err := s.db.QueryRowContext(ctx, s.q("SELECT id, name, focus, org_id, created_by, created_at FROM workspaces WHERE id = ?"), id).
		Scan(&w.ID, &w.Name, &w.Focus, &w.OrgID, &w.CreatedBy, tscan{&w.CreatedAt})
	if err != nil {
		return w, notFound(err, "workspace")
	}
	w.Members, err = s.members(ctx, id)
	return w, err
}

func (s *Store) InviteToWorkspace(ctx context.Context, a iotsec.Actor, wsID, orgID string, role iotsec.WorkspaceRole) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	if role != iotsec.WorkspaceReviewer && role != iotsec.WorkspaceMemberRole {
		return iotsec.Invalid("role", "must be %s or %s", iotsec.WorkspaceReviewer, iotsec.WorkspaceMemberRole)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, wsID, true); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM orgs WHERE id = ?"), orgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return iotsec.Invalid("org_id", "no organisation %q", orgID)
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ? AND org_id = ?"), wsID, orgID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return iotsec.Conflict("the organisation is already a member of or invited to this workspace")
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO workspace_members (workspace_id, org_id, role, accepted, invited_by, invited_at)
			VALUES (?, ?, ?, 0, ?, ?)`), wsID, orgID, role, a.Name(), s.t(s.now())); err != nil {
			return fmt.Errorf("invite to workspace: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.invite", wsID, map[string]any{"org_id": orgID, "role": role})
	})
}

func (s *Store) AcceptWorkspace(ctx context.Context, a iotsec.Actor, wsID string) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, wsID, false); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE workspace_members SET accepted = 1, joined_at = ? WHERE workspace_id = ? AND org_id = ? AND accepted = 0"),
			s.t(s.now()), wsID, a.OrgID)
		if err != nil {
			return fmt.Errorf("accept workspace: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the invitation was already accepted")
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.accept", wsID, nil)
	})
}

const proposalColumns = `p.id, p.workspace_id, p.org_id, o.name, p.kind, p.from_scheme, p.to_scheme, p.sources, p.targets, p.relationship,
	p.confidence, p.rationale, p.status, p.proposed_by, p.proposed_at, p.approved_by, p.approved_org, p.approved_at, p.merged_by, p.merged_at,
	p.closed_by, p.closed_org, p.closed_reason, p.closed_at`

func scanProposal(r interface{ Scan(...any) error }) (iotsec.MappingProposal, error) {
	var p iotsec.MappingProposal
	var src, tgt string
	err := r.Scan(&p.ID, &p.WorkspaceID, &p.OrgID, &p.OrgName, &p.Kind, &p.From, &p.To, &src, &tgt, &p.Relationship,
		&p.Confidence, &p.Rationale, &p.Status, &p.ProposedBy, tscan{&p.ProposedAt}, &p.ApprovedBy, &p.ApprovedOrg, tscan{&p.ApprovedAt},
		&p.MergedBy, tscan{&p.MergedAt}, &p.ClosedBy, &p.ClosedOrg, &p.Reason, tscan{&p.ClosedAt})
	p.Sources, p.Targets, p.Comments = strings.Split(src, ";"), strings.Split(tgt, ";"), []iotsec.ProposalComment{}
	return p, err
}

func (s *Store) CreateMappingProposal(ctx context.Context, a iotsec.Actor, p *iotsec.MappingProposal) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	p.ID, p.OrgID, p.Status, p.ProposedBy, p.ProposedAt = s.ids.New(iotsec.PrefixProposal), a.OrgID, iotsec.ProposalOpen, a.Name(), s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, p.WorkspaceID, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO workspace_proposals (id, workspace_id, org_id, kind, from_scheme, to_scheme, sources, targets,
			relationship, confidence, rationale, status, proposed_by, proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.WorkspaceID, p.OrgID, p.Kind, p.From, p.To, strings.Join(p.Sources, ";"), strings.Join(p.Targets, ";"),
			p.Relationship, p.Confidence, p.Rationale, p.Status, p.ProposedBy, s.t(p.ProposedAt))
		if err != nil {
			return fmt.Errorf("insert mapping proposal: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.propose", p.ID, map[string]any{"workspace": p.WorkspaceID})
	})
	if err != nil {
		return err
	}
	got, err := s.GetMappingProposal(ctx, a, p.ID)
	*p = got
	return err
}

func (s *Store) ListMappingProposals(ctx context.Context, a iotsec.Actor, wsID string) ([]iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if _, err := s.wsMember(ctx, s.db, a, wsID, true); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+proposalColumns+" FROM workspace_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.workspace_id = ? ORDER BY p.id DESC"), wsID)
	if err != nil {
		return nil, fmt.Errorf("list mapping proposals: %w", err)
	}
	out := []iotsec.MappingProposal{}
	at := map[string]int{}
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		at[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every proposal's comments in one query, oldest first.
	crows, err := s.db.QueryContext(ctx, s.q(`SELECT c.proposal_id, c.org_name, c.by_name, c.at, c.body FROM workspace_comments c
		JOIN workspace_proposals p ON p.id = c.proposal_id WHERE p.workspace_id = ? ORDER BY c.seq`), wsID)
	if err != nil {
		return nil, fmt.Errorf("list comments: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var id string
		var c iotsec.ProposalComment
		if err := crows.Scan(&id, &c.OrgName, &c.By, tscan{&c.At}, &c.Body); err != nil {
			return nil, err
		}
		if i, ok := at[id]; ok {
			out[i].Comments = append(out[i].Comments, c)
		}
	}
	return out, crows.Err()
}

// proposal reads one proposal of a workspace the actor's organisation has
// accepted; ErrNotFound otherwise.
func (s *Store) proposal(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, a iotsec.Actor, id string) (iotsec.MappingProposal, iotsec.WorkspaceRole, error) {
	p, err := scanProposal(q.QueryRowContext(ctx, s.q("SELECT "+proposalColumns+" FROM workspace_proposals p JOIN orgs o ON o.id = p.org_id WHERE p.id = ?"), id))
	if err != nil {
		return p, "", notFound(err, "mapping proposal")
	}
	role, err := s.wsMember(ctx, q, a, p.WorkspaceID, true)
	if err != nil {
		return iotsec.MappingProposal{}, "", iotsec.NotFound("mapping proposal")
	}
	return p, role, nil
}

func (s *Store) GetMappingProposal(ctx context.Context, a iotsec.Actor, id string) (iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.MappingProposal{}, err
	}
	p, _, err := s.proposal(ctx, s.db, a, id)
	if err != nil {
		return p, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT org_name, by_name, at, body FROM workspace_comments WHERE proposal_id = ? ORDER BY seq"), id)
	if err != nil {
		return p, fmt.Errorf("list comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c iotsec.ProposalComment
		if err := rows.Scan(&c.OrgName, &c.By, tscan{&c.At}, &c.Body); err != nil {
			return p, err
		}
		p.Comments = append(p.Comments, c)
	}
	return p, rows.Err()
}

func (s *Store) CommentMappingProposal(ctx context.Context, a iotsec.Actor, id, body string) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	body = strings.TrimSpace(body)
	if body == "" || len(body) > iotsec.MaxWorkspaceText {
		return iotsec.Invalid("body", "must be 1 to %d characters", iotsec.MaxWorkspaceText)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		p, _, err := s.proposal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var org string
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&org); err != nil {
			return notFound(err, "organisation")
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO workspace_comments (proposal_id, org_name, by_name, at, body) VALUES (?, ?, ?, ?, ?)"),
			p.ID, org, a.Name(), s.t(s.now()), body); err != nil {
			return fmt.Errorf("insert comment: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.comment", p.ID, nil)
	})
}

func (s *Store) ApproveMappingProposal(ctx context.Context, a iotsec.Actor, id string) (iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return iotsec.MappingProposal{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, role, err := s.proposal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		switch {
		case role != iotsec.WorkspaceReviewer:
			return iotsec.Forbidden("only the workspace's reviewers approve proposals")
		case p.OrgID == a.OrgID:
			return iotsec.Forbidden("a proposal is approved by a reviewer of an organisation other than the proposer's")
		case p.Status != iotsec.ProposalOpen:
			return iotsec.Conflict("the proposal is already %s", p.Status)
		}
		var org string
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&org); err != nil {
			return notFound(err, "organisation")
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE workspace_proposals SET status = ?, approved_by = ?, approved_org = ?, approved_at = ? WHERE id = ? AND status = ?"),
			iotsec.ProposalApproved, a.Name(), org, s.t(s.now()), id, iotsec.ProposalOpen)
		if err != nil {
			return fmt.Errorf("approve proposal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the proposal was approved meanwhile")
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.approve", id, nil)
	})
	if err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.GetMappingProposal(ctx, a, id)
}

// MergeMappingProposal writes the merge and every member's import in one
// transaction.
func (s *Store) MergeMappingProposal(ctx context.Context, a iotsec.Actor, id string, imports []iotsec.SchemeImport) (iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return iotsec.MappingProposal{}, err
	}
	for i := range imports {
		im := &imports[i]
		if err := im.Normalize(); err != nil {
			return iotsec.MappingProposal{}, err
		}
		if len(im.Slugs) > 0 || im.Visibility != iotsec.VisibilityPrivate {
			return iotsec.MappingProposal{}, iotsec.Invalid("imports", "a merge stores private mapping imports only")
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, _, err := s.proposal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if p.Status != iotsec.ProposalApproved {
			return iotsec.Conflict("only an approved proposal is merged; this one is %s", p.Status)
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE workspace_proposals SET status = ?, merged_by = ?, merged_at = ? WHERE id = ? AND status = ?"),
			iotsec.ProposalMerged, a.Name(), s.t(s.now()), id, iotsec.ProposalApproved)
		if err != nil {
			return fmt.Errorf("merge proposal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the proposal was merged meanwhile")
		}
		by := "system:workspace " + p.WorkspaceID
		for i := range imports {
			im := &imports[i]
			var acc int
			err := tx.QueryRowContext(ctx, s.q("SELECT accepted FROM workspace_members WHERE workspace_id = ? AND org_id = ?"), p.WorkspaceID, im.OrgID).Scan(&acc)
			if err != nil || acc != 1 {
				return iotsec.Conflict("organisation %q is not an accepted member of the workspace", im.OrgID)
			}
			if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), im.OrgID).Scan(&im.OrgName); err != nil {
				return notFound(err, "organisation")
			}
			im.ID, im.CreatedBy, im.CreatedAt = s.ids.New(iotsec.PrefixImport), by, s.now()
			im.UpdatedAt = im.CreatedAt
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO scheme_imports (id, org_id, name, format, visibility, slugs, mapping_sets, maps, created_by, created_at, updated_at, source, parsed)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				im.ID, im.OrgID, im.Name, im.Format, im.Visibility, "", strings.Join(im.MappingSets, ","), im.Maps,
				im.CreatedBy, s.t(im.CreatedAt), s.t(im.UpdatedAt), im.Source, string(im.Parsed)); err != nil {
				return fmt.Errorf("insert the merge's import for %s: %w", im.OrgName, err)
			}
			if err := s.audit(ctx, tx, im.OrgID, by, "scheme.import", im.ID, map[string]any{
				"name": im.Name, "format": im.Format, "visibility": im.Visibility, "mapping_sets": im.MappingSets, "proposal": id}); err != nil {
				return err
			}
		}
		if err := s.bumpSchemes(ctx, tx); err != nil {
			return err
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.merge", id, map[string]any{"workspace": p.WorkspaceID, "imports": len(imports)})
	})
	if err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.GetMappingProposal(ctx, a, id)
}

// closeProposal moves an open proposal to withdrawn or rejected; allow
// says whether the actor's organisation, in its workspace role, may.
func (s *Store) closeProposal(ctx context.Context, a iotsec.Actor, id string, to iotsec.ProposalStatus, reason, action string,
	allow func(p iotsec.MappingProposal, role iotsec.WorkspaceRole) error) (iotsec.MappingProposal, error) {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return iotsec.MappingProposal{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, role, err := s.proposal(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := allow(p, role); err != nil {
			return err
		}
		if p.Status != iotsec.ProposalOpen {
			return iotsec.Conflict("only an open proposal is %s; this one is %s", to, p.Status)
		}
		var org string
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&org); err != nil {
			return notFound(err, "organisation")
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE workspace_proposals SET status = ?, closed_by = ?, closed_org = ?, closed_reason = ?, closed_at = ?
			WHERE id = ? AND status = ?`), to, a.Name(), org, reason, s.t(s.now()), id, iotsec.ProposalOpen)
		if err != nil {
			return fmt.Errorf("close proposal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return iotsec.Conflict("the proposal changed meanwhile")
		}
		detail := map[string]any{"workspace": p.WorkspaceID}
		if reason != "" {
			detail["reason"] = reason
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), action, id, detail)
	})
	if err != nil {
		return iotsec.MappingProposal{}, err
	}
	return s.GetMappingProposal(ctx, a, id)
}

func (s *Store) WithdrawMappingProposal(ctx context.Context, a iotsec.Actor, id string) (iotsec.MappingProposal, error) {
	return s.closeProposal(ctx, a, id, iotsec.ProposalWithdrawn, "", "workspace.withdraw", func(p iotsec.MappingProposal, _ iotsec.WorkspaceRole) error {
		if p.OrgID != a.OrgID {
			return iotsec.Forbidden("only the proposing organisation withdraws a proposal")
		}
		return nil
	})
}

func (s *Store) RejectMappingProposal(ctx context.Context, a iotsec.Actor, id, reason string) (iotsec.MappingProposal, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > iotsec.MaxWorkspaceText {
		return iotsec.MappingProposal{}, iotsec.Invalid("reason", "must be 1 to %d characters: say why the proposal is rejected", iotsec.MaxWorkspaceText)
	}
	return s.closeProposal(ctx, a, id, iotsec.ProposalRejected, reason, "workspace.reject", func(p iotsec.MappingProposal, role iotsec.WorkspaceRole) error {
		switch {
		case role != iotsec.WorkspaceReviewer:
			return iotsec.Forbidden("only the workspace's reviewers reject proposals")
		case p.OrgID == a.OrgID:
			return iotsec.Forbidden("a proposal is rejected by a reviewer of an organisation other than the proposer's; the proposer withdraws it")
		}
		return nil
	})
}

// dropMember deletes an organisation's membership of a workspace and
// withdraws its open proposals, in tx.
func (s *Store) dropMember(ctx context.Context, tx *sql.Tx, a iotsec.Actor, wsID, orgID, action, why string) error {
	res, err := tx.ExecContext(ctx, s.q("DELETE FROM workspace_members WHERE workspace_id = ? AND org_id = ?"), wsID, orgID)
	if err != nil {
		return fmt.Errorf("remove workspace member: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return iotsec.NotFound("workspace member")
	}
	var org string
	if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM orgs WHERE id = ?"), a.OrgID).Scan(&org); err != nil {
		return notFound(err, "organisation")
	}
	res, err = tx.ExecContext(ctx, s.q(`UPDATE workspace_proposals SET status = ?, closed_by = ?, closed_org = ?, closed_reason = ?, closed_at = ?
		WHERE workspace_id = ? AND org_id = ? AND status = ?`), iotsec.ProposalWithdrawn, a.Name(), org, why,
		s.t(s.now()), wsID, orgID, iotsec.ProposalOpen)
	if err != nil {
		return fmt.Errorf("withdraw the member's proposals: %w", err)
	}
	n, _ := res.RowsAffected()
	detail := map[string]any{"org": orgID, "withdrawn": n}
	if orgID != a.OrgID {
		// The removed organisation's own log says so too.
		if err := s.audit(ctx, tx, orgID, a.Name(), action, wsID, detail); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, a.OrgID, a.Name(), action, wsID, detail)
}

func (s *Store) RemoveWorkspaceMember(ctx context.Context, a iotsec.Actor, wsID, orgID string) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, wsID, true); err != nil {
			return err
		}
		var owner string
		if err := tx.QueryRowContext(ctx, s.q("SELECT org_id FROM workspaces WHERE id = ?"), wsID).Scan(&owner); err != nil {
			return notFound(err, "workspace")
		}
		switch {
		case owner != a.OrgID:
			return iotsec.Forbidden("only the organisation that created the workspace removes members")
		case orgID == a.OrgID:
			return iotsec.Invalid("org_id", "the organisation that created the workspace cannot remove itself")
		}
		return s.dropMember(ctx, tx, a, wsID, orgID, "workspace.remove", "the organisation was removed from the workspace")
	})
}

func (s *Store) LeaveWorkspace(ctx context.Context, a iotsec.Actor, wsID string) error {
	if err := a.Can(iotsec.PermManageMembers); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, wsID, false); err != nil {
			return err
		}
		var owner string
		if err := tx.QueryRowContext(ctx, s.q("SELECT org_id FROM workspaces WHERE id = ?"), wsID).Scan(&owner); err != nil {
			return notFound(err, "workspace")
		}
		if owner == a.OrgID {
			return iotsec.Conflict("the organisation that created the workspace cannot leave it")
		}
		return s.dropMember(ctx, tx, a, wsID, a.OrgID, "workspace.leave", "the organisation left the workspace")
	})
}

func (s *Store) PublishWorkspaceReport(ctx context.Context, a iotsec.Actor, r *iotsec.WorkspaceReport) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := r.Normalize(); err != nil {
		return err
	}
	if len(r.Merged) > iotsec.MaxProposalIDs {
		return iotsec.Invalid("merged", "at most %d proposals", iotsec.MaxProposalIDs)
	}
	r.ID, r.PublishedBy, r.PublishedAt = s.ids.New(iotsec.PrefixReport), a.Name(), s.now()
	if r.Merged == nil {
		r.Merged = []string{}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.wsMember(ctx, tx, a, r.WorkspaceID, true); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT name FROM workspaces WHERE id = ?"), r.WorkspaceID).Scan(&r.WorkspaceName); err != nil {
			return notFound(err, "workspace")
		}
		for _, id := range r.Merged {
			var st iotsec.ProposalStatus
			err := tx.QueryRowContext(ctx, s.q("SELECT status FROM workspace_proposals WHERE id = ? AND workspace_id = ?"), id, r.WorkspaceID).Scan(&st)
			if err != nil || st != iotsec.ProposalMerged {
				return iotsec.Invalid("merged", "%q is not a merged proposal of this workspace", id)
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO workspace_reports (id, workspace_id, title, period_from, period_to, merged, open_questions, gaps,
			published_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.ID, r.WorkspaceID, r.Title, r.From.String(), r.To.String(),
			strings.Join(r.Merged, ","), r.OpenQuestions, r.Gaps, r.PublishedBy, s.t(r.PublishedAt))
		if err != nil {
			return fmt.Errorf("insert workspace report: %w", err)
		}
		return s.audit(ctx, tx, a.OrgID, a.Name(), "workspace.report", r.ID, map[string]any{"workspace": r.WorkspaceID})
	})
}

func (s *Store) reports(ctx context.Context, query string, args ...any) ([]iotsec.WorkspaceReport, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.workspace_id, w.name, r.title, r.period_from, r.period_to, r.merged, r.open_questions, r.gaps,
		r.published_by, r.published_at FROM workspace_reports r JOIN workspaces w ON w.id = r.workspace_id `+query), args...)
	if err != nil {
		return nil, fmt.Errorf("list workspace reports: %w", err)
	}
	defer rows.Close()
	out := []iotsec.WorkspaceReport{}
	for rows.Next() {
		var r iotsec.WorkspaceReport
		var from, to, merged string
		if err := rows.Scan(&r.ID, &r.WorkspaceID, &r.WorkspaceName, &r.Title, &from, &to, &merged, &r.OpenQuestions, &r.Gaps,
			&r.PublishedBy, tscan{&r.PublishedAt}); err != nil {
			return nil, err
		}
		r.From, _ = iotsec.ParseDate(from)
		r.To, _ = iotsec.ParseDate(to)
		r.Merged = []string{}
		if merged != "" {
			r.Merged = strings.Split(merged, ",")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) ListWorkspaceReports(ctx context.Context, a iotsec.Actor, wsID string) ([]iotsec.WorkspaceReport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if _, err := s.wsMember(ctx, s.db, a, wsID, true); err != nil {
		return nil, err
	}
	return s.reports(ctx, "WHERE r.workspace_id = ? ORDER BY r.published_at DESC, r.id DESC", wsID)
}

func (s *Store) WorkspaceFeed(ctx context.Context, a iotsec.Actor, wsID string, limit int) ([]iotsec.WorkspaceReport, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	if _, err := s.wsMember(ctx, s.db, a, wsID, true); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	return s.reports(ctx, "WHERE r.workspace_id <> ? ORDER BY r.published_at DESC, r.id DESC LIMIT ?", wsID, limit)
}
