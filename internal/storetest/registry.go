package storetest

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// The registry's contract: records a maker applies for and the scheme's
// authority (or its delegate) grants, suspends and revokes; a history per
// record; one transparency log that every move of a public record appends
// to in the same transaction, without gaps, on every database.

// registry is a fixture with a maker (A), the owner of the scheme "cls"
// (B), a lab B delegated to (L) and a bystander (C) that owns another
// scheme.
type registry struct {
	*fixture
	l, c   iotsec.Organisation
	L, C   iotsec.Actor
	maker  iotsec.Actor // A as a member with the maker role
	judge  iotsec.Actor // B as an assessor
	fw     iotsec.FirmwareVersion
	moveNo int
}

func setupRegistry(t *testing.T, open Opener) *registry {
	t.Helper()
	r := &registry{fixture: setup(t, open)}
	ul, uc := r.user(t, "lab@l.example"), r.user(t, "carol@c.example")
	r.l, r.c = r.org(t, "Lab L", ul.ID), r.org(t, "Org C", uc.ID)
	r.L = iotsec.Actor{OrgID: r.l.ID, UserID: ul.ID, Role: iotsec.RoleAssessor, Label: ul.Email}
	r.C = iotsec.Actor{OrgID: r.c.ID, UserID: uc.ID, Role: iotsec.RoleOwner, Label: uc.Email}
	r.maker = iotsec.Actor{OrgID: r.a.ID, UserID: r.ua.ID, Role: iotsec.RoleMaker, Label: "maker"}
	r.judge = iotsec.Actor{OrgID: r.b.ID, UserID: r.ub.ID, Role: iotsec.RoleAssessor, Label: "judge"}
	for _, o := range []iotsec.SchemeOperator{
		{OrgID: r.b.ID, Scheme: "cls", Role: iotsec.OperatorOwner},
		{OrgID: r.l.ID, Scheme: "cls", Role: iotsec.OperatorDelegate, DelegatedBy: r.b.ID},
		{OrgID: r.c.ID, Scheme: "bsi", Role: iotsec.OperatorOwner},
	} {
		if err := r.s.AddSchemeOperator(r.ctx, "system:test", &o); err != nil {
			t.Fatalf("AddSchemeOperator(%+v): %v", o, err)
		}
	}
	p := r.product(t, r.A, "CAM-1")
	r.fw = r.firmware(t, r.A, p.ID, "1.4.0")
	return r
}

func (r *registry) apply(t *testing.T, level string) iotsec.Certification {
	t.Helper()
	c := iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", Level: level, AuthorityOrgID: r.b.ID, LabOrgID: r.l.ID}
	wantKind(t, "CreateCertification", r.s.CreateCertification(r.ctx, r.maker, &c), nil)
	return c
}

// leaf is the test's log entry: what moved, and where it sits in the log.
func leaf(c iotsec.Certification, ev iotsec.CertificationEvent) ([]byte, error) {
	return fmt.Appendf(nil, "%d %s %s %s->%s", ev.LogIndex, c.LabelID, c.ID, ev.From, ev.To), nil
}

// logAppend is the log callbacks the service will pass, with the tree
// hashing done as the tlog engine does it.
func logAppend() iotsec.LogAppend { return iotsec.LogAppend{Leaf: leaf, Hashes: storedHashesFor} }

// move makes a move that is expected to work, setting a validity period
// and a label on grants.
func (r *registry) move(t *testing.T, a iotsec.Actor, id string, to iotsec.RecordStatus, reasons ...string) (iotsec.Certification, iotsec.CertificationEvent) {
	t.Helper()
	r.moveNo++
	n := r.moveNo
	c, ev, err := r.s.MoveCertification(r.ctx, a, iotsec.CertificationMove{ID: id, To: to, Reason: "because " + string(to), Log: logAppend(),
		Update: func(c *iotsec.Certification, ev iotsec.CertificationEvent) error {
			if to == iotsec.StatusCertified && c.ValidUntil.IsZero() {
				c.ValidFrom, c.ValidUntil = iotsec.NewDate(2026, 3, 1), iotsec.NewDate(2029, 2, 28)
			}
			if len(reasons) > 0 {
				c.Reasons = reasons
			}
			c.Label = fmt.Sprintf("jws.%d.%d", n, ev.LogIndex)
			return nil
		}})
	wantKind(t, fmt.Sprintf("MoveCertification to %s", to), err, nil)
	if c.Status != to || ev.To != to || ev.CertificationID != id || ev.Actor != a.Name() || ev.ActorOrgID != a.OrgID {
		t.Fatalf("move to %s: record %+v, event %+v", to, c, ev)
	}
	return c, ev
}

func (r *registry) logSize(t *testing.T) int64 {
	t.Helper()
	n, err := r.s.LogSize(r.ctx)
	wantKind(t, "LogSize", err, nil)
	return n
}

