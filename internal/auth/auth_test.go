package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
)

type env struct {
	svc   *auth.Service
	store iotsec.Store
	clock *storetest.Clock
	user  iotsec.User
	org   iotsec.Organisation
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Start)
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	u := iotsec.User{Email: "ann@example.org", PasswordHash: hash}
	if err := s.CreateUser(ctx, "test", &u); err != nil {
		t.Fatal(err)
	}
	o := iotsec.Organisation{Name: "Maker", Country: "SG"}
	if err := s.CreateOrg(ctx, "test", &o, u.ID); err != nil {
		t.Fatal(err)
	}
	svc := auth.New(s)
	svc.Now = clock.Now
	svc.Limits = auth.Limits{Window: time.Minute, Free: 3, MaxDelay: 8 * time.Second, PerAddress: 20, NotifyAfter: 4}
	return &env{svc: svc, store: s, clock: clock, user: u, org: o}
}

func TestHashPassword(t *testing.T) {
	for _, tt := range []struct {
		pw   string
		want error
	}{
		{"short", iotsec.ErrInvalid},
		{"Password123", iotsec.ErrInvalid}, // common, any case
		{"a long enough passphrase", nil},
	} {
		_, err := auth.HashPassword(tt.pw)
		if iotsec.Kind(err) != tt.want {
			t.Errorf("HashPassword(%q) = %v, want kind %v", tt.pw, err, tt.want)
		}
	}
}

func TestLogin(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	ses, secret, err := e.svc.Login(ctx, " Ann@Example.org ", "correct horse battery", "192.0.2.1")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if ses.OrgID != e.org.ID || ses.CSRF == "" {
		t.Errorf("session = %+v, want org %s and a CSRF token", ses, e.org.ID)
	}
	got, u, a, err := e.svc.Session(ctx, secret)
	if err != nil || got.UserID != e.user.ID || u.Email != e.user.Email {
		t.Fatalf("Session = %+v %+v %v", got, u, err)
	}
	if a.OrgID != e.org.ID || a.Role != iotsec.RoleOwner || a.UserID != e.user.ID {
		t.Errorf("Session actor = %+v", a)
	}
	if err := e.svc.Logout(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.svc.Session(ctx, secret); iotsec.Kind(err) != iotsec.ErrUnauthorized {
		t.Errorf("Session after Logout = %v, want unauthorized", err)
	}

	// Wrong password and unknown account fail alike.
	for _, c := range [][2]string{{"ann@example.org", "wrong password!"}, {"nobody@example.org", "correct horse battery"}} {
		if _, _, err := e.svc.Login(ctx, c[0], c[1], "192.0.2.1"); err != auth.ErrBadLogin {
			t.Errorf("Login(%s) = %v, want ErrBadLogin", c[0], err)
		}
	}
}

// TestLoginBackoff: guesses from one address are slowed down with a
// growing wait, which the right password from that address waits out
// too; the owner from another address is never refused; the owner hears
// of repeated failures; an address guessing across accounts is refused.
func TestLoginBackoff(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var mu sync.Mutex
	var warned []string
	e.svc.Mail = func(_ context.Context, to, subject, body string) error {
		mu.Lock()
		defer mu.Unlock()
		warned = append(warned, to+": "+subject+": "+body)
		return nil
	}
	e.svc.BaseURL = "https://iotsec.example.org"
	attacker, owner := "203.0.113.9", "192.0.2.8"
	guess := func() error {
		_, _, err := e.svc.Login(ctx, "ann@example.org", "guess guess guess", attacker)
		return err
	}
	for range 3 { // Free
		if err := guess(); err != auth.ErrBadLogin {
			t.Fatalf("Login = %v, want ErrBadLogin", err)
		}
	}
	// The fourth try from there must wait 1 s, the fifth 2 s, ...
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		err := guess()
		if iotsec.Kind(err) != iotsec.ErrRateLimited {
			t.Fatalf("guess right after a failure = %v, want rate limited", err)
		}
		// The right password from the attacker's address waits too.
		if _, _, err := e.svc.Login(ctx, "ann@example.org", "correct horse battery", attacker); iotsec.Kind(err) != iotsec.ErrRateLimited {
			t.Fatalf("right password from the guessing address = %v, want rate limited", err)
		}
		// The owner from their own address is not slowed at all.
		if _, _, err := e.svc.Login(ctx, "ann@example.org", "correct horse battery", owner); err != nil {
			t.Fatalf("owner from another address during the backoff = %v", err)
		}
		e.clock.Set(e.clock.Now().Add(wait - 200*time.Millisecond))
		if iotsec.Kind(guess()) != iotsec.ErrRateLimited {
			t.Fatalf("guess before %v passed was let through", wait)
		}
		e.clock.Set(e.clock.Now().Add(400 * time.Millisecond))
		if err := guess(); err != auth.ErrBadLogin {
			t.Fatalf("guess after waiting %v = %v, want ErrBadLogin", wait, err)
		}
	}
	e.svc.WaitMail()
	mu.Lock()
	if len(warned) == 0 || !strings.HasPrefix(warned[0], "ann@example.org: iotsec: failed sign-ins to your account") ||
		!strings.Contains(warned[0], "https://iotsec.example.org/account") {
		t.Errorf("warnings = %q", warned)
	}
	mu.Unlock()
	// A brand-new address is never refused, even after all that.
	if _, _, err := e.svc.Login(ctx, "ann@example.org", "correct horse battery", "198.51.100.200"); err != nil {
		t.Errorf("owner from a new address = %v", err)
	}
	// Guessing across many accounts from one address hits the address limit.
	for i := range 20 {
		e.svc.Login(ctx, "user"+string(rune('a'+i))+"@example.org", "whatever whatever", "198.51.100.1")
	}
	_, _, err := e.svc.Login(ctx, "ann@example.org", "correct horse battery", "198.51.100.1")
	if iotsec.Kind(err) != iotsec.ErrRateLimited {
		t.Errorf("Login from a guessing address = %v, want rate limited", err)
	}
}

