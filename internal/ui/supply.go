package ui

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln"
)

// The Supply chain pages: an overview, the organisation's open
// vulnerabilities and components, one firmware version's SBOM, matches and
// VEX, CRA report drafts, notifications and support periods. Everything
// goes through the supply service and the store interfaces.

// maxMatches is how many matches a page reads at most (the store's limit).
const maxMatches = 10000

// maxShownComponents bounds the components table of a firmware version.
const maxShownComponents = 1000

// severities in the order pages show them.
var severities = []string{"critical", "high", "medium", "low", "none", "unknown"}

// craFieldLabels say what each CRA text is for (Art. 14(2) of Regulation
// (EU) 2024/2847).
var craFieldLabels = map[string]string{
	"member_states":       "Member States where the product is made available",
	"general_nature":      "General nature of the exploit and of the vulnerability",
	"corrective_measures": "Corrective or mitigating measures taken",
	"user_measures":       "Corrective or mitigating measures users can take",
	"sensitivity":         "How sensitive the notified information is",
	"severity_impact":     "Severity and impact of the vulnerability",
	"threat_actor":        "Information on any malicious actor that exploited it",
	"security_update":     "The security update or other corrective measure made available",
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

// inventoryMaps is the organisation's products and firmware versions by ID.
type inventoryMaps struct {
	Products map[string]iotsec.Product
	Firmware map[string]iotsec.FirmwareVersion
	fws      []iotsec.FirmwareVersion
}

func (h *Handler) inventoryOf(ctx context.Context, a iotsec.Actor) (inventoryMaps, error) {
	m := inventoryMaps{Products: map[string]iotsec.Product{}, Firmware: map[string]iotsec.FirmwareVersion{}}
	ps, err := h.Store.ListProducts(ctx, a)
	if err != nil {
		return m, err
	}
	for _, p := range ps {
		m.Products[p.ID] = p
	}
	if m.fws, err = h.Store.ListFirmware(ctx, a, ""); err != nil {
		return m, err
	}
	for _, f := range m.fws {
		m.Firmware[f.ID] = f
	}
	return m, nil
}

type sevCount struct {
	Severity       string
	Matches, Vulns int
}

type kevFirmware struct {
	Product  iotsec.Product
	Firmware iotsec.FirmwareVersion
	Vulns    []string
}

type craRow struct {
	supply.CRAView
	Product  iotsec.Product
	Firmware iotsec.FirmwareVersion
	Next     *supply.Deadline // the first stage not sent
	Overdue  bool
}

func (h *Handler) craRows(ctx context.Context, a iotsec.Actor, inv inventoryMaps, rs []iotsec.CRAReport) ([]craRow, error) {
	out := make([]craRow, 0, len(rs))
	for _, r := range rs {
		v, err := h.Supply.CRA(r)
		if err != nil {
			return nil, err
		}
		row := craRow{CRAView: v, Product: inv.Products[r.ProductID], Firmware: inv.Firmware[r.FirmwareID]}
		for i := range v.Deadlines {
			d := &v.Deadlines[i]
			if d.Overdue {
				row.Overdue = true
			}
			if row.Next == nil && d.Sent.IsZero() {
				row.Next = d
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// supplyHome is the overview of the organisation's supply chain.
func (h *Handler) supplyHome(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ctx := r.Context()
	inv, err := h.inventoryOf(ctx, a)
	if err != nil {
		return err
	}
	ms, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{Limit: maxMatches})
	if err != nil {
		return err
	}
	sev := map[string]*sevCount{}
	for _, s := range severities {
		sev[s] = &sevCount{Severity: s}
	}
	vulnsBy := map[string]map[string]bool{}
	kev := map[string]*kevFirmware{}
	var kevOrder []string
	since := h.Now().Add(-7 * 24 * time.Hour)
	var fresh []iotsec.VulnMatch
	for _, m := range ms {
		c, ok := sev[m.Severity]
		if !ok {
			c = sev["unknown"]
		}
		c.Matches++
		if vulnsBy[c.Severity] == nil {
			vulnsBy[c.Severity] = map[string]bool{}
		}
		vulnsBy[c.Severity][m.VulnID] = true
		if m.KEV {
			k, ok := kev[m.FirmwareID]
			if !ok {
				k = &kevFirmware{Product: inv.Products[m.ProductID], Firmware: inv.Firmware[m.FirmwareID]}
				kev[m.FirmwareID] = k
				kevOrder = append(kevOrder, m.FirmwareID)
			}
			if !slices.Contains(k.Vulns, m.VulnID) {
				k.Vulns = append(k.Vulns, m.VulnID)
			}
		}
		if !m.FirstSeen.Before(since) {
			fresh = append(fresh, m)
		}
	}
	var counts []sevCount
	for _, s := range severities {
		c := sev[s]
		c.Vulns = len(vulnsBy[s])
		if c.Matches > 0 || (s != "none" && s != "unknown") {
			counts = append(counts, *c)
		}
	}
	var kevs []kevFirmware
	for _, id := range kevOrder {
		kevs = append(kevs, *kev[id])
	}
	slices.SortStableFunc(fresh, func(x, y iotsec.VulnMatch) int { return y.FirstSeen.Compare(x.FirstSeen) })
	const showFresh = 25
	freshTotal := len(fresh)
	fresh = fresh[:min(len(fresh), showFresh)]
	reports, err := h.Store.ListCRAReports(ctx, a)
	if err != nil {
		return err
	}
	cras, err := h.craRows(ctx, a, inv, reports)
	if err != nil {
		return err
	}
	var open []craRow
	for _, c := range cras {
		if c.Next != nil {
			open = append(open, c)
		}
	}
	sources, imports, err := h.Store.VulnSources(ctx)
	if err != nil {
		return err
	}
	unread, err := h.Store.ListNotifications(ctx, a, true, 1000)
	if err != nil {
		return err
	}
	return h.supplyView(w, r, http.StatusOK, "supply", "overview", map[string]any{
		"Severities": counts, "Matches": len(ms), "Truncated": len(ms) == maxMatches, "KEV": kevs,
		"Fresh": fresh, "FreshTotal": freshTotal, "Inventory": inv, "CRA": open, "Sources": sources, "Imports": imports,
		"Unread": len(unread)})
}

// vulnGroup is one vulnerability with what it affects.
type vulnGroup struct {
	ID         string
	Severity   string
	Score      float64
	KEV        bool
	EPSS       float64
	Matches    int
	Products   int
	Firmware   int
	Components []string
	Fixed      []string
	products   map[string]bool
	firmware   map[string]bool
}

func groupByVuln(ms []iotsec.VulnMatch) []*vulnGroup {
	by := map[string]*vulnGroup{}
	var out []*vulnGroup
	for _, m := range ms {
		g, ok := by[m.VulnID]
		if !ok {
			g = &vulnGroup{ID: m.VulnID, Severity: m.Severity, Score: m.Score, KEV: m.KEV, EPSS: m.EPSS,
				products: map[string]bool{}, firmware: map[string]bool{}}
			by[m.VulnID] = g
			out = append(out, g)
		}
		g.Matches++
		g.KEV = g.KEV || m.KEV
		g.Score, g.EPSS = max(g.Score, m.Score), max(g.EPSS, m.EPSS)
		if supply.SeverityRank(m.Severity) > supply.SeverityRank(g.Severity) {
			g.Severity = m.Severity
		}
		g.products[m.ProductID] = true
		g.firmware[m.FirmwareID] = true
		if c := strings.TrimSpace(m.Component + " " + m.ComponentVersion); !slices.Contains(g.Components, c) {
			g.Components = append(g.Components, c)
		}
		if m.FixedVersion != "" && !slices.Contains(g.Fixed, m.FixedVersion) {
			g.Fixed = append(g.Fixed, m.FixedVersion)
		}
	}
	for _, g := range out {
		g.Products, g.Firmware = len(g.products), len(g.firmware)
	}
	return out
}

// supplyVulns lists the organisation's open matches by vulnerability.
func (h *Handler) supplyVulns(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	q := r.URL.Query()
	kev := q.Get("kev") != "" && q.Get("kev") != "0"
	severity := q.Get("severity")
	if !slices.Contains(severities, severity) {
		severity = ""
	}
	ms, err := h.Store.ListMatches(r.Context(), a, iotsec.MatchFilter{KEV: kev, Limit: maxMatches})
	if err != nil {
		return err
	}
	groups := groupByVuln(ms)
	if severity != "" {
		groups = slices.DeleteFunc(groups, func(g *vulnGroup) bool { return g.Severity != severity })
	}
	return h.supplyView(w, r, http.StatusOK, "supply_vulns", "vulnerabilities", map[string]any{
		"Groups": groups, "KEV": kev, "Severity": severity, "Severities": severities, "Truncated": len(ms) == maxMatches})
}

// affected is what one vulnerability affects in the organisation, by
// product and firmware version.
type affectedProduct struct {
	Product  iotsec.Product
	Firmware []*affectedFirmware
}

type affectedFirmware struct {
	Firmware iotsec.FirmwareVersion
	Devices  int
	Rows     []matchRow
}

// matchRow is a stored match with what its engine record says.
type matchRow struct {
	iotsec.VulnMatch
	Reason string
	Via    string
	VEX    *vuln.Statement
}

func rowOf(m iotsec.VulnMatch) matchRow {
	row := matchRow{VulnMatch: m}
	if mm, err := supply.MatchOf(m); err == nil {
		row.Reason, row.Via, row.VEX = mm.Reason, mm.Via, mm.VEX
	}
	return row
}

// vulnInfo is what the shared data says about a vulnerability.
type vulnInfo struct {
	ID         string
	Advisories []*vuln.Advisory
	Summary    string
	CVSS       []vuln.CVSS
	Best       *vuln.CVSS
	Severity   string // of Best, lower case as the badges take it
	Aliases    []string
	KEV        *vuln.KEV
	EPSS       *iotsec.EPSSRecord
	Statements int
}

func vulnInfoOf(id string, d iotsec.VulnData) (vulnInfo, error) {
	v := vulnInfo{ID: id, Statements: len(d.Statements)}
	ids := []string{id}
	for _, rec := range d.Advisories {
		adv, err := vuln.UnmarshalAdvisory(rec.Data)
		if err != nil {
			return v, err
		}
		v.Advisories = append(v.Advisories, adv)
		// NVD's description first: other sources' summaries are shorter.
		if v.Summary == "" || (adv.Source == vuln.SourceNVD && adv.Summary != "") {
			v.Summary = cmp.Or(adv.Summary, v.Summary)
		}
		v.CVSS = append(v.CVSS, adv.CVSS...)
		for _, x := range adv.IDs() {
			if !slices.Contains(ids, x) {
				ids = append(ids, x)
			}
		}
	}
	v.Aliases = ids[1:]
	if v.Best = vuln.BestCVSS(v.CVSS); v.Best != nil {
		v.Severity = strings.ToLower(v.Best.Severity)
	}
	for _, k := range d.KEV {
		var x vuln.KEV
		if err := json.Unmarshal(k.Data, &x); err != nil {
			return v, err
		}
		if v.KEV == nil || x.CVE == id {
			v.KEV = &x
		}
	}
	for i := range d.EPSS {
		if v.EPSS == nil || d.EPSS[i].CVE == id {
			v.EPSS = &d.EPSS[i]
		}
	}
	return v, nil
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
	ctx := r.Context()
	d, err := h.Store.Vulnerability(ctx, id)
	if err != nil && iotsec.Kind(err) != iotsec.ErrNotFound {
		return err
	}
	info, err := vulnInfoOf(id, d)
	if err != nil {
		return err
	}
	var ms []iotsec.VulnMatch
	for _, x := range append([]string{id}, info.Aliases...) {
		got, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{VulnID: x, Suppressed: true, Limit: maxMatches})
		if err != nil {
			return err
		}
		ms = append(ms, got...)
	}
	if len(info.Advisories) == 0 && info.KEV == nil && len(ms) == 0 {
		return iotsec.NotFound("vulnerability " + id)
	}
	inv, err := h.inventoryOf(ctx, a)
	if err != nil {
		return err
	}
	var products []*affectedProduct
	counts, err := h.Store.DeviceCounts(ctx, a)
	if err != nil {
		return err
	}
	byProduct := map[string]*affectedProduct{}
	byFirmware := map[string]*affectedFirmware{}
	open := 0
	for _, m := range ms {
		p, ok := byProduct[m.ProductID]
		if !ok {
			p = &affectedProduct{Product: inv.Products[m.ProductID]}
			byProduct[m.ProductID] = p
			products = append(products, p)
		}
		f, ok := byFirmware[m.FirmwareID]
		if !ok {
			f = &affectedFirmware{Firmware: inv.Firmware[m.FirmwareID], Devices: counts[m.FirmwareID]}
			byFirmware[m.FirmwareID] = f
			p.Firmware = append(p.Firmware, f)
		}
		f.Rows = append(f.Rows, rowOf(m))
		if !m.Suppressed {
			open++
		}
	}
	slices.SortFunc(products, func(x, y *affectedProduct) int { return strings.Compare(x.Product.Name, y.Product.Name) })
	return h.supplyView(w, r, status, "supply_vuln", "vulnerabilities", map[string]any{
		"V": info, "Affected": products, "Open": open, "Total": len(ms), "Statuses": vexStatuses(),
		"Justifications": iotsec.VEXJustifications(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts),
		"Next": "/supply/vulnerabilities/" + id, "Error": errText(formErr)})
}

func vexStatuses() []string {
	return []string{iotsec.VEXNotAffected, iotsec.VEXAffected, iotsec.VEXFixed, iotsec.VEXUnderInvestigation}
}

// componentExposure is one component (name and version) across the
// organisation's firmware versions.
type componentExposure struct {
	Name, Version string
	Firmware      int
	Products      int
	Open          int
	Worst         string
	KEV           int
	products      map[string]bool
	kev           map[string]bool
}

// supplyComponents shows each component's exposure.
func (h *Handler) supplyComponents(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ctx := r.Context()
	inv, err := h.inventoryOf(ctx, a)
	if err != nil {
		return err
	}
	by := map[[2]string]*componentExposure{}
	get := func(name, version string) *componentExposure {
		k := [2]string{name, version}
		c, ok := by[k]
		if !ok {
			c = &componentExposure{Name: name, Version: version, products: map[string]bool{}, kev: map[string]bool{}}
			by[k] = c
		}
		return c
	}
	for _, fw := range inv.fws {
		t, err := h.Supply.Components(ctx, a, fw.ID)
		if err != nil {
			return err
		}
		seen := map[[2]string]bool{}
		for _, c := range t.Components {
			k := [2]string{c.Name, c.Version}
			if seen[k] {
				continue
			}
			seen[k] = true
			e := get(c.Name, c.Version)
			e.Firmware++
			e.products[fw.ProductID] = true
		}
	}
	ms, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{Limit: maxMatches})
	if err != nil {
		return err
	}
	for _, m := range ms {
		e := get(m.Component, m.ComponentVersion)
		e.Open++
		if supply.SeverityRank(m.Severity) > supply.SeverityRank(e.Worst) {
			e.Worst = m.Severity
		}
		if m.KEV {
			e.kev[m.VulnID] = true
		}
	}
	out := make([]*componentExposure, 0, len(by))
	for _, e := range by {
		e.Products, e.KEV = len(e.products), len(e.kev)
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y *componentExposure) int {
		return cmp.Or(cmp.Compare(y.KEV, x.KEV), cmp.Compare(supply.SeverityRank(y.Worst), supply.SeverityRank(x.Worst)),
			cmp.Compare(y.Open, x.Open), strings.Compare(x.Name, y.Name), strings.Compare(x.Version, y.Version))
	})
	return h.supplyView(w, r, http.StatusOK, "supply_components", "components", map[string]any{
		"Components": out, "Truncated": len(ms) == maxMatches})
}

func (h *Handler) supplyFirmware(w http.ResponseWriter, r *http.Request) error {
	return h.supplyFirmwarePage(w, r, http.StatusOK, nil)
}

// supplyFirmwarePage is one firmware version's SBOM, matches and VEX.
func (h *Handler) supplyFirmwarePage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	ctx := r.Context()
	fw, err := h.Store.GetFirmware(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := h.Store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return err
	}
	t, err := h.Supply.Components(ctx, a, fw.ID)
	if err != nil {
		return err
	}
	var sb *iotsec.SBOM
	if t.Source == "sbom" {
		b, err := h.Store.GetSBOM(ctx, a, fw.ID)
		if err != nil {
			return err
		}
		sb = &b
	}
	ms, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw.ID, Suppressed: true, Limit: maxMatches})
	if err != nil {
		return err
	}
	rows := make([]matchRow, 0, len(ms))
	perComponent := map[[2]string]int{}
	var options []string // components with matches, for the VEX form
	var vulnIDs []string
	open := 0
	for _, m := range ms {
		rows = append(rows, rowOf(m))
		if !m.Suppressed {
			open++
			perComponent[[2]string{m.Component, m.ComponentVersion}]++
		}
		if o := m.Component + "@" + m.ComponentVersion; !slices.Contains(options, o) {
			options = append(options, o)
		}
		if !slices.Contains(vulnIDs, m.VulnID) {
			vulnIDs = append(vulnIDs, m.VulnID)
		}
	}
	slices.Sort(options)
	vexs, err := h.Store.ListVEX(ctx, a, fw.ID)
	if err != nil {
		return err
	}
	slices.Reverse(vexs) // newest first
	counts, err := h.Store.DeviceCounts(ctx, a)
	if err != nil {
		return err
	}
	comps := t.Document.Components
	return h.supplyView(w, r, status, "supply_firmware", "firmware", map[string]any{
		"Firmware": fw, "Product": p, "Source": t.Source, "SBOM": sb, "Components": comps[:min(len(comps), maxShownComponents)],
		"ComponentCount": len(comps), "PerComponent": perComponent, "Matches": rows, "Open": open, "VEX": vexs,
		"Options": options, "VulnIDs": vulnIDs, "Statuses": vexStatuses(), "Justifications": iotsec.VEXJustifications(),
		"SBOMFormats": supply.SBOMFormats(), "VEXFormats": supply.VEXFormats(), "Devices": counts[fw.ID],
		"Today": h.today(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "MaxMiB": h.MaxUpload >> 20,
		"Error": errText(formErr), "Problems": iotsec.DetailsOf(formErr), "Next": "/supply/firmware/" + fw.ID})
}

