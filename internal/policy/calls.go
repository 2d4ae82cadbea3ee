package policy

import (
	"bytes"
	"context"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// CallGroupIn is one grouped call of the catalog's gap matrix.
type CallGroupIn struct {
	Kind    string       // missing-standard, missing-scheme
	Markets []string     // where the cells are
	Schemes []CatalogRef // international standards that address them (missing-scheme)
	Sectors []string
	Classes []string
	Cells   []CallCellIn
	Text    string // the catalog's own wording of the call
}

// CallCellIn is one sector × product class cell behind a call.
type CallCellIn struct {
	Sector string `json:"sector"`
	Class  string `json:"class"`
	Title  string `json:"title"`
}

// CallsCatalog is the catalog's gap matrix, grouped into calls.
type CallsCatalog struct {
	Markets []string
	// Matrix is the catalog's gap matrix (the source of every cell).
	Matrix CatalogRef
	Groups []CallGroupIn
}

// Call is one call for missing standards, citing its sources.
type Call struct {
	N       int          `json:"n"`
	Kind    string       `json:"kind"`
	Heading string       `json:"heading"`
	Text    string       `json:"text"`
	Markets []string     `json:"markets"`
	Sectors []string     `json:"sectors"`
	Classes []string     `json:"classes"`
	Schemes []string     `json:"schemes,omitempty"`
	Cells   []CallCellIn `json:"cells"`
	Cites   []int        `json:"cites"`
}

// Calls is the document of calls for missing standards.
type Calls struct {
	Date      string        `json:"date"`
	Generated string        `json:"generated"`
	Markets   []string      `json:"markets"`
	Calls     []Call        `json:"calls"`
	Cells     int           `json:"cells"`
	Sources   []GuideSource `json:"sources"`
}

// Calls writes the catalog's grouped gaps on date as calls to standards
// bodies.
func (s *Service) Calls(ctx context.Context, date time.Time) (*Calls, error) {
	if s.CatalogCalls == nil {
		return nil, iotsec.Errorf(iotsec.ErrUnsupported, "the catalog is not available to the policy service")
	}
	if date.IsZero() {
		date = s.now()
	}
	c, err := s.CatalogCalls(ctx, date)
	if err != nil {
		return nil, err
	}
	out := &Calls{Date: date.UTC().Format("2006-01-02"), Generated: s.now().UTC().Format("2006-01-02"), Markets: c.Markets,
		Calls: []Call{}, Sources: []GuideSource{}}
	cited := map[string]int{}
	cite := func(kind string, r CatalogRef) int {
		ref := r.Scheme
		if n, ok := cited[ref]; ok {
			return n
		}
		n := len(out.Sources) + 1
		cited[ref] = n
		out.Sources = append(out.Sources, GuideSource{N: n, Kind: kind, Ref: ref, Title: r.Title, URL: r.URL, Clause: r.Clause})
		return n
	}
	matrix := cite("matrix", c.Matrix)
	for i, g := range c.Groups {
		call := Call{N: i + 1, Kind: g.Kind, Text: g.Text, Markets: g.Markets, Sectors: g.Sectors, Classes: g.Classes, Cells: g.Cells,
			Cites: []int{matrix}}
		if g.Kind == "missing-standard" {
			call.Heading = "A security standard for " + strings.Join(g.Sectors, ", ") + " in " + strings.Join(g.Markets, ", ")
		} else {
			call.Heading = "A scheme of the market for " + strings.Join(g.Sectors, ", ") + " in " + strings.Join(g.Markets, ", ")
		}
		if len(g.Schemes) > 0 {
			var slugs []string
			for _, sc := range g.Schemes {
				slugs = append(slugs, sc.Scheme)
			}
			call.Heading += ", beyond " + strings.Join(slugs, ", ")
		}
		for _, sc := range g.Schemes {
			call.Schemes = append(call.Schemes, sc.Scheme)
			call.Cites = append(call.Cites, cite("scheme", sc))
		}
		out.Cells += len(g.Cells)
		out.Calls = append(out.Calls, call)
	}
	return out, nil
}

// Markdown renders the calls as Markdown.
func (c *Calls) Markdown() ([]byte, error) {
	var buf bytes.Buffer
	err := mdCalls.Execute(&buf, c)
	return buf.Bytes(), err
}

// HTML renders the calls as a standalone HTML page.
func (c *Calls) HTML() ([]byte, error) {
	var buf bytes.Buffer
	err := htmlCalls.Execute(&buf, c)
	return buf.Bytes(), err
}

// callsStyle is the brief's style with borders for the tables of cells.
const callsStyle = briefStyle + "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .4rem}"

// DocumentStyleHashes are the CSP sources of every generated document's
// style element.
func DocumentStyleHashes() string {
	return BriefStyleHash() + " " + styleHash(callsStyle)
}

var mdCalls = texttemplate.Must(texttemplate.New("calls.md").Funcs(briefFuncs).Option("missingkey=error").Parse(`# Calls for missing standards

Gaps on {{.Date}} in {{join .Markets ", "}}; generated {{.Generated}} by iotsec from its catalog's gap matrix.
{{len .Calls}} calls cover {{.Cells}} cells (sector × product class × markets). Every call cites its sources.

## Contents
{{range .Calls}}
{{.N}}. {{.Heading}}{{end}}
- Sources
{{range .Calls}}
## {{.N}}. {{.Heading}}

{{.Text}} {{cites .Cites}}

- Kind: {{.Kind}}
- Markets: {{join .Markets ", "}}
- Sectors: {{join .Sectors ", "}}
- Product classes: {{join .Classes ", "}}{{with .Schemes}}
- International standards that address them: {{join . ", "}}{{end}}

| sector | product class |
|---|---|{{range .Cells}}
| {{.Sector}} | {{.Title}} ({{.Class}}) |{{end}}
{{end}}
## Sources
{{range .Sources}}
{{.N}}. {{.Title}}{{with .Clause}}, {{.}}{{end}}{{with .URL}} <{{.}}>{{end}} ({{.Kind}} {{.Ref}}){{end}}
`))

var htmlCalls = htmltemplate.Must(htmltemplate.New("calls.html").Funcs(htmltemplate.FuncMap{"join": strings.Join,
	"style": func() htmltemplate.CSS {
		return htmltemplate.CSS(briefStyle + "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .4rem}")
	}}).
	Option("missingkey=error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Calls for missing standards</title>
<style>{{style}}</style></head><body>
<h1>Calls for missing standards</h1>
<p>Gaps on {{.Date}} in {{join .Markets ", "}}; generated {{.Generated}} by iotsec from its catalog's gap matrix.
{{len .Calls}} calls cover {{.Cells}} cells (sector × product class × markets). Every call cites its sources.</p>
<nav><h2>Contents</h2><ol>{{range .Calls}}<li><a href="#c{{.N}}">{{.Heading}}</a></li>{{end}}<li><a href="#sources">Sources</a></li></ol></nav>
{{range .Calls}}<h2 id="c{{.N}}">{{.N}}. {{.Heading}}</h2>
<p>{{.Text}} {{range .Cites}}<a href="#s{{.}}">[{{.}}]</a>{{end}}</p>
<ul><li>Kind: {{.Kind}}</li><li>Markets: {{join .Markets ", "}}</li><li>Sectors: {{join .Sectors ", "}}</li>
<li>Product classes: {{join .Classes ", "}}</li>{{with .Schemes}}<li>International standards that address them: {{join . ", "}}</li>{{end}}</ul>
<table><thead><tr><th>sector</th><th>product class</th></tr></thead><tbody>{{range .Cells}}
<tr><td>{{.Sector}}</td><td>{{.Title}} ({{.Class}})</td></tr>{{end}}</tbody></table>
{{end}}<h2 id="sources">Sources</h2><ol>{{range .Sources}}
<li id="s{{.N}}" value="{{.N}}">{{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}{{with .Clause}}, {{.}}{{end}} ({{.Kind}} {{.Ref}})</li>{{end}}</ol>
</body></html>
`))
