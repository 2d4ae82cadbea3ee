package vex

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/iotsec/iotsec/internal/vuln"
)

// openVEXSchema compiles the official OpenVEX 0.2.0 JSON schema
// (testdata/schema, README there) with format assertions on.
func openVEXSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "schema", "openvex_json_schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const id = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkOpenVEX validates an OpenVEX document against the official schema.
// A document without statements breaks one rule of it, statements'
// minItems (see WriteOpenVEX): that and only that is allowed, and only
// when empty is true.
func checkOpenVEX(t testing.TB, s *jsonschema.Schema, name string, data []byte, empty bool) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	err = s.Validate(doc)
	if !empty {
		if err != nil {
			t.Errorf("%s does not validate against the OpenVEX schema: %v", name, err)
		}
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: an OpenVEX document without statements validates (%v): the schema changed, drop the allowance", name, err)
	}
	out := ve.BasicOutput()
	for _, u := range out.Errors {
		if u.Error == nil {
			continue
		}
		if u.InstanceLocation != "/statements" || !strings.HasSuffix(u.KeywordLocation, "/minItems") {
			t.Errorf("%s: schema error beyond the empty statements: %s at %s (%s)", name, u.Error, u.InstanceLocation, u.KeywordLocation)
		}
	}
}

// Every document WriteOpenVEX writes validates against the official
// schema, the empty one but for its one allowance; the @id is ours.
func TestWriteOpenVEXSchema(t *testing.T) {
	s := openVEXSchema(t)
	stmts, _ := authored()
	doc := Document{ID: "https://iot.example/vex/fw_1", Author: "Example PSIRT", Timestamp: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	for _, c := range []struct {
		name  string
		stmts []vuln.Statement
	}{{"all", stmts}, {"one", stmts[:1]}, {"none", nil}} {
		var buf bytes.Buffer
		if err := WriteOpenVEX(&buf, doc, c.stmts); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkOpenVEX(t, s, c.name, buf.Bytes(), len(c.stmts) == 0)
		if len(c.stmts) == 0 && !bytes.Contains(buf.Bytes(), []byte(`"statements": []`)) {
			t.Errorf("empty document: %s, want \"statements\": []", buf.String())
		}
		back, err := Read(buf.Bytes(), c.name, DefaultLimits())
		if err != nil || len(back) != len(c.stmts) {
			t.Errorf("%s read back: %d statements, %v; want %d", c.name, len(back), err, len(c.stmts))
		}
	}
	// The fixtures written by hand validate too.
	checkOpenVEX(t, s, "openvex-router.json", fixture(t, "openvex-router.json"), false)
}
