package ui_test

import (
	"context"
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
}
