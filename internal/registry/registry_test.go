package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/registry"
	"github.com/iotsec/iotsec/internal/translog"
)

var kek = bytes.Repeat([]byte{7}, 32)

// env: a maker (A) with a camera's firmware 1.4.0, the owner of sg-cls
// (B), a lab B delegated to (L) and a bystander (C).
type env struct {
	t                  *testing.T
	ctx                context.Context
	store              iotsec.Store
	svc                *registry.Service
	clock              *apptest.Clock
	maker, judge, lab  iotsec.Actor
	bystander          iotsec.Actor
	makerOrg, authOrg  string
	firmware, fwSupEnd string
}

func forEachStore(t *testing.T, f func(t *testing.T, e *env)) {
	c := apptest.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	for name, s := range apptest.Stores(t, c.Now) {
		t.Run(name, func(t *testing.T) { f(t, newEnv(t, s, c)) })
	}
}

func newEnv(t *testing.T, s iotsec.Store, c *apptest.Clock) *env {
	e := &env{t: t, ctx: context.Background(), store: s, clock: c}
	e.svc = registry.New(s, kek, "https://registry.example", nil)
	e.svc.Now = c.Now
	e.svc.Rules = catalogRules(t)
	org := func(name string) iotsec.Actor {
		o := iotsec.Organisation{Name: name, Country: "SG"}
		must(t, s.CreateOrg(e.ctx, "t", &o, ""))
		return iotsec.System(o.ID, "t-"+name)
	}
	a, b, l, x := org("Acme Cameras"), org("CSA"), org("Lab L"), org("Bystander")
	e.maker, e.judge, e.lab, e.bystander = a, b, l, x
	e.maker.Role = iotsec.RoleMaker
	e.judge.Role = iotsec.RoleAssessor
	e.makerOrg, e.authOrg = a.OrgID, b.OrgID
	must(t, e.svc.AddOperator(e.ctx, "system:test", &iotsec.SchemeOperator{OrgID: b.OrgID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	must(t, e.svc.AddOperator(e.ctx, "system:test", &iotsec.SchemeOperator{OrgID: l.OrgID, Scheme: "sg-cls", Role: iotsec.OperatorDelegate, DelegatedBy: b.OrgID}))
	p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
	must(t, s.CreateProduct(e.ctx, a, &p))
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4.0", SupportEnd: iotsec.NewDate(2035, 12, 31)}
	must(t, s.CreateFirmware(e.ctx, a, &fw))
	e.firmware = fw.ID
	return e
}

// catalogRules reads the validity rules from the embedded catalog, as
// internal/app wires them.
func catalogRules(t testing.TB) func(string) (registry.ValidityRule, bool) {
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	return func(slug string) (registry.ValidityRule, bool) {
		sc, err := cat.Scheme(slug)
		if err != nil || sc.Validity == nil {
			return registry.ValidityRule{}, false
		}
		return registry.ValidityRule{Months: sc.Validity.Months, RenewalWindowDays: sc.Validity.RenewalWindowDays, Source: sc.Validity.Source}, true
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: error %v, want %v", what, err, kind)
	}
}

// doc returns the label document of a record, as /l/{id}.json serves it.
func (e *env) doc(c iotsec.Certification) []byte {
	e.t.Helper()
	d, err := e.svc.Document(e.ctx, c.LabelID)
	must(e.t, err)
	b, err := json.Marshal(d)
	must(e.t, err)
	return b
}

// verify checks a document offline and that its signature and proof hold.
func (e *env) verify(doc []byte, opts registry.VerifyOptions) registry.Result {
	e.t.Helper()
	if opts.Now.IsZero() {
		opts.Now = e.clock.Now()
	}
	r := registry.VerifyLabel(doc, opts)
	if r.Label == nil {
		e.t.Fatalf("label did not verify: %+v", r)
	}
	for _, p := range r.Problems {
		if p.Code == label.CodeProof || p.Code == label.CodeSignature {
			e.t.Fatalf("label's proof or signature: %+v", p)
		}
	}
	return r
}

func codes(r registry.Result) []string {
	out := []string{}
	for _, p := range r.Problems {
		out = append(out, string(p.Code))
	}
	return out
}

func TestLife(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", e.lab.OrgID)
		must(t, err)
		if c.Status != iotsec.StatusApplied || c.AuthorityOrgID != e.authOrg {
			t.Fatalf("applied %+v", c)
		}
		_, err = e.svc.Document(e.ctx, c.LabelID)
		wantKind(t, "Document before the grant", err, iotsec.ErrNotFound)

		e.clock.Add(time.Hour)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{Reason: "tested"})
		must(t, err)
		if c.ValidFrom != iotsec.NewDate(2026, 3, 1) || c.ValidUntil != iotsec.NewDate(2029, 2, 28) || c.Label == "" {
			t.Fatalf("granted %+v", c)
		}
		r := e.verify(e.doc(c), registry.VerifyOptions{})
		if !r.Valid || r.Status != label.StatusCertified || r.Label.FirmwareVersion != "1.4.0" || r.Label.Model != "CAM-1" ||
			r.Label.TestedBy == nil || r.Label.TestedBy.Name != "Lab L" || r.Label.SupportEnd != "2035-12-31" ||
			r.Label.PageURL != "https://registry.example/l/"+c.LabelID {
			t.Fatalf("granted label: %+v %+v", r, r.Label)
		}

		steps := []struct {
			move   func() (iotsec.Certification, error)
			status label.Status
			valid  bool
		}{
			{func() (iotsec.Certification, error) {
				return e.svc.Review(e.ctx, e.judge, c.ID, []string{"KEV CVE-2026-0001 matched"})
			}, label.StatusUnderReview, false},
			{func() (iotsec.Certification, error) { return e.svc.Clear(e.ctx, e.lab, c.ID, "patched") }, label.StatusCertified, true},
			{func() (iotsec.Certification, error) { return e.svc.Suspend(e.ctx, e.judge, c.ID, "audit") }, label.StatusSuspended, false},
			{func() (iotsec.Certification, error) { return e.svc.Revoke(e.ctx, e.judge, c.ID, "breach") }, label.StatusRevoked, false},
		}
		for i, st := range steps {
			e.clock.Add(time.Hour)
			got, err := st.move()
			must(t, err)
			r := e.verify(e.doc(got), registry.VerifyOptions{})
			if r.Valid != st.valid || r.Status != st.status || r.Label.Status != st.status {
				t.Fatalf("step %d: %+v (problems %v)", i, r, codes(r))
			}
		}
		hist, err := e.svc.History(e.ctx, e.maker, c.ID)
		must(t, err)
		if len(hist) != 6 {
			t.Fatalf("history of %d events, want 6", len(hist))
		}
		for i, ev := range hist[1:] {
			if ev.LogIndex != int64(i) {
				t.Errorf("event %d logged at %d, want %d", i+1, ev.LogIndex, i)
			}
		}
		cp, err := e.svc.Checkpoint(e.ctx)
		must(t, err)
		if cp.Size != 5 || !strings.HasPrefix(cp.Text, "registry.example/registry\n5\n") {
			t.Errorf("checkpoint %q", cp.Text)
		}
	})
}

