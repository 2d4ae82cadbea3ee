package catalog

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/crosswalk/oscal"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// View is the catalog one organisation sees, with where each imported
// scheme and mapping set came from. Its methods return iotsec errors:
// unknown schemes are not found (naming close slugs), bad queries invalid.
// A View is read-only and shared between requests.
type View struct {
	cat *crosswalk.Catalog
	// Imports are the imports merged in (without their content), the
	// organisation's own first.
	Imports []iotsec.SchemeImport
	// Skipped are visible imports that could not be merged, and why.
	Skipped []Skipped
	schemes map[string]*iotsec.SchemeImport
	sets    map[string]*iotsec.SchemeImport
}

func newView(c *crosswalk.Catalog) *View {
	return &View{cat: c, schemes: map[string]*iotsec.SchemeImport{}, sets: map[string]*iotsec.SchemeImport{}}
}

func (v *View) addImport(im iotsec.SchemeImport) {
	v.Imports = append(v.Imports, meta(im))
	// Appending may move the slice, so the maps are rebuilt each time; a
	// view holds a handful of imports.
	clear(v.schemes)
	clear(v.sets)
	for i := range v.Imports {
		for _, s := range v.Imports[i].Slugs {
			v.schemes[s] = &v.Imports[i]
		}
		for _, s := range v.Imports[i].MappingSets {
			v.sets[s] = &v.Imports[i]
		}
	}
}

// Catalog is the merged catalog.
func (v *View) Catalog() *crosswalk.Catalog { return v.cat }

// Origin says which import a scheme or mapping set came from.
type Origin struct {
	Import     string            `json:"import"`
	Org        string            `json:"org"` // the owner's name
	OrgID      string            `json:"-"`   // for "is it mine" checks; not shown to others
	Visibility iotsec.Visibility `json:"visibility"`
	Name       string            `json:"name"`
}

func origin(im *iotsec.SchemeImport) *Origin {
	if im == nil {
		return nil
	}
	return &Origin{Import: im.ID, Org: im.OrgName, OrgID: im.OrgID, Visibility: im.Visibility, Name: im.Name}
}

// SchemeOrigin returns where an imported scheme came from (nil for the
// embedded ones).
func (v *View) SchemeOrigin(slug string) *Origin { return origin(v.schemes[slug]) }

// SetOrigin returns where an imported mapping set came from.
func (v *View) SetOrigin(id string) *Origin { return origin(v.sets[id]) }

// Row is a scheme list row: the engine's summary plus its origin.
type Row struct {
	crosswalk.Summary
	Type   string  `json:"type"`
	Origin *Origin `json:"origin,omitempty"`
}

// Schemes lists the schemes matching f.
func (v *View) Schemes(f crosswalk.SchemeFilter) ([]Row, error) {
	sums, err := v.cat.Find(f)
	if err != nil {
		return nil, problem(err)
	}
	out := make([]Row, 0, len(sums))
	for _, s := range sums {
		sc, _ := v.cat.Scheme(s.Slug)
		out = append(out, Row{Summary: s, Type: sc.Type, Origin: v.SchemeOrigin(s.Slug)})
	}
	return out, nil
}

// ProvisionRow is a provision as the CLI and API show it: category and
// levels always present, levels spelt out (a provision of a levelled
// scheme with no levels of its own is required at every level).
type ProvisionRow struct {
	crosswalk.Provision
	Category string   `json:"category"`
	Levels   []string `json:"levels"`
}

func provisionRow(s *crosswalk.Scheme, p crosswalk.Provision) ProvisionRow {
	levels := slices.Clone(p.Levels)
	if len(levels) == 0 {
		for _, l := range s.Levels {
			levels = append(levels, l.ID)
		}
	}
	if levels == nil {
		levels = []string{}
	}
	return ProvisionRow{Provision: p, Category: p.Category, Levels: levels}
}

