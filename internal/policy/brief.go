package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
)

// GapCell is a catalog cell of a market where no scheme of the market's
// own applies: nothing at all, or international standards only.
type GapCell struct {
	Sector string `json:"sector"`
	Class  string `json:"class"`
	Title  string `json:"title"`
	Level  string `json:"level"` // none, standard
}

// Source is one numbered source of a brief: the dataset entry a statement
// rests on, and where that entry's facts come from.
type BriefSource struct {
	N            int    `json:"n"`
	Entry        string `json:"entry"`
	Jurisdiction string `json:"jurisdiction"`
	Instrument   string `json:"instrument"`
	Title        string `json:"title"`
	URL          string `json:"url"`
	Confidence   string `json:"confidence"`
}

// BriefLine is a statement about one entry of the country, citing it.
type BriefLine struct {
	Measure string `json:"measure"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	From    string `json:"from,omitempty"`
	Text    string `json:"text"`
	Cite    int    `json:"cite"`
}

// Practice is one measure across the comparable jurisdictions.
type Practice struct {
	Measure       string   `json:"measure"`
	Title         string   `json:"title"`
	Has           bool     `json:"has"`
	Count         int      `json:"count"`
	Of            int      `json:"of"`
	Jurisdictions []string `json:"jurisdictions"`
	Cites         []int    `json:"cites"`
}

// PhaseGap lists the measures the country lacks that act on one
// lifecycle phase.
type PhaseGap struct {
	Phase    string   `json:"phase"`
	Measures []string `json:"measures"`
}

// Brief is the strategy brief of one jurisdiction: each statement cites a
// numbered source, each source is a dataset entry.
type Brief struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Date      string `json:"date"`
	Generated string `json:"generated"`
	Note      string `json:"note,omitempty"`
	// NoMeasure is set when the dataset has no entry for the jurisdiction.
	NoMeasure   bool        `json:"no_measure"`
	Measures    []BriefLine `json:"measures"`
	Comparable  int         `json:"comparable"`
	Practice    []Practice  `json:"practice"`
	Gaps        []PhaseGap  `json:"gaps"`
	Recommended []Practice  `json:"recommended"`
	Recognition []BriefLine `json:"recognition"`
	// CatalogGaps are the catalog's cells for the market with nothing, or
	// only international standards; CatalogNote says why there are none.
	CatalogGaps []GapCell     `json:"catalog_gaps"`
	CatalogNote string        `json:"catalog_note,omitempty"`
	Sources     []BriefSource `json:"sources"`
}

// holds reports whether an entry counts as a jurisdiction having the
// measure on a day: in force or adopted, or a voluntary label.
func holds(e *Entry, date time.Time) bool {
	st := e.StatusOn(date)
	return st == InForce || st == Adopted || (st == Voluntary && e.Measure == "LABEL_VOLUNTARY")
}

// Brief builds the strategy brief of a jurisdiction on date.
func (s *Service) Brief(ctx context.Context, code string, date time.Time) (*Brief, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	v, err := d.Country(code, date)
	if err != nil {
		return nil, err
	}
	b := &Brief{Code: v.Code, Name: v.Name, Date: v.Date, Generated: s.now().UTC().Format("2006-01-02"), Note: v.Note,
		NoMeasure: len(v.Entries) == 0, Measures: []BriefLine{}, Practice: []Practice{}, Gaps: []PhaseGap{}, Recommended: []Practice{},
		Recognition: []BriefLine{}, CatalogGaps: []GapCell{}, Sources: []BriefSource{}}
	cited := map[string]int{}
	cite := func(e *Entry) int {
		if n, ok := cited[e.ID]; ok {
			return n
		}
		n := len(b.Sources) + 1
		cited[e.ID] = n
		b.Sources = append(b.Sources, BriefSource{N: n, Entry: e.ID, Jurisdiction: e.Jurisdiction, Instrument: e.Instrument.Name + " (" + e.Instrument.Number + ")",
			Title: e.Source.Title, URL: e.Source.URL, Confidence: e.Confidence})
		return n
	}
	titles := map[string]string{}
	for _, m := range d.Measures {
		titles[m.Code] = m.Title
	}
	own := map[string]bool{}
	for i := range v.Entries {
		e := &v.Entries[i].Entry
		line := BriefLine{Measure: e.Measure, Title: titles[e.Measure], Status: v.Entries[i].StatusOn, From: e.From(),
			Text: e.Instrument.Name + " (" + e.Instrument.Number + "): " + e.Scope.Text}
		line.Cite = cite(e)
		if e.Measure == "MRA" {
			b.Recognition = append(b.Recognition, line)
		} else {
			b.Measures = append(b.Measures, line)
		}
		if holds(e, date) {
			own[e.Measure] = true
		}
	}
	// Comparable jurisdictions: every other one with a measure it holds.
	byMeasure := map[string][]*Entry{}
	comparable := map[string]bool{}
	for i := range d.Entries {
		e := &d.Entries[i]
		if e.Jurisdiction == v.Code || !holds(e, date) {
			continue
		}
		comparable[e.Jurisdiction] = true
		byMeasure[e.Measure] = append(byMeasure[e.Measure], e)
	}
	b.Comparable = len(comparable)
	for _, m := range d.Measures {
		p := Practice{Measure: m.Code, Title: m.Title, Has: own[m.Code], Of: b.Comparable, Jurisdictions: []string{}, Cites: []int{}}
		for _, e := range byMeasure[m.Code] {
			if !slices.Contains(p.Jurisdictions, e.Jurisdiction) {
				p.Jurisdictions = append(p.Jurisdictions, e.Jurisdiction)
			}
			p.Cites = append(p.Cites, cite(e))
		}
		p.Count = len(p.Jurisdictions)
		b.Practice = append(b.Practice, p)
		// A next measure: one the country lacks and at least two others hold.
		if !p.Has && p.Count >= 2 {
			b.Recommended = append(b.Recommended, p)
		}
	}
	sort.SliceStable(b.Recommended, func(i, j int) bool { return b.Recommended[i].Count > b.Recommended[j].Count })
	for _, ph := range d.Phases {
		g := PhaseGap{Phase: ph, Measures: []string{}}
		for _, r := range b.Recommended {
			if m, ok := d.Measure(r.Measure); ok && slices.Contains(m.Lifecycle, ph) {
				g.Measures = append(g.Measures, r.Measure)
			}
		}
		b.Gaps = append(b.Gaps, g)
	}
	switch {
	case s.CatalogGaps == nil:
		b.CatalogNote = "The catalog is not available to this service."
	default:
		market, _, sub := strings.Cut(v.Code, "-")
		cells, err := s.CatalogGaps(ctx, market, date)
		if sub && err == nil {
			b.CatalogNote = "The catalog's markets are countries and the EU: these are the cells of " + market + "."
		}
		if err != nil {
			b.CatalogNote = "The catalog does not cover this market: " + err.Error()
		} else {
			b.CatalogGaps = cells
			if len(cells) == 0 && b.CatalogNote == "" {
				b.CatalogNote = "Every sector and product class of the catalog has a scheme of this market."
			}
		}
	}
	return b, nil
}

// Markdown renders the brief as Markdown.
func (b *Brief) Markdown() ([]byte, error) {
	var buf bytes.Buffer
	err := mdBrief.Execute(&buf, b)
	return buf.Bytes(), err
}

// HTML renders the brief as a standalone HTML page.
func (b *Brief) HTML() ([]byte, error) {
	var buf bytes.Buffer
	err := htmlBrief.Execute(&buf, b)
	return buf.Bytes(), err
}

func cites(ns []int) string {
	var parts []string
	for _, n := range ns {
		parts = append(parts, fmt.Sprintf("[%d]", n))
	}
	return strings.Join(parts, "")
}

var briefFuncs = map[string]any{"cites": cites, "join": strings.Join}

var mdBrief = texttemplate.Must(texttemplate.New("brief.md").Funcs(briefFuncs).Option("missingkey=error").Parse(`# Strategy brief: {{.Name}} ({{.Code}})

Measures on {{.Date}}; generated {{.Generated}} by iotsec from its national measures dataset. Every statement cites a numbered source.

## Contents

1. Measures in force
2. Against international good practice
3. Gaps by lifecycle phase
4. Recommended next measures
5. Recognition of labels abroad
6. Catalog gaps for this market
7. Sources

## 1. Measures in force
{{if .NoMeasure}}
No national measure found.{{with .Note}} {{.}}{{end}}
{{else}}{{range .Measures}}
- **{{.Title}}** ({{.Status}}{{with .From}}, from {{.}}{{end}}): {{.Text}} [{{.Cite}}]{{end}}
{{end}}
## 2. Against international good practice

Of {{.Comparable}} comparable jurisdictions (every other one with a measure in force, adopted, or a voluntary label):
{{range .Practice}}
- {{.Title}}: {{if .Has}}**has it**{{else}}lacks it{{end}}; {{.Count}} of {{.Of}}{{with .Jurisdictions}} ({{join . ", "}}){{end}} {{cites .Cites}}{{end}}

## 3. Gaps by lifecycle phase
{{range .Gaps}}
- {{.Phase}}: {{if .Measures}}{{join .Measures ", "}}{{else}}none{{end}}{{end}}

## 4. Recommended next measures
{{if .Recommended}}{{range .Recommended}}
- **{{.Title}}** ({{.Measure}}): {{.Count}} of {{.Of}} comparable jurisdictions have it: {{join .Jurisdictions ", "}} {{cites .Cites}}{{end}}
{{else}}
No measure that at least two comparable jurisdictions have is missing.
{{end}}
## 5. Recognition of labels abroad
{{if .Recognition}}{{range .Recognition}}
- {{.Text}} ({{.Status}}{{with .From}}, from {{.}}{{end}}) [{{.Cite}}]{{end}}
{{else}}
No recognition arrangement found.
{{end}}
## 6. Catalog gaps for this market
{{with .CatalogNote}}{{.}}
{{end}}{{if .CatalogGaps}}{{range .CatalogGaps}}
- {{.Sector}} / {{.Title}}: {{if eq .Level "none"}}no scheme at all{{else}}international standards only{{end}}{{end}}
{{end}}
## 7. Sources
{{range .Sources}}
{{.N}}. {{.Instrument}}, {{.Jurisdiction}}: {{.Title}} <{{.URL}}> (dataset entry {{.Entry}}, confidence {{.Confidence}}){{end}}
`))

// briefStyle is the brief's only style; BriefStyleHash lets a server allow
// exactly it in a Content-Security-Policy.
const briefStyle = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.45}" +
	"a{overflow-wrap:anywhere}@media print{a{color:inherit}nav{display:none}}"

// BriefStyleHash is the CSP source of the brief's style element.
func BriefStyleHash() string { return styleHash(briefStyle) }

func styleHash(style string) string {
	sum := sha256.Sum256([]byte(style))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var htmlBrief = htmltemplate.Must(htmltemplate.New("brief.html").Funcs(htmltemplate.FuncMap{"join": strings.Join,
	"style": func() htmltemplate.CSS { return htmltemplate.CSS(briefStyle) }}).Option("missingkey=error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strategy brief: {{.Name}} ({{.Code}})</title>
<style>{{style}}</style></head><body>
<h1>Strategy brief: {{.Name}} ({{.Code}})</h1>
<p>Measures on {{.Date}}; generated {{.Generated}} by iotsec from its national measures dataset. Every statement cites a numbered source.</p>
<nav><h2>Contents</h2><ol><li><a href="#measures">Measures in force</a></li><li><a href="#practice">Against international good practice</a></li>
<li><a href="#gaps">Gaps by lifecycle phase</a></li><li><a href="#next">Recommended next measures</a></li>
<li><a href="#recognition">Recognition of labels abroad</a></li><li><a href="#catalog">Catalog gaps for this market</a></li>
<li><a href="#sources">Sources</a></li></ol></nav>
<h2 id="measures">1. Measures in force</h2>
{{if .NoMeasure}}<p>No national measure found.{{with .Note}} {{.}}{{end}}</p>{{else}}<ul>{{range .Measures}}
<li><strong>{{.Title}}</strong> ({{.Status}}{{with .From}}, from {{.}}{{end}}): {{.Text}} <a href="#s{{.Cite}}">[{{.Cite}}]</a></li>{{end}}</ul>{{end}}
<h2 id="practice">2. Against international good practice</h2>
<p>Of {{.Comparable}} comparable jurisdictions (every other one with a measure in force, adopted, or a voluntary label):</p><ul>{{range .Practice}}
<li>{{.Title}}: {{if .Has}}<strong>has it</strong>{{else}}lacks it{{end}}; {{.Count}} of {{.Of}}{{with .Jurisdictions}} ({{join . ", "}}){{end}}
{{range .Cites}}<a href="#s{{.}}">[{{.}}]</a>{{end}}</li>{{end}}</ul>
<h2 id="gaps">3. Gaps by lifecycle phase</h2><ul>{{range .Gaps}}
<li>{{.Phase}}: {{if .Measures}}{{join .Measures ", "}}{{else}}none{{end}}</li>{{end}}</ul>
<h2 id="next">4. Recommended next measures</h2>
{{if .Recommended}}<ul>{{range .Recommended}}
<li><strong>{{.Title}}</strong> ({{.Measure}}): {{.Count}} of {{.Of}} comparable jurisdictions have it: {{join .Jurisdictions ", "}}
{{range .Cites}}<a href="#s{{.}}">[{{.}}]</a>{{end}}</li>{{end}}</ul>{{else}}<p>No measure that at least two comparable jurisdictions have is missing.</p>{{end}}
<h2 id="recognition">5. Recognition of labels abroad</h2>
{{if .Recognition}}<ul>{{range .Recognition}}<li>{{.Text}} ({{.Status}}{{with .From}}, from {{.}}{{end}}) <a href="#s{{.Cite}}">[{{.Cite}}]</a></li>{{end}}</ul>
{{else}}<p>No recognition arrangement found.</p>{{end}}
<h2 id="catalog">6. Catalog gaps for this market</h2>
{{with .CatalogNote}}<p>{{.}}</p>{{end}}
{{if .CatalogGaps}}<ul>{{range .CatalogGaps}}<li>{{.Sector}} / {{.Title}}: {{if eq .Level "none"}}no scheme at all{{else}}international standards only{{end}}</li>{{end}}</ul>{{end}}
<h2 id="sources">7. Sources</h2><ol>{{range .Sources}}
<li id="s{{.N}}" value="{{.N}}">{{.Instrument}}, {{.Jurisdiction}}: <a href="{{.URL}}">{{.Title}}</a> (dataset entry {{.Entry}}, confidence {{.Confidence}})</li>{{end}}</ol>
</body></html>
`))
