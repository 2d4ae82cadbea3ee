package iotsec

import (
	"strings"
	"time"
	"unicode/utf8"
)

// OrgKind says which side of the triple helix an organisation stands on.
type OrgKind string

const (
	OrgGovernment   OrgKind = "government"
	OrgManufacturer OrgKind = "manufacturer"
	OrgLab          OrgKind = "lab"
	OrgOperator     OrgKind = "operator"
	OrgResearch     OrgKind = "research"
	OrgOther        OrgKind = "other"
)

// OrgKinds lists every organisation kind.
func OrgKinds() []OrgKind {
	return []OrgKind{OrgGovernment, OrgManufacturer, OrgLab, OrgOperator, OrgResearch, OrgOther}
}

func (k OrgKind) Valid() bool { return oneOf(k, OrgKinds()) }

// Organisation is a tenant. Everything a user sees belongs to one.
type Organisation struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      OrgKind   `json:"kind"`
	Country   string    `json:"country"` // ISO 3166-1 alpha-2
	CreatedAt time.Time `json:"created_at"`
}

// Normalize trims and canonicalises fields and validates the organisation.
func (o *Organisation) Normalize() error {
	o.Name = strings.TrimSpace(o.Name)
	if err := checkName("name", o.Name, 200); err != nil {
		return err
	}
	if o.Kind == "" {
		o.Kind = OrgOther
	}
	if !o.Kind.Valid() {
		return Invalid("kind", "must be one of %s", joinAny(OrgKinds()))
	}
	c, ok := NormalizeCountry(o.Country)
	if !ok {
		return Invalid("country", "%q is not an ISO 3166-1 alpha-2 country code", o.Country)
	}
	o.Country = c
	return nil
}

// checkName validates a required one-line human name.
func checkName(field, s string, max int) error {
	switch {
	case s == "":
		return Invalid(field, "is required")
	case !utf8.ValidString(s):
		return Invalid(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return Invalid(field, "is longer than %d characters", max)
	case strings.ContainsAny(s, "\x00\r\n\t"):
		return Invalid(field, "must be a single line without control characters")
	}
	return nil
}

// checkOptional validates an optional one-line value.
func checkOptional(field, s string, max int) error {
	if s == "" {
		return nil
	}
	return checkName(field, s, max)
}

func oneOf[T comparable](v T, set []T) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func joinAny[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
