package ui

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// The Supply chain pages: an overview, the organisation's open
// vulnerabilities and components, one firmware version's SBOM, matches and
// VEX, CRA report drafts, notifications and support periods. Everything
// goes through the supply service and the store interfaces.

// maxShownComponents bounds the components table of a firmware version.
const maxShownComponents = 1000

// craFieldLabels say what each CRA text is for (Art. 14(2) of Regulation
// (EU) 2024/2847).
func craFieldLabels() map[string]string {
	return map[string]string{
		"member_states":       "Member States where the product is made available",
		"general_nature":      "General nature of the exploit and of the vulnerability",
		"corrective_measures": "Corrective or mitigating measures taken",
		"user_measures":       "Corrective or mitigating measures users can take",
		"sensitivity":         "How sensitive the notified information is",
		"severity_impact":     "Severity and impact of the vulnerability",
		"threat_actor":        "Information on any malicious actor that exploited it",
		"security_update":     "The security update or other corrective measure made available",
	}
}

// supplyTabs is what the tab bar of every supply page shows.
type supplyTabs struct {
	Tab        string
	Unread     int
	UnreadMore bool
}

// supplyView renders a supply page with its tabs.
func (h *Handler) supplyView(w http.ResponseWriter, r *http.Request, status int, page, tab string, data map[string]any) error {
	a := current(r).actor
	ns, err := h.Store.ListNotifications(r.Context(), a, true, 100)
	if err != nil {
		return err
	}
	data["Tabs"] = supplyTabs{Tab: tab, Unread: len(ns), UnreadMore: len(ns) == 100}
	return h.render(w, r, status, page, view{Nav: "supply-chain", Data: data})
}

// supplyHome is the overview of the organisation's supply chain.
func (h *Handler) supplyHome(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ov, err := h.Supply.Overview(r.Context(), a)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply", "overview", map[string]any{
		"Severities": ov.Severities, "Matches": ov.Matches, "Truncated": ov.Truncated, "KEV": ov.KEV,
		"Fresh": ov.Fresh, "FreshTotal": ov.FreshTotal, "CRA": ov.CRA, "Sources": ov.Sources, "Imports": ov.Imports,
		"Unread": ov.Unread})
}

// supplyVulns lists the organisation's open matches by vulnerability.
func (h *Handler) supplyVulns(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	q := r.URL.Query()
	f := supply.VulnFilter{KEV: q.Get("kev") != "" && q.Get("kev") != "0", Severity: q.Get("severity")}
	if !slices.Contains(supply.Severities(), f.Severity) {
		f.Severity = "" // a filter link the page no longer offers shows everything
	}
	v, err := h.Supply.Vulnerabilities(r.Context(), a, f)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply_vulns", "vulnerabilities", map[string]any{
		"Groups": v.Groups, "KEV": f.KEV, "Severity": f.Severity, "Severities": supply.Severities(), "Truncated": v.Truncated})
}

func (h *Handler) supplyVuln(w http.ResponseWriter, r *http.Request) error {
	return h.supplyVulnPage(w, r, r.PathValue("id"), http.StatusOK, nil)
}

// supplyVulnPage shows one vulnerability and what it affects here.
func (h *Handler) supplyVulnPage(w http.ResponseWriter, r *http.Request, id string, status int, formErr error) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	v, err := h.Supply.Vulnerability(r.Context(), a, id)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, status, "supply_vuln", "vulnerabilities", map[string]any{
		"V": v, "Statuses": vexStatuses(), "Justifications": iotsec.VEXJustifications(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts),
		"Next": "/supply/vulnerabilities/" + id, "Error": errText(formErr)})
}

func vexStatuses() []string {
	return []string{iotsec.VEXNotAffected, iotsec.VEXAffected, iotsec.VEXFixed, iotsec.VEXUnderInvestigation}
}

// supplyComponents ranks the components by exposure.
func (h *Handler) supplyComponents(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	e, err := h.Supply.Exposure(r.Context(), a, "")
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply_components", "components", map[string]any{
		"Components": e.Items, "Truncated": e.Truncated})
}