// testRegistryLife: a record from application to revocation, with its
// history and one log entry per public move, in order.
func testRegistryLife(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	if c.ID == "" || c.OrgID != r.a.ID || c.ProductID != r.fw.ProductID || c.Status != iotsec.StatusApplied || len(c.LabelID) != 26 ||
		!c.GrantedAt.IsZero() || c.AppliedAt.IsZero() || c.Reasons == nil {
		t.Fatalf("applied record = %+v", c)
	}
	got, err := r.s.GetCertification(r.ctx, r.A, c.ID)
	wantKind(t, "GetCertification", err, nil)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetCertification after apply (-want +got):\n%s", diff)
	}
	_, err = r.s.PublicCertification(r.ctx, c.LabelID)
	wantKind(t, "PublicCertification of an application", err, iotsec.ErrNotFound)
	_, _, err = r.s.LabelState(r.ctx, c.LabelID)
	wantKind(t, "LabelState of an application", err, iotsec.ErrNotFound)

	type step struct {
		by      iotsec.Actor
		to      iotsec.RecordStatus
		reasons []string
	}
	steps := []step{
		{r.judge, iotsec.StatusCertified, nil},
		{r.judge, iotsec.StatusUnderReview, []string{"CVE-2024-0001 is known exploited in busybox 1.36.1"}},
		{r.L, iotsec.StatusCertified, nil}, // cleared by the delegate
		{r.B, iotsec.StatusSuspended, []string{"the maker did not answer"}},
		{r.judge, iotsec.StatusRevoked, nil},
	}
	var events []iotsec.CertificationEvent
	for i, st := range steps {
		before := c
		var ev iotsec.CertificationEvent
		c, ev = r.move(t, st.by, c.ID, st.to, st.reasons...)
		if ev.LogIndex != int64(i) || ev.From != before.Status {
			t.Errorf("step %d (%s): event %+v, want log index %d from %s", i, st.to, ev, i, before.Status)
		}
		if c.Label != fmt.Sprintf("jws.%d.%d", r.moveNo, i) {
			t.Errorf("step %d: label %q; Update did not see the event's log index", i, c.Label)
		}
		switch {
		case i == 0 && (c.GrantedAt.IsZero() || !c.GrantedAt.Equal(c.UpdatedAt)):
			t.Errorf("grant: granted at %v, updated at %v", c.GrantedAt, c.UpdatedAt)
		case i > 0 && !c.GrantedAt.Equal(before.GrantedAt):
			t.Errorf("step %d (%s) changed the grant time", i, st.to)
		}
		if st.to == iotsec.StatusCertified && len(c.Reasons) != 0 {
			t.Errorf("step %d: certified with reasons %v", i, c.Reasons)
		}
		if st.reasons != nil && !cmp.Equal(c.Reasons, st.reasons) {
			t.Errorf("step %d: reasons %v, want %v", i, c.Reasons, st.reasons)
		}
		back, err := r.s.GetCertification(r.ctx, r.judge, c.ID)
		wantKind(t, "GetCertification as the authority", err, nil)
		if diff := cmp.Diff(c, back); diff != "" {
			t.Errorf("step %d: stored record differs from the returned one (-returned +stored):\n%s", i, diff)
		}
		events = append(events, ev)
		if i == 0 {
			pub, err := r.s.PublicCertification(r.ctx, c.LabelID)
			wantKind(t, "PublicCertification", err, nil)
			want := iotsec.PublicCertification{LabelID: c.LabelID, Status: iotsec.StatusCertified, Scheme: "cls", Level: "2", Maker: "Org A", MakerCountry: "NL",
				Product: "Camera CAM-1", Model: "CAM-1", ProductClass: "camera", FirmwareVersion: "1.4.0", SupportEnd: r.fw.SupportEnd,
				Authority: "Org B", Lab: "Lab L", ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, GrantedAt: c.GrantedAt, UpdatedAt: c.UpdatedAt, Label: c.Label,
				Reasons: []string{}}
			if diff := cmp.Diff(want, pub); diff != "" {
				t.Errorf("PublicCertification (-want +got):\n%s", diff)
			}
		}
	}
	pub, err := r.s.PublicCertification(r.ctx, c.LabelID)
	wantKind(t, "PublicCertification after revocation", err, nil)
	if pub.Status != iotsec.StatusRevoked || pub.Label != c.Label {
		t.Errorf("the public part after revocation = %+v", pub)
	}
	st, lbl, err := r.s.LabelState(r.ctx, c.LabelID)
	wantKind(t, "LabelState after revocation", err, nil)
	if st != iotsec.StatusRevoked || lbl != c.Label {
		t.Errorf("LabelState after revocation = %s, %q; want revoked, %q", st, lbl, c.Label)
	}

	// The history: the application, then each move, oldest first.
	for _, a := range []iotsec.Actor{r.A, r.maker, r.judge, r.L} {
		h, err := r.s.CertificationHistory(r.ctx, a, c.ID)
		wantKind(t, "CertificationHistory as "+a.Label, err, nil)
		if len(h) != len(steps)+1 || h[0].From != "" || h[0].To != iotsec.StatusApplied || h[0].LogIndex != -1 || h[0].ActorOrgID != r.a.ID {
			t.Fatalf("history as %s = %+v", a.Label, h)
		}
		if diff := cmp.Diff(events, h[1:]); diff != "" {
			t.Errorf("history as %s (-want +got):\n%s", a.Label, diff)
		}
	}

	// The log: one entry per move, numbered 0..4, each the leaf made for
	// it; the tree's hashes are what a tlog tree stores.
	if n := r.logSize(t); n != int64(len(steps)) {
		t.Fatalf("LogSize = %d, want %d", n, len(steps))
	}
	recs, err := r.s.LogRecords(r.ctx, 0, 100)
	wantKind(t, "LogRecords", err, nil)
	if len(recs) != len(steps) {
		t.Fatalf("LogRecords = %d records, want %d", len(recs), len(steps))
	}
	for i, rec := range recs {
		want, _ := leaf(c, events[i])
		if rec.Index != int64(i) || !bytes.Equal(rec.Data, want) || !rec.At.Equal(events[i].At) {
			t.Errorf("log record %d = %d %q at %v, want %q at %v", i, rec.Index, rec.Data, rec.At, want, events[i].At)
		}
	}
	if recs, _ := r.s.LogRecords(r.ctx, 3, 4); len(recs) != 1 || recs[0].Index != 3 {
		t.Errorf("LogRecords(3, 4) = %+v", recs)
	}
	_, err = r.s.LogRecords(r.ctx, 4, 3)
	wantKind(t, "LogRecords backwards", err, iotsec.ErrInvalid)
	checkTree(t, r.fixture, int64(len(steps)))

	// Checkpoints: the first of a size stays; none beyond the log.
	for _, cp := range []iotsec.Checkpoint{{Size: 3, Text: "cp 3\n"}, {Size: 5, Text: "cp 5\n"}, {Size: 5, Text: "another cp 5\n"}} {
		wantKind(t, fmt.Sprintf("SaveCheckpoint(%d)", cp.Size), r.s.SaveCheckpoint(r.ctx, cp), nil)
	}
	wantKind(t, "SaveCheckpoint beyond the log", r.s.SaveCheckpoint(r.ctx, iotsec.Checkpoint{Size: 6, Text: "cp 6\n"}), iotsec.ErrInvalid)
	wantKind(t, "SaveCheckpoint without text", r.s.SaveCheckpoint(r.ctx, iotsec.Checkpoint{Size: 1}), iotsec.ErrInvalid)
	cp, err := r.s.LatestCheckpoint(r.ctx)
	wantKind(t, "LatestCheckpoint", err, nil)
	if cp.Size != 5 || cp.Text != "cp 5\n" || cp.At.IsZero() {
		t.Errorf("LatestCheckpoint = %+v, want the first one of size 5", cp)
	}
	if cp, err := r.s.CheckpointAt(r.ctx, 3); err != nil || cp.Text != "cp 3\n" {
		t.Errorf("CheckpointAt(3) = %+v, %v", cp, err)
	}
	_, err = r.s.CheckpointAt(r.ctx, 4)
	wantKind(t, "CheckpointAt(4)", err, iotsec.ErrNotFound)

	// Every move is in the audit log of the organisation that made it.
	evs, err := r.s.ListAudit(r.ctx, r.B, iotsec.AuditFilter{})
	wantKind(t, "ListAudit", err, nil)
	var actions []string
	for _, e := range evs {
		if strings.HasPrefix(e.Action, "registry.") {
			actions = append(actions, e.Action)
		}
	}
	if want := []string{"registry.revoked", "registry.suspended", "registry.under-review", "registry.certified", "registry.operator.add"}; !cmp.Equal(actions, want) {
		t.Errorf("B's registry audit events = %v, want %v", actions, want)
	}
}