func TestValidity(t *testing.T) {
	s := registry.New(nil, kek, "https://r.example", nil)
	s.Now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }
	s.Rules = catalogRules(t)
	for _, tt := range []struct {
		scheme     string
		in         registry.GrantInput
		supportEnd iotsec.Date
		want       iotsec.Date
		err        error
	}{
		{"de-it-sik", registry.GrantInput{}, iotsec.Date{}, iotsec.NewDate(2028, 2, 29), nil},
		{"jp-jc-star", registry.GrantInput{}, iotsec.Date{}, iotsec.NewDate(2028, 2, 29), nil},
		{"sg-cls", registry.GrantInput{}, iotsec.Date{}, iotsec.NewDate(2029, 2, 28), nil},
		{"sg-cls", registry.GrantInput{}, iotsec.NewDate(2027, 6, 30), iotsec.NewDate(2027, 6, 30), nil},
		{"sg-cls", registry.GrantInput{ValidUntil: iotsec.NewDate(2026, 12, 31)}, iotsec.Date{}, iotsec.NewDate(2026, 12, 31), nil},
		{"sg-cls", registry.GrantInput{ValidUntil: iotsec.NewDate(2030, 12, 31)}, iotsec.NewDate(2028, 1, 1), iotsec.NewDate(2028, 1, 1), nil},
		{"sg-cls", registry.GrantInput{}, iotsec.NewDate(2026, 2, 28), iotsec.Date{}, iotsec.ErrInvalid},
		{"uk-psti", registry.GrantInput{}, iotsec.Date{}, iotsec.Date{}, iotsec.ErrInvalid},
	} {
		_, until, err := s.Validity(tt.scheme, tt.in, tt.supportEnd)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s %+v: error %v, want %v", tt.scheme, tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || until != tt.want {
			t.Errorf("%s %+v support %s: until %s, %v; want %s", tt.scheme, tt.in, tt.supportEnd, until, err, tt.want)
		}
	}
}

func TestGrantCappedAtSupportEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		p := iotsec.Product{Name: "Old cam", Model: "CAM-0"}
		must(t, e.store.CreateProduct(e.ctx, e.maker, &p))
		fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "0.9", SupportEnd: iotsec.NewDate(2026, 9, 30)}
		must(t, e.store.CreateFirmware(e.ctx, e.maker, &fw))
		c, err := e.svc.Apply(e.ctx, e.maker, fw.ID, "sg-cls", "1", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		if c.ValidUntil != iotsec.NewDate(2026, 9, 30) {
			t.Fatalf("valid until %s, want the support end", c.ValidUntil)
		}
		r := e.verify(e.doc(c), registry.VerifyOptions{})
		if !r.Valid || !r.Label.ValidUntil.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("%+v %v", r, r.Label.ValidUntil)
		}
		// After the support end the label has lapsed.
		r = e.verify(e.doc(c), registry.VerifyOptions{Now: time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)})
		if r.Valid || r.Status != label.StatusExpired {
			t.Fatalf("after support end: %+v", r)
		}

		fw2 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "0.8", SupportEnd: iotsec.NewDate(2026, 1, 31)}
		must(t, e.store.CreateFirmware(e.ctx, e.maker, &fw2))
		c2, err := e.svc.Apply(e.ctx, e.maker, fw2.ID, "sg-cls", "1", "")
		must(t, err)
		_, err = e.svc.Grant(e.ctx, e.judge, c2.ID, registry.GrantInput{})
		wantKind(t, "Grant after the support end", err, iotsec.ErrInvalid)
	})
}

func TestKeyRotationAndTampering(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		before := e.doc(c)

		_, err = e.svc.RotateKey(e.ctx, e.judge)
		must(t, err)
		e.clock.Add(time.Hour)
		c2, err := e.svc.Suspend(e.ctx, e.judge, c.ID, "audit")
		must(t, err)
		after := e.doc(c2)
		if labelKid(t, before) == labelKid(t, after) {
			t.Fatal("the label after rotation is signed with the old key")
		}
		jwks, err := e.svc.JWKS(e.ctx, e.authOrg)
		must(t, err)
		// The label signed before rotation verifies with today's JWKS
		// (the status it carried then was certified).
		r := e.verify(before, registry.VerifyOptions{JWKS: jwks})
		if !r.Valid {
			t.Fatalf("old label with the new JWKS: %v", codes(r))
		}
		// ...and with only the new key it does not.
		var set struct{ Keys []map[string]any }
		must(t, json.Unmarshal(jwks, &set))
		var newKeys []map[string]any
		for _, k := range set.Keys {
			if k["kid"] != labelKid(t, before) {
				newKeys = append(newKeys, k)
			}
		}
		one, _ := json.Marshal(map[string]any{"keys": newKeys})
		r = registry.VerifyLabel(before, registry.VerifyOptions{Now: e.clock.Now(), JWKS: one})
		if r.Valid || r.Problems[0].Code != label.CodeUnknownKey {
			t.Fatalf("old label with only the new key: %+v", r)
		}

		// One changed byte anywhere in the label fails.
		var bd registry.Document
		must(t, json.Unmarshal(before, &bd))
		for _, i := range []int{10, len(bd.Label) / 2, len(bd.Label) - 5} {
			tampered := bd
			b := []byte(tampered.Label)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			tampered.Label = string(b)
			doc, _ := json.Marshal(tampered)
			if r := registry.VerifyLabel(doc, registry.VerifyOptions{Now: e.clock.Now()}); r.Valid || r.Label != nil {
				t.Errorf("byte %d changed: %+v", i, r)
			}
		}
		// A log key of another log refuses the proof.
		_, vkey, err := translog.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)), bd.Log.Origin)
		must(t, err)
		r = registry.VerifyLabel(before, registry.VerifyOptions{Now: e.clock.Now(), LogKey: vkey})
		if r.Valid || !strings.Contains(strings.Join(codes(r), " "), string(label.CodeProof)) {
			t.Errorf("another log's key: %+v", r)
		}
	})
}