// SetSummary describes a mapping set without its maps.
type SetSummary struct {
	ID         string               `json:"id"`
	From       string               `json:"from"`
	To         string               `json:"to"`
	Title      string               `json:"title,omitempty"`
	Provenance string               `json:"provenance"`
	Confidence crosswalk.Confidence `json:"confidence"`
	Citation   crosswalk.Ref        `json:"citation"`
	Maps       int                  `json:"maps"`
	Origin     *Origin              `json:"origin,omitempty"`
}

// Detail is a scheme with everything its page shows: levels and
// provisions always present (empty lists, never null), the mapping sets
// that touch it and the recognition agreements it takes part in.
type Detail struct {
	crosswalk.Scheme
	Levels      []crosswalk.Level    `json:"levels"`
	Provisions  []ProvisionRow       `json:"provisions"`
	Categories  []crosswalk.Category `json:"categories"`
	MappingSets []SetSummary         `json:"mapping_sets"`
	Agreements  []string             `json:"agreements"`
	Origin      *Origin              `json:"origin,omitempty"`
}

// Scheme returns the detail of one scheme.
func (v *View) Scheme(slug string) (Detail, error) {
	s, err := v.scheme(slug)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Scheme: s, Levels: s.Levels, Categories: s.Categories, Origin: v.SchemeOrigin(slug),
		Provisions: make([]ProvisionRow, 0, len(s.Provisions)), MappingSets: []SetSummary{}, Agreements: []string{}}
	if d.Levels == nil {
		d.Levels = []crosswalk.Level{}
	}
	if d.Categories == nil {
		d.Categories = []crosswalk.Category{}
	}
	for _, p := range s.Provisions {
		d.Provisions = append(d.Provisions, provisionRow(&s, p))
	}
	for _, m := range v.cat.MappingSets(slug) {
		d.MappingSets = append(d.MappingSets, v.setSummary(m))
	}
	for _, a := range v.cat.Agreements() {
		for _, e := range a.Edges {
			if e.From.Scheme == slug || e.To.Scheme == slug {
				d.Agreements = append(d.Agreements, a.ID)
				break
			}
		}
	}
	return d, nil
}

func (v *View) setSummary(m crosswalk.MappingSet) SetSummary {
	return SetSummary{ID: m.ID, From: m.From, To: m.To, Title: m.Title, Provenance: m.Provenance, Confidence: m.Confidence,
		Citation: m.Citation, Maps: len(m.Maps), Origin: v.SetOrigin(m.ID)}
}

// MappedRow is a provision of another scheme a mapping links to, with
// that scheme's title.
type MappedRow struct {
	crosswalk.MappedProvision
	SchemeTitle string `json:"scheme_title"`
}

// Through is what a hub provision the asked one maps to links on to: the
// answer for schemes mapped to the hub rather than to the asked scheme.
type Through struct {
	Hub    string      `json:"hub"`
	ID     string      `json:"id"`
	Title  string      `json:"title"`
	Mapped []MappedRow `json:"mapped"`
}

// ProvisionDetail is a provision with every provision in every scheme a
// mapping links it to, directly and through the hub schemes.
type ProvisionDetail struct {
	Scheme      string       `json:"scheme"`
	SchemeTitle string       `json:"scheme_title"`
	Provision   ProvisionRow `json:"provision"`
	Mapped      []MappedRow  `json:"mapped"`
	Through     []Through    `json:"through"`
}

