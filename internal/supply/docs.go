package supply

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cra"
	"github.com/iotsec/iotsec/internal/vuln/csaf"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// SBOMFormats are the formats WriteSBOM takes.
func SBOMFormats() []string {
	return []string{string(sbom.CycloneDXJSON), string(sbom.CycloneDXXML), string(sbom.SPDXJSON), string(sbom.SPDXTagValue)}
}

// WriteSBOM writes a firmware version's SBOM (its imported one, or one made
// from its scan) in format.
func (s *Service) WriteSBOM(ctx context.Context, a iotsec.Actor, firmwareID, format string, w io.Writer) error {
	if !slices.Contains(SBOMFormats(), format) {
		return iotsec.Invalid("format", "must be one of %s", strings.Join(SBOMFormats(), ", "))
	}
	t, err := s.Components(ctx, a, firmwareID)
	if err != nil {
		return err
	}
	if t.Document.Tool == "" {
		t.Document.Tool = s.Tool
	}
	if p, err := s.product(ctx, a, firmwareID); err == nil && t.Document.Firmware.Manufacturer == "" {
		if o, err := s.Store.GetOrg(ctx, p.OrgID); err == nil {
			t.Document.Firmware.Manufacturer = o.Name
		}
	}
	return sbom.Encode(w, t.Document, sbom.Format(format))
}

func (s *Service) product(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.Product, error) {
	fw, err := s.Store.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return iotsec.Product{}, err
	}
	return s.Store.GetProduct(ctx, a, fw.ProductID)
}

// VEXFormats are the formats WriteVEX takes.
func VEXFormats() []string { return []string{"openvex", "cyclonedx"} }

// WriteVEX writes a firmware version's own VEX statements as OpenVEX or
// CycloneDX VEX.
func (s *Service) WriteVEX(ctx context.Context, a iotsec.Actor, firmwareID, format string, w io.Writer) error {
	if !slices.Contains(VEXFormats(), format) {
		return iotsec.Invalid("format", "must be one of %s", strings.Join(VEXFormats(), ", "))
	}
	fw, err := s.Store.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return err
	}
	p, err := s.Store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return err
	}
	vs, err := s.Store.ListVEX(ctx, a, firmwareID)
	if err != nil {
		return err
	}
	ref := FirmwareRef(p, fw)
	stmts := Statements(ref, vs)
	doc := vex.Document{ID: s.documentURL("vex", firmwareID), Author: a.Name(), Version: max(1, len(vs))}
	if o, err := s.Store.GetOrg(ctx, a.OrgID); err == nil {
		doc.Author = o.Name
	}
	for _, v := range vs {
		doc.Timestamp = v.CreatedAt
	}
	if doc.Timestamp.IsZero() {
		doc.Timestamp = fw.CreatedAt
	}
	if format == "openvex" {
		// OpenVEX names a component by an IRI: the purl or CPE of the
		// SBOM's component of that name, else a generic purl (the
		// writer's). A version without statements gets a document that
		// states nothing, as the CycloneDX export does (see
		// vex.WriteOpenVEX).
		if t, err := s.Components(ctx, a, firmwareID); err == nil && t.Document != nil {
			for i, st := range stmts {
				stmts[i].Component = identify(st.Component, t.Document.Components)
			}
		}
		return vex.WriteOpenVEX(w, doc, stmts)
	}
	return vex.WriteCycloneDX(w, doc, ref, stmts)
}

// identify gives a component named by name and version the purl and CPE
// of the one SBOM component of that name and version (any version when
// the statement names none).
func identify(r vuln.Ref, comps []sbom.Component) vuln.Ref {
	if r.Name == "" || r.PURL != "" || r.CPE != "" {
		return r
	}
	var found *sbom.Component
	for i, c := range comps {
		if strings.EqualFold(c.Name, r.Name) && (r.Version == "" || c.Version == r.Version) {
			if found != nil {
				return r // two candidates: say no more than the statement
			}
			found = &comps[i]
		}
	}
	if found != nil {
		r.PURL = found.PURL
		if len(found.CPEs) > 0 {
			r.CPE = found.CPEs[0]
		}
	}
	return r
}

