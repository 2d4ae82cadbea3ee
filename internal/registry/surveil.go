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
	name := firmwareID
	if fw, err := s.Store.GetFirmware(ctx, a, firmwareID); err == nil {
		name = fw.Version
		if p, err := s.Store.GetProduct(ctx, a, fw.ProductID); err == nil {
			name = p.Name + " (" + p.Model + ") " + fw.Version
		}
	}
	for _, c := range cs {
		if c.Status != iotsec.StatusCertified {
			continue
		}
		owner := iotsec.System(c.AuthorityOrgID, "surveillance")
		got, err := s.Review(ctx, owner, c.ID, reasons)
		if err != nil {
			return fmt.Errorf("surveillance of %s: review %s: %w", firmwareID, c.ID, err)
		}
		title := fmt.Sprintf("The %s label (level %s) of %s is under review", got.Scheme, orDash(got.Level), name)
		body := "Market surveillance: " + strings.Join(reasons, "; ") + ". The label shows \"under review\" until the scheme owner clears, suspends or revokes it."
		note := iotsec.Notification{Kind: "label-under-review", Title: title, Body: body, Link: "/l/" + got.LabelID + ".json"}
		for _, org := range []string{c.AuthorityOrgID, c.OrgID} {
			if err := s.Store.AddNotifications(ctx, iotsec.System(org, "surveillance"), []iotsec.Notification{note}, nil); err != nil {
				return fmt.Errorf("surveillance of %s: notify %s: %w", firmwareID, org, err)
			}
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
