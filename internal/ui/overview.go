package ui

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
)

type stateCount struct {
	State iotsec.State
	Count int
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) error {
	s := current(r)
	if s.actor.OrgID == "" {
		return h.render(w, r, http.StatusOK, "account", view{Nav: "account", Data: map[string]any{"NoPassword": s.user.PasswordHash == "", "Error": ""}})
	}
	o, err := h.Store.Overview(r.Context(), s.actor, h.today())
	if err != nil {
		return err
	}
	var states []stateCount
	for _, st := range iotsec.States() {
		if n := o.DevicesByState[st]; n > 0 {
			states = append(states, stateCount{st, n})
		}
	}
	jobs, err := h.Store.ListJobs(r.Context(), s.actor, 5)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "overview", view{Nav: "overview", Data: map[string]any{"Overview": o, "States": states, "Jobs": jobs}})
}

// soonPages describe the capabilities that are not built yet, plainly.
var soonPages = map[string]map[string]any{
	"registry": {
		"Title":   "Registry & labels",
		"Summary": "Certified products with signed, publicly verifiable digital labels, and national policy measures.",
		"Will": []string{
			"A registry of labelled products with status history, expiry and revocation, and a public verification page behind each label's QR code.",
			"Mutual recognition between national labels.",
			"Country policy measures, generated good practice guides and strategy briefs, and dashboards per role.",
		},
		"Who": "Regulators, policy makers and executives.",
	},
}

func (h *Handler) soon(key string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.render(w, r, http.StatusOK, "soon", view{Nav: key, Data: soonPages[key]})
	}
}
