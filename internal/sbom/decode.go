package sbom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/tagvalue"
)

// DecodeFile reads the SBOM at path.
func DecodeFile(path string, lim Limits) (*Document, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	return Decode(f, path, lim)
}

// Decode reads an SBOM in any of the four formats, detected from its
// content, and validates it. On a validation error it returns the
// document as far as it was understood with a *ValidationError listing
// every problem (up to Limits.MaxErrors) by element.
func Decode(r io.Reader, name string, lim Limits) (*Document, Format, error) {
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, "", fmt.Errorf("%s: larger than %d bytes: %w", name, lim.MaxBytes, ErrLimit)
	}
	f, err := Detect(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	// Count components before decoding: a decoded component costs about
	// twenty times its bytes, so the count limit must hold first.
	if err := prescan(data, f, lim); err != nil {
		return nil, f, fmt.Errorf("%s: %w", name, err)
	}
	d, err := decode(data, f, name, lim)
	return d, f, err
}

func decode(data []byte, f Format, name string, lim Limits) (d *Document, err error) {
	// The format libraries are not written for hostile input; a panic in
	// one is reported as a parse error rather than taking the server down.
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("%s: parser failed on malformed input: %v", name, r)
		}
	}()
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		format := cdx.BOMFileFormatJSON
		if f == CycloneDXXML {
			format = cdx.BOMFileFormatXML
		}
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&bom); err != nil {
			if !libraryDeclarationsLimit(data, f, err, &bom) {
				return nil, fmt.Errorf("%s: %w", name, located(data, err))
			}
		}
		d, err := fromCycloneDX(&bom, name, lim)
		if err != nil {
			return d, err
		}
		// What iotsec checks itself it says in its own terms (with the
		// bom-ref); the official schema then checks everything else.
		p := &problems{max: lim.MaxErrors}
		if err := schemaCheck(p, data, f, &bom, lim); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := p.err(name); err != nil {
			return d, err
		}
		return d, nil
	case SPDXJSON:
		doc, err := spdxjson.Read(bytes.NewReader(data))
		if err != nil {
			err = located(data, err)
			// The SPDX reader decodes parts of the document again, so a
			// type error's offset is within a part: say the field only.
			var de *DocumentError
			var te *json.UnmarshalTypeError
			if errors.As(err, &de) && errors.As(err, &te) {
				de.Line, de.Column = 0, 0
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return fromSPDX(doc, name, lim, nil)
	}
	tv, snippets := packageSnippets(data)
	var doc *spdx.Document
	doc, err = tagvalue.Read(bytes.NewReader(tv))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, longLine(data, err))
	}
	return fromSPDX(doc, name, lim, snippets)
}

// packageSnippets takes out of a tag-value document the snippets that
// follow a package rather than a file (as in the SPDX 2.2 and 2.3
// specifications' own example), which the SPDX library refuses ("unknown
// tag SnippetSPDXID in Package section"). iotsec does not use snippets;
// their identifiers are returned so relationships naming them still hold.
func packageSnippets(data []byte) ([]byte, map[common.ElementID]bool) {
	if !bytes.Contains(data, []byte("SnippetSPDXID:")) {
		return data, nil
	}
	ids := map[common.ElementID]bool{}
	var out bytes.Buffer
	section := "" // PackageName, FileName, LicenseID: the section being read
	dropping, inText := false, false
	for rest := data; len(rest) > 0; {
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			end = len(rest) - 1
		}
		line := rest[:end+1]
		rest = rest[end+1:]
		if inText {
			inText = !bytes.Contains(line, []byte("</text>"))
			if !dropping {
				out.Write(line)
			}
			continue
		}
		tag, value, isTag := bytes.Cut(bytes.TrimSpace(line), []byte(":"))
		if isTag && !bytes.HasPrefix(tag, []byte("#")) {
			t := string(tag)
			switch {
			case t == "SnippetSPDXID":
				dropping = section != "FileName"
				if dropping {
					ids[common.ElementID(strings.TrimPrefix(string(bytes.TrimSpace(value)), "SPDXRef-"))] = true
				}
			case strings.HasPrefix(t, "Snippet") || t == "LicenseInfoInSnippet":
			default:
				dropping = false
				if t == "PackageName" || t == "FileName" || t == "LicenseID" {
					section = t
				}
			}
			inText = bytes.Contains(value, []byte("<text>")) && !bytes.Contains(value, []byte("</text>"))
		}
		if !dropping {
			out.Write(line)
		}
	}
	return out.Bytes(), ids
}