// testRegistryForbidden: moves the actor may not make, or the record may
// not take, fail with their kind and change nothing: no event, no log entry.
func testRegistryForbidden(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	viewerB := iotsec.Actor{OrgID: r.b.ID, UserID: r.ub.ID, Role: iotsec.RoleViewer, Label: "viewer"}
	grant := func(a iotsec.Actor, to iotsec.RecordStatus, update func(*iotsec.Certification, iotsec.CertificationEvent) error) error {
		_, _, err := r.s.MoveCertification(r.ctx, a, iotsec.CertificationMove{ID: c.ID, To: to, Log: logAppend(), Update: update})
		return err
	}
	valid := func(c *iotsec.Certification, _ iotsec.CertificationEvent) error {
		c.ValidFrom, c.ValidUntil = iotsec.NewDate(2026, 3, 1), iotsec.NewDate(2028, 2, 29)
		return nil
	}
	unchanged := func(what string, want iotsec.Certification, events int) {
		t.Helper()
		got, err := r.s.GetCertification(r.ctx, r.A, want.ID)
		wantKind(t, "GetCertification after "+what, err, nil)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s changed the record (-before +after):\n%s", what, diff)
		}
		h, _ := r.s.CertificationHistory(r.ctx, r.A, want.ID)
		if len(h) != events {
			t.Errorf("%s: history has %d events, want %d", what, len(h), events)
		}
	}
	size := r.logSize(t)
	for _, tt := range []struct {
		name   string
		a      iotsec.Actor
		to     iotsec.RecordStatus
		update func(*iotsec.Certification, iotsec.CertificationEvent) error
		kind   error
	}{
		{"the maker's owner grants", r.A, iotsec.StatusCertified, valid, iotsec.ErrForbidden},
		{"a maker grants", r.maker, iotsec.StatusCertified, valid, iotsec.ErrForbidden},
		{"the authority's viewer grants", viewerB, iotsec.StatusCertified, valid, iotsec.ErrForbidden},
		{"the owner of another scheme grants", r.C, iotsec.StatusCertified, valid, iotsec.ErrNotFound},
		{"the authority withdraws", r.B, iotsec.StatusWithdrawn, nil, iotsec.ErrForbidden},
		{"the lab withdraws", iotsec.Actor{OrgID: r.l.ID, Role: iotsec.RoleOwner, Label: "lab owner"}, iotsec.StatusWithdrawn, nil, iotsec.ErrForbidden},
		{"an applied record is suspended", r.judge, iotsec.StatusSuspended, nil, iotsec.ErrConflict},
		{"an applied record expires", r.judge, iotsec.StatusExpired, nil, iotsec.ErrConflict},
		{"an unknown status", r.judge, "granted", valid, iotsec.ErrInvalid},
		{"a grant without validity", r.judge, iotsec.StatusCertified, nil, iotsec.ErrInvalid},
		{"Update fails", r.judge, iotsec.StatusCertified, func(*iotsec.Certification, iotsec.CertificationEvent) error {
			return iotsec.Invalid("scheme", "the catalog has no rule for it")
		}, iotsec.ErrInvalid},
	} {
		wantKind(t, tt.name, grant(tt.a, tt.to, tt.update), tt.kind)
		unchanged(tt.name, c, 1)
	}
	// A log entry the service cannot make undoes the whole move.
	_, _, err := r.s.MoveCertification(r.ctx, r.judge, iotsec.CertificationMove{ID: c.ID, To: iotsec.StatusCertified, Update: valid,
		Log: iotsec.LogAppend{Leaf: leaf, Hashes: func(int64, []byte, func([]int64) ([][]byte, error)) ([][]byte, error) {
			return nil, errors.New("signer down")
		}}})
	if err == nil {
		t.Fatal("a grant whose log entry failed worked")
	}
	unchanged("a failed log entry", c, 1)
	if n := r.logSize(t); n != size {
		t.Errorf("refused moves changed the log size from %d to %d", size, n)
	}

	// Update may not change who and what the record is about.
	granted, _, err := r.s.MoveCertification(r.ctx, r.judge, iotsec.CertificationMove{ID: c.ID, To: iotsec.StatusCertified, Log: logAppend(),
		Update: func(x *iotsec.Certification, ev iotsec.CertificationEvent) error {
			valid(x, ev)
			x.OrgID, x.FirmwareID, x.Scheme, x.LabelID, x.Status = r.b.ID, "fw_other", "bsi", "guessable", iotsec.StatusRevoked
			return nil
		}})
	wantKind(t, "grant", err, nil)
	if granted.OrgID != r.a.ID || granted.FirmwareID != r.fw.ID || granted.Scheme != "cls" || granted.LabelID != c.LabelID || granted.Status != iotsec.StatusCertified {
		t.Errorf("Update rewrote the record's identity: %+v", granted)
	}
	unchanged("the grant", granted, 2)
	size = r.logSize(t)

	// Revoked is terminal, for everyone.
	revoked, _ := r.move(t, r.B, c.ID, iotsec.StatusRevoked)
	for _, to := range []iotsec.RecordStatus{iotsec.StatusCertified, iotsec.StatusSuspended, iotsec.StatusUnderReview, iotsec.StatusExpired, iotsec.StatusRevoked} {
		wantKind(t, "a revoked record becomes "+string(to), grant(r.B, to, valid), iotsec.ErrConflict)
	}
	wantKind(t, "a revoked record is withdrawn", grant(r.A, iotsec.StatusWithdrawn, nil), iotsec.ErrConflict)
	unchanged("moves of a revoked record", revoked, 3)
	if n := r.logSize(t); n != size+1 {
		t.Errorf("log size %d after the revocation, want %d", n, size+1)
	}
}

