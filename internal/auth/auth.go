// Package auth signs people and programs in: argon2id passwords, sessions
// for browsers, bearer tokens for programs, one-time sign-in links, and a
// rate limit on failed sign-ins. All state is in the store, so any replica
// can authenticate any request.
//
// It imports the domain and crypto libraries; it must not import the store
// implementations, server, api, ui, cli or app packages.
package auth

import (
	"bufio"
	"cmp"
	"context"
	"crypto/subtle"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// params follow OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane):
// about 30 ms per hash on one core, affordable per sign-in, costly per guess.
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Password length bounds, after NIST SP 800-63B: long passphrases welcome,
// short ones refused, no composition rules.
const (
	MinPassword = 10
	MaxPassword = 256
)

// HashPassword returns the argon2id PHC string for password.
func HashPassword(password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPassword || n > MaxPassword {
		return "", iotsec.Invalid("password", "must be %d to %d characters", MinPassword, MaxPassword)
	}
	if commonPasswords()[strings.ToLower(password)] {
		return "", iotsec.Invalid("password", "is on the list of commonly used passwords")
	}
	return argon2id.CreateHash(password, params)
}

//go:embed common.txt
var commonText string

// commonPasswords is read once from common.txt.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonText))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
})

// DummyHash is checked against when the account does not exist, so a
// failed sign-in takes as long either way and does not reveal accounts.
const DummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2bm6R3yBgQ5mH3mcj3z0mXvCUnxVSh9Q7Lw0vtn7k2M"

// Limits slow down password guessing without letting anyone lock an
// account's owner out. Failures are counted in the store, so they hold
// across replicas, per (account, client address) and per address:
//
//   - From one address, an account gets Free failed attempts, then must
//     wait before each next one: 1 s, 2 s, 4 s ... up to MaxDelay. The
//     right password waits too (else the wait would tell guesses apart),
//     but only there: the same account from any other address is not
//     slowed, so nobody can lock the owner out by knowing their e-mail.
//   - One address guessing across accounts is refused after PerAddress
//     failures within Window; a new address never is.
//   - After NotifyAfter failures on one account within Window, from any
//     addresses, the account's owner is told (Mail), and again after each
//     NotifyAfter more.
type Limits struct {
	Window      time.Duration
	Free        int
	MaxDelay    time.Duration
	PerAddress  int
	NotifyAfter int
}

// DefaultLimits: 5 free attempts per account and address, then backing off
// to at most 15 minutes; 50 failures per address in 15 minutes; the owner
// hears of 10 failures.
var DefaultLimits = Limits{Window: 15 * time.Minute, Free: 5, MaxDelay: 15 * time.Minute, PerAddress: 50, NotifyAfter: 10}

// Delay is how long to wait after n failures in a row.
func (l Limits) Delay(n int) time.Duration {
	if n < l.Free {
		return 0
	}
	d := time.Second << min(n-l.Free, 30)
	return min(d, l.MaxDelay)
}

// Service authenticates.
type Service struct {
	Store      iotsec.Store
	Now        func() time.Time
	Rand       io.Reader // nil: crypto/rand
	SessionTTL time.Duration
	Limits     Limits
	// BaseURL is the server's configured URL, for the links it makes.
	BaseURL string
	// Mail sends e-mail about an account or an invitation: repeated
	// failed sign-ins to the account's owner, an invitation's link to the
	// invitee. nil sends nothing. It runs after the answer, on its own,
	// so the answer neither waits for the relay nor tells by its timing
	// whether anything was sent.
	Mail func(ctx context.Context, to, subject, body string) error
	// MailTimeout bounds one message; 0 means 30 s.
	MailTimeout time.Duration
	// mailing waits for the messages under way (tests and the command
	// line wait on it).
	mailing sync.WaitGroup
}

// New returns a service with default settings.
func New(store iotsec.Store) *Service {
	return &Service{Store: store, Now: time.Now, SessionTTL: 12 * time.Hour, Limits: DefaultLimits}
}

// ErrBadLogin is what every failed sign-in says, whatever the reason.
var ErrBadLogin = &iotsec.Error{Kind: iotsec.ErrUnauthorized, Message: "wrong email or password"}

// Login checks email and password and starts a session. addr is the
// client's address, for the rate limit and the audit log. It returns the
// session and the secret for the cookie.
func (s *Service) Login(ctx context.Context, email, password, addr string) (iotsec.Session, string, error) {
	u, err := s.Verify(ctx, email, password, addr)
	if err != nil {
		return iotsec.Session{}, "", err
	}
	return s.StartSession(ctx, u, "password", addr)
}

