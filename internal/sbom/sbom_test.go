package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const sha256a = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func sample() *Document {
	return &Document{
		Firmware: Firmware{
			Manufacturer: "Example Router Co.", Product: "Router R100", Model: "R100-EU", Version: "1.2.0",
			CPE: "cpe:2.3:o:example:router_r100_firmware:1.2.0:*:*:*:*:*:*:*", PURL: "pkg:generic/example/router-r100-firmware@1.2.0",
			Hashes: []Hash{{"SHA-256", sha256a}}, Description: "Router R100 firmware image",
		},
		Created: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Tool:    "iotsec",
		Components: []Component{
			{Type: TypeApplication, Name: "busybox", Version: "1.36.1", Supplier: "BusyBox",
				CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}, PURL: "pkg:generic/busybox@1.36.1",
				Licenses: []string{"GPL-2.0-only"}, Hashes: []Hash{{"SHA-256", sha256a}}, Files: []string{"/bin/busybox"}},
			{Type: TypeLibrary, Name: "openssl", Version: "3.3.2",
				CPEs: []string{"cpe:2.3:a:openssl:openssl:3.3.2:*:*:*:*:*:*:*"}, PURL: "pkg:generic/openssl@3.3.2",
				Licenses: []string{"Apache-2.0"}, Files: []string{"/usr/lib/libssl.so.3", "/usr/lib/libcrypto.so.3"}},
			{Type: TypeApplication, Name: "dnsmasq", Version: "2.84",
				CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*", "cpe:2.3:a:dnsmasq:dnsmasq:2.84:*:*:*:*:*:*:*"}},
			{Type: TypeOS, Name: "linux", Version: "5.15.100", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:5.15.100:*:*:*:*:*:*:*"}},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	in := sample()
	for _, f := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON, SPDXTagValue} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, in, f); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			out, got, err := Decode(bytes.NewReader(buf.Bytes()), "sbom", DefaultLimits())
			if err != nil {
				t.Fatalf("Decode: %v\n%s", err, buf.String())
			}
			if got != f {
				t.Errorf("detected %s, want %s", got, f)
			}
			want := *in
			opts := []cmp.Option{cmpopts.IgnoreFields(Component{}, "Ref"), cmpopts.IgnoreFields(Firmware{}, "Ref"), cmpopts.EquateEmpty()}
			if f == CycloneDXXML {
				// cyclonedx-go does not write evidence in XML (its fields are xml:"-").
				opts = append(opts, cmpopts.IgnoreFields(Component{}, "Files"))
			}
			want.Serial = out.Serial
			if diff := cmp.Diff(&want, out, opts...); diff != "" {
				t.Errorf("round trip through %s mismatch (-want +got):\n%s", f, diff)
			}
			// Writing twice gives the same bytes.
			var again bytes.Buffer
			Encode(&again, in, f)
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("%s output is not deterministic", f)
			}
		})
	}
}

// cdxSchema compiles the official CycloneDX 1.6 JSON schema (the copy
// the package embeds).
func cdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, s := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		f, err := os.Open(filepath.Join("schema", s))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+s, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestCycloneDXSchema: the CycloneDX JSON written for the demo data and
// for a scanned image validates against the official 1.6 JSON schema, and
// the XML against the official XSD (with xmllint), and carries its
// creation time.
func TestCycloneDXSchema(t *testing.T) {
	sch := cdxSchema(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1717243200")
	for name, d := range map[string]*Document{"demo": sample(), "scan": scanned()} {
		var buf bytes.Buffer
		if err := Encode(&buf, d, CycloneDXJSON); err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s: CycloneDX output does not validate against bom-1.6.schema.json: %v", name, err)
		}
		m := doc.(map[string]any)
		meta := m["metadata"].(map[string]any)
		top := meta["component"].(map[string]any)
		if m["specVersion"] != "1.6" || top["type"] != "firmware" {
			t.Errorf("%s: specVersion %v, top component %v", name, m["specVersion"], top)
		}
		want := "2026-11-25T12:00:00Z" // sample's Created
		if d.Created.IsZero() {
			want = "2024-06-01T12:00:00Z" // SOURCE_DATE_EPOCH
		}
		if meta["timestamp"] != want {
			t.Errorf("%s: metadata.timestamp %v, want %s", name, meta["timestamp"], want)
		}
		var x bytes.Buffer
		if err := Encode(&x, d, CycloneDXXML); err != nil {
			t.Fatal(err)
		}
		validateXSD(t, name, x.Bytes())
	}
}

// validateXSD validates CycloneDX 1.6 XML against the official XSD with
// xmllint (libxml2-utils), offline through the schema's XML catalog.
func validateXSD(t *testing.T, name string, doc []byte) {
	t.Helper()
	validateXSDAll(t, map[string][]byte{name: doc})
}

