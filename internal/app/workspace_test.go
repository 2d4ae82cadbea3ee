package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// TestWorkspaceProposalLife is the whole life of a mapping proposal across
// three organisations, on each database: a ministry creates a workspace and
// invites a lab (reviewer) and a maker (member), who accept; the ministry
// proposes a mapping for a provision the catalog leaves uncovered; the
// maker comments; the maker (not a reviewer) and the ministry (the
// proposer) may not approve; the lab approves; the merge adds a mapping
// import to each member's catalog, so their compare and baseline answers
// change, and an organisation outside the workspace gets the answers it
// had before.
func TestWorkspaceProposalLife(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	for name, store := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			svcs, err := app.NewServices(store, config.Default(), nil, app.Options{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			org := func(name string, kind iotsec.OrgKind) iotsec.Actor {
				u := iotsec.User{Email: strings.ToLower(name) + "@" + name + ".example"}
				if err := store.CreateUser(ctx, "system:test", &u); err != nil {
					t.Fatal(err)
				}
				o := iotsec.Organisation{Name: name, Kind: kind, Country: "NL"}
				if err := store.CreateOrg(ctx, "system:test", &o, u.ID); err != nil {
					t.Fatal(err)
				}
				return iotsec.Actor{OrgID: o.ID, UserID: u.ID, Role: iotsec.RoleOwner, Label: u.Email}
			}
			ministry, lab, maker := org("Ministry", iotsec.OrgGovernment), org("Lab", iotsec.OrgLab), org("Maker", iotsec.OrgManufacturer)
			outsider := org("Outsider", iotsec.OrgManufacturer)

			// A provision of A that B does not cover, from the catalog itself.
			base := svcs.Catalog.Base()
			var from, to, gap, target string
			for _, pair := range [][2]string{{"nist-ir-8259a", "etsi-en-303-645"}, {"eu-cra", "etsi-en-303-645"}, {"uk-psti", "etsi-en-303-645"}} {
				c, err := base.Compare(pair[0], pair[1])
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range c.Provisions {
					if p.Coverage == crosswalk.CoverNone && len(c.BProvisions) > 0 {
						from, to, gap, target = pair[0], pair[1], p.ID, c.BProvisions[0].ID
						break
					}
				}
				if gap != "" {
					break
				}
			}
			if gap == "" {
				t.Fatal("no uncovered provision in the candidate pairs; pick another pair")
			}
			answers := func(a iotsec.Actor) (*crosswalk.Comparison, *crosswalk.Baseline) {
				t.Helper()
				v, err := svcs.Catalog.For(ctx, a)
				if err != nil {
					t.Fatal(err)
				}
				c, err := v.Compare(from, to)
				if err != nil {
					t.Fatal(err)
				}
				b, err := v.Baseline(crosswalk.BaselineQuery{Schemes: []crosswalk.SchemeRef{{Slug: from}, {Slug: to}}, Date: storetest.Start})
				if err != nil {
					t.Fatal(err)
				}
				return c, b
			}
			beforeC, beforeB := answers(outsider)

			ws := svcs.Workspace
			w, err := ws.Create(ctx, ministry, iotsec.Workspace{Name: "Consumer IoT SIG", Focus: "baseline mappings for consumer devices"})
			if err != nil {
				t.Fatal(err)
			}
			must := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			must("invite lab", ws.Invite(ctx, ministry, w.ID, lab.OrgID, iotsec.WorkspaceReviewer))
			must("invite maker", ws.Invite(ctx, ministry, w.ID, maker.OrgID, iotsec.WorkspaceMemberRole))
			must("lab accepts", ws.Accept(ctx, lab, w.ID))
			must("maker accepts", ws.Accept(ctx, maker, w.ID))

			// A proposal naming a provision the catalog does not have is refused.
			bad := iotsec.MappingProposal{WorkspaceID: w.ID, Kind: iotsec.ProposalNew, From: from, To: to, Sources: []string{"no-such-provision"},
				Targets: []string{target}, Relationship: "equivalent-to", Confidence: "medium", Rationale: "r"}
			if _, err := ws.Propose(ctx, ministry, bad); iotsec.Kind(err) != iotsec.ErrInvalid {
				t.Fatalf("proposal of an unknown provision: %v, want invalid", err)
			}
			p, err := ws.Propose(ctx, ministry, iotsec.MappingProposal{WorkspaceID: w.ID, Kind: iotsec.ProposalNew, From: from, To: to,
				Sources: []string{gap}, Targets: []string{target}, Relationship: "equivalent-to", Confidence: "medium",
				Rationale: "the working group read both texts as asking the same"})
			must("propose", err)
			must("maker comments", ws.Comment(ctx, maker, w.ID, p.ID, "agreed for our camera range"))
			if _, err := ws.Proposal(ctx, outsider, w.ID, p.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Fatalf("outsider reads the proposal: %v, want not found", err)
			}
			if _, err := ws.Merge(ctx, lab, w.ID, p.ID); iotsec.Kind(err) != iotsec.ErrConflict {
				t.Fatalf("merge before approval: %v, want conflict", err)
			}
			for _, who := range []iotsec.Actor{maker, ministry} {
				if _, err := ws.Approve(ctx, who, w.ID, p.ID); iotsec.Kind(err) != iotsec.ErrForbidden {
					t.Fatalf("approve by %s: %v, want forbidden", who.Label, err)
				}
			}
			_, err = ws.Approve(ctx, lab, w.ID, p.ID)
			must("lab approves", err)
			m, err := ws.Merge(ctx, ministry, w.ID, p.ID)
			must("merge", err)
			if m.Proposal.Status != iotsec.ProposalMerged || len(m.Imports) != 3 {
				t.Fatalf("merge = %+v", m)
			}
			if _, err := ws.Merge(ctx, ministry, w.ID, p.ID); iotsec.Kind(err) != iotsec.ErrConflict {
				t.Fatalf("second merge: %v, want conflict", err)
			}

			for _, a := range []iotsec.Actor{ministry, lab, maker} {
				c, b := answers(a)
				i := -1
				for j, pc := range c.Provisions {
					if pc.ID == gap {
						i = j
					}
				}
				if i < 0 || c.Provisions[i].Coverage == crosswalk.CoverNone || !c.Provisions[i].Direct {
					t.Fatalf("%s: compare after merge, %s = %+v", a.Label, gap, c.Provisions[i])
				}
				hop := c.Provisions[i].Hops[0]
				if hop.Provenance != crosswalk.ProvenanceExpert || hop.Rationale != p.Rationale {
					t.Errorf("%s: hop = %+v", a.Label, hop)
				}
				if cmp.Equal(b, beforeB) {
					t.Errorf("%s: baseline unchanged by the merged mapping", a.Label)
				}
				imps, err := svcs.Catalog.Imports(ctx, a)
				must("imports", err)
				if len(imps) != 1 || !strings.Contains(imps[0].Name, w.Name) || imps[0].CreatedBy != "system:workspace "+w.ID {
					t.Errorf("%s: imports = %+v", a.Label, imps)
				}
			}
			afterC, afterB := answers(outsider)
			if d := cmp.Diff(beforeC, afterC); d != "" {
				t.Errorf("outsider's compare changed (-before +after):\n%s", d)
			}
			if d := cmp.Diff(beforeB, afterB); d != "" {
				t.Errorf("outsider's baseline changed (-before +after):\n%s", d)
			}
		})
	}
}
