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
