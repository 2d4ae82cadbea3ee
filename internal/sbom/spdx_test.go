package sbom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// rawSPDX is what an SPDX document holds by the corpus test's own count,
// read without the SPDX library: packages and files (name, version) and
// relationships (with CONTAINED_BY and DESCRIBED_BY turned round, and
// documentDescribes and hasFiles as the relationships they stand for).
type rawSPDX struct {
	Elements      []nv
	Relationships []Relationship
}

func rawRel(a, typ, b string) Relationship {
	trim := func(s string) string {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "DocumentRef-") {
			return s
		}
		return strings.TrimPrefix(s, "SPDXRef-")
	}
	switch typ {
	case "CONTAINED_BY":
		return Relationship{trim(b), "CONTAINS", trim(a)}
	case "DESCRIBED_BY":
		return Relationship{trim(b), "DESCRIBES", trim(a)}
	}
	return Relationship{trim(a), typ, trim(b)}
}

func rawSPDXJSON(t *testing.T, data []byte) rawSPDX {
	t.Helper()
	var doc struct {
		Describes []string `json:"documentDescribes"`
		Packages  []struct {
			ID       string   `json:"SPDXID"`
			Name     string   `json:"name"`
			Version  string   `json:"versionInfo"`
			HasFiles []string `json:"hasFiles"`
		} `json:"packages"`
		Files []struct {
			Name string `json:"fileName"`
		} `json:"files"`
		Relationships []struct {
			A    string `json:"spdxElementId"`
			Type string `json:"relationshipType"`
			B    string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var r rawSPDX
	for _, p := range doc.Packages {
		r.Elements = append(r.Elements, nv{p.Name, p.Version})
		for _, f := range p.HasFiles {
			r.Relationships = append(r.Relationships, rawRel(p.ID, "CONTAINS", f))
		}
	}
	for _, f := range doc.Files {
		r.Elements = append(r.Elements, nv{f.Name, ""})
	}
	for _, d := range doc.Describes {
		r.Relationships = append(r.Relationships, rawRel("SPDXRef-DOCUMENT", "DESCRIBES", d))
	}
	for _, x := range doc.Relationships {
		r.Relationships = append(r.Relationships, rawRel(x.A, x.Type, x.B))
	}
	return r
}

func rawSPDXTagValue(t *testing.T, data []byte) rawSPDX {
	t.Helper()
	var r rawSPDX
	sc := bufio.NewScanner(bytes.NewReader(data))
	var cur *nv
	for sc.Scan() {
		tag, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch tag {
		case "PackageName", "FileName":
			if cur != nil {
				r.Elements = append(r.Elements, *cur)
			}
			cur = &nv{Name: value}
		case "PackageVersion":
			cur.Version = value
		case "Relationship":
			f := strings.Fields(value)
			if len(f) != 3 {
				t.Fatalf("relationship %q", value)
			}
			r.Relationships = append(r.Relationships, rawRel(f[0], f[1], f[2]))
		}
	}
	if cur != nil {
		r.Elements = append(r.Elements, *cur)
	}
	return r
}

func relSet(rs []Relationship) []Relationship {
	m := map[Relationship]bool{}
	for _, r := range rs {
		m[rawRel(r.From, r.Type, r.To)] = true
	}
	out := make([]Relationship, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.To < b.To
	})
	return out
}

// decodedSPDX is the same count of a read Document.
func decodedSPDX(d *Document) rawSPDX {
	var r rawSPDX
	if d.Firmware.Ref != "" {
		r.Elements = append(r.Elements, nv{d.Firmware.name(), d.Firmware.Version})
	}
	for _, c := range d.Components {
		r.Elements = append(r.Elements, nv{c.Name, c.Version})
	}
	r.Relationships = d.Relationships
	if len(r.Relationships) == 0 && d.Firmware.Ref != "" {
		r.Relationships = []Relationship{{"DOCUMENT", "DESCRIBES", d.Firmware.Ref}}
		for _, c := range d.Components {
			r.Relationships = append(r.Relationships, Relationship{d.Firmware.Ref, "CONTAINS", c.Ref})
		}
	}
	return r
}

func spdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/schema-spdx/spdx-schema-2.3.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("spdx-schema-2.3.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("spdx-schema-2.3.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSPDX(t *testing.T, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s does not validate against spdx-schema-2.3.json: %v", name, err)
	}
}

// TestSPDXCorpus reads every SPDX 2.x JSON and tag-value example of the
// SPDX specification and spdx/spdx-examples: packages, files, versions
// and relationships are all there (counted from the file without the SPDX
// library), and writing what was read gives SPDX 2.3 JSON that validates
// against the official schema and reads back the same, identifiers
// included.
func TestSPDXCorpus(t *testing.T) {
	schema := spdxSchema(t)
	var files []string
	for _, dir := range []string{"testdata/spdx-spec", "testdata/spdx-examples"} {
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".spdx")) {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 33 {
		t.Fatalf("%d SPDX examples, want the whole corpus (see testdata/README.md)", len(files))
	}
	var elements, rels, deps int
	xmlOut := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, format, err := Decode(bytes.NewReader(data), f, DefaultLimits())
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var want rawSPDX
		if format == SPDXTagValue {
			want = rawSPDXTagValue(t, data)
		} else {
			want = rawSPDXJSON(t, data)
		}
		got := decodedSPDX(d)
		elements += len(got.Elements)
		rels += len(relSet(got.Relationships))
		if diff := cmp.Diff(sortNV(want.Elements), sortNV(got.Elements), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: packages and files (-in file +read):\n%s", f, diff)
		}
		if diff := cmp.Diff(relSet(want.Relationships), relSet(got.Relationships), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: relationships (-in file +read):\n%s", f, diff)
		}
		// Written again: valid SPDX 2.3, and the same document when read.
		for _, sf := range []Format{SPDXJSON, SPDXTagValue} {
			var buf bytes.Buffer
			if err := Encode(&buf, d, sf); err != nil {
				t.Fatalf("%s: Encode: %v", f, err)
			}
			if sf == SPDXJSON {
				validateSPDX(t, schema, f+" written as SPDX JSON", buf.Bytes())
			}
			again, _, err := Decode(bytes.NewReader(buf.Bytes()), f+" written", DefaultLimits())
			if err != nil {
				t.Errorf("%s written as %s and read: %v", f, sf, err)
				continue
			}
			refs := func(d *Document) []string {
				out := []string{d.Firmware.Ref}
				for _, c := range d.Components {
					out = append(out, c.Ref)
				}
				sort.Strings(out)
				return out
			}
			if diff := cmp.Diff(refs(d), refs(again)); diff != "" {
				t.Errorf("%s: identifiers changed by writing as %s and reading (-first +second):\n%s", f, sf, diff)
			}
			if diff := cmp.Diff(relSet(decodedSPDX(d).Relationships), relSet(decodedSPDX(again).Relationships)); diff != "" {
				t.Errorf("%s: relationships changed by writing as %s and reading (-first +second):\n%s", f, sf, diff)
			}
		}
		// Converted to CycloneDX: valid (the reader checks the official
		// schema) and with every package and file.
		for _, cf := range []Format{CycloneDXJSON, CycloneDXXML} {
			var cb bytes.Buffer
			if err := Encode(&cb, d, cf); err != nil {
				t.Fatalf("%s: Encode %s: %v", f, cf, err)
			}
			if cf == CycloneDXXML {
				xmlOut[f+" as CycloneDX XML"] = cb.Bytes()
			}
			c, _, err := Decode(bytes.NewReader(cb.Bytes()), f+" as "+string(cf), DefaultLimits())
			if err != nil {
				t.Errorf("%s written as %s: %v", f, cf, err)
				continue
			}
			if len(c.Components) != len(d.Components) {
				t.Errorf("%s written as %s: %d components, want %d", f, cf, len(c.Components), len(d.Components))
			}
			if cf == CycloneDXJSON {
				if diff := cmp.Diff(spdxDependencies(d), cdxDependencies(t, cb.Bytes(), d.Firmware.Ref)); diff != "" {
					t.Errorf("%s written as CycloneDX: dependencies between components (-SPDX +CycloneDX):\n%s", f, diff)
				}
				deps += len(spdxDependencies(d))
			}
		}
	}
	validateXSDAll(t, xmlOut)
	t.Logf("%d SPDX documents read: %d packages and files, %d relationships (%d dependencies between components, kept in CycloneDX)", len(files), elements, rels, deps)
}

