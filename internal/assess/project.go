package assess

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// Status of a scheme (or one of its levels) for a firmware version.
const (
	StatusMet        = "met"        // every mandatory provision passes or does not apply
	StatusNotMet     = "not-met"    // a mandatory provision fails
	StatusIncomplete = "incomplete" // neither, yet
)

// Engine evaluates and projects verdicts with one catalog. It computes the
// crosswalk between EN 303 645 and every other scheme once, so projecting
// an assessment afterwards is only lookups. It is safe for concurrent use.
type Engine struct {
	cat        *crosswalk.Catalog
	hubTitle   string
	order      []string
	provisions map[string]*provision
	ixit       []string
	ixitCats   []crosswalk.Category
	targets    []*target
	direct     []DirectRule
}

// target is one scheme with its two comparisons against the hub.
type target struct {
	scheme crosswalk.Scheme
	fwd    map[string]crosswalk.ProvisionCompare // scheme provision -> covering EN provisions
	rev    map[string]crosswalk.ProvisionCompare // EN provision -> covering scheme provisions
}

// New builds an engine over cat, which must hold EN 303 645 and TS 103 701.
func New(cat *crosswalk.Catalog) (*Engine, error) {
	hub, err := cat.Scheme(Hub)
	if err != nil {
		return nil, fmt.Errorf("assess: %w", err)
	}
	ts, err := cat.Scheme(testSpec)
	if err != nil {
		return nil, fmt.Errorf("assess: %w", err)
	}
	e := &Engine{cat: cat, hubTitle: "ETSI EN 303 645 " + hub.Version, provisions: map[string]*provision{}, direct: DirectRules()}
	if err := checkDirect(cat, e.direct); err != nil {
		return nil, err
	}
	for _, p := range hub.Provisions {
		e.order = append(e.order, p.ID)
		e.provisions[p.ID] = &provision{Provision: p}
	}
	for _, tp := range ts.Provisions {
		if p, ok := e.provisions[tp.Ref]; ok {
			p.tests = tp.Tests
		}
	}
	for _, c := range ts.IXIT {
		e.ixit = append(e.ixit, c.ID)
	}
	e.ixitCats = ts.IXIT
	for _, slug := range cat.Slugs() {
		if slug == Hub {
			continue
		}
		s, err := cat.Scheme(slug)
		if err != nil {
			return nil, err
		}
		t := &target{scheme: s, fwd: map[string]crosswalk.ProvisionCompare{}, rev: map[string]crosswalk.ProvisionCompare{}}
		fwd, err := cat.Compare(crosswalk.SchemeRef{Slug: slug}, crosswalk.SchemeRef{Slug: Hub})
		if err != nil {
			return nil, fmt.Errorf("assess: compare %s with %s: %w", slug, Hub, err)
		}
		for _, pc := range fwd.Provisions {
			t.fwd[pc.ID] = pc
		}
		rev, err := cat.Compare(crosswalk.SchemeRef{Slug: Hub}, crosswalk.SchemeRef{Slug: slug})
		if err != nil {
			return nil, fmt.Errorf("assess: compare %s with %s: %w", Hub, slug, err)
		}
		for _, pc := range rev.Provisions {
			t.rev[pc.ID] = pc
		}
		e.targets = append(e.targets, t)
	}
	return e, nil
}

// Catalog returns the catalog the engine was built with.
func (e *Engine) Catalog() *crosswalk.Catalog { return e.cat }

// Provisions lists the EN 303 645 provision IDs in catalog order.
func (e *Engine) Provisions() []string { return slices.Clone(e.order) }

// TestCases returns the TS 103 701 test cases of an EN 303 645 provision.
func (e *Engine) TestCases(id string) []crosswalk.TestCase {
	if p, ok := e.provisions[id]; ok {
		return slices.Clone(p.tests)
	}
	return nil
}

