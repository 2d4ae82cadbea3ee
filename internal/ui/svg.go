package ui

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/catalog"
)

// The catalog's pictures, drawn on the server as inline SVG: no JavaScript,
// styled by classes in app.css (the content security policy allows no
// inline styles), each with a title and description for screen readers and
// a table beside it that says the same in words. Every text that reaches
// the SVG is escaped: imported schemes carry strangers' IDs and titles.

func esc(s string) string { return template.HTMLEscapeString(s) }

// heatmap draws a comparison as a matrix: a row per provision of A, a
// column per provision of B, a cell where B's provision covers A's (dark
// when it is part of a full cover, light when it only overlaps). A strip on
// the left gives each row's own coverage.
// heatmapMaxWidth is the widest a heatmap is drawn: the content column
// of a 1366-pixel window, less the box's padding.
const heatmapMaxWidth = 1040

func heatmap(c *catalog.Comparison) template.HTML {
	rows, cols := c.Provisions, c.BProvisions
	if len(rows) == 0 || len(cols) == 0 {
		return ""
	}
	// Cells shrink as the matrix grows; small ones get bigger text too.
	cell, char, size := 14, 7, "hm-small"
	switch n := max(len(cols), len(rows)); {
	case n > 70:
		cell = 8
	case n > 40:
		cell = 11
	case n <= 12:
		cell, char, size = 24, 9, "hm-large"
	}
	labelW, labelH, strip := 8+char*maxLen(rowIDs(rows)), 8+(char-1)*maxLen(colIDs(cols)), cell+4
	width := labelW + strip + len(cols)*cell + 2
	height := labelH + len(rows)*cell + 2
	col := make(map[string]int, len(cols))
	for j, b := range cols {
		col[b.ID] = j
	}
	var full, part int
	var b strings.Builder
	// Drawn larger than the viewBox, up to 20-pixel cells and the width of
	// a laptop's content column, so a small matrix fills its box rather
	// than a corner of it; the stylesheet shrinks it to a narrower box down
	// to a floor, below which the box scrolls.
	zoom := max(1, min(20/float64(cell), heatmapMaxWidth/float64(width)))
	fmt.Fprintf(&b, `<svg class="heatmap %s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="hm-title hm-desc">`,
		size, width, height, int(float64(width)*zoom), int(float64(height)*zoom))
	fmt.Fprintf(&b, `<title id="hm-title">How %s covers %s</title>`, esc(c.B.String()), esc(c.A.String()))
	var cells strings.Builder
	for i, p := range rows {
		y := labelH + i*cell
		fmt.Fprintf(&cells, `<text class="hm-label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-4, y+cell/2+char/2, esc(p.ID))
		fmt.Fprintf(&cells, `<rect class="hm-row hm-%s" x="%d" y="%d" width="%d" height="%d"><title>%s %s: %s</title></rect>`,
			p.Coverage, labelW, y, cell-1, cell-1, esc(c.A.Slug), esc(p.ID), p.Coverage)
		for _, cv := range p.Covers {
			j, ok := col[cv.ID]
			if !ok {
				continue
			}
			cls := "hm-partial"
			if cv.Coverage == catalog.CoverFull {
				cls = "hm-full"
				full++
			} else {
				part++
			}
			fmt.Fprintf(&cells, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"><title>%s %s covered by %s %s: %s</title></rect>`,
				cls, labelW+strip+j*cell, y, cell-1, cell-1, esc(c.A.Slug), esc(p.ID), esc(c.B.Slug), esc(cv.ID), cv.Coverage)
		}
	}
	fmt.Fprintf(&b, `<desc id="hm-desc">Rows are the %d provisions of %s, columns the %d provisions of %s. %d cells are part of a full cover, %d only overlap. %d of %s's provisions are covered fully, %d in part, %d not at all. The table below lists the same.</desc>`,
		len(rows), esc(c.A.String()), len(cols), esc(c.B.String()), full, part, c.Stats.Full, esc(c.A.String()), c.Stats.Partial, c.Stats.None)
	// Grid lines every five columns and rows help the eye.
	for j := 0; j <= len(cols); j += 5 {
		x := labelW + strip + j*cell - 1
		fmt.Fprintf(&b, `<line class="hm-grid" x1="%d" y1="%d" x2="%d" y2="%d"/>`, x, labelH, x, height-2)
	}
	for i := 0; i <= len(rows); i += 5 {
		y := labelH + i*cell - 1
		fmt.Fprintf(&b, `<line class="hm-grid" x1="%d" y1="%d" x2="%d" y2="%d"/>`, labelW+strip, y, width-2, y)
	}
	for j, p := range cols {
		x := labelW + strip + j*cell + cell/2 + char/2
		fmt.Fprintf(&b, `<text class="hm-label" x="%d" y="%d" transform="rotate(-90 %d %d)">%s</text>`, x, labelH-4, x, labelH-4, esc(p.ID))
	}
	b.WriteString(cells.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func rowIDs(ps []catalog.ProvisionCompare) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func colIDs(ps []catalog.Brief) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func maxLen(ss []string) int {
	n := 1
	for _, s := range ss {
		n = max(n, len([]rune(s)))
	}
	return min(n, 24)
}

// graphEdge is one drawn recognition edge.
type graphEdge struct {
	Agreement, Title, Kind, Status string
	From, To                       string // node keys
	FromLevel, ToLevel             string
	Effective                      catalog.Date
	Note                           string
}

// recognitionGraph draws the labels that take part in mutual recognition
// as nodes on a circle and each agreement edge as an arrow from the label
// held to what it counts as: solid for deemed equivalence, dashed for a
// simplified route, faded when the agreement is not active. It returns the
// SVG and the edges, for the table beside it.
func recognitionGraph(agreements []catalog.Agreement, title func(slug string) (string, bool)) (template.HTML, []graphEdge) {
	var edges []graphEdge
	nodes := map[string]bool{}
	key := func(l catalog.LabelRef) string {
		if l.Scheme != "" {
			return l.Scheme
		}
		return "ext:" + l.External
	}
	for _, a := range agreements {
		for _, e := range a.Edges {
			from, to := key(e.From), key(e.To)
			nodes[from], nodes[to] = true, true
			edges = append(edges, graphEdge{Agreement: a.ID, Title: a.Title, Kind: e.Kind, Status: a.Status, From: from, To: to,
				FromLevel: e.From.MinLevel, ToLevel: e.To.Level, Effective: a.Effective, Note: e.Note})
		}
	}
	if len(nodes) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(nodes))
	for k := range nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const size, radius = 560, 200
	cx, cy := size/2, size/2
	pos := map[string][2]float64{}
	for i, k := range keys {
		a := 2*math.Pi*float64(i)/float64(len(keys)) - math.Pi/2
		pos[k] = [2]float64{float64(cx) + radius*math.Cos(a), float64(cy) + radius*math.Sin(a)}
	}
	label := func(k string) string {
		if ext, ok := strings.CutPrefix(k, "ext:"); ok {
			return ext
		}
		return k
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="rg-title rg-desc">`, size, size, size, size)
	b.WriteString(`<title id="rg-title">Mutual recognition between IoT security labels</title>`)
	fmt.Fprintf(&b, `<desc id="rg-desc">%d labels and %d recognition edges from %d agreements. An arrow runs from the label held to what it counts as; solid arrows are deemed equivalence, dashed ones a simplified route; faded ones belong to agreements that are dormant or pending. The table below lists every edge.</desc>`,
		len(keys), len(edges), len(agreements))
	b.WriteString(`<defs><marker id="rg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="rg-head" d="M0,0 L10,5 L0,10 z"/></marker></defs>`)
	seen := map[[2]string]int{}
	for _, e := range edges {
		p, q := pos[e.From], pos[e.To]
		pair := [2]string{e.From, e.To}
		n := seen[pair]
		seen[pair]++
		// Curve each edge; a second edge between the same pair curves
		// further, and the reverse direction bends the other way.
		dx, dy := q[0]-p[0], q[1]-p[1]
		d := math.Hypot(dx, dy)
		if d == 0 {
			continue
		}
		ux, uy := dx/d, dy/d
		const r = 9 // node radius: start and end at the circles' edges
		sx, sy := p[0]+ux*r, p[1]+uy*r
		ex, ey := q[0]-ux*(r+2), q[1]-uy*(r+2)
		off := 18 * float64(n+1)
		mx, my := (sx+ex)/2-uy*off, (sy+ey)/2+ux*off
		cls := "rg-edge rg-" + e.Kind
		if e.Status != "active" {
			cls += " rg-inactive"
		}
		fmt.Fprintf(&b, `<path class="%s" d="M%.1f,%.1f Q%.1f,%.1f %.1f,%.1f" marker-end="url(#rg-arrow)"><title>%s</title></path>`,
			cls, sx, sy, mx, my, ex, ey, esc(edgeText(e, label)))
	}
	for _, k := range keys {
		p := pos[k]
		// Labels sit outside the circle, on the side the node is on.
		anchor, lx := "start", p[0]+13
		if p[0] < float64(cx)-1 {
			anchor, lx = "end", p[0]-13
		} else if math.Abs(p[0]-float64(cx)) <= 1 {
			anchor, lx = "middle", p[0]
		}
		ly := p[1] + 4
		if math.Abs(p[0]-float64(cx)) <= 1 {
			ly = p[1] - 14
			if p[1] > float64(cy) {
				ly = p[1] + 22
			}
		}
		name := label(k)
		tip := name
		if t, ok := title(k); ok {
			tip = name + ": " + t
		}
		cls := "rg-node"
		if strings.HasPrefix(k, "ext:") {
			cls += " rg-external"
			tip += " (not in the catalog)"
		}
		if !strings.HasPrefix(k, "ext:") {
			fmt.Fprintf(&b, `<a href="/catalog/schemes/%s">`, esc(k))
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="9"><title>%s</title></circle><text class="rg-label" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`,
			cls, p[0], p[1], esc(tip), lx, ly, anchor, esc(name))
		if !strings.HasPrefix(k, "ext:") {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), edges
}

func edgeText(e graphEdge, label func(string) string) string {
	from := label(e.From)
	if e.FromLevel != "" {
		from += " (level " + e.FromLevel + " or higher)"
	}
	to := label(e.To)
	if e.ToLevel != "" {
		to += " level " + e.ToLevel
	}
	kind := "counts as"
	if e.Kind == catalog.SimplifiedRoute {
		kind = "gives a simplified route to"
	}
	return fmt.Sprintf("%s %s %s (%s, %s)", from, kind, to, e.Agreement, e.Status)
}