// TestSPDXWriter: what iotsec writes in SPDX is valid SPDX 2.3 (schema),
// with OPERATING_SYSTEM for a kernel, a real creation time, and
// identifiers that do not grow through import and export cycles.
func TestSPDXWriter(t *testing.T) {
	schema := spdxSchema(t)
	for name, d := range map[string]*Document{"demo": sample(), "scan": scanned()} {
		var buf bytes.Buffer
		if err := Encode(&buf, d, SPDXJSON); err != nil {
			t.Fatal(err)
		}
		validateSPDX(t, schema, name, buf.Bytes())
	}

	// OPERATING_SYSTEM both ways, and the old spelling read.
	var buf bytes.Buffer
	Encode(&buf, sample(), SPDXTagValue)
	tv := buf.String()
	if !strings.Contains(tv, "PrimaryPackagePurpose: OPERATING_SYSTEM") || strings.Contains(tv, "OPERATING-SYSTEM") {
		t.Errorf("kernel purpose not OPERATING_SYSTEM:\n%s", tv)
	}
	legacy := strings.ReplaceAll(tv, "OPERATING_SYSTEM", "OPERATING-SYSTEM")
	for name, in := range map[string]string{"2.3": tv, "legacy": legacy} {
		d, _, err := Decode(strings.NewReader(in), name, DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := d.Components[3].Type; got != TypeOS {
			t.Errorf("%s: linux read as %q, want %q", name, got, TypeOS)
		}
	}

	// Identifiers: stable from the first export on.
	d := sample()
	var ids [][]string
	for cycle := range 3 {
		for _, f := range []Format{SPDXJSON, SPDXTagValue, CycloneDXJSON} {
			var b bytes.Buffer
			if err := Encode(&b, d, f); err != nil {
				t.Fatal(err)
			}
			var err error
			if d, _, err = Decode(bytes.NewReader(b.Bytes()), "cycle", DefaultLimits()); err != nil {
				t.Fatalf("cycle %d %s: %v", cycle, f, err)
			}
		}
		var refs []string
		for _, c := range d.Components {
			refs = append(refs, c.Ref)
		}
		ids = append(ids, refs)
	}
	want := []string{"Package-1-busybox-1.36.1", "Package-2-openssl-3.3.2", "Package-3-dnsmasq-2.84", "Package-4-linux-5.15.100"}
	for i, refs := range ids {
		if diff := cmp.Diff(want, refs); diff != "" {
			t.Errorf("cycle %d: identifiers (-want +got):\n%s", i, diff)
		}
	}

	// Creation time: the document's, else SOURCE_DATE_EPOCH, else now.
	undated := sample()
	undated.Created = time.Time{}
	created := func() string {
		var b bytes.Buffer
		if err := Encode(&b, undated, SPDXJSON); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			CreationInfo struct{ Created string } `json:"creationInfo"`
		}
		json.Unmarshal(b.Bytes(), &doc)
		return doc.CreationInfo.Created
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1717243200")
	if got := created(); got != "2024-06-01T12:00:00Z" {
		t.Errorf("created with SOURCE_DATE_EPOCH = %s, want 2024-06-01T12:00:00Z", got)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	before := time.Now().UTC().Truncate(time.Second)
	got, err := time.Parse(time.RFC3339, created())
	if err != nil || got.Before(before) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("created without SOURCE_DATE_EPOCH = %v (%v), want now", got, err)
	}
}

// scanned is an SBOM as iotsec makes one from a scanned image (as
// supply.ImageSBOM and supply.Components do): the image name and digest,
// components found at a path with their file's digest, PURLs and CPEs as
// the scanner derives them, refs name@version.
func scanned() *Document {
	d := &Document{Firmware: Firmware{Name: "router.bin", Hashes: []Hash{{"SHA-256", sha256a}}}, Tool: "iotsec"}
	for _, c := range []struct{ name, version, path, cpe string }{
		{"busybox", "1.36.1", "/bin/busybox", "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
		{"openssl", "3.0.13", "/usr/lib/libssl.so.3", "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*"},
		{"dropbear", "2022.83", "/usr/sbin/dropbear", ""},
		{"linux", "5.15.100", "/lib/modules/5.15.100", "cpe:2.3:o:linux:linux_kernel:5.15.100:*:*:*:*:*:*:*"},
	} {
		sc := Component{Ref: c.name + "@" + c.version, Type: TypeLibrary, Name: c.name, Version: c.version, PURL: "pkg:generic/" + c.name + "@" + c.version,
			Files: []string{c.path}, Hashes: []Hash{{"SHA-256", sha256a}}}
		if c.cpe != "" {
			sc.CPEs = []string{c.cpe}
		}
		d.Components = append(d.Components, sc)
	}
	return d
}

// spdxDependencies lists the "depends on" pairs between elements of the
// document that its SPDX relationships state (either direction).
func spdxDependencies(d *Document) []string {
	known := map[string]bool{}
	for _, c := range d.Components {
		known[c.Ref] = true
	}
	if d.Firmware.Ref != "" {
		known[d.Firmware.Ref] = true
	}
	m := map[string]bool{}
	for _, r := range d.Relationships {
		from, to := r.From, r.To
		switch r.Type {
		case "DEPENDS_ON", "DYNAMIC_LINK", "STATIC_LINK", "HAS_PREREQUISITE":
		case "DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "BUILD_DEPENDENCY_OF", "DEV_DEPENDENCY_OF",
			"OPTIONAL_DEPENDENCY_OF", "PROVIDED_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "PREREQUISITE_FOR":
			from, to = to, from
		default:
			continue
		}
		if known[from] && known[to] && from != to && from != d.Firmware.Ref {
			m[from+" -> "+to] = true
		}
	}
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cdxDependencies lists the dependsOn pairs of a CycloneDX JSON document,
// but those of the top component.
func cdxDependencies(t *testing.T, data []byte, top string) []string {
	t.Helper()
	var doc struct {
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range doc.Dependencies {
		if d.Ref == top {
			continue
		}
		for _, x := range d.DependsOn {
			out = append(out, d.Ref+" -> "+x)
		}
	}
	sort.Strings(out)
	return out
}
