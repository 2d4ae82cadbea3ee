package crosswalk

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

//go:embed data
var dataFS embed.FS

// Vocabulary is the controlled list of sectors, product classes and markets
// the schemes, queries and gap matrix speak.
type Vocabulary struct {
	Sectors   []Term   `json:"sectors"`
	Classes   []Class  `json:"classes"`
	Markets   []Market `json:"markets"`
	EUMembers []string `json:"eu_members"`
	// Aliases maps what users type to codes ("UK" to "GB").
	Aliases map[string]string `json:"aliases"`
	// ClassAliases and SectorAliases map the inventory's product classes
	// and sectors (internal/iotsec) onto this vocabulary, so a product's
	// own class and sector can be asked about as they are.
	ClassAliases  map[string]string `json:"class_aliases,omitempty"`
	SectorAliases map[string]string `json:"sector_aliases,omitempty"`
	// ClassNotes explain, by the name a user typed, what an alias now
	// answers for (the retired "computer" class, split in four).
	ClassNotes map[string]string `json:"class_notes,omitempty"`
	// Hubs are the schemes Compare routes through when two schemes have no
	// direct mapping, in order of preference.
	Hubs []string `json:"hubs"`
}

// Term is an entry of a controlled list.
type Term struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Class is a product class and the sectors it is sold in.
type Class struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Sectors []string `json:"sectors"`
}

// Market is a jurisdiction the gap matrix shows by default.
type Market struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Data is a catalog's content before validation: the embedded data, or the
// embedded data plus a user's imported schemes and mappings.
type Data struct {
	Vocabulary Vocabulary
	Schemes    []Scheme
	Mappings   []MappingSet
	Agreements []Agreement
}

// Embedded decodes the data shipped in the binary, without validating it.
func Embedded() (Data, error) {
	var d Data
	if err := decodeFile(dataFS, "data/vocabulary.json", &d.Vocabulary); err != nil {
		return d, err
	}
	if err := decodeFile(dataFS, "data/recognition.json", &d.Agreements); err != nil {
		return d, err
	}
	for _, dir := range []string{"data/schemes", "data/mappings"} {
		entries, err := fs.ReadDir(dataFS, dir)
		if err != nil {
			return d, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			name := path.Join(dir, e.Name())
			if dir == "data/schemes" {
				var s Scheme
				if err := decodeFile(dataFS, name, &s); err != nil {
					return d, err
				}
				d.Schemes = append(d.Schemes, s)
				continue
			}
			var m MappingSet
			if err := decodeFile(dataFS, name, &m); err != nil {
				return d, err
			}
			d.Mappings = append(d.Mappings, m)
		}
	}
	return d, nil
}

func decodeFile(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", name, err)
	}
	return nil
}

// Load returns the embedded catalog, validated.
func Load() (*Catalog, error) {
	d, err := Embedded()
	if err != nil {
		return nil, err
	}
	return Build(d)
}

// Catalog is a validated, indexed, read-only set of schemes, mappings and
// agreements. It is safe for concurrent use.
type Catalog struct {
	data    Data
	schemes map[string]*Scheme
	order   []string
	// adj[a][id][b] lists the edges from provision id of scheme a to scheme b,
	// stored once per direction so lookups never reverse relationships.
	adj     map[string]map[string]map[string][]*edge
	classes map[string]*Class
	sectors map[string]bool
	hubs    []string
	eu      map[string]bool
}

// edge is a map seen from one side: Sources in scheme from, Targets in to,
// Rel read from the sources' side.
type edge struct {
	from, to   string
	sources    []string
	targets    []string
	rel        string
	confidence Confidence
	provenance string
	rationale  string
	citation   Ref
	set        string
}

