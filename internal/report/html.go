package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/scan"
)

//go:embed report.css
var css string

//go:embed report.html
var page string

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"status": statusWord,
	"lower":  strings.ToLower,
	"verdictClass": func(v assess.Verdict) string {
		return map[assess.Verdict]string{assess.Fail: "bad", assess.AtRisk: "warn", assess.Pass: "ok", assess.NotApplicable: "muted"}[v]
	},
	"statusClass": func(s string) string {
		return map[string]string{assess.StatusNotMet: "bad", assess.StatusMet: "ok"}[s]
	},
	"join": strings.Join,
}).Parse(page))

// StyleHash is the CSP source ('sha256-...') of the report's one inline
// style element, so a server can allow exactly it and nothing else.
func StyleHash() string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// HTML writes a self-contained, printable report: summary charts as
// inline SVG (findings by severity and by category, every scheme's
// status), the scheme verdicts, the failing EN 303 645 provisions,
// findings and components. It needs no script, font or image from
// anywhere.
func HTML(w io.Writer, r *scan.Result, m Meta) error {
	var failing []assess.Result
	if r.Assessment != nil {
		for _, p := range r.Assessment.Provisions {
			if p.Verdict == assess.Fail || p.Source == assess.SourceAssessor {
				failing = append(failing, p)
			}
		}
	}
	sev := countBy(r.Findings, func(f inspect.Finding) string { return string(f.Severity) })
	var sevBars []bar
	for _, s := range severities {
		sevBars = append(sevBars, bar{Label: string(s), N: sev[string(s)], Colour: sevColour[string(s)]})
	}
	cat := countBy(r.Findings, func(f inspect.Finding) string { return f.Category })
	var catBars []bar
	for _, k := range sortedKeys(cat) {
		catBars = append(catBars, bar{Label: k, N: cat[k], Colour: "#4a6fa5"})
	}
	data := map[string]any{
		"CSS": template.CSS(css), "R": r, "M": m, "Severity": severityLine(r.Findings),
		"SeverityChart": barChart("Findings by severity", sevBars),
		"CategoryChart": barChart("Findings by category", catBars),
		"SchemeChart":   schemeChart(r.Schemes),
		"Failing":       failing,
		"Bases":         bases,
		"Readings":      schemeReadings(r.Schemes),
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// schemeReading is a scheme's verdicts read provision by provision.
type schemeReading struct {
	Scheme string
	Rows   []reading
}

func schemeReadings(vs []assess.SchemeVerdict) []schemeReading {
	var out []schemeReading
	for _, v := range vs {
		out = append(out, schemeReading{Scheme: schemeName(v), Rows: readings(v)})
	}
	return out
}

var sevColour = map[string]string{"critical": "#7a0010", "high": "#c0392b", "medium": "#e67e22", "low": "#d4ac0d", "info": "#7f8c8d"}

type bar struct {
	Label  string
	N      int
	Colour string
}

// barChart draws horizontal bars with their counts.
func barChart(title string, bars []bar) template.HTML {
	const width, labelW, rowH = 420, 130, 22
	maxN := 1
	for _, b := range bars {
		maxN = max(maxN, b.N)
	}
	h := rowH*len(bars) + 8
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`,
		width, h, width, h, template.HTMLEscapeString(title))
	for i, b := range bars {
		y := i*rowH + 4
		w := (width - labelW - 50) * b.N / maxN
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#222">%s</text>`, labelW-6, y+14, template.HTMLEscapeString(b.Label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="16" fill="%s"/>`, labelW, y+2, max(w, 1), b.Colour)
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" fill="#222">%d</text>`, labelW+max(w, 1)+6, y+14, b.N)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// schemeChart draws one row per scheme (at its reported level): a status
// chip and a stacked bar of its provisions by projected verdict.
func schemeChart(vs []assess.SchemeVerdict) template.HTML {
	const width, labelW, chipW, rowH = 680, 190, 84, 20
	h := rowH*len(vs) + 30
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d"><title>Scheme status</title>`, width, h, width, h)
	barW := width - labelW - chipW - 12
	for i, v := range vs {
		y := i*rowH + 2
		name := v.ShortTitle
		if v.Level != "" {
			name += " " + v.Level
		}
		colour := map[string]string{assess.StatusNotMet: "#c0392b", assess.StatusMet: "#27ae60"}[v.Status]
		if colour == "" {
			colour = "#95a5a6"
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#222">%s</text>`, labelW-6, y+13, template.HTMLEscapeString(name))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="16" rx="3" fill="%s"/>`, labelW, y+1, chipW-6, colour)
		fmt.Fprintf(&s, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#fff">%s</text>`, labelW+(chipW-6)/2, y+13, strings.ReplaceAll(v.Status, "-", " "))
		c := v.Counts
		total := max(c.Total, 1)
		x := labelW + chipW
		for _, seg := range []struct {
			n      int
			colour string
		}{{c.Fail, "#c0392b"}, {c.AtRisk, "#e67e22"}, {c.Pass, "#27ae60"}, {c.NA, "#bdc3c7"}, {c.Open, "#ecf0f1"}} {
			w := barW * seg.n / total
			if w > 0 {
				fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%d" height="16" fill="%s" stroke="#fff" stroke-width="0.5"/>`, x, y+1, w, seg.colour)
				x += w
			}
		}
	}
	ly := len(vs)*rowH + 14
	lx := labelW + chipW
	for _, l := range []struct{ name, colour string }{{"fail", "#c0392b"}, {"at risk", "#e67e22"}, {"pass", "#27ae60"}, {"n/a", "#bdc3c7"}, {"open", "#ecf0f1"}} {
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="10" height="10" fill="%s" stroke="#999" stroke-width="0.5"/><text x="%d" y="%d" font-size="11" fill="#222">%s</text>`,
			lx, ly-9, l.colour, lx+14, ly, l.name)
		lx += 80
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
