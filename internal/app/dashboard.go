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
	"github.com/iotsec/iotsec/internal/vuln"
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
		KEVAdded:     kevAdded(store),
		Recognitions: recognitions(s.Catalog),
	})
	d.Now = now
	return d
}

// maxKEVLookups bounds the vulnerabilities whose KEV date one regulator
// dashboard looks up.
const maxKEVLookups = 500

// kevAdded reads each vulnerability's KEV date from the shared
// vulnerability data: the KEV catalogue's entry for the ID, else an
// advisory's copy of it (NVD's cisaExploitAdd).
func kevAdded(store iotsec.Store) func(context.Context, []string) (map[string]time.Time, error) {
	return func(ctx context.Context, ids []string) (map[string]time.Time, error) {
		out := map[string]time.Time{}
		for _, id := range ids[:min(len(ids), maxKEVLookups)] {
			d, err := store.Vulnerability(ctx, id)
			if iotsec.Kind(err) == iotsec.ErrNotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, k := range d.KEV {
				if k.CVE == id && !k.DateAdded.IsZero() {
					out[id] = k.DateAdded
				}
			}
			if _, ok := out[id]; ok {
				continue
			}
			for _, rec := range d.Advisories {
				adv, err := vuln.UnmarshalAdvisory(rec.Data)
				if err != nil {
					return nil, err
				}
				if !adv.KEVAdded.IsZero() {
					out[id] = adv.KEVAdded
					break
				}
			}
		}
		return out, nil
	}
}

// recognitions lists, from the organisation's catalog, the recognition
// agreements whose edges touch one of schemes.
func recognitions(c *catalog.Service) func(context.Context, iotsec.Actor, []string) ([]dashboard.Recognition, error) {
	return func(ctx context.Context, a iotsec.Actor, schemes []string) ([]dashboard.Recognition, error) {
		v, err := c.For(ctx, a)
		if err != nil {
			return nil, err
		}
		var out []dashboard.Recognition
		for _, ag := range v.Agreements() {
			for _, sc := range schemes {
				r := dashboard.Recognition{Agreement: ag.ID, Title: ag.Title, Status: ag.Status, Signed: string(ag.Signed),
					Effective: string(ag.Effective), Scheme: sc, Parties: ag.Parties, Counterparts: []string{}, Kinds: []string{},
					SourceTitle: ag.Source.Title, SourceURL: ag.Source.URL}
				for _, e := range ag.Edges {
					var other crosswalk.LabelRef
					switch sc {
					case e.From.Scheme:
						other = e.To
					case e.To.Scheme:
						other = e.From
					default:
						continue
					}
					name := other.Scheme
					if name == "" {
						name = other.External + " (outside the catalog)"
					}
					if !slices.Contains(r.Counterparts, name) {
						r.Counterparts = append(r.Counterparts, name)
					}
					if !slices.Contains(r.Kinds, e.Kind) {
						r.Kinds = append(r.Kinds, e.Kind)
					}
				}
				if len(r.Counterparts) > 0 {
					out = append(out, r)
				}
			}
		}
		return out, nil
	}
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
