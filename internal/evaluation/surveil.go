package evaluation

import (
	"context"
	"fmt"
	"slices"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Failing decides a firmware version's verdicts for one scheme and level
// from what is stored now (the scan's findings, the evidence, ICS and
// IXIT) and says which mandatory provisions of that level fail or are at
// risk, one plain sentence each, sorted: what market surveillance puts a
// certified record under review for. None when the level is met or still
// open.
func (s *Service) Failing(ctx context.Context, a iotsec.Actor, firmwareID, scheme, level string) ([]string, error) {
	st, err := s.Load(ctx, a, firmwareID, []SchemeRef{{Slug: scheme, Level: level}})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sv := range st.Result.Schemes {
		if sv.Scheme != scheme {
			continue
		}
		for _, p := range sv.Provisions {
			if p.Kind != crosswalk.KindMandatory || (level != "" && len(p.Levels) > 0 && !slices.Contains(p.Levels, level)) {
				continue
			}
			switch p.Verdict {
			case assess.Fail:
				out = append(out, fmt.Sprintf("provision %s of %s now fails (%s)", p.ID, scheme, why(p)))
			case assess.AtRisk:
				out = append(out, fmt.Sprintf("provision %s of %s is now at risk (%s)", p.ID, scheme, why(p)))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// why says what a projected verdict rests on, briefly.
func why(p assess.Projected) string {
	switch {
	case p.Reason != "":
		return p.Reason
	case len(p.Rules) > 0:
		return "findings " + joinShort(p.Rules)
	case len(p.From) > 0:
		return "EN 303 645 " + joinShort(p.From)
	}
	return "the latest evaluation"
}

func joinShort(s []string) string {
	if len(s) > 3 {
		return fmt.Sprintf("%s, %s, %s and %d more", s[0], s[1], s[2], len(s)-3)
	}
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
