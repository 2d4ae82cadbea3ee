package assess

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/iotsec/iotsec/internal/crosswalk"
)

// ICS is an implementation conformance statement in the shape of EN 303 645
// Annex B: for each provision, its status (M, R, M C, R C), whether the
// product supports it (Y, N, N/A) and the maker's detail.
type ICS struct {
	Standard string     `json:"standard"`
	Product  string     `json:"product,omitempty"`
	Version  string     `json:"version,omitempty"`
	Entries  []ICSEntry `json:"entries"`
	lines    []int      // CSV line of each entry, for errors
}

// ICSEntry is one row of the ICS.
type ICSEntry struct {
	Provision string `json:"provision"`
	Title     string `json:"title,omitempty"`
	Status    string `json:"status,omitempty"` // M, R, M C, R C; written on export, checked on import
	Support   string `json:"support"`          // Y, N, N/A, or empty when not yet stated
	Detail    string `json:"detail,omitempty"`
}

// Support values.
const (
	SupportYes = "Y"
	SupportNo  = "N"
	SupportNA  = "N/A"
)

// IXITEntry is one item of implementation extra information for testing,
// under one of TS 103 701's IXIT categories (e.g. 1-AuthMech).
type IXITEntry struct {
	Category string `json:"category"`
	Text     string `json:"text"`
}

// Limits on an ICS file.
const (
	MaxICSBytes  = 1 << 20
	MaxICSDetail = 4000
	MaxIXIT      = 500
)

// ICSError is a problem in an ICS file, located at a line (CSV) or entry
// (JSON).
type ICSError struct {
	At  string // "line 3", "entry 2", "file"
	Err error
}

func (e *ICSError) Error() string { return "ics " + e.At + ": " + e.Err.Error() }
func (e *ICSError) Unwrap() error { return e.Err }

func icsErr(at, format string, args ...any) error {
	return &ICSError{At: at, Err: fmt.Errorf(format, args...)}
}

// status is the Annex B status column of a provision.
func status(p *provision) string {
	s := "R"
	if p.Kind == crosswalk.KindMandatory {
		s = "M"
	}
	if p.Conditional {
		s += " C"
	}
	return s
}

// ICSTemplate returns an ICS with every EN 303 645 provision, support
// empty, for a maker to fill in.
func (e *Engine) ICSTemplate(product, version string) *ICS {
	ics := &ICS{Standard: e.hubTitle, Product: product, Version: version}
	for _, id := range e.order {
		p := e.provisions[id]
		ics.Entries = append(ics.Entries, ICSEntry{Provision: id, Title: p.Title, Status: status(p)})
	}
	return ics
}

// Complete returns ics with every provision present (missing ones with an
// empty support), titles and statuses from the catalog, in catalog order.
func (e *Engine) Complete(ics *ICS) *ICS {
	out := e.ICSTemplate(ics.Product, ics.Version)
	by := map[string]ICSEntry{}
	for _, en := range ics.Entries {
		by[en.Provision] = en
	}
	for i := range out.Entries {
		if en, ok := by[out.Entries[i].Provision]; ok {
			out.Entries[i].Support, out.Entries[i].Detail = en.Support, en.Detail
		}
	}
	return out
}

var icsColumns = []string{"provision", "title", "status", "support", "detail"}

// WriteICSCSV writes ics as CSV with the columns provision, title, status,
// support, detail.
func WriteICSCSV(w io.Writer, ics *ICS) error {
	cw := csv.NewWriter(w)
	cw.Write(icsColumns)
	for _, en := range ics.Entries {
		cw.Write([]string{en.Provision, en.Title, en.Status, en.Support, en.Detail})
	}
	cw.Flush()
	return cw.Error()
}

// WriteICSJSON writes ics as indented JSON.
func WriteICSJSON(w io.Writer, ics *ICS) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ics)
}

// ReadICS reads an ICS as JSON (the first non-blank byte is '{') or CSV
// (a header naming at least provision and support; title, status and
// detail are optional). Every provision must be an EN 303 645 provision,
// named once; support must be Y, N or N/A (yes, no, na and the like are
// read too); a status, when given, must agree with the catalog.
func (e *Engine) ReadICS(r io.Reader) (*ICS, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxICSBytes+1))
	if err != nil {
		return nil, icsErr("file", "%v", err)
	}
	if len(data) > MaxICSBytes {
		return nil, icsErr("file", "is larger than %d bytes", MaxICSBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trim := bytes.TrimSpace(data)
	if len(trim) == 0 {
		return nil, icsErr("file", "is empty")
	}
	var ics *ICS
	if trim[0] == '{' {
		ics, err = readICSJSON(trim)
	} else {
		ics, err = readICSCSV(data)
	}
	if err != nil {
		return nil, err
	}
	return ics, e.checkICS(ics)
}

func readICSJSON(data []byte) (*ICS, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ics ICS
	if err := dec.Decode(&ics); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, icsErr("file", "malformed JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			return nil, icsErr("file", "%s must be a %s (byte %d)", te.Field, te.Type, te.Offset)
		}
		return nil, icsErr("file", "%v", err)
	}
	if dec.More() {
		return nil, icsErr("file", "more follows the JSON object at byte %d", dec.InputOffset())
	}
	for i := range ics.Entries {
		ics.Entries[i].Support = strings.TrimSpace(ics.Entries[i].Support)
	}
	return &ics, nil
}