// Projected is the verdict on one provision of another scheme, derived
// from the EN 303 645 verdicts through the catalog's mappings.
type Projected struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Kind    string   `json:"kind"`
	Levels  []string `json:"levels,omitempty"`
	Verdict Verdict  `json:"verdict"`
	// From are the EN 303 645 provisions that decided the verdict; Rules
	// the rules of the findings behind them.
	From   []string `json:"from,omitempty"`
	Rules  []string `json:"rules,omitempty"`
	Reason string   `json:"reason,omitempty"`
	// Basis says what decided the verdict: "direct" (a finding falsifies
	// the provision's own text, see DirectRules), "crosswalk" (projected
	// from EN 303 645) or "assessment" (EN 303 645 itself).
	Basis string `json:"basis"`
	// WhyNotFail says, for a verdict that is neither PASS, FAIL nor
	// NOT-APPLICABLE, why the evidence does not make it a FAIL.
	WhyNotFail string `json:"why_not_fail,omitempty"`
	// Coverage says how EN 303 645 covers the provision (full, partial,
	// none); Path, Confidence and Provenance how the mapping was found.
	Coverage   string               `json:"coverage"`
	Path       []string             `json:"path,omitempty"`
	Confidence crosswalk.Confidence `json:"confidence,omitempty"`
	Provenance string               `json:"provenance,omitempty"`
}

// Counts counts projected verdicts.
type Counts struct {
	Total      int `json:"total"`
	Mandatory  int `json:"mandatory"`
	Pass       int `json:"pass"`
	Fail       int `json:"fail"`
	AtRisk     int `json:"at_risk"`
	NA         int `json:"not_applicable"`
	Open       int `json:"open"` // inconclusive or no evidence
	NotMapped  int `json:"not_mapped"`
	FailingSet int `json:"failing_sets,omitempty"` // groups of which at least one fails
}

