package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	o "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// Limits bound an OSCAL file from a stranger.
type Limits struct {
	MaxBytes     int64
	MaxDepth     int // JSON nesting
	MaxDocuments int
	MaxControls  int // over all catalogs
	MaxProfiles  int
	MaxMaps      int // over all mapping collections
}

// DefaultLimits fit the largest real catalogs (NIST SP 800-53 has about
// 1,200 controls and enhancements) with room to spare.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxDocuments: 64, MaxControls: 10000, MaxProfiles: 64, MaxMaps: 50000}
}

// ImportError names every problem found in an imported file.
type ImportError struct{ Problems []string }

func (e *ImportError) Error() string {
	if len(e.Problems) == 1 {
		return "oscal import: " + e.Problems[0]
	}
	return fmt.Sprintf("oscal import: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Imported is what a file added: schemes (catalogs with their level
// profiles) and mapping sets, and the base catalog extended with them.
type Imported struct {
	Schemes  []crosswalk.Scheme
	Mappings []crosswalk.MappingSet
	Catalog  *crosswalk.Catalog
}

// Import reads an OSCAL catalog, profile or mapping-collection, or a bundle
// (a JSON array of them), checks it against the OSCAL schema and for
// dangling references, duplicate IDs and profile cycles, and merges it with
// base. Mappings may point at schemes of base by their exported catalog
// UUID or by the iotsec "scheme" prop. The error, an *ImportError, names
// each problem.
func Import(data []byte, base *crosswalk.Catalog, v *Validator, lim Limits) (*Imported, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, &ImportError{Problems: []string{fmt.Sprintf("file is %d bytes, limit %d", len(data), lim.MaxBytes)}}
	}
	if err := checkDepth(data, lim.MaxDepth); err != nil {
		return nil, &ImportError{Problems: []string{err.Error()}}
	}
	docs, err := splitDocs(data, lim.MaxDocuments)
	if err != nil {
		return nil, &ImportError{Problems: []string{err.Error()}}
	}
	im := &importer{base: base, lim: lim, catByUUID: map[string]*importedCatalog{}, profByUUID: map[string]*importedProfile{}}
	for i, raw := range docs {
		im.doc(i+1, raw, v)
	}
	im.resolveProfiles()
	im.mappings()
	if len(im.problems) > 0 {
		return nil, &ImportError{Problems: im.problems}
	}
	out := &Imported{}
	for _, c := range im.catalogs {
		out.Schemes = append(out.Schemes, c.scheme)
	}
	out.Mappings = im.sets
	merged, err := base.With(out.Schemes, out.Mappings, nil)
	if err != nil {
		var ve *crosswalk.ValidationError
		if errors.As(err, &ve) {
			return nil, &ImportError{Problems: ve.Problems}
		}
		return nil, &ImportError{Problems: []string{err.Error()}}
	}
	out.Catalog = merged
	return out, nil
}

// checkDepth rejects deeply nested JSON before any decoder recurses into it.
func checkDepth(data []byte, max int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("invalid JSON at offset %d: %v", dec.InputOffset(), err)
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > max {
				return fmt.Errorf("JSON nested deeper than %d at offset %d", max, dec.InputOffset())
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

func splitDocs(data []byte, max int) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	var docs []json.RawMessage
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &docs); err != nil {
			return nil, fmt.Errorf("bundle: %v", err)
		}
	} else {
		docs = []json.RawMessage{trimmed}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("bundle holds no documents")
	}
	if len(docs) > max {
		return nil, fmt.Errorf("bundle holds %d documents, limit %d", len(docs), max)
	}
	return docs, nil
}

type importedCatalog struct {
	name   string
	uuid   string
	scheme crosswalk.Scheme
	// ctl maps control IDs to provision IDs.
	ctl map[string]string
}

type importedProfile struct {
	name    string
	p       o.Profile
	levelID string
	rank    int
	// resolved holds the control IDs the profile selects, once resolved.
	resolved []string
	done     bool
	root     *importedCatalog
}

// mappingDoc is a mapping-collection whose "mappings" may be one mapping or
// an array (both are valid OSCAL 1.2; go-oscal's type holds only one).
type mappingDoc struct {
	UUID       string              `json:"uuid"`
	Metadata   o.Metadata          `json:"metadata"`
	Provenance o.MappingProvenance `json:"provenance"`
	Mappings   json.RawMessage     `json:"mappings"`
}

