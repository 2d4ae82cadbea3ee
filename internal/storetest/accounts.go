package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func testOrgs(t *testing.T, open Opener) {
	f := setup(t, open)
	got, err := f.s.GetOrg(f.ctx, f.a.ID)
	wantKind(t, "GetOrg", err, nil)
	if diff := cmp.Diff(f.a, got); diff != "" {
		t.Errorf("GetOrg mismatch (-want +got):\n%s", diff)
	}
	list, err := f.s.ListOrgs(f.ctx)
	wantKind(t, "ListOrgs", err, nil)
	if diff := cmp.Diff([]iotsec.Organisation{f.a, f.b}, list); diff != "" {
		t.Errorf("ListOrgs mismatch (-want +got):\n%s", diff)
	}
	_, err = f.s.GetOrg(f.ctx, "org_missing")
	wantKind(t, "GetOrg(missing)", err, iotsec.ErrNotFound)

	for _, tt := range []struct {
		name  string
		org   iotsec.Organisation
		kind  error
		field string
	}{
		{"duplicate name, other case", iotsec.Organisation{Name: "org a", Country: "NL"}, iotsec.ErrConflict, ""},
		{"no name", iotsec.Organisation{Country: "NL"}, iotsec.ErrInvalid, "name"},
		{"bad kind", iotsec.Organisation{Name: "X", Kind: "cartel", Country: "NL"}, iotsec.ErrInvalid, "kind"},
		{"bad country", iotsec.Organisation{Name: "X", Country: "XX"}, iotsec.ErrInvalid, "country"},
		{"uk alias", iotsec.Organisation{Name: "UK Org", Country: "uk"}, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.org
			err := f.s.CreateOrg(f.ctx, "system:test", &o, "")
			wantKind(t, "CreateOrg", err, tt.kind)
			wantField(t, "CreateOrg", err, tt.field)
			if tt.kind == nil && (o.Country != "GB" || o.Kind != iotsec.OrgOther) {
				t.Errorf("CreateOrg normalised to country %q kind %q, want GB other", o.Country, o.Kind)
			}
		})
	}
}

func testUsers(t *testing.T, open Opener) {
	f := setup(t, open)
	got, err := f.s.GetUserByEmail(f.ctx, " ALICE@a.example ")
	wantKind(t, "GetUserByEmail", err, nil)
	if diff := cmp.Diff(f.ua, got); diff != "" {
		t.Errorf("GetUserByEmail mismatch (-want +got):\n%s", diff)
	}
	if got.Name != "alice" {
		t.Errorf("default name = %q, want alice", got.Name)
	}
	dup := iotsec.User{Email: "Alice@A.example"}
	wantKind(t, "CreateUser(duplicate)", f.s.CreateUser(f.ctx, "t", &dup), iotsec.ErrConflict)
	bad := iotsec.User{Email: "not an email"}
	err = f.s.CreateUser(f.ctx, "t", &bad)
	wantKind(t, "CreateUser(bad email)", err, iotsec.ErrInvalid)
	wantField(t, "CreateUser(bad email)", err, "email")
	_, err = f.s.GetUser(f.ctx, "usr_missing")
	wantKind(t, "GetUser(missing)", err, iotsec.ErrNotFound)

	// A new password ends the user's sessions.
	ses := iotsec.Session{Hash: []byte("h1"), UserID: f.ua.ID, CSRF: "c", ExpiresAt: Start.Add(time.Hour)}
	wantKind(t, "CreateSession", f.s.CreateSession(f.ctx, &ses), nil)
	wantKind(t, "SetPassword", f.s.SetPassword(f.ctx, "t", f.ua.ID, "$argon2id$x"), nil)
	_, err = f.s.SessionByHash(f.ctx, []byte("h1"), Start)
	wantKind(t, "SessionByHash after SetPassword", err, iotsec.ErrNotFound)
	got, _ = f.s.GetUser(f.ctx, f.ua.ID)
	if got.PasswordHash != "$argon2id$x" {
		t.Errorf("PasswordHash = %q after SetPassword", got.PasswordHash)
	}
	wantKind(t, "SetPassword(missing)", f.s.SetPassword(f.ctx, "t", "usr_missing", "x"), iotsec.ErrNotFound)
}