// Provision returns one provision and its mappings.
func (v *View) Provision(slug, id string) (ProvisionDetail, error) {
	s, err := v.scheme(slug)
	if err != nil {
		return ProvisionDetail{}, err
	}
	p, ok := s.Provision(id)
	if !ok {
		return ProvisionDetail{}, iotsec.NotFound(fmt.Sprintf("provision %q of %s", id, slug))
	}
	out := ProvisionDetail{Scheme: slug, SchemeTitle: s.Title, Provision: provisionRow(&s, *p), Mapped: []MappedRow{}, Through: []Through{}}
	mapped, err := v.cat.Mapped(slug, id)
	if err != nil {
		return ProvisionDetail{}, problem(err)
	}
	out.Mapped = v.mappedRows(mapped, nil)
	hubs := v.cat.Vocabulary().Hubs
	seen := map[string]bool{}
	for _, m := range mapped {
		if !slices.Contains(hubs, m.Scheme) || m.Relationship == crosswalk.NoRelationship || seen[m.Scheme+" "+m.ID] {
			continue
		}
		seen[m.Scheme+" "+m.ID] = true
		further, err := v.cat.Mapped(m.Scheme, m.ID)
		if err != nil {
			continue
		}
		rows := v.mappedRows(further, func(x crosswalk.MappedProvision) bool {
			return x.Scheme == slug || x.Relationship == crosswalk.NoRelationship
		})
		if len(rows) > 0 {
			out.Through = append(out.Through, Through{Hub: m.Scheme, ID: m.ID, Title: m.Title, Mapped: rows})
		}
	}
	return out, nil
}

func (v *View) mappedRows(ms []crosswalk.MappedProvision, skip func(crosswalk.MappedProvision) bool) []MappedRow {
	out := []MappedRow{}
	for _, m := range ms {
		if skip != nil && skip(m) {
			continue
		}
		title := m.Scheme
		if s, err := v.cat.Scheme(m.Scheme); err == nil {
			title = s.Title
		}
		out = append(out, MappedRow{MappedProvision: m, SchemeTitle: title})
	}
	return out
}

// Compare compares scheme a with scheme b; each is "slug" or "slug:level".
func (v *View) Compare(a, b string) (*crosswalk.Comparison, error) {
	ra, err := v.Ref(a, "a")
	if err != nil {
		return nil, err
	}
	rb, err := v.Ref(b, "b")
	if err != nil {
		return nil, err
	}
	c, err := v.cat.Compare(ra, rb)
	return c, problem(err)
}

// Ref parses "slug" or "slug:level" and checks both exist; field names the
// query part for the error.
func (v *View) Ref(s, field string) (crosswalk.SchemeRef, error) {
	if strings.TrimSpace(s) == "" {
		return crosswalk.SchemeRef{}, iotsec.Invalid(field, "is required: a scheme slug, or slug:level")
	}
	r := crosswalk.ParseRef(s)
	sc, err := v.scheme(r.Slug)
	if err != nil {
		return r, err
	}
	if r.Level != "" {
		if _, ok := sc.Level(r.Level); !ok {
			var ids []string
			for _, l := range sc.Levels {
				ids = append(ids, l.ID)
			}
			msg := fmt.Sprintf("level %q of %s not found; the scheme has no levels", r.Level, r.Slug)
			if len(ids) > 0 {
				msg = fmt.Sprintf("level %q of %s not found; its levels: %s", r.Level, r.Slug, strings.Join(ids, ", "))
			}
			return r, &iotsec.Error{Kind: iotsec.ErrNotFound, Message: msg}
		}
	}
	return r, nil
}

// Baseline derives the harmonised requirement set.
func (v *View) Baseline(q crosswalk.BaselineQuery) (*crosswalk.Baseline, error) {
	for _, r := range q.Schemes {
		if _, err := v.Ref(r.String(), "schemes"); err != nil {
			return nil, err
		}
	}
	b, err := v.cat.Baseline(q)
	return b, problem(err)
}

// Applies lists the schemes that apply to a product.
func (v *View) Applies(q crosswalk.AppliesQuery) (*crosswalk.AppliesResult, error) {
	a, err := v.cat.Applies(q)
	return a, problem(err)
}

// Gaps builds the sector × class × market matrix.
func (v *View) Gaps(q crosswalk.GapQuery) (*crosswalk.GapMatrix, error) {
	g, err := v.cat.Gaps(q)
	return g, problem(err)
}

