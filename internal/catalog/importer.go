package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/crosswalk/oscal"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// MaxBytes is the largest file Import takes: OSCAL's limit (mapping
// spreadsheets have a smaller one of their own).
func MaxBytes() int64 { return oscal.DefaultLimits().MaxBytes }

// ImportRequest is a file to import.
type ImportRequest struct {
	Name string
	// Format is iotsec.SchemeFormatOSCAL or SchemeFormatCSV; empty guesses
	// from the content (JSON is OSCAL, anything else a spreadsheet).
	Format     string
	Visibility iotsec.Visibility
	Data       []byte
	// Files, when set, are OSCAL files imported together (a profile may
	// import a catalog of another file by UUID or file name); Data is then
	// ignored and the files are stored as one bundle.
	Files []ImportFile
	// DryRun checks the file against the catalog as Import would and
	// stores nothing (the workspace service checks a mapping proposal so).
	DryRun bool
	// Supersedes marks a mapping spreadsheet's maps as changes of maps the
	// catalog has over the same provisions (a merged workspace change):
	// they replace them in the importing organisation's catalog. Each map
	// must match one; only a private spreadsheet may supersede.
	Supersedes bool
}

// ImportFile is one named file of a multi-file OSCAL import.
type ImportFile = oscal.File

// bundle joins OSCAL files into one JSON array of their documents.
func bundle(files []ImportFile) ([]byte, error) {
	var docs []json.RawMessage
	for _, f := range files {
		t := bytes.TrimSpace(f.Data)
		if len(t) > 0 && t[0] == '[' {
			var more []json.RawMessage
			if err := json.Unmarshal(t, &more); err != nil {
				return nil, iotsec.Invalid("file", "%s: %v", f.Name, err)
			}
			docs = append(docs, more...)
			continue
		}
		if !json.Valid(t) {
			return nil, iotsec.Invalid("file", "%s: not JSON", f.Name)
		}
		docs = append(docs, t)
	}
	return json.Marshal(docs)
}

// ImportResult says what an import added.
type ImportResult struct {
	Import      iotsec.SchemeImport `json:"import"`
	Schemes     []Row               `json:"schemes"`
	MappingSets []SetSummary        `json:"mapping_sets"`
}

