package api

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
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

// procurementInput is a procurement policy as a client sends it.
type procurementInput struct {
	Name            string                    `json:"name"`
	Labels          []iotsec.LabelRequirement `json:"labels"`
	MinSupportYears int                       `json:"min_support_years"`
	NoKEV           bool                      `json:"no_kev_match"`
	SBOMRequired    bool                      `json:"sbom_required"`
}

func (in procurementInput) policy(id string) iotsec.ProcurementPolicy {
	return iotsec.ProcurementPolicy{ID: id, Name: in.Name, Labels: in.Labels, MinSupportYears: in.MinSupportYears, NoKEV: in.NoKEV, SBOMRequired: in.SBOMRequired}
}

func (h *Handler) listProcurement(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.Store.ListProcurementPolicies(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ps))
}

func (h *Handler) createProcurement(w http.ResponseWriter, r *http.Request) error {
	var in procurementInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	p := in.policy("")
	if err := h.Store.CreateProcurementPolicy(r.Context(), actor(r), &p); err != nil {
		return err
	}
	return write(w, http.StatusCreated, p)
}

func (h *Handler) getProcurement(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Store.GetProcurementPolicy(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) updateProcurement(w http.ResponseWriter, r *http.Request) error {
	var in procurementInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	p := in.policy(r.PathValue("id"))
	if err := h.Store.UpdateProcurementPolicy(r.Context(), actor(r), &p); err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) deleteProcurement(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteProcurementPolicy(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkInput names a policy and a product, by product ID or label ID.
type checkInput struct {
	PolicyID  string `json:"policy_id"`
	ProductID string `json:"product_id"`
	LabelID   string `json:"label_id"`
}

func (h *Handler) checkProcurement(w http.ResponseWriter, r *http.Request) error {
	var in checkInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	v, err := h.Dashboard.Check(r.Context(), actor(r), in.PolicyID, in.ProductID, in.LabelID)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, v)
}
