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

// TestWorkspaceChangeProposalLife is the life of a change proposal across a
// ministry, a lab and a maker, on each database: the maker proposes to
// weaken a map the catalog has (a full cover becomes an overlap),
// withdraws it, proposes again; the lab rejects that one with a reason;
// the third is approved by the lab and merged by the maker. The merged
// change replaces the old map in the three members' catalogs (their
// compare coverage drops, their baseline changes) and in no one else's;
// the ministry then removes the maker, which sees the workspace no more
// but keeps the import in its own catalog.
func TestWorkspaceChangeProposalLife(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	for name, store := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			svcs, err := app.NewServices(store, config.Default(), nil, app.Options{Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			must := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			org := func(name string, kind iotsec.OrgKind) iotsec.Actor {
				u := iotsec.User{Email: strings.ToLower(name) + "@" + name + ".example"}
				must("user", store.CreateUser(ctx, "system:test", &u))
				o := iotsec.Organisation{Name: name, Kind: kind, Country: "GB"}
				must("org", store.CreateOrg(ctx, "system:test", &o, u.ID))
				return iotsec.Actor{OrgID: o.ID, UserID: u.ID, Role: iotsec.RoleOwner, Label: u.Email}
			}
			ministry, lab, maker := org("Ministry", iotsec.OrgGovernment), org("Lab", iotsec.OrgLab), org("Maker", iotsec.OrgManufacturer)
			outsider := org("Outsider", iotsec.OrgManufacturer)

			// A direct map of the catalog that alone covers its source fully.
			const from, to = "uk-psti", "etsi-en-303-645"
			base := svcs.Catalog.Base()
			c0, err := base.Compare(from, to)
			must("compare", err)
			var src string
			var targets []string
			for _, p := range c0.Provisions {
				if p.Coverage == crosswalk.CoverFull && p.Direct && len(p.Hops) == 1 && p.Hops[0].Relationship != crosswalk.IntersectsWith {
					src, targets = p.ID, p.Hops[0].Targets
					break
				}
			}
			if src == "" {
				t.Fatalf("no provision of %s fully covered by one direct map of %s", from, to)
			}
			answers := func(a iotsec.Actor) (*crosswalk.Comparison, *crosswalk.Baseline) {
				t.Helper()
				v, err := svcs.Catalog.For(ctx, a)
				must("catalog", err)
				c, err := v.Compare(from, to)
				must("compare", err)
				b, err := v.Baseline(crosswalk.BaselineQuery{Schemes: []crosswalk.SchemeRef{{Slug: from}, {Slug: to}}, Date: storetest.Start})
				must("baseline", err)
				return c, b
			}
			beforeC, beforeB := answers(outsider)

			ws := svcs.Workspace
			w, err := ws.Create(ctx, ministry, iotsec.Workspace{Name: "Consumer IoT SIG", Focus: "PSTI and EN 303 645"})
			must("create", err)
			must("invite lab", ws.Invite(ctx, ministry, w.ID, lab.OrgID, iotsec.WorkspaceReviewer))
			must("invite maker", ws.Invite(ctx, ministry, w.ID, maker.OrgID, iotsec.WorkspaceMemberRole))
			must("lab accepts", ws.Accept(ctx, lab, w.ID))
			must("maker accepts", ws.Accept(ctx, maker, w.ID))

			change := iotsec.MappingProposal{WorkspaceID: w.ID, Kind: iotsec.ProposalChange, From: from, To: to, Sources: []string{src},
				Targets: targets, Relationship: crosswalk.IntersectsWith, Confidence: "medium",
				Rationale: "the statutory requirement is narrower in scope than the two provisions together"}
			// A change of a map the catalog does not have is refused.
			missing := change
			missing.Targets = targets[:len(targets)-1]
			if len(missing.Targets) == 0 {
				missing.Targets = []string{c0.BProvisions[len(c0.BProvisions)-1].ID}
			}
			if _, err := ws.Propose(ctx, maker, missing); iotsec.Kind(err) != iotsec.ErrInvalid {
				t.Fatalf("change of a map the catalog lacks: %v, want invalid", err)
			}
			first, err := ws.Propose(ctx, maker, change)
			must("propose", err)
			if _, err := ws.Withdraw(ctx, lab, w.ID, first.ID); iotsec.Kind(err) != iotsec.ErrForbidden {
				t.Fatalf("withdraw by the lab: %v, want forbidden", err)
			}
			got, err := ws.Withdraw(ctx, maker, w.ID, first.ID)
			must("withdraw", err)
			if got.Status != iotsec.ProposalWithdrawn {
				t.Fatalf("withdrawn = %s", got.Status)
			}
			if _, err := ws.Approve(ctx, lab, w.ID, first.ID); iotsec.Kind(err) != iotsec.ErrConflict {
				t.Fatalf("approve a withdrawn proposal: %v, want conflict", err)
			}
			second, err := ws.Propose(ctx, maker, change)
			must("propose again", err)
			must("ministry comments", ws.Comment(ctx, ministry, w.ID, second.ID, "which market surveillance cases support this?"))
			if _, err := ws.Reject(ctx, maker, w.ID, second.ID, "no"); iotsec.Kind(err) != iotsec.ErrForbidden {
				t.Fatalf("reject by the proposer: %v, want forbidden", err)
			}
			got, err = ws.Reject(ctx, lab, w.ID, second.ID, "cite the cases first")
			must("reject", err)
			if got.Status != iotsec.ProposalRejected || got.Reason != "cite the cases first" || got.ClosedOrg != "Lab" {
				t.Fatalf("rejected = %+v", got)
			}
			third, err := ws.Propose(ctx, maker, change)
			must("propose a third time", err)
			_, err = ws.Approve(ctx, lab, w.ID, third.ID)
			must("approve", err)
			m, err := ws.Merge(ctx, maker, w.ID, third.ID)
			must("merge", err)
			if len(m.Imports) != 3 {
				t.Fatalf("merge made %d imports, want 3", len(m.Imports))
			}

			for _, a := range []iotsec.Actor{ministry, lab, maker} {
				c, b := answers(a)
				if c.Stats.Full != beforeC.Stats.Full-1 {
					t.Errorf("%s: full coverage %d after the change, want %d", a.Label, c.Stats.Full, beforeC.Stats.Full-1)
				}
				for _, p := range c.Provisions {
					if p.ID != src {
						continue
					}
					if p.Coverage != crosswalk.CoverPartial || len(p.Hops) != 1 || p.Hops[0].Relationship != crosswalk.IntersectsWith || p.Hops[0].Rationale != change.Rationale {
						t.Errorf("%s: %s after the change = %s %+v, want partial through the merged map alone", a.Label, src, p.Coverage, p.Hops)
					}
				}
				if cmp.Equal(b, beforeB) {
					t.Errorf("%s: baseline unchanged by the merged change", a.Label)
				}
			}
			afterC, afterB := answers(outsider)
			if d := cmp.Diff(beforeC, afterC); d != "" {
				t.Errorf("outsider's compare changed (-before +after):\n%s", d)
			}
			if d := cmp.Diff(beforeB, afterB); d != "" {
				t.Errorf("outsider's baseline changed (-before +after):\n%s", d)
			}

			// The ministry removes the maker: it sees nothing of the
			// workspace, and its catalog keeps the merged change.
			must("remove the maker", ws.Remove(ctx, ministry, w.ID, maker.OrgID))
			if _, err := ws.Detail(ctx, maker, w.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Fatalf("removed maker reads the workspace: %v, want not found", err)
			}
			if _, err := ws.Proposal(ctx, maker, w.ID, third.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Fatalf("removed maker reads a proposal: %v, want not found", err)
			}
			if c, _ := answers(maker); c.Stats.Full != beforeC.Stats.Full-1 {
				t.Errorf("the removed maker's catalog lost the merged change")
			}
			must("lab leaves", ws.Leave(ctx, lab, w.ID))
			if l, err := ws.List(ctx, lab); err != nil || len(l) != 0 {
				t.Fatalf("lab's workspaces after leaving = %+v, %v", l, err)
			}
			// Each move is in the log of the organisation that made it (a
			// removal also in the removed one's).
			for _, want := range []struct {
				a       iotsec.Actor
				actions []string
			}{
				{maker, []string{"workspace.propose", "workspace.withdraw", "workspace.merge", "workspace.remove", "scheme.import"}},
				{lab, []string{"workspace.reject", "workspace.approve", "workspace.leave", "scheme.import"}},
				{ministry, []string{"workspace.comment", "workspace.remove", "scheme.import"}},
			} {
				log, err := store.ListAudit(ctx, want.a, iotsec.AuditFilter{Limit: 1000})
				must("audit", err)
				seen := map[string]bool{}
				for _, e := range log {
					seen[e.Action] = true
				}
				for _, act := range want.actions {
					if !seen[act] {
						t.Errorf("%s's audit log has no %s", want.a.Label, act)
					}
				}
			}
		})
	}
}
