package vuln

import "strings"

// Delta is what changed between two match runs of the same SBOM, as when
// every stored SBOM is matched again after a data import: the matches
// that appeared (newly affected) and those that went away (fixed data,
// withdrawn records, new VEX).
type Delta struct {
	New  []Match
	Gone []Match
}

// matchKey identifies a match across runs: the component (its SBOM
// reference, else name, version and purl) and the vulnerability.
func matchKey(m Match) string {
	c := m.Component
	id := c.Ref
	if id == "" {
		id = c.Name + "@" + c.Version + " " + c.PURL + " " + strings.Join(c.CPEs, " ")
	}
	return id + "\x00" + m.Vulnerability.ID
}

// CompareMatches returns the delta from before to after. A match that VEX
// suppresses counts as absent, so a new not_affected statement shows as
// Gone and its withdrawal as New.
func CompareMatches(before, after []Match) Delta {
	live := func(ms []Match) map[string]Match {
		out := make(map[string]Match, len(ms))
		for _, m := range ms {
			if !m.Suppressed() {
				out[matchKey(m)] = m
			}
		}
		return out
	}
	b, a := live(before), live(after)
	var d Delta
	for _, m := range after {
		if _, ok := b[matchKey(m)]; !ok && !m.Suppressed() {
			d.New = append(d.New, m)
		}
	}
	for _, m := range before {
		if _, ok := a[matchKey(m)]; !ok && !m.Suppressed() {
			d.Gone = append(d.Gone, m)
		}
	}
	return d
}
