package supply

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/vuln"
)

// The questions the API and the UI both answer about an organisation's
// supply chain: each is one method here, so the two doors cannot answer
// it two ways. The doors decode, call one method and render.

// The engine's types the doors name, re-exported so that api and ui need
// not import internal/vuln.
type (
	Match     = vuln.Match
	Statement = vuln.Statement
	CVSS      = vuln.CVSS
	KEV       = vuln.KEV
	EPSS      = vuln.EPSS
)

// MaxMatches is the most matches one answer reads (the store's cap);
// answers built from that many say they are truncated.
const MaxMatches = 10000

// Severities are the severity names in the order pages show them.
func Severities() []string { return []string{"critical", "high", "medium", "low", "none", "unknown"} }

// inventory is the organisation's products and firmware versions, read in
// two queries so that views need not ask per row.
type inventory struct {
	products map[string]iotsec.Product
	firmware map[string]iotsec.FirmwareVersion
	fws      []iotsec.FirmwareVersion // in the store's order
}

func (s *Service) inventory(ctx context.Context, a iotsec.Actor) (inventory, error) {
	inv := inventory{products: map[string]iotsec.Product{}, firmware: map[string]iotsec.FirmwareVersion{}}
	ps, err := s.Store.ListProducts(ctx, a)
	if err != nil {
		return inv, err
	}
	for _, p := range ps {
		inv.products[p.ID] = p
	}
	if inv.fws, err = s.Store.ListFirmware(ctx, a, ""); err != nil {
		return inv, err
	}
	for _, f := range inv.fws {
		inv.firmware[f.ID] = f
	}
	return inv, nil
}

// MatchView is one stored match: the engine's match with where it was
// found, when, and whether VEX suppresses it.
type MatchView struct {
	vuln.Match
	FirmwareID string    `json:"firmware_id"`
	ProductID  string    `json:"product_id"`
	Version    string    `json:"firmware_version"`
	Severity   string    `json:"severity"` // lower case; unknown without CVSS
	FirstSeen  time.Time `json:"first_seen"`
	Suppressed bool      `json:"suppressed"`
}

// Matches returns the stored matches f selects. A firmware version or
// product f names must be the actor's, else it is not found.
func (s *Service) Matches(ctx context.Context, a iotsec.Actor, f iotsec.MatchFilter) ([]MatchView, error) {
	if f.FirmwareID != "" {
		if _, err := s.Store.GetFirmware(ctx, a, f.FirmwareID); err != nil {
			return nil, err
		}
	}
	if f.ProductID != "" {
		if _, err := s.Store.GetProduct(ctx, a, f.ProductID); err != nil {
			return nil, err
		}
	}
	ms, err := s.Store.ListMatches(ctx, a, f)
	if err != nil {
		return nil, err
	}
	out := make([]MatchView, 0, len(ms))
	for _, m := range ms {
		mm, err := MatchOf(m)
		if err != nil {
			return nil, err
		}
		out = append(out, MatchView{Match: mm, FirmwareID: m.FirmwareID, ProductID: m.ProductID, Version: m.Version, Severity: m.Severity,
			FirstSeen: m.FirstSeen, Suppressed: m.Suppressed})
	}
	return out, nil
}

// MatchRow is a stored match with what its engine record says: why it
// matched, how, and the VEX statement that applies.
type MatchRow struct {
	iotsec.VulnMatch
	Reason string
	Via    string
	VEX    *vuln.Statement
}

// RowOf reads a stored match's engine record; a record that does not
// decode leaves the reason, path and VEX empty.
func RowOf(m iotsec.VulnMatch) MatchRow {
	row := MatchRow{VulnMatch: m}
	if mm, err := MatchOf(m); err == nil {
		row.Reason, row.Via, row.VEX = mm.Reason, mm.Via, mm.VEX
	}
	return row
}

// AddVEX records a maker's VEX statement and matches the firmware version
// again, so that the statement applies at once.
func (s *Service) AddVEX(ctx context.Context, a iotsec.Actor, v iotsec.VEXStatement) (iotsec.VEXStatement, Result, error) {
	if err := s.Store.AddVEX(ctx, a, &v); err != nil {
		return v, Result{}, err
	}
	res, err := s.Rematch(ctx, a, v.FirmwareID)
	return v, res, err
}