// validateXSDAll validates several documents with one run of xmllint.
func validateXSDAll(t *testing.T, docs map[string][]byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Logf("xmllint not installed (apt-get install libxml2-utils): %d XML documents not checked against bom-1.6.xsd", len(docs))
		return
	}
	dir, err := filepath.Abs("testdata/schema-xml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	args := []string{"--noout", "--nonet", "--schema", filepath.Join(dir, "bom-1.6.xsd")}
	names := map[string]string{}
	i := 0
	for name, doc := range docs {
		f := filepath.Join(tmp, fmt.Sprintf("bom-%d.xml", i))
		i++
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		names[f] = name
		args = append(args, f)
	}
	cmd := exec.Command(xmllint, args...)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "xmlcatalog.xml"))
	out, err := cmd.CombinedOutput()
	validated := 0
	for _, line := range strings.Split(string(out), "\n") {
		switch f, ok := strings.CutSuffix(line, " validates"); {
		case ok && names[f] != "":
			validated++
		case strings.HasSuffix(line, " fails to validate"):
			f := strings.TrimSuffix(line, " fails to validate")
			t.Errorf("%s: CycloneDX XML does not validate against bom-1.6.xsd:\n%s", names[f], grepLines(string(out), f))
		}
	}
	if validated != len(docs) && !t.Failed() {
		t.Errorf("xmllint validated %d of %d documents (%v):\n%s", validated, len(docs), err, out)
	}
}

func grepLines(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestValidationErrors(t *testing.T) {
	cdxDoc := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"type":"firmware","name":"fw","bom-ref":"fw"}},
 "components":[
  {"type":"library","name":"ok","bom-ref":"a"},
  {"type":"library","name":"","bom-ref":"b"},
  {"type":"gadget","name":"x","bom-ref":"a","purl":"not-a-purl","cpe":"cpe:2.3:q:x:y","hashes":[{"alg":"SHA-256","content":"abc"}]}
 ],
 "dependencies":[{"ref":"fw","dependsOn":["a","zzz"]}]}`
	var bad bytes.Buffer
	d := sample()
	Encode(&bad, d, SPDXJSON)
	spdxDoc := strings.Replace(bad.String(), `"checksumValue": "`+sha256a+`"`, `"checksumValue": "xyz"`, 1)
	spdxDoc = strings.Replace(spdxDoc, `"referenceLocator": "cpe:2.3:a:busybox`, `"referenceLocator": "cpe:2.3:q:busybox`, 1)
	spdxDoc = strings.Replace(spdxDoc, `"relatedSpdxElement": "SPDXRef-Package-4-linux-5.15.100"`, `"relatedSpdxElement": "SPDXRef-nowhere"`, 1)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"cyclonedx", cdxDoc, []string{
			"components[1] (bom-ref b).name: missing",
			`components[2] (bom-ref a).bom-ref: bom-ref "a" already used by components[0] (bom-ref a)`,
			`components[2] (bom-ref a).type: "gadget" is not a CycloneDX component type`,
			"components[2] (bom-ref a).purl: ",
			"components[2] (bom-ref a).hashes[0]: SHA-256 value \"abc\" is not 64 hex digits",
			"components[2] (bom-ref a).cpe[0]: cpe part \"q\"",
			`dependencies[0].dependsOn[1]: "zzz" names no component`,
		}},
		{"spdx", spdxDoc, []string{
			"packages[0] (SPDXRef-firmware).checksums[0]: SHA-256 value \"xyz\" is not 64 hex digits",
			"packages[1] (SPDXRef-Package-1-busybox-1.36.1).externalRefs[0]: cpe part \"q\" is not a, o or h",
			"relationships[4]: SPDXRef-nowhere names no element of this document",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(strings.NewReader(tt.doc), "in.json", DefaultLimits())
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Decode = %v, want a ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.String())
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if !strings.HasPrefix(err.Error(), "in.json:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestSyntaxErrorsLocated(t *testing.T) {
	doc := "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\n\"components\":[{\"type\":\"library\",\"name\":1}]}"
	_, _, err := Decode(strings.NewReader(doc), "x.json", DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "line 2 column") {
		t.Errorf("Decode = %v, want an error with line and column", err)
	}
	for _, in := range []string{"", "hello", "<html/>", `{"a":1}`} {
		if _, _, err := Decode(strings.NewReader(in), "x", DefaultLimits()); err == nil {
			t.Errorf("Decode(%q) succeeded", in)
		}
	}
}

// bigCycloneDX streams a CycloneDX JSON document with n components.
func bigCycloneDX(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"library","name":"c%d","version":"1.%d"}`, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// peakHeap runs f and samples the live heap every millisecond.
func peakHeap(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}

