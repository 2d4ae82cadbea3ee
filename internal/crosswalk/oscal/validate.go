package oscal

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"
	o "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validator checks OSCAL documents against the OSCAL 1.2.2 JSON schema that
// go-oscal ships. Compiling the schema takes a while, so one Validator is
// built and reused; it is safe for concurrent use.
type Validator struct {
	schema *jsonschema.Schema
}

// NewValidator compiles the schema.
func NewValidator() (*Validator, error) {
	// go-oscal only hands its embedded schema out through a validator for a
	// document, so build one for a minimal document of the right version.
	stub := map[string]any{"catalog": map[string]any{"metadata": map[string]any{"oscal-version": Version}}}
	v, err := validation.NewValidator(stub)
	if err != nil {
		return nil, fmt.Errorf("load oscal %s schema: %w", Version, err)
	}
	params, err := v.GetValidationParams()
	if err != nil {
		return nil, fmt.Errorf("load oscal %s schema: %w", Version, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(params.SchemaPath, params.SchemaData); err != nil {
		return nil, fmt.Errorf("add oscal schema: %w", err)
	}
	sch, err := c.Compile(params.SchemaPath)
	if err != nil {
		return nil, fmt.Errorf("compile oscal schema: %w", err)
	}
	return &Validator{schema: sch}, nil
}

// SchemaError lists where a document breaks the schema.
type SchemaError struct {
	Document string
	Problems []string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%s: %d schema violations, first: %s", e.Document, len(e.Problems), e.Problems[0])
}

// maxSchemaProblems caps the list; the first few locate the fault.
const maxSchemaProblems = 20

// Validate checks one root object (a value with a single "catalog",
// "profile" or "mapping-collection" key, or a struct that marshals to one).
func (v *Validator) Validate(name string, doc any) error {
	// Round-trip through JSON so the schema sees plain JSON values.
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%s: marshal: %w", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	err = v.schema.Validate(m)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: validate: %w", name, err)
	}
	se := &SchemaError{Document: name}
	for _, e := range validation.ExtractErrors(m, ve.DetailedOutput()) {
		se.Problems = append(se.Problems, fmt.Sprintf("at %q: %s", e.InstanceLocation, e.Error))
	}
	sort.Strings(se.Problems)
	if len(se.Problems) > maxSchemaProblems {
		se.Problems = se.Problems[:maxSchemaProblems]
	}
	if len(se.Problems) == 0 {
		se.Problems = []string{ve.Error()}
	}
	return se
}

// ValidateBundle checks every document of b.
func (v *Validator) ValidateBundle(b Bundle) error {
	var errs []error
	for _, c := range b.Catalogs {
		if err := v.Validate("catalog "+c.Metadata.Title, o.OscalModels{Catalog: &c}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range b.Profiles {
		if err := v.Validate("profile "+p.Metadata.Title, o.OscalModels{Profile: &p}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, m := range b.Mappings {
		if err := v.Validate("mapping-collection "+m.Metadata.Title, o.OscalModels{MappingCollection: &m}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