// testRegistryApply: who may apply for what; one live record per firmware
// version, scheme and level; applications nobody granted stay private.
func testRegistryApply(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	for _, tt := range []struct {
		name string
		a    iotsec.Actor
		c    iotsec.Certification
		kind error
	}{
		{"a viewer", iotsec.Actor{OrgID: r.a.ID, Role: iotsec.RoleViewer, Label: "v"}, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", AuthorityOrgID: r.b.ID}, iotsec.ErrForbidden},
		{"an assessor", iotsec.Actor{OrgID: r.a.ID, Role: iotsec.RoleAssessor, Label: "as"}, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", AuthorityOrgID: r.b.ID}, iotsec.ErrForbidden},
		{"another's firmware", r.B, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", AuthorityOrgID: r.b.ID}, iotsec.ErrNotFound},
		{"an authority that does not own the scheme", r.A, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", AuthorityOrgID: r.l.ID}, iotsec.ErrInvalid},
		{"a scheme nobody operates", r.A, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "none", AuthorityOrgID: r.b.ID}, iotsec.ErrInvalid},
		{"the wrong product", r.A, iotsec.Certification{FirmwareID: r.fw.ID, ProductID: "prd_other", Scheme: "cls", AuthorityOrgID: r.b.ID}, iotsec.ErrInvalid},
		{"an unknown lab", r.A, iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", AuthorityOrgID: r.b.ID, LabOrgID: "org_none"}, iotsec.ErrInvalid},
		{"no scheme", r.A, iotsec.Certification{FirmwareID: r.fw.ID, AuthorityOrgID: r.b.ID}, iotsec.ErrInvalid},
	} {
		c := tt.c
		wantKind(t, "CreateCertification by "+tt.name, r.s.CreateCertification(r.ctx, tt.a, &c), tt.kind)
	}
	if cs, _ := r.s.ListCertifications(r.ctx, r.A, iotsec.CertificationFilter{}); len(cs) != 0 {
		t.Fatalf("refused applications left %d records", len(cs))
	}

	first := r.apply(t, "2")
	dup := iotsec.Certification{FirmwareID: r.fw.ID, Scheme: "cls", Level: "2", AuthorityOrgID: r.b.ID}
	wantKind(t, "a second live record of the same level", r.s.CreateCertification(r.ctx, r.A, &dup), iotsec.ErrConflict)
	other := r.apply(t, "3")
	// Granted, expired: still live (it may be renewed).
	r.move(t, r.judge, first.ID, iotsec.StatusCertified)
	r.move(t, r.judge, first.ID, iotsec.StatusExpired)
	wantKind(t, "a new record beside an expired one", r.s.CreateCertification(r.ctx, r.A, &dup), iotsec.ErrConflict)
	renewed, ev := r.move(t, r.judge, first.ID, iotsec.StatusCertified)
	if !renewed.GrantedAt.Equal(ev.At) {
		t.Errorf("a renewal did not set the grant time: %v, event at %v", renewed.GrantedAt, ev.At)
	}
	r.move(t, r.A, first.ID, iotsec.StatusWithdrawn)
	again := r.apply(t, "2")

	// Applications that end ungranted are not logged and not public.
	size := r.logSize(t)
	_, ev = r.move(t, r.maker, other.ID, iotsec.StatusWithdrawn)
	if ev.LogIndex != -1 {
		t.Errorf("a withdrawn application was logged at %d", ev.LogIndex)
	}
	_, ev = r.move(t, r.L, again.ID, iotsec.StatusRevoked) // refused, by the delegate
	if ev.LogIndex != -1 {
		t.Errorf("a refused application was logged at %d", ev.LogIndex)
	}
	if n := r.logSize(t); n != size {
		t.Errorf("ungranted applications changed the log size from %d to %d", size, n)
	}
	for _, c := range []iotsec.Certification{other, again} {
		_, err := r.s.PublicCertification(r.ctx, c.LabelID)
		wantKind(t, "PublicCertification of an ungranted record", err, iotsec.ErrNotFound)
		_, _, err = r.s.LabelState(r.ctx, c.LabelID)
		wantKind(t, "LabelState of an ungranted record", err, iotsec.ErrNotFound)
	}
	_, err := r.s.PublicCertification(r.ctx, "no-such-label")
	wantKind(t, "PublicCertification of no label", err, iotsec.ErrNotFound)

	// A firmware version or product with records is kept.
	wantKind(t, "DeleteFirmware with records", r.s.DeleteFirmware(r.ctx, r.A, r.fw.ID), iotsec.ErrConflict)
	wantKind(t, "DeleteProduct with records", r.s.DeleteProduct(r.ctx, r.A, r.fw.ProductID), iotsec.ErrConflict)
}

// testRegistryScope: the maker, the authority and its delegate see a
// record; anyone else finds nothing, not even by ID.
func testRegistryScope(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "1")
	c, _ = r.move(t, r.judge, c.ID, iotsec.StatusCertified)
	d := r.apply(t, "2")
	ids := func(cs []iotsec.Certification) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		a    iotsec.Actor
		f    iotsec.CertificationFilter
		want []string
	}{
		{"maker", r.maker, iotsec.CertificationFilter{}, []string{d.ID, c.ID}},
		{"maker, one page", r.maker, iotsec.CertificationFilter{Limit: 1}, []string{d.ID}},
		{"maker, next page", r.maker, iotsec.CertificationFilter{Before: d.ID}, []string{c.ID}},
		{"maker, certified", r.maker, iotsec.CertificationFilter{Status: iotsec.StatusCertified}, []string{c.ID}},
		{"maker, by firmware", r.maker, iotsec.CertificationFilter{FirmwareID: r.fw.ID, Scheme: "cls", ProductID: r.fw.ProductID}, []string{d.ID, c.ID}},
		{"maker, another scheme", r.maker, iotsec.CertificationFilter{Scheme: "bsi"}, nil},
		{"maker as authority", r.A, iotsec.CertificationFilter{AsAuthority: true}, nil},
		{"authority", r.judge, iotsec.CertificationFilter{AsAuthority: true}, []string{d.ID, c.ID}},
		{"authority, applied", r.judge, iotsec.CertificationFilter{AsAuthority: true, Status: iotsec.StatusApplied}, []string{d.ID}},
		{"authority as maker", r.B, iotsec.CertificationFilter{}, nil},
		{"delegate", r.L, iotsec.CertificationFilter{AsAuthority: true}, []string{d.ID, c.ID}},
		{"bystander", r.C, iotsec.CertificationFilter{}, nil},
		{"bystander as authority", r.C, iotsec.CertificationFilter{AsAuthority: true}, nil},
	} {
		got, err := r.s.ListCertifications(r.ctx, tt.a, tt.f)
		wantKind(t, "ListCertifications as "+tt.name, err, nil)
		if !cmp.Equal(ids(got), tt.want) {
			t.Errorf("ListCertifications as %s = %v, want %v", tt.name, ids(got), tt.want)
		}
	}
	for _, a := range []iotsec.Actor{r.A, r.maker, r.B, r.judge, r.L} {
		got, err := r.s.GetCertification(r.ctx, a, c.ID)
		wantKind(t, "GetCertification as "+a.Label, err, nil)
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("GetCertification as %s (-want +got):\n%s", a.Label, diff)
		}
	}
	_, err := r.s.GetCertification(r.ctx, r.C, c.ID)
	wantKind(t, "GetCertification as a bystander", err, iotsec.ErrNotFound)
	_, err = r.s.CertificationHistory(r.ctx, r.C, c.ID)
	wantKind(t, "CertificationHistory as a bystander", err, iotsec.ErrNotFound)
	_, _, err = r.s.MoveCertification(r.ctx, r.C, iotsec.CertificationMove{ID: c.ID, To: iotsec.StatusWithdrawn})
	wantKind(t, "withdraw as a bystander", err, iotsec.ErrNotFound)
	_, err = r.s.GetCertification(r.ctx, iotsec.Actor{OrgID: r.a.ID, Role: "nobody"}, c.ID)
	wantKind(t, "GetCertification as nobody", err, iotsec.ErrForbidden)

	got, err := r.s.CertificationsForFirmware(r.ctx, r.maker, r.fw.ID)
	wantKind(t, "CertificationsForFirmware", err, nil)
	if !cmp.Equal(ids(got), []string{d.ID, c.ID}) {
		t.Errorf("CertificationsForFirmware = %v", ids(got))
	}
	for _, a := range []iotsec.Actor{r.B, r.C} {
		_, err = r.s.CertificationsForFirmware(r.ctx, a, r.fw.ID)
		wantKind(t, "CertificationsForFirmware of another's firmware", err, iotsec.ErrNotFound)
	}

	// Operators: each organisation sees what it operates and whom it
	// delegated to.
	ops, err := r.s.ListSchemeOperators(r.ctx, r.judge)
	wantKind(t, "ListSchemeOperators", err, nil)
	if len(ops) != 2 || ops[0].OrgID != r.b.ID || ops[0].Role != iotsec.OperatorOwner || ops[1].OrgID != r.l.ID || ops[1].DelegatedBy != r.b.ID {
		t.Errorf("B's operators = %+v", ops)
	}
	if ops, _ := r.s.ListSchemeOperators(r.ctx, r.L); len(ops) != 1 || ops[0].Role != iotsec.OperatorDelegate {
		t.Errorf("L's operators = %+v", ops)
	}
	if ops, _ := r.s.ListSchemeOperators(r.ctx, r.A); len(ops) != 0 {
		t.Errorf("A's operators = %+v", ops)
	}
	for _, tt := range []struct {
		org, scheme string
		want        bool
	}{{r.b.ID, "cls", true}, {r.l.ID, "cls", true}, {r.c.ID, "cls", false}, {r.c.ID, "bsi", true}, {r.a.ID, "cls", false}} {
		if got, err := r.s.IsOperator(r.ctx, tt.org, tt.scheme); err != nil || got != tt.want {
			t.Errorf("IsOperator(%s, %s) = %v, %v", tt.org, tt.scheme, got, err)
		}
	}
	for _, tt := range []struct {
		name string
		o    iotsec.SchemeOperator
		kind error
	}{
		{"a second owner", iotsec.SchemeOperator{OrgID: r.c.ID, Scheme: "cls", Role: iotsec.OperatorOwner}, iotsec.ErrConflict},
		{"twice", iotsec.SchemeOperator{OrgID: r.l.ID, Scheme: "cls", Role: iotsec.OperatorDelegate, DelegatedBy: r.b.ID}, iotsec.ErrConflict},
		{"a delegate of a non-owner", iotsec.SchemeOperator{OrgID: r.c.ID, Scheme: "cls", Role: iotsec.OperatorDelegate, DelegatedBy: r.l.ID}, iotsec.ErrInvalid},
		{"an unknown organisation", iotsec.SchemeOperator{OrgID: "org_none", Scheme: "x", Role: iotsec.OperatorOwner}, iotsec.ErrNotFound},
		{"a bad role", iotsec.SchemeOperator{OrgID: r.c.ID, Scheme: "x", Role: "boss"}, iotsec.ErrInvalid},
	} {
		o := tt.o
		wantKind(t, "AddSchemeOperator: "+tt.name, r.s.AddSchemeOperator(r.ctx, "system:test", &o), tt.kind)
	}
}

// testRegistryConcurrentLog: moves of two records from two goroutines
// leave one log without gaps or duplicates, and a tree whose hashes
// agree with the leaves.
func testRegistryConcurrentLog(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	p := r.product(t, r.A, "CAM-2")
	fw2 := r.firmware(t, r.A, p.ID, "2.0.0")
	c1 := r.apply(t, "2")
	c2 := iotsec.Certification{FirmwareID: fw2.ID, Scheme: "cls", Level: "2", AuthorityOrgID: r.b.ID}
	wantKind(t, "CreateCertification", r.s.CreateCertification(r.ctx, r.A, &c2), nil)
	const rounds = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, c := range []iotsec.Certification{c1, c2} {
		by := []iotsec.Actor{r.judge, r.L}[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := []iotsec.RecordStatus{iotsec.StatusCertified}
			for range rounds {
				seq = append(seq, iotsec.StatusSuspended, iotsec.StatusCertified)
			}
			for _, to := range seq {
				_, _, err := r.s.MoveCertification(r.ctx, by, iotsec.CertificationMove{ID: c.ID, To: to, Log: logAppend(),
					Update: func(c *iotsec.Certification, _ iotsec.CertificationEvent) error {
						c.ValidFrom, c.ValidUntil = iotsec.NewDate(2026, 3, 1), iotsec.NewDate(2029, 2, 28)
						return nil
					}})
				if err != nil {
					errs <- fmt.Errorf("move %s to %s: %w", c.ID, to, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := int64(2 * (1 + 2*rounds))
	if n := r.logSize(t); n != want {
		t.Fatalf("LogSize = %d, want %d", n, want)
	}
	var got []int64
	for _, c := range []iotsec.Certification{c1, c2} {
		h, err := r.s.CertificationHistory(r.ctx, r.A, c.ID)
		wantKind(t, "CertificationHistory", err, nil)
		last := int64(-1)
		for _, ev := range h[1:] {
			if ev.LogIndex <= last {
				t.Errorf("%s: log index %d after %d; one record's entries must grow", c.ID, ev.LogIndex, last)
			}
			last = ev.LogIndex
			got = append(got, ev.LogIndex)
		}
	}
	slices.Sort(got)
	for i, idx := range got {
		if idx != int64(i) {
			t.Fatalf("log indexes %v: want 0..%d, each once", got, want-1)
		}
	}
	recs, err := r.s.LogRecords(r.ctx, 0, want)
	wantKind(t, "LogRecords", err, nil)
	for i, rec := range recs {
		if !bytes.HasPrefix(rec.Data, fmt.Appendf(nil, "%d ", i)) {
			t.Errorf("log record %d holds %q, made for another index", i, rec.Data)
		}
	}
	checkTree(t, r.fixture, want)
}

// testRegistryAppendOnly: the history, the log and its checkpoints refuse
// UPDATE and DELETE in the database itself, for stores that expose it.
func testRegistryAppendOnly(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	r.move(t, r.judge, c.ID, iotsec.StatusCertified)
	wantKind(t, "SaveCheckpoint", r.s.SaveCheckpoint(r.ctx, iotsec.Checkpoint{Size: 1, Text: "cp\n"}), nil)
	db, ok := r.s.(interface{ DB() *sql.DB })
	if !ok {
		t.Skip("the store does not expose its database")
	}
	for _, q := range []string{
		"UPDATE translog_leaves SET data = data", "DELETE FROM translog_leaves",
		"UPDATE translog_hashes SET hash = hash", "DELETE FROM translog_hashes",
		"UPDATE translog_checkpoints SET text = 'forged'", "DELETE FROM translog_checkpoints",
		"UPDATE certification_events SET reason = 'rewritten'", "DELETE FROM certification_events",
	} {
		if _, err := db.DB().ExecContext(r.ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", q, err)
		}
	}
	if n := r.logSize(t); n != 1 {
		t.Errorf("LogSize = %d after refused edits, want 1", n)
	}
}

// testRegistryKeys: an authority's signing keys; the public half is
// public, the sealed private half only for the authority's certifiers.
func testRegistryKeys(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	key := func(kid string) iotsec.RegistryKey {
		return iotsec.RegistryKey{KID: kid, Alg: "ES256", PublicJWK: []byte(`{"kty":"EC","kid":"` + kid + `"}`), Sealed: []byte("sealed " + kid)}
	}
	k1, k2, kc := key("b-1"), key("b-2"), key("c-1")
	wantKind(t, "AddRegistryKey as a maker", r.s.AddRegistryKey(r.ctx, r.maker, &k1), iotsec.ErrForbidden)
	wantKind(t, "AddRegistryKey", r.s.AddRegistryKey(r.ctx, r.judge, &k1), nil)
	wantKind(t, "AddRegistryKey", r.s.AddRegistryKey(r.ctx, r.B, &k2), nil)
	wantKind(t, "AddRegistryKey for C", r.s.AddRegistryKey(r.ctx, r.C, &kc), nil)
	dup := key("b-1")
	err := r.s.AddRegistryKey(r.ctx, r.C, &dup)
	wantKind(t, "AddRegistryKey with a taken kid", err, iotsec.ErrConflict)
	wantField(t, "AddRegistryKey with a taken kid", err, "kid")
	bad := key("b-3")
	bad.Alg = "HS256"
	wantKind(t, "AddRegistryKey with HS256", r.s.AddRegistryKey(r.ctx, r.B, &bad), iotsec.ErrInvalid)
	if k1.OrgID != r.b.ID || k1.CreatedAt.IsZero() {
		t.Errorf("added key = %+v", k1)
	}

	active, err := r.s.ActiveRegistryKey(r.ctx, r.judge)
	wantKind(t, "ActiveRegistryKey", err, nil)
	if diff := cmp.Diff(k2, active); diff != "" {
		t.Errorf("ActiveRegistryKey, want the newest (-want +got):\n%s", diff)
	}
	_, err = r.s.ActiveRegistryKey(r.ctx, r.maker)
	wantKind(t, "ActiveRegistryKey as a maker", err, iotsec.ErrForbidden)
	_, err = r.s.ActiveRegistryKey(r.ctx, r.A)
	wantKind(t, "ActiveRegistryKey of an organisation without keys", err, iotsec.ErrNotFound)

	public := func(ks ...iotsec.RegistryKey) []iotsec.RegistryKey {
		for i := range ks {
			ks[i].Sealed = nil
		}
		return ks
	}
	wantKind(t, "RetireRegistryKey of another's key", r.s.RetireRegistryKey(r.ctx, r.C, k2.KID), iotsec.ErrNotFound)
	wantKind(t, "RetireRegistryKey as a maker", r.s.RetireRegistryKey(r.ctx, r.maker, k2.KID), iotsec.ErrForbidden)
	wantKind(t, "RetireRegistryKey", r.s.RetireRegistryKey(r.ctx, r.B, k2.KID), nil)
	wantKind(t, "RetireRegistryKey twice", r.s.RetireRegistryKey(r.ctx, r.B, k2.KID), iotsec.ErrConflict)
	active, err = r.s.ActiveRegistryKey(r.ctx, r.judge)
	if err != nil || active.KID != k1.KID || string(active.Sealed) != "sealed b-1" {
		t.Errorf("ActiveRegistryKey after retiring the newest = %+v, %v", active, err)
	}
	ks, err := r.s.ListRegistryKeys(r.ctx, r.b.ID)
	wantKind(t, "ListRegistryKeys", err, nil)
	if len(ks) != 2 || ks[1].RetiredAt.IsZero() {
		t.Fatalf("ListRegistryKeys(B) = %+v", ks)
	}
	k2.RetiredAt = ks[1].RetiredAt
	if diff := cmp.Diff(public(k1, k2), ks); diff != "" {
		t.Errorf("ListRegistryKeys(B): retired keys stay published, sealed keys never (-want +got):\n%s", diff)
	}
	all, err := r.s.ListRegistryKeys(r.ctx, "")
	wantKind(t, "ListRegistryKeys of everyone", err, nil)
	if diff := cmp.Diff(public(k1, k2, kc), all); diff != "" {
		t.Errorf("ListRegistryKeys of everyone (-want +got):\n%s", diff)
	}
	wantKind(t, "RetireRegistryKey", r.s.RetireRegistryKey(r.ctx, r.B, k1.KID), nil)
	_, err = r.s.ActiveRegistryKey(r.ctx, r.B)
	wantKind(t, "ActiveRegistryKey with every key retired", err, iotsec.ErrNotFound)
}

// The tree's hashing, as golang.org/x/mod/sumdb/tlog does it (RFC 6962),
// written out so the contract checks that the store keeps what a real
// tree needs, in the order it needs it, without importing the engine.

func leafHash(data []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, data...))
	return h[:]
}

func nodeHash(left, right []byte) []byte {
	h := sha256.Sum256(slices.Concat([]byte{1}, left, right))
	return h[:]
}

// storedHashIndex is tlog.StoredHashIndex.
func storedHashIndex(level int, n int64) int64 {
	for l := level; l > 0; l-- {
		n = 2*n + 1
	}
	i := int64(0)
	for ; n > 0; n >>= 1 {
		i += n
	}
	return i + int64(level)
}

// storedHashesFor is tlog.StoredHashes.
func storedHashesFor(n int64, data []byte, read func([]int64) ([][]byte, error)) ([][]byte, error) {
	h := leafHash(data)
	hashes := [][]byte{h}
	m := bits.TrailingZeros64(uint64(n + 1))
	indexes := make([]int64, m)
	for i := range m {
		indexes[m-1-i] = storedHashIndex(i, n>>uint(i)-1)
	}
	old, err := read(indexes)
	if err != nil {
		return nil, err
	}
	if len(old) != m {
		return nil, fmt.Errorf("read %d hashes, got %d", m, len(old))
	}
	for i := range m {
		h = nodeHash(old[m-1-i], h)
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// mth is the RFC 6962 tree hash of leaves, computed from scratch.
func mth(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		return leafHash(leaves[0])
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return nodeHash(mth(leaves[:k]), mth(leaves[k:]))
}

// checkTree checks that a log of n entries stores exactly the hashes of
// a tree of its leaves: every leaf's hash, and the root of the largest
// complete subtree at the start.
func checkTree(t *testing.T, f *fixture, n int64) {
	t.Helper()
	recs, err := f.s.LogRecords(f.ctx, 0, n)
	wantKind(t, "LogRecords", err, nil)
	leaves := make([][]byte, len(recs))
	for i, rec := range recs {
		leaves[i] = rec.Data
	}
	count := 2*n - int64(bits.OnesCount64(uint64(n)))
	all := make([]int64, count)
	for i := range all {
		all[i] = int64(i)
	}
	hs, err := f.s.ReadLogHashes(f.ctx, all)
	wantKind(t, "ReadLogHashes", err, nil)
	_, err = f.s.ReadLogHashes(f.ctx, []int64{count})
	wantKind(t, "ReadLogHashes beyond the tree", err, iotsec.ErrNotFound)
	for i, l := range leaves {
		if got := hs[storedHashIndex(0, int64(i))]; !bytes.Equal(got, leafHash(l)) {
			t.Errorf("stored hash of leaf %d differs from the leaf's hash", i)
		}
	}
	level := bits.Len64(uint64(n)) - 1
	if got, want := hs[storedHashIndex(level, 0)], mth(leaves[:1<<level]); !bytes.Equal(got, want) {
		t.Errorf("root of the first %d leaves: stored %x, computed %x", 1<<level, got, want)
	}
	// Reading in any order answers in that order.
	rev := []int64{count - 1, 0}
	if got, _ := f.s.ReadLogHashes(f.ctx, rev); len(got) != 2 || !bytes.Equal(got[0], hs[count-1]) || !bytes.Equal(got[1], hs[0]) {
		t.Error("ReadLogHashes does not answer in the order asked")
	}
}

// testRegistryLabelAndLogKey: the label written after a move, the view of
// a record not yet granted, and the log's one signing key per origin.
func testRegistryLabelAndLogKey(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	v, err := r.s.CertificationView(r.ctx, r.judge, c.ID)
	wantKind(t, "CertificationView as the authority", err, nil)
	if v.LabelID != c.LabelID || v.FirmwareVersion != "1.4.0" || v.Maker != r.a.Name || v.Authority == "" || v.Lab != "Lab L" {
		t.Errorf("CertificationView = %+v", v)
	}
	_, err = r.s.CertificationView(r.ctx, r.C, c.ID)
	wantKind(t, "CertificationView by a bystander", err, iotsec.ErrNotFound)
	_, err = r.s.PublicCertification(r.ctx, c.LabelID)
	wantKind(t, "PublicCertification before the grant", err, iotsec.ErrNotFound)

	wantKind(t, "SetCertificationLabel", r.s.SetCertificationLabel(r.ctx, r.judge, c.ID, "jws.1"), nil)
	wantKind(t, "SetCertificationLabel by the maker", r.s.SetCertificationLabel(r.ctx, r.maker, c.ID, "jws.2"), nil)
	wantKind(t, "SetCertificationLabel by a bystander", r.s.SetCertificationLabel(r.ctx, r.C, c.ID, "jws.3"), iotsec.ErrNotFound)
	got, err := r.s.GetCertification(r.ctx, r.maker, c.ID)
	wantKind(t, "GetCertification", err, nil)
	if got.Label != "jws.2" {
		t.Errorf("label = %q, want jws.2", got.Label)
	}

	owner, err := r.s.SchemeOwner(r.ctx, "cls")
	wantKind(t, "SchemeOwner", err, nil)
	if owner != r.b.ID {
		t.Errorf("SchemeOwner(cls) = %q, want %q", owner, r.b.ID)
	}
	_, err = r.s.SchemeOwner(r.ctx, "nobody's")
	wantKind(t, "SchemeOwner of an unoperated scheme", err, iotsec.ErrNotFound)

	_, err = r.s.LogKey(r.ctx, "example.com/registry")
	wantKind(t, "LogKey before one was added", err, iotsec.ErrNotFound)
	k1, err := r.s.AddLogKey(r.ctx, iotsec.LogKey{Origin: "example.com/registry", VerifierKey: "v1", Sealed: []byte("s1")})
	wantKind(t, "AddLogKey", err, nil)
	k2, err := r.s.AddLogKey(r.ctx, iotsec.LogKey{Origin: "example.com/registry", VerifierKey: "v2", Sealed: []byte("s2")})
	wantKind(t, "AddLogKey again", err, nil)
	if k1.VerifierKey != "v1" || k2.VerifierKey != "v1" || string(k2.Sealed) != "s1" {
		t.Errorf("AddLogKey kept %+v then %+v; want the first both times", k1, k2)
	}
	_, err = r.s.AddLogKey(r.ctx, iotsec.LogKey{Origin: "x"})
	wantKind(t, "AddLogKey without keys", err, iotsec.ErrInvalid)
}

// testRegistryRenewalAndDue: the maker's renewal application, cleared by
// the next grant (a renewal before the end is certified to certified), and
// the records whose period or support ended, across organisations.
func testRegistryRenewalAndDue(t *testing.T, open Opener) {
	r := setupRegistry(t, open)
	c := r.apply(t, "2")
	_, err := r.s.RequestRenewal(r.ctx, r.maker, c.ID)
	wantKind(t, "RequestRenewal(applied)", err, iotsec.ErrConflict)
	r.move(t, r.judge, c.ID, iotsec.StatusCertified) // 2026-03-01 .. 2029-02-28

	_, err = r.s.RequestRenewal(r.ctx, r.judge, c.ID)
	wantKind(t, "RequestRenewal(by the authority)", err, iotsec.ErrForbidden)
	_, err = r.s.RequestRenewal(r.ctx, r.C, c.ID)
	wantKind(t, "RequestRenewal(by a bystander)", err, iotsec.ErrNotFound)
	got, err := r.s.RequestRenewal(r.ctx, r.maker, c.ID)
	wantKind(t, "RequestRenewal", err, nil)
	if got.RenewalRequestedAt.IsZero() {
		t.Fatal("RequestRenewal: no time recorded")
	}
	if read, _ := r.s.GetCertification(r.ctx, r.judge, c.ID); !read.RenewalRequestedAt.Equal(got.RenewalRequestedAt) {
		t.Errorf("the authority reads renewal_requested_at %v, want %v", read.RenewalRequestedAt, got.RenewalRequestedAt)
	}

	due := func(day iotsec.Date) []string {
		t.Helper()
		ds, err := r.s.DueCertifications(r.ctx, day, 10)
		wantKind(t, "DueCertifications", err, nil)
		var ids []string
		for _, d := range ds {
			if d.SupportEnd != r.fw.SupportEnd {
				t.Errorf("DueCertifications: %s support end %v, want %v", d.ID, d.SupportEnd, r.fw.SupportEnd)
			}
			ids = append(ids, d.ID)
		}
		return ids
	}
	if ids := due(iotsec.NewDate(2029, 2, 28)); len(ids) != 0 {
		t.Errorf("DueCertifications on the last valid day = %v, want none", ids)
	}
	if ids := due(iotsec.NewDate(2029, 3, 1)); !slices.Equal(ids, []string{c.ID}) {
		t.Errorf("DueCertifications the day after = %v, want [%s]", ids, c.ID)
	}

	// A renewal: certified to certified, logged, and the application answered.
	n := r.logSize(t)
	_, _, err = r.s.MoveCertification(r.ctx, r.judge, iotsec.CertificationMove{ID: c.ID, To: iotsec.StatusCertified, Reason: "renewed", Log: logAppend(),
		Update: func(c *iotsec.Certification, _ iotsec.CertificationEvent) error {
			c.ValidFrom, c.ValidUntil = iotsec.NewDate(2029, 3, 1), iotsec.NewDate(2032, 2, 29)
			return nil
		}})
	wantKind(t, "MoveCertification(renewal)", err, nil)
	read, err := r.s.GetCertification(r.ctx, r.maker, c.ID)
	wantKind(t, "GetCertification", err, nil)
	if !read.RenewalRequestedAt.IsZero() || read.ValidUntil != iotsec.NewDate(2032, 2, 29) || r.logSize(t) != n+1 {
		t.Errorf("after the renewal: requested %v, until %v, log %d (was %d)", read.RenewalRequestedAt, read.ValidUntil, r.logSize(t), n)
	}
	// The period runs on; the support end (2030-12-31) comes first.
	if ids := due(iotsec.NewDate(2030, 12, 31)); len(ids) != 0 {
		t.Errorf("DueCertifications on the last supported day = %v, want none", ids)
	}
	if ids := due(iotsec.NewDate(2031, 1, 1)); !slices.Equal(ids, []string{c.ID}) {
		t.Errorf("DueCertifications after the support end = %v, want [%s]", ids, c.ID)
	}
	// Expired records are not due again.
	r.move(t, r.judge, c.ID, iotsec.StatusExpired)
	if ids := due(iotsec.NewDate(2040, 1, 1)); len(ids) != 0 {
		t.Errorf("DueCertifications after expiry = %v, want none", ids)
	}
	got, err = r.s.RequestRenewal(r.ctx, r.maker, c.ID)
	wantKind(t, "RequestRenewal(expired)", err, nil)
	if got.RenewalRequestedAt.IsZero() {
		t.Error("RequestRenewal(expired): no time recorded")
	}
}