func TestMillionComponents(t *testing.T) {
	data := bigCycloneDX(1_000_000)
	runtime.GC()
	var err error
	peak := peakHeap(func() {
		_, _, err = Decode(bytes.NewReader(data), "big.json", DefaultLimits())
	})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 200000 components") {
		t.Fatalf("Decode of 1,000,000 components = %v, want refusal by count", err)
	}
	// The input itself is about 55 MB and is read once more by Decode.
	t.Logf("input %d MB, peak live heap %d MB", len(data)>>20, peak>>20)
	if peak > 400<<20 {
		t.Errorf("peak heap %d MB, want under 400 MB", peak>>20)
	}
	// Other formats are counted too.
	var x, tv bytes.Buffer
	d := &Document{Firmware: Firmware{Product: "fw"}}
	for i := range 300 {
		d.Components = append(d.Components, Component{Name: fmt.Sprintf("c%d", i), Version: "1"})
	}
	Encode(&x, d, CycloneDXXML)
	Encode(&tv, d, SPDXTagValue)
	lim := DefaultLimits()
	lim.MaxComponents = 100
	for name, in := range map[string][]byte{"xml": x.Bytes(), "tag-value": tv.Bytes()} {
		if _, _, err := Decode(bytes.NewReader(in), name, lim); !errors.Is(err, ErrLimit) {
			t.Errorf("%s with 300 components under a limit of 100: %v", name, err)
		}
	}
	lim = DefaultLimits()
	lim.MaxBytes = 1000
	if _, _, err := Decode(bytes.NewReader(x.Bytes()), "x", lim); !errors.Is(err, ErrLimit) {
		t.Errorf("over MaxBytes: %v", err)
	}
	deep := strings.Repeat(`{"components":[`, 100) + strings.Repeat(`]}`, 100)
	deep = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[` + deep[15:]
	if _, _, err := Decode(strings.NewReader(deep), "deep", DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestCompare(t *testing.T) {
	a := sample()
	b := sample()
	b.Components[0].Version = "1.37.0" // busybox upgraded
	b.Components[0].CPEs = []string{"cpe:2.3:a:busybox:busybox:1.37.0:*:*:*:*:*:*:*"}
	b.Components = append(b.Components[:2], b.Components[3:]...) // dnsmasq removed
	b.Components = append(b.Components, Component{Type: TypeApplication, Name: "dropbear", Version: "2024.86"})
	b.Components[1].Hashes = []Hash{{"SHA-256", sha256a}} // openssl rebuilt
	d := Compare(a, b)
	var added, removed, changed []string
	for _, c := range d.Added {
		added = append(added, c.Name)
	}
	for _, c := range d.Removed {
		removed = append(removed, c.Name)
	}
	for _, c := range d.Changed {
		changed = append(changed, c.New.Name+":"+strings.Join(c.Fields, ","))
	}
	want := [][]string{{"dropbear"}, {"dnsmasq"}, {"busybox:version,cpe", "openssl:hashes"}}
	if diff := cmp.Diff(want, [][]string{added, removed, changed}); diff != "" {
		t.Errorf("Compare mismatch (-want +got):\n%s", diff)
	}
	if !Compare(a, a).IsEmpty() {
		t.Error("Compare(a, a) is not empty")
	}
}

func FuzzDecode(f *testing.F) {
	for _, fm := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON, SPDXTagValue} {
		var buf bytes.Buffer
		Encode(&buf, sample(), fm)
		f.Add(buf.Bytes())
	}
	for _, n := range []string{"cyclonedx-spec/1.6/valid-bom-1.6.json", "cyclonedx-spec/1.6/valid-dependency-1.6.json", "cyclonedx-spec/1.6/valid-evidence-1.6.json",
		"cyclonedx-spec/1.6/invalid-license-id-count-1.6.xml", "cyclonedx-spec/1.5/valid-evidence-1.5.xml",
		"spdx-spec/v2.3/SPDXTagExample-v2.3.spdx", "spdx-examples/software/example6/spdx2.2/example6-bin.spdx"} {
		data, err := os.ReadFile("testdata/" + n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxComponents: 1000, MaxDepth: 32, MaxErrors: 20}
		d, _, err := Decode(bytes.NewReader(data), "fuzz", lim)
		if err != nil {
			return
		}
		if len(d.Components) > 1000 {
			t.Fatalf("%d components past the limit", len(d.Components))
		}
		// What decodes cleanly encodes again.
		var buf bytes.Buffer
		if err := Encode(&buf, d, CycloneDXJSON); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