func readICSCSV(data []byte) (*ICS, error) {
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(data)))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, csvICSErr(err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "provision", "clause", "reference", "id":
			h = "provision"
		case "details":
			h = "detail"
		}
		if !slices.Contains(icsColumns, h) {
			return nil, icsErr("line 1", "unknown column %q (want provision, title, status, support, detail)", header[i])
		}
		if _, dup := col[h]; dup {
			return nil, icsErr("line 1", "column %q appears twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"provision", "support"} {
		if _, ok := col[need]; !ok {
			return nil, icsErr("line 1", "missing column %q", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	ics := &ICS{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvICSErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		en := ICSEntry{Provision: get(rec, "provision"), Title: get(rec, "title"), Status: get(rec, "status"), Support: get(rec, "support"), Detail: get(rec, "detail")}
		ics.Entries = append(ics.Entries, en)
		ics.lines = append(ics.lines, line)
	}
	return ics, nil
}

func csvICSErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return icsErr(fmt.Sprintf("line %d", pe.Line), "column %d: %v", pe.Column, pe.Err)
	}
	if err == io.EOF {
		return icsErr("file", "is empty")
	}
	return icsErr("file", "%v", err)
}

// normSupport reads a support value.
func normSupport(s string) (string, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "":
		return "", true
	case "Y", "YES", "SUPPORTED":
		return SupportYes, true
	case "N", "NO", "NOT SUPPORTED":
		return SupportNo, true
	case "N/A", "NA", "NOT APPLICABLE", "NOT-APPLICABLE":
		return SupportNA, true
	}
	return "", false
}

func (e *Engine) checkICS(ics *ICS) error {
	if len(ics.Entries) > len(e.order) {
		return icsErr("file", "has %d entries; EN 303 645 has %d provisions", len(ics.Entries), len(e.order))
	}
	if len(ics.Product) > 200 || len(ics.Version) > 100 || len(ics.Standard) > 200 {
		return icsErr("file", "product, version or standard is too long")
	}
	if !utf8.ValidString(ics.Product + ics.Version + ics.Standard) {
		return icsErr("file", "product, version or standard is not valid UTF-8")
	}
	seen := map[string]string{}
	for i := range ics.Entries {
		en := &ics.Entries[i]
		at := fmt.Sprintf("entry %d", i+1)
		if i < len(ics.lines) {
			at = fmt.Sprintf("line %d", ics.lines[i])
		}
		p, ok := e.provisions[en.Provision]
		if !ok {
			return icsErr(at, "provision %q is not an EN 303 645 provision", en.Provision)
		}
		if prev, dup := seen[en.Provision]; dup {
			return icsErr(at, "provision %s appears twice (first at %s)", en.Provision, prev)
		}
		seen[en.Provision] = at
		sup, ok := normSupport(en.Support)
		if !ok {
			return icsErr(at, "support %q is not Y, N or N/A", en.Support)
		}
		en.Support = sup
		if en.Status != "" && strings.Join(strings.Fields(strings.ToUpper(en.Status)), " ") != status(p) {
			return icsErr(at, "status %q of %s disagrees with the catalog (%s)", en.Status, en.Provision, status(p))
		}
		if len(en.Detail) > MaxICSDetail {
			return icsErr(at, "detail is longer than %d bytes", MaxICSDetail)
		}
		if !utf8.ValidString(en.Detail) {
			return icsErr(at, "detail is not valid UTF-8")
		}
		en.Title, en.Status = p.Title, status(p)
	}
	ics.lines = nil
	if ics.Standard == "" {
		ics.Standard = e.hubTitle
	}
	return nil
}

// CheckIXIT validates IXIT entries against TS 103 701's categories.
func (e *Engine) CheckIXIT(items []IXITEntry) error {
	if len(items) > MaxIXIT {
		return fmt.Errorf("ixit: more than %d items", MaxIXIT)
	}
	for i, it := range items {
		if !slices.Contains(e.ixit, it.Category) {
			return fmt.Errorf("ixit item %d: category %q is not a TS 103 701 IXIT category", i+1, it.Category)
		}
		if strings.TrimSpace(it.Text) == "" || len(it.Text) > MaxICSDetail || !utf8.ValidString(it.Text) {
			return fmt.Errorf("ixit item %d: text must hold 1 to %d bytes", i+1, MaxICSDetail)
		}
	}
	return nil
}

// IXITCategories lists TS 103 701's IXIT categories (id and title).
func (e *Engine) IXITCategories() []crosswalk.Category { return slices.Clone(e.ixitCats) }