func testMembers(t *testing.T, open Opener) {
	f := setup(t, open)
	carol := f.user(t, "carol@a.example")
	dave := f.user(t, "dave@a.example")
	wantKind(t, "AddMember", f.s.AddMember(f.ctx, f.A, carol.ID, iotsec.RoleAdmin), nil)
	wantKind(t, "AddMember(again)", f.s.AddMember(f.ctx, f.A, carol.ID, iotsec.RoleViewer), iotsec.ErrConflict)
	wantKind(t, "AddMember(no user)", f.s.AddMember(f.ctx, f.A, "usr_missing", iotsec.RoleViewer), iotsec.ErrNotFound)
	wantKind(t, "AddMember(bad role)", f.s.AddMember(f.ctx, f.A, dave.ID, "king"), iotsec.ErrInvalid)

	admin := iotsec.Actor{OrgID: f.a.ID, UserID: carol.ID, Role: iotsec.RoleAdmin, Label: carol.Email}
	wantKind(t, "admin grants owner", f.s.AddMember(f.ctx, admin, dave.ID, iotsec.RoleOwner), iotsec.ErrForbidden)
	wantKind(t, "admin grants maker", f.s.AddMember(f.ctx, admin, dave.ID, iotsec.RoleMaker), nil)
	wantKind(t, "admin demotes owner", f.s.SetMemberRole(f.ctx, admin, f.ua.ID, iotsec.RoleViewer), iotsec.ErrForbidden)
	wantKind(t, "admin removes owner", f.s.RemoveMember(f.ctx, admin, f.ua.ID), iotsec.ErrForbidden)
	maker := iotsec.Actor{OrgID: f.a.ID, UserID: dave.ID, Role: iotsec.RoleMaker, Label: dave.Email}
	wantKind(t, "maker adds member", f.s.AddMember(f.ctx, maker, f.ub.ID, iotsec.RoleViewer), iotsec.ErrForbidden)

	// The last owner stays.
	wantKind(t, "demote last owner", f.s.SetMemberRole(f.ctx, f.A, f.ua.ID, iotsec.RoleAdmin), iotsec.ErrConflict)
	wantKind(t, "remove last owner", f.s.RemoveMember(f.ctx, f.A, f.ua.ID), iotsec.ErrConflict)

	members, err := f.s.ListMembers(f.ctx, f.A)
	wantKind(t, "ListMembers", err, nil)
	got := map[string]iotsec.Role{}
	for _, m := range members {
		got[m.Email] = m.Role
		if m.OrgName != "Org A" {
			t.Errorf("member %s OrgName = %q", m.Email, m.OrgName)
		}
	}
	want := map[string]iotsec.Role{"alice@a.example": "owner", "carol@a.example": "admin", "dave@a.example": "maker"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListMembers mismatch (-want +got):\n%s", diff)
	}
	// Organisation B cannot see or touch A's members.
	wantKind(t, "B sets A's member role", f.s.SetMemberRole(f.ctx, f.B, carol.ID, iotsec.RoleViewer), iotsec.ErrNotFound)
	wantKind(t, "B removes A's member", f.s.RemoveMember(f.ctx, f.B, carol.ID), iotsec.ErrNotFound)

	ms, err := f.s.Memberships(f.ctx, carol.ID)
	wantKind(t, "Memberships", err, nil)
	if len(ms) != 1 || ms[0].OrgID != f.a.ID || ms[0].Role != iotsec.RoleAdmin {
		t.Errorf("Memberships(carol) = %+v", ms)
	}

	// Removing a member revokes the tokens they made there.
	_, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	tok := iotsec.Token{Name: "ci", Role: iotsec.RoleViewer, Hash: hash}
	wantKind(t, "CreateToken", f.s.CreateToken(f.ctx, admin, &tok), nil)
	wantKind(t, "RemoveMember", f.s.RemoveMember(f.ctx, f.A, carol.ID), nil)
	_, err = f.s.TokenByHash(f.ctx, hash, Start)
	wantKind(t, "TokenByHash after RemoveMember", err, iotsec.ErrNotFound)
	wantKind(t, "RemoveMember(again)", f.s.RemoveMember(f.ctx, f.A, carol.ID), iotsec.ErrNotFound)
}