// ValidationError lists every problem found in catalog data.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid catalog: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid catalog: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Build validates d and indexes it. The error, a *ValidationError, names
// every problem rather than the first.
func Build(d Data) (*Catalog, error) {
	v := &validator{}
	c := &Catalog{
		schemes: map[string]*Scheme{},
		adj:     map[string]map[string]map[string][]*edge{},
		classes: map[string]*Class{},
		sectors: map[string]bool{},
		eu:      map[string]bool{},
	}
	d = cloneData(d)
	c.indexVocabulary(d.Vocabulary, v)
	for i := range d.Schemes {
		s := &d.Schemes[i]
		if s.Slug == "" {
			v.add("scheme #%d: no slug", i+1)
			continue
		}
		if _, dup := c.schemes[s.Slug]; dup {
			v.add("scheme %s: duplicate slug", s.Slug)
			continue
		}
		c.schemes[s.Slug] = s
		c.order = append(c.order, s.Slug)
	}
	sort.Strings(c.order)
	for _, slug := range c.order {
		c.checkScheme(c.schemes[slug], v)
	}
	// Profiles resolve after every scheme is known; a profile of a profile
	// resolves in dependency order.
	for _, slug := range c.order {
		c.resolveProfile(c.schemes[slug], v, map[string]bool{})
	}
	for _, slug := range c.order {
		if s := c.schemes[slug]; s.Profile != nil {
			if m, ok := profileMappings(s); ok {
				d.Mappings = append(d.Mappings, m)
			}
		}
	}
	setIDs := map[string]bool{}
	for i := range d.Mappings {
		m := &d.Mappings[i]
		if m.ID == "" {
			m.ID = m.From + "--" + m.To
		}
		if setIDs[m.ID] {
			v.add("mapping set %s: duplicate ID", m.ID)
			continue
		}
		setIDs[m.ID] = true
		c.checkMappingSet(m, v)
	}
	agreementIDs := map[string]bool{}
	for i := range d.Agreements {
		a := &d.Agreements[i]
		if agreementIDs[a.ID] {
			v.add("agreement %s: duplicate ID", a.ID)
		}
		agreementIDs[a.ID] = true
		c.checkAgreement(a, v)
	}
	for _, h := range d.Vocabulary.Hubs {
		if _, ok := c.schemes[h]; !ok {
			v.add("vocabulary: hub %s is not a scheme", h)
			continue
		}
		c.hubs = append(c.hubs, h)
	}
	if len(v.problems) > 0 {
		return nil, &ValidationError{Problems: v.problems}
	}
	c.data = d
	for i := range c.data.Mappings {
		if !c.data.Mappings[i].Supersedes {
			c.index(&c.data.Mappings[i])
		}
	}
	if err := c.supersede(); err != nil {
		return nil, err
	}
	return c, nil
}

