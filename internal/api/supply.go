package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln"
)

// The supply chain: the shared vulnerability data, each firmware version's
// SBOM, matches and VEX statements, CSAF advisories, CRA reports,
// notifications and support periods. Everything goes through the supply
// service and the store, which check the actor's organisation and role.

// sbomTypes are the media types of the SBOM formats.
var sbomTypes = map[string]string{
	"cyclonedx-json": "application/vnd.cyclonedx+json",
	"cyclonedx-xml":  "application/vnd.cyclonedx+xml",
	"spdx-json":      "application/spdx+json",
	"spdx-tag-value": "text/spdx",
}

// sbomUploadTypes are the Content-Types PUT /firmware/{id}/sbom takes; the
// format itself is detected from the content.
var sbomUploadTypes = []string{"application/vnd.cyclonedx+json", "application/vnd.cyclonedx+xml", "application/spdx+json", "text/spdx",
	"application/json", "application/xml", "text/xml", "text/plain"}

// maxMatches is the most matches one answer reads (the store's cap).
const maxMatches = 10000

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

// advisoryView is one stored advisory of a vulnerability.
type advisoryView struct {
	ID        string     `json:"id"`
	Source    string     `json:"source"`
	Aliases   []string   `json:"aliases"`
	Related   []string   `json:"related"`
	Status    string     `json:"status,omitempty"`
	Summary   string     `json:"summary"`
	Published time.Time  `json:"published,omitzero"`
	Modified  time.Time  `json:"modified,omitzero"`
	Withdrawn time.Time  `json:"withdrawn,omitzero"`
	CVSS      *vuln.CVSS `json:"cvss,omitempty"`
}

// matchBrief is one match on the vulnerability page.
type matchBrief struct {
	Component        string          `json:"component"`
	ComponentVersion string          `json:"component_version"`
	FixedVersion     string          `json:"fixed_version"`
	Via              string          `json:"via"`
	Reason           string          `json:"reason"`
	VEX              *vuln.Statement `json:"vex,omitempty"`
	Suppressed       bool            `json:"suppressed"`
	FirstSeen        time.Time       `json:"first_seen"`
}

// affectedVersion is a firmware version a vulnerability was found in.
type affectedVersion struct {
	ProductID  string `json:"product_id"`
	Product    string `json:"product"`
	Model      string `json:"model_number"`
	FirmwareID string `json:"firmware_id"`
	Version    string `json:"firmware_version"`
	// Devices run this version.
	Devices int `json:"devices"`
	// FixedVersion is the first fixed version of the affected component,
	// from the first open match that names one.
	FixedVersion string `json:"fixed_version"`
	// Suppressed is true when VEX says every match is not affected or
	// fixed.
	Suppressed bool         `json:"suppressed"`
	Matches    []matchBrief `json:"matches"`
}

// vulnerabilityView is the answer of GET /vulnerabilities/{id}.
type vulnerabilityView struct {
	ID               string            `json:"id"`
	Severity         string            `json:"severity"`
	CVSS             *vuln.CVSS        `json:"cvss,omitempty"`
	KEV              *vuln.KEV         `json:"kev,omitempty"`
	EPSS             *vuln.EPSS        `json:"epss,omitempty"`
	Advisories       []advisoryView    `json:"advisories"`
	VendorStatements []vuln.Statement  `json:"vendor_statements"`
	Affected         []affectedVersion `json:"affected"`
	// Devices run an affected version with an open match.
	Devices              int  `json:"devices"`
	DeviceCountsComplete bool `json:"device_counts_complete"`
}

