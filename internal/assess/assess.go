// Package assess turns automated findings and an assessor's evidence into
// verdicts on ETSI EN 303 645 provisions, in the shape of ETSI TS 103 701
// (one test group per provision, conceptual and functional test cases, the
// ICS and IXIT as inputs), and projects those verdicts through the
// catalog's mappings onto every other scheme and level.
//
// Automation may only FAIL a provision or support it: a scan that finds
// nothing wrong never makes a PASS, because the absence of a finding is not
// evidence of conformance. PASS comes from an assessor (or, for another
// scheme, from PASS verdicts on every EN 303 645 provision that is
// sufficient for it).
//
// It is an engine: it must not import storage (database/sql, sqlite, pgx),
// HTTP servers or internal/iotsec.
package assess

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
)

// Hub is the scheme verdicts are recorded against.
const Hub = "etsi-en-303-645"

// testSpec is the TS 103 701 scheme whose test cases evidence may name.
const testSpec = "etsi-ts-103-701"

// Verdict is the outcome of a provision's assessment.
type Verdict string

// The verdicts of TS 103 701, plus NO-EVIDENCE for nothing recorded yet
// and, for projected verdicts only, AT-RISK: a failing EN 303 645
// provision overlaps the provision, but the mapping is too loose to say
// it fails.
const (
	Pass          Verdict = "PASS"
	Fail          Verdict = "FAIL"
	NotApplicable Verdict = "NOT-APPLICABLE"
	Inconclusive  Verdict = "INCONCLUSIVE"
	NoEvidence    Verdict = "NO-EVIDENCE"
	AtRisk        Verdict = "AT-RISK"
)

// Verdicts lists the verdicts an assessor may record.
func Verdicts() []Verdict { return []Verdict{Pass, Fail, NotApplicable, Inconclusive} }

// Valid reports whether an assessor may record v.
func (v Verdict) Valid() bool { return slices.Contains(Verdicts(), v) }

// ParseVerdict reads a verdict, forgiving case, spaces and underscores
// ("not applicable", "n/a", "pass").
func ParseVerdict(s string) (Verdict, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.NewReplacer(" ", "-", "_", "-").Replace(u)
	switch u {
	case "N/A", "NA":
		u = string(NotApplicable)
	}
	v := Verdict(u)
	if !v.Valid() {
		return "", fmt.Errorf("verdict %q is not one of PASS, FAIL, NOT-APPLICABLE, INCONCLUSIVE", s)
	}
	return v, nil
}

// Sources of a provision's verdict.
const (
	SourceAssessor  = "assessor"  // recorded evidence decided it
	SourceAutomated = "automated" // findings failed it
	SourceICS       = "ics"       // the maker's conformance statement decided it
	SourceNone      = "none"
)

// Evidence is what an assessor recorded for one provision, or for one of
// its TS 103 701 test cases. Records are history: the newest record for a
// provision and test case counts.
type Evidence struct {
	Provision string  `json:"provision"`           // EN 303 645 ID, e.g. 5.1-1
	TestCase  string  `json:"test_case,omitempty"` // TS 103 701 case, e.g. 5.1-1-2; empty: the whole group
	Verdict   Verdict `json:"verdict"`
	Rationale string  `json:"rationale"`
	// Override, with a PASS or NOT-APPLICABLE, sets aside automated
	// findings the assessor judged wrong (a false positive); the
	// rationale must say why.
	Override bool      `json:"override,omitempty"`
	Assessor string    `json:"assessor,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// Limits on what an assessor records.
const (
	MaxRationale = 4000
)

// Check validates ev against the catalog's provisions and test cases.
func (e *Engine) Check(ev Evidence) error {
	p, ok := e.provisions[ev.Provision]
	if !ok {
		return fmt.Errorf("provision %q is not an EN 303 645 provision", ev.Provision)
	}
	if ev.TestCase != "" && !slices.ContainsFunc(p.tests, func(t crosswalk.TestCase) bool { return t.ID == ev.TestCase }) {
		return fmt.Errorf("test case %q is not a TS 103 701 test case of %s", ev.TestCase, ev.Provision)
	}
	if !ev.Verdict.Valid() {
		return fmt.Errorf("verdict %q is not one of PASS, FAIL, NOT-APPLICABLE, INCONCLUSIVE", ev.Verdict)
	}
	if strings.TrimSpace(ev.Rationale) == "" {
		return fmt.Errorf("rationale is empty: say what was examined and why it gives this verdict")
	}
	if len(ev.Rationale) > MaxRationale {
		return fmt.Errorf("rationale is longer than %d bytes", MaxRationale)
	}
	if ev.Override && ev.Verdict != Pass && ev.Verdict != NotApplicable {
		return fmt.Errorf("override is for a PASS or NOT-APPLICABLE that sets aside automated findings")
	}
	return nil
}

// Input is what an assessment is made of.
type Input struct {
	Findings []inspect.Finding
	Evidence []Evidence
	ICS      *ICS
	IXIT     []IXITEntry
	// FailAt is the lowest severity of a finding that fails its
	// provisions; milder findings only support. Empty means medium.
	FailAt inspect.Severity
}

// TestResult is the state of one TS 103 701 test case.
type TestResult struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"` // conceptual, functional, conceptual-functional
	Verdict Verdict `json:"verdict"`
}

