package api

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// The supply chain: the shared vulnerability data, each firmware version's
// SBOM, matches and VEX statements, CSAF advisories, CRA reports,
// notifications and support periods. Everything goes through the supply
// service and the store, which check the actor's organisation and role.

// sbomTypes are the media types of the SBOM formats (a function, so no
// package state can be changed).
func sbomTypes() map[string]string {
	return map[string]string{
		"cyclonedx-json": "application/vnd.cyclonedx+json",
		"cyclonedx-xml":  "application/vnd.cyclonedx+xml",
		"spdx-json":      "application/spdx+json",
		"spdx-tag-value": "text/spdx",
	}
}

// sbomUploadTypes are the Content-Types PUT /firmware/{id}/sbom takes; the
// format itself is detected from the content.
func sbomUploadTypes() []string {
	return []string{"application/vnd.cyclonedx+json", "application/vnd.cyclonedx+xml", "application/spdx+json", "text/spdx",
		"application/json", "application/xml", "text/xml", "text/plain"}
}

func limitParam(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, iotsec.Invalid("limit", "must be a whole number from 1 to %d", max)
	}
	return n, nil
}

// document writes a rendered document with its media type.
func document(w http.ResponseWriter, ct, filename string, body []byte) error {
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	if filename != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	}
	_, err := w.Write(body)
	return err
}

// vulnDB is the answer of GET /vulndb.
type vulnDB struct {
	Sources []iotsec.VulnSource `json:"sources"`
	Imports []iotsec.VulnImport `json:"imports"`
}

// getVulnDB sums up the shared vulnerability data; every signed-in actor
// may see it.
func (h *Handler) getVulnDB(w http.ResponseWriter, r *http.Request) error {
	srcs, imps, err := h.Store.VulnSources(r.Context())
	if err != nil {
		return err
	}
	if srcs == nil {
		srcs = []iotsec.VulnSource{}
	}
	if imps == nil {
		imps = []iotsec.VulnImport{}
	}
	return write(w, http.StatusOK, vulnDB{srcs, imps})
}

func (h *Handler) getVulnerability(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Supply.Vulnerability(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, v)
}

func (h *Handler) getSBOM(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "cyclonedx-json"
	}
	var b bytes.Buffer
	if err := h.Supply.WriteSBOM(r.Context(), actor(r), r.PathValue("id"), format, &b); err != nil {
		return err
	}
	ext := map[string]string{"cyclonedx-json": ".cdx.json", "cyclonedx-xml": ".cdx.xml", "spdx-json": ".spdx.json", "spdx-tag-value": ".spdx"}[format]
	return document(w, sbomTypes()[format], r.PathValue("id")+ext, b.Bytes())
}

// sbomImport is the answer of PUT /firmware/{id}/sbom.
type sbomImport struct {
	SBOM   iotsec.SBOM   `json:"sbom"`
	Result supply.Result `json:"result"`
}

func (h *Handler) putSBOM(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	// Another organisation's firmware is a 404 before the body is read.
	if _, err := h.Store.GetFirmware(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := contentType(r, sbomUploadTypes()...); err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.Supply.MaxSBOM))
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "the SBOM"
	}
	if len(name) > 200 {
		return iotsec.Invalid("name", "is longer than 200 characters")
	}
	b, res, err := h.Supply.ImportSBOM(r.Context(), a, r.PathValue("id"), name, data)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, sbomImport{b, res})
}

