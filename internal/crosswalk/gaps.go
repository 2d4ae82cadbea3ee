package crosswalk

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// How well a market covers a sector and product class, strongest first.
const (
	GapMandatory = "mandatory" // a law or regulation applies today
	GapUpcoming  = "upcoming"  // a law or regulation is adopted but applies later
	GapLabel     = "label"     // a national or regional voluntary scheme is open
	GapStandard  = "standard"  // only international voluntary standards
	GapNone      = "none"      // nothing in the catalog
)

var gapRank = map[string]int{GapNone: 0, GapStandard: 1, GapLabel: 2, GapUpcoming: 3, GapMandatory: 4}

// GapQuery selects the matrix; empty lists mean every vocabulary entry
// (every default market).
type GapQuery struct {
	Sectors []string  `json:"sectors,omitempty"`
	Classes []string  `json:"classes,omitempty"`
	Markets []string  `json:"markets,omitempty"`
	Date    time.Time `json:"date"`
}

// GapCell is one sector × class × market cell.
type GapCell struct {
	Market string `json:"market"`
	Level  string `json:"level"`
	// Schemes that reach the cell's level, strongest first.
	Schemes []string `json:"schemes,omitempty"`
}

// GapRow is one sector and product class across the markets.
type GapRow struct {
	Sector string    `json:"sector"`
	Class  string    `json:"class"`
	Title  string    `json:"title"`
	Cells  []GapCell `json:"cells"`
}

// Call is a call for a missing standard or scheme, the seed's "lack of
// appropriate schemes" turned into a list.
type Call struct {
	Kind    string   `json:"kind"` // missing-standard, missing-scheme
	Sector  string   `json:"sector"`
	Class   string   `json:"class"`
	Markets []string `json:"markets"`
	Text    string   `json:"text"`
	// schemes (the international standards of a missing-scheme call) and
	// title (the class's) let groupCalls group and word calls.
	schemes []string
	title   string
}

func stdSchemesOf(row GapRow) []string {
	var out []string
	for _, c := range row.Cells {
		if c.Level == GapStandard {
			out = appendNew(out, c.Schemes...)
		}
	}
	return out
}

// groupCalls groups calls of the same kind, markets and (for missing
// schemes) standards, in the order the first of each group came.
func groupCalls(calls []Call) []CallGroup {
	out := []CallGroup{}
	index := map[string]int{}
	for _, c := range calls {
		schemes := []string(nil)
		if c.Kind == "missing-scheme" {
			schemes = slices.Clone(c.schemes)
			slices.Sort(schemes)
		}
		key := c.Kind + "|" + strings.Join(c.Markets, ",") + "|" + strings.Join(schemes, ",")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, CallGroup{Kind: c.Kind, Markets: c.Markets, Schemes: schemes})
		}
		g := &out[i]
		g.Cells = append(g.Cells, CallCell{Sector: c.Sector, Class: c.Class, Title: c.title})
		g.Sectors = appendNew(g.Sectors, c.Sector)
		g.Classes = appendNew(g.Classes, c.Class)
	}
	for i := range out {
		g := &out[i]
		var parts []string
		for _, sec := range g.Sectors {
			var titles []string
			for _, c := range g.Cells {
				if c.Sector == sec {
					titles = append(titles, c.Title)
				}
			}
			parts = append(parts, sec+": "+strings.Join(titles, "; "))
		}
		n := fmt.Sprintf("%d product class", len(g.Classes))
		if len(g.Classes) != 1 {
			n += "es"
		}
		if g.Kind == "missing-standard" {
			g.Text = fmt.Sprintf("A security standard is missing in %s for %s, which no scheme in the catalog addresses (%s).",
				strings.Join(g.Markets, ", "), n, strings.Join(parts, "; "))
		} else {
			g.Text = fmt.Sprintf("A label, certification scheme or rule of the market is missing in %s for %s, which only international standards (%s) address (%s).",
				strings.Join(g.Markets, ", "), n, strings.Join(g.Schemes, ", "), strings.Join(parts, "; "))
		}
	}
	return out
}

