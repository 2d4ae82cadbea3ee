package iotsec

import (
	"context"
	"strings"
	"time"
)

// Visibility says who sees an organisation's imported schemes and mappings.
type Visibility string

const (
	// VisibilityPrivate: only the organisation that imported it.
	VisibilityPrivate Visibility = "private"
	// VisibilityShared: every organisation, read only; only the owner
	// changes or deletes it.
	VisibilityShared Visibility = "shared"
)

func (v Visibility) Valid() bool { return v == VisibilityPrivate || v == VisibilityShared }

// Formats of an imported scheme file.
const (
	SchemeFormatOSCAL = "oscal" // an OSCAL catalog, profile, mapping-collection or a bundle of them
	SchemeFormatCSV   = "csv"   // a mapping spreadsheet
	// SchemeFormatAgreement is a recognition agreement an agreed
	// recognition request wrote (JSON); it adds no scheme and no mapping.
	SchemeFormatAgreement = "agreement"
)

// SchemeImport is one file of schemes and mappings an organisation added to
// the catalog it sees (a scheme owner publishing a new label, a lab's
// mapping spreadsheet). The file is kept as sent (Source) together with
// what it was parsed into (Parsed, JSON the catalog engine reads back), so
// the organisation's catalog can be rebuilt without parsing it again. An
// import never changes after it is made, except for its visibility.
type SchemeImport struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	OrgName    string     `json:"org_name"` // the owner, shown beside shared schemes
	Name       string     `json:"name"`     // a label, usually the file name
	Format     string     `json:"format"`
	Visibility Visibility `json:"visibility"`
	// Slugs are the schemes the import adds; MappingSets the mapping sets.
	Slugs       []string  `json:"slugs"`
	MappingSets []string  `json:"mapping_sets"`
	Maps        int       `json:"maps"` // mapping entries over all sets
	Bytes       int       `json:"bytes"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Source      []byte    `json:"-"`
	Parsed      []byte    `json:"-"`
}

// Normalize trims and validates the parts of an import a store checks;
// parsing the file is the catalog's business.
func (im *SchemeImport) Normalize() error {
	im.Name = strings.TrimSpace(im.Name)
	if im.Name == "" {
		im.Name = "import"
	}
	if err := checkName("name", im.Name, 200); err != nil {
		return err
	}
	if im.Visibility == "" {
		im.Visibility = VisibilityPrivate
	}
	if !im.Visibility.Valid() {
		return Invalid("visibility", "must be %s or %s", VisibilityPrivate, VisibilityShared)
	}
	if im.Format != SchemeFormatOSCAL && im.Format != SchemeFormatCSV && im.Format != SchemeFormatAgreement {
		return Invalid("format", "must be %s or %s", SchemeFormatOSCAL, SchemeFormatCSV)
	}
	if im.Format == SchemeFormatAgreement && (len(im.Slugs) > 0 || len(im.MappingSets) > 0 || im.Visibility != VisibilityPrivate) {
		return Invalid("format", "an agreement import is private and adds no scheme or mapping")
	}
	if len(im.Slugs) == 0 && len(im.MappingSets) == 0 && im.Format != SchemeFormatAgreement {
		return Invalid("body", "the file adds no scheme and no mapping")
	}
	for _, list := range [][]string{im.Slugs, im.MappingSets} {
		for _, s := range list {
			// Lists are stored comma-separated.
			if s == "" || strings.ContainsAny(s, ",\x00\r\n") {
				return Invalid("body", "scheme or mapping set ID %q must be non-empty and hold no comma or line break", s)
			}
		}
	}
	if len(im.Parsed) == 0 {
		return Invalid("body", "nothing parsed")
	}
	im.Bytes = len(im.Source)
	return nil
}

// SchemeStore keeps imported schemes and mappings. Reads see the actor's
// organisation's imports and those every other organisation shared; writes
// (visibility, delete) touch only the actor's own, and another
// organisation's import, shared or not, is "not found" to them.
type SchemeStore interface {
	// CreateSchemeImport stores an import of the actor's organisation.
	// A slug the organisation already imported, or one another shared
	// import carries when im is shared, is a conflict.
	CreateSchemeImport(ctx context.Context, a Actor, im *SchemeImport) error
	// GetSchemeImport returns an import with its Source and Parsed.
	GetSchemeImport(ctx context.Context, a Actor, id string) (SchemeImport, error)
	// ListSchemeImports lists visible imports, oldest first, without
	// Source and Parsed.
	ListSchemeImports(ctx context.Context, a Actor) ([]SchemeImport, error)
	// LoadSchemeImports is ListSchemeImports with Parsed filled in, for
	// building the organisation's catalog.
	LoadSchemeImports(ctx context.Context, a Actor) ([]SchemeImport, error)
	// SetSchemeVisibility shares or unshares one of the organisation's
	// imports. Sharing a slug another shared import carries is a conflict.
	SetSchemeVisibility(ctx context.Context, a Actor, id string, v Visibility) error
	DeleteSchemeImport(ctx context.Context, a Actor, id string) error
	// SchemeRevision increases with every change to any organisation's
	// imports, so a cache of merged catalogs on any replica can tell it is
	// stale with one cheap read.
	SchemeRevision(ctx context.Context) (int64, error)
}
