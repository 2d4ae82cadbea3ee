package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// workspaceFixture: a workspace of A's with B in it and a proposal of
// B's with A's comment; one of B's alone (404 to A) with a report, which is
// in A's workspace's feed.
func workspaceFixture(t *testing.T, f *fixture) (wsA, wsB iotsec.Workspace, mp iotsec.MappingProposal) {
	t.Helper()
	ctx := context.Background()
	wsA, wsB = iotsec.Workspace{Name: "A's SIG", Focus: "consumer IoT"}, iotsec.Workspace{Name: "B's SIG", Focus: "labs"}
	apptest.Must(t, f.App.Store.CreateWorkspace(ctx, f.A.Actor(), &wsA))
	apptest.Must(t, f.App.Store.CreateWorkspace(ctx, f.B.Actor(), &wsB))
	apptest.Must(t, f.App.Store.InviteToWorkspace(ctx, f.A.Actor(), wsA.ID, f.B.Org.ID, iotsec.WorkspaceMemberRole))
	apptest.Must(t, f.App.Store.AcceptWorkspace(ctx, f.B.Actor(), wsA.ID))
	mp = iotsec.MappingProposal{WorkspaceID: wsA.ID, Kind: iotsec.ProposalNew, From: "uk-psti", To: "etsi-en-303-645", Sources: []string{"1"},
		Targets: []string{"5.1-1"}, Relationship: "intersects-with", Confidence: "low", Rationale: "both about passwords"}
	apptest.Must(t, f.App.Store.CreateMappingProposal(ctx, f.B.Actor(), &mp))
	apptest.Must(t, f.App.Store.CommentMappingProposal(ctx, f.A.Actor(), mp.ID, "agreed"))
	rep := iotsec.WorkspaceReport{WorkspaceID: wsB.ID, Title: "B's March", From: iotsec.NewDate(2026, 3, 1), To: iotsec.NewDate(2026, 3, 31)}
	apptest.Must(t, f.App.Store.PublishWorkspaceReport(ctx, f.B.Actor(), &rep))
	return wsA, wsB, mp
}

func TestUIWorkspace(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	wsA, wsB, mp := workspaceFixture(t, f)
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	// A's workspace page: B's proposal with A's comment, the approve form
	// (A is a reviewer of another organisation than the proposer's), and
	// B's other workspace's report in the feed; B's workspace itself is
	// in no list of A's.
	resp, body := b.get("/workspaces/" + wsA.ID)
	wantStatus(t, "workspace page", resp, body, 200)
	for _, want := range []string{"both about passwords", "agreed", "/proposals/" + mp.ID + "/approve", "B&#39;s March"} {
		if !strings.Contains(body, want) {
			t.Errorf("workspace page lacks %q", want)
		}
	}
	if _, body = b.get("/workspaces"); strings.Contains(body, wsB.ID) {
		t.Errorf("A's workspace list shows B's own workspace")
	}
	// B's own workspace is 404 to A.
	resp, body = b.get("/workspaces/" + wsB.ID)
	wantStatus(t, "B's workspace", resp, body, 404)

	// A created its workspace: it may remove B and reject B's proposal,
	// and has no leave button; B may leave and withdraw, not remove.
	_, body = b.get("/workspaces/" + wsA.ID)
	for _, want := range []string{"/proposals/" + mp.ID + "/reject", "/members/" + f.B.Org.ID + "/remove"} {
		if !strings.Contains(body, want) {
			t.Errorf("A's workspace page lacks %q", want)
		}
	}
	if strings.Contains(body, "/leave") || strings.Contains(body, "/withdraw") {
		t.Errorf("A's workspace page offers to leave or to withdraw B's proposal")
	}
	f.setPassword(f.B.Owner, "another horse battery")
	bb := f.browser()
	bb.login(f.B.Owner.Email, "another horse battery")
	_, body = bb.get("/workspaces/" + wsA.ID)
	for _, want := range []string{"/workspaces/" + wsA.ID + "/leave", "/proposals/" + mp.ID + "/withdraw"} {
		if !strings.Contains(body, want) {
			t.Errorf("B's view of A's workspace lacks %q", want)
		}
	}
	if strings.Contains(body, "/remove") || strings.Contains(body, "/reject") {
		t.Errorf("B's view offers to remove a member or reject a proposal")
	}

	// A rejects: a reason is required, then shown to every member.
	resp, body = b.post("/workspaces/"+wsA.ID+"/proposals/"+mp.ID+"/reject", url.Values{"reason": {" "}})
	wantStatus(t, "reject without a reason", resp, body, 400)
	resp, body = b.post("/workspaces/"+wsA.ID+"/proposals/"+mp.ID+"/reject", url.Values{"reason": {"cite clause 5.1 first"}})
	wantStatus(t, "reject", resp, body, 303)
	_, body = bb.get("/workspaces/" + wsA.ID)
	if !strings.Contains(body, "cite clause 5.1 first") || !strings.Contains(body, "rejected by") {
		t.Errorf("B's page does not show the rejection and its reason")
	}
	// A removes B: the page is 404 to B from then on.
	resp, body = b.post("/workspaces/"+wsA.ID+"/members/"+f.B.Org.ID+"/remove", url.Values{})
	wantStatus(t, "remove B", resp, body, 303)
	resp, body = bb.get("/workspaces/" + wsA.ID)
	wantStatus(t, "A's workspace after B's removal", resp, body, 404)
}