func TestLoginLink(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	secret, err := e.svc.LoginLink(ctx, e.user.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.UseLink(ctx, secret, "192.0.2.1"); err != nil {
		t.Fatalf("UseLink: %v", err)
	}
	if _, _, err := e.svc.UseLink(ctx, secret, "192.0.2.1"); iotsec.Kind(err) != iotsec.ErrUnauthorized {
		t.Errorf("second UseLink = %v, want unauthorized", err)
	}
}

func TestToken(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	owner := iotsec.Actor{OrgID: e.org.ID, UserID: e.user.ID, Role: iotsec.RoleOwner}
	// A second member makes an admin token, then is demoted to viewer:
	// the token acts as a viewer from then on.
	bob := iotsec.User{Email: "bob@example.org"}
	if err := e.store.CreateUser(ctx, "t", &bob); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddMember(ctx, owner, bob.ID, iotsec.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	tok := iotsec.Token{Name: "ci", Role: iotsec.RoleAdmin, Hash: hash}
	if err := e.store.CreateToken(ctx, iotsec.Actor{OrgID: e.org.ID, UserID: bob.ID, Role: iotsec.RoleAdmin}, &tok); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.Token(ctx, secret)
	if err != nil || a.Role != iotsec.RoleAdmin || a.TokenID != tok.ID || a.OrgID != e.org.ID {
		t.Fatalf("Token = %+v, %v", a, err)
	}
	if err := e.store.SetMemberRole(ctx, owner, bob.ID, iotsec.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if a, _ := e.svc.Token(ctx, secret); a.Role != iotsec.RoleViewer {
		t.Errorf("token of a demoted member acts as %s, want viewer", a.Role)
	}
	for _, bad := range []string{"", "Bearer x", "iotsec_tok_nope", "iotsec_ses_" + secret[11:]} {
		if _, err := e.svc.Token(ctx, bad); iotsec.Kind(err) != iotsec.ErrUnauthorized {
			t.Errorf("Token(%q) = %v, want unauthorized", bad, err)
		}
	}
}

func TestDummyHashIsValid(t *testing.T) {
	// Login compares against a fixed hash for unknown accounts; it must
	// parse, or unknown accounts would answer faster than known ones.
	if _, err := argon2id.ComparePasswordAndHash("x", auth.DummyHash); err != nil {
		t.Fatalf("dummy hash does not parse: %v", err)
	}
}