// Result is the verdict on one EN 303 645 provision and what it rests on.
type Result struct {
	Provision   string  `json:"provision"`
	Title       string  `json:"title"`
	Kind        string  `json:"kind"` // mandatory, recommended
	Conditional bool    `json:"conditional,omitempty"`
	Verdict     Verdict `json:"verdict"`
	Source      string  `json:"source"`
	// Rules are the rules of the findings that failed the provision;
	// Supporting the rules of milder findings that bear on it.
	Rules      []string `json:"rules,omitempty"`
	Supporting []string `json:"supporting,omitempty"`
	Findings   int      `json:"findings,omitempty"` // failing findings
	// Reason is one line saying why: the first failing finding, the
	// assessor's rationale, or what is missing.
	Reason     string       `json:"reason,omitempty"`
	Automated  Verdict      `json:"automated"` // what the findings alone say: FAIL or NO-EVIDENCE
	Overridden bool         `json:"overridden,omitempty"`
	Tests      []TestResult `json:"tests,omitempty"`
	Evidence   []Evidence   `json:"evidence,omitempty"` // the records that count, one per test case
	ICS        *ICSEntry    `json:"ics,omitempty"`
}

// Assessment is the verdict on every EN 303 645 provision.
type Assessment struct {
	Provisions []Result         `json:"provisions"`
	Counts     map[Verdict]int  `json:"counts"`
	IXIT       []IXITEntry      `json:"ixit,omitempty"`
	FailAt     inspect.Severity `json:"fail_at"`
	// Direct are the provisions of other schemes that failing findings
	// falsify directly (see DirectRules).
	Direct []DirectFailure `json:"direct,omitempty"`
}

// Result returns the result for provision id.
func (a *Assessment) Result(id string) (Result, bool) {
	for _, r := range a.Provisions {
		if r.Provision == id {
			return r, true
		}
	}
	return Result{}, false
}

// provision is what the engine keeps of an EN 303 645 provision.
type provision struct {
	crosswalk.Provision
	tests []crosswalk.TestCase
}