func (h *Handler) getVulnerability(w http.ResponseWriter, r *http.Request) error {
	ctx, a, id := r.Context(), actor(r), strings.TrimSpace(r.PathValue("id"))
	d, err := h.Store.Vulnerability(ctx, id)
	if err != nil {
		return err
	}
	v := vulnerabilityView{ID: id, Advisories: []advisoryView{}, VendorStatements: []vuln.Statement{}, Affected: []affectedVersion{},
		DeviceCountsComplete: true}
	ids := []string{id}
	var metrics []vuln.CVSS
	for _, rec := range d.Advisories {
		adv, err := vuln.UnmarshalAdvisory(rec.Data)
		if err != nil {
			return err
		}
		av := advisoryView{ID: adv.ID, Source: adv.Source, Aliases: nonNil(adv.Aliases), Related: nonNil(adv.Related), Status: adv.Status,
			Summary: adv.Summary, Published: adv.Published, Modified: adv.Modified, Withdrawn: adv.Withdrawn, CVSS: vuln.BestCVSS(adv.CVSS)}
		v.Advisories = append(v.Advisories, av)
		metrics = append(metrics, adv.CVSS...)
		if !slices.Contains(ids, adv.ID) {
			ids = append(ids, adv.ID)
		}
		if v.KEV == nil && !adv.KEVAdded.IsZero() {
			v.KEV = &vuln.KEV{CVE: adv.ID, DateAdded: adv.KEVAdded}
		}
	}
	if v.CVSS = vuln.BestCVSS(metrics); v.CVSS != nil {
		v.Severity = strings.ToLower(v.CVSS.Severity)
	}
	if v.Severity == "" {
		v.Severity = "unknown"
	}
	// The catalogue's entry beats NVD's copy of its date; the one named
	// by the ID asked for beats one of an alias.
	catalogued := false
	for _, k := range d.KEV {
		var e vuln.KEV
		if err := json.Unmarshal(k.Data, &e); err != nil {
			return err
		}
		if !catalogued || e.CVE == id {
			v.KEV, catalogued = &e, true
		}
	}
	for _, e := range d.EPSS {
		if v.EPSS == nil || e.CVE == id {
			v.EPSS = &vuln.EPSS{CVE: e.CVE, Score: e.Score, Percentile: e.Percentile, Date: e.Date}
		}
	}
	for _, s := range d.Statements {
		var st vuln.Statement
		if err := json.Unmarshal(s.Data, &st); err != nil {
			return err
		}
		v.VendorStatements = append(v.VendorStatements, st)
	}

	// What it touches in the caller's organisation: matches are stored
	// under the advisory's own ID, which may be an alias of the one asked.
	var ms []iotsec.VulnMatch
	for _, vid := range ids {
		got, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{VulnID: vid, Suppressed: true, Limit: maxMatches})
		if err != nil {
			return err
		}
		ms = append(ms, got...)
	}
	if len(ms) == 0 {
		return write(w, http.StatusOK, v)
	}
	ps, err := h.Store.ListProducts(ctx, a)
	if err != nil {
		return err
	}
	products := map[string]iotsec.Product{}
	for _, p := range ps {
		products[p.ID] = p
	}
	byFW := map[string]*affectedVersion{}
	for _, m := range ms {
		mm, err := supply.MatchOf(m)
		if err != nil {
			return err
		}
		av := byFW[m.FirmwareID]
		if av == nil {
			p := products[m.ProductID]
			av = &affectedVersion{ProductID: m.ProductID, Product: p.Name, Model: p.Model, FirmwareID: m.FirmwareID, Version: m.Version, Suppressed: true}
			byFW[m.FirmwareID] = av
		}
		av.Matches = append(av.Matches, matchBrief{Component: m.Component, ComponentVersion: m.ComponentVersion, FixedVersion: m.FixedVersion,
			Via: mm.Via, Reason: mm.Reason, VEX: mm.VEX, Suppressed: m.Suppressed, FirstSeen: m.FirstSeen})
		if !m.Suppressed {
			av.Suppressed = false
			if av.FixedVersion == "" {
				av.FixedVersion = m.FixedVersion
			}
		}
	}
	counts, err := h.Store.DeviceCounts(ctx, a)
	if err != nil {
		return err
	}
	for _, av := range byFW {
		av.Devices = counts[av.FirmwareID]
		if !av.Suppressed {
			v.Devices += av.Devices
		}
		v.Affected = append(v.Affected, *av)
	}
	slices.SortFunc(v.Affected, func(x, y affectedVersion) int {
		return cmp.Or(cmp.Compare(x.Product, y.Product), cmp.Compare(x.ProductID, y.ProductID), cmp.Compare(x.Version, y.Version),
			cmp.Compare(x.FirmwareID, y.FirmwareID))
	})
	return write(w, http.StatusOK, v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
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
	return document(w, sbomTypes[format], r.PathValue("id")+ext, b.Bytes())
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
	if err := contentType(r, sbomUploadTypes...); err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxSBOM))
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
	a := actor(r)
	if err := h.Store.DeleteSBOM(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	if _, err := h.Supply.Rematch(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// matchView is one stored match: the engine's match with where it was
// found, when, and whether VEX suppresses it.
type matchView struct {
	vuln.Match
	FirmwareID string    `json:"firmware_id"`
	ProductID  string    `json:"product_id"`
	Version    string    `json:"firmware_version"`
	Severity   string    `json:"severity"` // lower case; unknown without CVSS
	FirstSeen  time.Time `json:"first_seen"`
	Suppressed bool      `json:"suppressed"`
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
	if f.Limit, err = limitParam(r, 1000, maxMatches); err != nil {
		return err
	}
	ms, err := h.Store.ListMatches(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := make([]matchView, 0, len(ms))
	for _, m := range ms {
		mm, err := supply.MatchOf(m)
		if err != nil {
			return err
		}
		out = append(out, matchView{Match: mm, FirmwareID: m.FirmwareID, ProductID: m.ProductID, Version: m.Version, Severity: m.Severity,
			FirstSeen: m.FirstSeen, Suppressed: m.Suppressed})
	}
	return write(w, http.StatusOK, list(out))
}

func (h *Handler) firmwareVulns(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	return h.listMatches(w, r, iotsec.MatchFilter{FirmwareID: r.PathValue("id")})
}

func (h *Handler) productVulns(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Store.GetProduct(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
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

// exposure is one component's exposure across the organisation's firmware.
type exposure struct {
	Component        string  `json:"component"`
	Version          string  `json:"component_version"`
	FirmwareVersions int     `json:"firmware_versions"`
	Products         int     `json:"products"`
	Vulnerabilities  int     `json:"vulnerabilities"` // distinct, open
	KEV              int     `json:"kev"`             // of them known to be exploited
	WorstSeverity    string  `json:"worst_severity"`
	MaxScore         float64 `json:"max_score"`
}

// exposureList is the answer of GET /components/exposure.
type exposureList struct {
	Items []exposure `json:"items"`
	// Truncated is true when the organisation has more open matches than
	// one answer reads (10,000), so the counts are lower bounds.
	Truncated bool `json:"truncated"`
}

func (h *Handler) componentExposure(w http.ResponseWriter, r *http.Request) error {
	f := iotsec.MatchFilter{Component: r.URL.Query().Get("component"), Limit: maxMatches}
	ms, err := h.Store.ListMatches(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	type acc struct {
		e                    exposure
		fws, products, vulns map[string]bool
		kev                  map[string]bool
	}
	by := map[[2]string]*acc{}
	for _, m := range ms {
		k := [2]string{m.Component, m.ComponentVersion}
		x := by[k]
		if x == nil {
			x = &acc{e: exposure{Component: m.Component, Version: m.ComponentVersion, WorstSeverity: "unknown"},
				fws: map[string]bool{}, products: map[string]bool{}, vulns: map[string]bool{}, kev: map[string]bool{}}
			by[k] = x
		}
		x.fws[m.FirmwareID], x.products[m.ProductID], x.vulns[m.VulnID] = true, true, true
		if m.KEV {
			x.kev[m.VulnID] = true
		}
		if supply.SeverityRank(m.Severity) > supply.SeverityRank(x.e.WorstSeverity) {
			x.e.WorstSeverity = m.Severity
		}
		x.e.MaxScore = max(x.e.MaxScore, m.Score)
	}
	out := exposureList{Items: make([]exposure, 0, len(by)), Truncated: len(ms) == maxMatches}
	for _, x := range by {
		x.e.FirmwareVersions, x.e.Products, x.e.Vulnerabilities, x.e.KEV = len(x.fws), len(x.products), len(x.vulns), len(x.kev)
		out.Items = append(out.Items, x.e)
	}
	slices.SortFunc(out.Items, func(x, y exposure) int {
		return cmp.Or(cmp.Compare(y.KEV, x.KEV), cmp.Compare(supply.SeverityRank(y.WorstSeverity), supply.SeverityRank(x.WorstSeverity)),
			cmp.Compare(y.MaxScore, x.MaxScore), cmp.Compare(y.FirmwareVersions, x.FirmwareVersions), cmp.Compare(x.Component, y.Component),
			cmp.Compare(x.Version, y.Version))
	})
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
	v := iotsec.VEXStatement{FirmwareID: r.PathValue("id"), VulnID: in.Vulnerability, Component: in.Component, ComponentVersion: in.ComponentVersion,
		Status: in.Status, Justification: in.Justification, Impact: in.Impact, Action: in.Action}
	if err := h.Store.AddVEX(r.Context(), a, &v); err != nil {
		return err
	}
	if _, err := h.Supply.Rematch(r.Context(), a, v.FirmwareID); err != nil {
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
	rs, err := h.Store.ListCRAReports(r.Context(), actor(r))
	if err != nil {
		return err
	}
	out := make([]supply.CRAView, 0, len(rs))
	for _, rep := range rs {
		v, err := h.Supply.CRA(rep)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return write(w, http.StatusOK, list(out))
}

func (h *Handler) getCRA(w http.ResponseWriter, r *http.Request) error {
	rep, err := h.Store.GetCRAReport(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := h.Supply.CRA(rep)
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
	old, err := h.Store.NotifySettings(r.Context(), a)
	if err != nil {
		return err
	}
	s := iotsec.NotifySettings{WebhookURL: in.WebhookURL, Email: in.Email, WebhookSecret: old.WebhookSecret}
	if in.WebhookSecret != nil {
		if len(*in.WebhookSecret) > 256 {
			return iotsec.Invalid("webhook_secret", "may be 256 bytes long")
		}
		s.WebhookSecret = *in.WebhookSecret
	}
	if err := h.Store.SetNotifySettings(r.Context(), a, s); err != nil {
		return err
	}
	s, err = h.Store.NotifySettings(r.Context(), a)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, notifyView{s.WebhookURL, s.Email, s.WebhookSecret != ""})
}

// supportRow is one firmware version's support period.
type supportRow struct {
	FirmwareID  string      `json:"firmware_id"`
	ProductID   string      `json:"product_id"`
	Product     string      `json:"product"`
	Model       string      `json:"model_number"`
	Version     string      `json:"version"`
	ReleaseDate iotsec.Date `json:"release_date"`
	SupportEnd  iotsec.Date `json:"support_end"`
	// Supported is true on and before the support end, and when no end
	// is set.
	Supported bool `json:"supported"`
	// DaysLeft counts the days to the support end (negative after it);
	// null without an end date.
	DaysLeft *int `json:"days_left"`
	Devices  int  `json:"devices"`
}

// supportView is the answer of GET /support.
type supportView struct {
	Today               iotsec.Date  `json:"today"`
	Items               []supportRow `json:"items"`
	UnsupportedVersions int          `json:"unsupported_versions"`
	DevicesUnsupported  int          `json:"devices_unsupported"`
	// DeviceCountsComplete says the per-version counts are exact; the
	// store counts every device, so it is true.
	DeviceCountsComplete bool `json:"device_counts_complete"`
}

func (h *Handler) support(w http.ResponseWriter, r *http.Request) error {
	ctx, a := r.Context(), actor(r)
	today := iotsec.DateOf(h.Now())
	fws, err := h.Store.ListFirmware(ctx, a, "")
	if err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(ctx, a)
	if err != nil {
		return err
	}
	products := map[string]iotsec.Product{}
	for _, p := range ps {
		products[p.ID] = p
	}
	counts, err := h.Store.DeviceCounts(ctx, a)
	if err != nil {
		return err
	}
	ov, err := h.Store.Overview(ctx, a, today)
	if err != nil {
		return err
	}
	v := supportView{Today: today, Items: make([]supportRow, 0, len(fws)), DevicesUnsupported: ov.DevicesUnsupported, DeviceCountsComplete: true}
	for _, f := range fws {
		p := products[f.ProductID]
		row := supportRow{FirmwareID: f.ID, ProductID: f.ProductID, Product: p.Name, Model: p.Model, Version: f.Version, ReleaseDate: f.ReleasedOn,
			SupportEnd: f.SupportEnd, Supported: f.Supported(today), Devices: counts[f.ID]}
		if !f.SupportEnd.IsZero() {
			days := int(f.SupportEnd.Time().Sub(today.Time()).Hours() / 24)
			row.DaysLeft = &days
		}
		if !row.Supported {
			v.UnsupportedVersions++
		}
		v.Items = append(v.Items, row)
	}
	slices.SortStableFunc(v.Items, func(x, y supportRow) int {
		return cmp.Or(cmp.Compare(x.Product, y.Product), cmp.Compare(x.ProductID, y.ProductID))
	})
	return write(w, http.StatusOK, v)
}
