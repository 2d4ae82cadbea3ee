package crosswalk

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// AppliesQuery asks which schemes apply to a product.
type AppliesQuery struct {
	Class   string    `json:"class,omitempty"`
	Sector  string    `json:"sector,omitempty"`
	Markets []string  `json:"markets,omitempty"` // ISO 3166-1 alpha-2 or EU; UK is read as GB
	Date    time.Time `json:"date"`
}

// Applicability is one scheme that applies, in the markets listed.
type Applicability struct {
	Slug    string   `json:"slug"`
	Title   string   `json:"title"`
	Version string   `json:"version"`
	Type    string   `json:"type"`
	Markets []string `json:"markets"`
	// Status is mandatory or voluntary for this product in these markets.
	Status string `json:"status"`
	// Level is the level a legal obligation makes mandatory, if any.
	Level string `json:"level,omitempty"`
	From  Date   `json:"from,omitempty"`
	// InForce says whether the scheme applies on the query date; Upcoming
	// that it will, from From.
	InForce  bool `json:"in_force"`
	Upcoming bool `json:"upcoming"`
	// Available is false for labels that no longer take applications.
	Available     bool       `json:"available"`
	State         string     `json:"state,omitempty"`
	International bool       `json:"international,omitempty"`
	Instrument    string     `json:"instrument,omitempty"`
	Reason        string     `json:"reason"`
	Notes         []string   `json:"notes,omitempty"`
	Source        Ref        `json:"source"`
	Confidence    Confidence `json:"confidence,omitempty"`
}

// AppliesResult is Applies' answer.
type AppliesResult struct {
	Query     AppliesQuery    `json:"query"`
	Schemes   []Applicability `json:"schemes"`
	Mandatory int             `json:"mandatory"`
	Voluntary int             `json:"voluntary"`
	// Notes say how the query was read (a retired class name).
	Notes []string `json:"notes,omitempty"`
}

