package policy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func embedded(t *testing.T) *policy.Dataset {
	t.Helper()
	d, err := policy.Embedded()
	if err != nil {
		t.Fatalf("Embedded() = %v", err)
	}
	return d
}

func TestEmbeddedDataset(t *testing.T) {
	d := embedded(t)
	with := map[string]bool{}
	for _, e := range d.Entries {
		with[e.Jurisdiction] = true
	}
	if len(with) < 25 {
		t.Errorf("%d jurisdictions have an entry, want at least 25", len(with))
	}
	for _, code := range []string{"EU", "GB", "US", "SG", "JP", "KR", "AU", "CA", "IN", "BR", "CN", "IL", "AE", "SA", "NZ", "DE", "FR"} {
		if _, ok := d.Jurisdiction(code); !ok {
			t.Errorf("jurisdiction %s missing", code)
		}
	}
	used := map[string]bool{}
	for _, e := range d.Entries {
		used[e.Measure] = true
	}
	for _, m := range d.Measures {
		if m.Code != "LABEL_MANDATORY" && !used[m.Code] {
			t.Errorf("measure %s has no entry", m.Code)
		}
	}
	// Facts of the reference note (policy.md section 4) on given days.
	tests := []struct {
		id, date, want string
	}{
		{"gb-psti-passwords", "2024-04-28", policy.Adopted},
		{"gb-psti-passwords", "2024-04-29", policy.InForce},
		{"au-support", "2026-03-03", policy.Adopted},
		{"au-support", "2026-03-04", policy.InForce},
		{"eu-cra-reporting", "2026-09-10", policy.Adopted},
		{"eu-cra-reporting", "2026-09-11", policy.InForce},
		{"eu-cra-sbom", "2026-12-07", policy.Adopted},
		{"eu-cra-sbom", "2027-12-11", policy.InForce},
		{"sg-router-l2", "2028-01-01", policy.Planned},
		{"sg-cls", "2026-01-01", policy.Voluntary},
	}
	for _, tt := range tests {
		e, ok := d.Entry(tt.id)
		if !ok {
			t.Errorf("entry %s missing", tt.id)
			continue
		}
		if got := e.StatusOn(day(tt.date)); got != tt.want {
			t.Errorf("%s.StatusOn(%s) = %s, want %s", tt.id, tt.date, got, tt.want)
		}
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(e *policy.Entry)
		want   string
	}{
		{"unknown measure", func(e *policy.Entry) { e.Measure = "LASERS" }, `measure "LASERS" is not a measure code`},
		{"unknown jurisdiction", func(e *policy.Entry) { e.Jurisdiction = "XX" }, `jurisdiction "XX" is not in the dataset`},
		{"status", func(e *policy.Entry) { e.Status = "rumoured" }, `status "rumoured" is not one of`},
		{"no source", func(e *policy.Entry) { e.Source = policy.Source{} }, "source.url"},
		{"bad date", func(e *policy.Entry) { e.Dates.InForce = "2024-13-01" }, `dates.in_force "2024-13-01"`},
		{"confidence", func(e *policy.Entry) { e.Confidence = "sure" }, `confidence "sure"`},
		{"phase", func(e *policy.Entry) { e.Lifecycle = []string{"recycling"} }, `lifecycle phase "recycling" unknown`},
		{"id", func(e *policy.Entry) { e.ID = "GB PSTI" }, `id "GB PSTI"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := embedded(t)
			tt.break_(&d.Entries[0])
			err := d.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestMatrixAndCountry(t *testing.T) {
	d := embedded(t)
	m := d.Matrix(day("2026-12-07"))
	if len(m.Rows) != len(d.Jurisdictions) || len(m.Measures) != len(d.Measures) {
		t.Fatalf("matrix %d×%d, want %d×%d", len(m.Rows), len(m.Measures), len(d.Jurisdictions), len(d.Measures))
	}
	cell := func(code, measure string) policy.Cell {
		for _, r := range m.Rows {
			if r.Code == code {
				return r.Cells[slices.Index(m.Measures, measure)]
			}
		}
		t.Fatalf("no row %s", code)
		return policy.Cell{}
	}
	// Singapore's routers: one rule in force and one planned; the cell shows the strongest.
	if c := cell("SG", "MANDATORY_CLASS"); c.Status != policy.InForce || !slices.Equal(c.Entries, []string{"sg-rgsec", "sg-router-l2"}) {
		t.Errorf("SG MANDATORY_CLASS = %+v", c)
	}
	if c := cell("EU", "SBOM"); c.Status != policy.Adopted {
		t.Errorf("EU SBOM on 2026-12-07 = %s, want adopted (applies 2027-12-11)", c.Status)
	}
	if c := cell("GB", "UDP_BAN"); c.Status != policy.InForce {
		t.Errorf("GB UDP_BAN = %s", c.Status)
	}
	for _, c := range m.Rows[slices.IndexFunc(m.Rows, func(r policy.MatrixRow) bool { return r.Code == "IL" })].Cells {
		if c.Status != policy.None {
			t.Errorf("IL %s = %s, want none", c.Measure, c.Status)
		}
	}

	v, err := d.Country("uk", day("2026-12-07"))
	if err != nil || v.Code != "GB" || len(v.Entries) == 0 {
		t.Fatalf("Country(uk) = %+v, %v", v, err)
	}
	if slices.Contains(v.Missing, "UDP_BAN") || !slices.Contains(v.Missing, "SBOM") {
		t.Errorf("GB missing = %v", v.Missing)
	}
	il, err := d.Country("IL", day("2026-12-07"))
	if err != nil || len(il.Entries) != 0 || len(il.Missing) != len(d.Measures) || il.Note == "" {
		t.Errorf("Country(IL) = %+v, %v; want no entries, every measure missing, a note", il, err)
	}
	no, err := d.Country("NO", day("2026-12-07"))
	if err != nil || no.Name != "Norway" || !strings.Contains(no.Note, "no national measure found") {
		t.Errorf("Country(NO) = %+v, %v", no, err)
	}
	if _, err := d.Country("XX", day("2026-12-07")); iotsec.Kind(err) != iotsec.ErrNotFound {
		t.Errorf("Country(XX) error = %v, want not found", err)
	}
}

// Proposals on both databases: a government organisation proposes, someone
// else of it reviews, only then the dataset changes; other organisations
// neither see nor review it, and non-governments cannot propose.
func TestProposalsReviewedBeforeTheyApply(t *testing.T) {
	for name, st := range apptest.Stores(t, time.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			user := func(email string) iotsec.User {
				u := iotsec.User{Email: email}
				if err := st.CreateUser(ctx, "test", &u); err != nil {
					t.Fatal(err)
				}
				return u
			}
			org := func(name string, kind iotsec.OrgKind, country, owner string) iotsec.Organisation {
				o := iotsec.Organisation{Name: name, Kind: kind, Country: country}
				if err := st.CreateOrg(ctx, "test", &o, owner); err != nil {
					t.Fatal(err)
				}
				return o
			}
			alice, bob, carol := user("alice@dsit.example"), user("bob@dsit.example"), user("carol@maker.example")
			gov := org("DSIT", iotsec.OrgGovernment, "GB", alice.ID)
			if err := st.AddMember(ctx, iotsec.Actor{OrgID: gov.ID, UserID: alice.ID, Role: iotsec.RoleOwner, Label: "alice"}, bob.ID, iotsec.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			maker := org("Maker", iotsec.OrgManufacturer, "GB", carol.ID)
			A := iotsec.Actor{OrgID: gov.ID, UserID: alice.ID, Role: iotsec.RoleOwner, Label: "alice"}
			Bob := iotsec.Actor{OrgID: gov.ID, UserID: bob.ID, Role: iotsec.RoleAdmin, Label: "bob"}
			M := iotsec.Actor{OrgID: maker.ID, UserID: carol.ID, Role: iotsec.RoleOwner, Label: "carol"}

			svc, err := policy.New(st)
			if err != nil {
				t.Fatal(err)
			}
			svc.Now = func() time.Time { return day("2026-12-07") }
			entry := policy.Entry{ID: "gb-test-sbom", Jurisdiction: "GB", Measure: "SBOM",
				Instrument: policy.Instrument{Name: "Test instrument", Number: "SI 2099/1", URL: "https://www.legislation.gov.uk/"},
				Status:     policy.Adopted, Scope: policy.Scope{Text: "Consumer connectable products."}, Dates: policy.Dates{AppliesFrom: "2099-01-01"},
				Source: policy.Source{Title: "legislation.gov.uk", URL: "https://www.legislation.gov.uk/"}, Confidence: "high"}
			in := policy.Proposal{Action: iotsec.PolicyAdd, Entry: &entry, Rationale: "made on 2026-12-01"}

			for _, c := range []struct {
				name string
				a    iotsec.Actor
				in   policy.Proposal
				want error
			}{
				{"a manufacturer", M, in, iotsec.ErrForbidden},
				{"another country", A, policy.Proposal{Action: iotsec.PolicyAdd, Entry: &policy.Entry{ID: "fr-x", Jurisdiction: "FR", Measure: "SBOM", Instrument: entry.Instrument,
					Status: policy.Adopted, Scope: entry.Scope, Source: entry.Source, Confidence: "high"}, Rationale: "r"}, iotsec.ErrForbidden},
				{"no source", A, policy.Proposal{Action: iotsec.PolicyAdd, Entry: &policy.Entry{ID: "gb-x", Jurisdiction: "GB", Measure: "SBOM", Instrument: entry.Instrument,
					Status: policy.Adopted, Scope: entry.Scope, Confidence: "high"}, Rationale: "r"}, iotsec.ErrInvalid},
				{"adding an existing ID", A, policy.Proposal{Action: iotsec.PolicyAdd, Entry: func() *policy.Entry { e := entry; e.ID = "gb-psti-passwords"; return &e }(), Rationale: "r"}, iotsec.ErrInvalid},
				{"withdrawing nothing", A, policy.Proposal{Action: iotsec.PolicyWithdraw, EntryID: "gb-nothing", Rationale: "r"}, iotsec.ErrInvalid},
			} {
				if _, err := svc.Propose(ctx, c.a, c.in); iotsec.Kind(err) != c.want {
					t.Errorf("Propose(%s) = %v, want %v", c.name, err, c.want)
				}
			}

			p, err := svc.Propose(ctx, A, in)
			if err != nil {
				t.Fatalf("Propose = %v", err)
			}
			cellOf := func() policy.Cell {
				m, err := svc.Matrix(ctx, day("2026-12-07"))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range m.Rows {
					if r.Code == "GB" {
						return r.Cells[slices.Index(m.Measures, "SBOM")]
					}
				}
				return policy.Cell{}
			}
			if c := cellOf(); c.Status != policy.None {
				t.Errorf("GB SBOM before review = %+v, want none", c)
			}
			if _, err := svc.Proposal(ctx, M, p.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Errorf("Proposal(other org) = %v, want not found", err)
			}
			if _, err := svc.Review(ctx, M, p.ID, true, ""); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Errorf("Review(other org) = %v, want not found", err)
			}
			if _, err := svc.Review(ctx, A, p.ID, true, ""); iotsec.Kind(err) != iotsec.ErrForbidden {
				t.Errorf("Review(own) = %v, want forbidden", err)
			}
			if _, err := svc.Review(ctx, Bob, p.ID, true, "checked"); err != nil {
				t.Fatalf("Review(bob) = %v", err)
			}
			if c := cellOf(); c.Status != policy.Adopted || !slices.Equal(c.Entries, []string{"gb-test-sbom"}) {
				t.Errorf("GB SBOM after review = %+v", c)
			}
			got, err := svc.Proposal(ctx, A, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var hist []iotsec.PolicyStatus
			for _, e := range got.History {
				hist = append(hist, e.Status)
			}
			if diff := cmp.Diff([]iotsec.PolicyStatus{iotsec.PolicyPending, iotsec.PolicyAccepted}, hist); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
			if h, _ := svc.History(ctx, "GB"); len(h) != 1 || h[0].EntryID != "gb-test-sbom" {
				t.Errorf("History(GB) = %+v", h)
			}

			// A withdrawal of an embedded entry, accepted, removes it.
			w, err := svc.Propose(ctx, Bob, policy.Proposal{Action: iotsec.PolicyWithdraw, EntryID: "gb-msa-opss", Rationale: "enforcement moved"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Review(ctx, A, w.ID, true, ""); err != nil {
				t.Fatal(err)
			}
			d, err := svc.Dataset(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := d.Entry("gb-msa-opss"); ok {
				t.Error("withdrawn entry still in the dataset")
			}
			if e, ok := d.Entry("gb-test-sbom"); !ok || e.Proposal != p.ID {
				t.Errorf("added entry %+v, want proposal %s", e, p.ID)
			}
		})
	}
}
