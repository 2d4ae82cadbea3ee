package sbom

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The official CycloneDX JSON schemas (CycloneDX/specification, schema/,
// Apache-2.0; see schema/README.md). Every CycloneDX document read is
// validated against the schema of its specVersion, so what the official
// validator refuses is refused here too, with the element and the rule.
//
//go:embed schema/*.json
var schemaFS embed.FS

// maxSchemaBytes bounds the documents validated against the schema: the
// validator holds the whole document as a tree of values, about ten times
// its size. Larger documents (up to Limits.MaxBytes) get the semantic
// checks only.
const maxSchemaBytes = 64 << 20

// cdxSchemas compiles the schemas once, on first use.
var cdxSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	// "format" stays an annotation, as JSON Schema draft-07 has it by
	// default: a reader accepts what the world writes, and a URL with a
	// space in an external reference is no reason to refuse an SBOM. The
	// formats iotsec uses are checked by the reader itself (timestamps as
	// RFC 3339); the tests check what iotsec writes with formats asserted.
	files, err := schemaFS.ReadDir("schema")
	if err != nil {
		return nil, err
	}
	ids := map[string]string{} // specVersion -> $id
	for _, f := range files {
		data, err := schemaFS.ReadFile(path.Join("schema", f.Name()))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", f.Name(), err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			id = "http://cyclonedx.org/schema/" + f.Name()
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, err
		}
		// Relative references ("spdx.schema.json") resolve against the
		// $id, which for 1.2 and 1.3 carries a revision letter.
		if alt := "http://cyclonedx.org/schema/" + f.Name(); alt != id {
			if err := c.AddResource(alt, doc); err != nil {
				return nil, err
			}
		}
		if v, ok := strings.CutPrefix(f.Name(), "bom-"); ok {
			ids[strings.TrimSuffix(v, ".schema.json")] = id
		}
	}
	out := map[string]*jsonschema.Schema{}
	for v, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("schema bom-%s: %w", v, err)
		}
		out[v] = s
	}
	return out, nil
})

// CycloneDXSchemaVersions lists the specVersions validated against their
// official schema.
func CycloneDXSchemaVersions() []string {
	m, err := cdxSchemas()
	if err != nil {
		return nil
	}
	var vs []string
	for v := range m {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

// validateCycloneDXJSON checks a CycloneDX JSON document against the
// official schema of specVersion and adds one problem per failed rule,
// located by its JSON pointer. Unknown versions are not checked.
func validateCycloneDXJSON(p *problems, data []byte, specVersion string, xmlText bool) error {
	if len(data) > maxSchemaBytes {
		return nil
	}
	schemas, err := cdxSchemas()
	if err != nil {
		return fmt.Errorf("cyclonedx schemas: %w", err)
	}
	s, ok := schemas[specVersion]
	if !ok {
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if xmlText {
		doc = normalizeSpace(doc)
		if specVersion < "1.6" {
			identityObject(doc)
		}
	}
	verr := s.Validate(doc)
	if verr == nil {
		return nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return verr
	}
	schemaProblems(p, ve, "bom-"+specVersion+".schema.json")
	return nil
}

// schemaProblems adds the leaf errors of a schema validation: each names
// the element (JSON pointer) and the rule it breaks.
func schemaProblems(p *problems, ve *jsonschema.ValidationError, schema string) {
	pr := message.NewPrinter(language.English)
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		at := "/" + strings.Join(e.InstanceLocation, "/")
		msg := e.ErrorKind.LocalizedString(pr)
		if seen[at+"\x00"+msg] {
			return
		}
		seen[at+"\x00"+msg] = true
		rule := e.SchemaURL
		if _, frag, ok := strings.Cut(rule, "#"); ok {
			rule = frag
		}
		p.add(at, "%s (%s %s)", msg, schema, rule)
	}
	walk(ve)
}

// schemaCheck validates a decoded CycloneDX document against the official
// JSON schema of its version. XML is checked through its JSON rendering
// by the CycloneDX library: what the JSON schema says of the values
// (enumerations, patterns, formats, required elements) holds for XML too,
// though XML-only rules of the XSD are not checked.
func schemaCheck(p *problems, data []byte, f Format, bom *cdx.BOM, lim Limits) error {
	if f == CycloneDXJSON {
		var top struct {
			SpecVersion string `json:"specVersion"`
		}
		if err := json.Unmarshal(data, &top); err != nil {
			return err
		}
		return validateCycloneDXJSON(p, data, top.SpecVersion, false)
	}
	checkCycloneDXXML(p, data, lim)
	if len(data) > maxSchemaBytes || bom.SpecVersion < cdx.SpecVersion1_2 {
		return nil // no JSON rendering (nor JSON schema) before 1.2
	}
	// Marshalled as it is: the library's versioned encoder would drop
	// values the version does not know, which is what is to be checked.
	cp := *bom
	cp.BOMFormat = "CycloneDX"
	cp.JSONSchema = ""
	// The library reads XML declarations (attestations) without their
	// references, so their rendering is not the document's: not checked.
	cp.Declarations = nil
	js, err := json.Marshal(&cp)
	if err != nil {
		p.add("/", "cannot be rendered as CycloneDX %s JSON for the schema check: %v", bom.SpecVersion, err)
		return nil
	}
	return validateCycloneDXJSON(p, js, bom.SpecVersion.String(), true)
}

// normalizeSpace trims the strings of a document rendered from XML, where
// the text of an element may be laid out over lines (XML Schema's
// whitespace handling) but the JSON schema's patterns take one line.
func normalizeSpace(v any) any {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(t))
	case []any:
		for i := range t {
			t[i] = normalizeSpace(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = normalizeSpace(t[k])
		}
	}
	return v
}

// identityObject undoes a shape of the CycloneDX library's JSON rendering:
// it holds component evidence identity as a list (1.6) where 1.5 has one
// object.
func identityObject(v any) {
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			identityObject(x)
		}
	case map[string]any:
		if ev, ok := t["evidence"].(map[string]any); ok {
			if id, ok := ev["identity"].([]any); ok && len(id) == 1 {
				ev["identity"] = id[0]
			}
		}
		for _, x := range t {
			identityObject(x)
		}
	}
}