// CallGroup is one call to standards bodies: the calls of the same kind
// for the same markets (and, for a missing scheme, the same international
// standards), with every sector and product class they cover, so a reader
// gets one call, not one sentence per cell (issue 14).
type CallGroup struct {
	Kind    string   `json:"kind"`
	Markets []string `json:"markets"`
	// Schemes are the international standards that address the cells
	// (missing-scheme calls only).
	Schemes []string `json:"schemes,omitempty"`
	Sectors []string `json:"sectors"`
	Classes []string `json:"classes"`
	// Cells are the sector and class of each call the group holds.
	Cells []CallCell `json:"cells"`
	Text  string     `json:"text"`
}

// CallCell is one sector × product class of a call group.
type CallCell struct {
	Sector string `json:"sector"`
	Class  string `json:"class"`
	Title  string `json:"title"`
}

// SectorGap sums the matrix up per sector: where a whole sector has no
// scheme, or nothing beyond international standards, market by market.
type SectorGap struct {
	Sector string         `json:"sector"`
	Title  string         `json:"title"`
	Counts map[string]int `json:"counts"` // cells per level
	// Nothing lists the markets where no class of the sector has any
	// scheme at all; StandardsOnly those where the best any class has is
	// an international standard or guidance (no law, label or scheme of
	// the market).
	Nothing       []string `json:"nothing"`
	StandardsOnly []string `json:"standards_only"`
	// Uncovered is true when the sector has no law, label or scheme in
	// any market of the matrix.
	Uncovered bool `json:"uncovered"`
}

// GapMatrix is Gaps' answer: rows of sector × class, a column per market.
type GapMatrix struct {
	Query   GapQuery       `json:"query"`
	Markets []string       `json:"markets"`
	Rows    []GapRow       `json:"rows"`
	Counts  map[string]int `json:"counts"` // cells per level
	Sectors []SectorGap    `json:"sectors"`
	Calls   []Call         `json:"calls"`
	// Groups are the calls grouped by kind and markets.
	Groups []CallGroup `json:"groups"`
}

// Gaps builds the sector × product class × market matrix of the strongest
// scheme that applies, and lists the cells with no standard at all or only
// international standards as calls for missing standards or schemes.
func (c *Catalog) Gaps(q GapQuery) (*GapMatrix, error) {
	if q.Date.IsZero() {
		return nil, &QueryError{Field: "date", Message: "no date (pass the current date explicitly)"}
	}
	q.Markets = c.NormaliseMarkets(q.Markets)
	for i := range q.Sectors {
		q.Sectors[i] = c.NormaliseSector(q.Sectors[i])
	}
	for i := range q.Classes {
		q.Classes[i] = c.NormaliseClass(q.Classes[i])
	}
	markets := q.Markets
	if len(markets) == 0 {
		for _, m := range c.data.Vocabulary.Markets {
			markets = append(markets, m.Code)
		}
	}
	sectors := q.Sectors
	if len(sectors) == 0 {
		for _, s := range c.data.Vocabulary.Sectors {
			sectors = append(sectors, s.ID)
		}
	}
	for _, s := range sectors {
		if err := c.validQuery("", s, markets); err != nil {
			return nil, err
		}
	}
	for _, cl := range q.Classes {
		if err := c.validQuery(cl, "", nil); err != nil {
			return nil, err
		}
	}
	out := &GapMatrix{Query: q, Markets: markets, Counts: map[string]int{}, Rows: []GapRow{}, Sectors: []SectorGap{}, Calls: []Call{}, Groups: []CallGroup{}}
	for _, sector := range sectors {
		first := len(out.Rows)
		for _, cl := range c.data.Vocabulary.Classes {
			if !slices.Contains(cl.Sectors, sector) || (len(q.Classes) > 0 && !slices.Contains(q.Classes, cl.ID)) {
				continue
			}
			ap, err := c.Applies(AppliesQuery{Class: cl.ID, Sector: sector, Markets: markets, Date: q.Date})
			if err != nil {
				return nil, err
			}
			row := GapRow{Sector: sector, Class: cl.ID, Title: cl.Title}
			for _, m := range markets {
				cell := GapCell{Market: m, Level: GapNone}
				for _, a := range ap.Schemes {
					if !slices.Contains(a.Markets, m) {
						continue
					}
					lv := cellLevel(a)
					switch {
					case gapRank[lv] > gapRank[cell.Level]:
						cell.Level, cell.Schemes = lv, []string{a.Slug}
					case lv == cell.Level && lv != GapNone:
						cell.Schemes = appendNew(cell.Schemes, a.Slug)
					}
				}
				out.Counts[cell.Level]++
				row.Cells = append(row.Cells, cell)
			}
			out.Rows = append(out.Rows, row)
			for _, c := range calls(row) {
				c.schemes, c.title = stdSchemesOf(row), row.Title
				out.Calls = append(out.Calls, c)
			}
		}
		if rows := out.Rows[first:]; len(rows) > 0 {
			out.Sectors = append(out.Sectors, c.sectorGap(sector, markets, rows))
		}
	}
	out.Groups = groupCalls(out.Calls)
	return out, nil
}

