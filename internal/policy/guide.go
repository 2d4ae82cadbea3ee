package policy

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Guide inputs, filled from the catalog and the check engines in
// internal/app (the policy service imports neither).

// GuideQuery asks for the good practice guide of a product class in a
// sector for markets.
type GuideQuery struct {
	Class   string    `json:"class"`
	Sector  string    `json:"sector"`
	Markets []string  `json:"markets"`
	Date    time.Time `json:"-"`
}

// CatalogRef is a catalog entry a guide statement rests on: a scheme
// (ID empty) or one of its provisions.
type CatalogRef struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Clause string `json:"clause,omitempty"`
}

// GuideScheme is a scheme that applies to the product in some markets.
type GuideScheme struct {
	Ref     CatalogRef `json:"ref"`
	Type    string     `json:"type"`
	Status  string     `json:"status"` // mandatory, voluntary
	Markets []string   `json:"markets"`
	From    string     `json:"from,omitempty"`
	InForce bool       `json:"in_force"`
	Level   string     `json:"level,omitempty"`
}

// GuideServed is a provision of a scheme that a baseline line meets.
type GuideServed struct {
	Scheme   string `json:"scheme"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Kind     string `json:"kind"`
	Coverage string `json:"coverage"`
}

// GuideTest is a test case of the assessment specification.
type GuideTest struct {
	ID   string `json:"id"`
	Type string `json:"type"` // conceptual, functional, conceptual-functional
}

// GuideLine is one requirement of the catalog's harmonised baseline.
type GuideLine struct {
	Ref       CatalogRef    `json:"ref"`
	Title     string        `json:"title"`
	Statement string        `json:"statement"`
	TextKind  string        `json:"text_kind,omitempty"`
	Kind      string        `json:"kind"`
	Serves    []GuideServed `json:"serves"`
	// Group is the assessment specification's test group for the line
	// (zero when it has none), with its test cases.
	Group *CatalogRef `json:"group,omitempty"`
	Tests []GuideTest `json:"tests,omitempty"`
}

// GuideCatalog is what the catalog knows for a guide.
type GuideCatalog struct {
	Class, ClassTitle, Sector string
	Markets                   []string
	Hub                       string
	Schemes                   []GuideScheme
	Lines                     []GuideLine
	// Spec is the assessment specification (TS 103 701) and IXIT its
	// categories of implementation information a lab asks for.
	Spec *CatalogRef
	IXIT []IXITCategory
}

// IXITCategory is a category of implementation information.
type IXITCategory struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// CheckRule says an iotsec automated check bears on a provision: Basis
// "indicative" for the firmware rules' EN 303 645 mapping, "direct" for
// the assessment's table of findings that falsify a scheme's own text.
type CheckRule struct {
	Rule      string `json:"rule"`
	Scheme    string `json:"scheme"`
	Provision string `json:"provision"`
	Basis     string `json:"basis"`
	Source    string `json:"source"` // where the mapping is documented
}

// The guide itself.

// GuideSource is one numbered source of a guide: a catalog entry (scheme
// or provision) or a check rule of iotsec.
type GuideSource struct {
	N    int    `json:"n"`
	Kind string `json:"kind"` // scheme, provision, rule
	// Ref is "scheme", "scheme:provision" or "rule:name".
	Ref    string `json:"ref"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"`
	Clause string `json:"clause,omitempty"`
}

// GuideCheck is an automated check of a requirement.
type GuideCheck struct {
	Rule      string `json:"rule"`
	Scheme    string `json:"scheme"`
	Provision string `json:"provision"`
	Basis     string `json:"basis"`
	Cite      int    `json:"cite"`
}

// GuideDue is the date from which a market requires a requirement.
type GuideDue struct {
	Market  string `json:"market"`
	Scheme  string `json:"scheme"`
	Status  string `json:"status"`
	From    string `json:"from,omitempty"`
	InForce bool   `json:"in_force"`
	Cite    int    `json:"cite"`
}

// GuideServes is a scheme provision a requirement meets, cited.
type GuideServes struct {
	GuideServed
	Cite int `json:"cite"`
}

