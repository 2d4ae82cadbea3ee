package oscal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
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
	return ImportFiles([]File{{Data: data}}, base, v, lim)
}

// File is one file of an import call; Name (its base name) is what
// profiles of other files may import it by.
type File struct {
	Name string
	Data []byte
}

// ImportFiles reads several files as one import: a profile may import a
// catalog given in another file (by its UUID or file name) or one already
// in base (a scheme imported earlier). Limits apply to the files together.
func ImportFiles(files []File, base *crosswalk.Catalog, v *Validator, lim Limits) (*Imported, error) {
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
	}
	if total > lim.MaxBytes {
		return nil, &ImportError{Problems: []string{fmt.Sprintf("file is %d bytes, limit %d", total, lim.MaxBytes)}}
	}
	im := &importer{base: base, lim: lim, catByUUID: map[string]*importedCatalog{}, profByUUID: map[string]*importedProfile{}}
	n := 0
	for _, f := range files {
		where := ""
		if f.Name != "" {
			where = f.Name + ": "
		}
		if err := checkDepth(f.Data, lim.MaxDepth); err != nil {
			return nil, &ImportError{Problems: []string{where + err.Error()}}
		}
		docs, err := splitDocs(f.Data, lim.MaxDocuments-n)
		if err != nil {
			return nil, &ImportError{Problems: []string{where + err.Error()}}
		}
		for _, raw := range docs {
			n++
			im.file = path.Base(f.Name)
			im.doc(n, raw, v)
		}
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
	out.Schemes = append(out.Schemes, im.derived...)
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
	file   string
	scheme crosswalk.Scheme
	// ctl maps control IDs to provision IDs.
	ctl map[string]string
	// fromBase marks a scheme imported earlier: a profile of it becomes a
	// scheme of its own rather than a level.
	fromBase bool
	// levelProps says the controls carry iotsec level props, which then
	// say which levels require them (profiles only add the levels).
	levelProps bool
	thirdParty bool
}

