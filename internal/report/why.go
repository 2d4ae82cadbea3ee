package report

import (
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
)

// The words a regulator reads: what decided each verdict (its basis) and,
// for every verdict that is open or at risk, why it is not a FAIL. The
// table and the HTML report print the same rows.

// Basis words and what they mean, in the order the legend lists them.
var bases = []struct{ Basis, Meaning string }{
	{assess.BasisDirect, "a finding falsifies the provision's own text"},
	{assess.BasisCrosswalk, "projected from EN 303 645 through the catalog's mappings"},
	{assess.BasisAssessment, "EN 303 645's own verdict, from findings and an assessor's evidence"},
}

// basisLegend is one line explaining the basis words.
func basisLegend() string {
	var parts []string
	for _, b := range bases {
		parts = append(parts, b.Basis+" = "+b.Meaning)
	}
	return "basis: " + strings.Join(parts, "; ")
}

// reading is one row of a scheme's verdicts read provision by
// provision: the provisions that share a verdict, a basis and the same
// words.
type reading struct {
	IDs     []string
	Verdict assess.Verdict
	Basis   string
	Why     string
}

// IDList names the provisions of a row, at most six of them.
func (r reading) IDList() string {
	const most = 6
	if len(r.IDs) <= most {
		return strings.Join(r.IDs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(r.IDs[:most-1], ", "), len(r.IDs)-most+1)
}

// verdictOrder lists verdicts as a reader wants them: failures first.
var verdictOrder = []assess.Verdict{assess.Fail, assess.AtRisk, assess.Inconclusive, assess.NoEvidence, assess.Pass, assess.NotApplicable}

// readings reads a scheme's verdicts provision by provision, grouping
// provisions that would print the same row.
func readings(sv assess.SchemeVerdict) []reading {
	var out []reading
	at := map[string]int{}
	for _, v := range verdictOrder {
		for _, p := range sv.Provisions {
			pv := p.Verdict
			if pv == "" {
				pv = assess.NoEvidence
			}
			if pv != v {
				continue
			}
			why := whyWords(sv, p, pv)
			k := string(pv) + "\x00" + p.Basis + "\x00" + why
			if i, ok := at[k]; ok {
				out[i].IDs = append(out[i].IDs, p.ID)
				continue
			}
			at[k] = len(out)
			out = append(out, reading{IDs: []string{p.ID}, Verdict: pv, Basis: p.Basis, Why: why})
		}
	}
	return out
}

// whyWords says in a sentence what decided a provision's verdict and, when
// it is open or at risk, why it is not a FAIL.
func whyWords(sv assess.SchemeVerdict, p assess.Projected, v assess.Verdict) string {
	switch v {
	case assess.Fail:
		switch p.Basis {
		case assess.BasisDirect:
			// the reason names the finding and cites the requirement
			return p.Reason
		case assess.BasisCrosswalk:
			return "EN 303 645 " + p.Reason + "; this provision alone covers that one fully, so it cannot be met either"
		}
		return p.Reason
	case assess.AtRisk:
		return "EN 303 645 " + p.Reason + "; not a FAIL because " + p.WhyNotFail
	case assess.Pass, assess.NotApplicable:
		return p.Reason
	}
	// open: the reasons only list the EN provisions still open, the why
	// says it all
	if p.WhyNotFail == "" {
		return "no evidence either way"
	}
	return "not a FAIL because " + p.WhyNotFail
}

// verdictWord is a verdict as the reports print it ("at risk").
func verdictWord(v assess.Verdict) string {
	return strings.ToLower(strings.ReplaceAll(string(v), "-", " "))
}

// schemeName is a scheme's short title.
func schemeName(sv assess.SchemeVerdict) string {
	if sv.ShortTitle != "" {
		return sv.ShortTitle
	}
	return sv.Title
}
