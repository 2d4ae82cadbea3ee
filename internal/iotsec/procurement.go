package iotsec

import (
	"context"
	"strings"
	"time"
)

// ProcurementPolicy is what an organisation asks of a product before it
// buys it: a label at a minimum level in a market, a support period, no
// known exploited vulnerability, an SBOM. It is data the organisation
// edits; the dashboard service checks products against it.
type ProcurementPolicy struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	Name  string `json:"name"`
	// Labels are the labels a product must hold (any one per market).
	Labels []LabelRequirement `json:"labels"`
	// MinSupportYears is the support period a product's newest firmware
	// version must still have from the day of the check (0: no demand).
	MinSupportYears int       `json:"min_support_years"`
	NoKEV           bool      `json:"no_kev_match"`
	SBOMRequired    bool      `json:"sbom_required"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// LabelRequirement asks for a certified record of a scheme at a level
// or higher (the scheme's own order of levels), for a market.
type LabelRequirement struct {
	Market   string `json:"market"`
	Scheme   string `json:"scheme"`
	MinLevel string `json:"min_level,omitempty"` // "": any level
}

// Limits of a procurement policy.
const (
	MaxProcurementLabels = 20
	MaxSupportYears      = 30
)

// Normalize trims and checks a policy.
func (p *ProcurementPolicy) Normalize() error {
	p.Name = strings.TrimSpace(p.Name)
	if err := checkName("name", p.Name, 200); err != nil {
		return err
	}
	if len(p.Labels) > MaxProcurementLabels {
		return Invalid("labels", "at most %d label requirements", MaxProcurementLabels)
	}
	for i := range p.Labels {
		l := &p.Labels[i]
		l.Market, l.Scheme, l.MinLevel = strings.ToUpper(strings.TrimSpace(l.Market)), strings.TrimSpace(l.Scheme), strings.TrimSpace(l.MinLevel)
		if l.Market == "" || len(l.Market) > 6 {
			return Invalid("labels", "requirement %d: market must be an ISO 3166 code or EU", i+1)
		}
		if l.Scheme == "" || len(l.Scheme) > 100 || len(l.MinLevel) > 50 {
			return Invalid("labels", "requirement %d: scheme must be 1 to 100 characters, level at most 50", i+1)
		}
	}
	if p.Labels == nil {
		p.Labels = []LabelRequirement{}
	}
	if p.MinSupportYears < 0 || p.MinSupportYears > MaxSupportYears {
		return Invalid("min_support_years", "must be 0 to %d", MaxSupportYears)
	}
	return nil
}

// ProcurementStore keeps each organisation's procurement policies.
type ProcurementStore interface {
	// CreateProcurementPolicy stores a policy (PermWriteProducts).
	CreateProcurementPolicy(ctx context.Context, a Actor, p *ProcurementPolicy) error
	// UpdateProcurementPolicy replaces a policy's fields (PermWriteProducts).
	UpdateProcurementPolicy(ctx context.Context, a Actor, p *ProcurementPolicy) error
	GetProcurementPolicy(ctx context.Context, a Actor, id string) (ProcurementPolicy, error)
	// ListProcurementPolicies lists the organisation's policies by name.
	ListProcurementPolicies(ctx context.Context, a Actor) ([]ProcurementPolicy, error)
	DeleteProcurementPolicy(ctx context.Context, a Actor, id string) error
}