// DeleteSBOM removes a firmware version's imported SBOM and matches the
// version again: its components are those of its scan again.
func (s *Service) DeleteSBOM(ctx context.Context, a iotsec.Actor, firmwareID string) (Result, error) {
	if err := s.Store.DeleteSBOM(ctx, a, firmwareID); err != nil {
		return Result{}, err
	}
	return s.Rematch(ctx, a, firmwareID)
}

// SeverityCount counts the open matches and distinct vulnerabilities of a
// severity.
type SeverityCount struct {
	Severity       string
	Matches, Vulns int
}

// KEVFirmware is a firmware version carrying known exploited
// vulnerabilities.
type KEVFirmware struct {
	Product  iotsec.Product
	Firmware iotsec.FirmwareVersion
	Vulns    []string
}

// FreshMatch is a match first seen lately, with its product.
type FreshMatch struct {
	iotsec.VulnMatch
	Product iotsec.Product
}

// Overview is the state of an organisation's supply chain.
type Overview struct {
	// Severities counts open matches by severity: every named severity,
	// and none and unknown when there are some.
	Severities []SeverityCount
	Matches    int
	Truncated  bool // more open matches than MaxMatches
	KEV        []KEVFirmware
	// Fresh are open matches first seen in the last FreshDays, newest
	// first, at most FreshShown of FreshTotal.
	Fresh      []FreshMatch
	FreshTotal int
	// CRA are the report drafts with a stage not yet sent.
	CRA     []CRAView
	Sources []iotsec.VulnSource
	Imports []iotsec.VulnImport
	Unread  int // unread notifications, at most 1000
}

// How the overview bounds what is newly affected.
const (
	FreshDays  = 7
	FreshShown = 25
)

// Overview sums up the organisation's open matches, what is known to be
// exploited, what is new, the CRA reports due and the data.
func (s *Service) Overview(ctx context.Context, a iotsec.Actor) (Overview, error) {
	var ov Overview
	inv, err := s.inventory(ctx, a)
	if err != nil {
		return ov, err
	}
	ms, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{Limit: MaxMatches})
	if err != nil {
		return ov, err
	}
	ov.Matches, ov.Truncated = len(ms), len(ms) == MaxMatches
	sev := map[string]*SeverityCount{}
	for _, x := range Severities() {
		sev[x] = &SeverityCount{Severity: x}
	}
	vulnsBy := map[string]map[string]bool{}
	kev := map[string]*KEVFirmware{}
	var kevOrder []string
	since := s.Now().Add(-FreshDays * 24 * time.Hour)
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
				k = &KEVFirmware{Product: inv.products[m.ProductID], Firmware: inv.firmware[m.FirmwareID]}
				kev[m.FirmwareID] = k
				kevOrder = append(kevOrder, m.FirmwareID)
			}
			if !slices.Contains(k.Vulns, m.VulnID) {
				k.Vulns = append(k.Vulns, m.VulnID)
			}
		}
		if !m.FirstSeen.Before(since) {
			ov.Fresh = append(ov.Fresh, FreshMatch{VulnMatch: m, Product: inv.products[m.ProductID]})
		}
	}
	for _, x := range Severities() {
		c := sev[x]
		c.Vulns = len(vulnsBy[x])
		if c.Matches > 0 || (x != "none" && x != "unknown") {
			ov.Severities = append(ov.Severities, *c)
		}
	}
	for _, id := range kevOrder {
		ov.KEV = append(ov.KEV, *kev[id])
	}
	slices.SortStableFunc(ov.Fresh, func(x, y FreshMatch) int { return y.FirstSeen.Compare(x.FirstSeen) })
	ov.FreshTotal = len(ov.Fresh)
	ov.Fresh = ov.Fresh[:min(len(ov.Fresh), FreshShown)]
	reports, err := s.Store.ListCRAReports(ctx, a)
	if err != nil {
		return ov, err
	}
	cras, err := s.craViews(inv, reports)
	if err != nil {
		return ov, err
	}
	for _, c := range cras {
		if c.Next() != nil {
			ov.CRA = append(ov.CRA, c)
		}
	}
	if ov.Sources, ov.Imports, err = s.Store.VulnSources(ctx); err != nil {
		return ov, err
	}
	unread, err := s.Store.ListNotifications(ctx, a, true, 1000)
	if err != nil {
		return ov, err
	}
	ov.Unread = len(unread)
	return ov, nil
}