// NormaliseMarkets upper-cases market codes and resolves aliases (UK to GB).
func (c *Catalog) NormaliseMarkets(markets []string) []string {
	out := make([]string, 0, len(markets))
	for _, m := range markets {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			continue
		}
		if a, ok := c.data.Vocabulary.Aliases[m]; ok {
			m = a
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// NormaliseClass resolves a product class alias (the inventory's "speaker"
// to "smart-speaker"); other values come back as given.
func (c *Catalog) NormaliseClass(class string) string {
	class = strings.TrimSpace(class)
	if a, ok := c.data.Vocabulary.ClassAliases[class]; ok {
		return a
	}
	return class
}

// ClassNote is what the vocabulary says about a class name as typed (the
// retired "computer" class), or "".
func (c *Catalog) ClassNote(class string) string {
	return c.data.Vocabulary.ClassNotes[strings.TrimSpace(class)]
}

// NormaliseSector resolves a sector alias ("health" to "medical").
func (c *Catalog) NormaliseSector(sector string) string {
	sector = strings.TrimSpace(sector)
	if a, ok := c.data.Vocabulary.SectorAliases[sector]; ok {
		return a
	}
	return sector
}

// validQuery checks class, sector and markets against the vocabulary.
func (c *Catalog) validQuery(class, sector string, markets []string) error {
	if class != "" {
		if _, ok := c.classes[class]; !ok {
			return &NotFoundError{What: "product class", Name: class}
		}
	}
	if sector != "" && !c.sectors[sector] {
		return &NotFoundError{What: "sector", Name: sector}
	}
	for _, m := range markets {
		if !c.validJurisdiction(m) {
			return &QueryError{Field: "markets", Message: fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 code or EU", m)}
		}
	}
	return nil
}

// inMarket reports whether a scheme with jurisdictions js has force in market m.
func (c *Catalog) inMarket(js []string, m string) bool {
	for _, j := range js {
		if j == m || (j == "EU" && c.eu[m]) {
			return true
		}
	}
	return false
}

// coversClass reports whether s addresses the class and sector.
func (c *Catalog) coversClass(s *Scheme, class, sector string) bool {
	if sector != "" && !slices.Contains(s.Sectors, sector) {
		return false
	}
	if class == "" {
		return true
	}
	if slices.Contains(s.ExcludedClasses, class) {
		return false
	}
	if slices.Contains(s.ProductClasses, class) {
		return true
	}
	if !slices.Contains(s.ProductClasses, "*") {
		return false
	}
	cl := c.classes[class]
	for _, sec := range cl.Sectors {
		if slices.Contains(s.Sectors, sec) && (sector == "" || sec == sector) {
			return true
		}
	}
	return false
}

// Applies lists the schemes that apply to a product class in a sector and
// markets on a date, mandatory or voluntary and from when. International
// standards apply everywhere as voluntary.
func (c *Catalog) Applies(q AppliesQuery) (*AppliesResult, error) {
	q.Markets = c.NormaliseMarkets(q.Markets)
	note := c.ClassNote(q.Class)
	q.Class, q.Sector = c.NormaliseClass(q.Class), c.NormaliseSector(q.Sector)
	if err := c.validQuery(q.Class, q.Sector, q.Markets); err != nil {
		return nil, err
	}
	if q.Date.IsZero() {
		return nil, &QueryError{Field: "date", Message: "no date (pass the current date explicitly)"}
	}
	res := &AppliesResult{Query: q, Schemes: []Applicability{}}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	for _, slug := range c.order {
		s := c.schemes[slug]
		if !c.coversClass(s, q.Class, q.Sector) {
			continue
		}
		byKey := map[string]*Applicability{}
		var keys []string
		for _, m := range q.Markets {
			a, ok := c.applyIn(s, m, q)
			if !ok {
				continue
			}
			k := a.Status + "|" + a.Level + "|" + string(a.From) + "|" + a.Instrument
			if prev, ok := byKey[k]; ok {
				prev.Markets = append(prev.Markets, m)
				continue
			}
			a.Markets = []string{m}
			byKey[k] = &a
			keys = append(keys, k)
		}
		for _, k := range keys {
			res.Schemes = append(res.Schemes, *byKey[k])
		}
	}
	sort.SliceStable(res.Schemes, func(i, j int) bool {
		a, b := res.Schemes[i], res.Schemes[j]
		if (a.Status == StatusMandatory) != (b.Status == StatusMandatory) {
			return a.Status == StatusMandatory
		}
		if a.International != b.International {
			return !a.International
		}
		return a.Slug < b.Slug
	})
	for _, a := range res.Schemes {
		if a.Status == StatusMandatory {
			res.Mandatory++
		} else {
			res.Voluntary++
		}
	}
	return res, nil
}

// applyIn decides how s applies in market m.
func (c *Catalog) applyIn(s *Scheme, m string, q AppliesQuery) (Applicability, bool) {
	a := Applicability{Slug: s.Slug, Title: s.Title, Version: s.Version, Type: s.Type, State: s.State,
		International: s.International, Source: s.Source, Confidence: s.Confidence, Available: s.State != "closed"}
	local := c.inMarket(s.Jurisdictions, m)
	if !local && !s.International {
		return a, false
	}
	if s.State == "closed" {
		a.Notes = append(a.Notes, "no longer takes new applications")
	}
	if s.State == "stalled" {
		a.Notes = append(a.Notes, "programme stalled; see milestones")
	}
	// A legal obligation for the class decides first; planned ones are notes.
	if local || s.International {
		for _, o := range s.Obligations {
			if !c.inMarket(o.Jurisdictions, m) || (q.Class != "" && !slices.Contains(o.Classes, q.Class)) {
				continue
			}
			if o.Planned {
				a.Notes = append(a.Notes, fmt.Sprintf("planned: %s from %s", o.Instrument, o.From))
				continue
			}
			a.Status, a.Level, a.From, a.Instrument = StatusMandatory, o.Level, o.From, o.Instrument
			if o.Confidence != "" {
				a.Confidence = o.Confidence
			}
			a.Reason = "legal obligation for the product class"
			c.setWhen(&a, q.Date)
			return a, true
		}
	}
	switch {
	case local && s.Status == StatusMandatory:
		a.Status, a.Reason = StatusMandatory, "law or regulation of the market"
	case local && s.Status == StatusMandatoryForClass:
		a.Status, a.Reason = StatusMandatory, "mandatory for the product class in the market"
	case local:
		a.Status, a.Reason = StatusVoluntary, "voluntary scheme of the market"
	default:
		a.Status, a.Reason = StatusVoluntary, "international standard"
	}
	a.From = firstDate(s.Dates.AppliesFrom, s.Dates.InForce, s.Dates.Published)
	c.setWhen(&a, q.Date)
	return a, true
}

func (c *Catalog) setWhen(a *Applicability, date time.Time) {
	a.InForce = a.From.OnOrBefore(date)
	a.Upcoming = !a.InForce
}

func firstDate(ds ...Date) Date {
	for _, d := range ds {
		if d != "" {
			return d
		}
	}
	return ""
}