// supersede indexes the superseding mapping sets in order, after the
// others: each of their maps first drops the edges of every set that join the
// same provisions of the same two schemes (in either direction), so the
// crosswalk algebra sees the new relationship and confidence alone. The
// sets' data stays as it was (an export still lists both); the answers
// change. A superseding map that replaces nothing is an error: a change
// names a map the catalog has.
func (c *Catalog) supersede() error {
	v := &validator{}
	for i := range c.data.Mappings {
		m := &c.data.Mappings[i]
		if !m.Supersedes {
			continue
		}
		for j, mp := range m.Maps {
			n := c.drop(m.From, m.To, mp.Sources, mp.Targets, m.ID)
			c.drop(m.To, m.From, mp.Targets, mp.Sources, m.ID)
			if n == 0 {
				v.add("mapping set %s: map #%d (%s %s %s) replaces no map of the catalog between %s and %s over the same provisions",
					m.ID, j+1, strings.Join(mp.Sources, "+"), mp.Relationship, strings.Join(mp.Targets, "+"), m.From, m.To)
			}
		}
		c.index(m)
	}
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

// drop removes from the index the edges from scheme `from` to `to`, of a
// set other than keep, whose sources and targets are exactly the given
// provisions (in any order), and returns how many it removed.
func (c *Catalog) drop(from, to string, sources, targets []string, keep string) int {
	match := func(e *edge) bool {
		return e.set != keep && sameIDs(e.sources, sources) && sameIDs(e.targets, targets)
	}
	n := 0
	for k, id := range sources {
		byTo := c.adj[from][id]
		if byTo == nil {
			continue
		}
		before := len(byTo[to])
		byTo[to] = slices.DeleteFunc(byTo[to], match)
		if k == 0 {
			n = before - len(byTo[to])
		}
		if len(byTo[to]) == 0 {
			delete(byTo, to)
		}
	}
	return n
}

// sameIDs says a and b hold the same provision IDs, in any order.
func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

// With returns a new catalog holding c's content plus extra schemes,
// mappings and agreements, validated as a whole. A slug already in c is an
// error: an import never silently replaces a scheme.
func (c *Catalog) With(schemes []Scheme, mappings []MappingSet, agreements []Agreement) (*Catalog, error) {
	d := cloneData(c.data)
	// Profile mappings are regenerated by Build.
	d.Mappings = slices.DeleteFunc(d.Mappings, func(m MappingSet) bool { return strings.HasPrefix(m.ID, "profile:") })
	for _, s := range schemes {
		if _, ok := c.schemes[s.Slug]; ok {
			return nil, &ValidationError{Problems: []string{fmt.Sprintf("scheme %s: slug already in the catalog", s.Slug)}}
		}
	}
	d.Schemes = append(d.Schemes, schemes...)
	d.Mappings = append(d.Mappings, mappings...)
	d.Agreements = append(d.Agreements, agreements...)
	return Build(d)
}

// Data returns a copy of the catalog's content (with profile mappings
// generated), for export.
func (c *Catalog) Data() Data { return cloneData(c.data) }

type validator struct{ problems []string }

func (v *validator) add(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (c *Catalog) indexVocabulary(voc Vocabulary, v *validator) {
	for _, s := range voc.Sectors {
		if c.sectors[s.ID] {
			v.add("vocabulary: duplicate sector %s", s.ID)
		}
		c.sectors[s.ID] = true
	}
	for i := range voc.Classes {
		cl := &voc.Classes[i]
		if _, dup := c.classes[cl.ID]; dup {
			v.add("vocabulary: duplicate class %s", cl.ID)
		}
		c.classes[cl.ID] = cl
		for _, s := range cl.Sectors {
			if !c.sectors[s] {
				v.add("vocabulary: class %s: unknown sector %s", cl.ID, s)
			}
		}
	}
	for _, m := range voc.EUMembers {
		c.eu[m] = true
	}
	for from, to := range voc.ClassAliases {
		if _, ok := c.classes[to]; !ok {
			v.add("vocabulary: class alias %s: %s is not a class", from, to)
		}
	}
	for from := range voc.ClassNotes {
		if _, ok := voc.ClassAliases[from]; !ok {
			v.add("vocabulary: class note %s: not a class alias", from)
		}
	}
	for from, to := range voc.SectorAliases {
		if !c.sectors[to] {
			v.add("vocabulary: sector alias %s: %s is not a sector", from, to)
		}
	}
}

var statuses = []string{StatusMandatory, StatusVoluntary, StatusMandatoryForClass}

func validConfidence(c Confidence) bool {
	return c == "" || c == High || c == Medium || c == Low
}

func (c *Catalog) checkScheme(s *Scheme, v *validator) {
	at := "scheme " + s.Slug
	req := map[string]string{"title": s.Title, "version": s.Version, "publisher": s.Publisher, "type": s.Type, "licence": s.Licence}
	for _, k := range []string{"title", "version", "publisher", "type", "licence"} {
		if strings.TrimSpace(req[k]) == "" {
			v.add("%s: no %s", at, k)
		}
	}
	if s.Source.URL == "" {
		v.add("%s: no source URL", at)
	} else if !strings.HasPrefix(s.Source.URL, "https://") && !strings.HasPrefix(s.Source.URL, "http://") {
		v.add("%s: source URL %q is not http(s)", at, s.Source.URL)
	}
	if val := s.Validity; val != nil {
		if val.Months < 1 || val.Months > 120 {
			v.add("%s: validity months %d is not 1..120", at, val.Months)
		}
		if val.RenewalWindowDays < 0 || val.RenewalWindowDays > 366 {
			v.add("%s: validity renewal_window_days %d is not 0..366", at, val.RenewalWindowDays)
		}
		if strings.TrimSpace(val.Source) == "" {
			v.add("%s: validity has no source", at)
		}
	}
	if !slices.Contains(statuses, s.Status) {
		v.add("%s: status %q is not one of %s", at, s.Status, strings.Join(statuses, ", "))
	}
	if !validConfidence(s.Confidence) {
		v.add("%s: confidence %q is not high, medium or low", at, s.Confidence)
	}
	if len(s.Jurisdictions) == 0 && !s.International {
		v.add("%s: no jurisdictions and not international", at)
	}
	for _, j := range s.Jurisdictions {
		if !c.validJurisdiction(j) {
			v.add("%s: jurisdiction %q is not an ISO 3166-1 alpha-2 code or EU", at, j)
		}
	}
	if len(s.Sectors) == 0 {
		v.add("%s: no sectors", at)
	}
	for _, sec := range s.Sectors {
		if !c.sectors[sec] {
			v.add("%s: unknown sector %s", at, sec)
		}
	}
	for _, cl := range append(slices.Clone(s.ProductClasses), s.ExcludedClasses...) {
		if cl == "*" {
			continue
		}
		if _, ok := c.classes[cl]; !ok {
			v.add("%s: unknown product class %s", at, cl)
		}
	}
	if len(s.ProductClasses) == 0 {
		v.add("%s: no product classes", at)
	}
	checkDate := func(what string, d Date) {
		if !d.Valid() {
			v.add("%s: %s date %q does not parse (want YYYY, YYYY-MM or YYYY-MM-DD)", at, what, d)
		}
	}
	checkDate("published", s.Dates.Published)
	checkDate("in_force", s.Dates.InForce)
	checkDate("applies_from", s.Dates.AppliesFrom)
	checkDate("closed", s.Dates.Closed)
	for _, m := range s.Dates.Milestones {
		if m.Date == "" {
			v.add("%s: milestone %q has no date", at, m.Event)
		}
		checkDate("milestone "+m.Event, m.Date)
	}
	levels := map[string]bool{}
	ranks := map[int]bool{}
	for _, l := range s.Levels {
		if levels[l.ID] {
			v.add("%s: duplicate level %s", at, l.ID)
		}
		if ranks[l.Rank] {
			v.add("%s: level %s: duplicate rank %d", at, l.ID, l.Rank)
		}
		levels[l.ID], ranks[l.Rank] = true, true
		if !s.Imported && (l.Source == nil || strings.TrimSpace(l.Source.Clause) == "" || (l.Source.URL == "" && l.Source.Title == "")) {
			v.add("%s: level %s: description cites no source clause", at, l.ID)
		}
	}
	c.checkScope(s, v)
	for _, o := range s.Obligations {
		if o.Level != "" && !levels[o.Level] {
			v.add("%s: obligation %q: level %s does not exist", at, o.Instrument, o.Level)
		}
		checkDate("obligation "+o.Instrument, o.From)
		for _, j := range o.Jurisdictions {
			if !c.validJurisdiction(j) {
				v.add("%s: obligation %q: jurisdiction %q invalid", at, o.Instrument, j)
			}
		}
		for _, cl := range o.Classes {
			if _, ok := c.classes[cl]; !ok {
				v.add("%s: obligation %q: unknown class %s", at, o.Instrument, cl)
			}
		}
	}
	for _, b := range s.Basis {
		if _, ok := c.schemes[b]; !ok {
			v.add("%s: basis %s is not a scheme", at, b)
		}
	}
	cats := map[string]bool{}
	for _, cat := range s.Categories {
		if cats[cat.ID] {
			v.add("%s: duplicate category %s", at, cat.ID)
		}
		cats[cat.ID] = true
	}
	ids := map[string]bool{}
	for i := range s.Provisions {
		p := &s.Provisions[i]
		pat := fmt.Sprintf("%s: provision %s", at, p.ID)
		if p.ID == "" {
			v.add("%s: provision #%d has no ID", at, i+1)
			continue
		}
		if ids[p.ID] {
			v.add("%s: duplicate ID", pat)
		}
		ids[p.ID] = true
		if p.Ref == "" && strings.TrimSpace(p.Title) == "" {
			v.add("%s: no title", pat)
		}
		if p.Ref == "" && p.Kind != KindMandatory && p.Kind != KindRecommended {
			v.add("%s: kind %q is not mandatory or recommended", pat, p.Kind)
		}
		if p.Category != "" && len(cats) > 0 && !cats[p.Category] {
			v.add("%s: category %s does not exist", pat, p.Category)
		}
		if !validConfidence(p.Confidence) {
			v.add("%s: confidence %q invalid", pat, p.Confidence)
		}
		if p.MinLevel != "" {
			if !levels[p.MinLevel] {
				v.add("%s: min_level %s does not exist", pat, p.MinLevel)
			} else {
				p.Levels = expandLevels(s, p.MinLevel)
			}
		}
		for _, l := range p.Levels {
			if !levels[l] {
				v.add("%s: level %s does not exist", pat, l)
			}
		}
		if p.Ref != "" && s.Profile == nil {
			v.add("%s: ref %s but the scheme is not a profile", pat, p.Ref)
		}
		tests := map[string]bool{}
		for _, t := range p.Tests {
			if tests[t.ID] {
				v.add("%s: duplicate test case %s", pat, t.ID)
			}
			tests[t.ID] = true
		}
	}
	if s.Profile != nil {
		if _, ok := c.schemes[s.Profile.Of]; !ok {
			v.add("%s: profile of %s, which is not a scheme", at, s.Profile.Of)
		}
		if s.Profile.Source.URL == "" {
			v.add("%s: profile has no source URL", at)
		}
	}
}

func (c *Catalog) validJurisdiction(j string) bool {
	if j == "EU" {
		return true
	}
	if len(j) != 2 || strings.ToUpper(j) != j {
		return false
	}
	return j[0] >= 'A' && j[0] <= 'Z' && j[1] >= 'A' && j[1] <= 'Z'
}

func expandLevels(s *Scheme, min string) []string {
	base, _ := s.Level(min)
	var out []string
	for _, l := range s.Levels {
		if l.Rank >= base.Rank {
			out = append(out, l.ID)
		}
	}
	return out
}

// resolveProfile fills a profile's provisions from their base provisions:
// title, category, conditional and statement come from the base unless
// given; kind defaults to mandatory, since a label requires what it lists.
func (c *Catalog) resolveProfile(s *Scheme, v *validator, seen map[string]bool) {
	if s.Profile == nil || seen[s.Slug] {
		if seen[s.Slug] {
			v.add("scheme %s: profile cycle", s.Slug)
		}
		return
	}
	seen[s.Slug] = true
	base, ok := c.schemes[s.Profile.Of]
	if !ok {
		return
	}
	c.resolveProfile(base, v, seen)
	for i := range s.Provisions {
		p := &s.Provisions[i]
		if p.Ref == "" {
			continue
		}
		bp, ok := base.Provision(p.Ref)
		if !ok {
			v.add("scheme %s: provision %s: ref %s not in %s", s.Slug, p.ID, p.Ref, base.Slug)
			continue
		}
		if p.Title == "" {
			p.Title = bp.Title
		}
		if p.Category == "" {
			p.Category = bp.Category
		}
		if p.Statement == "" {
			p.Statement, p.TextKind = bp.Statement, bp.TextKind
		}
		if !p.Conditional {
			p.Conditional = bp.Conditional
		}
		if p.Kind == "" {
			p.Kind = KindMandatory
		}
	}
	used := map[string]bool{}
	for _, p := range s.Provisions {
		used[p.Category] = true
	}
	for _, cat := range base.Categories {
		if used[cat.ID] && !slices.ContainsFunc(s.Categories, func(c Category) bool { return c.ID == cat.ID }) {
			s.Categories = append(s.Categories, cat)
		}
	}
}

// checkScope checks that the scheme's scope cites a clause for every class
// it includes or excludes, and names no class the lists do not. Imported
// schemes may leave their scope uncited; the embedded data may not.
func (c *Catalog) checkScope(s *Scheme, v *validator) {
	at := "scheme " + s.Slug
	if len(s.Scope) == 0 {
		if !s.Imported {
			v.add("%s: no scope: cite the clause behind its product classes and exclusions", at)
		}
		return
	}
	cited := map[bool]map[string]bool{false: {}, true: {}}
	for i, b := range s.Scope {
		bat := fmt.Sprintf("%s: scope #%d", at, i+1)
		if strings.TrimSpace(b.Source.Clause) == "" {
			v.add("%s: no clause cited", bat)
		}
		if b.Source.URL == "" && b.Source.Title == "" {
			v.add("%s: no source", bat)
		}
		if !validConfidence(b.Confidence) {
			v.add("%s: confidence %q invalid", bat, b.Confidence)
		}
		if len(b.Classes) == 0 {
			v.add("%s: no classes", bat)
		}
		list := s.ProductClasses
		if b.Excluded {
			list = s.ExcludedClasses
		}
		for _, cl := range b.Classes {
			if !slices.Contains(list, cl) {
				v.add("%s: class %s is not in the scheme's %s", bat, cl, map[bool]string{false: "product_classes", true: "excluded_classes"}[b.Excluded])
			}
			cited[b.Excluded][cl] = true
		}
	}
	for _, cl := range s.ProductClasses {
		if !cited[false][cl] {
			v.add("%s: product class %s: no scope entry cites where it is included", at, cl)
		}
	}
	for _, cl := range s.ExcludedClasses {
		if !cited[true][cl] {
			v.add("%s: excluded class %s: no scope entry cites where it is excluded", at, cl)
		}
	}
}

// profileMappings turns a profile's refs into an equal-to mapping set.
func profileMappings(s *Scheme) (MappingSet, bool) {
	m := MappingSet{
		ID:         "profile:" + s.Slug + "--" + s.Profile.Of,
		From:       s.Slug,
		To:         s.Profile.Of,
		Title:      s.Title + " as a profile of " + s.Profile.Of,
		Provenance: s.Profile.Provenance,
		Citation:   s.Profile.Source,
		Confidence: s.Profile.Confidence,
		Imported:   s.Imported,
	}
	if m.Confidence == "" {
		m.Confidence = High
	}
	for _, p := range s.Provisions {
		if p.Ref == "" {
			continue
		}
		m.Maps = append(m.Maps, Map{
			Sources: []string{p.ID}, Targets: []string{p.Ref}, Relationship: EqualTo,
			Rationale: s.Profile.Rationale, Confidence: p.Confidence,
		})
	}
	return m, len(m.Maps) > 0
}

var relationships = []string{EquivalentTo, EqualTo, SubsetOf, SupersetOf, IntersectsWith, NoRelationship}

func (c *Catalog) checkMappingSet(m *MappingSet, v *validator) {
	at := "mapping set " + m.ID
	from, okf := c.schemes[m.From]
	to, okt := c.schemes[m.To]
	if !okf {
		v.add("%s: from scheme %s does not exist", at, m.From)
	}
	if !okt {
		v.add("%s: to scheme %s does not exist", at, m.To)
	}
	if m.From == m.To && okf {
		v.add("%s: maps %s onto itself", at, m.From)
	}
	switch m.Provenance {
	case ProvenanceOfficial, ProvenanceExpert, ProvenanceDerived:
	default:
		v.add("%s: provenance %q is not official, expert or derived", at, m.Provenance)
	}
	if m.Citation.URL == "" {
		v.add("%s: no citation URL", at)
	}
	if m.Confidence == "" || !validConfidence(m.Confidence) {
		v.add("%s: confidence %q is not high, medium or low", at, m.Confidence)
	}
	if len(m.Maps) == 0 {
		v.add("%s: no maps", at)
	}
	for i, mp := range m.Maps {
		mat := fmt.Sprintf("%s: map #%d (%s %s %s)", at, i+1, strings.Join(mp.Sources, "+"), mp.Relationship, strings.Join(mp.Targets, "+"))
		if !slices.Contains(relationships, mp.Relationship) {
			v.add("%s: relationship %q is not an OSCAL 1.2 relationship", mat, mp.Relationship)
		}
		if len(mp.Sources) == 0 || len(mp.Targets) == 0 {
			v.add("%s: needs at least one source and one target", mat)
		}
		if strings.TrimSpace(mp.Rationale) == "" {
			v.add("%s: no rationale", mat)
		}
		if !validConfidence(mp.Confidence) {
			v.add("%s: confidence %q invalid", mat, mp.Confidence)
		}
		if mp.Provenance != "" && mp.Provenance != ProvenanceOfficial && mp.Provenance != ProvenanceExpert && mp.Provenance != ProvenanceDerived {
			v.add("%s: provenance %q invalid", mat, mp.Provenance)
		}
		// An official map says which clause of the instrument makes it
		// official (a deemed-compliance paragraph, an annex); one that
		// cannot is expert.
		prov, cit := mp.Provenance, m.Citation
		if prov == "" {
			prov = m.Provenance
		}
		if mp.Citation != nil {
			cit = *mp.Citation
		}
		if !m.Imported && prov == ProvenanceOfficial && strings.TrimSpace(cit.Clause) == "" {
			v.add("%s: official, but its citation names no clause of the instrument that makes it official (cite it or mark it expert)", mat)
		}
		if okf {
			for _, id := range mp.Sources {
				if _, ok := from.Provision(id); !ok {
					v.add("%s: source %s is not a provision of %s", mat, id, m.From)
				}
			}
		}
		if okt {
			for _, id := range mp.Targets {
				if _, ok := to.Provision(id); !ok {
					v.add("%s: target %s is not a provision of %s", mat, id, m.To)
				}
			}
		}
	}
}

func (c *Catalog) checkAgreement(a *Agreement, v *validator) {
	at := "agreement " + a.ID
	if a.ID == "" {
		v.add("agreement %q: no ID", a.Title)
	}
	if a.Source.URL == "" && a.Source.Title == "" {
		v.add("%s: no source", at)
	}
	for what, d := range map[string]Date{"signed": a.Signed, "effective": a.Effective} {
		if !d.Valid() {
			v.add("%s: %s date %q does not parse", at, what, d)
		}
	}
	switch a.Status {
	case "active", "dormant", "pending":
	default:
		v.add("%s: status %q is not active, dormant or pending", at, a.Status)
	}
	for _, cl := range append(slices.Clone(a.Classes), a.Excluded...) {
		if _, ok := c.classes[cl]; !ok {
			v.add("%s: unknown class %s", at, cl)
		}
	}
	checkRef := func(side string, r LabelRef) {
		if r.Scheme == "" {
			if r.External == "" {
				v.add("%s: %s names neither a scheme nor an external label", at, side)
			}
			return
		}
		s, ok := c.schemes[r.Scheme]
		if !ok {
			v.add("%s: %s scheme %s does not exist", at, side, r.Scheme)
			return
		}
		for _, l := range []string{r.MinLevel, r.Level} {
			if l == "" {
				continue
			}
			if _, ok := s.Level(l); !ok {
				v.add("%s: %s level %s does not exist in %s", at, side, l, r.Scheme)
			}
		}
	}
	for i, e := range a.Edges {
		side := fmt.Sprintf("edge #%d", i+1)
		checkRef(side+" from", e.From)
		checkRef(side+" to", e.To)
		if e.Kind != DeemedEquivalence && e.Kind != SimplifiedRoute {
			v.add("%s: %s kind %q is not %s or %s", at, side, e.Kind, DeemedEquivalence, SimplifiedRoute)
		}
	}
}

// index adds both directions of every map of m to the adjacency index.
func (c *Catalog) index(m *MappingSet) {
	for _, mp := range m.Maps {
		conf := mp.Confidence
		if conf == "" {
			conf = m.Confidence
		}
		prov := mp.Provenance
		if prov == "" {
			prov = m.Provenance
		}
		cit := m.Citation
		if mp.Citation != nil {
			cit = *mp.Citation
		}
		fwd := &edge{from: m.From, to: m.To, sources: mp.Sources, targets: mp.Targets, rel: mp.Relationship,
			confidence: conf, provenance: prov, rationale: mp.Rationale, citation: cit, set: m.ID}
		rev := *fwd
		rev.from, rev.to, rev.sources, rev.targets, rev.rel = m.To, m.From, mp.Targets, mp.Sources, Inverse(mp.Relationship)
		for _, e := range []*edge{fwd, &rev} {
			for _, id := range e.sources {
				byID := c.adj[e.from]
				if byID == nil {
					byID = map[string]map[string][]*edge{}
					c.adj[e.from] = byID
				}
				byTo := byID[id]
				if byTo == nil {
					byTo = map[string][]*edge{}
					byID[id] = byTo
				}
				byTo[e.to] = append(byTo[e.to], e)
			}
		}
	}
}

// Inverse returns the relationship read from the other side.
func Inverse(rel string) string {
	switch rel {
	case SubsetOf:
		return SupersetOf
	case SupersetOf:
		return SubsetOf
	}
	return rel
}

// Schemes returns every scheme's summary, ordered by slug.
func (c *Catalog) Schemes() []Summary {
	out := make([]Summary, 0, len(c.order))
	for _, slug := range c.order {
		out = append(out, c.schemes[slug].Summary())
	}
	return out
}

// SchemeFilter narrows a scheme list. Empty fields match everything.
type SchemeFilter struct {
	// Jurisdiction is a market (schemes with force there: its own and, for
	// EU members, the EU's), or "international" for worldwide standards.
	Jurisdiction string `json:"jurisdiction,omitempty"`
	Sector       string `json:"sector,omitempty"`
	Status       string `json:"status,omitempty"` // mandatory, voluntary or mandatory-for-class
	Type         string `json:"type,omitempty"`   // standard, law, label, ...
}

// Find returns the summaries of the schemes that match f, ordered by slug.
func (c *Catalog) Find(f SchemeFilter) ([]Summary, error) {
	j := strings.TrimSpace(f.Jurisdiction)
	if j != "" && !strings.EqualFold(j, "international") {
		j = c.NormaliseMarkets([]string{j})[0]
		if !c.validJurisdiction(j) {
			return nil, &QueryError{Field: "jurisdiction", Message: fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 code, EU or international", f.Jurisdiction)}
		}
	}
	sector := c.NormaliseSector(f.Sector)
	if sector != "" && !c.sectors[sector] {
		return nil, &NotFoundError{What: "sector", Name: f.Sector}
	}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		return nil, &QueryError{Field: "status", Message: fmt.Sprintf("%q is not one of %s", f.Status, strings.Join(statuses, ", "))}
	}
	out := []Summary{}
	for _, slug := range c.order {
		s := c.schemes[slug]
		switch {
		case strings.EqualFold(j, "international") && !s.International,
			j != "" && !strings.EqualFold(j, "international") && !c.inMarket(s.Jurisdictions, j),
			sector != "" && !slices.Contains(s.Sectors, sector),
			f.Status != "" && s.Status != f.Status,
			f.Type != "" && s.Type != f.Type:
			continue
		}
		out = append(out, s.Summary())
	}
	return out, nil
}

// Slugs returns every scheme's slug, sorted.
func (c *Catalog) Slugs() []string { return slices.Clone(c.order) }

// Scheme returns a copy of the scheme with the given slug.
func (c *Catalog) Scheme(slug string) (Scheme, error) {
	s, ok := c.schemes[slug]
	if !ok {
		return Scheme{}, &NotFoundError{What: "scheme", Name: slug}
	}
	return cloneScheme(*s), nil
}

// MappingSets returns the mapping sets that touch slug (every set when slug
// is empty).
func (c *Catalog) MappingSets(slug string) []MappingSet {
	var out []MappingSet
	for _, m := range c.data.Mappings {
		if slug == "" || m.From == slug || m.To == slug {
			out = append(out, cloneSet(m))
		}
	}
	return out
}

// Agreements returns every mutual recognition agreement.
func (c *Catalog) Agreements() []Agreement {
	out := make([]Agreement, len(c.data.Agreements))
	for i, a := range c.data.Agreements {
		out[i] = a
		out[i].Edges = slices.Clone(a.Edges)
	}
	return out
}

// Vocabulary returns the controlled lists.
func (c *Catalog) Vocabulary() Vocabulary { return c.data.Vocabulary }

// MappedProvision is a provision of another scheme that a mapping links to.
type MappedProvision struct {
	Scheme       string     `json:"scheme"`
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Relationship string     `json:"relationship"` // read from the asked provision's side
	Rationale    string     `json:"rationale"`
	Provenance   string     `json:"provenance"`
	Confidence   Confidence `json:"confidence"`
	Citation     Ref        `json:"citation"`
	MappingSet   string     `json:"mapping_set"`
}

// Mapped returns every provision in every scheme that a direct mapping links
// to provision id of slug: the provision page of the UI.
func (c *Catalog) Mapped(slug, id string) ([]MappedProvision, error) {
	s, ok := c.schemes[slug]
	if !ok {
		return nil, &NotFoundError{What: "scheme", Name: slug}
	}
	if _, ok := s.Provision(id); !ok {
		return nil, &NotFoundError{What: "provision", Name: slug + " " + id}
	}
	var out []MappedProvision
	byTo := c.adj[slug][id]
	tos := make([]string, 0, len(byTo))
	for to := range byTo {
		tos = append(tos, to)
	}
	sort.Strings(tos)
	for _, to := range tos {
		for _, e := range byTo[to] {
			for _, t := range e.targets {
				p, _ := c.schemes[to].Provision(t)
				out = append(out, MappedProvision{Scheme: to, ID: t, Title: p.Title, Relationship: e.rel,
					Rationale: e.rationale, Provenance: e.provenance, Confidence: e.confidence, Citation: e.citation, MappingSet: e.set})
			}
		}
	}
	return out, nil
}

// ErrLevel is wrapped by errors about a level a scheme does not have.
var ErrLevel = errors.New("no such level")

// provisions returns the provisions of ref's scheme at ref's level.
func (c *Catalog) provisions(ref SchemeRef) (*Scheme, []*Provision, error) {
	s, ok := c.schemes[ref.Slug]
	if !ok {
		return nil, nil, &NotFoundError{What: "scheme", Name: ref.Slug}
	}
	if ref.Level != "" {
		if _, ok := s.Level(ref.Level); !ok {
			return nil, nil, fmt.Errorf("scheme %s level %s: %w", ref.Slug, ref.Level, ErrLevel)
		}
	}
	out := make([]*Provision, 0, len(s.Provisions))
	for i := range s.Provisions {
		if s.Provisions[i].AtLevel(ref.Level) {
			out = append(out, &s.Provisions[i])
		}
	}
	return s, out, nil
}

func cloneData(d Data) Data {
	out := Data{Vocabulary: d.Vocabulary}
	out.Schemes = make([]Scheme, len(d.Schemes))
	for i, s := range d.Schemes {
		out.Schemes[i] = cloneScheme(s)
	}
	out.Mappings = make([]MappingSet, len(d.Mappings))
	for i, m := range d.Mappings {
		out.Mappings[i] = cloneSet(m)
	}
	out.Agreements = slices.Clone(d.Agreements)
	return out
}

func cloneScheme(s Scheme) Scheme {
	s.Provisions = slices.Clone(s.Provisions)
	for i := range s.Provisions {
		s.Provisions[i].Levels = slices.Clone(s.Provisions[i].Levels)
		s.Provisions[i].Tests = slices.Clone(s.Provisions[i].Tests)
	}
	s.Levels = slices.Clone(s.Levels)
	s.Categories = slices.Clone(s.Categories)
	s.Jurisdictions = slices.Clone(s.Jurisdictions)
	s.Sectors = slices.Clone(s.Sectors)
	s.ProductClasses = slices.Clone(s.ProductClasses)
	s.Obligations = slices.Clone(s.Obligations)
	if s.Validity != nil {
		val := *s.Validity
		s.Validity = &val
	}
	if s.Profile != nil {
		p := *s.Profile
		s.Profile = &p
	}
	return s
}

func cloneSet(m MappingSet) MappingSet {
	m.Maps = slices.Clone(m.Maps)
	return m
}
