package storetest

import (
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testWorkspaces pins workspaces: membership by invitation and acceptance,
// a non-member sees nothing (not found), proposals approved by a reviewer
// of another organisation only, merged once, reports in the other
// workspaces' feed.
func testWorkspaces(t *testing.T, open Opener) {
	f := setup(t, open)
	uc := f.user(t, "carol@c.example")
	c := f.org(t, "Org C", uc.ID)
	C := iotsec.Actor{OrgID: c.ID, UserID: uc.ID, Role: iotsec.RoleOwner, Label: uc.Email}
	viewerA := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "viewer"}

	w := iotsec.Workspace{Name: "  IoT SIG ", Focus: "consumer IoT baselines"}
	wantKind(t, "CreateWorkspace viewer", f.s.CreateWorkspace(f.ctx, viewerA, &w), iotsec.ErrForbidden)
	wantKind(t, "CreateWorkspace no name", f.s.CreateWorkspace(f.ctx, f.A, &iotsec.Workspace{Focus: "x"}), iotsec.ErrInvalid)
	wantKind(t, "CreateWorkspace", f.s.CreateWorkspace(f.ctx, f.A, &w), nil)
	if w.ID == "" || w.Name != "IoT SIG" || len(w.Members) != 1 || w.Members[0].Role != iotsec.WorkspaceReviewer || !w.Members[0].Accepted {
		t.Fatalf("created %+v", w)
	}
	// Not invited: nothing of it exists.
	_, err := f.s.GetWorkspace(f.ctx, f.B, w.ID)
	wantKind(t, "GetWorkspace non-member", err, iotsec.ErrNotFound)
	if l, err := f.s.ListWorkspaces(f.ctx, f.B); err != nil || len(l) != 0 {
		t.Fatalf("ListWorkspaces non-member = %v, %v", l, err)
	}
	wantKind(t, "Invite by non-member", f.s.InviteToWorkspace(f.ctx, f.B, w.ID, c.ID, iotsec.WorkspaceMemberRole), iotsec.ErrNotFound)
	wantKind(t, "Invite bad role", f.s.InviteToWorkspace(f.ctx, f.A, w.ID, f.b.ID, "boss"), iotsec.ErrInvalid)
	wantKind(t, "Invite unknown org", f.s.InviteToWorkspace(f.ctx, f.A, w.ID, "org_nope", iotsec.WorkspaceMemberRole), iotsec.ErrInvalid)
	wantKind(t, "Invite B", f.s.InviteToWorkspace(f.ctx, f.A, w.ID, f.b.ID, iotsec.WorkspaceReviewer), nil)
	wantKind(t, "Invite B again", f.s.InviteToWorkspace(f.ctx, f.A, w.ID, f.b.ID, iotsec.WorkspaceReviewer), iotsec.ErrConflict)
	wantKind(t, "Invite C", f.s.InviteToWorkspace(f.ctx, f.A, w.ID, c.ID, iotsec.WorkspaceMemberRole), nil)
	// Invited but not accepted: sees the workspace, may not propose.
	if _, err := f.s.GetWorkspace(f.ctx, f.B, w.ID); err != nil {
		t.Fatalf("GetWorkspace invited: %v", err)
	}
	prop := func(a iotsec.Actor) iotsec.MappingProposal {
		return iotsec.MappingProposal{WorkspaceID: w.ID, Kind: iotsec.ProposalNew, From: "en-303-645", To: "nistir-8259a",
			Sources: []string{" 5.1-1 ", ""}, Targets: []string{"Device Identification"}, Relationship: "intersects-with", Confidence: "medium", Rationale: "both name identity"}
	}
	p := prop(f.B)
	wantKind(t, "Propose before accepting", f.s.CreateMappingProposal(f.ctx, f.B, &p), iotsec.ErrForbidden)
	wantKind(t, "Accept", f.s.AcceptWorkspace(f.ctx, f.B, w.ID), nil)
	wantKind(t, "Accept again", f.s.AcceptWorkspace(f.ctx, f.B, w.ID), iotsec.ErrConflict)
	wantKind(t, "Accept C", f.s.AcceptWorkspace(f.ctx, C, w.ID), nil)

	bad := prop(C)
	bad.Relationship = "same-as"
	wantKind(t, "Propose bad relationship", f.s.CreateMappingProposal(f.ctx, C, &bad), iotsec.ErrInvalid)
	p = prop(C)
	wantKind(t, "Propose", f.s.CreateMappingProposal(f.ctx, C, &p), nil)
	if p.Status != iotsec.ProposalOpen || p.OrgName != "Org C" || len(p.Sources) != 1 || p.Sources[0] != "5.1-1" {
		t.Fatalf("proposal %+v", p)
	}
	wantKind(t, "Comment", f.s.CommentMappingProposal(f.ctx, f.A, p.ID, "see clause 5.1"), nil)
	wantKind(t, "Comment empty", f.s.CommentMappingProposal(f.ctx, f.A, p.ID, " "), iotsec.ErrInvalid)
	// A member (not reviewer) may not approve; the proposer's org may not.
	_, err = f.s.ApproveMappingProposal(f.ctx, C, p.ID)
	wantKind(t, "Approve by member", err, iotsec.ErrForbidden)
	_, err = f.s.MarkProposalMerged(f.ctx, f.A, p.ID)
	wantKind(t, "Merge open", err, iotsec.ErrConflict)
	got, err := f.s.ApproveMappingProposal(f.ctx, f.B, p.ID)
	wantKind(t, "Approve", err, nil)
	if got.Status != iotsec.ProposalApproved || got.ApprovedOrg != "Org B" || len(got.Comments) != 1 || got.Comments[0].OrgName != "Org A" {
		t.Fatalf("approved %+v", got)
	}
	_, err = f.s.ApproveMappingProposal(f.ctx, f.A, p.ID)
	wantKind(t, "Approve twice", err, iotsec.ErrConflict)
	if l, err := f.s.ListMappingProposals(f.ctx, C, w.ID); err != nil || len(l) != 1 || len(l[0].Comments) != 1 || l[0].Comments[0].Body != "see clause 5.1" {
		t.Fatalf("ListMappingProposals = %+v, %v", l, err)
	}
	got, err = f.s.MarkProposalMerged(f.ctx, f.A, p.ID)
	wantKind(t, "Merge", err, nil)
	if got.Status != iotsec.ProposalMerged || got.MergedAt.IsZero() {
		t.Fatalf("merged %+v", got)
	}
	_, err = f.s.MarkProposalMerged(f.ctx, f.A, p.ID)
	wantKind(t, "Merge twice", err, iotsec.ErrConflict)

	// An organisation outside the workspace sees none of its proposals.
	ud := f.user(t, "dan@d.example")
	d := f.org(t, "Org D", ud.ID)
	D := iotsec.Actor{OrgID: d.ID, UserID: ud.ID, Role: iotsec.RoleOwner, Label: ud.Email}
	_, err = f.s.GetMappingProposal(f.ctx, D, p.ID)
	wantKind(t, "GetMappingProposal non-member", err, iotsec.ErrNotFound)
	_, err = f.s.ListMappingProposals(f.ctx, D, w.ID)
	wantKind(t, "ListMappingProposals non-member", err, iotsec.ErrNotFound)
	wantKind(t, "Comment non-member", f.s.CommentMappingProposal(f.ctx, D, p.ID, "hello"), iotsec.ErrNotFound)

	// Reports: D's own workspace sees W's report in its feed; W does not.
	other := iotsec.Workspace{Name: "Labs", Focus: "test methods"}
	wantKind(t, "CreateWorkspace D", f.s.CreateWorkspace(f.ctx, D, &other), nil)
	r := iotsec.WorkspaceReport{WorkspaceID: w.ID, Title: "March", From: iotsec.NewDate(2026, 3, 1), To: iotsec.NewDate(2026, 3, 31),
		Merged: []string{p.ID}, OpenQuestions: "scope of 5.3", Gaps: "no mapping for 5.13"}
	bad2 := r
	bad2.Merged = []string{"mpr_nope"}
	wantKind(t, "Report unknown proposal", f.s.PublishWorkspaceReport(f.ctx, f.A, &bad2), iotsec.ErrInvalid)
	wantKind(t, "Report by non-member", f.s.PublishWorkspaceReport(f.ctx, D, &r), iotsec.ErrNotFound)
	wantKind(t, "Report", f.s.PublishWorkspaceReport(f.ctx, f.B, &r), nil)
	own, err := f.s.ListWorkspaceReports(f.ctx, f.A, w.ID)
	if err != nil || len(own) != 1 || own[0].Title != "March" || own[0].WorkspaceName != "IoT SIG" || !own[0].To.Equal(r.To) || len(own[0].Merged) != 1 {
		t.Fatalf("ListWorkspaceReports = %+v, %v", own, err)
	}
	feed, err := f.s.WorkspaceFeed(f.ctx, D, other.ID, 10)
	if err != nil || len(feed) != 1 || feed[0].ID != r.ID {
		t.Fatalf("feed of the other workspace = %+v, %v", feed, err)
	}
	if feed, err := f.s.WorkspaceFeed(f.ctx, f.A, w.ID, 10); err != nil || len(feed) != 0 {
		t.Fatalf("feed of the publishing workspace = %+v, %v", feed, err)
	}
	_, err = f.s.WorkspaceFeed(f.ctx, f.A, other.ID, 10)
	wantKind(t, "feed of a workspace not joined", err, iotsec.ErrNotFound)
}
