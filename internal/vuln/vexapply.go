package vuln

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// applyVEX returns the statement that applies to match m in firmware fw:
// same vulnerability (by ID or alias), a product that names fw (or none)
// and a component that names m's component (or none). Of several, the
// latest wins, and a component-level statement beats a product-wide one
// of the same time.
func (ix *Index) applyVEX(fw Ref, m Match) *Statement {
	var best *Statement
	bestScore := 0
	ids := append([]string{m.Vulnerability.ID}, m.Vulnerability.Aliases...)
	seen := map[int]bool{}
	for _, id := range ids {
		for _, i := range ix.vex[id] {
			if seen[i] {
				continue
			}
			seen[i] = true
			s := &ix.stmts[i]
			if !s.Product.IsZero() && !RefMatches(s.Product, fw) {
				continue
			}
			score := 1
			if !s.Component.IsZero() {
				if !componentMatches(s.Component, m.Component) {
					continue
				}
				score = 2
			}
			if best == nil || s.Timestamp.After(best.Timestamp) || (s.Timestamp.Equal(best.Timestamp) && score > bestScore) {
				best, bestScore = s, score
			}
		}
	}
	return best
}

func componentMatches(r Ref, c Component) bool {
	if RefMatches(r, Ref{PURL: c.PURL, Name: c.Name, Version: c.Version}) {
		return true
	}
	for _, s := range c.CPEs {
		if RefMatches(r, Ref{CPE: s, Name: c.Name, Version: c.Version}) {
			return true
		}
	}
	return false
}

// RefMatches reports whether statement reference r names the product or
// component x. A purl without version names every version; a CPE with
// ANY attributes names every value; a name without version every version.
func RefMatches(r, x Ref) bool {
	switch {
	case r.PURL != "" && x.PURL != "":
		return purlMatches(r.PURL, x.PURL)
	case r.CPE != "" && x.CPE != "":
		return cpeMatches(r.CPE, x.CPE)
	case r.PURL == "" && r.CPE == "" && r.Name != "":
		return strings.EqualFold(r.Name, x.Name) && (r.Version == "" || r.Version == x.Version)
	}
	return false
}

func purlMatches(r, x string) bool {
	pr, err := packageurl.FromString(r)
	if err != nil {
		return false
	}
	px, err := packageurl.FromString(x)
	if err != nil {
		return false
	}
	if keyOf(pr) != keyOf(px) {
		return false
	}
	return pr.Version == "" || pr.Version == px.Version
}

func cpeMatches(r, x string) bool {
	nr, err := cpe.Parse(r)
	if err != nil {
		return false
	}
	nx, err := cpe.Parse(x)
	if err != nil {
		return false
	}
	for i := range cpe.AttrOther + 1 {
		if rel := cpe.Compare(nr.Attr(i), nx.Attr(i)); rel != cpe.Equal && rel != cpe.Superset {
			return false
		}
	}
	return true
}

// ApplyVEX applies further statements to matches made by an index (a
// firmware version's own statements, kept apart from an index shared by
// every firmware version): each match gets the statement that applies as
// Index.Match would choose it among its current one and stmts.
func ApplyVEX(fw Ref, ms []Match, stmts []Statement) []Match {
	if len(stmts) == 0 {
		return ms
	}
	b := NewBuilder(nil)
	for _, s := range stmts {
		b.AddStatement(s)
	}
	ix := b.Build()
	out := make([]Match, len(ms))
	for i, m := range ms {
		out[i] = m
		s := ix.applyVEX(fw, m)
		if s == nil {
			continue
		}
		if cur := m.VEX; cur == nil || s.Timestamp.After(cur.Timestamp) ||
			(s.Timestamp.Equal(cur.Timestamp) && !s.Component.IsZero() && cur.Component.IsZero()) {
			st := *s
			out[i].VEX = &st
		}
	}
	return out
}
