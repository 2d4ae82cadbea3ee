package api

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) listRecognitions(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.Registry.Recognitions(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(rs))
}

func (h *Handler) requestRecognition(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		FromScheme string `json:"from_scheme"`
		FromLevel  string `json:"from_level"`
		ToScheme   string `json:"to_scheme"`
		ToLevel    string `json:"to_level"`
		Kind       string `json:"kind"`
		Rationale  string `json:"rationale"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	rq, err := h.Registry.RequestRecognition(r.Context(), actor(r), iotsec.RecognitionRequest{FromScheme: in.FromScheme, FromLevel: in.FromLevel,
		ToScheme: in.ToScheme, ToLevel: in.ToLevel, Kind: in.Kind, Rationale: in.Rationale})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, rq)
}

func (h *Handler) getRecognition(w http.ResponseWriter, r *http.Request) error {
	rq, err := h.Registry.Recognition(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rq)
}

func (h *Handler) agreeRecognition(w http.ResponseWriter, r *http.Request) error {
	rq, err := h.Registry.AgreeRecognition(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rq)
}

func (h *Handler) refuseRecognition(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	rq, err := h.Registry.RefuseRecognition(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rq)
}

func (h *Handler) withdrawRecognition(w http.ResponseWriter, r *http.Request) error {
	rq, err := h.Registry.WithdrawRecognition(r.Context(), actor(r), r.PathValue("id"), "")
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, rq)
}