// deleteSBOM removes an imported SBOM; the version's components are those
// of its scan again, and it is matched again.
func (h *Handler) deleteSBOM(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Supply.DeleteSBOM(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listMatches answers with the matches f selects, after the query's
// suppressed, kev and limit parameters.
func (h *Handler) listMatches(w http.ResponseWriter, r *http.Request, f iotsec.MatchFilter) error {
	var err error
	if f.Suppressed, err = boolParam(r.URL.Query(), "suppressed"); err != nil {
		return err
	}
	if f.KEV, err = boolParam(r.URL.Query(), "kev"); err != nil {
		return err
	}
	if f.Limit, err = limitParam(r, 1000, supply.MaxMatches); err != nil {
		return err
	}
	ms, err := h.Supply.Matches(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ms))
}

func (h *Handler) firmwareVulns(w http.ResponseWriter, r *http.Request) error {
	return h.listMatches(w, r, iotsec.MatchFilter{FirmwareID: r.PathValue("id")})
}

func (h *Handler) productVulns(w http.ResponseWriter, r *http.Request) error {
	return h.listMatches(w, r, iotsec.MatchFilter{ProductID: r.PathValue("id")})
}

func (h *Handler) rematch(w http.ResponseWriter, r *http.Request) error {
	res, err := h.Supply.Rematch(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, res)
}

func (h *Handler) productCSAF(w http.ResponseWriter, r *http.Request) error {
	var b bytes.Buffer
	if err := h.Supply.WriteCSAF(r.Context(), actor(r), r.PathValue("id"), &b); err != nil {
		return err
	}
	return document(w, "application/json", r.PathValue("id")+".csaf.json", b.Bytes())
}

func (h *Handler) componentExposure(w http.ResponseWriter, r *http.Request) error {
	out, err := h.Supply.Exposure(r.Context(), actor(r), r.URL.Query().Get("component"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) listVEX(w http.ResponseWriter, r *http.Request) error {
	vs, err := h.Store.ListVEX(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(vs))
}

// vexInput is the body of POST /firmware/{id}/vex.
type vexInput struct {
	Vulnerability    string `json:"vulnerability"`
	Component        string `json:"component"`
	ComponentVersion string `json:"component_version"`
	Status           string `json:"status"`
	Justification    string `json:"justification"`
	Impact           string `json:"impact"`
	Action           string `json:"action"`
}

// addVEX records a statement and matches the version again, so that it
// applies at once.
func (h *Handler) addVEX(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if _, err := h.Store.GetFirmware(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	var in vexInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	v, _, err := h.Supply.AddVEX(r.Context(), a, iotsec.VEXStatement{FirmwareID: r.PathValue("id"), VulnID: in.Vulnerability,
		Component: in.Component, ComponentVersion: in.ComponentVersion, Status: in.Status, Justification: in.Justification, Impact: in.Impact,
		Action: in.Action})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, v)
}

func (h *Handler) exportVEX(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "openvex"
	}
	var b bytes.Buffer
	if err := h.Supply.WriteVEX(r.Context(), actor(r), r.PathValue("id"), format, &b); err != nil {
		return err
	}
	ct, ext := "application/json", ".openvex.json"
	if format == "cyclonedx" {
		ct, ext = "application/vnd.cyclonedx+json", ".vex.cdx.json"
	}
	return document(w, ct, r.PathValue("id")+ext, b.Bytes())
}

func (h *Handler) listCRA(w http.ResponseWriter, r *http.Request) error {
	out, err := h.Supply.CRAReports(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(out))
}

func (h *Handler) getCRA(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Supply.CRAReport(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, v)
}

// craInput is the body of PATCH /cra-reports/{id}. The time is a string
// so a bad one is reported against its field.
type craInput struct {
	FixAvailableAt *string           `json:"fix_available_at"`
	Sent           []string          `json:"sent"`
	Fields         map[string]string `json:"fields"`
}

func (h *Handler) updateCRA(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if _, err := h.Store.GetCRAReport(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	var in craInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	var fix *time.Time
	if in.FixAvailableAt != nil {
		t, err := time.Parse(time.RFC3339, *in.FixAvailableAt)
		if err != nil {
			return iotsec.Invalid("fix_available_at", "must be an RFC 3339 time such as 2026-03-01T12:00:00Z")
		}
		fix = &t
	}
	v, err := h.Supply.UpdateCRA(r.Context(), a, r.PathValue("id"), fix, in.Sent, in.Fields)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, v)
}

func (h *Handler) listNotifications(w http.ResponseWriter, r *http.Request) error {
	unread, err := boolParam(r.URL.Query(), "unread")
	if err != nil {
		return err
	}
	n, err := limitParam(r, 100, 1000)
	if err != nil {
		return err
	}
	ns, err := h.Store.ListNotifications(r.Context(), actor(r), unread, n)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ns))
}

// listDeliveries shows how each batch of notifications went out over the
// webhook and e-mail: sent, retrying (with the reason and next time) or
// failed (with the reason).
func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	n, err := limitParam(r, 50, 500)
	if err != nil {
		return err
	}
	ds, err := h.Supply.Deliveries(r.Context(), actor(r), n)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ds))
}

// readInput is the body of POST /notifications/read; no IDs means all.
type readInput struct {
	IDs []string `json:"ids"`
}

func (h *Handler) markRead(w http.ResponseWriter, r *http.Request) error {
	var in readInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if len(in.IDs) > 1000 {
		return iotsec.Invalid("ids", "may name at most 1000 notifications; send none to mark all read")
	}
	if err := h.Store.MarkRead(r.Context(), actor(r), in.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notifyView is an organisation's notification settings; the webhook
// secret is never shown, only whether one is set.
type notifyView struct {
	WebhookURL       string `json:"webhook_url"`
	Email            string `json:"email"`
	WebhookSecretSet bool   `json:"webhook_secret_set"`
}

// notifyInput is the body of PUT /notify-settings. An absent
// webhook_secret keeps the one set; an empty one removes it.
type notifyInput struct {
	WebhookURL    string  `json:"webhook_url"`
	Email         string  `json:"email"`
	WebhookSecret *string `json:"webhook_secret"`
}

func (h *Handler) getNotify(w http.ResponseWriter, r *http.Request) error {
	s, err := h.Store.NotifySettings(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, notifyView{s.WebhookURL, s.Email, s.WebhookSecret != ""})
}

func (h *Handler) putNotify(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	var in notifyInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	s, err := h.Supply.SaveNotifySettings(r.Context(), a, in.WebhookURL, in.Email, in.WebhookSecret)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, notifyView{s.WebhookURL, s.Email, s.WebhookSecret != ""})
}

func (h *Handler) support(w http.ResponseWriter, r *http.Request) error {
	v, err := h.Supply.SupportPeriods(r.Context(), actor(r), 0)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, v)
}
