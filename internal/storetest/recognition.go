package storetest

import (
	"slices"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testRecognitionRequests pins recognition requests across three
// organisations: only the owner of the requesting scheme asks, only the
// owner of the other scheme answers, a third organisation sees nothing,
// a refusal needs a reason, and an agreement writes its imports into the
// two parties' catalogs only, with audit events in both organisations.
func testRecognitionRequests(t *testing.T, open Opener) {
	f := setup(t, open)
	uc := f.user(t, "carol@c.example")
	c := f.org(t, "Org C", uc.ID)
	C := iotsec.Actor{OrgID: c.ID, UserID: uc.ID, Role: iotsec.RoleOwner, Label: uc.Email}
	for _, o := range []iotsec.SchemeOperator{{OrgID: f.a.ID, Scheme: "cls", Role: iotsec.OperatorOwner}, {OrgID: f.b.ID, Scheme: "psti", Role: iotsec.OperatorOwner}} {
		if err := f.s.AddSchemeOperator(f.ctx, "system:test", &o); err != nil {
			t.Fatalf("AddSchemeOperator(%+v): %v", o, err)
		}
	}
	assessorA := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleAssessor, Label: "assessor"}
	req := func() iotsec.RecognitionRequest {
		return iotsec.RecognitionRequest{FromScheme: " cls ", FromLevel: "2", ToScheme: "psti", Rationale: "CLS level 2 covers the three PSTI requirements"}
	}
	for _, tt := range []struct {
		name string
		a    iotsec.Actor
		edit func(*iotsec.RecognitionRequest)
		want error
	}{
		{"assessor", assessorA, nil, iotsec.ErrForbidden},
		{"not the owner of from", C, nil, iotsec.ErrForbidden},
		{"no rationale", f.A, func(r *iotsec.RecognitionRequest) { r.Rationale = " " }, iotsec.ErrInvalid},
		{"bad kind", f.A, func(r *iotsec.RecognitionRequest) { r.Kind = "mutual" }, iotsec.ErrInvalid},
		{"same scheme", f.A, func(r *iotsec.RecognitionRequest) { r.ToScheme = "cls" }, iotsec.ErrInvalid},
		{"to has no owner", f.A, func(r *iotsec.RecognitionRequest) { r.ToScheme = "jc-star" }, iotsec.ErrInvalid},
	} {
		r := req()
		if tt.edit != nil {
			tt.edit(&r)
		}
		wantKind(t, "Create "+tt.name, f.s.CreateRecognitionRequest(f.ctx, tt.a, &r), tt.want)
	}
	r := req()
	wantKind(t, "Create", f.s.CreateRecognitionRequest(f.ctx, f.A, &r), nil)
	if r.ID == "" || r.FromScheme != "cls" || r.ToOrgID != f.b.ID || r.ToOrgName != "Org B" || r.Kind != iotsec.RecognitionDeemed || r.Status != iotsec.RecognitionSubmitted {
		t.Fatalf("created %+v", r)
	}
	// The two parties see it; a third organisation does not.
	for _, a := range []iotsec.Actor{f.A, f.B} {
		if l, err := f.s.ListRecognitionRequests(f.ctx, a); err != nil || len(l) != 1 || l[0].ID != r.ID {
			t.Fatalf("List(%s) = %+v, %v", a.Label, l, err)
		}
	}
	if l, err := f.s.ListRecognitionRequests(f.ctx, C); err != nil || len(l) != 0 {
		t.Fatalf("List third = %+v, %v", l, err)
	}
	_, err := f.s.GetRecognitionRequest(f.ctx, C, r.ID)
	wantKind(t, "Get third", err, iotsec.ErrNotFound)
	_, err = f.s.CloseRecognitionRequest(f.ctx, C, r.ID, iotsec.RecognitionRefused, "no")
	wantKind(t, "Refuse third", err, iotsec.ErrNotFound)
	_, err = f.s.AgreeRecognitionRequest(f.ctx, C, r.ID, nil)
	wantKind(t, "Agree third", err, iotsec.ErrNotFound)
	// Moves by the wrong party, a refusal without a reason.
	_, err = f.s.CloseRecognitionRequest(f.ctx, f.B, r.ID, iotsec.RecognitionRefused, " ")
	wantKind(t, "Refuse without reason", err, iotsec.ErrInvalid)
	_, err = f.s.CloseRecognitionRequest(f.ctx, f.A, r.ID, iotsec.RecognitionRefused, "why not")
	wantKind(t, "Refuse by requester", err, iotsec.ErrForbidden)
	_, err = f.s.CloseRecognitionRequest(f.ctx, f.B, r.ID, iotsec.RecognitionWithdrawn, "")
	wantKind(t, "Withdraw by addressee", err, iotsec.ErrForbidden)
	_, err = f.s.AgreeRecognitionRequest(f.ctx, f.A, r.ID, nil)
	wantKind(t, "Agree by requester", err, iotsec.ErrForbidden)

	// Refused with a reason; then closed for good.
	got, err := f.s.CloseRecognitionRequest(f.ctx, f.B, r.ID, iotsec.RecognitionRefused, "  level 2 lacks a vulnerability disclosure policy ")
	wantKind(t, "Refuse", err, nil)
	if got.Status != iotsec.RecognitionRefused || got.Reason != "level 2 lacks a vulnerability disclosure policy" || got.ClosedAt.IsZero() {
		t.Fatalf("refused %+v", got)
	}
	_, err = f.s.CloseRecognitionRequest(f.ctx, f.A, r.ID, iotsec.RecognitionWithdrawn, "")
	wantKind(t, "Withdraw refused", err, iotsec.ErrConflict)

	// Withdrawn by the requester.
	w := req()
	wantKind(t, "Create 2", f.s.CreateRecognitionRequest(f.ctx, f.A, &w), nil)
	got, err = f.s.CloseRecognitionRequest(f.ctx, f.A, w.ID, iotsec.RecognitionWithdrawn, "")
	wantKind(t, "Withdraw", err, nil)
	if got.Status != iotsec.RecognitionWithdrawn {
		t.Fatalf("withdrawn %+v", got)
	}

	// At most MaxPendingRecognitions wait for answers at a time.
	var pending []string
	for i := 0; i < iotsec.MaxPendingRecognitions; i++ {
		p := req()
		wantKind(t, "Create pending", f.s.CreateRecognitionRequest(f.ctx, f.A, &p), nil)
		pending = append(pending, p.ID)
	}
	over := req()
	wantKind(t, "Create over the limit", f.s.CreateRecognitionRequest(f.ctx, f.A, &over), iotsec.ErrConflict)
	for _, id := range pending {
		_, err := f.s.CloseRecognitionRequest(f.ctx, f.A, id, iotsec.RecognitionWithdrawn, "")
		wantKind(t, "Withdraw pending", err, nil)
	}

	// Agreed: both parties' catalogs get an import, no one else's.
	g := req()
	g.FromLevel = "3"
	wantKind(t, "Create 3", f.s.CreateRecognitionRequest(f.ctx, f.A, &g), nil)
	imp := func(orgID string) iotsec.SchemeImport {
		return iotsec.SchemeImport{OrgID: orgID, Name: "recognition " + g.ID, Format: iotsec.SchemeFormatAgreement, Visibility: iotsec.VisibilityPrivate,
			Source: []byte(`{}`), Parsed: []byte(`{"agreements":[]}`)}
	}
	_, err = f.s.AgreeRecognitionRequest(f.ctx, f.B, g.ID, []iotsec.SchemeImport{imp(f.a.ID), imp(c.ID)})
	wantKind(t, "Agree into a third catalog", err, iotsec.ErrInvalid)
	bad := imp(f.a.ID)
	bad.Format = iotsec.SchemeFormatCSV
	_, err = f.s.AgreeRecognitionRequest(f.ctx, f.B, g.ID, []iotsec.SchemeImport{bad})
	wantKind(t, "Agree with a mapping import", err, iotsec.ErrInvalid)
	rev0, err := f.s.SchemeRevision(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err = f.s.AgreeRecognitionRequest(f.ctx, f.B, g.ID, []iotsec.SchemeImport{imp(f.a.ID), imp(f.b.ID)})
	wantKind(t, "Agree", err, nil)
	if got.Status != iotsec.RecognitionAgreed || len(got.Imports) != 2 {
		t.Fatalf("agreed %+v", got)
	}
	if rev, _ := f.s.SchemeRevision(f.ctx); rev <= rev0 {
		t.Errorf("scheme revision %d after agreement, was %d", rev, rev0)
	}
	_, err = f.s.AgreeRecognitionRequest(f.ctx, f.B, g.ID, nil)
	wantKind(t, "Agree twice", err, iotsec.ErrConflict)
	for _, tt := range []struct {
		a    iotsec.Actor
		want int
	}{{f.A, 1}, {f.B, 1}, {C, 0}} {
		imps, err := f.s.LoadSchemeImports(f.ctx, tt.a)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, im := range imps {
			if im.Format == iotsec.SchemeFormatAgreement && slices.Contains(got.Imports, im.ID) {
				n++
				if im.OrgID != tt.a.OrgID || im.Visibility != iotsec.VisibilityPrivate {
					t.Errorf("%s sees import %+v", tt.a.Label, im)
				}
			}
		}
		if n != tt.want {
			t.Errorf("%s sees %d agreement imports, want %d", tt.a.Label, n, tt.want)
		}
	}
	// Each move is in both parties' audit logs, none in the third's.
	for _, tt := range []struct {
		a    iotsec.Actor
		want []string
	}{
		{f.A, []string{"recognition.request", "recognition.refuse", "recognition.withdraw", "recognition.agree"}},
		{f.B, []string{"recognition.received", "recognition.refuse", "recognition.withdraw", "recognition.agree"}},
		{C, nil},
	} {
		evs, err := f.s.ListAudit(f.ctx, tt.a, iotsec.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range evs {
			seen[e.Action] = true
		}
		for _, w := range tt.want {
			if !seen[w] {
				t.Errorf("%s audit lacks %s", tt.a.Label, w)
			}
		}
		if tt.want == nil {
			for a := range seen {
				if len(a) > 12 && a[:12] == "recognition." {
					t.Errorf("third org audit has %s", a)
				}
			}
		}
	}
}
