package ui

import (
	"net/http"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Recognition requests: submitted on the registry page, answered on the
// regulator's dashboard, where the organisation's requests are listed.

// recognitionsDone lands on the dashboard's list of requests.
func (h *Handler) recognitionsDone(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if formError(err) {
		return h.registryPage(w, r, http.StatusBadRequest, err, r.PostForm)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/regulator?done="+done+"#recognition-requests", http.StatusSeeOther)
	return nil
}

func (h *Handler) requestRecognition(w http.ResponseWriter, r *http.Request) error {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	_, err := h.Registry.RequestRecognition(r.Context(), current(r).actor, iotsec.RecognitionRequest{FromScheme: f("from_scheme"), FromLevel: f("from_level"),
		ToScheme: f("to_scheme"), ToLevel: f("to_level"), Kind: f("kind"), Rationale: r.PostFormValue("rationale")})
	return h.recognitionsDone(w, r, err, "recognition-requested")
}

func (h *Handler) agreeRecognition(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Registry.AgreeRecognition(r.Context(), current(r).actor, r.PathValue("id"))
	return h.recognitionsDone(w, r, err, "recognition-agreed")
}

func (h *Handler) refuseRecognition(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Registry.RefuseRecognition(r.Context(), current(r).actor, r.PathValue("id"), r.PostFormValue("reason"))
	return h.recognitionsDone(w, r, err, "recognition-refused")
}

func (h *Handler) withdrawRecognition(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Registry.WithdrawRecognition(r.Context(), current(r).actor, r.PathValue("id"), "")
	return h.recognitionsDone(w, r, err, "recognition-withdrawn")
}
