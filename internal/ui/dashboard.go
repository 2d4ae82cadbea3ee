package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// dashboardPage draws a role's dashboard: the struct the dashboard service
// computed, the same the API answers; the page computes no figure.
func (h *Handler) dashboardPage(role string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if role == "ciso" {
			return h.cisoPage(w, r, http.StatusOK, nil, nil)
		}
		s := current(r)
		d, err := h.Dashboard.Any(r.Context(), s.actor, role, r.URL.Query().Get("market"))
		if err != nil {
			return err
		}
		// CanAnswer: owners and admins move recognition requests.
		return h.render(w, r, http.StatusOK, "dash_"+role, view{Nav: "dash-" + role, Data: map[string]any{"D": d,
			"CanAnswer": s.actor.Role.Allows(iotsec.PermManageMembers)}})
	}
}

// cisoPage draws the CISO's dashboard with the procurement forms, and a
// verdict or a form's error when there is one.
func (h *Handler) cisoPage(w http.ResponseWriter, r *http.Request, status int, verdict *dashboard.Verdict, formErr error) error {
	a := current(r).actor
	d, err := h.Dashboard.CISO(r.Context(), a)
	if err != nil {
		return err
	}
	pols, err := h.Store.ListProcurementPolicies(r.Context(), a)
	if err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, status, "dash_ciso", view{Nav: "dash-ciso", Data: map[string]any{"D": d, "Policies": pols, "Products": ps,
		"Verdict": verdict, "Error": errText(formErr)}})
}

// checkProduct answers the procurement check form.
func (h *Handler) checkProduct(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Dashboard.Check(r.Context(), current(r).actor, r.PostFormValue("policy_id"), r.PostFormValue("product_id"),
		strings.TrimSpace(r.PostFormValue("label_id")))
	if err != nil {
		if formError(err) || iotsec.Kind(err) == iotsec.ErrNotFound {
			return h.cisoPage(w, r, http.StatusBadRequest, nil, err)
		}
		return err
	}
	return h.cisoPage(w, r, http.StatusOK, &v, nil)
}

// createPolicy stores a procurement policy from the form: one label
// requirement at most; the API takes several.
func (h *Handler) createPolicy(w http.ResponseWriter, r *http.Request) error {
	p := iotsec.ProcurementPolicy{Name: r.PostFormValue("name"), NoKEV: r.PostFormValue("no_kev") != "", SBOMRequired: r.PostFormValue("sbom") != ""}
	if y := strings.TrimSpace(r.PostFormValue("min_support_years")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil {
			return h.cisoPage(w, r, http.StatusBadRequest, nil, iotsec.Invalid("min_support_years", "must be a whole number of years"))
		}
		p.MinSupportYears = n
	}
	if sc := strings.TrimSpace(r.PostFormValue("scheme")); sc != "" {
		p.Labels = []iotsec.LabelRequirement{{Market: r.PostFormValue("market"), Scheme: sc, MinLevel: r.PostFormValue("min_level")}}
	}
	if err := h.Store.CreateProcurementPolicy(r.Context(), current(r).actor, &p); err != nil {
		if formError(err) {
			return h.cisoPage(w, r, http.StatusBadRequest, nil, err)
		}
		return err
	}
	http.Redirect(w, r, "/dashboard/ciso#procurement", http.StatusSeeOther)
	return nil
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

// trend draws a weekly series as a line over the days of its points, the
// whole chart a link to the list behind the figure, with a title and a
// description that says every point for screen readers; the page's table
// says the same in words. A percentage's axis runs to 100.
func trend(t dashboard.Trend) template.HTML {
	if len(t.Points) == 0 {
		return ""
	}
	const width, height, left, right, top, bottom = 480, 150, 36, 16, 12, 28
	most := 1
	if t.Unit == "%" {
		most = 100
	}
	for _, p := range t.Points {
		most = max(most, p.Value)
	}
	first, last := t.Points[0].Day.Time(), t.Points[len(t.Points)-1].Day.Time()
	span := max(1, last.Sub(first).Hours()/24)
	x := func(p dashboard.Point) int {
		return left + int(float64(width-left-right)*(p.Day.Time().Sub(first).Hours()/24)/span)
	}
	y := func(v int) int { return top + (height-top-bottom)*(most-v)/most }
	id := "trend-" + strings.NewReplacer(":", "-", " ", "-").Replace(strings.ToLower(t.Key))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dash-trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d">`,
		width, height, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-t">%s, by week</title>`, esc(id), esc(t.Label))
	var desc []string
	for _, p := range t.Points {
		desc = append(desc, fmt.Sprintf("%s: %d%s", p.Day, p.Value, t.Unit))
	}
	fmt.Fprintf(&b, `<desc id="%s-d">%s.</desc>`, esc(id), esc(strings.Join(desc, "; ")))
	fmt.Fprintf(&b, `<a href="%s">`, esc(t.Href))
	// Axes: the top value and zero on the left, the first and last day
	// below.
	fmt.Fprintf(&b, `<line class="dt-axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, y(0), width-right, y(0))
	fmt.Fprintf(&b, `<text class="dt-tick" x="%d" y="%d" text-anchor="end">%d%s</text>`, left-4, y(most)+4, most, esc(t.Unit))
	fmt.Fprintf(&b, `<text class="dt-tick" x="%d" y="%d" text-anchor="end">0</text>`, left-4, y(0)+4)
	fmt.Fprintf(&b, `<text class="dt-tick" x="%d" y="%d">%s</text>`, left, height-6, t.Points[0].Day)
	if len(t.Points) > 1 {
		fmt.Fprintf(&b, `<text class="dt-tick" x="%d" y="%d" text-anchor="end">%s</text>`, width-right, height-6, t.Points[len(t.Points)-1].Day)
		var pts []string
		for _, p := range t.Points {
			pts = append(pts, fmt.Sprintf("%d,%d", x(p), y(p.Value)))
		}
		fmt.Fprintf(&b, `<polyline class="dt-line" points="%s"/>`, strings.Join(pts, " "))
	}
	for _, p := range t.Points {
		fmt.Fprintf(&b, `<circle class="dt-point dt-%s" cx="%d" cy="%d" r="4"><title>%s: %d%s (%s)</title></circle>`,
			esc(p.Source), x(p), y(p.Value), p.Day, p.Value, esc(t.Unit), esc(p.Source))
	}
	b.WriteString(`</a></svg>`)
	return template.HTML(b.String())
}
