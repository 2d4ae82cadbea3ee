package workspace_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/workspace"
)

// catalogs stands in for the members' catalogs the service is wired to:
// what was imported where, and which organisation's catalog refuses.
type catalogs struct {
	imported map[string][][]string // org -> rows of the spreadsheet
	refuse   string
}

func (c *catalogs) check(_ context.Context, a iotsec.Actor, _ string, data []byte) error {
	if a.OrgID == c.refuse {
		return iotsec.Invalid("body", "scheme uk-psti is not in this catalog")
	}
	_, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	return err
}

func (c *catalogs) imp(ctx context.Context, a iotsec.Actor, name string, data []byte) (string, error) {
	if err := c.check(ctx, a, name, data); err != nil {
		return "", err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return "", err
	}
	c.imported[a.OrgID] = rows
	return "imp_" + a.OrgID, nil
}

// TestMerge: a merge reaches every accepted member and no invited one,
// its map says who approved it where, and a member whose catalog refuses
// it stops the whole merge before anything is written.
func TestMerge(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	for name, s := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			org := func(name string) iotsec.Actor {
				u := iotsec.User{Email: strings.ToLower(name) + "@x.example"}
				apptest.Must(t, s.CreateUser(ctx, "test", &u))
				o := iotsec.Organisation{Name: name, Kind: iotsec.OrgOther, Country: "NL"}
				apptest.Must(t, s.CreateOrg(ctx, "test", &o, u.ID))
				return iotsec.Actor{OrgID: o.ID, UserID: u.ID, Role: iotsec.RoleOwner, Label: u.Email}
			}
			ministry, lab, maker, late := org("Ministry"), org("Lab"), org("Maker"), org("Late")
			cats := &catalogs{imported: map[string][][]string{}}
			svc := workspace.New(s)
			svc.CheckMappings, svc.ImportMappings, svc.BaseURL = cats.check, cats.imp, "https://iotsec.example/"
			w, err := svc.Create(ctx, ministry, iotsec.Workspace{Name: "SIG", Focus: "f"})
			apptest.Must(t, err)
			apptest.Must(t, svc.Invite(ctx, ministry, w.ID, lab.OrgID, iotsec.WorkspaceReviewer))
			apptest.Must(t, svc.Invite(ctx, ministry, w.ID, maker.OrgID, iotsec.WorkspaceMemberRole))
			apptest.Must(t, svc.Invite(ctx, ministry, w.ID, late.OrgID, iotsec.WorkspaceMemberRole))
			apptest.Must(t, svc.Accept(ctx, lab, w.ID))
			apptest.Must(t, svc.Accept(ctx, maker, w.ID))
			propose := func() iotsec.MappingProposal {
				p, err := svc.Propose(ctx, maker, iotsec.MappingProposal{WorkspaceID: w.ID, Kind: iotsec.ProposalChange, From: "uk-psti",
					To: "etsi-en-303-645", Sources: []string{"1"}, Targets: []string{"5.1-1", "5.1-2"}, Relationship: "equivalent-to",
					Confidence: "high", Rationale: "read together"})
				apptest.Must(t, err)
				_, err = svc.Approve(ctx, lab, w.ID, p.ID)
				apptest.Must(t, err)
				return p
			}

			// The maker's catalog refuses: nothing is written anywhere.
			p := propose()
			cats.refuse = maker.OrgID
			if _, err := svc.Merge(ctx, ministry, w.ID, p.ID); iotsec.Kind(err) != iotsec.ErrConflict || !strings.Contains(iotsec.Message(err), "Maker") {
				t.Fatalf("merge into a refusing catalog: %v, want a conflict naming the maker", err)
			}
			if got, _ := svc.Proposal(ctx, ministry, w.ID, p.ID); got.Status != iotsec.ProposalApproved || len(cats.imported) != 0 {
				t.Fatalf("after a refused merge: status %s, imports %v", got.Status, cats.imported)
			}
			cats.refuse = ""
			// Another workspace's ID does not reach the proposal.
			other, err := svc.Create(ctx, ministry, iotsec.Workspace{Name: "Other", Focus: "f"})
			apptest.Must(t, err)
			if _, err := svc.Merge(ctx, ministry, other.ID, p.ID); !errors.Is(err, iotsec.ErrNotFound) {
				t.Fatalf("merge through another workspace: %v, want not found", err)
			}
			m, err := svc.Merge(ctx, ministry, w.ID, p.ID)
			apptest.Must(t, err)
			if len(m.Imports) != 3 || len(cats.imported) != 3 || cats.imported[late.OrgID] != nil {
				t.Fatalf("merge imports %+v into %d catalogs; the invited organisation must get none", m.Imports, len(cats.imported))
			}
			row := cats.imported[lab.OrgID][1]
			want := []string{"uk-psti", "etsi-en-303-645", "1", "equivalent-to", "5.1-1;5.1-2", "read together", "expert", "high"}
			for i, v := range want {
				if row[i] != v {
					t.Errorf("column %d = %q, want %q", i, row[i], v)
				}
			}
			if cit := row[8]; !strings.Contains(cit, "workspace SIG") || !strings.Contains(cit, "approved by user:"+lab.UserID) || !strings.Contains(cit, "of Lab") {
				t.Errorf("citation %q does not say the workspace and who approved", cit)
			}
			if row[9] != "https://iotsec.example/workspaces/"+w.ID {
				t.Errorf("citation URL %q", row[9])
			}
		})
	}
}