// Evaluate decides every EN 303 645 provision from the input. The order of
// precedence: an automated FAIL stands unless an assessor overrides it;
// otherwise the assessor's records decide; otherwise the ICS may say the
// provision does not apply or is not implemented; otherwise there is no
// evidence.
func (e *Engine) Evaluate(in Input) (*Assessment, error) {
	failAt := in.FailAt
	if failAt == "" {
		failAt = inspect.Severity("medium")
	}
	if failAt.Rank() < 0 {
		return nil, fmt.Errorf("severity %q is not one of critical, high, medium, low, info", failAt)
	}
	for i, ev := range in.Evidence {
		if err := e.Check(ev); err != nil {
			return nil, fmt.Errorf("evidence %d: %w", i+1, err)
		}
	}
	var ics map[string]ICSEntry
	if in.ICS != nil {
		ics = map[string]ICSEntry{}
		for _, en := range in.ICS.Entries {
			ics[en.Provision] = en
		}
	}
	failing := map[string][]inspect.Finding{}
	supporting := map[string][]string{}
	for _, f := range in.Findings {
		for _, p := range f.Provisions {
			if f.Severity.Rank() >= failAt.Rank() {
				failing[p] = append(failing[p], f)
			} else if !slices.Contains(supporting[p], f.Rule) {
				supporting[p] = append(supporting[p], f.Rule)
			}
		}
	}
	// Newest record per (provision, test case); records come oldest first.
	latest := map[string]map[string]Evidence{}
	for _, ev := range in.Evidence {
		if latest[ev.Provision] == nil {
			latest[ev.Provision] = map[string]Evidence{}
		}
		latest[ev.Provision][ev.TestCase] = ev
	}
	out := &Assessment{Counts: map[Verdict]int{}, IXIT: in.IXIT, FailAt: failAt}
	for _, id := range e.order {
		p := e.provisions[id]
		r := Result{Provision: id, Title: p.Title, Kind: p.Kind, Conditional: p.Conditional, Verdict: NoEvidence, Source: SourceNone, Automated: NoEvidence}
		fs := failing[id]
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity.Rank() > fs[j].Severity.Rank() })
		for _, f := range fs {
			if !slices.Contains(r.Rules, f.Rule) {
				r.Rules = append(r.Rules, f.Rule)
			}
		}
		r.Findings = len(fs)
		r.Supporting = supporting[id]
		if len(fs) > 0 {
			r.Automated = Fail
		}
		if en, ok := ics[id]; ok {
			r.ICS = &en
		}
		recs := latest[id]
		verdict, reason, tests := e.fromEvidence(p, recs)
		r.Tests = tests
		for _, t := range append([]crosswalk.TestCase{{ID: ""}}, p.tests...) {
			if ev, ok := recs[t.ID]; ok {
				r.Evidence = append(r.Evidence, ev)
			}
		}
		override := false
		for _, ev := range r.Evidence {
			override = override || ev.Override
		}
		switch {
		case len(fs) > 0 && !(override && (verdict == Pass || verdict == NotApplicable)):
			r.Verdict, r.Source = Fail, SourceAutomated
			r.Reason = describe(fs[0])
			if len(fs) > 1 {
				r.Reason += fmt.Sprintf(" (and %d more)", len(fs)-1)
			}
		case verdict != NoEvidence || len(recs) > 0:
			r.Verdict, r.Source, r.Reason = verdict, SourceAssessor, reason
			r.Overridden = len(fs) > 0
		case r.ICS != nil && r.ICS.Support == SupportNA:
			r.Verdict, r.Source = NotApplicable, SourceICS
			r.Reason = "ICS: not applicable"
			if r.ICS.Detail != "" {
				r.Reason += ": " + r.ICS.Detail
			}
		case r.ICS != nil && r.ICS.Support == SupportNo:
			r.Verdict, r.Source = Fail, SourceICS
			r.Reason = "ICS: not implemented"
			if r.ICS.Detail != "" {
				r.Reason += ": " + r.ICS.Detail
			}
		default:
			r.Reason = "no evidence recorded"
			if len(r.Supporting) > 0 {
				r.Reason = "automated checks found nothing failing; an assessor must decide"
			}
		}
		out.Counts[r.Verdict]++
		out.Provisions = append(out.Provisions, r)
	}
	out.Direct = directFailures(e.direct, in.Findings, failAt, out.Provisions)
	return out, nil
}

// fromEvidence combines the newest records of one provision: a record for
// the whole group decides alone; otherwise any FAIL fails, any
// INCONCLUSIVE makes it inconclusive, a test case without a record leaves
// it without evidence, and PASS needs every case PASS or NOT-APPLICABLE.
func (e *Engine) fromEvidence(p *provision, recs map[string]Evidence) (Verdict, string, []TestResult) {
	var tests []TestResult
	for _, t := range p.tests {
		v := NoEvidence
		if ev, ok := recs[t.ID]; ok {
			v = ev.Verdict
		}
		tests = append(tests, TestResult{ID: t.ID, Type: t.Type, Verdict: v})
	}
	if ev, ok := recs[""]; ok {
		return ev.Verdict, ev.Rationale, tests
	}
	if len(recs) == 0 {
		return NoEvidence, "", tests
	}
	var missing []string
	worst, reason := NotApplicable, ""
	rank := map[Verdict]int{NotApplicable: 0, Pass: 1, NoEvidence: 2, Inconclusive: 3, Fail: 4}
	for _, t := range tests {
		if t.Verdict == NoEvidence {
			missing = append(missing, t.ID)
		}
		if rank[t.Verdict] > rank[worst] {
			worst = t.Verdict
			if ev, ok := recs[t.ID]; ok {
				reason = t.ID + ": " + ev.Rationale
			}
		}
	}
	if worst == NoEvidence {
		reason = fmt.Sprintf("%d of %d test cases recorded; %s without evidence", len(tests)-len(missing), len(tests), strings.Join(missing, ", "))
	}
	if worst == Pass || worst == NotApplicable {
		reason = "every test case " + strings.ToLower(string(worst))
		if worst == Pass {
			reason = "every test case passed or does not apply"
		}
	}
	return worst, reason, tests
}

// describe says what a finding is, in one line.
func describe(f inspect.Finding) string {
	s := f.Title
	if f.Path != "" && f.Path != "." {
		s = "/" + displayPath(f.Path) + ": " + s
	}
	if f.Evidence.Text != "" && len(f.Evidence.Text) <= 48 {
		s += " (" + f.Evidence.Text + ")"
	}
	return s
}

// displayPath drops the leading carving prefix ("0x10000.squashfs/") of a
// path in an unpacked image, so a reason reads as the device sees it.
func displayPath(p string) string {
	p = strings.TrimPrefix(p, "/")
	first, rest, ok := strings.Cut(p, "/")
	if ok && strings.HasPrefix(first, "0x") && strings.Contains(first, ".") {
		return rest
	}
	return p
}