// VulnGroup is one open vulnerability with what it affects.
type VulnGroup struct {
	ID         string
	Severity   string // the worst of its matches
	Score      float64
	KEV        bool
	EPSS       float64
	Matches    int
	Products   int
	Firmware   int
	Components []string // name version, in match order
	Fixed      []string // fixed versions named
}

// VulnFilter selects open vulnerabilities.
type VulnFilter struct {
	KEV      bool   // known exploited only
	Severity string // one of Severities, or empty for any
}

// VulnGroups is the organisation's open matches grouped by vulnerability.
type VulnGroups struct {
	Groups    []VulnGroup
	Truncated bool // grouped from the first MaxMatches matches only
}

// Vulnerabilities groups the organisation's open matches by
// vulnerability, in the store's order of their first match.
func (s *Service) Vulnerabilities(ctx context.Context, a iotsec.Actor, f VulnFilter) (VulnGroups, error) {
	if f.Severity != "" && !slices.Contains(Severities(), f.Severity) {
		return VulnGroups{}, iotsec.Invalid("severity", "must be one of %s", strings.Join(Severities(), ", "))
	}
	ms, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{KEV: f.KEV, Limit: MaxMatches})
	if err != nil {
		return VulnGroups{}, err
	}
	type acc struct {
		g                  VulnGroup
		products, firmware map[string]bool
	}
	by := map[string]*acc{}
	var order []*acc
	for _, m := range ms {
		x, ok := by[m.VulnID]
		if !ok {
			x = &acc{g: VulnGroup{ID: m.VulnID, Severity: m.Severity}, products: map[string]bool{}, firmware: map[string]bool{}}
			by[m.VulnID] = x
			order = append(order, x)
		}
		g := &x.g
		g.Matches++
		g.KEV = g.KEV || m.KEV
		g.Score, g.EPSS = max(g.Score, m.Score), max(g.EPSS, m.EPSS)
		if SeverityRank(m.Severity) > SeverityRank(g.Severity) {
			g.Severity = m.Severity
		}
		x.products[m.ProductID], x.firmware[m.FirmwareID] = true, true
		if c := strings.TrimSpace(m.Component + " " + m.ComponentVersion); !slices.Contains(g.Components, c) {
			g.Components = append(g.Components, c)
		}
		if m.FixedVersion != "" && !slices.Contains(g.Fixed, m.FixedVersion) {
			g.Fixed = append(g.Fixed, m.FixedVersion)
		}
	}
	out := VulnGroups{Groups: []VulnGroup{}, Truncated: len(ms) == MaxMatches}
	for _, x := range order {
		x.g.Products, x.g.Firmware = len(x.products), len(x.firmware)
		if f.Severity == "" || x.g.Severity == f.Severity {
			out.Groups = append(out.Groups, x.g)
		}
	}
	return out, nil
}