func testTokens(t *testing.T, open Opener) {
	f := setup(t, open)
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	if !bytes.Equal(iotsec.HashSecret(secret), hash) {
		t.Fatal("HashSecret(secret) differs from NewSecret's hash")
	}
	exp := Start.Add(24 * time.Hour)
	tok := iotsec.Token{Name: "ci", Role: iotsec.RoleMaker, Hash: hash, ExpiresAt: exp}
	wantKind(t, "CreateToken", f.s.CreateToken(f.ctx, f.A, &tok), nil)
	if tok.OrgID != f.a.ID || tok.UserID != f.ua.ID || tok.ID == "" {
		t.Errorf("CreateToken set org %q user %q id %q", tok.OrgID, tok.UserID, tok.ID)
	}
	got, err := f.s.TokenByHash(f.ctx, hash, Start)
	wantKind(t, "TokenByHash", err, nil)
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("TokenByHash mismatch (-want +got):\n%s", diff)
	}
	_, err = f.s.TokenByHash(f.ctx, hash, exp)
	wantKind(t, "TokenByHash(expired)", err, iotsec.ErrNotFound)
	_, err = f.s.TokenByHash(f.ctx, []byte("nope"), Start)
	wantKind(t, "TokenByHash(unknown)", err, iotsec.ErrNotFound)

	wantKind(t, "TouchToken", f.s.TouchToken(f.ctx, tok.ID, Start.Add(time.Minute)), nil)
	list, err := f.s.ListTokens(f.ctx, f.A)
	wantKind(t, "ListTokens", err, nil)
	if len(list) != 1 || !list[0].LastUsedAt.Equal(Start.Add(time.Minute)) {
		t.Errorf("ListTokens = %+v, want one token last used at %v", list, Start.Add(time.Minute))
	}
	if list, _ := f.s.ListTokens(f.ctx, f.B); len(list) != 0 {
		t.Errorf("ListTokens(B) = %+v, want none", list)
	}

	for _, tt := range []struct {
		name string
		a    iotsec.Actor
		tok  iotsec.Token
		want error
	}{
		{"no name", f.A, iotsec.Token{Role: iotsec.RoleViewer, Hash: []byte("1")}, iotsec.ErrInvalid},
		{"bad role", f.A, iotsec.Token{Name: "x", Role: "god", Hash: []byte("2")}, iotsec.ErrInvalid},
		{"viewer makes token", iotsec.Actor{OrgID: f.a.ID, Role: iotsec.RoleViewer}, iotsec.Token{Name: "x", Role: iotsec.RoleViewer, Hash: []byte("3")}, iotsec.ErrForbidden},
		{"admin makes owner token", iotsec.Actor{OrgID: f.a.ID, Role: iotsec.RoleAdmin}, iotsec.Token{Name: "x", Role: iotsec.RoleOwner, Hash: []byte("4")}, iotsec.ErrForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.tok
			wantKind(t, "CreateToken", f.s.CreateToken(f.ctx, tt.a, &tok), tt.want)
		})
	}

	wantKind(t, "B revokes A's token", f.s.RevokeToken(f.ctx, f.B, tok.ID), iotsec.ErrNotFound)
	wantKind(t, "RevokeToken", f.s.RevokeToken(f.ctx, f.A, tok.ID), nil)
	_, err = f.s.TokenByHash(f.ctx, hash, Start)
	wantKind(t, "TokenByHash(revoked)", err, iotsec.ErrNotFound)
}

func testSessions(t *testing.T, open Opener) {
	f := setup(t, open)
	_, hash := iotsec.NewSecret(nil, iotsec.SecretSession)
	ses := iotsec.Session{Hash: hash, UserID: f.ua.ID, OrgID: f.a.ID, CSRF: "csrf", ExpiresAt: Start.Add(time.Hour)}
	wantKind(t, "CreateSession", f.s.CreateSession(f.ctx, &ses), nil)
	got, err := f.s.SessionByHash(f.ctx, hash, Start)
	wantKind(t, "SessionByHash", err, nil)
	if diff := cmp.Diff(ses, got); diff != "" {
		t.Errorf("SessionByHash mismatch (-want +got):\n%s", diff)
	}
	_, err = f.s.SessionByHash(f.ctx, hash, Start.Add(time.Hour))
	wantKind(t, "SessionByHash(expired)", err, iotsec.ErrNotFound)

	wantKind(t, "SetSessionOrg(not a member)", f.s.SetSessionOrg(f.ctx, hash, f.b.ID), iotsec.ErrNotFound)
	wantKind(t, "AddMember", f.s.AddMember(f.ctx, f.B, f.ua.ID, iotsec.RoleViewer), nil)
	wantKind(t, "SetSessionOrg", f.s.SetSessionOrg(f.ctx, hash, f.b.ID), nil)
	got, _ = f.s.SessionByHash(f.ctx, hash, Start)
	if got.OrgID != f.b.ID {
		t.Errorf("session org = %q after SetSessionOrg, want %q", got.OrgID, f.b.ID)
	}
	// Removed from B, the session falls back to no organisation.
	wantKind(t, "RemoveMember", f.s.RemoveMember(f.ctx, f.B, f.ua.ID), nil)
	got, _ = f.s.SessionByHash(f.ctx, hash, Start)
	if got.OrgID != "" {
		t.Errorf("session org = %q after removal from it, want none", got.OrgID)
	}
	wantKind(t, "DeleteSession", f.s.DeleteSession(f.ctx, hash), nil)
	_, err = f.s.SessionByHash(f.ctx, hash, Start)
	wantKind(t, "SessionByHash(deleted)", err, iotsec.ErrNotFound)
}