// Verify checks a password under the sign-in limits and records the
// attempt; it starts no session.
func (s *Service) Verify(ctx context.Context, email, password, addr string) (iotsec.User, error) {
	now := s.Now()
	email = strings.ToLower(strings.TrimSpace(email))
	since := now.Add(-s.Limits.Window)
	pair, account, address := "pair:"+email+"|"+addr, "account:"+email, "address:"+addr
	n, last, err := s.Store.LoginFailureStreak(ctx, pair, since)
	if err != nil {
		return iotsec.User{}, fmt.Errorf("login: %w", err)
	}
	if wait := s.Limits.Delay(n) - now.Sub(last); n > 0 && wait > 0 {
		return iotsec.User{}, iotsec.Errorf(iotsec.ErrRateLimited, "%d failed sign-ins to this account from your address; try again in %s",
			n, wait.Round(time.Second)+time.Second)
	}
	if n, err := s.Store.LoginFailures(ctx, address, since); err != nil {
		return iotsec.User{}, fmt.Errorf("login: %w", err)
	} else if n >= s.Limits.PerAddress {
		return iotsec.User{}, iotsec.Errorf(iotsec.ErrRateLimited, "too many failed sign-ins from your address; try again in %d minutes", int(s.Limits.Window.Minutes()))
	}
	u, err := s.Store.GetUserByEmail(ctx, email)
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = DummyHash
	}
	ok, cerr := argon2id.ComparePasswordAndHash(password, hash)
	ok = ok && cerr == nil && err == nil && u.PasswordHash != ""
	for _, k := range []string{pair, account, address} {
		if err := s.Store.RecordLogin(ctx, k, ok, now); err != nil {
			return iotsec.User{}, fmt.Errorf("login: %w", err)
		}
	}
	if !ok {
		s.Store.Audit(ctx, &iotsec.AuditEvent{Actor: "address:" + addr, Action: "session.login-failed", Target: email})
		if u.ID != "" {
			// Failures only, so the owner's own sign-ins in between
			// do not hide a guesser from them.
			if err := s.Store.RecordLogin(ctx, "failed:"+email, false, now); err != nil {
				return iotsec.User{}, fmt.Errorf("login: %w", err)
			}
			s.warnFailures(ctx, u, "failed:"+email, since)
		}
		return iotsec.User{}, ErrBadLogin
	}
	return u, nil
}

// warnFailures tells the account's owner after every NotifyAfter failed
// sign-ins in the window.
func (s *Service) warnFailures(ctx context.Context, u iotsec.User, account string, since time.Time) {
	n, err := s.Store.LoginFailures(ctx, account, since)
	if err != nil || s.Limits.NotifyAfter <= 0 || n == 0 || n%s.Limits.NotifyAfter != 0 || s.Mail == nil {
		return
	}
	body := fmt.Sprintf("There were %d failed attempts to sign in to your iotsec account %s in the last %d minutes.\n\n"+
		"If that was not you, someone may be guessing your password. They are slowed down per address, and you can still sign in "+
		"as usual. Consider changing your password: %s/account\n", n, u.Email, int(s.Limits.Window.Minutes()), strings.TrimRight(s.BaseURL, "/"))
	s.Store.Audit(ctx, &iotsec.AuditEvent{Actor: "system:auth", Action: "session.login-warned", Target: u.Email, Details: fmt.Sprintf(`{"failures":%d}`, n)})
	s.send(ctx, u.Email, "iotsec: failed sign-ins to your account", body, nil)
}

// send mails on its own, after the answer, within MailTimeout; done, if
// not nil, hears how it went.
func (s *Service) send(ctx context.Context, to, subject, body string, done func(ctx context.Context, err error)) {
	s.mailing.Add(1)
	go func() {
		defer s.mailing.Done()
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(s.MailTimeout, 30*time.Second))
		defer cancel()
		err := s.Mail(mctx, to, subject, body)
		if done != nil {
			// Told even when the relay used up all the time.
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			done(dctx, err)
		}
	}()
}

// WaitMail waits until the messages sent so far are out (or failed).
func (s *Service) WaitMail() { s.mailing.Wait() }

// LoginLink makes a one-time sign-in link secret for a user, valid for ttl.
func (s *Service) LoginLink(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	secret, hash := iotsec.NewSecret(s.Rand, iotsec.SecretLink)
	if err := s.Store.CreateLoginLink(ctx, userID, hash, s.Now().Add(ttl)); err != nil {
		return "", err
	}
	return secret, nil
}

// LinkURL is where a sign-in link's secret is used, under the server's
// configured base URL.
func (s *Service) LinkURL(secret string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/login/link/" + secret
}