// sectorGap sums up the rows of one sector.
func (c *Catalog) sectorGap(sector string, markets []string, rows []GapRow) SectorGap {
	g := SectorGap{Sector: sector, Title: sector, Counts: map[string]int{}, Nothing: []string{}, StandardsOnly: []string{}}
	for _, t := range c.data.Vocabulary.Sectors {
		if t.ID == sector {
			g.Title = t.Title
		}
	}
	g.Uncovered = true
	for i, m := range markets {
		best := GapNone
		for _, r := range rows {
			lv := r.Cells[i].Level
			g.Counts[lv]++
			if gapRank[lv] > gapRank[best] {
				best = lv
			}
		}
		switch best {
		case GapNone:
			g.Nothing = append(g.Nothing, m)
		case GapStandard:
			g.StandardsOnly = append(g.StandardsOnly, m)
		default:
			g.Uncovered = false
		}
	}
	return g
}

func cellLevel(a Applicability) string {
	switch {
	case a.Status == StatusMandatory && a.InForce:
		return GapMandatory
	case a.Status == StatusMandatory:
		return GapUpcoming
	case a.International || (a.Type != "label" && a.Type != "certification"):
		// Guidance and standards help, but nobody checks or labels against
		// them in the market.
		return GapStandard
	case a.Available && a.InForce && a.State != "stalled":
		return GapLabel
	}
	return GapNone
}

func calls(row GapRow) []Call {
	var none, std []string
	var stdSchemes []string
	for _, c := range row.Cells {
		switch c.Level {
		case GapNone:
			none = append(none, c.Market)
		case GapStandard:
			std = append(std, c.Market)
			stdSchemes = appendNew(stdSchemes, c.Schemes...)
		}
	}
	var out []Call
	if len(none) > 0 {
		out = append(out, Call{Kind: "missing-standard", Sector: row.Sector, Class: row.Class, Markets: none,
			Text: fmt.Sprintf("No scheme in the catalog addresses %s (%s sector) in %s: a security standard for this product class is missing.",
				row.Title, row.Sector, strings.Join(none, ", "))})
	}
	if len(std) > 0 {
		out = append(out, Call{Kind: "missing-scheme", Sector: row.Sector, Class: row.Class, Markets: std,
			Text: fmt.Sprintf("Only international standards (%s) address %s (%s sector) in %s: no label, certification scheme or rule of the market exists.",
				strings.Join(stdSchemes, ", "), row.Title, row.Sector, strings.Join(std, ", "))})
	}
	return out
}