// GuideRequirement is one requirement of the guide.
type GuideRequirement struct {
	N         int           `json:"n"`
	Scheme    string        `json:"scheme"`
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Kind      string        `json:"kind"`
	Meaning   string        `json:"meaning"`
	TextKind  string        `json:"text_kind,omitempty"`
	Cite      int           `json:"cite"`
	Serves    []GuideServes `json:"serves"`
	Checks    []GuideCheck  `json:"checks"`
	Evidence  []GuideTest   `json:"evidence"`
	EvidCite  int           `json:"evidence_cite,omitempty"`
	Due       []GuideDue    `json:"due"`
	Automated bool          `json:"automated"`
}

// GuideMarket is one market's schemes for the product.
type GuideMarket struct {
	Market  string     `json:"market"`
	Schemes []GuideDue `json:"schemes"`
	None    bool       `json:"none"`
}

// Guide is the good practice guide for a product class, sector and
// markets: every statement cites a numbered source.
type Guide struct {
	Class        string             `json:"class"`
	ClassTitle   string             `json:"class_title"`
	Sector       string             `json:"sector"`
	Markets      []string           `json:"markets"`
	Date         string             `json:"date"`
	Generated    string             `json:"generated"`
	Hub          string             `json:"hub"`
	MarketLines  []GuideMarket      `json:"market_schemes"`
	Requirements []GuideRequirement `json:"requirements"`
	Automated    int                `json:"automated"`
	IXIT         []IXITCategory     `json:"ixit"`
	IXITCite     int                `json:"ixit_cite,omitempty"`
	Sources      []GuideSource      `json:"sources"`
}

// Guide limits: markets per guide, and the length of a class, sector or
// market name.
const (
	MaxGuideMarkets = 30
	maxGuideName    = 64
)

// Guide builds the good practice guide for q from the catalog
// (CatalogGuide) and the check rules (CheckRules).
func (s *Service) Guide(ctx context.Context, q GuideQuery) (*Guide, error) {
	for field, v := range map[string]string{"class": q.Class, "sector": q.Sector} {
		if len(v) > maxGuideName {
			return nil, iotsec.Invalid(field, "%d characters; at most %d", len(v), maxGuideName)
		}
	}
	if strings.TrimSpace(q.Class) == "" {
		return nil, iotsec.Invalid("class", "a product class is required (e.g. camera)")
	}
	if strings.TrimSpace(q.Sector) == "" {
		return nil, iotsec.Invalid("sector", "a sector is required (e.g. consumer)")
	}
	var markets []string
	for _, m := range q.Markets {
		for _, p := range strings.Split(m, ",") {
			if len(p) > maxGuideName {
				return nil, iotsec.Invalid("market", "a market of %d characters; at most %d", len(p), maxGuideName)
			}
			if p = strings.ToUpper(strings.TrimSpace(p)); p != "" && !slices.Contains(markets, p) {
				markets = append(markets, p)
			}
		}
	}
	if len(markets) == 0 {
		return nil, iotsec.Invalid("market", "at least one market is required (e.g. EU,GB,SG)")
	}
	if len(markets) > MaxGuideMarkets || len(q.Markets) > MaxGuideMarkets {
		return nil, iotsec.Invalid("market", "%d markets; at most %d", len(markets), MaxGuideMarkets)
	}
	q.Markets = markets
	if q.Date.IsZero() {
		q.Date = s.now()
	}
	if s.CatalogGuide == nil {
		return nil, iotsec.Errorf(iotsec.ErrUnsupported, "the catalog is not available to the policy service")
	}
	c, err := s.CatalogGuide(ctx, q)
	if err != nil {
		return nil, err
	}
	var rules []CheckRule
	if s.CheckRules != nil {
		rules = s.CheckRules()
	}
	return buildGuide(c, rules, q.Date, s.now()), nil
}

