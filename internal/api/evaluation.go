package api

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
)

func (h *Handler) uploadImage(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if _, err := h.Store.GetFirmware(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	if err := contentType(r, "application/octet-stream"); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, h.Evaluation.MaxImage)
	job, err := h.Evaluation.Upload(r.Context(), a, r.PathValue("id"), r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return write(w, http.StatusAccepted, job)
}

func (h *Handler) getScan(w http.ResponseWriter, r *http.Request) error {
	sc, err := h.Store.GetScan(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, sc)
}

func (h *Handler) listScans(w http.ResponseWriter, r *http.Request) error {
	scs, err := h.Store.ListScans(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(scs))
}

func (h *Handler) listFindings(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.Store.ListFindings(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(fs))
}

func (h *Handler) listComponents(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.Store.ListComponents(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(cs))
}

// Verdicts is the answer of GET /firmware/{id}/verdicts.
type Verdicts struct {
	FirmwareID string                              `json:"firmware_id"`
	Scanned    bool                                `json:"scanned"`
	Verdicts   map[string]evaluation.SchemeVerdict `json:"verdicts"`
	Provisions []evaluation.ProvisionResult        `json:"provisions"`
	Counts     map[evaluation.Verdict]int          `json:"counts"`
	IXIT       []evaluation.IXITEntry              `json:"ixit"`
	// NoVerdicts, when set, says why there are no verdicts: no image
	// uploaded, or its image could not be scanned, and nothing an
	// assessor recorded (instead of a page of "incomplete" that rests on
	// nothing).
	NoVerdicts string `json:"no_verdicts,omitempty"`
}

// load reads the firmware version's evaluation with the verdicts of the
// schemes ?scheme=slug[:level] names (repeatable, or comma-separated).
func (h *Handler) load(r *http.Request) (*evaluation.Stored, error) {
	refs, err := h.Evaluation.SchemeRefs(r.URL.Query()["scheme"])
	if err != nil {
		return nil, err
	}
	return h.Evaluation.Load(r.Context(), actor(r), r.PathValue("id"), refs)
}

func (h *Handler) getVerdicts(w http.ResponseWriter, r *http.Request) error {
	st, err := h.load(r)
	if err != nil {
		return err
	}
	a := st.Result.Assessment
	ixit := st.IXIT
	if ixit == nil {
		ixit = []evaluation.IXITEntry{}
	}
	if why := st.NoVerdicts(); why != "" {
		return write(w, http.StatusOK, Verdicts{FirmwareID: r.PathValue("id"), Verdicts: map[string]evaluation.SchemeVerdict{},
			Provisions: []evaluation.ProvisionResult{}, Counts: map[evaluation.Verdict]int{}, IXIT: ixit, NoVerdicts: why})
	}
	return write(w, http.StatusOK, Verdicts{FirmwareID: r.PathValue("id"), Scanned: st.Scanned, Verdicts: st.Result.Verdicts,
		Provisions: a.Provisions, Counts: a.Counts, IXIT: ixit})
}

func (h *Handler) listEvidence(w http.ResponseWriter, r *http.Request) error {
	evs, err := h.Store.ListEvidence(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(evs))
}

func (h *Handler) addEvidence(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	var in evaluation.EvidenceInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	ev, err := h.Evaluation.RecordEvidence(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, ev)
}

func (h *Handler) getICS(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("format") == "csv" {
		b, err := h.Evaluation.ICSCSV(r.Context(), actor(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="ics.csv"`)
		_, err = w.Write(b)
		return err
	}
	ics, err := h.Evaluation.ICS(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, ics)
}

func (h *Handler) putICS(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	if err := contentType(r, "text/csv", "application/json"); err != nil {
		return err
	}
	ics, err := h.Evaluation.SaveICS(r.Context(), actor(r), r.PathValue("id"), http.MaxBytesReader(w, r.Body, evaluation.MaxICSBytes))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, ics)
}

func (h *Handler) putIXIT(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	var items []evaluation.IXITEntry
	if err := decode(w, r, h.MaxBody, &items); err != nil {
		return err
	}
	items, err := h.Evaluation.SetIXIT(r.Context(), actor(r), r.PathValue("id"), items)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, items)
}

// reportType is the content type of a format of GET
// /firmware/{id}/report; "" for a format it does not offer.
func reportType(format string) string {
	switch format {
	case "json":
		return "application/json"
	case "sarif":
		return "application/sarif+json"
	case "html":
		return "text/html; charset=utf-8"
	}
	return ""
}

func (h *Handler) getReport(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	refs, err := h.Evaluation.SchemeRefs(r.URL.Query()["scheme"])
	if err != nil {
		return err
	}
	rep, err := h.Evaluation.Report(r.Context(), actor(r), r.PathValue("id"), refs)
	if err != nil {
		return err
	}
	ct := reportType(format)
	if ct == "" {
		return iotsec.Invalid("format", "must be json, sarif or html")
	}
	var b bytes.Buffer
	if err := report.Write(&b, format, rep.Result, rep.Meta(h.Tool)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	if format == "html" {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+report.StyleHash()+"; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	}
	if format == "sarif" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.sarif"`, r.PathValue("id")))
	}
	_, err = w.Write(b.Bytes())
	return err
}
