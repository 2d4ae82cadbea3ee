package api

import (
	"net/http"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

// policyDate reads ?date=YYYY-MM-DD, today when absent.
func (h *Handler) policyDate(r *http.Request) (time.Time, error) {
	s := r.URL.Query().Get("date")
	if s == "" {
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		return now().UTC().Truncate(24 * time.Hour), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, iotsec.Invalid("date", "%q is not YYYY-MM-DD", s)
	}
	return t, nil
}

func (h *Handler) policyCountries(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	rows, err := h.Policy.Countries(r.Context(), date)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(rows))
}

func (h *Handler) policyMeasures(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.Policy.Measures(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ms))
}

func (h *Handler) policyMatrix(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	m, err := h.Policy.Matrix(r.Context(), date)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, m)
}

// policyCountryView is one jurisdiction with the accepted changes to it.
type policyCountryView struct {
	*policy.CountryView
	Changes []policy.ProposalView `json:"changes"`
}

func (h *Handler) policyCountry(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	v, err := h.Policy.Country(r.Context(), r.PathValue("code"), date)
	if err != nil {
		return err
	}
	ch, err := h.Policy.History(r.Context(), v.Code)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, policyCountryView{CountryView: v, Changes: ch})
}

func (h *Handler) listPolicyProposals(w http.ResponseWriter, r *http.Request) error {
	st := iotsec.PolicyStatus(r.URL.Query().Get("status"))
	switch st {
	case "", iotsec.PolicyPending, iotsec.PolicyAccepted, iotsec.PolicyRejected:
	default:
		return iotsec.Invalid("status", "must be pending, accepted or rejected")
	}
	ps, err := h.Policy.Proposals(r.Context(), actor(r), st)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ps))
}

func (h *Handler) createPolicyProposal(w http.ResponseWriter, r *http.Request) error {
	var in policy.Proposal
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	p, err := h.Policy.Propose(r.Context(), actor(r), in)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, p)
}

func (h *Handler) getPolicyProposal(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Policy.Proposal(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) reviewPolicyProposal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Accept *bool  `json:"accept"`
		Note   string `json:"note"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if in.Accept == nil {
		return iotsec.Invalid("accept", "is required: true to accept, false to reject")
	}
	p, err := h.Policy.Review(r.Context(), actor(r), r.PathValue("id"), *in.Accept, in.Note)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

// policyBrief is a jurisdiction's strategy brief: JSON, or ?format=md,
// html or pdf for the document.
func (h *Handler) policyBrief(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	b, err := h.Policy.Brief(r.Context(), r.PathValue("code"), date)
	if err != nil {
		return err
	}
	return writeDocument(w, r, b)
}
