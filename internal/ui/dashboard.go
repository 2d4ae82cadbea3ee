package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/iotsec/iotsec/internal/dashboard"
)

// dashboardPage draws a role's dashboard: the struct the dashboard service
// computed, the same the API answers; the page computes no figure.
func (h *Handler) dashboardPage(role string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		s := current(r)
		d, err := h.Dashboard.Any(r.Context(), s.actor, role, r.URL.Query().Get("market"))
		if err != nil {
			return err
		}
		return h.render(w, r, http.StatusOK, "dash_"+role, view{Nav: "dash-" + role, Data: map[string]any{"D": d}})
	}
}

// bars draws figures as horizontal bars, each bar a link to the list
// behind its figure, with a title and description for screen readers; the
// page's table beside it says the same in words.
func bars(title string, figs []dashboard.Figure) template.HTML {
	if len(figs) == 0 {
		return ""
	}
	const width, row, labelH, barH = 480, 38, 14, 16
	most := 1
	for _, f := range figs {
		most = max(most, f.Value)
	}
	height := len(figs)*row + 4
	id := "bars-" + strings.NewReplacer(" ", "-", "'", "").Replace(strings.ToLower(title))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dash-bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`,
		width, height, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(id), esc(title))
	var desc []string
	for _, f := range figs {
		desc = append(desc, fmt.Sprintf("%s: %d", f.Label, f.Value))
	}
	fmt.Fprintf(&b, `<desc id="%s-d">%s.</desc>`, esc(id), esc(strings.Join(desc, "; ")))
	for i, f := range figs {
		y := i*row + 2
		w := 0
		if f.Value > 0 {
			w = max(2, (width-60)*f.Value/most)
		}
		fmt.Fprintf(&b, `<a href="%s"><text class="db-label" x="0" y="%d">%s</text>`, esc(f.Href), y+labelH-2, esc(f.Label))
		fmt.Fprintf(&b, `<rect class="db-bar db-%s" x="0" y="%d" width="%d" height="%d"><title>%s: %d</title></rect>`,
			esc(f.Key), y+labelH+2, w, barH, esc(f.Label), f.Value)
		fmt.Fprintf(&b, `<text class="db-value" x="%d" y="%d">%d</text></a>`, w+6, y+labelH+barH-1, f.Value)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
