package crosswalk

import (
	"fmt"
	"slices"
	"time"
)

// BaselineQuery names the schemes to satisfy at once: listed ones, plus
// those that apply to a product class and sector in markets on a date.
type BaselineQuery struct {
	Schemes []SchemeRef `json:"schemes,omitempty"`
	Markets []string    `json:"markets,omitempty"`
	Class   string      `json:"class,omitempty"`
	Sector  string      `json:"sector,omitempty"`
	Date    time.Time   `json:"date"`
	// Voluntary adds the voluntary schemes of the markets (at their lowest
	// level); by default only mandatory ones (in force or upcoming) count.
	Voluntary bool `json:"voluntary,omitempty"`
}

// Served is a provision of one scheme that a baseline line satisfies.
type Served struct {
	Scheme string `json:"scheme"`
	Level  string `json:"level,omitempty"`
	ID     string `json:"id"`
	Title  string `json:"title"`
	Kind   string `json:"kind"`
	// Coverage is full when meeting the line meets the provision, partial
	// when the line is one of several that together meet it.
	Coverage   string     `json:"coverage"`
	Confidence Confidence `json:"confidence,omitempty"`
}

// BaselineLine is one requirement of the harmonised set.
type BaselineLine struct {
	Scheme    string `json:"scheme"`
	ID        string `json:"id"`
	Title     string `json:"title"`
	Statement string `json:"statement,omitempty"`
	// Kind is mandatory when any provision it serves is mandatory.
	Kind string `json:"kind"`
	// Hub is true for lines taken from the hub scheme; false for
	// requirements the hub cannot express, kept in their own words.
	Hub     bool     `json:"hub"`
	Serves  []Served `json:"serves"`
	Schemes []string `json:"schemes"` // slugs served, for the table column
	// Related are hub provisions that only overlap an extra line.
	Related []string `json:"related,omitempty"`
}

// Baseline is the harmonised, de-duplicated set of requirements that meets
// every selected scheme.
type Baseline struct {
	Query   BaselineQuery  `json:"query"`
	Hub     string         `json:"hub"`
	Schemes []SchemeRef    `json:"schemes"`
	Lines   []BaselineLine `json:"lines"`
	// Sources counts the provisions of the selected schemes; Lines is
	// usually much shorter, which is the point.
	Sources int `json:"sources"`
}

// Baseline derives the harmonised requirement set for q: every provision
// of every selected scheme is projected onto the hub (EN 303 645), directly
// or through the second hubs; provisions the hub covers fully become hub
// lines shared by all the schemes they serve, the rest stay as their own
// lines, merged when a direct mapping says one contains another.
func (c *Catalog) Baseline(q BaselineQuery) (*Baseline, error) {
	q.Markets = c.NormaliseMarkets(q.Markets)
	q.Class, q.Sector = c.NormaliseClass(q.Class), c.NormaliseSector(q.Sector)
	refs, err := c.baselineSchemes(q)
	if err != nil {
		return nil, err
	}
	if len(c.hubs) == 0 {
		return nil, fmt.Errorf("baseline: the catalog has no hub scheme")
	}
	hub := c.hubs[0]
	hs := c.schemes[hub]
	out := &Baseline{Query: q, Hub: hub, Schemes: refs, Lines: []BaselineLine{}}
	hubAll := make(members, len(hs.Provisions))
	for i := range hs.Provisions {
		hubAll[hs.Provisions[i].ID] = member{&hs.Provisions[i], i}
	}
	hubLines := map[string]*BaselineLine{}
	var extras []*BaselineLine
	routes := withTarget(c.routes("", hub), hub)
	for _, ref := range refs {
		s, provs, err := c.provisions(ref)
		if err != nil {
			return nil, err
		}
		for _, p := range provs {
			out.Sources++
			srv := Served{Scheme: s.Slug, Level: ref.Level, ID: p.ID, Title: p.Title, Kind: p.Kind, Coverage: CoverFull}
			if s.Slug == hub {
				addServed(hubLines, hubAll[p.ID].Provision, hub, srv)
				continue
			}
			pc := c.compareProvision(s.Slug, p, hub, hubAll, routes)
			if pc.Coverage == CoverFull {
				fulls := 0
				for _, cv := range pc.Covers {
					if cv.Coverage == CoverFull {
						fulls++
					}
				}
				srv.Confidence = pc.Confidence
				for _, cv := range pc.Covers {
					if cv.Coverage != CoverFull {
						continue
					}
					sv := srv
					if fulls > 1 {
						sv.Coverage = CoverPartial
					}
					addServed(hubLines, hubAll[cv.ID].Provision, hub, sv)
				}
				continue
			}
			var related []string
			for _, cv := range pc.Covers {
				related = append(related, cv.ID)
			}
			if l := c.mergeExtra(extras, s.Slug, p.ID); l != nil {
				l.Serves = append(l.Serves, srv)
				l.Schemes = appendNew(l.Schemes, s.Slug)
				l.Related = appendNew(l.Related, related...)
				if p.Kind == KindMandatory {
					l.Kind = KindMandatory
				}
				continue
			}
			extras = append(extras, &BaselineLine{Scheme: s.Slug, ID: p.ID, Title: p.Title, Statement: p.Statement,
				Kind: p.Kind, Serves: []Served{srv}, Schemes: []string{s.Slug}, Related: related})
		}
	}
	for _, hp := range hs.Provisions {
		if l, ok := hubLines[hp.ID]; ok {
			out.Lines = append(out.Lines, *l)
		}
	}
	for _, l := range extras {
		out.Lines = append(out.Lines, *l)
	}
	return out, nil
}

