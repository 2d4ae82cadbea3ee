package app

import (
	"context"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// seedWorkspace gives the demo a workspace: a ministry, a lab and the demo
// maker around consumer IoT, with an open mapping proposal and a comment,
// and a lab workspace whose report is in the demo workspace's feed.
func (a *App) seedWorkspace(ctx context.Context) error {
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return err
	}
	var maker iotsec.Actor
	for _, o := range orgs {
		if o.Name == DemoOrg {
			maker = iotsec.System(o.ID, "demo")
		}
	}
	if maker.OrgID == "" {
		return fmt.Errorf("seed workspace: no %s organisation", DemoOrg)
	}
	newOrg := func(name string, kind iotsec.OrgKind) (iotsec.Actor, error) {
		o := iotsec.Organisation{Name: name, Kind: kind, Country: "NL"}
		if err := a.Store.CreateOrg(ctx, "system:demo", &o, ""); err != nil {
			return iotsec.Actor{}, err
		}
		return iotsec.System(o.ID, "demo"), nil
	}
	ministry, err := newOrg("Ministry of Digital Affairs (demo)", iotsec.OrgGovernment)
	if err != nil {
		return err
	}
	lab, err := newOrg("Test Lab (demo)", iotsec.OrgLab)
	if err != nil {
		return err
	}
	ws, err := a.Workspace.Create(ctx, ministry, iotsec.Workspace{Name: "Consumer IoT SIG",
		Focus: "One reading of the consumer IoT baselines for makers, labs and the market surveillance authority"})
	if err != nil {
		return err
	}
	for _, m := range []struct {
		who  iotsec.Actor
		role iotsec.WorkspaceRole
	}{{lab, iotsec.WorkspaceReviewer}, {maker, iotsec.WorkspaceMemberRole}} {
		if err := a.Workspace.Invite(ctx, ministry, ws.ID, m.who.OrgID, m.role); err != nil {
			return err
		}
		if err := a.Workspace.Accept(ctx, m.who, ws.ID); err != nil {
			return err
		}
	}
	p, err := a.Workspace.Propose(ctx, ministry, iotsec.MappingProposal{WorkspaceID: ws.ID, Kind: iotsec.ProposalNew,
		From: "uk-psti", To: "etsi-en-303-645", Sources: []string{"1"}, Targets: []string{"5.1-2"}, Relationship: "intersects-with",
		Confidence: "medium", Rationale: "The PSTI password rule also forbids guessable pre-installed passwords"})
	if err != nil {
		return err
	}
	if err := a.Workspace.Comment(ctx, lab, ws.ID, p.ID, "Our test of 5.1-2 reads the same; we would approve once the maker confirms."); err != nil {
		return err
	}
	labs, err := a.Workspace.Create(ctx, lab, iotsec.Workspace{Name: "Test labs SIG", Focus: "Shared test methods for EN 303 645"})
	if err != nil {
		return err
	}
	day := iotsec.DateOf(a.Auth.Now())
	_, err = a.Workspace.Publish(ctx, lab, iotsec.WorkspaceReport{WorkspaceID: labs.ID, Title: "First month", From: day.AddDays(-30), To: day,
		OpenQuestions: "How to test 5.3-7 on devices without a user interface", Gaps: "No mapping of 5.13 to NIST IR 8259A yet"})
	return err
}