// UseLink spends a one-time link and starts a session.
func (s *Service) UseLink(ctx context.Context, secret, addr string) (iotsec.Session, string, error) {
	userID, err := s.Store.UseLoginLink(ctx, iotsec.HashSecret(secret), s.Now())
	if err != nil {
		if errors.Is(err, iotsec.ErrNotFound) {
			return iotsec.Session{}, "", &iotsec.Error{Kind: iotsec.ErrUnauthorized, Message: "this sign-in link is used up or has expired"}
		}
		return iotsec.Session{}, "", err
	}
	u, err := s.Store.GetUser(ctx, userID)
	if err != nil {
		return iotsec.Session{}, "", err
	}
	return s.StartSession(ctx, u, "link", addr)
}

// StartSession signs u in: it stores a new session in the user's first
// organisation and returns it with the secret for the cookie.
func (s *Service) StartSession(ctx context.Context, u iotsec.User, method, addr string) (iotsec.Session, string, error) {
	secret, hash := iotsec.NewSecret(s.Rand, iotsec.SecretSession)
	csrf, _ := iotsec.NewSecret(s.Rand, "")
	ses := iotsec.Session{Hash: hash, UserID: u.ID, CSRF: csrf, ExpiresAt: s.Now().Add(s.SessionTTL)}
	ms, err := s.Store.Memberships(ctx, u.ID)
	if err != nil {
		return ses, "", err
	}
	if len(ms) > 0 {
		ses.OrgID = ms[0].OrgID
	}
	if err := s.Store.CreateSession(ctx, &ses); err != nil {
		return ses, "", err
	}
	s.Store.Audit(ctx, &iotsec.AuditEvent{OrgID: ses.OrgID, Actor: "user:" + u.ID + " (" + u.Email + ")", Action: "session.login",
		Details: fmt.Sprintf(`{"method":%q,"address":%q}`, method, addr)})
	return ses, secret, nil
}

// Session looks up a live session by its cookie secret and returns it with
// its user and, when an organisation is selected, the actor it acts as.
func (s *Service) Session(ctx context.Context, secret string) (iotsec.Session, iotsec.User, iotsec.Actor, error) {
	var a iotsec.Actor
	if !strings.HasPrefix(secret, iotsec.SecretSession) {
		return iotsec.Session{}, iotsec.User{}, a, ErrNoCredentials
	}
	ses, err := s.Store.SessionByHash(ctx, iotsec.HashSecret(secret), s.Now())
	if err != nil {
		if errors.Is(err, iotsec.ErrNotFound) {
			err = ErrNoCredentials
		}
		return ses, iotsec.User{}, a, err
	}
	u, err := s.Store.GetUser(ctx, ses.UserID)
	if err != nil {
		return ses, u, a, err
	}
	if ses.OrgID != "" {
		role, err := s.role(ctx, u.ID, ses.OrgID)
		if err != nil {
			return ses, u, a, err
		}
		a = iotsec.Actor{OrgID: ses.OrgID, UserID: u.ID, Role: role, Label: u.Email}
	}
	return ses, u, a, nil
}

func (s *Service) role(ctx context.Context, user, org string) (iotsec.Role, error) {
	ms, err := s.Store.Memberships(ctx, user)
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if m.OrgID == org {
			return m.Role, nil
		}
	}
	return "", ErrNoCredentials
}

// ErrNoCredentials means the request carries no valid credentials.
var ErrNoCredentials = &iotsec.Error{Kind: iotsec.ErrUnauthorized, Message: "sign in, or send a valid API token as Authorization: Bearer"}

// Token authenticates an API token and returns the actor it acts as. A
// token never acts with more than its creator's current role.
func (s *Service) Token(ctx context.Context, secret string) (iotsec.Actor, error) {
	if !strings.HasPrefix(secret, iotsec.SecretToken) {
		return iotsec.Actor{}, ErrNoCredentials
	}
	now := s.Now()
	t, err := s.Store.TokenByHash(ctx, iotsec.HashSecret(secret), now)
	if err != nil {
		if errors.Is(err, iotsec.ErrNotFound) {
			err = ErrNoCredentials
		}
		return iotsec.Actor{}, err
	}
	role := t.Role
	if t.UserID != "" {
		creator, err := s.role(ctx, t.UserID, t.OrgID)
		if err != nil {
			return iotsec.Actor{}, err
		}
		if !creator.Covers(role) {
			role = creator
		}
	}
	// Writing last-used on every request would turn reads into writes;
	// once a minute is precise enough to spot stale tokens.
	if now.Sub(t.LastUsedAt) > time.Minute {
		s.Store.TouchToken(ctx, t.ID, now)
	}
	return iotsec.Actor{OrgID: t.OrgID, TokenID: t.ID, UserID: t.UserID, Role: role, Label: t.Name}, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, secret string) error {
	return s.Store.DeleteSession(ctx, iotsec.HashSecret(secret))
}

// CheckCSRF compares a submitted form token with the session's.
func CheckCSRF(ses iotsec.Session, submitted string) bool {
	return ses.CSRF != "" && subtle.ConstantTimeCompare([]byte(ses.CSRF), []byte(submitted)) == 1
}