func (h *Handler) supplyFirmware(w http.ResponseWriter, r *http.Request) error {
	return h.supplyFirmwarePage(w, r, http.StatusOK, nil)
}

// supplyFirmwarePage is one firmware version's SBOM, matches and VEX.
func (h *Handler) supplyFirmwarePage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	ctx := r.Context()
	v, err := h.Supply.Firmware(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	fw, comps := v.Firmware, v.Components
	return h.supplyView(w, r, status, "supply_firmware", "firmware", map[string]any{
		"Firmware": fw, "Product": v.Product, "Source": v.Source, "SBOM": v.SBOM, "Components": comps[:min(len(comps), maxShownComponents)],
		"ComponentCount": len(comps), "PerComponent": v.PerComponent, "Matches": v.Matches, "Open": v.Open, "VEX": v.VEX,
		"Options": v.Options, "VulnIDs": v.VulnIDs, "Statuses": vexStatuses(), "Justifications": iotsec.VEXJustifications(),
		"SBOMFormats": supply.SBOMFormats(), "VEXFormats": supply.VEXFormats(), "Devices": v.Devices,
		"Clocks": v.Clocks, "ExploitedNotAffected": v.ExploitedNotAffected, "Today": h.today(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "MaxMiB": h.Supply.MaxSBOM >> 20,
		"Error": errText(formErr), "Problems": iotsec.DetailsOf(formErr), "Next": "/supply/firmware/" + fw.ID})
}

// rematch matches a firmware version again against the current data.
func (h *Handler) rematch(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.Supply.Rematch(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/supply/firmware/"+r.PathValue("id")+"?done=rematched", http.StatusSeeOther)
	return nil
}

// uploadSBOM imports a maker's SBOM for a firmware version.
func (h *Handler) uploadSBOM(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	file, hdr, err := r.FormFile("sbom")
	if err != nil {
		return h.supplyFirmwarePage(w, r, http.StatusBadRequest, iotsec.Invalid("sbom", "choose an SBOM file (CycloneDX or SPDX)"))
	}
	defer file.Close()
	// One byte over the service's limit is enough for it to refuse.
	data, err := io.ReadAll(io.LimitReader(file, h.Supply.MaxSBOM+1))
	if err != nil {
		return err
	}
	if _, _, err := h.Supply.ImportSBOM(r.Context(), a, r.PathValue("id"), hdr.Filename, data); err != nil {
		if formError(err) || iotsec.Kind(err) == iotsec.ErrTooLarge {
			return h.supplyFirmwarePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/supply/firmware/"+r.PathValue("id")+"?done=sbom-imported", http.StatusSeeOther)
	return nil
}

// addVEX records a VEX statement for a firmware version, matches it again
// so the statement applies, and goes back to the page the form was on.
func (h *Handler) addVEX(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	fwID := r.PathValue("id")
	v := iotsec.VEXStatement{FirmwareID: fwID, VulnID: r.PostFormValue("vulnerability"), Component: r.PostFormValue("component"),
		ComponentVersion: r.PostFormValue("component_version"), Status: r.PostFormValue("status"),
		Justification: r.PostFormValue("justification"), Impact: r.PostFormValue("impact"), Action: r.PostFormValue("action")}
	if ref := r.PostFormValue("component_ref"); ref != "" {
		// name@version, split at the last @ (npm names start with one).
		i := strings.LastIndex(ref, "@")
		if i <= 0 {
			v.Component, v.ComponentVersion = ref, ""
		} else {
			v.Component, v.ComponentVersion = ref[:i], ref[i+1:]
		}
	}
	if v.Status != iotsec.VEXNotAffected {
		v.Justification = "" // the select keeps a value whatever the status; only not_affected takes one
	}
	next := "/supply/firmware/" + fwID
	if u, err := url.Parse(r.PostFormValue("next")); err == nil && strings.HasPrefix(u.Path, "/supply/") && u.Host == "" && u.Scheme == "" {
		next = localPath(u.EscapedPath())
	}
	if _, _, err := h.Supply.AddVEX(r.Context(), a, v); err != nil {
		if formError(err) {
			if id, ok := strings.CutPrefix(next, "/supply/vulnerabilities/"); ok {
				id, _ = url.PathUnescape(id)
				return h.supplyVulnPage(w, r, id, http.StatusBadRequest, err)
			}
			return h.supplyFirmwarePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, next+"?done=vex-added", http.StatusSeeOther)
	return nil
}

// download formats: content type and file name ending.
func downloadTypes() map[string][2]string {
	return map[string][2]string{
		"cyclonedx-json": {"application/vnd.cyclonedx+json", ".cdx.json"},
		"cyclonedx-xml":  {"application/vnd.cyclonedx+xml", ".cdx.xml"},
		"spdx-json":      {"application/spdx+json", ".spdx.json"},
		"spdx-tag-value": {"text/spdx; charset=utf-8", ".spdx"},
		"openvex":        {"application/json", ".openvex.json"},
		"cyclonedx":      {"application/vnd.cyclonedx+json", ".vex.cdx.json"},
		"csaf":           {"application/json", ".csaf.json"},
	}
}

// fileName keeps letters, digits, dots, dashes and underscores.
func fileName(parts ...string) string {
	s := strings.Join(parts, "-")
	return strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' {
			return c
		}
		return '_'
	}, s)
}

func sendFile(w http.ResponseWriter, format, name string, b []byte) error {
	t := downloadTypes()[format]
	w.Header().Set("Content-Type", t[0])
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+t[1]+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(b)
	return err
}

// firmwareName is the file name stem of a firmware version's documents.
func (h *Handler) firmwareName(ctx context.Context, a iotsec.Actor, id string) (string, error) {
	fw, err := h.Store.GetFirmware(ctx, a, id)
	if err != nil {
		return "", err
	}
	p, err := h.Store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return "", err
	}
	return fileName(cmp.Or(p.Model, p.Name), fw.Version), nil
}

// downloadSBOM writes the firmware version's SBOM in the format asked.
func (h *Handler) downloadSBOM(w http.ResponseWriter, r *http.Request) error {
	a, id := current(r).actor, r.PathValue("id")
	format := cmp.Or(r.URL.Query().Get("format"), "cyclonedx-json")
	name, err := h.firmwareName(r.Context(), a, id)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := h.Supply.WriteSBOM(r.Context(), a, id, format, &b); err != nil {
		return err
	}
	return sendFile(w, format, name, b.Bytes())
}

// downloadVEX writes the firmware version's own VEX statements.
func (h *Handler) downloadVEX(w http.ResponseWriter, r *http.Request) error {
	a, id := current(r).actor, r.PathValue("id")
	format := cmp.Or(r.URL.Query().Get("format"), "cyclonedx")
	name, err := h.firmwareName(r.Context(), a, id)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := h.Supply.WriteVEX(r.Context(), a, id, format, &b); err != nil {
		return err
	}
	return sendFile(w, format, name, b.Bytes())
}

// downloadCSAF writes a product's CSAF VEX advisory.
func (h *Handler) downloadCSAF(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	p, err := h.Store.GetProduct(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := h.Supply.WriteCSAF(r.Context(), a, p.ID, &b); err != nil {
		return err
	}
	return sendFile(w, "csaf", fileName(cmp.Or(p.Model, p.Name)), b.Bytes())
}

// supplyCRAs lists the CRA report drafts with their deadlines.
func (h *Handler) supplyCRAs(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	rows, err := h.Supply.CRAReports(r.Context(), a)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply_cras", "cra", map[string]any{"Reports": rows})
}

func (h *Handler) supplyCRA(w http.ResponseWriter, r *http.Request) error {
	return h.supplyCRAPage(w, r, http.StatusOK, nil)
}

type craField struct {
	Name, Label, Value string
}

func (h *Handler) supplyCRAPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	ctx := r.Context()
	rep, err := h.Supply.CRAReport(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	ms, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: rep.FirmwareID, VulnID: rep.VulnID, Suppressed: true})
	if err != nil {
		return err
	}
	var fields []craField
	labels := craFieldLabels()
	for _, f := range supply.CRAFields() {
		fields = append(fields, craField{Name: f, Label: labels[f], Value: rep.Fields[f]})
	}
	return h.supplyView(w, r, status, "supply_cra", "cra", map[string]any{
		"R": rep, "Matches": ms, "Fields": fields, "FinalStage": supply.StageFinal,
		"CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "Error": errText(formErr)})
}

// updateCRA records the fix time, sent stages and texts of a report.
func (h *Handler) updateCRA(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err // before the form is read
	}
	var fixAt *time.Time
	if s := strings.TrimSpace(r.PostFormValue("fix_available_at")); s != "" {
		var t time.Time
		var err error
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err = time.ParseInLocation(layout, s, time.UTC); err == nil {
				break
			}
		}
		if err != nil {
			return h.supplyCRAPage(w, r, http.StatusBadRequest, iotsec.Invalid("fix_available_at", "give a date and time (UTC) like 2026-09-20T09:00"))
		}
		fixAt = &t
	}
	fields := map[string]string{}
	for _, f := range supply.CRAFields() {
		if r.PostForm.Has(f) {
			fields[f] = r.PostFormValue(f)
		}
	}
	if _, err := h.Supply.UpdateCRA(r.Context(), a, r.PathValue("id"), fixAt, r.PostForm["sent"], fields); err != nil {
		if formError(err) {
			return h.supplyCRAPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/supply/cra/"+r.PathValue("id")+"?done=cra-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) supplyNotifications(w http.ResponseWriter, r *http.Request) error {
	return h.supplyNotificationsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) supplyNotificationsPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ns, err := h.Store.ListNotifications(r.Context(), a, false, 200)
	if err != nil {
		return err
	}
	// How each batch went out: every member may see it, as in the API.
	ds, err := h.Supply.Deliveries(r.Context(), a, 50)
	if err != nil {
		return err
	}
	data := map[string]any{"Notifications": ns, "Deliveries": ds, "CanManage": a.Role.Allows(iotsec.PermManageTokens), "Error": errText(formErr)}
	if a.Role.Allows(iotsec.PermManageTokens) {
		s, err := h.Store.NotifySettings(r.Context(), a)
		if err != nil {
			return err
		}
		data["Settings"] = s
		data["HasSecret"] = s.WebhookSecret != ""
		data["HasMail"] = h.Supply.Mail != nil
	}
	return h.supplyView(w, r, status, "supply_notifications", "notifications", data)
}

func (h *Handler) readNotifications(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.MarkRead(r.Context(), current(r).actor, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/supply/notifications?done=notifications-read", http.StatusSeeOther)
	return nil
}

func (h *Handler) saveNotifySettings(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return err
	}
	var secret *string // keep the one set
	switch v := r.PostFormValue("webhook_secret"); {
	case v != "":
		secret = &v
	case r.PostFormValue("clear_secret") == "on":
		secret = new(string)
	}
	if _, err := h.Supply.SaveNotifySettings(r.Context(), a, r.PostFormValue("webhook_url"), r.PostFormValue("email"), secret); err != nil {
		if formError(err) {
			return h.supplyNotificationsPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/supply/notifications?done=notify-saved", http.StatusSeeOther)
	return nil
}

// supplySupport lists every firmware version's support period and the
// devices still running versions past it.
func (h *Handler) supplySupport(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	const showDevices = 20
	v, err := h.Supply.SupportPeriods(r.Context(), a, showDevices)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply_support", "support", map[string]any{
		"Rows": v.Items, "Ended": v.UnsupportedVersions, "OnEnded": v.DevicesUnsupported, "Today": v.Today, "ShowDevices": showDevices})
}
