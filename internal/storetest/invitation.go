package storetest

import (
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func testInvitations(t *testing.T, open Opener) {
	f := setup(t, open)
	carol := f.user(t, "carol@a.example")
	invite := func(a iotsec.Actor, email string, role iotsec.Role, secret string) (iotsec.Invitation, error) {
		inv := iotsec.Invitation{Email: email, Role: role, Hash: iotsec.HashSecret(secret), ExpiresAt: f.clock.Now().Add(iotsec.InvitationTTL)}
		err := f.s.CreateInvitation(f.ctx, a, &inv)
		return inv, err
	}
	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}
	_, err := invite(viewer, "carol@a.example", iotsec.RoleViewer, "s0")
	wantKind(t, "viewer invites", err, iotsec.ErrForbidden)
	_, err = invite(f.A, "not an address", iotsec.RoleViewer, "s0")
	wantKind(t, "bad address", err, iotsec.ErrInvalid)
	_, err = invite(f.A, "bob@b.example", "king", "s0")
	wantKind(t, "bad role", err, iotsec.ErrInvalid)
	_, err = invite(f.A, "alice@a.example", iotsec.RoleViewer, "s0")
	wantKind(t, "a member", err, iotsec.ErrConflict)
	admin := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleAdmin, Label: "adm"}
	_, err = invite(admin, "carol@a.example", iotsec.RoleOwner, "s0")
	wantKind(t, "admin invites an owner", err, iotsec.ErrForbidden)

	// An address with an account and one without are invited alike.
	c, err := invite(f.A, " Carol@A.example ", iotsec.RoleViewer, "s1")
	wantKind(t, "invite carol", err, nil)
	if c.Email != "carol@a.example" || c.OrgName != "Org A" || c.ID == "" {
		t.Errorf("invitation = %+v", c)
	}
	c, err = invite(f.A, "carol@a.example", iotsec.RoleMaker, "s2")
	wantKind(t, "invite carol again", err, nil)
	n, err := invite(f.A, "nobody@x.example", iotsec.RoleViewer, "s3")
	wantKind(t, "invite a stranger", err, nil)

	list, err := f.s.ListInvitations(f.ctx, f.A)
	wantKind(t, "ListInvitations", err, nil)
	if len(list) != 2 || list[0].ID != c.ID || list[0].Role != iotsec.RoleMaker || list[1].ID != n.ID {
		t.Errorf("ListInvitations = %+v, want carol's (as maker, replacing the first) and the stranger's", list)
	}
	if l, _ := f.s.ListInvitations(f.ctx, f.B); len(l) != 0 {
		t.Errorf("B sees A's invitations: %+v", l)
	}
	wantKind(t, "B cancels A's", f.s.CancelInvitation(f.ctx, f.B, n.ID), iotsec.ErrNotFound)
	_, err = f.s.ListInvitations(f.ctx, viewer)
	wantKind(t, "viewer lists", err, iotsec.ErrForbidden)

	pend, err := f.s.PendingInvitations(f.ctx, "carol@a.example")
	wantKind(t, "PendingInvitations", err, nil)
	if len(pend) != 1 || pend[0].ID != c.ID {
		t.Errorf("PendingInvitations = %+v", pend)
	}
	// Someone else cannot accept carol's by ID; the first link is gone.
	_, err = f.s.AcceptInvitation(f.ctx, f.ub.ID, c.ID, nil)
	wantKind(t, "bob accepts carol's", err, iotsec.ErrNotFound)
	_, err = f.s.InvitationByHash(f.ctx, iotsec.HashSecret("s1"))
	wantKind(t, "replaced link", err, iotsec.ErrNotFound)
	m, err := f.s.AcceptInvitation(f.ctx, carol.ID, c.ID, nil)
	wantKind(t, "carol accepts", err, nil)
	if m.Role != iotsec.RoleMaker || m.OrgID != f.a.ID || m.UserID != carol.ID {
		t.Errorf("membership = %+v", m)
	}
	_, err = f.s.AcceptInvitation(f.ctx, carol.ID, c.ID, nil)
	wantKind(t, "accept twice", err, iotsec.ErrNotFound)
	ms, _ := f.s.Memberships(f.ctx, carol.ID)
	if len(ms) != 1 || ms[0].Role != iotsec.RoleMaker {
		t.Errorf("carol's memberships = %+v", ms)
	}

	// The stranger signs up later and uses the link.
	dave := f.user(t, "dave@d.example")
	got, err := f.s.InvitationByHash(f.ctx, iotsec.HashSecret("s3"))
	wantKind(t, "InvitationByHash", err, nil)
	if got.ID != n.ID {
		t.Errorf("InvitationByHash = %+v", got)
	}
	_, err = f.s.AcceptInvitation(f.ctx, dave.ID, "", iotsec.HashSecret("s3"))
	wantKind(t, "accept by link", err, nil)
	_, err = f.s.AcceptInvitation(f.ctx, dave.ID, "", iotsec.HashSecret("s3"))
	wantKind(t, "link used twice", err, iotsec.ErrNotFound)

	// Expired invitations are neither listed nor accepted; cancel and
	// decline remove them.
	e, err := invite(f.A, "erin@e.example", iotsec.RoleViewer, "s4")
	wantKind(t, "invite erin", err, nil)
	erin := f.user(t, "erin@e.example")
	x, err := invite(f.A, "xavier@x.example", iotsec.RoleViewer, "s5")
	wantKind(t, "invite xavier", err, nil)
	wantKind(t, "cancel", f.s.CancelInvitation(f.ctx, f.A, x.ID), nil)
	wantKind(t, "cancel twice", f.s.CancelInvitation(f.ctx, f.A, x.ID), iotsec.ErrNotFound)
	f.clock.Set(e.ExpiresAt.Add(time.Second))
	if l, _ := f.s.ListInvitations(f.ctx, f.A); len(l) != 0 {
		t.Errorf("after expiry ListInvitations = %+v", l)
	}
	_, err = f.s.AcceptInvitation(f.ctx, erin.ID, e.ID, nil)
	wantKind(t, "accept expired", err, iotsec.ErrNotFound)
	y, err := invite(f.A, "erin@e.example", iotsec.RoleViewer, "s6")
	wantKind(t, "invite erin again", err, nil)
	wantKind(t, "decline", f.s.DeclineInvitation(f.ctx, erin.ID, y.ID), nil)
	if p, _ := f.s.PendingInvitations(f.ctx, "erin@e.example"); len(p) != 0 {
		t.Errorf("after declining: %+v", p)
	}
}