func buildGuide(c *GuideCatalog, rules []CheckRule, date, now time.Time) *Guide {
	g := &Guide{Class: c.Class, ClassTitle: c.ClassTitle, Sector: c.Sector, Markets: c.Markets, Date: date.UTC().Format("2006-01-02"),
		Generated: now.UTC().Format("2006-01-02"), Hub: c.Hub, MarketLines: []GuideMarket{}, Requirements: []GuideRequirement{},
		IXIT: []IXITCategory{}, Sources: []GuideSource{}}
	cited := map[string]int{}
	cite := func(kind string, r CatalogRef) int {
		ref := r.Scheme
		if r.ID != "" {
			ref += ":" + r.ID
		}
		if kind == "rule" {
			ref = "rule:" + r.ID
		}
		if n, ok := cited[ref]; ok {
			return n
		}
		n := len(g.Sources) + 1
		cited[ref] = n
		g.Sources = append(g.Sources, GuideSource{N: n, Kind: kind, Ref: ref, Title: r.Title, URL: r.URL, Clause: r.Clause})
		return n
	}
	schemes := map[string]GuideScheme{}
	for _, m := range c.Markets {
		gm := GuideMarket{Market: m, Schemes: []GuideDue{}}
		for _, sc := range c.Schemes {
			schemes[sc.Ref.Scheme] = sc
			if slices.Contains(sc.Markets, m) {
				gm.Schemes = append(gm.Schemes, GuideDue{Market: m, Scheme: sc.Ref.Scheme, Status: sc.Status, From: sc.From, InForce: sc.InForce,
					Cite: cite("scheme", sc.Ref)})
			}
		}
		gm.None = len(gm.Schemes) == 0
		g.MarketLines = append(g.MarketLines, gm)
	}
	for i, l := range c.Lines {
		r := GuideRequirement{N: i + 1, Scheme: l.Ref.Scheme, ID: l.Ref.ID, Title: l.Title, Kind: l.Kind, Meaning: l.Statement, TextKind: l.TextKind,
			Cite: cite("provision", l.Ref), Serves: []GuideServes{}, Checks: []GuideCheck{}, Evidence: []GuideTest{}, Due: []GuideDue{}}
		for _, sv := range l.Serves {
			sc := schemes[sv.Scheme]
			ref := CatalogRef{Scheme: sv.Scheme, ID: sv.ID, Title: sc.Ref.Title + " " + sv.ID + ": " + sv.Title, URL: sc.Ref.URL}
			r.Serves = append(r.Serves, GuideServes{GuideServed: sv, Cite: cite("provision", ref)})
		}
		for _, cr := range rules {
			hit := cr.Scheme == l.Ref.Scheme && cr.Provision == l.Ref.ID
			for _, sv := range l.Serves {
				hit = hit || (cr.Scheme == sv.Scheme && cr.Provision == sv.ID)
			}
			if !hit || slices.ContainsFunc(r.Checks, func(x GuideCheck) bool {
				return x.Rule == cr.Rule && x.Scheme == cr.Scheme && x.Provision == cr.Provision
			}) {
				continue
			}
			n := cite("rule", CatalogRef{ID: cr.Rule, Title: "iotsec check " + cr.Rule + " (" + cr.Basis + " mapping)", Clause: cr.Source})
			r.Checks = append(r.Checks, GuideCheck{Rule: cr.Rule, Scheme: cr.Scheme, Provision: cr.Provision, Basis: cr.Basis, Cite: n})
		}
		r.Automated = len(r.Checks) > 0
		if r.Automated {
			g.Automated++
		}
		if l.Group != nil {
			r.Evidence = l.Tests
			r.EvidCite = cite("provision", *l.Group)
		}
		for _, m := range c.Markets {
			var best *GuideDue
			for _, slug := range servedSchemes(l) {
				sc, ok := schemes[slug]
				if !ok || !slices.Contains(sc.Markets, m) {
					continue
				}
				d := GuideDue{Market: m, Scheme: slug, Status: sc.Status, From: sc.From, InForce: sc.InForce, Cite: cite("scheme", sc.Ref)}
				if best == nil || dueBefore(d, *best) {
					best = &d
				}
			}
			if best != nil {
				r.Due = append(r.Due, *best)
			}
		}
		g.Requirements = append(g.Requirements, r)
	}
	if c.Spec != nil && len(c.IXIT) > 0 {
		g.IXIT = c.IXIT
		g.IXITCite = cite("scheme", *c.Spec)
	}
	return g
}

func servedSchemes(l GuideLine) []string {
	var out []string
	for _, sv := range l.Serves {
		if !slices.Contains(out, sv.Scheme) {
			out = append(out, sv.Scheme)
		}
	}
	return out
}