func labelKid(t *testing.T, doc []byte) string {
	var d registry.Document
	must(t, json.Unmarshal(doc, &d))
	r := registry.VerifyLabel(doc, registry.VerifyOptions{})
	if r.Kid == "" {
		t.Fatalf("no kid: %+v", r)
	}
	return r.Kid
}

func TestMonitorAndHeldCheckpoint(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		doc := e.doc(c)
		old, err := e.svc.Checkpoint(e.ctx)
		must(t, err)
		// The checkpoint the label was proved against, held by the user.
		if r := e.verify(doc, registry.VerifyOptions{Checkpoint: []byte(old.Text)}); !r.Valid {
			t.Fatalf("same checkpoint: %v", codes(r))
		}
		for range 3 {
			e.clock.Add(time.Hour)
			_, err = e.svc.Review(e.ctx, e.judge, c.ID, []string{"why"})
			must(t, err)
			_, err = e.svc.Clear(e.ctx, e.judge, c.ID, "fine")
			must(t, err)
		}
		latest, err := e.svc.Checkpoint(e.ctx)
		must(t, err)
		if latest.Size != 7 {
			t.Fatalf("log size %d, want 7", latest.Size)
		}
		r := e.verify(doc, registry.VerifyOptions{Checkpoint: []byte(latest.Text)})
		if r.Valid || codes(r)[0] != string(registry.CodeConsistencyNeeded) {
			t.Fatalf("held a newer checkpoint: %+v", r)
		}
		vkey, err := e.svc.LogVerifierKey(e.ctx)
		must(t, err)
		v, err := translog.NewVerifier(vkey)
		must(t, err)
		proof, err := e.svc.Consistency(e.ctx, old.Size, latest.Size)
		must(t, err)
		if _, err := translog.VerifyConsistency(v, []byte(old.Text), []byte(latest.Text), proof.Proof); err != nil {
			t.Fatalf("monitor: %v", err)
		}
		// Every label's inclusion proof at the latest checkpoint.
		for i := int64(0); i < latest.Size; i++ {
			b, err := e.svc.Proof(e.ctx, i, latest.Size)
			must(t, err)
			recs, err := e.store.LogRecords(e.ctx, i, i+1)
			must(t, err)
			if _, err := b.Verify(v, recs[0].Data); err != nil {
				t.Fatalf("entry %d: %v", i, err)
			}
		}
	})
}

func TestForbiddenMoves(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		_, err = e.svc.Apply(e.ctx, e.maker, e.firmware, "uk-psti", "", "")
		wantKind(t, "Apply under a scheme nobody operates", err, iotsec.ErrInvalid)
		_, err = e.svc.Grant(e.ctx, e.maker, c.ID, registry.GrantInput{})
		wantKind(t, "Grant by the maker", err, iotsec.ErrForbidden)
		_, err = e.svc.Grant(e.ctx, e.bystander, c.ID, registry.GrantInput{})
		wantKind(t, "Grant by a bystander", err, iotsec.ErrNotFound)
		_, err = e.svc.Clear(e.ctx, e.judge, c.ID, "")
		wantKind(t, "Clear of an applied record", err, iotsec.ErrConflict)
		_, err = e.svc.Review(e.ctx, e.judge, c.ID, nil)
		wantKind(t, "Review without reasons", err, iotsec.ErrInvalid)
		_, err = e.svc.Suspend(e.ctx, e.judge, c.ID, " ")
		wantKind(t, "Suspend without a reason", err, iotsec.ErrInvalid)
		_, err = e.svc.Revoke(e.ctx, e.judge, c.ID, "")
		wantKind(t, "Revoke without a reason", err, iotsec.ErrInvalid)
		c, err = e.svc.Grant(e.ctx, e.lab, c.ID, registry.GrantInput{})
		must(t, err)
		_, err = e.svc.Revoke(e.ctx, e.maker, c.ID, "breach")
		wantKind(t, "Revoke by the maker", err, iotsec.ErrForbidden)
		_, err = e.svc.Withdraw(e.ctx, e.judge, c.ID, "")
		wantKind(t, "Withdraw by the authority", err, iotsec.ErrForbidden)
		c, err = e.svc.Withdraw(e.ctx, e.maker, c.ID, "end of sale")
		must(t, err)
		if r := e.verify(e.doc(c), registry.VerifyOptions{}); r.Valid || r.Status != label.StatusWithdrawn {
			t.Fatalf("withdrawn: %+v", r)
		}
		_, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		wantKind(t, "Grant of a withdrawn record", err, iotsec.ErrConflict)
	})
}