// rematch matches a firmware version again against the current data.
func (h *Handler) rematch(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if _, err := h.Supply.Rematch(r.Context(), a, r.PathValue("id")); err != nil {
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
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	if _, _, err := h.Supply.ImportSBOM(r.Context(), a, r.PathValue("id"), hdr.Filename, data); err != nil {
		if formError(err) {
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
	if err := h.Store.AddVEX(r.Context(), a, &v); err != nil {
		if formError(err) {
			if id, ok := strings.CutPrefix(next, "/supply/vulnerabilities/"); ok {
				id, _ = url.PathUnescape(id)
				return h.supplyVulnPage(w, r, id, http.StatusBadRequest, err)
			}
			return h.supplyFirmwarePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	if _, err := h.Supply.Rematch(r.Context(), a, fwID); err != nil {
		return err
	}
	http.Redirect(w, r, next+"?done=vex-added", http.StatusSeeOther)
	return nil
}

// download formats: content type and file name ending.
var downloadTypes = map[string][2]string{
	"cyclonedx-json": {"application/vnd.cyclonedx+json", ".cdx.json"},
	"cyclonedx-xml":  {"application/vnd.cyclonedx+xml", ".cdx.xml"},
	"spdx-json":      {"application/spdx+json", ".spdx.json"},
	"spdx-tag-value": {"text/spdx; charset=utf-8", ".spdx"},
	"openvex":        {"application/json", ".openvex.json"},
	"cyclonedx":      {"application/vnd.cyclonedx+json", ".vex.cdx.json"},
	"csaf":           {"application/json", ".csaf.json"},
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
	t := downloadTypes[format]
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
	inv, err := h.inventoryOf(r.Context(), a)
	if err != nil {
		return err
	}
	rs, err := h.Store.ListCRAReports(r.Context(), a)
	if err != nil {
		return err
	}
	rows, err := h.craRows(r.Context(), a, inv, rs)
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
	rep, err := h.Store.GetCRAReport(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	inv, err := h.inventoryOf(ctx, a)
	if err != nil {
		return err
	}
	rows, err := h.craRows(ctx, a, inv, []iotsec.CRAReport{rep})
	if err != nil {
		return err
	}
	ms, err := h.Store.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: rep.FirmwareID, VulnID: rep.VulnID, Suppressed: true})
	if err != nil {
		return err
	}
	var fields []craField
	for _, f := range supply.CRAFields() {
		fields = append(fields, craField{Name: f, Label: craFieldLabels[f], Value: rep.Fields[f]})
	}
	return h.supplyView(w, r, status, "supply_cra", "cra", map[string]any{
		"R": rows[0], "Matches": ms, "Fields": fields, "FinalStage": supply.StageFinal,
		"CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "Error": errText(formErr)})
}

// updateCRA records the fix time, sent stages and texts of a report.
func (h *Handler) updateCRA(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
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
		if t.After(h.Now().Add(time.Hour)) {
			return h.supplyCRAPage(w, r, http.StatusBadRequest, iotsec.Invalid("fix_available_at", "is in the future: record it once the measure is available"))
		}
		fixAt = &t
	}
	fields := map[string]string{}
	for _, f := range supply.CRAFields() {
		if r.PostForm.Has(f) {
			fields[f] = strings.TrimSpace(r.PostFormValue(f))
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
	cur, err := h.Store.NotifySettings(r.Context(), a)
	if err != nil {
		return err
	}
	s := iotsec.NotifySettings{WebhookURL: r.PostFormValue("webhook_url"), Email: r.PostFormValue("email"), WebhookSecret: cur.WebhookSecret}
	switch {
	case r.PostFormValue("webhook_secret") != "":
		s.WebhookSecret = r.PostFormValue("webhook_secret")
	case r.PostFormValue("clear_secret") == "on":
		s.WebhookSecret = ""
	}
	if len(s.WebhookSecret) > 200 {
		return h.supplyNotificationsPage(w, r, http.StatusBadRequest, iotsec.Invalid("webhook_secret", "may be 200 characters long"))
	}
	if err := h.Store.SetNotifySettings(r.Context(), a, s); err != nil {
		if formError(err) {
			return h.supplyNotificationsPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/supply/notifications?done=notify-saved", http.StatusSeeOther)
	return nil
}

// supportRow is one firmware version's support period.
type supportRow struct {
	Firmware  iotsec.FirmwareVersion
	Product   iotsec.Product
	Ended     bool
	NotStated bool
	Devices   int
	Shown     []iotsec.Device // devices on an ended version, the first few
}

// supplySupport lists every firmware version's support period and the
// devices still running versions past it.
func (h *Handler) supplySupport(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ctx := r.Context()
	inv, err := h.inventoryOf(ctx, a)
	if err != nil {
		return err
	}
	counts, err := h.Store.DeviceCounts(ctx, a)
	if err != nil {
		return err
	}
	today := h.today()
	const showDevices = 20
	var rows []supportRow
	ended, onEnded := 0, 0
	for _, fw := range inv.fws {
		row := supportRow{Firmware: fw, Product: inv.Products[fw.ProductID], Ended: !fw.Supported(today), NotStated: fw.SupportEnd.IsZero(),
			Devices: counts[fw.ID]}
		if row.Ended {
			ended++
			onEnded += row.Devices
			if row.Devices > 0 {
				if row.Shown, err = h.Store.ListDevices(ctx, a, iotsec.DeviceFilter{FirmwareID: fw.ID, Limit: showDevices}); err != nil {
					return err
				}
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(x, y supportRow) int {
		return cmp.Or(-cmpBool(x.Ended, y.Ended), strings.Compare(x.Product.Name, y.Product.Name),
			x.Firmware.SupportEnd.Compare(y.Firmware.SupportEnd), strings.Compare(x.Firmware.Version, y.Firmware.Version))
	})
	return h.supplyView(w, r, http.StatusOK, "supply_support", "support", map[string]any{
		"Rows": rows, "Ended": ended, "OnEnded": onEnded, "Today": today, "ShowDevices": showDevices})
}

func cmpBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}