type importedProfile struct {
	name    string
	file    string
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
	file       string // the file being read
	baseRoots  map[string]*importedCatalog
	derived    []crosswalk.Scheme // profiles of earlier imports, as schemes
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
		ip := &importedProfile{name: fmt.Sprintf("profile %q", p.Metadata.Title), p: p, rank: len(im.profiles) + 1, file: im.file}
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
	if pr := propValue(md.Props, "profile-of"); pr != "" {
		s.Profile = &crosswalk.Profile{Of: pr, Provenance: propValue(md.Props, "profile-provenance"),
			Source:     crosswalk.Ref{Title: propValue(md.Props, "profile-source-title"), URL: propValue(md.Props, "profile-source-url")},
			Confidence: crosswalk.Confidence(propValue(md.Props, "profile-confidence")), Rationale: propValue(md.Props, "profile-rationale")}
	}
	s.Basis = propValues(md.Props, "basis")
	// iotsec's own exports carry a slug; anything else is a third-party
	// catalog whose missing iotsec fields are derived.
	thirdParty := s.Slug == ""
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
	if thirdParty {
		im.derive(&s, md, c.BackMatter)
		s.References = append(s.References, catalogRef(im.file, c.UUID))
	}
	if md.Remarks != "" {
		s.Notes = []string{md.Remarks}
	}
	ic := &importedCatalog{name: name, uuid: c.UUID, file: im.file, ctl: map[string]string{}, thirdParty: thirdParty}
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
			if thirdParty && strings.EqualFold(propValue(ctl.Props, "status"), "withdrawn") {
				continue
			}
			// Third-party provisions keep their control IDs, which profiles
			// and mappings reference; iotsec's own carry theirs as a label.
			pid := ctl.ID
			if !thirdParty {
				if l := propValue(ctl.Props, "label"); l != "" {
					pid = l
				}
			}
			if prevCtl, dup := provIDs[pid]; dup {
				im.add("%s: controls %q and %q both carry provision ID %q", name, prevCtl, ctl.ID, pid)
				continue
			}
			provIDs[pid] = ctl.ID
			ic.ctl[ctl.ID] = pid
			p := crosswalk.Provision{ID: pid, Title: ctl.Title, Kind: propValue(ctl.Props, "kind"), Category: category,
				Conditional: propValue(ctl.Props, "conditional") == "true", Confidence: crosswalk.Confidence(propValue(ctl.Props, "confidence")),
				Ref: propValue(ctl.Props, "ref"), Levels: propValues(ctl.Props, "level")}
			if len(p.Levels) > 0 {
				ic.levelProps = true
			}
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
						p.Statement, p.TextKind = prose(part), propValue(part.Props, "text-kind")
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
		if p.root.fromBase {
			ps := profileScheme(p)
			if im.slugTaken(ps.Slug) {
				// A derived slug may meet the catalog's own (a profile
				// titled like its catalog): mark it as the profile.
				ps.Slug = Slugify(ps.Slug + "-profile")
				if len(ps.Slug) > 56 {
					ps.Slug = strings.TrimRight(ps.Slug[:56], "-") + "-profile"
				}
			}
			im.derived = append(im.derived, ps)
			continue
		}
		s := &p.root.scheme
		level := propValue(p.p.Metadata.Props, "level")
		if level == "" {
			level = p.p.Metadata.Title
			if p.root.thirdParty {
				level = Slugify(level)
			}
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
			if p.root.levelProps {
				break
			}
			pid := p.root.ctl[cid]
			for i := range s.Provisions {
				if s.Provisions[i].ID == pid {
					s.Provisions[i].Levels = append(s.Provisions[i].Levels, level)
				}
			}
		}
	}
	// Required at every level is said by no levels at all, as in the
	// catalog's own data.
	for _, c := range im.catalogs {
		s := &c.scheme
		if c.thirdParty && len(s.Levels) > 0 && slices.ContainsFunc(s.Provisions, func(p crosswalk.Provision) bool { return len(p.Levels) == 0 }) {
			// iotsec reads no levels as every level; a control no profile
			// selects must not count at the profiles' levels, so the whole
			// catalog becomes a level of its own, above the profiles.
			top := 0
			for _, l := range s.Levels {
				top = max(top, l.Rank)
			}
			s.Levels = append(s.Levels, crosswalk.Level{ID: "all-controls", Title: "Every control of the catalog", Rank: top + 1})
			for i := range s.Provisions {
				s.Provisions[i].Levels = append(s.Provisions[i].Levels, "all-controls")
			}
		}
		if c.levelProps || c.thirdParty {
			continue
		}
		for i := range c.scheme.Provisions {
			if p := &c.scheme.Provisions[i]; len(c.scheme.Levels) > 0 && len(p.Levels) == len(c.scheme.Levels) {
				p.Levels = nil
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
		var avail []string
		root, from := im.target(p, imp.Href)
		switch {
		case root != nil:
			for cid := range root.ctl {
				avail = append(avail, cid)
			}
			slices.Sort(avail)
		case from != nil:
			avail, root = im.resolve(from, stack)
			if root == nil {
				continue
			}
		default:
			im.add("%s: dangling reference: no catalog %q%s in this import nor imported to the organisation before; import the catalog first or in the same call",
				at, imp.Href, resourceNames(p.p, imp.Href))
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
			im.mapping(fmt.Sprintf("%s mapping #%d", name, k+1), m, mp, k)
		}
	}
}

func (im *importer) mapping(name string, m mappingDoc, mp o.Mapping, k int) {
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
	id := propValue(m.Metadata.Props, "mapping-set")
	if id == "" {
		id = from + "--" + to + ":" + m.UUID
	}
	if k > 0 {
		// A collection of several mappings: one set each.
		id += ":" + strconv.Itoa(k+1)
	}
	var notes []string
	if r := strings.TrimSpace(m.Metadata.Remarks); r != "" {
		notes = strings.Split(r, "\n\n")
	}
	set := crosswalk.MappingSet{ID: id, Notes: notes, From: from, To: to, Title: m.Metadata.Title, Imported: true,
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

// prose flattens a part and its sub-parts (NIST's lettered items) into one
// text, each item after its label.
func prose(p o.Part) string {
	var b []string
	if l := propValue(p.Props, "label"); l != "" && p.Name == "item" {
		b = append(b, l)
	}
	if t := strings.TrimSpace(p.Prose); t != "" {
		b = append(b, t)
	}
	if p.Parts != nil {
		for _, sp := range *p.Parts {
			if t := prose(sp); t != "" {
				b = append(b, t)
			}
		}
	}
	return strings.Join(b, " ")
}

// catalogRefTitle prefixes the reference that remembers which OSCAL file
// and catalog UUID a third-party scheme came from, so later profiles can
// import it by either.
const catalogRefTitle = "OSCAL catalog file "

func catalogRef(file, uuid string) crosswalk.Ref {
	return crosswalk.Ref{Title: catalogRefTitle + file, URL: "urn:uuid:" + uuid}
}

var slugUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify makes a scheme slug from a title: lower case, runs of other
// characters as one hyphen, at most 64 characters.
func Slugify(title string) string {
	s := strings.Trim(slugUnsafe.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(s) > 64 {
		// Cut at the last whole word that fits.
		s = s[:65]
		if i := strings.LastIndexByte(s, '-'); i > 0 {
			s = s[:i]
		}
		s = strings.TrimRight(s[:min(len(s), 64)], "-")
	}
	return s
}

// derive fills what iotsec needs and a third-party catalog does not say:
// the slug from the short title or title, the publisher from the first
// organisation among the parties, the source from the first http(s) link,
// and an open scope (international, every sector and class).
func (im *importer) derive(s *crosswalk.Scheme, md o.Metadata, bm *o.BackMatter) {
	if s.Slug = Slugify(s.ShortTitle); s.Slug == "" {
		s.Slug = Slugify(md.Title)
	}
	if s.Publisher == "" && md.Parties != nil {
		for _, p := range *md.Parties {
			if p.Type == "organization" && strings.TrimSpace(p.Name) != "" {
				s.Publisher = strings.TrimSpace(p.Name)
				break
			}
		}
	}
	if s.Publisher == "" {
		s.Publisher = "not stated in the OSCAL metadata"
	}
	if s.Licence == "" {
		s.Licence = "not stated in the OSCAL metadata; see the source"
	}
	if s.Status == "" {
		s.Status = crosswalk.StatusVoluntary
	}
	if len(s.Jurisdictions) == 0 {
		s.International = true
	}
	if len(s.Sectors) == 0 && im.base != nil {
		for _, t := range im.base.Vocabulary().Sectors {
			s.Sectors = append(s.Sectors, t.ID)
		}
	}
	if len(s.ProductClasses) == 0 {
		s.ProductClasses = []string{"*"}
	}
	if s.Source.URL == "" {
		for _, r := range s.References {
			if strings.HasPrefix(r.URL, "https://") || strings.HasPrefix(r.URL, "http://") {
				s.Source = r
				break
			}
		}
	}
	if s.Source.URL == "" && bm != nil && bm.Resources != nil {
	res:
		for _, r := range *bm.Resources {
			if r.Rlinks == nil {
				continue
			}
			for _, l := range *r.Rlinks {
				if strings.HasPrefix(l.Href, "https://") || strings.HasPrefix(l.Href, "http://") {
					s.Source = crosswalk.Ref{Title: "no source link in the OSCAL metadata; first back-matter link: " + r.Title, URL: l.Href}
					break res
				}
			}
		}
	}
	if s.Source.Title == "" {
		s.Source.Title = s.Title
	}
}

// target finds what a profile import's href points at: a catalog or
// profile of this import by "#UUID" or file name, a back-matter resource of
// the profile whose links name one, or a scheme already in the base catalog
// (by its iotsec catalog UUID, or the OSCAL UUID or file name it was
// imported from).
func (im *importer) target(p *importedProfile, href string) (*importedCatalog, *importedProfile) {
	var uuids, names []string
	if ref, ok := strings.CutPrefix(href, "#"); ok {
		uuids = append(uuids, ref)
		if bm := p.p.BackMatter; bm != nil && bm.Resources != nil {
			for _, r := range *bm.Resources {
				if r.UUID != ref || r.Rlinks == nil {
					continue
				}
				for _, l := range *r.Rlinks {
					names = append(names, path.Base(l.Href))
				}
			}
		}
	} else if href != "" {
		names = append(names, path.Base(href))
	}
	for _, u := range uuids {
		if c := im.catByUUID[u]; c != nil {
			return c, nil
		}
		if q := im.profByUUID[u]; q != nil {
			return nil, q
		}
	}
	for _, n := range names {
		for _, c := range im.catalogs {
			if c.file != "" && c.file == n {
				return c, nil
			}
		}
		for _, q := range im.profiles {
			if q.file != "" && q.file == n && q != p {
				return nil, q
			}
		}
	}
	if im.base == nil {
		return nil, nil
	}
	for _, slug := range im.base.Slugs() {
		s, err := im.base.Scheme(slug)
		if err != nil {
			continue
		}
		match := slices.Contains(uuids, CatalogUUID(slug))
		for _, r := range s.References {
			file, ok := strings.CutPrefix(r.Title, catalogRefTitle)
			match = match || ok && (slices.Contains(names, file) || slices.Contains(uuids, strings.TrimPrefix(r.URL, "urn:uuid:")))
		}
		if match {
			if ic := im.baseRoots[slug]; ic != nil {
				return ic, nil
			}
			ic := &importedCatalog{name: fmt.Sprintf("scheme %s", slug), scheme: s, ctl: controlTable(s), fromBase: true}
			for _, pr := range s.Provisions {
				ic.ctl[pr.ID] = pr.ID
			}
			if im.baseRoots == nil {
				im.baseRoots = map[string]*importedCatalog{}
			}
			im.baseRoots[slug] = ic
			return ic, nil
		}
	}
	return nil, nil
}

// profileScheme turns a profile of a scheme imported earlier into a scheme
// of its own: the selected provisions, each referring to the base's, so
// the catalog maps the two (equal-to) the way it does for CLS and EN 303 645.
func profileScheme(p *importedProfile) crosswalk.Scheme {
	base := p.root.scheme
	md := p.p.Metadata
	s := crosswalk.Scheme{Slug: Slugify(md.Title), Title: md.Title, Version: md.Version, Publisher: base.Publisher, Type: base.Type,
		Jurisdictions: base.Jurisdictions, International: base.International, Sectors: base.Sectors, ProductClasses: base.ProductClasses,
		ExcludedClasses: base.ExcludedClasses, Status: base.Status, Source: base.Source, Licence: base.Licence, Imported: true,
		Profile: &crosswalk.Profile{Of: base.Slug, Provenance: crosswalk.ProvenanceOfficial, Source: base.Source,
			Rationale: fmt.Sprintf("selected by the OSCAL profile %q", md.Title)}}
	if v := propValue(md.Props, "slug"); v != "" {
		s.Slug = v
	}
	if md.Remarks != "" {
		s.Notes = []string{md.Remarks}
	}
	for _, cid := range p.resolved {
		pid := p.root.ctl[cid]
		if bp, ok := base.Provision(pid); ok {
			s.Provisions = append(s.Provisions, crosswalk.Provision{ID: bp.ID, Title: bp.Title, Kind: bp.Kind, Category: bp.Category,
				Conditional: bp.Conditional, Statement: bp.Statement, TextKind: bp.TextKind, Ref: bp.ID})
		}
	}
	return s
}

// slugTaken says whether a scheme of this import or of the base has slug.
func (im *importer) slugTaken(slug string) bool {
	for _, c := range im.catalogs {
		if c.scheme.Slug == slug {
			return true
		}
	}
	for _, d := range im.derived {
		if d.Slug == slug {
			return true
		}
	}
	if im.base == nil {
		return false
	}
	_, err := im.base.Scheme(slug)
	return err == nil
}

// resourceNames lists, for an error, the files a "#uuid" import's
// back-matter resource links to.
func resourceNames(p o.Profile, href string) string {
	ref, ok := strings.CutPrefix(href, "#")
	if !ok || p.BackMatter == nil || p.BackMatter.Resources == nil {
		return ""
	}
	var names []string
	for _, r := range *p.BackMatter.Resources {
		if r.UUID == ref && r.Rlinks != nil {
			for _, l := range *r.Rlinks {
				names = appendNew(names, path.Base(l.Href))
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}
