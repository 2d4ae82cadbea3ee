package app

import (
	"context"
	"slices"
	"time"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
	"github.com/iotsec/iotsec/internal/supply"
)

// newDashboard builds the dashboard service over the other services'
// answers: it imports none of them, so each figure it shows is one of
// theirs.
func newDashboard(store iotsec.Store, s *Services, now func() time.Time) *dashboard.Service {
	d := dashboard.New(store, dashboard.Sources{
		Supply:    supplyFigures(store, s.Supply),
		Deadlines: catalogDeadlines(s.Catalog),
		Countries: policyCountries(s.Policy),
		LevelRank: func(scheme, level string) (int, bool) {
			sc, err := s.Catalog.Base().Catalog().Scheme(scheme)
			if err != nil {
				return 0, false
			}
			for _, l := range sc.Levels {
				if l.ID == level {
					return l.Rank, true
				}
			}
			return 0, false
		},
		Gaps: func(ctx context.Context, market string, date time.Time) ([]dashboard.Gap, error) {
			gs, err := catalogGaps(s.Catalog)(ctx, market, date)
			out := make([]dashboard.Gap, 0, len(gs))
			for _, g := range gs {
				out = append(out, dashboard.Gap{Sector: g.Sector, Class: g.Class, Title: g.Title, Level: string(g.Level)})
			}
			return out, err
		},
	})
	d.Now = now
	return d
}

// supplyFigures reads the open known exploited matches the supply chain
// stored (its overview's KEV list, without reading every other open match
// as the overview does: at a fleet's scale that is the difference between
// milliseconds and a second) and asks it for the CRA reports with a stage
// not yet sent.
func supplyFigures(store iotsec.Store, sup *supply.Service) func(context.Context, iotsec.Actor) (dashboard.SupplyFigures, error) {
	return func(ctx context.Context, a iotsec.Actor) (dashboard.SupplyFigures, error) {
		var out dashboard.SupplyFigures
		ms, err := store.ListMatches(ctx, a, iotsec.MatchFilter{KEV: true, Limit: supply.MaxMatches})
		if err != nil {
			return out, err
		}
		var names map[string]string
		if len(ms) > 0 {
			ps, err := store.ListProducts(ctx, a)
			if err != nil {
				return out, err
			}
			names = make(map[string]string, len(ps))
			for _, p := range ps {
				names[p.ID] = p.Name
			}
		}
		at := map[string]int{}
		for _, m := range ms {
			i, ok := at[m.FirmwareID]
			if !ok {
				i = len(out.KEV)
				at[m.FirmwareID] = i
				out.KEV = append(out.KEV, dashboard.KEVVersion{ProductID: m.ProductID, ProductName: names[m.ProductID], FirmwareID: m.FirmwareID, Version: m.Version})
			}
			if !slices.Contains(out.KEV[i].Vulns, m.VulnID) {
				out.KEV[i].Vulns = append(out.KEV[i].Vulns, m.VulnID)
			}
		}
		cras, err := sup.CRAReports(ctx, a)
		if err != nil {
			return out, err
		}
		for _, c := range cras {
			n := c.Next()
			if n == nil {
				continue
			}
			out.CRA = append(out.CRA, dashboard.CRAClock{ID: c.ID, ProductID: c.ProductID, Product: c.Product.Name,
				VulnID: c.VulnID, Stage: n.Report, Due: n.Due, Overdue: n.Overdue})
		}
		return out, nil
	}
}

// catalogDeadlines lists, from the organisation's catalog, every scheme's
// day-precise start of application and milestones, per jurisdiction.
func catalogDeadlines(c *catalog.Service) func(context.Context, iotsec.Actor) ([]dashboard.Deadline, error) {
	return func(ctx context.Context, a iotsec.Actor) ([]dashboard.Deadline, error) {
		v, err := c.For(ctx, a)
		if err != nil {
			return nil, err
		}
		cat := v.Catalog()
		var out []dashboard.Deadline
		for _, sum := range cat.Schemes() {
			sc, err := cat.Scheme(sum.Slug)
			if err != nil {
				return nil, err
			}
			events := []crosswalk.Milestone{{Date: sc.Dates.AppliesFrom, Event: "applies"}}
			events = append(events, sc.Dates.Milestones...)
			seen := map[string]bool{}
			for _, m := range events {
				day, err := iotsec.ParseDate(string(m.Date))
				if err != nil || day.IsZero() || seen[string(m.Date)+m.Event] {
					continue // a month or a year only: no deadline to count down to
				}
				seen[string(m.Date)+m.Event] = true
				for _, j := range sc.Jurisdictions {
					out = append(out, dashboard.Deadline{Market: j, Scheme: sc.Slug, Title: sc.Title, Event: m.Event, Date: day})
				}
			}
		}
		return out, nil
	}
}

func policyCountries(p *policy.Service) func(context.Context, time.Time) ([]dashboard.Country, error) {
	return func(ctx context.Context, date time.Time) ([]dashboard.Country, error) {
		rows, err := p.Countries(ctx, date)
		if err != nil {
			return nil, err
		}
		out := make([]dashboard.Country, 0, len(rows))
		for _, r := range rows {
			out = append(out, dashboard.Country{Code: r.Code, Name: r.Name, Entries: r.Entries, Status: r.Status})
		}
		return out, nil
	}
}
