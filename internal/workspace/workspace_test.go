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
// the spreadsheet each was asked to take, which organisation's catalog
// refuses it, and which one's import comes back unstorable.
type catalogs struct {
	asked      map[string][][]string // org -> rows of the spreadsheet
	supersedes map[string]bool
	refuse     string
	broken     string
}

func (c *catalogs) prepare(_ context.Context, a iotsec.Actor, name string, data []byte, supersedes bool) (iotsec.SchemeImport, error) {
	if a.OrgID == c.refuse {
		return iotsec.SchemeImport{}, iotsec.Invalid("body", "scheme uk-psti is not in this catalog")
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return iotsec.SchemeImport{}, err
	}
	c.asked[a.OrgID], c.supersedes[a.OrgID] = rows, supersedes
	im := iotsec.SchemeImport{Name: name, Format: iotsec.SchemeFormatCSV, Visibility: iotsec.VisibilityPrivate,
		MappingSets: []string{rows[1][0] + "--" + rows[1][1]}, Maps: 1, Source: data, Parsed: []byte(`{"mappings":[]}`)}
	if a.OrgID == c.broken {
		im.Format = "broken"
	}
	return im, nil
}

// TestMerge: a merge reaches every accepted member and no invited one,
// its map says who approved it where, a change proposal's map supersedes,
// and a member whose catalog refuses it, or whose import cannot be
// stored, stops the whole merge: no member gets an import.
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
			cats := &catalogs{asked: map[string][][]string{}, supersedes: map[string]bool{}}
			svc := workspace.New(s)
			svc.PrepareMappings, svc.BaseURL = cats.prepare, "https://iotsec.example/"
			imports := func() int {
				n := 0
				for _, a := range []iotsec.Actor{ministry, lab, maker, late} {
					l, err := s.ListSchemeImports(ctx, a)
					apptest.Must(t, err)
					n += len(l)
				}
				return n
			}
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
			if got, _ := svc.Proposal(ctx, ministry, w.ID, p.ID); got.Status != iotsec.ProposalApproved || imports() != 0 {
				t.Fatalf("after a refused merge: status %s, %d imports", got.Status, imports())
			}
			cats.refuse = ""
			// The lab's import (the second member's) cannot be stored: the
			// ministry's, written before it in the same transaction, is not
			// kept either.
			cats.broken = lab.OrgID
			if _, err := svc.Merge(ctx, ministry, w.ID, p.ID); err == nil {
				t.Fatal("merge with an unstorable import succeeded")
			}
			if got, _ := svc.Proposal(ctx, ministry, w.ID, p.ID); got.Status != iotsec.ProposalApproved || imports() != 0 {
				t.Fatalf("after a failed merge: status %s, %d imports", got.Status, imports())
			}
			cats.broken = ""
			// Another workspace's ID does not reach the proposal.
			other, err := svc.Create(ctx, ministry, iotsec.Workspace{Name: "Other", Focus: "f"})
			apptest.Must(t, err)
			if _, err := svc.Merge(ctx, ministry, other.ID, p.ID); !errors.Is(err, iotsec.ErrNotFound) {
				t.Fatalf("merge through another workspace: %v, want not found", err)
			}
			m, err := svc.Merge(ctx, ministry, w.ID, p.ID)
			apptest.Must(t, err)
			if len(m.Imports) != 3 || imports() != 3 || cats.asked[late.OrgID] != nil {
				t.Fatalf("merge imports %+v (%d stored); the invited organisation must get none", m.Imports, imports())
			}
			for _, mi := range m.Imports {
				if mi.ImportID == "" || !cats.supersedes[mi.OrgID] {
					t.Errorf("import %+v: no ID, or the change was not asked to supersede", mi)
				}
			}
			row := cats.asked[lab.OrgID][1]
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
