package catalog

import (
	"bytes"
	"fmt"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/crosswalk/oscal"
)

// Export formats.
const (
	FormatOSCAL        = "oscal"          // the scheme's OSCAL catalog (ExportOSCAL also gives its profiles and mapping collections)
	FormatCSV          = "csv"            // the mapping sets touching the scheme, as a mapping spreadsheet (Import reads it back)
	FormatProvisionCSV = "provisions-csv" // the scheme's provisions, one row each
)

// ExportFormats lists the formats Export writes.
func ExportFormats() []string { return []string{FormatOSCAL, FormatCSV, FormatProvisionCSV} }

// File is an exported document.
type File struct {
	Name        string
	ContentType string
	Body        []byte
}

// Export writes one scheme in a format. OSCAL exports are validated against
// the OSCAL schema before they leave.
func (l *Service) Export(v *View, slug, format string) (File, error) {
	s, err := v.scheme(slug)
	if err != nil {
		return File{}, err
	}
	switch format {
	case FormatOSCAL, "":
		docs, err := l.ExportOSCAL(v, slug)
		if err != nil {
			return File{}, err
		}
		return docs[0], nil
	case FormatCSV:
		var out bytes.Buffer
		if err := crosswalk.WriteMappingsCSV(&out, v.cat.MappingSets(slug)); err != nil {
			return File{}, err
		}
		return File{Name: slug + ".mappings.csv", ContentType: "text/csv; charset=utf-8", Body: out.Bytes()}, nil
	case FormatProvisionCSV:
		var out bytes.Buffer
		if err := crosswalk.WriteProvisionsCSV(&out, s); err != nil {
			return File{}, err
		}
		return File{Name: slug + ".provisions.csv", ContentType: "text/csv; charset=utf-8", Body: out.Bytes()}, nil
	}
	return File{}, invalidFormat(format)
}

// ExportOSCAL writes the scheme as OSCAL documents, one per file: the
// catalog first, then a profile per level and a mapping collection per
// mapping set from the scheme. Each is validated against the OSCAL schema.
func (l *Service) ExportOSCAL(v *View, slug string) ([]File, error) {
	s, err := v.scheme(slug)
	if err != nil {
		return nil, err
	}
	b, err := oscal.ExportScheme(s, l.Now())
	if err != nil {
		return nil, err
	}
	for _, m := range v.cat.MappingSets(slug) {
		// A profile's own equal-to set travels as the controls' ref props.
		if m.From == slug && (s.Profile == nil || m.ID != "profile:"+slug+"--"+s.Profile.Of) {
			b.Mappings = append(b.Mappings, oscal.ExportMappingSet(m, l.Now()))
		}
	}
	val, err := l.validator()
	if err != nil {
		return nil, err
	}
	var out []File
	for _, d := range b.Documents() {
		if err := val.Validate(d.Name, d.Root); err != nil {
			return nil, fmt.Errorf("export %s: the OSCAL %s does not validate: %w", slug, d.Model, err)
		}
		body, err := d.JSON()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: d.Name, ContentType: "application/json", Body: body})
	}
	return out, nil
}

func invalidFormat(f string) error {
	return problem(&crosswalk.QueryError{Field: "format", Message: fmt.Sprintf("%q is not one of oscal, csv, provisions-csv", f)})
}