// dueBefore orders a market's schemes for a requirement: mandatory before
// voluntary, then the earliest date.
func dueBefore(a, b GuideDue) bool {
	if (a.Status == "mandatory") != (b.Status == "mandatory") {
		return a.Status == "mandatory"
	}
	if a.From == "" || b.From == "" {
		return a.From != "" && b.From == ""
	}
	return a.From < b.From
}

// Markdown renders the guide as Markdown.
func (g *Guide) Markdown() ([]byte, error) {
	var buf bytes.Buffer
	err := mdGuide.Execute(&buf, g)
	return buf.Bytes(), err
}

// HTML renders the guide as a standalone HTML page (the brief's style).
func (g *Guide) HTML() ([]byte, error) {
	var buf bytes.Buffer
	err := htmlGuide.Execute(&buf, g)
	return buf.Bytes(), err
}

func due(d GuideDue) string {
	s := d.Market + ": " + d.Scheme + " (" + d.Status
	if d.From != "" {
		if d.InForce {
			s += ", since " + d.From
		} else {
			s += ", from " + d.From
		}
	}
	return s + ")"
}

// dueIn is due without the market, for the list of one market's schemes.
func dueIn(d GuideDue) string { return strings.TrimPrefix(due(d), d.Market+": ") }

func tests(ts []GuideTest) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, t.ID+" ("+t.Type+")")
	}
	return strings.Join(parts, ", ")
}

var guideFuncs = map[string]any{"join": strings.Join, "due": due, "dueIn": dueIn, "tests": tests, "add": func(a, b int) int { return a + b }}

var mdGuide = texttemplate.Must(texttemplate.New("guide.md").Funcs(guideFuncs).Option("missingkey=error").Parse(`# Good practice guide: {{.ClassTitle}} ({{.Sector}}) for {{join .Markets ", "}}

Schemes on {{.Date}}; generated {{.Generated}} by iotsec from its catalog. Every statement cites a numbered source.

## Contents

1. What applies in each market
2. Requirements ({{len .Requirements}}; {{.Automated}} checked automatically by iotsec)
3. What a lab asks for
4. Sources

## 1. What applies in each market
{{range .MarketLines}}
- **{{.Market}}**: {{if .None}}no scheme of the catalog applies{{else}}{{range $i, $d := .Schemes}}{{if $i}}; {{end}}{{dueIn $d}} [{{$d.Cite}}]{{end}}{{end}}{{end}}

## 2. Requirements

The harmonised baseline: one line per requirement, each meeting the provisions of the schemes listed under it.
{{range .Requirements}}
### 2.{{.N}} {{.Title}} ({{.Scheme}} {{.ID}}, {{.Kind}}) [{{.Cite}}]

- What it means for a maker ({{if .TextKind}}{{.TextKind}}{{else}}catalog text{{end}}): {{if .Meaning}}{{.Meaning}}{{else}}the catalog has no statement; see the provision title.{{end}} [{{.Cite}}]
- Meets: {{range $i, $s := .Serves}}{{if $i}}; {{end}}{{$s.Scheme}} {{$s.ID}} ({{$s.Kind}}, {{$s.Coverage}}) [{{$s.Cite}}]{{end}}
- Checked by iotsec: {{if .Checks}}{{range $i, $c := .Checks}}{{if $i}}; {{end}}` + "`{{$c.Rule}}`" + ` ({{$c.Basis}}, {{$c.Scheme}} {{$c.Provision}}) [{{$c.Cite}}]{{end}}{{else}}no automated check; an assessor decides{{end}}
- Evidence a lab asks for: {{if .Evidence}}test cases {{tests .Evidence}} [{{.EvidCite}}]{{else}}no test group in the assessment specification{{end}}
- Asked for in each market: {{if .Due}}{{range $i, $d := .Due}}{{if $i}}; {{end}}{{due $d}} [{{$d.Cite}}]{{end}}{{else}}by no scheme of these markets{{end}}
{{end}}
## 3. What a lab asks for
{{if .IXIT}}
Implementation information (IXIT) categories the assessment specification asks the maker to declare [{{.IXITCite}}]:
{{range .IXIT}}
- {{.ID}}: {{.Title}}{{end}}
{{else}}
The catalog has no implementation information categories.
{{end}}
## 4. Sources
{{range .Sources}}
{{.N}}. {{.Title}}{{with .Clause}}, {{.}}{{end}}{{with .URL}} <{{.}}>{{end}} ({{.Kind}} {{.Ref}}){{end}}
`))