type importer struct {
	base       *crosswalk.Catalog
	lim        Limits
	problems   []string
	catalogs   []*importedCatalog
	catByUUID  map[string]*importedCatalog
	profiles   []*importedProfile
	profByUUID map[string]*importedProfile
	mcs        []mappingDoc
	sets       []crosswalk.MappingSet
	controls   int
	maps       int
}

func (im *importer) add(format string, args ...any) {
	if len(im.problems) < 200 {
		im.problems = append(im.problems, fmt.Sprintf(format, args...))
	}
}

func (im *importer) doc(n int, raw json.RawMessage, v *Validator) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(raw, &root); err != nil {
		im.add("document %d: not a JSON object: %v", n, err)
		return
	}
	if len(root) != 1 {
		im.add("document %d: want one root key (catalog, profile or mapping-collection), got %d", n, len(root))
		return
	}
	var kind string
	for k := range root {
		kind = k
	}
	name := fmt.Sprintf("document %d (%s)", n, kind)
	if v != nil {
		var se *SchemaError
		if err := v.Validate(name, root); errors.As(err, &se) {
			for _, p := range se.Problems {
				im.add("%s: schema: %s", name, p)
			}
		} else if err != nil {
			im.add("%v", err)
		}
	}
	switch kind {
	case "catalog":
		var c o.Catalog
		if err := json.Unmarshal(root[kind], &c); err != nil {
			im.add("%s: %v", name, err)
			return
		}
		im.catalog(name, c)
	case "profile":
		var p o.Profile
		if err := json.Unmarshal(root[kind], &p); err != nil {
			im.add("%s: %v", name, err)
			return
		}
		if len(im.profiles) >= im.lim.MaxProfiles {
			im.add("%s: more than %d profiles", name, im.lim.MaxProfiles)
			return
		}
		ip := &importedProfile{name: fmt.Sprintf("profile %q", p.Metadata.Title), p: p, rank: len(im.profiles) + 1}
		if prev, dup := im.profByUUID[p.UUID]; dup {
			im.add("%s: duplicate UUID %s (also %s)", ip.name, p.UUID, prev.name)
			return
		}
		im.profByUUID[p.UUID] = ip
		im.profiles = append(im.profiles, ip)
	case "mapping-collection":
		var m mappingDoc
		if err := json.Unmarshal(root[kind], &m); err != nil {
			im.add("%s: %v", name, err)
			return
		}
		im.mcs = append(im.mcs, m)
	default:
		im.add("%s: unsupported model %q (want catalog, profile or mapping-collection)", name, kind)
	}
}

func propValues(ps *[]o.Property, name string) []string {
	if ps == nil {
		return nil
	}
	var out []string
	for _, p := range *ps {
		if p.Name == name && (p.Ns == "" || p.Ns == NS) {
			out = append(out, p.Value)
		}
	}
	return out
}