// reserved are words the API and UI use beside scheme slugs in paths
// (/api/v1/schemes/compare), so no imported scheme may take them.
var reserved = []string{"compare", "baseline", "applies", "gaps", "imports", "agreements", "recognition", "new", "export"}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}[a-z0-9]$`)

// Import parses a file (an OSCAL catalog, profile, mapping-collection or a
// bundle of them, or a mapping spreadsheet) against the catalog a's
// organisation sees, and stores it. A file with problems is refused whole
// with an iotsec.ErrInvalid error listing each one (Details).
func (l *Service) Import(ctx context.Context, a iotsec.Actor, req ImportRequest) (*ImportResult, error) {
	im, doc, err := l.prepare(ctx, a, req)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return describe(im, doc), nil
	}
	if err := l.store.CreateSchemeImport(ctx, a, &im); err != nil {
		return nil, err
	}
	return describe(im, doc), nil
}

// Prepare checks a file as Import does and returns the import record it
// would store (content included), storing nothing: for a caller that
// stores several imports in one transaction of its own (a workspace merge).
func (l *Service) Prepare(ctx context.Context, a iotsec.Actor, req ImportRequest) (iotsec.SchemeImport, error) {
	im, _, err := l.prepare(ctx, a, req)
	return im, err
}

func (l *Service) prepare(ctx context.Context, a iotsec.Actor, req ImportRequest) (iotsec.SchemeImport, parsed, error) {
	var none iotsec.SchemeImport
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return none, parsed{}, err
	}
	if l.store == nil {
		return none, parsed{}, fmt.Errorf("import: no database")
	}
	if req.Supersedes && (req.Visibility != iotsec.VisibilityPrivate || req.Format != iotsec.SchemeFormatCSV || len(req.Files) > 0) {
		return none, parsed{}, iotsec.Invalid("supersedes", "only a private mapping spreadsheet may replace the catalog's maps")
	}
	data := req.Data
	if len(req.Files) > 0 {
		var total int64
		for _, f := range req.Files {
			total += int64(len(f.Data))
		}
		if total > MaxBytes() {
			return none, parsed{}, iotsec.Errorf(iotsec.ErrTooLarge, "the files are %d bytes together; the limit is %d", total, MaxBytes())
		}
		b, err := bundle(req.Files)
		if err != nil {
			return none, parsed{}, err
		}
		data, req.Format = b, iotsec.SchemeFormatOSCAL
	}
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return none, parsed{}, iotsec.Invalid("body", "is empty; send an OSCAL JSON document or bundle, or a mapping CSV")
	case int64(len(data)) > MaxBytes():
		return none, parsed{}, iotsec.Errorf(iotsec.ErrTooLarge, "the file is %d bytes; the limit is %d", len(data), MaxBytes())
	}
	format := req.Format
	if format == "" {
		format = iotsec.SchemeFormatCSV
		if t := bytes.TrimSpace(data); t[0] == '{' || t[0] == '[' {
			format = iotsec.SchemeFormatOSCAL
		}
	}
	view, err := l.For(ctx, a)
	if err != nil {
		return none, parsed{}, err
	}
	var doc parsed
	switch format {
	case iotsec.SchemeFormatOSCAL:
		v, err := l.validator()
		if err != nil {
			return none, parsed{}, err
		}
		files := req.Files
		if len(files) == 0 {
			files = []ImportFile{{Name: req.Name, Data: data}}
		}
		im, err := oscal.ImportFiles(files, view.cat, v, oscal.DefaultLimits())
		if err != nil {
			return none, parsed{}, problem(err)
		}
		doc = parsed{Schemes: im.Schemes, Mappings: im.Mappings}
	case iotsec.SchemeFormatCSV:
		lim := crosswalk.DefaultCSVLimits()
		if int64(len(data)) > lim.MaxBytes {
			return none, parsed{}, iotsec.Errorf(iotsec.ErrTooLarge, "the spreadsheet is %d bytes; the limit is %d", len(data), lim.MaxBytes)
		}
		sets, err := crosswalk.ReadMappingsCSV(bytes.NewReader(data), lim)
		if err != nil {
			if p := problem(err); iotsec.Kind(p) != nil {
				return none, parsed{}, p
			}
			return none, parsed{}, invalidFile([]string{err.Error()})
		}
		// Mapping set IDs must not clash with the catalog's own sets of the
		// same pair, nor with another file's.
		sum := sha256.Sum256(data)
		for i := range sets {
			sets[i].ID += ":csv-" + hex.EncodeToString(sum[:4])
			sets[i].Supersedes = req.Supersedes
		}
		if _, err := view.cat.With(nil, sets, nil); err != nil {
			return none, parsed{}, problem(err)
		}
		doc = parsed{Mappings: sets}
	default:
		return none, parsed{}, iotsec.Invalid("format", "must be %s or %s", iotsec.SchemeFormatOSCAL, iotsec.SchemeFormatCSV)
	}
	var bad []string
	for _, s := range doc.Schemes {
		switch {
		case !slugRE.MatchString(s.Slug):
			bad = append(bad, fmt.Sprintf("scheme slug %q: use 2 to 64 lower-case letters, digits, dots and hyphens", s.Slug))
		case slices.Contains(reserved, s.Slug):
			bad = append(bad, fmt.Sprintf("scheme slug %q is a reserved word; choose another", s.Slug))
		}
	}
	if len(bad) > 0 {
		return none, parsed{}, invalidFile(bad)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return none, parsed{}, err
	}
	im := iotsec.SchemeImport{Name: req.Name, Format: format, Visibility: req.Visibility, Source: data, Parsed: body}
	for _, s := range doc.Schemes {
		im.Slugs = append(im.Slugs, s.Slug)
	}
	for _, m := range doc.Mappings {
		im.MappingSets = append(im.MappingSets, m.ID)
		im.Maps += len(m.Maps)
	}
	return im, doc, nil
}

func describe(im iotsec.SchemeImport, doc parsed) *ImportResult {
	out := &ImportResult{Import: meta(im), Schemes: []Row{}, MappingSets: []SetSummary{}}
	for i := range doc.Schemes {
		out.Schemes = append(out.Schemes, Row{Summary: doc.Schemes[i].Summary(), Type: doc.Schemes[i].Type, Origin: origin(&out.Import)})
	}
	for _, m := range doc.Mappings {
		out.MappingSets = append(out.MappingSets, SetSummary{ID: m.ID, From: m.From, To: m.To, Title: m.Title, Provenance: m.Provenance,
			Confidence: m.Confidence, Citation: m.Citation, Maps: len(m.Maps), Origin: origin(&out.Import)})
	}
	return out
}

// Describe says what a stored import (read with its Parsed content) adds.
func Describe(im iotsec.SchemeImport) (*ImportResult, error) {
	var doc parsed
	if err := json.Unmarshal(im.Parsed, &doc); err != nil {
		return nil, fmt.Errorf("import %s: stored content does not decode: %w", im.ID, err)
	}
	return describe(im, doc), nil
}

// Imports lists the imports a's organisation sees: its own and shared ones.
func (l *Service) Imports(ctx context.Context, a iotsec.Actor) ([]iotsec.SchemeImport, error) {
	if l.store == nil {
		return []iotsec.SchemeImport{}, nil
	}
	return l.store.ListSchemeImports(ctx, a)
}

// Get returns one visible import, with its source.
func (l *Service) Get(ctx context.Context, a iotsec.Actor, id string) (iotsec.SchemeImport, error) {
	if l.store == nil {
		return iotsec.SchemeImport{}, iotsec.NotFound("scheme import")
	}
	return l.store.GetSchemeImport(ctx, a, id)
}

// SetVisibility shares or unshares one of the organisation's imports. An
// import whose maps supersede others stays private.
func (l *Service) SetVisibility(ctx context.Context, a iotsec.Actor, id string, v iotsec.Visibility) error {
	if l.store == nil {
		return iotsec.NotFound("scheme import")
	}
	if v == iotsec.VisibilityShared {
		all, err := l.store.LoadSchemeImports(ctx, a)
		if err != nil {
			return err
		}
		for _, im := range all {
			var doc parsed
			if im.ID != id || im.OrgID != a.OrgID || json.Unmarshal(im.Parsed, &doc) != nil {
				continue
			}
			if im.Format == iotsec.SchemeFormatAgreement {
				return iotsec.Conflict("import %q is an agreed recognition between two organisations; it cannot be shared", im.Name)
			}
			for _, m := range doc.Mappings {
				if m.Supersedes {
					return iotsec.Conflict("import %q replaces maps of this organisation's catalog (a merged workspace change); it cannot be shared", im.Name)
				}
			}
		}
	}
	return l.store.SetSchemeVisibility(ctx, a, id, v)
}

// Delete deletes one of the organisation's imports. It refuses while
// another import of the organisation maps onto one of its schemes, which
// would otherwise drop out of the catalog with it.
func (l *Service) Delete(ctx context.Context, a iotsec.Actor, id string) error {
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if l.store == nil {
		return iotsec.NotFound("scheme import")
	}
	all, err := l.store.LoadSchemeImports(ctx, a)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(all, func(im iotsec.SchemeImport) bool { return im.ID == id && im.OrgID == a.OrgID })
	if i < 0 {
		return iotsec.NotFound("scheme import")
	}
	target := all[i]
	for _, im := range all {
		if im.ID == id || im.OrgID != a.OrgID {
			continue
		}
		var doc parsed
		if json.Unmarshal(im.Parsed, &doc) != nil {
			continue
		}
		for _, m := range doc.Mappings {
			for _, slug := range []string{m.From, m.To} {
				if slices.Contains(target.Slugs, slug) {
					return iotsec.Conflict("import %q (%s) maps onto %s from this import; delete it first", im.Name, im.ID, slug)
				}
			}
		}
	}
	return l.store.DeleteSchemeImport(ctx, a, id)
}

// ProductQuery reads a product's class, sector and markets in the
// catalog's vocabulary, with a note for each value the catalog has no
// match for (the query then leaves it open).
func (v *View) ProductQuery(p iotsec.Product) (class, sector string, markets []string, notes []string) {
	voc := v.cat.Vocabulary()
	class = v.cat.NormaliseClass(string(p.Class))
	if !slices.ContainsFunc(voc.Classes, func(c crosswalk.Class) bool { return c.ID == class }) {
		notes = append(notes, fmt.Sprintf("the product's class %q has no match in the catalog; every class of the sector is asked about", p.Class))
		class = ""
	}
	sector = v.cat.NormaliseSector(string(p.Sector))
	if !slices.ContainsFunc(voc.Sectors, func(t crosswalk.Term) bool { return t.ID == sector }) {
		notes = append(notes, fmt.Sprintf("the product's sector %q has no match in the catalog; every sector is asked about", p.Sector))
		sector = ""
	}
	if class != "" && sector != "" {
		i := slices.IndexFunc(voc.Classes, func(c crosswalk.Class) bool { return c.ID == class })
		if !slices.Contains(voc.Classes[i].Sectors, sector) {
			notes = append(notes, fmt.Sprintf("the catalog does not list %s in the %s sector; the sector is left open", class, sector))
			sector = ""
		}
	}
	markets = slices.Clone(p.Markets)
	if len(markets) == 0 {
		notes = append(notes, "the product has no markets recorded")
	}
	return class, sector, markets, notes
}
