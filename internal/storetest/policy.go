package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testPolicy pins proposals to the national measures dataset: the
// organisation's own, reviewed by someone of it other than the proposer,
// invisible to every other organisation, history in order, and only
// accepted ones in the public list.
func testPolicy(t *testing.T, open Opener) {
	f := setup(t, open)
	entry := []byte(`{"id":"nl-x","jurisdiction":"NL","measure":"VDP"}`)
	prop := func(a iotsec.Actor, id string) iotsec.PolicyProposal {
		t.Helper()
		p := iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyAdd, EntryID: id, Entry: entry, Rationale: "  published in the Staatscourant  "}
		wantKind(t, "CreatePolicyProposal", f.s.CreatePolicyProposal(f.ctx, a, &p), nil)
		return p
	}
	p1 := prop(f.A, "nl-x")
	if p1.ID == "" || p1.OrgID != f.a.ID || p1.OrgName != "Org A" || p1.Status != iotsec.PolicyPending || p1.ProposedAt.IsZero() ||
		p1.Rationale != "published in the Staatscourant" || p1.ProposedBy != f.A.Name() {
		t.Errorf("CreatePolicyProposal filled in %+v", p1)
	}

	// Invalid input and roles.
	for _, c := range []struct {
		name string
		a    iotsec.Actor
		p    iotsec.PolicyProposal
		want error
	}{
		{"bad action", f.A, iotsec.PolicyProposal{Jurisdiction: "NL", Action: "delete", EntryID: "x", Entry: entry, Rationale: "r"}, iotsec.ErrInvalid},
		{"no rationale", f.A, iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyAdd, EntryID: "x", Entry: entry}, iotsec.ErrInvalid},
		{"withdraw with an entry", f.A, iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyWithdraw, EntryID: "x", Entry: entry, Rationale: "r"}, iotsec.ErrInvalid},
		{"too large", f.A, iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyAdd, EntryID: "x", Entry: make([]byte, iotsec.MaxPolicyEntry+1), Rationale: "r"}, iotsec.ErrInvalid},
		{"a viewer", iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}, iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyAdd, EntryID: "x", Entry: entry, Rationale: "r"}, iotsec.ErrForbidden},
		{"a maker", iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleMaker, Label: "m"}, iotsec.PolicyProposal{Jurisdiction: "NL", Action: iotsec.PolicyAdd, EntryID: "x", Entry: entry, Rationale: "r"}, iotsec.ErrForbidden},
	} {
		p := c.p
		wantKind(t, "CreatePolicyProposal("+c.name+")", f.s.CreatePolicyProposal(f.ctx, c.a, &p), c.want)
	}

	// Another organisation sees and touches nothing.
	_, _, err := f.s.GetPolicyProposal(f.ctx, f.B, p1.ID)
	wantKind(t, "GetPolicyProposal(B, A's)", err, iotsec.ErrNotFound)
	_, err = f.s.ReviewPolicyProposal(f.ctx, f.B, p1.ID, true, "")
	wantKind(t, "ReviewPolicyProposal(B, A's)", err, iotsec.ErrNotFound)
	if l, err := f.s.ListPolicyProposals(f.ctx, f.B, ""); err != nil || len(l) != 0 {
		t.Errorf("ListPolicyProposals(B) = %v, %v; want none", l, err)
	}

	// The proposer does not review their own proposal; a viewer does not review.
	_, err = f.s.ReviewPolicyProposal(f.ctx, f.A, p1.ID, true, "")
	wantKind(t, "ReviewPolicyProposal(proposer)", err, iotsec.ErrForbidden)
	_, err = f.s.ReviewPolicyProposal(f.ctx, iotsec.Actor{OrgID: f.a.ID, UserID: "other", Role: iotsec.RoleViewer, Label: "v"}, p1.ID, true, "")
	wantKind(t, "ReviewPolicyProposal(viewer)", err, iotsec.ErrForbidden)
	if acc, err := f.s.AcceptedPolicyProposals(f.ctx); err != nil || len(acc) != 0 {
		t.Errorf("AcceptedPolicyProposals before review = %v, %v", acc, err)
	}

	carol := f.user(t, "carol@a.example")
	wantKind(t, "AddMember", f.s.AddMember(f.ctx, f.A, carol.ID, iotsec.RoleAdmin), nil)
	reviewer := iotsec.Actor{OrgID: f.a.ID, UserID: carol.ID, Role: iotsec.RoleAdmin, Label: carol.Email}
	got, err := f.s.ReviewPolicyProposal(f.ctx, reviewer, p1.ID, true, "checked against the gazette")
	wantKind(t, "ReviewPolicyProposal(other admin)", err, nil)
	if got.Status != iotsec.PolicyAccepted || got.ReviewedBy != reviewer.Name() || got.ReviewedAt.IsZero() || got.ReviewNote != "checked against the gazette" {
		t.Errorf("ReviewPolicyProposal = %+v", got)
	}
	_, err = f.s.ReviewPolicyProposal(f.ctx, reviewer, p1.ID, false, "")
	wantKind(t, "ReviewPolicyProposal(again)", err, iotsec.ErrConflict)

	p2 := prop(f.A, "nl-y")
	if _, err := f.s.ReviewPolicyProposal(f.ctx, reviewer, p2.ID, false, "no source"); err != nil {
		t.Fatal(err)
	}
	// B's own accepted proposal is public too, after A's.
	dave := f.user(t, "dave@b.example")
	wantKind(t, "AddMember(B)", f.s.AddMember(f.ctx, f.B, dave.ID, iotsec.RoleOwner), nil)
	p3 := prop(f.B, "nl-z")
	if _, err := f.s.ReviewPolicyProposal(f.ctx, iotsec.Actor{OrgID: f.b.ID, UserID: dave.ID, Role: iotsec.RoleOwner, Label: "dave"}, p3.ID, true, ""); err != nil {
		t.Fatal(err)
	}

	gotP, evs, err := f.s.GetPolicyProposal(f.ctx, f.A, p1.ID)
	wantKind(t, "GetPolicyProposal(A)", err, nil)
	if string(gotP.Entry) != string(entry) || gotP.ProposerID == "" {
		t.Errorf("GetPolicyProposal entry %q, proposer %q", gotP.Entry, gotP.ProposerID)
	}
	var hist []string
	for _, e := range evs {
		hist = append(hist, string(e.Status)+" by "+e.By+": "+e.Note)
	}
	want := []string{"pending by " + f.A.Name() + ": published in the Staatscourant", "accepted by " + reviewer.Name() + ": checked against the gazette"}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	l, err := f.s.ListPolicyProposals(f.ctx, f.A, iotsec.PolicyRejected)
	if err != nil || len(l) != 1 || l[0].ID != p2.ID {
		t.Errorf("ListPolicyProposals(A, rejected) = %v, %v", l, err)
	}
	acc, err := f.s.AcceptedPolicyProposals(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range acc {
		ids = append(ids, p.EntryID)
	}
	if diff := cmp.Diff([]string{"nl-x", "nl-z"}, ids); diff != "" {
		t.Errorf("AcceptedPolicyProposals (-want +got):\n%s", diff)
	}
}
