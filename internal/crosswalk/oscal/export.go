// Package oscal converts catalog schemes and mapping sets to and from OSCAL
// 1.2: each scheme is an OSCAL catalog, each of its levels a profile, each
// mapping set a mapping-collection. Bundle.Documents gives one document per
// file, which is what OSCAL tools read; Bundle's JSON form, an array of root
// objects, is the older iotsec bundle, still read by Import but not a valid
// OSCAL file. Exports are validated against the OSCAL 1.2.2 JSON schema
// shipped with github.com/defenseunicorns/go-oscal (NIST's release artefact).
//
// It is an engine package: it must not import storage, HTTP servers or
// internal/iotsec.
package oscal

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	o "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// Version is the OSCAL version written.
const Version = o.Version

// NS qualifies iotsec's own props so they never clash with OSCAL's.
const NS = "https://github.com/iotsec/iotsec/ns/oscal"

// Bundle is a set of OSCAL documents that belong together.
type Bundle struct {
	Catalogs []o.Catalog
	Profiles []o.Profile
	Mappings []o.MappingCollection
}

// MarshalJSON writes the bundle as an array of root objects: the legacy
// bundle, not itself an OSCAL document; write Documents for OSCAL tools.
func (b Bundle) MarshalJSON() ([]byte, error) {
	var docs []o.OscalModels
	for i := range b.Catalogs {
		docs = append(docs, o.OscalModels{Catalog: &b.Catalogs[i]})
	}
	for i := range b.Profiles {
		docs = append(docs, o.OscalModels{Profile: &b.Profiles[i]})
	}
	for i := range b.Mappings {
		docs = append(docs, o.OscalModels{MappingCollection: &b.Mappings[i]})
	}
	if docs == nil {
		docs = []o.OscalModels{}
	}
	return json.Marshal(docs)
}

// uuidNS is the namespace of iotsec's name-based UUIDs (RFC 9562 v5), so the
// same scheme always exports with the same UUIDs and mappings can point at
// catalogs by UUID across files.
var uuidNS = [16]byte{0x6b, 0x1f, 0x3c, 0x55, 0x2a, 0x0e, 0x4d, 0x21, 0x9a, 0x7e, 0x10, 0x42, 0x5c, 0x8d, 0x33, 0x01}