func testLoginLinks(t *testing.T, open Opener) {
	f := setup(t, open)
	_, hash := iotsec.NewSecret(nil, iotsec.SecretLink)
	wantKind(t, "CreateLoginLink", f.s.CreateLoginLink(f.ctx, f.ua.ID, hash, Start.Add(time.Hour)), nil)
	_, err := f.s.UseLoginLink(f.ctx, hash, Start.Add(2*time.Hour))
	wantKind(t, "UseLoginLink(expired)", err, iotsec.ErrNotFound)

	// Many racing uses: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, err := f.s.UseLoginLink(f.ctx, hash, Start)
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				if user != f.ua.ID {
					t.Errorf("UseLoginLink user = %q, want %q", user, f.ua.ID)
				}
			} else if iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Errorf("UseLoginLink: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d uses of a one-time link succeeded, want 1", wins)
	}
}

func testLoginAttempts(t *testing.T, open Opener) {
	f := setup(t, open)
	key := "user:alice@a.example"
	for i := range 3 {
		wantKind(t, "RecordLogin", f.s.RecordLogin(f.ctx, key, false, Start.Add(time.Duration(i)*time.Minute)), nil)
	}
	count := func(since time.Time) int {
		n, err := f.s.LoginFailures(f.ctx, key, since)
		wantKind(t, "LoginFailures", err, nil)
		return n
	}
	if n := count(Start.Add(-time.Hour)); n != 3 {
		t.Errorf("LoginFailures = %d, want 3", n)
	}
	if n := count(Start.Add(90 * time.Second)); n != 1 {
		t.Errorf("LoginFailures in the last window = %d, want 1", n)
	}
	n, last, err := f.s.LoginFailureStreak(f.ctx, key, Start.Add(-time.Hour))
	wantKind(t, "LoginFailureStreak", err, nil)
	if n != 3 || !last.Equal(Start.Add(2*time.Minute)) {
		t.Errorf("LoginFailureStreak = %d, %v; want 3 at %v", n, last, Start.Add(2*time.Minute))
	}
	wantKind(t, "RecordLogin(ok)", f.s.RecordLogin(f.ctx, key, true, Start.Add(5*time.Minute)), nil)
	if n, last, _ := f.s.LoginFailureStreak(f.ctx, key, Start.Add(-time.Hour)); n != 0 || !last.IsZero() {
		t.Errorf("LoginFailureStreak after a success = %d, %v", n, last)
	}
	if n := count(Start.Add(-time.Hour)); n != 0 {
		t.Errorf("LoginFailures after a success = %d, want 0", n)
	}
	if n, _ := f.s.LoginFailures(f.ctx, "user:other", Start.Add(-time.Hour)); n != 0 {
		t.Errorf("LoginFailures(other key) = %d, want 0", n)
	}
}

func testSweep(t *testing.T, open Opener) {
	f := setup(t, open)
	for i, exp := range []time.Duration{-time.Minute, time.Hour} {
		ses := iotsec.Session{Hash: []byte{byte(i)}, UserID: f.ua.ID, CSRF: "c", ExpiresAt: Start.Add(exp)}
		wantKind(t, "CreateSession", f.s.CreateSession(f.ctx, &ses), nil)
		wantKind(t, "CreateLoginLink", f.s.CreateLoginLink(f.ctx, f.ua.ID, []byte{byte(i)}, Start.Add(exp)), nil)
	}
	wantKind(t, "RecordLogin(old)", f.s.RecordLogin(f.ctx, "k", false, Start.Add(-25*time.Hour)), nil)
	wantKind(t, "RecordLogin(new)", f.s.RecordLogin(f.ctx, "k2", false, Start), nil)
	n, err := f.s.Sweep(f.ctx, Start)
	wantKind(t, "Sweep", err, nil)
	if n != 3 {
		t.Errorf("Sweep removed %d rows, want 3 (a session, a link, an attempt)", n)
	}
	if _, err := f.s.SessionByHash(f.ctx, []byte{1}, Start); err != nil {
		t.Errorf("live session swept: %v", err)
	}
	if _, err := f.s.UseLoginLink(f.ctx, []byte{1}, Start); err != nil {
		t.Errorf("live link swept: %v", err)
	}
	if n, _ := f.s.Sweep(f.ctx, Start); n != 1 {
		t.Errorf("second Sweep removed %d, want 1 (the link just used)", n)
	}
	if c, _ := f.s.LoginFailures(f.ctx, "k2", Start.Add(-time.Hour)); c != 1 {
		t.Errorf("recent attempt swept")
	}
}

// ignoreTimes drops volatile fields from comparisons.
var ignoreTimes = cmpopts.IgnoreFields(iotsec.Product{}, "UpdatedAt")
