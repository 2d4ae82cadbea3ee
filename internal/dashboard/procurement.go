package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Reason is one demand of a procurement policy and whether the product
// meets it.
type Reason struct {
	Requirement string `json:"requirement"`
	Met         bool   `json:"met"`
	Detail      string `json:"detail"`
}

// Verdict is a product checked against a procurement policy.
type Verdict struct {
	Policy    iotsec.ProcurementPolicy `json:"policy"`
	ProductID string                   `json:"product_id"`
	Product   string                   `json:"product_name"`
	// FirmwareID is the product's newest firmware version, the one the
	// support and SBOM demands are checked on.
	FirmwareID string   `json:"firmware_id,omitempty"`
	Pass       bool     `json:"pass"`
	Reasons    []Reason `json:"reasons"`
}

// Check checks a product against one of the organisation's procurement
// policies. The product is named by its ID or by the label ID of one of
// its records.
func (s *Service) Check(ctx context.Context, a iotsec.Actor, policyID, productID, labelID string) (Verdict, error) {
	var v Verdict
	if (productID == "") == (labelID == "") {
		return v, iotsec.Invalid("product_id", "name a product or a label, not both")
	}
	pol, err := s.Store.GetProcurementPolicy(ctx, a, policyID)
	if err != nil {
		return v, err
	}
	if labelID != "" {
		rs, err := s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{LabelID: labelID})
		if err != nil {
			return v, err
		}
		if len(rs) == 0 {
			return v, iotsec.NotFound("label")
		}
		productID = rs[0].ProductID
	}
	p, err := s.Store.GetProduct(ctx, a, productID)
	if err != nil {
		return v, err
	}
	v = Verdict{Policy: pol, ProductID: p.ID, Product: p.Name, Pass: true, Reasons: []Reason{}}
	add := func(req string, met bool, format string, args ...any) {
		v.Reasons = append(v.Reasons, Reason{req, met, fmt.Sprintf(format, args...)})
		v.Pass = v.Pass && met
	}
	recs, err := s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{ProductID: p.ID})
	if err != nil {
		return v, err
	}
	for _, l := range pol.Labels {
		req := fmt.Sprintf("label %s in %s", l.Scheme, l.Market)
		if l.MinLevel != "" {
			req = fmt.Sprintf("label %s level %s or higher in %s", l.Scheme, l.MinLevel, l.Market)
		}
		var held []string
		met := false
		for _, r := range recs {
			if r.Scheme != l.Scheme || r.Status != iotsec.StatusCertified {
				continue
			}
			held = append(held, strings.TrimSpace(r.Scheme+" "+r.Level))
			if s.levelAtLeast(l.Scheme, r.Level, l.MinLevel) {
				met = true
			}
		}
		switch {
		case met:
			add(req, true, "holds %s", strings.Join(held, ", "))
		case len(held) > 0:
			add(req, false, "holds only %s", strings.Join(held, ", "))
		default:
			add(req, false, "no certified %s record", l.Scheme)
		}
		if !slices.Contains(p.Markets, l.Market) {
			v.Reasons[len(v.Reasons)-1].Detail += fmt.Sprintf("; the maker does not name %s as a market", l.Market)
		}
	}
	fws, err := s.Store.ListFirmware(ctx, a, p.ID)
	if err != nil {
		return v, err
	}
	var newest *iotsec.FirmwareVersion
	for i := range fws {
		f := &fws[i]
		if newest == nil || newest.ReleasedOn.Before(f.ReleasedOn) || (newest.ReleasedOn.Equal(f.ReleasedOn) && newest.CreatedAt.Before(f.CreatedAt)) {
			newest = f
		}
	}
	if newest != nil {
		v.FirmwareID = newest.ID
	}
	day := iotsec.DateOf(s.Now())
	if pol.MinSupportYears > 0 {
		req := fmt.Sprintf("support for %d years or more", pol.MinSupportYears)
		need := iotsec.DateOf(day.Time().AddDate(pol.MinSupportYears, 0, 0))
		switch {
		case newest == nil:
			add(req, false, "no firmware version recorded")
		case newest.SupportEnd.IsZero():
			add(req, false, "firmware %s states no support end", newest.Version)
		case newest.SupportEnd.Before(need):
			add(req, false, "firmware %s is supported until %s, before %s", newest.Version, newest.SupportEnd, need)
		default:
			add(req, true, "firmware %s is supported until %s", newest.Version, newest.SupportEnd)
		}
	}
	if pol.NoKEV {
		sup, err := s.Sources.Supply(ctx, a)
		if err != nil {
			return v, err
		}
		var hits []string
		for _, k := range sup.KEV {
			if k.ProductID == p.ID {
				hits = append(hits, k.Version+": "+strings.Join(k.Vulns, ", "))
			}
		}
		if len(hits) > 0 {
			add("no known exploited vulnerability", false, "%s", strings.Join(hits, "; "))
		} else {
			add("no known exploited vulnerability", true, "no firmware version matches a KEV entry")
		}
	}
	if pol.SBOMRequired {
		switch {
		case newest == nil:
			add("SBOM present", false, "no firmware version recorded")
		default:
			_, err := s.Store.GetSBOM(ctx, a, newest.ID)
			switch iotsec.Kind(err) {
			case nil:
				add("SBOM present", true, "firmware %s has an SBOM", newest.Version)
			case iotsec.ErrNotFound:
				add("SBOM present", false, "firmware %s has no SBOM", newest.Version)
			default:
				return v, err
			}
		}
	}
	return v, nil
}

// levelAtLeast says whether level held is min or higher in the scheme's
// order of levels; an empty min is any level. Levels the catalog does not
// rank compare as equal strings only.
func (s *Service) levelAtLeast(scheme, held, min string) bool {
	if min == "" || held == min {
		return true
	}
	if s.Sources.LevelRank == nil {
		return false
	}
	h, ok1 := s.Sources.LevelRank(scheme, held)
	m, ok2 := s.Sources.LevelRank(scheme, min)
	return ok1 && ok2 && h >= m
}
