package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/crosswalk/oscal"
)

// Export formats.
const (
	FormatOSCAL        = "oscal"          // the scheme's catalog, a profile per level, its outgoing mapping sets
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
		b, err := oscal.ExportScheme(s, l.Now())
		if err != nil {
			return File{}, err
		}
		for _, m := range v.cat.MappingSets(slug) {
			if m.From == slug {
				b.Mappings = append(b.Mappings, oscal.ExportMappingSet(m, l.Now()))
			}
		}
		val, err := l.validator()
		if err != nil {
			return File{}, err
		}
		if err := val.ValidateBundle(b); err != nil {
			return File{}, fmt.Errorf("export %s: the OSCAL bundle does not validate: %w", slug, err)
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return File{}, err
		}
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", " "); err != nil {
			return File{}, err
		}
		out.WriteByte('\n')
		return File{Name: slug + ".oscal.json", ContentType: "application/json", Body: out.Bytes()}, nil
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

func invalidFormat(f string) error {
	return problem(&crosswalk.QueryError{Field: "format", Message: fmt.Sprintf("%q is not one of oscal, csv, provisions-csv", f)})
}
