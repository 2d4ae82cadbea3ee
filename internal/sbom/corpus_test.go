package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// nv is a component as the corpus tests count it: name and version.
type nv struct{ Name, Version string }

func sortNV(s []nv) []nv {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Name != s[j].Name {
			return s[i].Name < s[j].Name
		}
		return s[i].Version < s[j].Version
	})
	return s
}

// rawCycloneDXJSON lists the components of a CycloneDX JSON document
// without the CycloneDX library: the top-level components and, at any
// depth, the components of a component.
func rawCycloneDXJSON(t *testing.T, data []byte) []nv {
	t.Helper()
	var top struct {
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	var out []nv
	var walk func([]json.RawMessage)
	walk = func(cs []json.RawMessage) {
		for _, raw := range cs {
			var c struct {
				Name       string            `json:"name"`
				Version    string            `json:"version"`
				Components []json.RawMessage `json:"components"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, nv{c.Name, c.Version})
			walk(c.Components)
		}
	}
	walk(top.Components)
	return out
}

// rawCycloneDXXML does the same for XML, from the element tree.
func rawCycloneDXXML(t *testing.T, data []byte) []nv {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []string
	var out []nv
	var cur []*nv // open counted components
	text := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			n := len(stack)
			counted := e.Name.Local == "component" && n >= 2 && stack[n-1] == "components" &&
				(stack[n-2] == "bom" || (stack[n-2] == "component" && len(cur) > 0 && cur[len(cur)-1] != nil))
			stack = append(stack, e.Name.Local)
			if e.Name.Local == "component" {
				if counted {
					cur = append(cur, &nv{})
				} else {
					cur = append(cur, nil)
				}
			}
			text = ""
		case xml.CharData:
			text += string(e)
		case xml.EndElement:
			n := len(stack)
			if n >= 2 && stack[n-2] == "component" && len(cur) > 0 && cur[len(cur)-1] != nil {
				switch e.Name.Local {
				case "name":
					cur[len(cur)-1].Name = strings.TrimSpace(text)
				case "version":
					cur[len(cur)-1].Version = strings.TrimSpace(text)
				}
			}
			if e.Name.Local == "component" {
				if c := cur[len(cur)-1]; c != nil {
					out = append(out, *c)
				}
				cur = cur[:len(cur)-1]
			}
			stack = stack[:n-1]
		}
	}
	return out
}

// TestCycloneDXCorpus reads the official CycloneDX test files (1.4 to
// 1.6, JSON and XML) and examples: every valid file is read with all its
// components, every invalid one is refused with an error that names the
// element and the rule.
func TestCycloneDXCorpus(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/cyclonedx-spec/*/*.json", "testdata/cyclonedx-spec/*/*.xml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	filepath.Walk("testdata/cyclonedx-examples", func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".xml")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 400 {
		t.Fatalf("%d corpus files, want the whole corpus (see testdata/README.md)", len(files))
	}
	// A sample of invalid files and the problem the error must name.
	named := map[string]string{
		"invalid-hash-sha256-1.6.json":        "components[0].hashes[2]: SHA-256 value",
		"invalid-metadata-timestamp-1.6.json": "metadata.timestamp",
		"invalid-serialnumber-1.6.json":       "/serialNumber",
		"invalid-scope-1.6.xml":               "/components/0/scope",
		"invalid-namespace-1.6.xml":           "namespace",
		"invalid-license-id-count-1.6.xml":    "a license has one id or one name",
		"invalid-component-swid-1.6.xml":      "tagId",
		"invalid-bomformat-1.6.json":          "neither CycloneDX",
		"invalid-component-type-1.6.json":     "is not a CycloneDX component type",
	}
	spdxSch := spdxSchema(t)
	xmlOut := map[string][]byte{}
	var read, refused, components, deps int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		d, _, err := Decode(bytes.NewReader(data), f, DefaultLimits())
		if strings.HasPrefix(base, "invalid-") {
			refused++
			var ve *ValidationError
			var de *DocumentError
			switch {
			case err == nil:
				t.Errorf("%s: read, want refused", f)
			case errors.As(err, &ve):
				for _, p := range ve.Problems {
					if p.Path == "" || p.Msg == "" {
						t.Errorf("%s: problem %q does not say where and what", f, p)
					}
				}
			case errors.As(err, &de):
			default:
				if !strings.Contains(err.Error(), "CycloneDX") {
					t.Errorf("%s: %v does not name the problem", f, err)
				}
			}
			if want, ok := named[base]; ok && (err == nil || !strings.Contains(err.Error(), want)) {
				t.Errorf("%s: error %v, want it to name %q", f, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		read++
		var want []nv
		if strings.HasSuffix(f, ".xml") {
			want = rawCycloneDXXML(t, data)
		} else {
			want = rawCycloneDXJSON(t, data)
		}
		got := make([]nv, len(d.Components))
		for i, c := range d.Components {
			got[i] = nv{c.Name, c.Version}
		}
		components += len(got)
		if diff := cmp.Diff(sortNV(want), sortNV(got), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: components (-in file +read):\n%s", f, diff)
		}
		// The dependency graph between components survives a trip through
		// SPDX (relationships) and back to CycloneDX.
		if strings.HasSuffix(f, ".json") {
			var sp bytes.Buffer
			if err := Encode(&sp, d, SPDXJSON); err != nil {
				t.Fatal(err)
			}
			back, _, err := Decode(bytes.NewReader(sp.Bytes()), f+" via SPDX", DefaultLimits())
			if err != nil {
				t.Errorf("%s via SPDX: %v", f, err)
			} else {
				var cb bytes.Buffer
				if err := Encode(&cb, back, CycloneDXJSON); err != nil {
					t.Fatal(err)
				}
				want := rawCycloneDXDeps(t, data)
				if diff := cmp.Diff(want, rawCycloneDXDeps(t, cb.Bytes()), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: dependencies between components after SPDX and back (-in file +written):\n%s", f, diff)
				}
				deps += len(want)
			}
		}
		// What was read, written again in every format, is valid.
		for _, wf := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON} {
			var buf bytes.Buffer
			if err := Encode(&buf, d, wf); err != nil {
				t.Errorf("%s: Encode %s: %v", f, wf, err)
				continue
			}
			switch wf {
			case SPDXJSON:
				validateSPDX(t, spdxSch, f+" written as SPDX JSON", buf.Bytes())
			case CycloneDXXML:
				xmlOut[f+" written as CycloneDX XML"] = buf.Bytes()
			}
			if _, _, err := Decode(bytes.NewReader(buf.Bytes()), f+" written as "+string(wf), DefaultLimits()); err != nil {
				t.Errorf("%v", err)
			}
		}
	}
	validateXSDAll(t, xmlOut)
	t.Logf("%d files read (%d components, %d dependencies between them kept through SPDX), %d invalid files refused", read, components, deps, refused)
}

// rawCycloneDXDeps lists the dependsOn pairs between components (with a
// bom-ref, the top component's own left out) of a CycloneDX JSON document,
// each component by name@version.
func rawCycloneDXDeps(t *testing.T, data []byte) []string {
	t.Helper()
	var doc struct {
		Metadata struct {
			Component struct {
				Ref string `json:"bom-ref"`
			} `json:"component"`
		} `json:"metadata"`
		Components   []json.RawMessage `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	comps := map[string]string{} // bom-ref: name@version (refs change through SPDX)
	var walk func([]json.RawMessage)
	walk = func(cs []json.RawMessage) {
		for _, raw := range cs {
			var c struct {
				Ref        string            `json:"bom-ref"`
				Name       string            `json:"name"`
				Version    string            `json:"version"`
				Components []json.RawMessage `json:"components"`
			}
			json.Unmarshal(raw, &c)
			if c.Ref != "" {
				comps[c.Ref] = c.Name + "@" + c.Version
			}
			walk(c.Components)
		}
	}
	walk(doc.Components)
	m := map[string]bool{}
	for _, d := range doc.Dependencies {
		if d.Ref == doc.Metadata.Component.Ref || comps[d.Ref] == "" {
			continue
		}
		for _, x := range d.DependsOn {
			if comps[x] != "" && x != d.Ref {
				m[comps[d.Ref]+" -> "+comps[x]] = true
			}
		}
	}
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