// LevelVerdict is a scheme's status at one level.
type LevelVerdict struct {
	Level   string `json:"level"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	Counts  Counts `json:"counts"`
	// WhyNotFail says, when the status is incomplete, why it is not
	// "not met".
	WhyNotFail string `json:"why_not_fail,omitempty"`
}

// SchemeVerdict is a scheme's status for the assessed firmware: overall
// (at the level asked for, or the scheme's lowest level) and per level.
type SchemeVerdict struct {
	Scheme     string         `json:"scheme"`
	Title      string         `json:"title"`
	ShortTitle string         `json:"short_title"`
	Level      string         `json:"level,omitempty"`
	Status     string         `json:"status"`
	Summary    string         `json:"summary"`
	Counts     Counts         `json:"counts"`
	WhyNotFail string         `json:"why_not_fail,omitempty"` // when incomplete: why it is not "not met"
	Levels     []LevelVerdict `json:"levels,omitempty"`
	Provisions []Projected    `json:"provisions"`

	failingSets []failingSet
}

// Project projects a onto the schemes refs name ("slug" or "slug:level");
// with none, onto every scheme of the catalog, EN 303 645 first.
func (e *Engine) Project(a *Assessment, refs ...crosswalk.SchemeRef) ([]SchemeVerdict, error) {
	if len(refs) == 0 {
		refs = append(refs, crosswalk.SchemeRef{Slug: Hub})
		for _, t := range e.targets {
			refs = append(refs, crosswalk.SchemeRef{Slug: t.scheme.Slug})
		}
	}
	by := map[string]Result{}
	for _, r := range a.Provisions {
		by[r.Provision] = r
	}
	var out []SchemeVerdict
	for _, ref := range refs {
		var (
			s   crosswalk.Scheme
			err error
		)
		if s, err = e.cat.Scheme(ref.Slug); err != nil {
			return nil, err
		}
		if ref.Level != "" {
			if _, ok := s.Level(ref.Level); !ok {
				return nil, fmt.Errorf("scheme %s has no level %q (levels: %s)", ref.Slug, ref.Level, levelIDs(s))
			}
		}
		var sv SchemeVerdict
		if ref.Slug == Hub {
			sv = e.hubVerdict(s, by)
		} else {
			i := slices.IndexFunc(e.targets, func(t *target) bool { return t.scheme.Slug == ref.Slug })
			if i < 0 {
				return nil, fmt.Errorf("scheme %s was added to the catalog after the engine was built", ref.Slug)
			}
			var direct []DirectFailure
			for _, d := range a.Direct {
				if d.Scheme == ref.Slug {
					direct = append(direct, d)
				}
			}
			sv = e.targets[i].project(by, e.order, direct)
		}
		finish(&sv, s, ref.Level)
		out = append(out, sv)
	}
	return out, nil
}

func levelIDs(s crosswalk.Scheme) string {
	var ids []string
	for _, l := range s.Levels {
		ids = append(ids, l.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// hubVerdict is EN 303 645 itself: its verdicts are the assessment's.
func (e *Engine) hubVerdict(s crosswalk.Scheme, by map[string]Result) SchemeVerdict {
	sv := SchemeVerdict{Scheme: s.Slug, Title: s.Title, ShortTitle: s.ShortTitle}
	for _, p := range s.Provisions {
		r := by[p.ID]
		pr := Projected{ID: p.ID, Title: p.Title, Kind: p.Kind, Verdict: r.Verdict, Rules: r.Rules, Reason: r.Reason, Coverage: crosswalk.CoverFull, Basis: BasisAssessment}
		if r.Verdict == "" {
			pr.Verdict = NoEvidence
		}
		if open(pr.Verdict) {
			pr.WhyNotFail = "no finding at or above the failing severity bears on it, and no assessor recorded a FAIL; " +
				"automated checks can fail a provision but never pass it"
			if len(r.Supporting) > 0 {
				pr.WhyNotFail = "only findings below the failing severity bear on it (" + strings.Join(r.Supporting, ", ") + "); an assessor must decide"
			}
		}
		sv.Provisions = append(sv.Provisions, pr)
	}
	return sv
}

// project derives the verdict of each of the scheme's provisions:
//
//   - FAIL when a failing EN provision is fully covered by this provision
//     alone (meeting it would meet the EN provision, so it cannot be met);
//   - AT-RISK when a failing EN provision only overlaps it, or is covered
//     by a group of provisions of which this is one;
//   - PASS when the EN provisions that together are sufficient for it all
//     pass (or do not apply), NOT-APPLICABLE when none of them applies;
//   - otherwise the most telling open verdict of the EN provisions it
//     rests on, or NO-EVIDENCE when no mapping reaches it.
func (t *target) project(by map[string]Result, order []string, direct []DirectFailure) SchemeVerdict {
	s := t.scheme
	sv := SchemeVerdict{Scheme: s.Slug, Title: s.Title, ShortTitle: s.ShortTitle}
	failsOf := map[string][]string{} // scheme provision -> EN provisions that fail it
	riskOf := map[string][]string{}  // scheme provision -> EN provisions that put it at risk
	for _, id := range order {
		if by[id].Verdict != Fail {
			continue
		}
		rc := t.rev[id]
		var full []string
		for _, c := range rc.Covers {
			if c.Coverage == crosswalk.CoverFull {
				full = append(full, c.ID)
			}
		}
		for _, c := range rc.Covers {
			if rc.Coverage == crosswalk.CoverFull && len(full) == 1 && c.ID == full[0] {
				failsOf[c.ID] = append(failsOf[c.ID], id)
			} else {
				riskOf[c.ID] = append(riskOf[c.ID], id)
			}
		}
		if rc.Coverage == crosswalk.CoverFull && len(full) > 1 {
			sv.failingSets = append(sv.failingSets, failingSet{hub: id, members: full})
		}
	}
	for _, p := range s.Provisions {
		fc := t.fwd[p.ID]
		pr := Projected{ID: p.ID, Title: p.Title, Kind: p.Kind, Levels: p.Levels, Coverage: fc.Coverage,
			Path: fc.Path, Confidence: fc.Confidence, Provenance: fc.Provenance, Basis: BasisCrosswalk}
		if pr.Coverage == "" {
			pr.Coverage = crosswalk.CoverNone
		}
		reasons := func(ids []string, verdict Verdict) {
			for _, id := range ids {
				r := by[id]
				pr.From = appendNew(pr.From, id)
				for _, rule := range r.Rules {
					pr.Rules = appendNew(pr.Rules, rule)
				}
				if pr.Reason == "" {
					pr.Reason = id + " " + string(r.Verdict) + ": " + r.Reason
				}
			}
			pr.Verdict = verdict
		}
		di := slices.IndexFunc(direct, func(d DirectFailure) bool { return d.Provision == p.ID })
		switch {
		case len(failsOf[p.ID]) > 0:
			reasons(failsOf[p.ID], Fail)
		case di >= 0:
			// the crosswalk cannot fail it, but a finding falsifies the
			// provision's own text
			pr.Verdict, pr.Basis, pr.Reason = Fail, BasisDirect, directReason(direct[di])
			for _, x := range direct[di:] {
				if x.Provision == p.ID {
					pr.Rules = appendNew(pr.Rules, x.Rule)
					for _, id := range x.From {
						pr.From = appendNew(pr.From, id)
					}
				}
			}
		case len(riskOf[p.ID]) > 0:
			reasons(riskOf[p.ID], AtRisk)
			pr.WhyNotFail = riskWhy(t.rev, riskOf[p.ID], p.ID)
		case fc.Coverage == crosswalk.CoverNone || fc.Coverage == "":
			pr.Verdict, pr.Reason = NoEvidence, "no mapping reaches EN 303 645"
		default:
			var sufficient, all []string
			for _, c := range fc.Covers {
				all = append(all, c.ID)
				if c.Coverage == crosswalk.CoverFull {
					sufficient = append(sufficient, c.ID)
				}
			}
			pr.Verdict, pr.From, pr.Reason = openVerdict(fc.Coverage == crosswalk.CoverFull, sufficient, all, by)
		}
		if pr.WhyNotFail == "" && open(pr.Verdict) {
			pr.WhyNotFail = "no failing finding reaches it through the crosswalk and none falsifies its own text; " +
				"a PASS or FAIL needs an assessor's evidence"
			if pr.Coverage == crosswalk.CoverNone {
				pr.WhyNotFail = "no mapping reaches EN 303 645 and no finding falsifies its own text; it needs an assessor's evidence"
			}
		}
		sv.Provisions = append(sv.Provisions, pr)
	}
	return sv
}

// Bases of a projected verdict.
const (
	BasisDirect     = "direct"
	BasisCrosswalk  = "crosswalk"
	BasisAssessment = "assessment"
)

// open reports verdicts that are neither decided nor not applicable.
func open(v Verdict) bool {
	return v != Pass && v != Fail && v != NotApplicable
}

// riskWhy says why a provision a failing EN 303 645 provision reaches is
// only at risk.
func riskWhy(rev map[string]crosswalk.ProvisionCompare, hubs []string, id string) string {
	var parts, partial []string
	for _, h := range hubs {
		rc := rev[h]
		var others []string
		full := false
		for _, c := range rc.Covers {
			if c.ID == id {
				full = c.Coverage == crosswalk.CoverFull && rc.Coverage == crosswalk.CoverFull
			} else if c.Coverage == crosswalk.CoverFull {
				others = append(others, c.ID)
			}
		}
		if full && len(others) > 0 {
			parts = append(parts, fmt.Sprintf("EN 303 645 %s fails, but only this provision together with %s covers it, so the failure cannot be pinned on this one", h, strings.Join(others, ", ")))
		} else {
			partial = append(partial, h)
		}
	}
	switch len(partial) {
	case 0:
	case 1:
		parts = append(parts, fmt.Sprintf("EN 303 645 %s fails, but the mapping to this provision is partial: meeting this provision would not meet %s, so failing %s does not show this one unmet", partial[0], partial[0], partial[0]))
	default:
		list := strings.Join(partial[:len(partial)-1], ", ") + " and " + partial[len(partial)-1]
		parts = append(parts, fmt.Sprintf("EN 303 645 %s fail, but their mappings to this provision are partial: meeting this provision would not meet them, so their failing does not show this one unmet", list))
	}
	return strings.Join(parts, "; ") + "; no finding falsifies its own text"
}

// openVerdict decides a provision no failure reaches.
func openVerdict(full bool, sufficient, all []string, by map[string]Result) (Verdict, []string, string) {
	if full && len(sufficient) > 0 {
		pass, na := 0, 0
		for _, id := range sufficient {
			switch by[id].Verdict {
			case Pass:
				pass++
			case NotApplicable:
				na++
			}
		}
		switch {
		case na == len(sufficient):
			return NotApplicable, sufficient, "EN 303 645 " + strings.Join(sufficient, ", ") + " do not apply"
		case pass+na == len(sufficient):
			return Pass, sufficient, "EN 303 645 " + strings.Join(sufficient, ", ") + " pass, which is sufficient"
		}
	}
	var open []string
	verdict := NoEvidence
	for _, id := range all {
		switch by[id].Verdict {
		case Inconclusive:
			verdict = Inconclusive
			open = append(open, id)
		case NoEvidence, "":
			open = append(open, id)
		}
	}
	if len(open) == 0 {
		return Inconclusive, all, "EN 303 645 " + strings.Join(all, ", ") + " only partly cover it; an assessor must decide"
	}
	return verdict, open, "open: EN 303 645 " + strings.Join(open, ", ")
}

// failingSet is an EN provision that fails and that a group of the
// scheme's provisions covers only together: one of them must fail.
type failingSet struct {
	hub     string
	members []string
}

// finish counts, decides the status overall and per level, and writes the
// summaries.
func finish(sv *SchemeVerdict, s crosswalk.Scheme, level string) {
	name := sv.ShortTitle
	if name == "" {
		name = sv.Title
	}
	byID := map[string]Projected{}
	for _, p := range sv.Provisions {
		byID[p.ID] = p
	}
	decide := func(lvl string) (string, string, string, Counts) {
		var c Counts
		var firstFail, firstRisk *Projected
		var notMetSet *failingSet
		for i, p := range sv.Provisions {
			prov, _ := s.Provision(p.ID)
			if !prov.AtLevel(lvl) {
				continue
			}
			c.Total++
			mandatory := p.Kind == crosswalk.KindMandatory
			if mandatory {
				c.Mandatory++
			}
			switch p.Verdict {
			case Pass:
				c.Pass++
			case Fail:
				c.Fail++
				if mandatory && firstFail == nil {
					firstFail = &sv.Provisions[i]
				}
			case AtRisk:
				c.AtRisk++
				if firstRisk == nil {
					firstRisk = &sv.Provisions[i]
				}
			case NotApplicable:
				c.NA++
			default:
				c.Open++
				if p.Coverage == crosswalk.CoverNone {
					c.NotMapped++
				}
			}
		}
		for i, fs := range sv.failingSets {
			all := true
			for _, m := range fs.members {
				prov, _ := s.Provision(m)
				all = all && prov != nil && prov.AtLevel(lvl) && prov.Kind == crosswalk.KindMandatory
			}
			if all {
				c.FailingSet++
				if notMetSet == nil {
					notMetSet = &sv.failingSets[i]
				}
			}
		}
		status := StatusIncomplete
		open := 0
		for _, p := range sv.Provisions {
			prov, _ := s.Provision(p.ID)
			if prov.AtLevel(lvl) && p.Kind == crosswalk.KindMandatory && p.Verdict != Pass && p.Verdict != NotApplicable {
				open++
			}
		}
		switch {
		case firstFail != nil || notMetSet != nil:
			status = StatusNotMet
		case open == 0 && c.Mandatory > 0:
			status = StatusMet
		}
		why := ""
		if status == StatusIncomplete {
			why = incompleteWhy(c, open)
		}
		label := name
		if lvl != "" {
			if _, err := strconv.Atoi(lvl); err == nil {
				label += " level " + lvl
			} else {
				label += " " + lvl
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s", label, strings.ReplaceAll(status, "-", " "))
		fmt.Fprintf(&b, ", %d of %d failing", c.Fail, c.Total)
		if c.AtRisk > 0 {
			fmt.Fprintf(&b, ", %d at risk", c.AtRisk)
		}
		switch {
		case firstFail != nil:
			fmt.Fprintf(&b, " (%s FAIL", firstFail.ID)
			switch {
			case firstFail.Reason == "":
			case sv.Scheme == Hub:
				fmt.Fprintf(&b, ": %s", firstFail.Reason)
			case !strings.HasPrefix(firstFail.Reason, firstFail.ID+" "):
				fmt.Fprintf(&b, " ← %s", firstFail.Reason)
			default:
				fmt.Fprintf(&b, ": %s", strings.TrimPrefix(firstFail.Reason, firstFail.ID+" FAIL: "))
			}
			b.WriteString(")")
		case notMetSet != nil:
			fmt.Fprintf(&b, " (EN 303 645 %s fails and only %s together cover it)", notMetSet.hub, strings.Join(notMetSet.members, " + "))
		case firstRisk != nil:
			fmt.Fprintf(&b, " (%s at risk ← %s)", firstRisk.ID, firstRisk.Reason)
		}
		return status, b.String(), why, c
	}
	if len(s.Levels) == 0 {
		sv.Status, sv.Summary, sv.WhyNotFail, sv.Counts = decide("")
		return
	}
	for _, l := range s.Levels {
		st, sum, why, c := decide(l.ID)
		sv.Levels = append(sv.Levels, LevelVerdict{Level: l.ID, Title: l.Title, Status: st, Summary: sum, Counts: c, WhyNotFail: why})
	}
	sv.Level = level
	if sv.Level == "" {
		sv.Level = lowest(s)
	}
	for _, lv := range sv.Levels {
		if lv.Level == sv.Level {
			sv.Status, sv.Summary, sv.Counts, sv.WhyNotFail = lv.Status, lv.Summary, lv.Counts, lv.WhyNotFail
		}
	}
}

// incompleteWhy says why a scheme that is incomplete is not "not met".
func incompleteWhy(c Counts, open int) string {
	var b strings.Builder
	b.WriteString("no mandatory provision fails: no finding falsifies one directly or through a full mapping from EN 303 645")
	if c.AtRisk > 0 {
		fmt.Fprintf(&b, "; %d at risk, where a failing EN 303 645 provision covers it only in part or only with others", c.AtRisk)
	}
	if open > 0 {
		fmt.Fprintf(&b, "; %d mandatory without a PASS, which automated checks never give: they need an assessor's evidence", open)
	}
	return b.String()
}

func lowest(s crosswalk.Scheme) string {
	best := s.Levels[0]
	for _, l := range s.Levels {
		if l.Rank < best.Rank {
			best = l
		}
	}
	return best.ID
}

// Line says a projected provision's verdict in one line, e.g.
// "EU CRA I.2a: at risk (5.3-8 FAIL: ...)".
func (sv SchemeVerdict) Line(p Projected) string {
	name := sv.ShortTitle
	if name == "" {
		name = sv.Title
	}
	s := fmt.Sprintf("%s %s: %s", name, p.ID, strings.ToLower(strings.ReplaceAll(string(p.Verdict), "-", " ")))
	if p.Reason != "" {
		s += " (" + p.Reason + ")"
	}
	return s
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
