package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// Component is what the index matches: one component of a firmware
// version, identified by CPEs, a purl or both.
type Component struct {
	Ref     string   `json:"ref,omitempty"` // the SBOM's own reference (bom-ref, SPDXID), echoed in matches
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	CPEs    []string `json:"cpe,omitempty"` // CPE 2.3 formatted strings (2.2 URIs are read too)
	PURL    string   `json:"purl,omitempty"`
}

// Firmware is the product version the components belong to; VEX
// statements are scoped to it.
type Firmware struct {
	Ref Ref
	// Platform lists CPEs of the hardware the firmware runs on. When set,
	// AND configurations are checked against it and the other components;
	// when empty, platform-only nodes are assumed satisfied (and the match
	// says so).
	Platform []string
}

// Vulnerability is what a match says about the advisory.
type Vulnerability struct {
	ID       string   `json:"id"`
	Source   string   `json:"source"`
	Aliases  []string `json:"aliases,omitempty"`
	Related  []string `json:"related,omitempty"` // CVEs a distro advisory fixes
	Severity string   `json:"severity,omitempty"`
	CVSS     *CVSS    `json:"cvss,omitempty"`
	KEV      *KEV     `json:"kev,omitempty"`
	EPSS     *EPSS    `json:"epss,omitempty"`
}

// Match is one component affected by one advisory.
// The JSON names follow the `iotsec match -o json` contract of issue 5.
type Match struct {
	Component     Component     `json:"component"`
	Vulnerability Vulnerability `json:"vulnerability"`
	FixedVersion  string        `json:"fixed_version,omitempty"` // first fixed version when the data says
	Via           string        `json:"via"`                     // "cpe" or "purl"
	Reason        string        `json:"reason"`                  // which configuration and range, or which OSV range, matched
	VEX           *Statement    `json:"vex,omitempty"`           // the VEX statement that applies, if any
}

// Suppressed reports whether VEX says the component is not affected or fixed.
func (m Match) Suppressed() bool {
	return m.VEX != nil && (m.VEX.Status == StatusNotAffected || m.VEX.Status == StatusFixed)
}

// Builder collects records and builds an Index. Records can come straight
// from the importers or from stored rows, in any order: an NVD override
// replaces the configurations of the NVD record with the same ID whether
// it comes before or after it.
type Builder struct {
	aliases   []cpe.Alias
	in        cpe.Interner
	metrics   map[CVSS]*CVSS    // identical metrics shared by many CVEs are kept once
	advs      map[advKey]*entry // NVD and OSV advisories
	overrides map[string][]cpe.Configuration
	kev       map[string]*KEV
	epss      map[string]*EPSS
	vex       []Statement
}

// entry is the compact form the index keeps of an advisory: what matching
// needs, without descriptions or references.
type entry struct {
	id      string
	source  string // interned: one of a few constants
	cvss    *CVSS  // shared between entries with the same metric
	configs []cpe.Configuration
	extra   *extra // nil for most NVD records
}

// extra holds the fields few records have, out of line so the common NVD
// entry stays small (a 300,000-record index spends 64 bytes on each).
type extra struct {
	aliases  []string
	related  []string
	kevAdded time.Time
	affected []Affected
}

func (e *entry) aliases() []string {
	if e.extra == nil {
		return nil
	}
	return e.extra.aliases
}

// NewBuilder returns a Builder using the given vendor alias table
// (cpe.DefaultAliases() for the built-in one).
func NewBuilder(aliases []cpe.Alias) *Builder {
	return &Builder{
		aliases:   aliases,
		advs:      map[advKey]*entry{},
		overrides: map[string][]cpe.Configuration{},
		kev:       map[string]*KEV{},
		epss:      map[string]*EPSS{},
	}
}

// AddAdvisory adds an NVD, NVD-override or OSV record. A later record
// with the same source and ID replaces an earlier one (imports are
// idempotent). Withdrawn OSV records are dropped.
func (b *Builder) AddAdvisory(a *Advisory) {
	if a.Source == SourceNVDOverrides {
		b.overrides[a.ID] = b.internConfigs(a.Configurations)
		return
	}
	key := advKey{a.Source, a.ID}
	if !a.Withdrawn.IsZero() {
		delete(b.advs, key)
		return
	}
	e := &entry{
		id:      b.in.String(a.ID),
		source:  b.in.String(a.Source),
		cvss:    b.shareCVSS(bestCVSS(a.CVSS)),
		configs: b.internConfigs(a.Configurations),
	}
	if len(a.Aliases)+len(a.Related)+len(a.Affected) > 0 || !a.KEVAdded.IsZero() {
		e.extra = &extra{kevAdded: a.KEVAdded, affected: a.Affected}
		for _, al := range a.Aliases {
			e.extra.aliases = append(e.extra.aliases, b.in.String(al))
		}
		for _, r := range a.Related {
			e.extra.related = append(e.extra.related, b.in.String(r))
		}
	}
	b.advs[key] = e
}

