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
	imp := func(orgID string) iotsec.SchemeImport {
		return iotsec.SchemeImport{OrgID: orgID, Name: "workspace IoT SIG: proposal " + p.ID, Format: iotsec.SchemeFormatCSV, Visibility: iotsec.VisibilityPrivate,
			MappingSets: []string{"en-303-645--nistir-8259a:csv-1"}, Maps: 1, Source: []byte("from,to\n"), Parsed: []byte(`{"mappings":[]}`)}
	}
	_, err = f.s.MergeMappingProposal(f.ctx, f.A, p.ID, []iotsec.SchemeImport{imp(f.a.ID)})
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
	// One import that cannot be written (D is no member) stops the whole
	// merge: no member gets an import, the proposal stays approved.
	ud := f.user(t, "dan@d.example")
	d := f.org(t, "Org D", ud.ID)
	D := iotsec.Actor{OrgID: d.ID, UserID: ud.ID, Role: iotsec.RoleOwner, Label: ud.Email}
	imports := func(a iotsec.Actor) int {
		t.Helper()
		l, err := f.s.ListSchemeImports(f.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	_, err = f.s.MergeMappingProposal(f.ctx, f.A, p.ID, []iotsec.SchemeImport{imp(f.a.ID), imp(d.ID), imp(c.ID)})
	wantKind(t, "Merge into a non-member", err, iotsec.ErrConflict)
	if got, _ := f.s.GetMappingProposal(f.ctx, f.A, p.ID); got.Status != iotsec.ProposalApproved || imports(f.A)+imports(C)+imports(D) != 0 {
		t.Fatalf("after a failed merge: status %s, imports A %d C %d D %d; want approved and none", got.Status, imports(f.A), imports(C), imports(D))
	}
	bogus := imp(f.b.ID)
	bogus.Format = "xls"
	_, err = f.s.MergeMappingProposal(f.ctx, f.A, p.ID, []iotsec.SchemeImport{imp(f.a.ID), bogus})
	wantKind(t, "Merge with an invalid import", err, iotsec.ErrInvalid)
	got, err = f.s.MergeMappingProposal(f.ctx, f.A, p.ID, []iotsec.SchemeImport{imp(f.a.ID), imp(f.b.ID), imp(c.ID)})
	wantKind(t, "Merge", err, nil)
	if got.Status != iotsec.ProposalMerged || got.MergedAt.IsZero() {
		t.Fatalf("merged %+v", got)
	}
	for _, a := range []iotsec.Actor{f.A, f.B, C} {
		l, err := f.s.ListSchemeImports(f.ctx, a)
		if err != nil || len(l) != 1 || l[0].OrgID != a.OrgID || l[0].CreatedBy != "system:workspace "+w.ID {
			t.Fatalf("%s's imports after the merge = %+v, %v", a.Label, l, err)
		}
	}
	_, err = f.s.MergeMappingProposal(f.ctx, f.A, p.ID, []iotsec.SchemeImport{imp(f.a.ID)})
	wantKind(t, "Merge twice", err, iotsec.ErrConflict)
	if imports(f.A) != 1 {
		t.Fatalf("a refused second merge wrote an import")
	}

	// An organisation outside the workspace sees none of its proposals.
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

	testWorkspaceClose(t, f, w.ID, C, D, prop)
}

// testWorkspaceClose pins withdrawal and rejection of proposals, removal
// of a member by the workspace's creator, and leaving: after either the
// organisation sees nothing of the workspace.
func testWorkspaceClose(t *testing.T, f *fixture, wsID string, C, D iotsec.Actor, prop func(iotsec.Actor) iotsec.MappingProposal) {
	t.Helper()
	p := prop(C)
	wantKind(t, "Propose to reject", f.s.CreateMappingProposal(f.ctx, C, &p), nil)
	_, err := f.s.RejectMappingProposal(f.ctx, f.B, p.ID, "  ")
	wantKind(t, "Reject without a reason", err, iotsec.ErrInvalid)
	_, err = f.s.RejectMappingProposal(f.ctx, C, p.ID, "mine")
	wantKind(t, "Reject by a member", err, iotsec.ErrForbidden)
	_, err = f.s.RejectMappingProposal(f.ctx, D, p.ID, "not mine")
	wantKind(t, "Reject by a non-member", err, iotsec.ErrNotFound)
	_, err = f.s.WithdrawMappingProposal(f.ctx, f.A, p.ID)
	wantKind(t, "Withdraw by another organisation", err, iotsec.ErrForbidden)
	got, err := f.s.RejectMappingProposal(f.ctx, f.B, p.ID, " the texts differ on scope ")
	wantKind(t, "Reject", err, nil)
	if got.Status != iotsec.ProposalRejected || got.Reason != "the texts differ on scope" || got.ClosedOrg != "Org B" || got.ClosedAt.IsZero() {
		t.Fatalf("rejected %+v", got)
	}
	_, err = f.s.ApproveMappingProposal(f.ctx, f.A, p.ID)
	wantKind(t, "Approve a rejected proposal", err, iotsec.ErrConflict)
	_, err = f.s.WithdrawMappingProposal(f.ctx, C, p.ID)
	wantKind(t, "Withdraw a rejected proposal", err, iotsec.ErrConflict)

	q := prop(C)
	wantKind(t, "Propose to withdraw", f.s.CreateMappingProposal(f.ctx, C, &q), nil)
	got, err = f.s.WithdrawMappingProposal(f.ctx, C, q.ID)
	wantKind(t, "Withdraw", err, nil)
	if got.Status != iotsec.ProposalWithdrawn || got.ClosedOrg != "Org C" {
		t.Fatalf("withdrawn %+v", got)
	}

	// Removal: only the creator (A); C's open proposal is withdrawn and C
	// sees nothing of the workspace afterwards.
	open := prop(C)
	wantKind(t, "Propose before removal", f.s.CreateMappingProposal(f.ctx, C, &open), nil)
	wantKind(t, "Remove by a reviewer who did not create it", f.s.RemoveWorkspaceMember(f.ctx, f.B, wsID, C.OrgID), iotsec.ErrForbidden)
	wantKind(t, "Remove by a non-member", f.s.RemoveWorkspaceMember(f.ctx, D, wsID, C.OrgID), iotsec.ErrNotFound)
	wantKind(t, "Remove itself", f.s.RemoveWorkspaceMember(f.ctx, f.A, wsID, f.A.OrgID), iotsec.ErrInvalid)
	wantKind(t, "Remove a non-member", f.s.RemoveWorkspaceMember(f.ctx, f.A, wsID, D.OrgID), iotsec.ErrNotFound)
	wantKind(t, "Remove C", f.s.RemoveWorkspaceMember(f.ctx, f.A, wsID, C.OrgID), nil)
	if got, err := f.s.GetMappingProposal(f.ctx, f.A, open.ID); err != nil || got.Status != iotsec.ProposalWithdrawn {
		t.Fatalf("the removed organisation's open proposal = %+v, %v; want withdrawn", got, err)
	}
	_, err = f.s.GetWorkspace(f.ctx, C, wsID)
	wantKind(t, "GetWorkspace after removal", err, iotsec.ErrNotFound)
	_, err = f.s.GetMappingProposal(f.ctx, C, open.ID)
	wantKind(t, "GetMappingProposal after removal", err, iotsec.ErrNotFound)
	if l, err := f.s.ListWorkspaces(f.ctx, C); err != nil || len(l) != 0 {
		t.Fatalf("ListWorkspaces after removal = %+v, %v", l, err)
	}

	// Leaving: the creator may not; B may, and then sees nothing.
	wantKind(t, "Creator leaves", f.s.LeaveWorkspace(f.ctx, f.A, wsID), iotsec.ErrConflict)
	wantKind(t, "Non-member leaves", f.s.LeaveWorkspace(f.ctx, D, wsID), iotsec.ErrNotFound)
	viewerB := iotsec.Actor{OrgID: f.b.ID, UserID: f.ub.ID, Role: iotsec.RoleViewer, Label: "viewer"}
	wantKind(t, "Viewer leaves", f.s.LeaveWorkspace(f.ctx, viewerB, wsID), iotsec.ErrForbidden)
	wantKind(t, "B leaves", f.s.LeaveWorkspace(f.ctx, f.B, wsID), nil)
	_, err = f.s.ListMappingProposals(f.ctx, f.B, wsID)
	wantKind(t, "ListMappingProposals after leaving", err, iotsec.ErrNotFound)
	if w, err := f.s.GetWorkspace(f.ctx, f.A, wsID); err != nil || len(w.Members) != 1 {
		t.Fatalf("members after removal and leaving = %+v, %v", w.Members, err)
	}
}