// documentURL is the IRI of a document the service writes: under the
// publisher's namespace, stable for the thing it is about.
func (s *Service) documentURL(kind, id string) string {
	return strings.TrimRight(or(s.Publisher.Namespace, DefaultNamespace), "/") + "/" + kind + "/" + id
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// WriteCSAF writes a CSAF 2.0 advisory for a product: every firmware
// version in the product tree, and for every vulnerability found in any of
// them, the status of each version (VEX where a maker stated one, else
// affected with the fixed version, or not affected when no match).
//
// The document is a csaf_vex; a product in which no vulnerability is
// known is written as csaf_base (CSAF 2.0 test 6.1.27.11 wants a csaf_vex
// to name at least one vulnerability), with a note saying none is known.
// Its revision history is the product's events (versions listed,
// statements made, vulnerabilities found), so its dates and version
// number change only when the data does; the generator date is the
// export's (SOURCE_DATE_EPOCH when set).
func (s *Service) WriteCSAF(ctx context.Context, a iotsec.Actor, productID string, w io.Writer) error {
	p, err := s.Store.GetProduct(ctx, a, productID)
	if err != nil {
		return err
	}
	fws, err := s.Store.ListFirmware(ctx, a, productID)
	if err != nil {
		return err
	}
	o, err := s.Store.GetOrg(ctx, a.OrgID)
	if err != nil {
		return err
	}
	ms, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{ProductID: productID, Suppressed: true, Limit: 10000})
	if err != nil {
		return err
	}
	own, err := s.Store.ListVEX(ctx, a, "")
	if err != nil {
		return err
	}
	name := p.Name + " firmware"
	prod := csaf.Product{Vendor: o.Name, Name: name}
	if p.Model != "" {
		prod.ModelNumbers = []string{p.Model}
	}
	var hist history
	byID := map[string]iotsec.FirmwareVersion{}
	for _, fw := range fws {
		prod.Versions = append(prod.Versions, csaf.ProductVersion{Version: fw.Version, PURL: FirmwareRef(p, fw).PURL})
		byID[fw.ID] = fw
		hist.add(fw.CreatedAt, "firmware version "+fw.Version+" listed")
	}
	if len(prod.Versions) == 0 {
		return iotsec.Invalid("product", "%s has no firmware versions", p.Name)
	}
	type key struct{ vuln, fw string }
	stated := map[key]iotsec.VEXStatement{}
	for _, v := range own {
		if _, ok := byID[v.FirmwareID]; ok && v.Component == "" {
			stated[key{v.VulnID, v.FirmwareID}] = v // product-wide statements, latest wins
			hist.add(v.CreatedAt, v.VulnID+" in "+byID[v.FirmwareID].Version+" stated "+v.Status)
		}
	}
	vulns := map[string]*csaf.Vulnerability{}
	var order []string
	hit := map[key]iotsec.VulnMatch{}
	for _, m := range ms {
		k := key{m.VulnID, m.FirmwareID}
		if old, ok := hit[k]; !ok || (old.Suppressed && !m.Suppressed) {
			hit[k] = m
		}
		if fw, ok := byID[m.FirmwareID]; ok {
			hist.add(m.FirstSeen, m.VulnID+" found in "+fw.Version)
		}
		if _, ok := vulns[m.VulnID]; ok {
			continue
		}
		mm, err := MatchOf(m)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(m.VulnID, "CVE-") && len(mm.Vulnerability.Aliases) == 0 {
			continue
		}
		cve := m.VulnID
		if !strings.HasPrefix(cve, "CVE-") {
			for _, al := range mm.Vulnerability.Aliases {
				if strings.HasPrefix(al, "CVE-") {
					cve = al
					break
				}
			}
		}
		if !strings.HasPrefix(cve, "CVE-") {
			continue
		}
		summary := "Found in " + strings.TrimSpace(m.Component+" "+m.ComponentVersion) + " by matching the firmware's components against the vulnerability data."
		if m.KEV {
			summary += " It is in CISA's Known Exploited Vulnerabilities catalogue."
		}
		vulns[m.VulnID] = &csaf.Vulnerability{CVE: cve, Title: cve + " in " + m.Component, Summary: summary, CVSS: mm.Vulnerability.CVSS}
		order = append(order, m.VulnID)
	}
	slices.Sort(order)
	for _, id := range order {
		v := vulns[id]
		for _, fw := range fws {
			st := csaf.Status{Product: name, Version: fw.Version}
			k := key{id, fw.ID}
			if sv, ok := stated[k]; ok {
				st.Status, st.Justification, st.Impact, st.Action = sv.Status, sv.Justification, sv.Impact, sv.Action
				if st.Status == vuln.StatusAffected && st.Action == "" {
					st.Action = "Update to a fixed firmware version."
				}
			} else if m, ok := hit[k]; ok && !m.Suppressed {
				st.Status = vuln.StatusAffected
				st.Action = "Update to a firmware version that carries " + m.Component + " " + orWord(m.FixedVersion, "a fixed version") + " or later."
			} else if m, ok := hit[k]; ok {
				st.Status = m.VEXStatus
				mm, _ := MatchOf(m)
				if mm.VEX != nil {
					st.Justification, st.Impact = mm.VEX.Justification, mm.VEX.Impact
				}
			} else {
				st.Status = vuln.StatusNotAffected
				st.Impact = "No component of this firmware version matches the vulnerability's affected versions."
			}
			v.Statuses = append(v.Statuses, st)
		}
	}
	now := s.DocumentTime()
	in := csaf.Input{Category: "csaf_vex",
		Publisher: csaf.Publisher{Name: or(s.Publisher.Name, o.Name), Namespace: or(s.Publisher.Namespace, DefaultNamespace), Category: s.Publisher.Category},
		ID:        "iotsec-" + p.ID, Title: name + " vulnerability status", Revisions: hist.revisions(now),
		Generator: s.Tool, Generated: now, Products: []csaf.Product{prod}}
	for _, id := range order {
		in.Vulns = append(in.Vulns, *vulns[id])
	}
	if len(in.Vulns) == 0 {
		in.Category = "csaf_base"
		in.Summary = "No known vulnerability matches a component of any listed firmware version of " + name + " in the vulnerability data iotsec holds."
	} else {
		in.Summary = fmt.Sprintf("The status of %d vulnerabilities in each listed firmware version of %s: as its maker states it, else as matching the version's components against the vulnerability data finds it.", len(in.Vulns), name)
	}
	if err := csaf.Write(w, in); err != nil {
		return iotsec.Invalid("product", "%s: %v", p.Name, err)
	}
	return nil
}