// NameUUID returns the version 5 UUID of name in iotsec's namespace.
func NameUUID(name string) string {
	h := sha1.New()
	h.Write(uuidNS[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// CatalogUUID is the UUID a scheme's catalog is exported with.
func CatalogUUID(slug string) string { return NameUUID("catalog:" + slug) }

func profileUUID(slug, level string) string { return NameUUID("profile:" + slug + ":" + level) }

var tokenUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// ControlID turns a provision ID ("5.1-1", "CR 1.1") into an OSCAL token;
// the original ID travels in the control's "label" prop.
func ControlID(id string) string { return "p-" + tokenUnsafe.ReplaceAllString(id, "_") }

func groupID(id string) string { return "g-" + tokenUnsafe.ReplaceAllString(id, "_") }

func prop(name, value string) o.Property {
	return o.Property{Name: name, Value: value, Ns: NS}
}

func props(ps []o.Property) *[]o.Property {
	if len(ps) == 0 {
		return nil
	}
	return &ps
}

// clean makes a string fit OSCAL's StringDatatype (no leading or trailing
// space, no empty value).
func clean(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ExportScheme returns the scheme as an OSCAL catalog plus one profile per
// level. at is the last-modified time written into every document.
func ExportScheme(s crosswalk.Scheme, at time.Time) (Bundle, error) {
	at = at.UTC().Truncate(time.Second)
	cat := o.Catalog{UUID: CatalogUUID(s.Slug), Metadata: schemeMetadata(s, at)}
	seen := map[string]string{}
	groups := map[string]*o.Group{}
	var order []string
	var loose []o.Control
	for _, c := range s.Categories {
		groups[c.ID] = &o.Group{ID: groupID(c.ID), Title: clean(c.Title), Class: "category",
			Props: props([]o.Property{prop("label", c.ID)})}
	}
	// Groups follow the provisions' order so a round trip keeps it.
	for _, p := range s.Provisions {
		if _, ok := groups[p.Category]; ok && !slices.Contains(order, p.Category) {
			order = append(order, p.Category)
		}
	}
	for _, p := range s.Provisions {
		cid := ControlID(p.ID)
		if other, dup := seen[cid]; dup {
			return Bundle{}, fmt.Errorf("export %s: provisions %q and %q map to the same control ID %s", s.Slug, other, p.ID, cid)
		}
		seen[cid] = p.ID
		ctl := provisionControl(p)
		if g, ok := groups[p.Category]; ok {
			ctls := append(deref(g.Controls), ctl)
			g.Controls = &ctls
			continue
		}
		loose = append(loose, ctl)
	}
	var gs []o.Group
	for _, id := range order {
		if groups[id].Controls != nil {
			gs = append(gs, *groups[id])
		}
	}
	if len(gs) > 0 {
		cat.Groups = &gs
	}
	if len(loose) > 0 {
		cat.Controls = &loose
	}
	b := Bundle{Catalogs: []o.Catalog{cat}}
	for _, l := range s.Levels {
		var ids []string
		for _, p := range s.Provisions {
			if slices.Contains(p.Levels, l.ID) || len(p.Levels) == 0 {
				ids = append(ids, ControlID(p.ID))
			}
		}
		b.Profiles = append(b.Profiles, levelProfile(s, l, ids, at))
	}
	return b, nil
}

func deref(p *[]o.Control) []o.Control {
	if p == nil {
		return nil
	}
	return *p
}

func schemeMetadata(s crosswalk.Scheme, at time.Time) o.Metadata {
	ps := []o.Property{prop("slug", s.Slug), prop("type", s.Type), prop("status", s.Status)}
	add := func(name, v string) {
		if v = clean(v); v != "" {
			ps = append(ps, prop(name, v))
		}
	}
	add("state", s.State)
	add("publisher", s.Publisher)
	add("short-title", s.ShortTitle)
	for _, j := range s.Jurisdictions {
		add("jurisdiction", j)
	}
	if s.International {
		add("international", "true")
	}
	for _, v := range s.Sectors {
		add("sector", v)
	}
	for _, v := range s.ProductClasses {
		add("product-class", v)
	}
	for _, v := range s.ExcludedClasses {
		add("excluded-class", v)
	}
	add("published", string(s.Dates.Published))
	add("in-force", string(s.Dates.InForce))
	add("applies-from", string(s.Dates.AppliesFrom))
	add("closed", string(s.Dates.Closed))
	add("licence", s.Licence)
	add("confidence", string(s.Confidence))
	if s.Cumulative {
		add("cumulative", "true")
	}
	for _, u := range s.Uncertain {
		add("uncertain", u)
	}
	for _, b := range s.Basis {
		add("basis", b)
	}
	if pr := s.Profile; pr != nil {
		add("profile-of", pr.Of)
		add("profile-provenance", pr.Provenance)
		add("profile-source-title", pr.Source.Title)
		add("profile-source-url", pr.Source.URL)
		add("profile-confidence", string(pr.Confidence))
		add("profile-rationale", pr.Rationale)
	}
	links := []o.Link{{Href: s.Source.URL, Rel: "reference", Text: clean(s.Source.Title)}}
	for _, r := range s.References {
		if r.URL != "" {
			links = append(links, o.Link{Href: r.URL, Rel: "related", Text: clean(r.Title)})
		}
	}
	return o.Metadata{Title: clean(s.Title), Version: clean(s.Version), OscalVersion: Version, LastModified: at,
		Props: &ps, Links: &links, Remarks: strings.Join(s.Notes, "\n\n")}
}

func provisionControl(p crosswalk.Provision) o.Control {
	ps := []o.Property{{Name: "label", Value: clean(p.ID)}, prop("kind", p.Kind)}
	if p.Category != "" {
		ps = append(ps, prop("category", p.Category))
	}
	if p.Conditional {
		ps = append(ps, prop("conditional", "true"))
	}
	if p.Confidence != "" {
		ps = append(ps, prop("confidence", string(p.Confidence)))
	}
	if p.Ref != "" {
		ps = append(ps, prop("ref", p.Ref))
	}
	for _, l := range p.Levels {
		ps = append(ps, prop("level", l))
	}
	ctl := o.Control{ID: ControlID(p.ID), Title: clean(p.Title), Class: "provision", Props: &ps}
	var parts []o.Part
	if st := clean(p.Statement); st != "" {
		kind := p.TextKind
		if kind == "" {
			kind = "paraphrase"
		}
		parts = append(parts, o.Part{Name: "statement", ID: ControlID(p.ID) + "_smt", Prose: st,
			Props: &[]o.Property{prop("text-kind", kind)}})
	}
	if n := clean(p.Note); n != "" {
		parts = append(parts, o.Part{Name: "guidance", ID: ControlID(p.ID) + "_gdn", Prose: n})
	}
	for _, t := range p.Tests {
		tp := []o.Property{prop("test-case", t.ID), prop("test-type", t.Type)}
		if t.Confidence != "" {
			tp = append(tp, prop("confidence", string(t.Confidence)))
		}
		parts = append(parts, o.Part{Name: "assessment-method", ID: ControlID(p.ID) + "_tc-" + tokenUnsafe.ReplaceAllString(t.ID, "_"),
			Title: clean("Test case " + t.ID), Props: &tp})
	}
	if len(parts) > 0 {
		ctl.Parts = &parts
	}
	return ctl
}

func levelProfile(s crosswalk.Scheme, l crosswalk.Level, ids []string, at time.Time) o.Profile {
	ps := []o.Property{prop("slug", s.Slug), prop("level", l.ID), prop("level-title", clean(l.Title)), prop("rank", strconv.Itoa(l.Rank))}
	if l.Assessment != "" {
		ps = append(ps, prop("assessment", l.Assessment))
	}
	if l.Confidence != "" {
		ps = append(ps, prop("confidence", string(l.Confidence)))
	}
	if l.Source != nil {
		for _, kv := range [][2]string{{"level-source-title", l.Source.Title}, {"level-source-url", l.Source.URL}, {"level-source-clause", l.Source.Clause}} {
			if kv[1] != "" {
				ps = append(ps, prop(kv[0], clean(kv[1])))
			}
		}
	}
	catUUID := CatalogUUID(s.Slug)
	res := []o.Resource{{UUID: catUUID, Title: clean(s.Title), Rlinks: &[]o.ResourceLink{{Href: CatalogFile(s.Slug), MediaType: "application/oscal.catalog+json"}}}}
	imp := o.Import{Href: "#" + catUUID}
	if len(ids) > 0 {
		imp.IncludeControls = &[]o.SelectControlById{{WithIds: &ids}}
	}
	return o.Profile{
		UUID:       profileUUID(s.Slug, l.ID),
		Metadata:   o.Metadata{Title: clean(s.Title + ": " + l.Title), Version: clean(s.Version), OscalVersion: Version, LastModified: at, Props: &ps, Remarks: clean(l.Description)},
		Imports:    []o.Import{imp},
		Merge:      &o.Merge{AsIs: true},
		BackMatter: &o.BackMatter{Resources: &res},
	}
}

// ExportMappingSet returns the set as an OSCAL 1.2 mapping collection whose
// source and target resources point at the exported catalogs by UUID.
func ExportMappingSet(m crosswalk.MappingSet, at time.Time) o.MappingCollection {
	at = at.UTC().Truncate(time.Second)
	desc := m.Title
	if desc == "" {
		desc = "Mapping of " + m.From + " onto " + m.To
	}
	provProps := []o.Property{prop("provenance", m.Provenance), prop("confidence", string(m.Confidence))}
	var maps []o.Map
	for i, mp := range m.Maps {
		conf := mp.Confidence
		if conf == "" {
			conf = m.Confidence
		}
		mprops := []o.Property{}
		if mp.Provenance != "" {
			mprops = append(mprops, prop("provenance", mp.Provenance))
		}
		om := o.Map{
			UUID:              NameUUID(fmt.Sprintf("map:%s:%d", m.ID, i)),
			Relationship:      mp.Relationship,
			Sources:           items(mp.Sources),
			Targets:           items(mp.Targets),
			MatchingRationale: "semantic",
			ConfidenceScore:   &o.ConfidenceScore{Category: string(conf)},
			Remarks:           mp.Rationale,
			Props:             props(mprops),
		}
		if mp.Citation != nil && mp.Citation.URL != "" {
			om.Links = &[]o.Link{{Href: mp.Citation.URL, Rel: "reference", Text: clean(mp.Citation.Title)}}
		}
		maps = append(maps, om)
	}
	res := func(slug string) o.MappingResourceReference {
		return o.MappingResourceReference{Type: "catalog", Href: "#" + CatalogUUID(slug), Props: &[]o.Property{prop("scheme", slug)}}
	}
	links := []o.Link{{Href: m.Citation.URL, Rel: "reference", Text: clean(m.Citation.Title)}}
	return o.MappingCollection{
		UUID:     NameUUID("mapping:" + m.ID),
		Metadata: o.Metadata{Title: clean(desc), Version: "1", OscalVersion: Version, LastModified: at, Props: &[]o.Property{prop("mapping-set", m.ID)}, Remarks: strings.Join(m.Notes, "\n\n")},
		Provenance: o.MappingProvenance{Method: "human", MatchingRationale: "semantic", Status: "complete",
			MappingDescription: clean(desc), Props: &provProps, Links: &links},
		Mappings: o.Mapping{UUID: NameUUID("mapping-entry:" + m.ID), SourceResource: res(m.From), TargetResource: res(m.To),
			Maps: maps, Method: "human", MatchingRationale: "semantic", Status: "complete",
			ConfidenceScore: &o.ConfidenceScore{Category: string(m.Confidence)}},
	}
}

func items(ids []string) []o.MappingItem {
	out := make([]o.MappingItem, len(ids))
	for i, id := range ids {
		out[i] = o.MappingItem{Type: "control", IDRef: ControlID(id)}
	}
	return out
}

// Document is one OSCAL document ready to write to its own file.
type Document struct {
	// Name is the file name: SLUG.catalog.json, SLUG.LEVEL.profile.json or
	// MAPPING-SET-ID.mapping.json (unsafe characters replaced by "_").
	Name string
	// Model is catalog, profile or mapping-collection.
	Model string
	// Root is the document's root object (o.OscalModels).
	Root o.OscalModels
}

// JSON returns the document indented, with a final newline.
func (d Document) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d.Root, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func fileToken(s string) string { return tokenUnsafe.ReplaceAllString(s, "_") }

// CatalogFile is the file name a scheme's catalog is written as; level
// profiles point at it by this name.
func CatalogFile(slug string) string { return fileToken(slug) + ".catalog.json" }

// Documents splits the bundle into one OSCAL document per file, in a
// stable order (catalogs, profiles, mapping collections) with stable names.
func (b Bundle) Documents() []Document {
	var out []Document
	for i := range b.Catalogs {
		slug := propValue(b.Catalogs[i].Metadata.Props, "slug")
		if slug == "" {
			slug = b.Catalogs[i].UUID
		}
		out = append(out, Document{Name: CatalogFile(slug), Model: "catalog", Root: o.OscalModels{Catalog: &b.Catalogs[i]}})
	}
	for i := range b.Profiles {
		md := b.Profiles[i].Metadata.Props
		name := b.Profiles[i].UUID
		if slug, level := propValue(md, "slug"), propValue(md, "level"); slug != "" && level != "" {
			name = slug + "." + level
		}
		out = append(out, Document{Name: fileToken(name) + ".profile.json", Model: "profile", Root: o.OscalModels{Profile: &b.Profiles[i]}})
	}
	for i := range b.Mappings {
		name := propValue(b.Mappings[i].Metadata.Props, "mapping-set")
		if name == "" {
			name = b.Mappings[i].UUID
		}
		out = append(out, Document{Name: fileToken(name) + ".mapping.json", Model: "mapping-collection", Root: o.OscalModels{MappingCollection: &b.Mappings[i]}})
	}
	return out
}