func addServed(lines map[string]*BaselineLine, hp *Provision, hub string, srv Served) {
	l, ok := lines[hp.ID]
	if !ok {
		l = &BaselineLine{Scheme: hub, ID: hp.ID, Title: hp.Title, Statement: hp.Statement, Kind: KindRecommended, Hub: true}
		lines[hp.ID] = l
	}
	l.Serves = append(l.Serves, srv)
	l.Schemes = appendNew(l.Schemes, srv.Scheme)
	if srv.Kind == KindMandatory {
		l.Kind = KindMandatory
	}
}

// mergeExtra finds an extra line whose provision contains provision id of
// scheme slug according to a direct mapping.
func (c *Catalog) mergeExtra(extras []*BaselineLine, slug, id string) *BaselineLine {
	for _, l := range extras {
		for _, e := range c.adj[slug][id][l.Scheme] {
			if (e.rel == EqualTo || e.rel == EquivalentTo || e.rel == SubsetOf) && slices.Contains(e.targets, l.ID) && len(e.targets) == 1 {
				return l
			}
		}
	}
	return nil
}

// baselineSchemes resolves the query to scheme references.
func (c *Catalog) baselineSchemes(q BaselineQuery) ([]SchemeRef, error) {
	var refs []SchemeRef
	seen := map[string]bool{}
	for _, r := range q.Schemes {
		if _, _, err := c.provisions(r); err != nil {
			return nil, err
		}
		if !seen[r.Slug] {
			refs = append(refs, r)
			seen[r.Slug] = true
		}
	}
	if len(q.Markets) > 0 {
		date := q.Date
		if date.IsZero() {
			return nil, &QueryError{Field: "date", Message: "markets given without a date"}
		}
		ap, err := c.Applies(AppliesQuery{Class: q.Class, Sector: q.Sector, Markets: q.Markets, Date: date})
		if err != nil {
			return nil, err
		}
		for _, a := range ap.Schemes {
			if seen[a.Slug] || !a.Available {
				continue
			}
			if a.Status != StatusMandatory && !(q.Voluntary && !a.International) {
				continue
			}
			s := c.schemes[a.Slug]
			level := a.Level
			if level == "" && len(s.Levels) > 0 && a.Status != StatusMandatory {
				level = lowestLevel(s)
			}
			refs = append(refs, SchemeRef{Slug: a.Slug, Level: level})
			seen[a.Slug] = true
		}
	}
	if len(refs) == 0 {
		return nil, &QueryError{Field: "schemes", Message: "no scheme selected (give schemes, or markets where a scheme applies)"}
	}
	return refs, nil
}

func lowestLevel(s *Scheme) string {
	best := s.Levels[0]
	for _, l := range s.Levels[1:] {
		if l.Rank < best.Rank {
			best = l
		}
	}
	return best.ID
}
