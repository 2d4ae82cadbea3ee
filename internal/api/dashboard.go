package api

import (
	"net/http"
)

// dashboard answers a role's dashboard: the same struct the web UI draws.
func (h *Handler) dashboard(role string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, err := h.Dashboard.Any(r.Context(), actor(r), role, r.URL.Query().Get("market"))
		if err != nil {
			return err
		}
		return write(w, http.StatusOK, d)
	}
}