var htmlGuide = htmltemplate.Must(htmltemplate.New("guide.html").Funcs(htmltemplate.FuncMap{"join": strings.Join, "due": due, "dueIn": dueIn, "tests": tests,
	"style": func() htmltemplate.CSS { return htmltemplate.CSS(briefStyle) }}).Option("missingkey=error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Good practice guide: {{.ClassTitle}} ({{.Sector}}) for {{join .Markets ", "}}</title>
<style>{{style}}</style></head><body>
<h1>Good practice guide: {{.ClassTitle}} ({{.Sector}}) for {{join .Markets ", "}}</h1>
<p>Schemes on {{.Date}}; generated {{.Generated}} by iotsec from its catalog. Every statement cites a numbered source.</p>
<nav><h2>Contents</h2><ol><li><a href="#markets">What applies in each market</a></li>
<li><a href="#requirements">Requirements ({{len .Requirements}}; {{.Automated}} checked automatically by iotsec)</a></li>
<li><a href="#lab">What a lab asks for</a></li><li><a href="#sources">Sources</a></li></ol></nav>
<h2 id="markets">1. What applies in each market</h2><ul>{{range .MarketLines}}
<li><strong>{{.Market}}</strong>: {{if .None}}no scheme of the catalog applies{{else}}{{range $i, $d := .Schemes}}{{if $i}}; {{end}}{{dueIn $d}}
<a href="#s{{$d.Cite}}">[{{$d.Cite}}]</a>{{end}}{{end}}</li>{{end}}</ul>
<h2 id="requirements">2. Requirements</h2>
<p>The harmonised baseline: one line per requirement, each meeting the provisions of the schemes listed under it.</p>
{{range .Requirements}}<h3 id="r{{.N}}">2.{{.N}} {{.Title}} ({{.Scheme}} {{.ID}}, {{.Kind}}) <a href="#s{{.Cite}}">[{{.Cite}}]</a></h3><ul>
<li>What it means for a maker ({{if .TextKind}}{{.TextKind}}{{else}}catalog text{{end}}):
{{if .Meaning}}{{.Meaning}}{{else}}the catalog has no statement; see the provision title.{{end}} <a href="#s{{.Cite}}">[{{.Cite}}]</a></li>
<li>Meets: {{range $i, $s := .Serves}}{{if $i}}; {{end}}{{$s.Scheme}} {{$s.ID}} ({{$s.Kind}}, {{$s.Coverage}}) <a href="#s{{$s.Cite}}">[{{$s.Cite}}]</a>{{end}}</li>
<li>Checked by iotsec: {{if .Checks}}{{range $i, $c := .Checks}}{{if $i}}; {{end}}<code>{{$c.Rule}}</code> ({{$c.Basis}}, {{$c.Scheme}} {{$c.Provision}})
<a href="#s{{$c.Cite}}">[{{$c.Cite}}]</a>{{end}}{{else}}no automated check; an assessor decides{{end}}</li>
<li>Evidence a lab asks for: {{if .Evidence}}test cases {{tests .Evidence}} <a href="#s{{.EvidCite}}">[{{.EvidCite}}]</a>{{else}}no test group in the assessment specification{{end}}</li>
<li>Asked for in each market: {{if .Due}}{{range $i, $d := .Due}}{{if $i}}; {{end}}{{due $d}} <a href="#s{{$d.Cite}}">[{{$d.Cite}}]</a>{{end}}{{else}}by no scheme of these markets{{end}}</li>
</ul>{{end}}
<h2 id="lab">3. What a lab asks for</h2>
{{if .IXIT}}<p>Implementation information (IXIT) categories the assessment specification asks the maker to declare <a href="#s{{.IXITCite}}">[{{.IXITCite}}]</a>:</p>
<ul>{{range .IXIT}}<li>{{.ID}}: {{.Title}}</li>{{end}}</ul>{{else}}<p>The catalog has no implementation information categories.</p>{{end}}
<h2 id="sources">4. Sources</h2><ol>{{range .Sources}}
<li id="s{{.N}}" value="{{.N}}">{{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}{{with .Clause}}, {{.}}{{end}} ({{.Kind}} {{.Ref}})</li>{{end}}</ol>
</body></html>
`))
