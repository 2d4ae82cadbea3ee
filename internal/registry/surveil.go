package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Surveil is market surveillance after a firmware version was matched
// against the vulnerability data: every certified record of the version
// that now carries a known exploited vulnerability (in CISA's KEV, not
// set aside by a VEX statement) goes under review at once, with the
// vulnerabilities as its reasons, and the scheme owner and the maker are
// told. The move is logged and the label re-issued like any other, so the
// public document and `label verify` show it.
//
// It reads the matches as they stand, not what changed: a record already
// under review, suspended or ended is left alone, so running it again (a
// retried job, the next import) changes nothing. The supply-chain
// service calls it after each match (supply.Service.AfterMatch), with the
// maker's actor; the review is the scheme owner's move, made as the
// system on its behalf.
func (s *Service) Surveil(ctx context.Context, a iotsec.Actor, firmwareID string, matches []iotsec.VulnMatch) error {
	var reasons []string
	seen := map[string]bool{}
	for _, m := range matches {
		if !m.KEV || m.Suppressed || seen[m.VulnID] {
			continue
		}
		seen[m.VulnID] = true
		what := strings.TrimSpace(m.Component + " " + m.ComponentVersion)
		reasons = append(reasons, fmt.Sprintf("%s in %s is known to be exploited (CISA KEV)", m.VulnID, what))
	}
	if len(reasons) == 0 {
		return nil
	}
	slices.Sort(reasons)
	cs, err := s.Store.CertificationsForFirmware(ctx, a, firmwareID)
	if err != nil {
		return fmt.Errorf("surveillance of %s: %w", firmwareID, err)
	}
	name := s.firmwareName(ctx, a, firmwareID)
	for _, c := range cs {
		if c.Status != iotsec.StatusCertified {
			continue
		}
		if err := s.review(ctx, c, name, reasons, "Market surveillance: "); err != nil {
			return fmt.Errorf("surveillance of %s: %w", firmwareID, err)
		}
	}
	return nil
}

// SurveilEvaluation is market surveillance after a firmware version's
// evaluation changed (a scan finished, an assessor recorded evidence):
// every certified record of the version whose scheme and level now has a
// mandatory provision failing or at risk (Failing, the evaluation
// service's verdicts, injected by internal/app) goes under review at once
// with those provisions as its reasons, and the scheme owner and the maker
// are told. Like Surveil it reads the verdicts as they stand, so running it
// again changes nothing. The evaluation service calls it
// (evaluation.Service.AfterEvaluate) with the acting organisation's actor.
func (s *Service) SurveilEvaluation(ctx context.Context, a iotsec.Actor, firmwareID string) error {
	if s.Failing == nil {
		return nil
	}
	cs, err := s.Store.CertificationsForFirmware(ctx, a, firmwareID)
	if err != nil {
		return fmt.Errorf("surveillance of %s: %w", firmwareID, err)
	}
	name := ""
	for _, c := range cs {
		if c.Status != iotsec.StatusCertified {
			continue
		}
		reasons, err := s.Failing(ctx, a, firmwareID, c.Scheme, c.Level)
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrNotFound {
			// A scheme the evaluation does not project onto (an
			// organisation's own import): nothing to watch here.
			s.Log.Debug("registry: no verdicts for surveillance", "certification", c.ID, "scheme", c.Scheme, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("surveillance of %s: verdicts for %s: %w", firmwareID, c.Scheme, err)
		}
		if len(reasons) == 0 {
			continue
		}
		if len(reasons) > 100 {
			reasons = append(reasons[:99], fmt.Sprintf("and %d more provisions", len(reasons)-99))
		}
		if name == "" {
			name = s.firmwareName(ctx, a, firmwareID)
		}
		if err := s.review(ctx, c, name, reasons, "Market surveillance after an evaluation: "); err != nil {
			return fmt.Errorf("surveillance of %s: %w", firmwareID, err)
		}
	}
	return nil
}

// review puts certified record c under review for reasons, as the system
// on the scheme owner's behalf, and tells both sides.
func (s *Service) review(ctx context.Context, c iotsec.Certification, name string, reasons []string, lead string) error {
	owner := iotsec.System(c.AuthorityOrgID, "surveillance")
	got, err := s.Review(ctx, owner, c.ID, reasons)
	if err != nil {
		return fmt.Errorf("review %s: %w", c.ID, err)
	}
	title := fmt.Sprintf("The %s label (level %s) of %s is under review", got.Scheme, orDash(got.Level), name)
	body := lead + strings.Join(reasons, "; ") + ". The label shows \"under review\" until the scheme owner clears, suspends or revokes it."
	note := iotsec.Notification{Kind: "label-under-review", Title: title, Body: body, Link: "/l/" + got.LabelID + ".json"}
	return s.notify(ctx, got, note, "surveillance")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
