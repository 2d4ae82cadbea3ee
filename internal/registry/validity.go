package registry

import (
	"context"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// ValidityRule is how long a grant of a scheme is valid when the
// authority does not say: Months from the first day, renewable from
// RenewalWindowDays before the last day. The rules are the catalog's data
// (crosswalk.Scheme.Validity), handed to the service as Service.Rules by
// internal/app. The period never runs past the maker's support end of the
// firmware version (Validity caps it): a label lapses when the maker stops
// supporting the version.
type ValidityRule struct {
	Scheme            string `json:"scheme"` // the catalog's slug
	Months            int    `json:"months"`
	RenewalWindowDays int    `json:"renewal_window_days"`
	// Source is where the figures come from.
	Source string `json:"source"`
}

// Rule returns the validity rule of a scheme, if the catalog has one.
func (s *Service) Rule(scheme string) (ValidityRule, bool) {
	if s.Rules == nil {
		return ValidityRule{}, false
	}
	r, ok := s.Rules(scheme)
	if ok {
		r.Scheme = scheme
	}
	return r, ok
}

// RenewalOpens is the first day the maker may apply to renew record c:
// its scheme's renewal window before the period's last day. ok is false
// when the record has no period or its scheme no rule.
func (s *Service) RenewalOpens(c iotsec.Certification) (iotsec.Date, bool) {
	rule, ok := s.Rule(c.Scheme)
	if !ok || c.ValidUntil.IsZero() {
		return iotsec.Date{}, false
	}
	return iotsec.DateOf(c.ValidUntil.Time().AddDate(0, 0, -rule.RenewalWindowDays)), true
}

// RenewalDue reports whether record c is due for renewal on day: certified
// (or under review, or suspended) inside its renewal window, or expired.
// A record the maker applied to renew is still due until it is granted.
func (s *Service) RenewalDue(c iotsec.Certification, day iotsec.Date) bool {
	switch c.Status {
	case iotsec.StatusExpired:
		return true
	case iotsec.StatusCertified, iotsec.StatusUnderReview, iotsec.StatusSuspended:
		opens, ok := s.RenewalOpens(c)
		return ok && !day.Before(opens)
	}
	return false
}

// ApplyRenewal is the maker's application to renew a record that is due
// for renewal (certified inside its window, or expired). The authority
// then grants it (Grant): the new period continues the old one.
func (s *Service) ApplyRenewal(ctx context.Context, a iotsec.Actor, id string) (iotsec.Certification, error) {
	c, err := s.Store.GetCertification(ctx, a, id)
	if err != nil {
		return c, err
	}
	today := iotsec.DateOf(s.Now())
	if c.Status == iotsec.StatusCertified && !s.RenewalDue(c, today) {
		if opens, ok := s.RenewalOpens(c); ok {
			return c, iotsec.Conflict("renewal opens on %s, %d days before the label's end", opens, c.ValidUntil.Time().Sub(opens.Time())/(24*time.Hour))
		}
		return c, iotsec.Conflict("the scheme %q has no renewal rule here; the authority renews after expiry", c.Scheme)
	}
	return s.Store.RequestRenewal(ctx, a, id)
}