// AdvisoryView is one stored advisory of a vulnerability.
type AdvisoryView struct {
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

// MatchBrief is one match of a vulnerability in a firmware version.
type MatchBrief struct {
	Component        string          `json:"component"`
	ComponentVersion string          `json:"component_version"`
	FixedVersion     string          `json:"fixed_version"`
	Via              string          `json:"via"`
	Reason           string          `json:"reason"`
	VEX              *vuln.Statement `json:"vex,omitempty"`
	Suppressed       bool            `json:"suppressed"`
	FirstSeen        time.Time       `json:"first_seen"`
	// VulnID is the ID the match is stored under (the one asked, or an
	// alias of it), which a VEX statement about it names.
	VulnID string `json:"-"`
	KEV    bool   `json:"-"`
}

// AffectedVersion is a firmware version a vulnerability was found in.
type AffectedVersion struct {
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
	Matches    []MatchBrief `json:"matches"`
}

// AffectedProduct is a product's affected versions, as pages group them.
type AffectedProduct struct {
	Product  iotsec.Product
	Firmware []AffectedVersion
}

// VulnerabilityView is what the data says about a vulnerability and
// what it affects in the actor's organisation.
type VulnerabilityView struct {
	ID               string            `json:"id"`
	Severity         string            `json:"severity"` // of the best CVSS, lower case; unknown without one
	CVSS             *vuln.CVSS        `json:"cvss,omitempty"`
	KEV              *vuln.KEV         `json:"kev,omitempty"`
	EPSS             *vuln.EPSS        `json:"epss,omitempty"`
	Advisories       []AdvisoryView    `json:"advisories"`
	VendorStatements []vuln.Statement  `json:"vendor_statements"`
	Affected         []AffectedVersion `json:"affected"`
	// Devices run an affected version with an open match.
	Devices              int  `json:"devices"`
	DeviceCountsComplete bool `json:"device_counts_complete"`

	// What pages show besides; the JSON answer carries each advisory's
	// own instead.
	Summary  string            `json:"-"` // NVD's description first: other sources' are shorter
	Aliases  []string          `json:"-"` // every other ID its advisories carry: aliases and related
	Scores   []vuln.CVSS       `json:"-"` // every CVSS score of every advisory
	Products []AffectedProduct `json:"-"` // Affected by product
	Open     int               `json:"-"` // open matches
	Total    int               `json:"-"` // all matches, suppressed too
}

// Vulnerability returns what the data says about id and where it is in
// the actor's organisation. It is not found when neither the data nor
// the organisation's matches know it.
func (s *Service) Vulnerability(ctx context.Context, a iotsec.Actor, id string) (VulnerabilityView, error) {
	id = strings.TrimSpace(id)
	d, err := s.Store.Vulnerability(ctx, id)
	if err != nil && !errors.Is(err, iotsec.ErrNotFound) {
		return VulnerabilityView{}, err
	}
	v := VulnerabilityView{ID: id, Advisories: []AdvisoryView{}, VendorStatements: []vuln.Statement{}, Affected: []AffectedVersion{},
		DeviceCountsComplete: true}
	ids := []string{id}   // under which matches are stored
	known := []string{id} // every ID its advisories carry
	for _, rec := range d.Advisories {
		adv, err := vuln.UnmarshalAdvisory(rec.Data)
		if err != nil {
			return v, err
		}
		v.Advisories = append(v.Advisories, AdvisoryView{ID: adv.ID, Source: adv.Source, Aliases: nonNil(adv.Aliases), Related: nonNil(adv.Related),
			Status: adv.Status, Summary: adv.Summary, Published: adv.Published, Modified: adv.Modified, Withdrawn: adv.Withdrawn,
			CVSS: vuln.BestCVSS(adv.CVSS)})
		if v.Summary == "" || (adv.Source == vuln.SourceNVD && adv.Summary != "") {
			v.Summary = cmp.Or(adv.Summary, v.Summary)
		}
		v.Scores = append(v.Scores, adv.CVSS...)
		if !slices.Contains(ids, adv.ID) {
			ids = append(ids, adv.ID)
		}
		for _, x := range adv.IDs() {
			if !slices.Contains(known, x) {
				known = append(known, x)
			}
		}
		if v.KEV == nil && !adv.KEVAdded.IsZero() {
			v.KEV = &vuln.KEV{CVE: adv.ID, DateAdded: adv.KEVAdded}
		}
	}
	v.Aliases = known[1:]
	v.Severity = "unknown"
	if v.CVSS = vuln.BestCVSS(v.Scores); v.CVSS != nil && v.CVSS.Severity != "" {
		v.Severity = strings.ToLower(v.CVSS.Severity)
	}
	// The catalogue's entry beats NVD's copy of its date; the one named
	// by the ID asked for beats one of an alias.
	catalogued := false
	for _, k := range d.KEV {
		var e vuln.KEV
		if err := json.Unmarshal(k.Data, &e); err != nil {
			return v, err
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
	for _, x := range d.Statements {
		var st vuln.Statement
		if err := json.Unmarshal(x.Data, &st); err != nil {
			return v, err
		}
		v.VendorStatements = append(v.VendorStatements, st)
	}

	// What it touches in the organisation: matches are stored under the
	// advisory's own ID, which may be an alias of the one asked.
	var ms []iotsec.VulnMatch
	for _, x := range ids {
		got, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{VulnID: x, Suppressed: true, Limit: MaxMatches})
		if err != nil {
			return v, err
		}
		ms = append(ms, got...)
	}
	if len(d.Advisories) == 0 && len(d.KEV) == 0 && len(ms) == 0 {
		return VulnerabilityView{}, iotsec.NotFound("vulnerability " + id)
	}
	if len(ms) == 0 {
		return v, nil
	}
	ps, err := s.Store.ListProducts(ctx, a)
	if err != nil {
		return v, err
	}
	products := map[string]iotsec.Product{}
	for _, p := range ps {
		products[p.ID] = p
	}
	byFW := map[string]*AffectedVersion{}
	for _, m := range ms {
		mm, err := MatchOf(m)
		if err != nil {
			return v, err
		}
		av := byFW[m.FirmwareID]
		if av == nil {
			p := products[m.ProductID]
			av = &AffectedVersion{ProductID: m.ProductID, Product: p.Name, Model: p.Model, FirmwareID: m.FirmwareID, Version: m.Version, Suppressed: true}
			byFW[m.FirmwareID] = av
		}
		av.Matches = append(av.Matches, MatchBrief{Component: m.Component, ComponentVersion: m.ComponentVersion, FixedVersion: m.FixedVersion,
			Via: mm.Via, Reason: mm.Reason, VEX: mm.VEX, Suppressed: m.Suppressed, FirstSeen: m.FirstSeen, VulnID: m.VulnID, KEV: m.KEV})
		v.Total++
		if !m.Suppressed {
			v.Open++
			av.Suppressed = false
			if av.FixedVersion == "" {
				av.FixedVersion = m.FixedVersion
			}
		}
	}
	counts, err := s.Store.DeviceCounts(ctx, a)
	if err != nil {
		return v, err
	}
	for _, av := range byFW {
		av.Devices = counts[av.FirmwareID]
		if !av.Suppressed {
			v.Devices += av.Devices
		}
		v.Affected = append(v.Affected, *av)
	}
	slices.SortFunc(v.Affected, func(x, y AffectedVersion) int {
		return cmp.Or(cmp.Compare(x.Product, y.Product), cmp.Compare(x.ProductID, y.ProductID), cmp.Compare(x.Version, y.Version),
			cmp.Compare(x.FirmwareID, y.FirmwareID))
	})
	for _, av := range v.Affected {
		if n := len(v.Products); n == 0 || v.Products[n-1].Product.ID != av.ProductID {
			v.Products = append(v.Products, AffectedProduct{Product: products[av.ProductID]})
		}
		last := &v.Products[len(v.Products)-1]
		last.Firmware = append(last.Firmware, av)
	}
	return v, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Exposure is one component (name and version) with the open
// vulnerabilities it carries across the organisation's firmware.
type Exposure struct {
	Component        string  `json:"component"`
	Version          string  `json:"component_version"`
	FirmwareVersions int     `json:"firmware_versions"` // with an open match in it
	Products         int     `json:"products"`
	Vulnerabilities  int     `json:"vulnerabilities"` // distinct, open
	KEV              int     `json:"kev"`             // of them known to be exploited
	WorstSeverity    string  `json:"worst_severity"`
	MaxScore         float64 `json:"max_score"`
}

// ExposureList is each exposed component, most exposed first.
type ExposureList struct {
	Items []Exposure `json:"items"`
	// Truncated is true when the organisation has more open matches than
	// one answer reads (MaxMatches), so the counts are lower bounds.
	Truncated bool `json:"truncated"`
}

// Exposure ranks the components with open matches, by name when
// component is set: known exploited first, then the worst severity, the
// highest score and the widest use. It reads the open matches once: a
// component without one carries no exposure and is not listed.
func (s *Service) Exposure(ctx context.Context, a iotsec.Actor, component string) (ExposureList, error) {
	ms, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{Component: component, Limit: MaxMatches})
	if err != nil {
		return ExposureList{}, err
	}
	type acc struct {
		e                         Exposure
		fws, products, vulns, kev map[string]bool
	}
	by := map[[2]string]*acc{}
	for _, m := range ms {
		k := [2]string{m.Component, m.ComponentVersion}
		x := by[k]
		if x == nil {
			x = &acc{e: Exposure{Component: m.Component, Version: m.ComponentVersion, WorstSeverity: "unknown"},
				fws: map[string]bool{}, products: map[string]bool{}, vulns: map[string]bool{}, kev: map[string]bool{}}
			by[k] = x
		}
		x.fws[m.FirmwareID], x.products[m.ProductID], x.vulns[m.VulnID] = true, true, true
		if m.KEV {
			x.kev[m.VulnID] = true
		}
		if SeverityRank(m.Severity) > SeverityRank(x.e.WorstSeverity) {
			x.e.WorstSeverity = m.Severity
		}
		x.e.MaxScore = max(x.e.MaxScore, m.Score)
	}
	out := ExposureList{Items: make([]Exposure, 0, len(by)), Truncated: len(ms) == MaxMatches}
	for _, x := range by {
		x.e.FirmwareVersions, x.e.Products, x.e.Vulnerabilities, x.e.KEV = len(x.fws), len(x.products), len(x.vulns), len(x.kev)
		out.Items = append(out.Items, x.e)
	}
	slices.SortFunc(out.Items, func(x, y Exposure) int {
		return cmp.Or(cmp.Compare(y.KEV, x.KEV), cmp.Compare(SeverityRank(y.WorstSeverity), SeverityRank(x.WorstSeverity)),
			cmp.Compare(y.MaxScore, x.MaxScore), cmp.Compare(y.FirmwareVersions, x.FirmwareVersions), cmp.Compare(x.Component, y.Component),
			cmp.Compare(x.Version, y.Version))
	})
	return out, nil
}

// SupportRow is one firmware version's support period.
type SupportRow struct {
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

	// SupportMonths is the product's stated support period, for pages.
	SupportMonths int `json:"-"`
	// Shown are the first devices still on an ended version, as many as
	// SupportPeriods was asked to list.
	Shown []iotsec.Device `json:"-"`
}

// Ended says the version's support ended before today.
func (r SupportRow) Ended() bool { return !r.Supported }

// NotStated says the version has no support end.
func (r SupportRow) NotStated() bool { return r.SupportEnd.IsZero() }

// Support is every firmware version's support period.
type Support struct {
	Today               iotsec.Date  `json:"today"`
	Items               []SupportRow `json:"items"`
	UnsupportedVersions int          `json:"unsupported_versions"`
	DevicesUnsupported  int          `json:"devices_unsupported"`
	// DeviceCountsComplete says the per-version counts are exact; the
	// store counts every device, so it is true.
	DeviceCountsComplete bool `json:"device_counts_complete"`
}

// SupportPeriods lists every firmware version's support period, ended
// ones first, then by product and support end, with the devices on each;
// for each ended version it lists up to showDevices of its devices.
func (s *Service) SupportPeriods(ctx context.Context, a iotsec.Actor, showDevices int) (Support, error) {
	today := iotsec.DateOf(s.Now())
	inv, err := s.inventory(ctx, a)
	if err != nil {
		return Support{}, err
	}
	counts, err := s.Store.DeviceCounts(ctx, a)
	if err != nil {
		return Support{}, err
	}
	v := Support{Today: today, Items: make([]SupportRow, 0, len(inv.fws)), DeviceCountsComplete: true}
	for _, f := range inv.fws {
		p := inv.products[f.ProductID]
		row := SupportRow{FirmwareID: f.ID, ProductID: f.ProductID, Product: p.Name, Model: p.Model, Version: f.Version, ReleaseDate: f.ReleasedOn,
			SupportEnd: f.SupportEnd, Supported: f.Supported(today), Devices: counts[f.ID], SupportMonths: p.SupportMonths}
		if !f.SupportEnd.IsZero() {
			days := int(f.SupportEnd.Time().Sub(today.Time()).Hours() / 24)
			row.DaysLeft = &days
		}
		if !row.Supported {
			v.UnsupportedVersions++
			v.DevicesUnsupported += row.Devices
			if showDevices > 0 && row.Devices > 0 {
				if row.Shown, err = s.Store.ListDevices(ctx, a, iotsec.DeviceFilter{FirmwareID: f.ID, Limit: showDevices}); err != nil {
					return Support{}, err
				}
			}
		}
		v.Items = append(v.Items, row)
	}
	slices.SortStableFunc(v.Items, func(x, y SupportRow) int {
		return cmp.Or(-cmpBool(x.Ended(), y.Ended()), cmp.Compare(x.Product, y.Product), cmp.Compare(x.ProductID, y.ProductID),
			x.SupportEnd.Compare(y.SupportEnd), cmp.Compare(x.Version, y.Version))
	})
	return v, nil
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

// MaxWebhookSecret is the longest webhook secret, in bytes.
const MaxWebhookSecret = 256

// SaveNotifySettings sets where the organisation's notifications go. A
// nil secret keeps the one set; an empty one removes it. It returns the
// settings as stored.
func (s *Service) SaveNotifySettings(ctx context.Context, a iotsec.Actor, webhookURL, email string, secret *string) (iotsec.NotifySettings, error) {
	if err := a.Can(iotsec.PermManageTokens); err != nil {
		return iotsec.NotifySettings{}, err
	}
	old, err := s.Store.NotifySettings(ctx, a)
	if err != nil {
		return iotsec.NotifySettings{}, err
	}
	n := iotsec.NotifySettings{WebhookURL: webhookURL, Email: email, WebhookSecret: old.WebhookSecret}
	if secret != nil {
		if len(*secret) > MaxWebhookSecret {
			return iotsec.NotifySettings{}, iotsec.Invalid("webhook_secret", "may be %d bytes long", MaxWebhookSecret)
		}
		n.WebhookSecret = ""
		if *secret != "" {
			if n.WebhookSecret, err = s.sealSecret(a.OrgID, *secret); err != nil {
				return iotsec.NotifySettings{}, err
			}
		}
	}
	if err := s.Store.SetNotifySettings(ctx, a, n); err != nil {
		return iotsec.NotifySettings{}, err
	}
	return s.Store.NotifySettings(ctx, a)
}

// FirmwareView is one firmware version's supply chain: where its
// components come from, its matches and its own VEX statements.
type FirmwareView struct {
	Firmware iotsec.FirmwareVersion
	Product  iotsec.Product
	Source   string       // "sbom" (imported) or "scan"
	SBOM     *iotsec.SBOM // the imported one, when Source is sbom
	// Components are those of its SBOM, or of its scan.
	Components []sbom.Component
	// Matches are every match, suppressed too, in the store's order.
	Matches []MatchRow
	Open    int // matches not suppressed
	// PerComponent counts the open matches of each component name and
	// version.
	PerComponent map[[2]string]int
	// Options are the matched components as name@version, sorted, and
	// VulnIDs the matched vulnerabilities: what a VEX statement names.
	Options []string
	VulnIDs []string
	VEX     []iotsec.VEXStatement // newest first
	Devices int                   // running it
	// Clocks are the version's Art. 14 clocks, one per open
	// known-exploited vulnerability (the CRA report rule, at recordNew), in match order.
	Clocks []CRAClock
	// ExploitedNotAffected are known-exploited vulnerabilities whose
	// matches VEX statements suppress: no clock runs for them.
	ExploitedNotAffected []string
}

// CRAClock is why a firmware version has an Art. 14 clock: an open match
// of an actively exploited vulnerability, and the product's report for it.
type CRAClock struct {
	VulnID string
	// Report is the product's report for the vulnerability; nil when the
	// version was not matched since the vulnerability became known
	// exploited (matching it again creates the report).
	Report *iotsec.CRAReport
	// FoundElsewhere says the report was started for another version of
	// the product, whose clock this version shares.
	FoundElsewhere bool
}

// Firmware returns a firmware version's supply chain.
func (s *Service) Firmware(ctx context.Context, a iotsec.Actor, firmwareID string) (FirmwareView, error) {
	var v FirmwareView
	var err error
	if v.Firmware, err = s.Store.GetFirmware(ctx, a, firmwareID); err != nil {
		return v, err
	}
	if v.Product, err = s.Store.GetProduct(ctx, a, v.Firmware.ProductID); err != nil {
		return v, err
	}
	t, err := s.Components(ctx, a, firmwareID)
	if err != nil {
		return v, err
	}
	v.Source, v.Components = t.Source, t.Document.Components
	if t.Source == "sbom" {
		b, err := s.Store.GetSBOM(ctx, a, firmwareID)
		if err != nil {
			return v, err
		}
		v.SBOM = &b
	}
	ms, err := s.Store.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: firmwareID, Suppressed: true, Limit: MaxMatches})
	if err != nil {
		return v, err
	}
	v.Matches, v.PerComponent = make([]MatchRow, 0, len(ms)), map[[2]string]int{}
	for _, m := range ms {
		v.Matches = append(v.Matches, RowOf(m))
		if !m.Suppressed {
			v.Open++
			v.PerComponent[[2]string{m.Component, m.ComponentVersion}]++
		}
		if o := m.Component + "@" + m.ComponentVersion; !slices.Contains(v.Options, o) {
			v.Options = append(v.Options, o)
		}
		if !slices.Contains(v.VulnIDs, m.VulnID) {
			v.VulnIDs = append(v.VulnIDs, m.VulnID)
		}
	}
	slices.Sort(v.Options)
	if v.Clocks, v.ExploitedNotAffected, err = s.clocks(ctx, a, v.Firmware, ms); err != nil {
		return v, err
	}
	if v.VEX, err = s.Store.ListVEX(ctx, a, firmwareID); err != nil {
		return v, err
	}
	slices.Reverse(v.VEX)
	counts, err := s.Store.DeviceCounts(ctx, a)
	if err != nil {
		return v, err
	}
	v.Devices = counts[firmwareID]
	return v, nil
}

// ProductSupport is how long a product gets security updates, as its page
// states it: a period from each release when the product states one,
// otherwise what its versions' support ends say.
type ProductSupport struct {
	// Months is the product's stated period from each release; 0 when
	// it states none.
	Months int
	// Policy is the product's support policy in words.
	Policy string
	// Versions counts the product's firmware versions and WithEnd those
	// with a support end; LastEnd is the latest of those ends.
	Versions, WithEnd int
	LastEnd           iotsec.Date
}

// Stated says the support period is known: the product states a period,
// or every one of its versions has a support end.
func (p ProductSupport) Stated() bool {
	return p.Months > 0 || (p.Versions > 0 && p.WithEnd == p.Versions)
}

// PerVersion says the period is stated by each version's support end
// rather than by the product.
func (p ProductSupport) PerVersion() bool { return p.Months == 0 && p.WithEnd > 0 }

// ProductSupport reads a product's support period: the one rule for the
// product's page, so that it never says "not stated" of a product whose
// versions all state their support end.
func (s *Service) ProductSupport(ctx context.Context, a iotsec.Actor, productID string) (ProductSupport, error) {
	p, err := s.Store.GetProduct(ctx, a, productID)
	if err != nil {
		return ProductSupport{}, err
	}
	fws, err := s.Store.ListFirmware(ctx, a, p.ID)
	if err != nil {
		return ProductSupport{}, err
	}
	out := ProductSupport{Months: p.SupportMonths, Policy: p.SupportPolicy, Versions: len(fws)}
	for _, f := range fws {
		if f.SupportEnd.IsZero() {
			continue
		}
		out.WithEnd++
		if f.SupportEnd.Compare(out.LastEnd) > 0 {
			out.LastEnd = f.SupportEnd
		}
	}
	return out, nil
}

// clocks applies the CRA report rule to a version's matches: each open
// known-exploited vulnerability and the product's report for it, and the
// known-exploited ones VEX suppresses.
func (s *Service) clocks(ctx context.Context, a iotsec.Actor, fw iotsec.FirmwareVersion, ms []iotsec.VulnMatch) ([]CRAClock, []string, error) {
	var open, suppressed []string
	for _, m := range ms {
		if !m.KEV {
			continue
		}
		if m.Suppressed {
			suppressed = append(suppressed, m.VulnID)
		} else {
			open = append(open, m.VulnID)
		}
	}
	// A vulnerability open in one component is open, whatever another says.
	suppressed = slices.DeleteFunc(suppressed, func(id string) bool { return slices.Contains(open, id) })
	slices.Sort(suppressed)
	suppressed = slices.Compact(suppressed)
	if len(open) == 0 {
		return nil, suppressed, nil
	}
	reports, err := s.Store.ListCRAReports(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	var out []CRAClock
	for _, id := range open {
		if slices.ContainsFunc(out, func(c CRAClock) bool { return c.VulnID == id }) {
			continue
		}
		c := CRAClock{VulnID: id}
		for i, r := range reports {
			if r.ProductID == fw.ProductID && r.VulnID == id {
				c.Report, c.FoundElsewhere = &reports[i], r.FirmwareID != fw.ID
				break
			}
		}
		out = append(out, c)
	}
	return out, suppressed, nil
}