// Recognise lists what a held label counts as elsewhere.
func (v *View) Recognise(q crosswalk.RecogniseQuery) (*crosswalk.RecognitionResult, error) {
	ref := q.Slug
	if q.Level != "" {
		ref += ":" + q.Level
	}
	if _, err := v.Ref(ref, "slug"); err != nil {
		return nil, err
	}
	r, err := v.cat.Recognise(q)
	return r, problem(err)
}

// Agreements lists the mutual recognition agreements.
func (v *View) Agreements() []crosswalk.Agreement { return v.cat.Agreements() }

// Vocabulary is the catalog's controlled lists.
func (v *View) Vocabulary() crosswalk.Vocabulary { return v.cat.Vocabulary() }

func (v *View) scheme(slug string) (crosswalk.Scheme, error) {
	s, err := v.cat.Scheme(slug)
	if err != nil {
		return s, v.notFound(slug)
	}
	return s, nil
}

// notFound names an unknown scheme and the slugs close to it.
func (v *View) notFound(slug string) error {
	msg := fmt.Sprintf("scheme %q not found", slug)
	if close := Suggest(slug, v.cat.Slugs()); len(close) > 0 {
		msg += "; did you mean " + strings.Join(close, ", ") + "?"
	}
	return &iotsec.Error{Kind: iotsec.ErrNotFound, Message: msg}
}

// Suggest returns up to five of slugs close to s: sharing a word with it,
// containing it, or a few edits away.
func Suggest(s string, slugs []string) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	type cand struct {
		slug string
		d    int
	}
	var cs []cand
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == ' ' || r == ':' })
	for _, slug := range slugs {
		d := distance(s, slug)
		switch {
		case strings.Contains(slug, s) || strings.Contains(s, slug):
			d = min(d, 1)
		case d <= max(2, len(s)/3):
		default:
			shared := false
			for _, w := range words {
				if len(w) >= 3 && slices.Contains(strings.Split(slug, "-"), w) {
					shared = true
				}
			}
			if !shared {
				continue
			}
			d = 3 + d
		}
		cs = append(cs, cand{slug, d})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < 5; i++ {
		out = append(out, cs[i].slug)
	}
	return out
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// problem turns the engine's errors into the domain's kinds, so every
// caller maps them to a status or exit code the same way.
func problem(err error) error {
	if err == nil {
		return nil
	}
	var (
		nf  *crosswalk.NotFoundError
		qe  *crosswalk.QueryError
		ve  *crosswalk.ValidationError
		ce  *crosswalk.CSVError
		ie  *oscal.ImportError
		dom *iotsec.Error
	)
	switch {
	case errors.As(err, &dom):
		return err
	case errors.As(err, &nf):
		switch nf.What {
		case "product class":
			return iotsec.Invalid("class", "%q is not a product class of the catalog", nf.Name)
		case "sector":
			return iotsec.Invalid("sector", "%q is not a sector of the catalog", nf.Name)
		}
		return iotsec.NotFound(fmt.Sprintf("%s %q", nf.What, nf.Name))
	case errors.Is(err, crosswalk.ErrLevel):
		return &iotsec.Error{Kind: iotsec.ErrNotFound, Message: err.Error()}
	case errors.As(err, &qe):
		return iotsec.Invalid(qe.Field, "%s", qe.Message)
	case errors.As(err, &ve):
		return invalidFile(ve.Problems)
	case errors.As(err, &ce):
		return invalidFile(ce.Problems)
	case errors.As(err, &ie):
		return invalidFile(ie.Problems)
	}
	return err
}

func invalidFile(problems []string) error {
	msg := "the file has 1 problem"
	if len(problems) != 1 {
		msg = fmt.Sprintf("the file has %d problems", len(problems))
	}
	return &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "body", Message: msg, Details: problems}
}
