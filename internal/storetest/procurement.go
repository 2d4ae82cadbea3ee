package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testProcurement pins procurement policies: the organisation's own data,
// created, edited, listed by name and deleted by those who may write
// products, invisible to every other organisation, and checked on the way
// in.
func testProcurement(t *testing.T, open Opener) {
	f := setup(t, open)
	p := iotsec.ProcurementPolicy{Name: "  Cameras  ", Labels: []iotsec.LabelRequirement{{Market: "sg", Scheme: "sg-cls", MinLevel: "2"}},
		MinSupportYears: 3, NoKEV: true, SBOMRequired: true}
	wantKind(t, "CreateProcurementPolicy", f.s.CreateProcurementPolicy(f.ctx, f.A, &p), nil)
	if p.ID == "" || p.OrgID != f.a.ID || p.Name != "Cameras" || p.Labels[0].Market != "SG" || p.CreatedAt.IsZero() {
		t.Errorf("CreateProcurementPolicy filled in %+v", p)
	}
	got, err := f.s.GetProcurementPolicy(f.ctx, f.A, p.ID)
	wantKind(t, "GetProcurementPolicy", err, nil)
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("GetProcurementPolicy (-created +read):\n%s", diff)
	}
	other := iotsec.ProcurementPolicy{Name: "Any router"}
	wantKind(t, "CreateProcurementPolicy(no labels)", f.s.CreateProcurementPolicy(f.ctx, f.A, &other), nil)
	if other.Labels == nil || other.NoKEV || other.SBOMRequired {
		t.Errorf("a policy without demands = %+v", other)
	}

	for _, c := range []struct {
		name string
		a    iotsec.Actor
		p    iotsec.ProcurementPolicy
		want error
	}{
		{"no name", f.A, iotsec.ProcurementPolicy{Name: " "}, iotsec.ErrInvalid},
		{"negative years", f.A, iotsec.ProcurementPolicy{Name: "n", MinSupportYears: -1}, iotsec.ErrInvalid},
		{"too many years", f.A, iotsec.ProcurementPolicy{Name: "n", MinSupportYears: iotsec.MaxSupportYears + 1}, iotsec.ErrInvalid},
		{"label without scheme", f.A, iotsec.ProcurementPolicy{Name: "n", Labels: []iotsec.LabelRequirement{{Market: "EU"}}}, iotsec.ErrInvalid},
		{"label without market", f.A, iotsec.ProcurementPolicy{Name: "n", Labels: []iotsec.LabelRequirement{{Scheme: "x"}}}, iotsec.ErrInvalid},
		{"too many labels", f.A, iotsec.ProcurementPolicy{Name: "n", Labels: make([]iotsec.LabelRequirement, iotsec.MaxProcurementLabels+1)}, iotsec.ErrInvalid},
		{"a viewer", iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}, iotsec.ProcurementPolicy{Name: "n"}, iotsec.ErrForbidden},
	} {
		q := c.p
		wantKind(t, "CreateProcurementPolicy("+c.name+")", f.s.CreateProcurementPolicy(f.ctx, c.a, &q), c.want)
	}

	// Edit.
	p.Name, p.MinSupportYears, p.NoKEV = "Cameras 2027", 5, false
	wantKind(t, "UpdateProcurementPolicy", f.s.UpdateProcurementPolicy(f.ctx, f.A, &p), nil)
	got, _ = f.s.GetProcurementPolicy(f.ctx, f.A, p.ID)
	if got.Name != "Cameras 2027" || got.MinSupportYears != 5 || got.NoKEV || !got.SBOMRequired || !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("after UpdateProcurementPolicy = %+v", got)
	}

	// Another organisation sees and touches nothing.
	_, err = f.s.GetProcurementPolicy(f.ctx, f.B, p.ID)
	wantKind(t, "GetProcurementPolicy(B, A's)", err, iotsec.ErrNotFound)
	q := p
	q.Name = "B's"
	wantKind(t, "UpdateProcurementPolicy(B, A's)", f.s.UpdateProcurementPolicy(f.ctx, f.B, &q), iotsec.ErrNotFound)
	wantKind(t, "DeleteProcurementPolicy(B, A's)", f.s.DeleteProcurementPolicy(f.ctx, f.B, p.ID), iotsec.ErrNotFound)
	if l, err := f.s.ListProcurementPolicies(f.ctx, f.B); err != nil || len(l) != 0 {
		t.Errorf("ListProcurementPolicies(B) = %v, %v; want none", l, err)
	}

	l, err := f.s.ListProcurementPolicies(f.ctx, f.A)
	wantKind(t, "ListProcurementPolicies", err, nil)
	var names []string
	for _, x := range l {
		names = append(names, x.Name)
	}
	if diff := cmp.Diff([]string{"Any router", "Cameras 2027"}, names); diff != "" {
		t.Errorf("ListProcurementPolicies names (-want +got):\n%s", diff)
	}
	wantKind(t, "DeleteProcurementPolicy", f.s.DeleteProcurementPolicy(f.ctx, f.A, other.ID), nil)
	wantKind(t, "DeleteProcurementPolicy(again)", f.s.DeleteProcurementPolicy(f.ctx, f.A, other.ID), iotsec.ErrNotFound)
	_, err = f.s.GetProcurementPolicy(f.ctx, f.A, other.ID)
	wantKind(t, "GetProcurementPolicy(deleted)", err, iotsec.ErrNotFound)
}
