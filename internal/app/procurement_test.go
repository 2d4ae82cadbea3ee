package app_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestProcurementCheck checks products against procurement policies on
// table cases: each demand met and not met, a product named by its label,
// and the policies of another organisation out of reach.
func TestProcurementCheck(t *testing.T) {
	f := apptest.New(t)
	f.RegistryRecords(&f.A) // A's camera holds A's scheme at level 1
	f.SupplyRecords(&f.B)   // B's camera has an SBOM
	ctx, s, d := context.Background(), f.App.Store, f.App.Dashboard
	a, b := f.A.Actor(), f.B.Actor()
	policy := func(g iotsec.Actor, p iotsec.ProcurementPolicy) string {
		t.Helper()
		apptest.Must(t, s.CreateProcurementPolicy(ctx, g, &p))
		return p.ID
	}
	label := func(scheme, level string) []iotsec.LabelRequirement {
		return []iotsec.LabelRequirement{{Market: "EU", Scheme: scheme, MinLevel: level}}
	}
	type reason struct {
		Req string
		Met bool
	}
	cases := []struct {
		name             string
		actor            iotsec.Actor
		policy           string
		product, labelID string
		pass             bool
		reasons          []reason
		wantErr          error
	}{
		{"no demands", a, policy(a, iotsec.ProcurementPolicy{Name: "none"}), f.A.Product.ID, "", true, nil, nil},
		{"label held at the level", a, policy(a, iotsec.ProcurementPolicy{Name: "l1", Labels: label(f.A.Scheme, "1")}), f.A.Product.ID, "", true,
			[]reason{{"label " + f.A.Scheme + " level 1 or higher in EU", true}}, nil},
		{"label held, any level", a, policy(a, iotsec.ProcurementPolicy{Name: "l", Labels: label(f.A.Scheme, "")}), f.A.Product.ID, "", true,
			[]reason{{"label " + f.A.Scheme + " in EU", true}}, nil},
		{"label held below the level", a, policy(a, iotsec.ProcurementPolicy{Name: "l2", Labels: label(f.A.Scheme, "2")}), f.A.Product.ID, "", false,
			[]reason{{"label " + f.A.Scheme + " level 2 or higher in EU", false}}, nil},
		{"label not held", a, policy(a, iotsec.ProcurementPolicy{Name: "cls", Labels: label("sg-cls", "1")}), f.A.Product.ID, "", false,
			[]reason{{"label sg-cls level 1 or higher in EU", false}}, nil},
		{"support long enough", a, policy(a, iotsec.ProcurementPolicy{Name: "s1", MinSupportYears: 1}), f.A.Product.ID, "", true,
			[]reason{{"support for 1 years or more", true}}, nil},
		{"support too short", a, policy(a, iotsec.ProcurementPolicy{Name: "s9", MinSupportYears: 9}), f.A.Product.ID, "", false,
			[]reason{{"support for 9 years or more", false}}, nil},
		{"no SBOM", a, policy(a, iotsec.ProcurementPolicy{Name: "sbom", SBOMRequired: true}), f.A.Product.ID, "", false,
			[]reason{{"SBOM present", false}}, nil},
		{"SBOM present", b, policy(b, iotsec.ProcurementPolicy{Name: "sbom", SBOMRequired: true}), f.B.Product.ID, "", true,
			[]reason{{"SBOM present", true}}, nil},
		{"no KEV match", a, policy(a, iotsec.ProcurementPolicy{Name: "kev", NoKEV: true}), f.A.Product.ID, "", true,
			[]reason{{"no known exploited vulnerability", true}}, nil},
		{"by label ID", a, policy(a, iotsec.ProcurementPolicy{Name: "bylabel", Labels: label(f.A.Scheme, "1"), SBOMRequired: true}), "", f.A.LabelID, false,
			[]reason{{"label " + f.A.Scheme + " level 1 or higher in EU", true}, {"SBOM present", false}}, nil},
		{"product and label", a, policy(a, iotsec.ProcurementPolicy{Name: "both"}), f.A.Product.ID, f.A.LabelID, false, nil, iotsec.ErrInvalid},
		{"another organisation's policy", a, policy(b, iotsec.ProcurementPolicy{Name: "b's"}), f.A.Product.ID, "", false, nil, iotsec.ErrNotFound},
		{"another organisation's product", a, policy(a, iotsec.ProcurementPolicy{Name: "p"}), f.B.Product.ID, "", false, nil, iotsec.ErrNotFound},
		{"another organisation's label", b, policy(b, iotsec.ProcurementPolicy{Name: "p"}), "", f.A.LabelID, false, nil, iotsec.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := d.Check(ctx, c.actor, c.policy, c.product, c.labelID)
			if c.wantErr != nil {
				if iotsec.Kind(err) != c.wantErr {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			apptest.Must(t, err)
			var got []reason
			for _, r := range v.Reasons {
				got = append(got, reason{r.Requirement, r.Met})
				if r.Detail == "" {
					t.Errorf("reason %q without detail", r.Requirement)
				}
			}
			if v.Pass != c.pass {
				t.Errorf("pass = %v, want %v: %+v", v.Pass, c.pass, v.Reasons)
			}
			if diff := cmp.Diff(c.reasons, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}