// located says where a JSON syntax or type error is, by line and column,
// and what was wrong in the document's terms (the field's path, what was
// expected and what was found) rather than in the decoder's (Go types).
func located(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	msg := ""
	switch {
	case errors.As(err, &se):
		off, msg = se.Offset, se.Error()
		if msg == "unexpected end of JSON input" {
			msg = "the document ends before its JSON is complete"
		}
	case errors.As(err, &te):
		off = te.Offset
		field := te.Field
		if field == "" {
			field = "the document"
		}
		want := "a value of another type"
		if te.Type != nil {
			want = jsonKind(te.Type.Kind())
		}
		msg = fmt.Sprintf("%s: expected %s, found %s", field, want, jsonValue(te.Value))
	}
	if off < 0 || off > int64(len(data)) {
		if msg == "" {
			return err
		}
		return &DocumentError{Message: msg, Err: err}
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return &DocumentError{Line: line, Column: int(col), Message: msg, Err: err}
}

// DocumentError is a document that cannot be read, said in the
// document's terms: where (line and column, when known) and what.
type DocumentError struct {
	Line, Column int
	Message      string
	Err          error // the decoder's own error
}

func (e *DocumentError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d column %d: %s", e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

func (e *DocumentError) Unwrap() error { return e.Err }

// jsonKind names what a Go kind takes in JSON.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a value of another type"
}

// jsonValue names a JSON value as encoding/json describes it.
func jsonValue(v string) string {
	switch {
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "bool":
		return "true or false"
	case v == "string":
		return "a string"
	case v == "number" || strings.HasPrefix(v, "number "):
		return "a number"
	}
	return v
}

// longLine says which line of a tag-value document is longer than the
// reader takes, instead of the scanner's "token too long".
func longLine(data []byte, err error) error {
	if !errors.Is(err, bufio.ErrTooLong) {
		return err
	}
	line := 1
	for rest := data; len(rest) > 0; line++ {
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			end = len(rest)
		}
		if end >= bufio.MaxScanTokenSize {
			break
		}
		rest = rest[min(end+1, len(rest)):]
	}
	return &DocumentError{Line: line, Message: fmt.Sprintf("the line is longer than %d KiB, the most a tag-value line may hold",
		bufio.MaxScanTokenSize>>10), Err: err}
}

// Detect tells the format of an SBOM from its first bytes and top-level keys.
func Detect(data []byte) (Format, error) {
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case len(trim) == 0:
		return "", errors.New("empty document")
	case trim[0] == '{':
		var top struct {
			BOMFormat   string `json:"bomFormat"`
			SPDXVersion string `json:"spdxVersion"`
		}
		// Only the top-level keys are needed; a syntax error later in the
		// document is reported by the real decoder with its position.
		dec := json.NewDecoder(bytes.NewReader(trim))
		if err := topKeys(dec, &top.BOMFormat, &top.SPDXVersion); err != nil && top.BOMFormat == "" && top.SPDXVersion == "" {
			return "", located(trim, err)
		}
		switch {
		case top.BOMFormat == "CycloneDX":
			return CycloneDXJSON, nil
		case top.SPDXVersion != "":
			return SPDXJSON, nil
		}
		return "", errors.New("JSON document is neither CycloneDX (bomFormat) nor SPDX (spdxVersion)")
	case trim[0] == '<':
		dec := xml.NewDecoder(bytes.NewReader(trim))
		for {
			tok, err := dec.Token()
			if err != nil {
				return "", fmt.Errorf("xml: %w", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Local == "bom" && bytes.HasPrefix([]byte(se.Name.Space), []byte("http://cyclonedx.org/schema/bom/")) {
					return CycloneDXXML, nil
				}
				return "", fmt.Errorf("XML root element %q is not a CycloneDX bom", se.Name.Local)
			}
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(trim))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if bytes.HasPrefix(line, []byte("SPDXVersion:")) {
			return SPDXTagValue, nil
		}
		break
	}
	return "", errors.New("not a CycloneDX (JSON, XML) or SPDX (JSON, tag-value) document")
}