func propValue(ps *[]o.Property, name string) string {
	if v := propValues(ps, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (im *importer) catalog(name string, c o.Catalog) {
	md := c.Metadata
	name = fmt.Sprintf("catalog %q", md.Title)
	s := crosswalk.Scheme{
		Slug: propValue(md.Props, "slug"), Title: md.Title, Version: md.Version, Imported: true,
		ShortTitle: propValue(md.Props, "short-title"), Publisher: propValue(md.Props, "publisher"),
		Type: propValue(md.Props, "type"), Status: propValue(md.Props, "status"), State: propValue(md.Props, "state"),
		Jurisdictions: propValues(md.Props, "jurisdiction"), International: propValue(md.Props, "international") == "true",
		Sectors: propValues(md.Props, "sector"), ProductClasses: propValues(md.Props, "product-class"),
		ExcludedClasses: propValues(md.Props, "excluded-class"), Licence: propValue(md.Props, "licence"),
		Confidence: crosswalk.Confidence(propValue(md.Props, "confidence")), Uncertain: propValues(md.Props, "uncertain"),
		Cumulative: propValue(md.Props, "cumulative") == "true",
		Dates: crosswalk.Dates{Published: crosswalk.Date(propValue(md.Props, "published")), InForce: crosswalk.Date(propValue(md.Props, "in-force")),
			AppliesFrom: crosswalk.Date(propValue(md.Props, "applies-from")), Closed: crosswalk.Date(propValue(md.Props, "closed"))},
	}
	if s.Slug == "" {
		im.add("%s: no slug prop in metadata (name=\"slug\", ns=%q)", name, NS)
	}
	if s.Type == "" {
		s.Type = "standard"
	}
	if md.Links != nil {
		for _, l := range *md.Links {
			if l.Rel == "reference" && s.Source.URL == "" {
				s.Source = crosswalk.Ref{Title: l.Text, URL: l.Href}
			} else if l.Href != "" {
				s.References = append(s.References, crosswalk.Ref{Title: l.Text, URL: l.Href})
			}
		}
	}
	if md.Remarks != "" {
		s.Notes = []string{md.Remarks}
	}
	ic := &importedCatalog{name: name, uuid: c.UUID, ctl: map[string]string{}}
	if prev, dup := im.catByUUID[c.UUID]; dup {
		im.add("%s: duplicate UUID %s (also %s)", name, c.UUID, prev.name)
		return
	}
	provIDs := map[string]string{}
	var walkControls func(where string, ctls *[]o.Control, category string)
	walkControls = func(where string, ctls *[]o.Control, category string) {
		if ctls == nil {
			return
		}
		for _, ctl := range *ctls {
			im.controls++
			if im.controls > im.lim.MaxControls {
				if im.controls == im.lim.MaxControls+1 {
					im.add("%s: more than %d controls", name, im.lim.MaxControls)
				}
				return
			}
			if prev, dup := ic.ctl[ctl.ID]; dup {
				im.add("%s: duplicate control ID %q (%s; first as provision %q)", name, ctl.ID, where, prev)
				continue
			}
			pid := propValue(ctl.Props, "label")
			if pid == "" {
				pid = ctl.ID
			}
			if prevCtl, dup := provIDs[pid]; dup {
				im.add("%s: controls %q and %q both carry provision ID %q", name, prevCtl, ctl.ID, pid)
				continue
			}
			provIDs[pid] = ctl.ID
			ic.ctl[ctl.ID] = pid
			p := crosswalk.Provision{ID: pid, Title: ctl.Title, Kind: propValue(ctl.Props, "kind"), Category: category,
				Conditional: propValue(ctl.Props, "conditional") == "true", Confidence: crosswalk.Confidence(propValue(ctl.Props, "confidence"))}
			if c := propValue(ctl.Props, "category"); c != "" {
				p.Category = c
			}
			if p.Kind == "" {
				p.Kind = crosswalk.KindMandatory
			}
			if ctl.Parts != nil {
				for _, part := range *ctl.Parts {
					switch part.Name {
					case "statement":
						p.Statement, p.TextKind = part.Prose, propValue(part.Props, "text-kind")
					case "guidance":
						p.Note = part.Prose
					case "assessment-method":
						if id := propValue(part.Props, "test-case"); id != "" {
							p.Tests = append(p.Tests, crosswalk.TestCase{ID: id, Type: propValue(part.Props, "test-type")})
						}
					}
				}
			}
			s.Provisions = append(s.Provisions, p)
			walkControls(where+" > "+ctl.ID, ctl.Controls, p.Category)
		}
	}
	var walkGroups func(where string, gs *[]o.Group)
	walkGroups = func(where string, gs *[]o.Group) {
		if gs == nil {
			return
		}
		for _, g := range *gs {
			cat := propValue(g.Props, "label")
			if cat == "" {
				cat = g.ID
			}
			if cat != "" && !slices.ContainsFunc(s.Categories, func(c crosswalk.Category) bool { return c.ID == cat }) {
				s.Categories = append(s.Categories, crosswalk.Category{ID: cat, Title: g.Title})
			}
			gw := where + " > group " + g.ID
			walkControls(gw, g.Controls, cat)
			walkGroups(gw, g.Groups)
		}
	}
	walkGroups("catalog", c.Groups)
	walkControls("catalog", c.Controls, "")
	ic.scheme = s
	im.catByUUID[c.UUID] = ic
	im.catalogs = append(im.catalogs, ic)
}

// resolveProfiles resolves every profile's selected controls, reporting
// dangling imports, unknown control IDs and import cycles, and turns each
// profile into a level of the catalog it selects from.
func (im *importer) resolveProfiles() {
	for _, p := range im.profiles {
		im.resolve(p, nil)
	}
	for _, p := range im.profiles {
		if p.root == nil || p.resolved == nil {
			continue
		}
		s := &p.root.scheme
		level := propValue(p.p.Metadata.Props, "level")
		if level == "" {
			level = p.p.Metadata.Title
		}
		rank := p.rank
		if r, err := strconv.Atoi(propValue(p.p.Metadata.Props, "rank")); err == nil {
			rank = r
		}
		title := propValue(p.p.Metadata.Props, "level-title")
		if title == "" {
			title = p.p.Metadata.Title
		}
		lv := crosswalk.Level{ID: level, Title: title, Rank: rank,
			Assessment: propValue(p.p.Metadata.Props, "assessment"), Description: p.p.Metadata.Remarks,
			Confidence: crosswalk.Confidence(propValue(p.p.Metadata.Props, "confidence"))}
		if src := (crosswalk.Ref{Title: propValue(p.p.Metadata.Props, "level-source-title"), URL: propValue(p.p.Metadata.Props, "level-source-url"),
			Clause: propValue(p.p.Metadata.Props, "level-source-clause")}); src != (crosswalk.Ref{}) {
			lv.Source = &src
		}
		s.Levels = append(s.Levels, lv)
		for _, cid := range p.resolved {
			pid := p.root.ctl[cid]
			for i := range s.Provisions {
				if s.Provisions[i].ID == pid {
					s.Provisions[i].Levels = append(s.Provisions[i].Levels, level)
				}
			}
		}
	}
}

func (im *importer) resolve(p *importedProfile, stack []*importedProfile) ([]string, *importedCatalog) {
	if p.done {
		return p.resolved, p.root
	}
	if i := slices.Index(stack, p); i >= 0 {
		var names []string
		for _, q := range append(stack[i:], p) {
			names = append(names, q.name)
		}
		im.add("profile import cycle: %s", strings.Join(names, " -> "))
		return nil, nil
	}
	stack = append(stack, p)
	var out []string
	for j, imp := range p.p.Imports {
		at := fmt.Sprintf("%s: import #%d (%s)", p.name, j+1, imp.Href)
		if !strings.HasPrefix(imp.Href, "#") {
			im.add("%s: only #uuid references to documents in the same bundle are supported", at)
			continue
		}
		ref := strings.TrimPrefix(imp.Href, "#")
		var avail []string
		var root *importedCatalog
		switch {
		case im.catByUUID[ref] != nil:
			root = im.catByUUID[ref]
			for cid := range root.ctl {
				avail = append(avail, cid)
			}
			slices.Sort(avail)
		case im.profByUUID[ref] != nil:
			avail, root = im.resolve(im.profByUUID[ref], stack)
			if root == nil {
				continue
			}
		default:
			im.add("%s: dangling reference: no catalog or profile with UUID %s in the bundle", at, ref)
			continue
		}
		if p.root == nil {
			p.root = root
		} else if p.root != root {
			im.add("%s: selects from %s, but earlier imports select from %s; a level must come from one catalog", at, root.name, p.root.name)
			continue
		}
		sel := avail
		if imp.IncludeControls != nil {
			sel = nil
			for _, s := range *imp.IncludeControls {
				if s.WithIds == nil {
					continue
				}
				for _, id := range *s.WithIds {
					if !slices.Contains(avail, id) {
						im.add("%s: dangling reference: control %q is not in %s", at, id, root.name)
						continue
					}
					sel = appendNew(sel, id)
				}
			}
		}
		if imp.ExcludeControls != nil {
			for _, s := range *imp.ExcludeControls {
				if s.WithIds == nil {
					continue
				}
				for _, id := range *s.WithIds {
					if !slices.Contains(avail, id) {
						im.add("%s: dangling reference: excluded control %q is not in %s", at, id, root.name)
					}
					sel = slices.DeleteFunc(sel, func(x string) bool { return x == id })
				}
			}
		}
		out = appendNew(out, sel...)
	}
	p.done, p.resolved = true, out
	if out == nil {
		p.resolved = []string{}
	}
	return p.resolved, p.root
}

func appendNew(s []string, ids ...string) []string {
	for _, id := range ids {
		if !slices.Contains(s, id) {
			s = append(s, id)
		}
	}
	return s
}

// resource resolves a mapping's source or target to a scheme slug and a
// control-ID-to-provision-ID table.
func (im *importer) resource(r o.MappingResourceReference) (string, map[string]string, bool) {
	if slug := propValue(r.Props, "scheme"); slug != "" {
		for _, c := range im.catalogs {
			if c.scheme.Slug == slug {
				return slug, c.ctl, true
			}
		}
		if s, err := im.base.Scheme(slug); err == nil {
			return slug, controlTable(s), true
		}
	}
	ref := strings.TrimPrefix(r.Href, "#")
	if c := im.catByUUID[ref]; c != nil {
		return c.scheme.Slug, c.ctl, true
	}
	for _, slug := range im.base.Slugs() {
		if CatalogUUID(slug) == ref {
			s, _ := im.base.Scheme(slug)
			return slug, controlTable(s), true
		}
	}
	return "", nil, false
}

func controlTable(s crosswalk.Scheme) map[string]string {
	t := make(map[string]string, len(s.Provisions))
	for _, p := range s.Provisions {
		t[ControlID(p.ID)] = p.ID
	}
	return t
}

func (im *importer) mappings() {
	for _, m := range im.mcs {
		name := fmt.Sprintf("mapping-collection %q", m.Metadata.Title)
		var list []o.Mapping
		raw := bytes.TrimSpace(m.Mappings)
		switch {
		case len(raw) == 0:
			im.add("%s: no mappings", name)
			continue
		case raw[0] == '[':
			if err := json.Unmarshal(raw, &list); err != nil {
				im.add("%s: mappings: %v", name, err)
				continue
			}
		default:
			var one o.Mapping
			if err := json.Unmarshal(raw, &one); err != nil {
				im.add("%s: mappings: %v", name, err)
				continue
			}
			list = []o.Mapping{one}
		}
		for k, mp := range list {
			im.mapping(fmt.Sprintf("%s mapping #%d", name, k+1), m, mp)
		}
	}
}

func (im *importer) mapping(name string, m mappingDoc, mp o.Mapping) {
	from, fromCtl, ok1 := im.resource(mp.SourceResource)
	if !ok1 {
		im.add("%s: dangling reference: source resource %q is neither in the bundle nor in the catalog", name, mp.SourceResource.Href)
	}
	to, toCtl, ok2 := im.resource(mp.TargetResource)
	if !ok2 {
		im.add("%s: dangling reference: target resource %q is neither in the bundle nor in the catalog", name, mp.TargetResource.Href)
	}
	if !ok1 || !ok2 {
		return
	}
	set := crosswalk.MappingSet{ID: from + "--" + to + ":" + m.UUID, From: from, To: to, Title: m.Metadata.Title, Imported: true,
		Provenance: propValue(m.Provenance.Props, "provenance"), Confidence: crosswalk.Confidence(propValue(m.Provenance.Props, "confidence"))}
	if set.Provenance == "" {
		set.Provenance = crosswalk.ProvenanceExpert
	}
	if set.Confidence == "" {
		set.Confidence = confidence(mp.ConfidenceScore, crosswalk.Medium)
	}
	for _, links := range []*[]o.Link{m.Provenance.Links, m.Metadata.Links, mp.Links} {
		if links != nil && len(*links) > 0 && set.Citation.URL == "" {
			set.Citation = crosswalk.Ref{Title: (*links)[0].Text, URL: (*links)[0].Href}
		}
	}
	if set.Citation.URL == "" {
		im.add("%s: no link to the mapping's source (provenance links or metadata links)", name)
	}
	ids := func(which string, items []o.MappingItem, table map[string]string, slug string, n int) []string {
		var out []string
		for _, it := range items {
			pid, ok := table[it.IDRef]
			if !ok {
				im.add("%s: map #%d: dangling reference: %s %q is not a control of %s", name, n, which, it.IDRef, slug)
				continue
			}
			out = append(out, pid)
		}
		return out
	}
	for n, x := range mp.Maps {
		im.maps++
		if im.maps > im.lim.MaxMaps {
			if im.maps == im.lim.MaxMaps+1 {
				im.add("%s: more than %d maps", name, im.lim.MaxMaps)
			}
			return
		}
		cm := crosswalk.Map{Sources: ids("source", x.Sources, fromCtl, from, n+1), Targets: ids("target", x.Targets, toCtl, to, n+1),
			Relationship: x.Relationship, Rationale: x.Remarks, Confidence: confidence(x.ConfidenceScore, ""),
			Provenance: propValue(x.Props, "provenance")}
		if cm.Rationale == "" {
			cm.Rationale = "imported from OSCAL without remarks; matching rationale " + strings.TrimSpace(x.MatchingRationale+" "+mp.MatchingRationale)
		}
		if x.Links != nil && len(*x.Links) > 0 {
			cm.Citation = &crosswalk.Ref{Title: (*x.Links)[0].Text, URL: (*x.Links)[0].Href}
		}
		set.Maps = append(set.Maps, cm)
	}
	im.sets = append(im.sets, set)
}

// confidence reads an OSCAL confidence score: a category of ours, or a
// percentage turned into one.
func confidence(cs *o.ConfidenceScore, def crosswalk.Confidence) crosswalk.Confidence {
	if cs == nil {
		return def
	}
	switch c := crosswalk.Confidence(strings.ToLower(cs.Category)); c {
	case crosswalk.High, crosswalk.Medium, crosswalk.Low:
		return c
	}
	if cs.Percentage > 0 && cs.Percentage <= 1 {
		return crosswalk.ConfidenceOf(cs.Percentage)
	}
	return def
}