// history gathers the dated events a CSAF revision history is made of.
type history map[time.Time][]string

func (h *history) add(t time.Time, what string) {
	if t.IsZero() {
		return
	}
	if *h == nil {
		*h = history{}
	}
	t = t.UTC().Truncate(time.Second)
	if !slices.Contains((*h)[t], what) {
		(*h)[t] = append((*h)[t], what)
	}
}

// revisions are the events by date, oldest first, at most 1,000 (the
// latest ones; the first summarises what came before), or one revision
// at now when there is none.
func (h history) revisions(now time.Time) []csaf.Revision {
	const max, shown = 1000, 5
	dates := slices.SortedFunc(maps.Keys(h), time.Time.Compare)
	if len(dates) == 0 {
		return []csaf.Revision{{Date: now, Summary: "Initial release."}}
	}
	var out []csaf.Revision
	for i, d := range dates {
		ev := h[d]
		slices.Sort(ev)
		text := strings.Join(ev[:min(len(ev), shown)], "; ")
		if len(ev) > shown {
			text += fmt.Sprintf("; and %d more", len(ev)-shown)
		}
		if i == 0 {
			text = "Initial release: " + text + "."
		} else {
			text = strings.ToUpper(text[:1]) + text[1:] + "."
		}
		out = append(out, csaf.Revision{Date: d, Summary: text})
	}
	if len(out) > max {
		cut := len(out) - max + 1
		first := csaf.Revision{Date: out[cut-1].Date, Summary: fmt.Sprintf("Initial release: the first %d events.", cut)}
		out = append([]csaf.Revision{first}, out[cut:]...)
	}
	return out
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CRA report stage names, as the deadlines name them.
const (
	StageEarly  = "early warning"
	StageNotice = "vulnerability notification"
	StageFinal  = "final report"
)

// CRAView is a report with its deadlines.
type CRAView struct {
	iotsec.CRAReport
	Deadlines []Deadline `json:"deadlines"`

	// The product and firmware version the report is about, for pages;
	// the JSON answer names them by ID. Filled by CRAReports and
	// CRAReport.
	Product  iotsec.Product         `json:"-"`
	Firmware iotsec.FirmwareVersion `json:"-"`
}

// Next is the first stage not sent; nil when every one was.
func (v CRAView) Next() *Deadline {
	for i := range v.Deadlines {
		if v.Deadlines[i].Sent.IsZero() {
			return &v.Deadlines[i]
		}
	}
	return nil
}

// Overdue says a stage is past its due time and not sent.
func (v CRAView) Overdue() bool {
	return slices.ContainsFunc(v.Deadlines, func(d Deadline) bool { return d.Overdue })
}

// CRAReports returns the organisation's CRA reports with their deadlines,
// products and firmware versions.
func (s *Service) CRAReports(ctx context.Context, a iotsec.Actor) ([]CRAView, error) {
	rs, err := s.Store.ListCRAReports(ctx, a)
	if err != nil {
		return nil, err
	}
	inv, err := s.inventory(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.craViews(inv, rs)
}

// CRAReport returns one CRA report with its deadlines, product and
// firmware version.
func (s *Service) CRAReport(ctx context.Context, a iotsec.Actor, id string) (CRAView, error) {
	r, err := s.Store.GetCRAReport(ctx, a, id)
	if err != nil {
		return CRAView{}, err
	}
	return s.craView(ctx, a, r)
}

func (s *Service) craView(ctx context.Context, a iotsec.Actor, r iotsec.CRAReport) (CRAView, error) {
	v, err := s.CRA(r)
	if err != nil {
		return CRAView{}, err
	}
	if v.Firmware, err = s.Store.GetFirmware(ctx, a, r.FirmwareID); err != nil {
		return CRAView{}, err
	}
	if v.Product, err = s.Store.GetProduct(ctx, a, r.ProductID); err != nil {
		return CRAView{}, err
	}
	return v, nil
}

func (s *Service) craViews(inv inventory, rs []iotsec.CRAReport) ([]CRAView, error) {
	out := make([]CRAView, 0, len(rs))
	for _, r := range rs {
		v, err := s.CRA(r)
		if err != nil {
			return nil, err
		}
		v.Product, v.Firmware = inv.products[r.ProductID], inv.firmware[r.FirmwareID]
		out = append(out, v)
	}
	return out, nil
}

// Deadline is one report stage's due time.
type Deadline struct {
	Report  string    `json:"report"`
	Rule    string    `json:"rule"`
	Due     time.Time `json:"due,omitzero"`
	Pending string    `json:"pending,omitempty"` // why there is no due time yet
	Sent    time.Time `json:"sent,omitzero"`
	Overdue bool      `json:"overdue"`
}

// CRA returns a report with its deadlines as of now.
func (s *Service) CRA(r iotsec.CRAReport) (CRAView, error) {
	ds, err := cra.Deadlines(cra.Event{Kind: cra.ExploitedVulnerability, Aware: r.AwareAt, FixAvailable: r.FixAt, NotificationSent: r.Sent[StageNotice]})
	if err != nil {
		return CRAView{}, err
	}
	now := s.Now()
	v := CRAView{CRAReport: r}
	for _, d := range ds {
		x := Deadline{Report: d.Report, Rule: d.Rule, Due: d.Due, Pending: d.Pending, Sent: r.Sent[d.Report]}
		x.Overdue = x.Sent.IsZero() && !x.Due.IsZero() && x.Due.Before(now)
		if x.Rule == "" {
			x.Rule = "Art. 14(2)(a)"
		}
		v.Deadlines = append(v.Deadlines, x)
	}
	return v, nil
}

// CRAFields are the texts a maker completes, per stage (Art. 14(2)).
func CRAFields() []string {
	return []string{"member_states", "general_nature", "corrective_measures", "user_measures", "sensitivity",
		"severity_impact", "threat_actor", "security_update"}
}

// FixTimeSlack is how far in the future a fix time may lie: clocks
// differ, and a form takes minutes to fill in.
const FixTimeSlack = time.Hour

// UpdateCRA records a fix time, sent stages and field texts (trimmed).
// The fix time may not be in the future (beyond FixTimeSlack): the final
// report's deadline runs from a measure that is available, so it is
// recorded once it is.
func (s *Service) UpdateCRA(ctx context.Context, a iotsec.Actor, id string, fixAt *time.Time, sent []string, fields map[string]string) (CRAView, error) {
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return CRAView{}, err
	}
	r, err := s.Store.GetCRAReport(ctx, a, id)
	if err != nil {
		return CRAView{}, err
	}
	now := s.Now().UTC()
	if fixAt != nil {
		if fixAt.After(now.Add(FixTimeSlack)) {
			return CRAView{}, iotsec.Invalid("fix_available_at", "is in the future: record it once the measure is available")
		}
		r.FixAt = fixAt.UTC()
	}
	for _, st := range sent {
		if st != StageEarly && st != StageNotice && st != StageFinal {
			return CRAView{}, iotsec.Invalid("sent", "unknown stage %q: one of %q, %q, %q", st, StageEarly, StageNotice, StageFinal)
		}
		if st == StageFinal && r.FixAt.IsZero() {
			return CRAView{}, iotsec.Invalid("sent", "the final report follows a corrective or mitigating measure: set fix_available_at first")
		}
		if _, ok := r.Sent[st]; !ok {
			r.Sent[st] = now
		}
	}
	for k, v := range fields {
		if !slices.Contains(CRAFields(), k) {
			return CRAView{}, iotsec.Invalid("fields", "unknown field %q: one of %s", k, strings.Join(CRAFields(), ", "))
		}
		r.Fields[k] = strings.TrimSpace(v)
	}
	if err := s.Store.UpdateCRAReport(ctx, a, &r); err != nil {
		return CRAView{}, err
	}
	return s.craView(ctx, a, r)
}
