package ui

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/policy"
)

// timelineYear reads the year and the fraction of it a dataset date
// (YYYY, YYYY-MM or YYYY-MM-DD) stands for; ok is false for anything else.
func timelineYear(d string) (float64, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, d); err == nil {
			return float64(t.Year()) + float64(t.YearDay()-1)/366, true
		}
	}
	return 0, false
}

// timeline draws the dates in force of the national measures: a row per
// jurisdiction, a dot per dated entry on a year axis, filled by its status
// on the day shown, a line at that day. The SVG scales to its box (no
// overflow at any width); the list below it says the same in words.
func timeline(events []policy.TimelineEvent, day time.Time) template.HTML {
	var rows []string
	lo, hi := float64(day.Year()), float64(day.Year()+1)
	for _, e := range events {
		y, ok := timelineYear(e.Date)
		if !ok {
			continue
		}
		lo, hi = min(lo, y), max(hi, y)
		if !slices.Contains(rows, e.Jurisdiction) {
			rows = append(rows, e.Jurisdiction)
		}
	}
	if len(rows) == 0 {
		return ""
	}
	slices.Sort(rows)
	first, last := int(lo), int(hi)+1
	const left, right, top, rowH, width = 52.0, 24.0, 22.0, 16.0, 720.0
	height := top + rowH*float64(len(rows)) + 8
	x := func(y float64) float64 { return left + (y-float64(first))/float64(last-first)*(width-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="tl-title tl-desc">`, width, height)
	b.WriteString(`<title id="tl-title">Dates in force of the national measures</title>`)
	fmt.Fprintf(&b, `<desc id="tl-desc">%d dated entries of %d jurisdictions from %d to %d; the list below gives each.</desc>`,
		len(events), len(rows), first, last)
	step := 1
	if last-first > 12 {
		step = 2
	}
	for yr := first; yr <= last; yr += step {
		fmt.Fprintf(&b, `<line class="tl-grid" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f"/>`, x(float64(yr)), x(float64(yr)), top-4, height-8)
		fmt.Fprintf(&b, `<text class="tl-year" x="%.1f" y="12" text-anchor="middle">%d</text>`, x(float64(yr)), yr)
	}
	for i, r := range rows {
		fmt.Fprintf(&b, `<text class="tl-label" x="4" y="%.1f">%s</text>`, top+rowH*float64(i)+rowH/2+3, esc(r))
	}
	today := float64(day.Year()) + float64(day.YearDay()-1)/366
	fmt.Fprintf(&b, `<line class="tl-today" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f"/>`, x(today), x(today), top-4, height-8)
	for _, e := range events {
		y, ok := timelineYear(e.Date)
		if !ok {
			continue
		}
		i := slices.Index(rows, e.Jurisdiction)
		fmt.Fprintf(&b, `<circle class="tl-dot tl-%s" cx="%.1f" cy="%.1f" r="4.5"><title>%s %s: %s from %s (%s)</title></circle>`,
			esc(e.Status), x(y), top+rowH*float64(i)+rowH/2, esc(e.Jurisdiction), esc(e.Measure), esc(e.Instrument), esc(e.Date), esc(e.Status))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