func (b *Builder) shareCVSS(m *CVSS) *CVSS {
	if m == nil {
		return nil
	}
	if b.metrics == nil {
		b.metrics = map[CVSS]*CVSS{}
	}
	if s, ok := b.metrics[*m]; ok {
		return s
	}
	b.metrics[*m] = m
	return m
}

func (b *Builder) internConfigs(cfgs []cpe.Configuration) []cpe.Configuration {
	for i := range cfgs {
		for j := range cfgs[i].Nodes {
			for k := range cfgs[i].Nodes[j].Criteria {
				c := &cfgs[i].Nodes[j].Criteria[k]
				c.Name = b.in.Name(c.Name)
				c.ID = b.in.String(c.ID)
				c.Start = b.in.String(c.Start)
				c.End = b.in.String(c.End)
			}
		}
	}
	return cfgs
}

// AddKEV adds a KEV catalogue entry.
func (b *Builder) AddKEV(k KEV) { b.kev[k.CVE] = &k }

// AddEPSS adds an EPSS score; a later score for the same CVE replaces it.
func (b *Builder) AddEPSS(e EPSS) { b.epss[e.CVE] = &e }

// AddStatement adds a VEX statement.
func (b *Builder) AddStatement(s Statement) { b.vex = append(b.vex, s) }

// Build returns the Index. The Builder must not be used afterwards.
func (b *Builder) Build() *Index {
	ix := &Index{
		aliases: cpe.NewAliases(b.aliases),
		byCPE:   map[cpe.Key][]int32{},
		byPURL:  map[purlKey][]affRef{},
		kev:     b.kev,
		epss:    b.epss,
		vex:     map[string][]int{},
		stmts:   b.vex,
	}
	// Overrides for CVEs absent from the NVD data become records of their own.
	for id, cfgs := range b.overrides {
		key := advKey{SourceNVD, id}
		if e, ok := b.advs[key]; ok {
			e.configs = cfgs
			continue
		}
		b.advs[key] = &entry{id: id, source: SourceNVDOverrides, configs: cfgs}
	}
	keys := make([]advKey, 0, len(b.advs))
	for k := range b.advs {
		keys = append(keys, k)
	}
	// A deterministic order of matches.
	slices.SortFunc(keys, func(x, y advKey) int {
		return cmp.Or(cmp.Compare(x.source, y.source), cmp.Compare(x.id, y.id))
	})
	ix.advs = make([]*entry, 0, len(keys))
	for _, k := range keys {
		e := b.advs[k]
		i := int32(len(ix.advs))
		ix.advs = append(ix.advs, e)
		for _, key := range cpe.Products(e.configs) {
			ix.byCPE[key] = append(ix.byCPE[key], i)
		}
		if e.extra == nil {
			continue
		}
		for ai, a := range e.extra.affected {
			if pk, ok := affectedKey(a); ok {
				ix.byPURL[pk] = append(ix.byPURL[pk], affRef{i, int32(ai)})
			}
		}
	}
	for i, s := range ix.stmts {
		for _, id := range append([]string{s.Vulnerability}, s.Aliases...) {
			ix.vex[id] = append(ix.vex[id], i)
		}
	}
	*b = Builder{}
	return ix
}

type affRef struct{ adv, aff int32 }

type advKey struct{ source, id string }

// Index matches components against the records it was built from. It is
// read-only and safe for concurrent use.
type Index struct {
	aliases cpe.Aliases
	advs    []*entry
	byCPE   map[cpe.Key][]int32
	byPURL  map[purlKey][]affRef
	kev     map[string]*KEV
	epss    map[string]*EPSS
	vex     map[string][]int
	stmts   []Statement
}

// Stats counts what the index holds.
type Stats struct {
	Advisories, CPEKeys, PURLKeys, KEV, EPSS, Statements int
}

// Stats returns counts of the index contents.
func (ix *Index) Stats() Stats {
	return Stats{len(ix.advs), len(ix.byCPE), len(ix.byPURL), len(ix.kev), len(ix.epss), len(ix.stmts)}
}