// topKeys reads the top-level object and fills the two string keys.
func topKeys(dec *json.Decoder, bomFormat, spdxVersion *string) error {
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var dst any = new(json.RawMessage)
		switch tok {
		case "bomFormat":
			dst = bomFormat
		case "spdxVersion":
			dst = spdxVersion
		}
		if err := dec.Decode(dst); err != nil {
			return err
		}
		if *bomFormat != "" || *spdxVersion != "" {
			return nil
		}
	}
	return nil
}

// prescan counts components (CycloneDX components, SPDX packages and
// files) and nesting depth with a token scan that allocates little.
func prescan(data []byte, f Format, lim Limits) error {
	over := func(n int) error {
		return fmt.Errorf("more than %d components: %w", lim.MaxComponents, ErrLimit)
	}
	switch f {
	case CycloneDXXML:
		dec := xml.NewDecoder(bytes.NewReader(data))
		n, depth := 0, 0
		for {
			tok, err := dec.RawToken()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return nil // the real decoder reports it with context
			}
			switch t := tok.(type) {
			case xml.StartElement:
				depth++
				if depth > lim.MaxDepth {
					return fmt.Errorf("XML nested deeper than %d: %w", lim.MaxDepth, ErrLimit)
				}
				if t.Name.Local == "component" {
					if n++; n > lim.MaxComponents {
						return over(n)
					}
				}
			case xml.EndElement:
				depth--
			}
		}
	case SPDXTagValue:
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			l := sc.Bytes()
			if bytes.HasPrefix(l, []byte("PackageName:")) || bytes.HasPrefix(l, []byte("FileName:")) {
				if n++; n > lim.MaxComponents {
					return over(n)
				}
			}
		}
		return nil
	}
	// JSON: count objects that are elements of an array under a key named
	// components, packages or files, at any depth.
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		array   bool
		counted bool
	}
	var stack []frame
	lastKey := ""
	expectKey := false
	n := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // reported by the real decoder
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) > 0 && stack[len(stack)-1].array && stack[len(stack)-1].counted && t == '{' {
					if n++; n > lim.MaxComponents {
						return over(n)
					}
				}
				counted := t == '[' && (lastKey == "components" || lastKey == "packages" || lastKey == "files")
				stack = append(stack, frame{array: t == '[', counted: counted})
				if len(stack) > lim.MaxDepth {
					return fmt.Errorf("JSON nested deeper than %d: %w", lim.MaxDepth, ErrLimit)
				}
				expectKey = t == '{'
				lastKey = ""
			default:
				stack = stack[:len(stack)-1]
				expectKey = len(stack) > 0 && !stack[len(stack)-1].array
			}
			continue
		case string:
			if expectKey {
				lastKey = t
				expectKey = false
				continue
			}
		}
		// A scalar value; in an object the next token is a key again.
		expectKey = len(stack) > 0 && !stack[len(stack)-1].array
	}
}

// libraryDeclarationsLimit decodes data again without its declarations
// (1.6 attestations, which iotsec does not use) when the CycloneDX library
// failed on them alone: it takes a data classification as an object where
// the 1.6 schema also allows a string. The schema check still reads them.
func libraryDeclarationsLimit(data []byte, f Format, err error, bom *cdx.BOM) bool {
	var te *json.UnmarshalTypeError
	if f != CycloneDXJSON || !errors.As(err, &te) || !strings.HasPrefix(te.Field, "declarations.") {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	delete(top, "declarations")
	rest, merr := json.Marshal(top)
	if merr != nil {
		return false
	}
	*bom = cdx.BOM{}
	return cdx.NewBOMDecoder(bytes.NewReader(rest), cdx.BOMFileFormatJSON).Decode(bom) == nil
}