func TestLabelRebuiltFromLog(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		// The process died after the commit, before the label was written.
		must(t, e.store.SetCertificationLabel(e.ctx, e.judge, c.ID, ""))
		jws, err := e.svc.Label(e.ctx, e.judge, c.ID)
		must(t, err)
		if r := e.verify(e.doc(c), registry.VerifyOptions{}); !r.Valid || jws == "" {
			t.Fatalf("rebuilt label: %+v", r)
		}
		// A label stating an older move is rebuilt too.
		granted := jws
		e.clock.Add(time.Hour)
		_, err = e.svc.Suspend(e.ctx, e.judge, c.ID, "audit")
		must(t, err)
		must(t, e.store.SetCertificationLabel(e.ctx, e.judge, c.ID, granted))
		jws, err = e.svc.Label(e.ctx, e.judge, c.ID)
		must(t, err)
		if jws == granted {
			t.Fatal("the label of the grant was kept after the suspension")
		}
		if r := e.verify(e.doc(c), registry.VerifyOptions{}); r.Valid || r.Label.Status != label.StatusSuspended {
			t.Fatalf("rebuilt suspended label: %+v", r)
		}
	})
}

// TestSurveil: a known exploited vulnerability in a certified version puts
// the record under review with the vulnerability as the reason, logs it,
// re-issues the label (which then does not verify as valid) and tells both
// organisations; suppressed or unexploited matches do nothing, and running
// it again changes nothing.
func TestSurveil(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{Reason: "tested"})
		must(t, err)
		quiet := []iotsec.VulnMatch{
			{VulnID: "CVE-2026-0002", Component: "busybox", ComponentVersion: "1.36.1", KEV: true, Suppressed: true},
			{VulnID: "CVE-2026-0003", Component: "openssl", ComponentVersion: "3.0.1"},
		}
		must(t, e.svc.Surveil(e.ctx, e.maker, e.firmware, quiet))
		if got, _ := e.svc.Get(e.ctx, e.maker, c.ID); got.Status != iotsec.StatusCertified {
			t.Fatalf("after suppressed and unexploited matches the record is %s", got.Status)
		}

		loud := append(quiet, iotsec.VulnMatch{VulnID: "CVE-2026-0001", Component: "dnsmasq", ComponentVersion: "2.84", KEV: true})
		for range 2 {
			must(t, e.svc.Surveil(e.ctx, e.maker, e.firmware, loud))
		}
		got, err := e.svc.Get(e.ctx, e.judge, c.ID)
		must(t, err)
		want := []string{"CVE-2026-0001 in dnsmasq 2.84 is known to be exploited (CISA KEV)"}
		if got.Status != iotsec.StatusUnderReview || !slices.Equal(got.Reasons, want) {
			t.Errorf("after a KEV match: %s %q, want under review for %q", got.Status, got.Reasons, want)
		}
		cp, err := e.svc.Checkpoint(e.ctx)
		must(t, err)
		if cp.Size != 2 {
			t.Errorf("log of %d entries after grant and one review, want 2", cp.Size)
		}
		r := e.verify(e.doc(got), registry.VerifyOptions{})
		if r.Valid || r.Status != label.StatusUnderReview {
			t.Errorf("label under review verifies as %+v", r)
		}
		for _, who := range []iotsec.Actor{e.judge, e.maker} {
			ns, err := e.store.ListNotifications(e.ctx, iotsec.System(who.OrgID, "t"), false, 100)
			must(t, err)
			n := 0
			for _, x := range ns {
				if x.Kind == "label-under-review" && strings.Contains(x.Body, "CVE-2026-0001") && strings.Contains(x.Title, "Cam (CAM-1) 1.4.0") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("organisation %s has %d under-review notifications, want 1: %+v", who.OrgID, n, ns)
			}
		}
	})
}