// Match matches the components of one firmware version. Matches come in
// component order, then by vulnerability ID; a component matched by the
// same advisory through several CPEs or its purl appears once.
func (ix *Index) Match(fw Firmware, comps []Component) []Match {
	plat := cpe.Platform{Known: len(fw.Platform) > 0}
	if plat.Known {
		for _, s := range fw.Platform {
			if n, err := cpe.ParseAny(s); err == nil {
				plat.Names = append(plat.Names, cpe.NewTarget(n))
			}
		}
		for _, c := range comps {
			for _, s := range c.CPEs {
				if n, err := cpe.ParseAny(s); err == nil {
					plat.Names = append(plat.Names, cpe.NewTarget(n))
				}
			}
		}
	}
	var out []Match
	for _, c := range comps {
		ms := ix.component(c, plat)
		for i := range ms {
			ms[i].VEX = ix.applyVEX(fw.Ref, ms[i])
		}
		out = append(out, ms...)
	}
	return out
}

func (ix *Index) component(c Component, plat cpe.Platform) []Match {
	var ms []Match
	seen := map[int32]bool{}
	for _, s := range c.CPEs {
		n, err := cpe.ParseAny(s)
		if err != nil || !isName(n.Vendor()) || !isName(n.Product()) {
			// A CPE without a literal vendor and product would fan out
			// over every vendor; it is not matched (supplychain.md §2.1).
			continue
		}
		parts := []string{n.Part()}
		if n.Part() == cpe.Any {
			parts = []string{"a", "o", "h"}
		}
		for _, part := range parts {
			own := cpe.Key{Part: part, Vendor: n.Vendor(), Product: n.Product()}
			keys := append([]cpe.Key{own}, ix.aliases.Of(own)...)
			for _, k := range keys {
				target := n
				if part != n.Part() {
					target = target.With(cpe.AttrPart, part)
				}
				via := ""
				if k != own {
					target = target.With(cpe.AttrVendor, k.Vendor).With(cpe.AttrProduct, k.Product)
					via = fmt.Sprintf(" via alias %s -> %s", own, k)
				}
				cands := ix.byCPE[k]
				if len(cands) == 0 {
					continue
				}
				tt := cpe.NewTarget(target)
				for _, ai := range cands {
					if seen[ai] {
						continue
					}
					e := ix.advs[ai]
					for ci, cfg := range e.configs {
						res, ok := cfg.MatchTarget(ci, tt, plat)
						if !ok {
							continue
						}
						seen[ai] = true
						ms = append(ms, Match{
							Component:     c,
							Vulnerability: ix.vulnerability(e),
							FixedVersion:  res.Criterion.Fixed(),
							Via:           "cpe",
							Reason:        e.source + " " + e.id + " " + res.Reason(target) + via,
						})
						break
					}
				}
			}
		}
	}
	if c.PURL != "" {
		ms = append(ms, ix.purl(c, seen)...)
	}
	slices.SortStableFunc(ms, func(a, b Match) int { return cmp.Compare(a.Vulnerability.ID, b.Vulnerability.ID) })
	return ms
}

func isName(v string) bool { return v != cpe.Any && v != cpe.NA && !strings.ContainsAny(v, "*?") }

func (ix *Index) purl(c Component, seen map[int32]bool) []Match {
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return nil
	}
	ver := p.Version
	if ver == "" {
		ver = c.Version
	}
	if ver == "" {
		return nil
	}
	q := p.Qualifiers.Map()
	if ep := q["epoch"]; ep != "" && !strings.Contains(ver, ":") {
		ver = ep + ":" + ver
	}
	var ms []Match
	for _, r := range ix.byPURL[keyOf(p)] {
		if seen[r.adv] {
			continue
		}
		e := ix.advs[r.adv]
		a := e.extra.affected[r.aff]
		eco, release, _ := strings.Cut(a.Ecosystem, ":")
		if !releaseMatches(release, q["distro"]) {
			continue
		}
		if eco == "" {
			eco = purlEcosystem(p.Type, p.Namespace)
		}
		ok, fixed, why := affects(a, eco, ver)
		if !ok {
			continue
		}
		seen[r.adv] = true
		ms = append(ms, Match{
			Component:     c,
			Vulnerability: ix.vulnerability(e),
			FixedVersion:  fixed,
			Via:           "purl",
			Reason:        fmt.Sprintf("%s %s affected package %s %s: %s", e.source, e.id, a.Ecosystem, a.Name, why),
		})
	}
	return ms
}

