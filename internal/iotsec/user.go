package iotsec

import (
	"net/mail"
	"strings"
	"time"
)

// User is a person who signs in. A user belongs to organisations through
// memberships; the user record itself is not scoped to one.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"` // argon2id PHC string; empty: no password login
	CreatedAt    time.Time `json:"created_at"`
}

// Normalize validates and canonicalises the user's email and name.
func (u *User) Normalize() error {
	e, err := NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = e
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" {
		u.Name = strings.SplitN(e, "@", 2)[0]
	}
	return checkName("name", u.Name, 200)
}

// NormalizeEmail lower-cases and validates a bare email address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", Invalid("email", "%q is not a plain email address", s)
	}
	return s, nil
}

// Membership links a user to an organisation with a role.
type Membership struct {
	OrgID     string    `json:"org_id"`
	OrgName   string    `json:"org_name"`
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Token is an API token. Its secret is shown once at creation and stored only
// as a SHA-256 hash; it acts in one organisation with one role.
type Token struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	UserID     string    `json:"user_id,omitempty"` // who created it
	Name       string    `json:"name"`
	Role       Role      `json:"role"`
	Hash       []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Session is a signed-in browser. The cookie holds a random secret; the
// store keeps its hash, so a database leak does not leak sessions.
type Session struct {
	Hash      []byte
	UserID    string
	OrgID     string // organisation the user is working in; "" if none
	CSRF      string // per-session token every state-changing form carries
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CheckTokenName validates a token's name.
func CheckTokenName(name string) error { return checkName("name", name, 100) }
