package ui

import (
	"html/template"
	"net/http"

	"github.com/iotsec/iotsec/internal/policy"
)

// policyLetter is a matrix cell's status as a letter, so colour is not the
// only carrier of meaning.
var policyLetter = map[string]string{policy.InForce: "F", policy.Adopted: "A", policy.Voluntary: "V", policy.Planned: "P", policy.None: "–"}

// policyHome is the world table: jurisdictions × measures, each cell the
// strongest status on the chosen date.
func (h *Handler) policyHome(w http.ResponseWriter, r *http.Request) error {
	day, ds, derr := h.queryDate(r.URL.Query())
	data := map[string]any{"Date": ds, "Error": "", "M": nil, "Measures": []policy.Measure{}, "Letter": policyLetter,
		"Events": []policy.TimelineEvent{}, "Timeline": template.HTML("")}
	status := http.StatusOK
	if derr != nil {
		data["Error"], status = errText(derr), http.StatusBadRequest
	}
	ms, err := h.Policy.Measures(r.Context())
	if err != nil {
		return err
	}
	m, err := h.Policy.Matrix(r.Context(), day)
	if err != nil {
		return err
	}
	events, err := h.Policy.Timeline(r.Context(), day)
	if err != nil {
		return err
	}
	data["Measures"], data["M"], data["Events"], data["Timeline"] = ms, m, events, timeline(events, day)
	return h.render(w, r, status, "policy", view{Title: "National measures", Nav: "policy", Data: data})
}

// policyCountry is one jurisdiction's measures, what it has none of, and
// the accepted changes to it.
func (h *Handler) policyCountry(w http.ResponseWriter, r *http.Request) error {
	day, ds, derr := h.queryDate(r.URL.Query())
	v, err := h.Policy.Country(r.Context(), r.PathValue("code"), day)
	if err != nil {
		return err
	}
	changes, err := h.Policy.History(r.Context(), v.Code)
	if err != nil {
		return err
	}
	ms, err := h.Policy.Measures(r.Context())
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, m := range ms {
		titles[m.Code] = m.Title
	}
	data := map[string]any{"Date": ds, "Error": "", "V": v, "Changes": changes, "Titles": titles, "Letter": policyLetter}
	status := http.StatusOK
	if derr != nil {
		data["Error"], status = errText(derr), http.StatusBadRequest
	}
	return h.render(w, r, status, "policy_country", view{Title: v.Name + " · national measures", Nav: "policy", Data: data})
}

// policyBrief is the strategy brief of a jurisdiction as a download:
// ?format=html (default), md or pdf.
func (h *Handler) policyBrief(w http.ResponseWriter, r *http.Request) error {
	day, _, err := h.queryDate(r.URL.Query())
	if err != nil {
		return err
	}
	b, err := h.Policy.Brief(r.Context(), r.PathValue("code"), day)
	if err != nil {
		return err
	}
	return writeGenerated(w, r, b, "brief-"+b.Code)
}