// affects evaluates OSV ranges with the ecosystem's version rules
// (osv-scalibr/semantic), following the OSV schema's evaluation: events
// sorted by version, introduced opens, fixed and last_affected close.
func affects(a Affected, eco, ver string) (bool, string, string) {
	for _, v := range a.Versions {
		// Git tags often carry a "v" the release version lacks (v2.86).
		if v == ver || strings.TrimPrefix(v, "v") == strings.TrimPrefix(ver, "v") {
			return true, firstFixed(a), "version " + ver + " listed as affected"
		}
	}
	for _, r := range a.Ranges {
		var sys string
		switch r.Type {
		case "ECOSYSTEM":
			sys = eco
		case "SEMVER":
			sys = "npm" // plain SemVer 2.0 rules
		default:
			continue // GIT ranges need commit history; the versions list covers them
		}
		v, err := semantic.Parse(ver, sys)
		if err != nil {
			continue
		}
		cmpTo := func(s string) (int, bool) {
			if s == "0" {
				return 1, true
			}
			c, err := v.CompareStr(s)
			return c, err == nil
		}
		affected := false
		var intro, fixed string
		for _, ev := range sortEvents(r.Events, sys) {
			switch {
			case ev.Introduced != "":
				if c, ok := cmpTo(ev.Introduced); ok && c >= 0 {
					affected, intro, fixed = true, ev.Introduced, ""
				}
			case ev.Fixed != "":
				if c, ok := cmpTo(ev.Fixed); ok && c >= 0 {
					affected = false
				} else if affected && fixed == "" {
					fixed = ev.Fixed
				}
			case ev.LastAffected != "":
				if c, ok := cmpTo(ev.LastAffected); ok && c > 0 {
					affected = false
				}
			}
		}
		if affected {
			why := fmt.Sprintf("%s range introduced %s", r.Type, intro)
			if fixed != "" {
				why += ", fixed " + fixed
			}
			return true, fixed, why + " contains " + ver
		}
	}
	return false, "", ""
}

// firstFixed is the fixed version of a record that lists affected
// versions (GIT ranges): the first fixed event, which is a commit or tag.
func firstFixed(a Affected) string {
	for _, r := range a.Ranges {
		for _, ev := range r.Events {
			if ev.Fixed != "" {
				return ev.Fixed
			}
		}
	}
	return ""
}

// sortEvents orders events by version; "0" comes first, unparseable
// versions keep their place after the parseable ones.
func sortEvents(evs []Event, sys string) []Event {
	val := func(e Event) string { return e.Introduced + e.Fixed + e.LastAffected + e.Limit }
	out := slices.Clone(evs)
	slices.SortStableFunc(out, func(a, b Event) int {
		va, vb := val(a), val(b)
		if va == vb {
			return 0
		}
		if va == "0" {
			return -1
		}
		if vb == "0" {
			return 1
		}
		pa, err := semantic.Parse(va, sys)
		if err != nil {
			return 0
		}
		c, err := pa.CompareStr(vb)
		if err != nil {
			return 0
		}
		return c
	})
	return out
}

func (ix *Index) vulnerability(e *entry) Vulnerability {
	v := Vulnerability{ID: e.id, Source: e.source, Aliases: e.aliases(), CVSS: e.cvss}
	if e.cvss != nil {
		v.Severity = e.cvss.Severity
	}
	// KEV and EPSS are keyed by CVE: look through aliases, then the CVEs
	// a distro advisory says it fixes.
	ids := []string{e.id}
	if e.extra != nil {
		ids = append(append(ids, e.extra.aliases...), e.extra.related...)
		v.Related = e.extra.related
	}
	for _, id := range ids {
		if k := ix.kev[id]; k != nil && v.KEV == nil {
			v.KEV = k
		}
		if s := ix.epss[id]; s != nil && v.EPSS == nil {
			v.EPSS = s
		}
	}
	if v.KEV == nil && e.extra != nil && !e.extra.kevAdded.IsZero() {
		v.KEV = &KEV{CVE: e.id, DateAdded: e.extra.kevAdded}
	}
	return v
}

// bestCVSS picks the metric to show: the newest CVSS version, and for one
// version NVD's own (Primary) before a CNA's.
func bestCVSS(ms []CVSS) *CVSS {
	rank := func(m CVSS) int {
		var r int
		switch m.Version {
		case "4.0":
			r = 40
		case "3.1":
			r = 30
		case "3.0":
			r = 20
		case "2.0":
			r = 10
		}
		if m.Primary {
			r++
		}
		return r
	}
	var best *CVSS
	for i := range ms {
		if best == nil || rank(ms[i]) > rank(*best) {
			m := ms[i]
			best = &m
		}
	}
	return best
}
