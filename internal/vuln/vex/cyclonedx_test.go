package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/vuln"
)

// cdxCount counts what a CycloneDX VEX states without the CycloneDX
// library: one statement per affects entry of each vulnerability with an
// id and an analysis, and the vulnerabilities that cannot be used.
func cdxCount(t *testing.T, data []byte) (statements, links, skipped int) {
	t.Helper()
	var doc struct {
		Vulnerabilities []struct {
			ID       string          `json:"id"`
			Analysis json.RawMessage `json:"analysis"`
			Affects  []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, v := range doc.Vulnerabilities {
		if v.ID == "" || len(v.Affects) == 0 {
			skipped++
			continue
		}
		if v.Analysis == nil {
			continue
		}
		for _, a := range v.Affects {
			statements++
			if strings.HasPrefix(a.Ref, "urn:cdx:") {
				links++
			}
		}
	}
	return statements, links, skipped
}

// TestCycloneDXVEXCorpus reads every VEX of CycloneDX/bom-examples (the
// CISA use cases among them): every statement is kept; BOM-Links into the
// SBOMs next to the VEX resolve against them; without those SBOMs each
// link is kept unresolved with a warning; a vulnerability without affects
// is skipped with a warning naming it.
func TestCycloneDXVEXCorpus(t *testing.T) {
	var files []string
	filepath.Walk("testdata/cyclonedx/VEX", func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasPrefix(filepath.Base(p), "vex") && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 25 {
		t.Fatalf("%d VEX examples, want the 25 of CycloneDX/bom-examples", len(files))
	}
	var total, resolved int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		wantN, links, skipped := cdxCount(t, data)
		// Alone: everything kept, one warning per link and per skipped entry.
		st, warns, err := ReadCycloneDX(data, f, DefaultLimits(), nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(st) != wantN || len(warns) != links+skipped {
			t.Errorf("%s alone: %d statements and %d warnings, want %d and %d: %v", f, len(st), len(warns), wantN, links+skipped, warns)
		}
		for _, w := range warns {
			if !strings.HasPrefix(w.Path, "vulnerabilities[") || (w.Vulnerability == "" && !strings.Contains(w.Msg, "no id")) {
				t.Errorf("%s: warning %q does not name the entry", f, w)
			}
		}
		total += len(st)
		// With the SBOMs it points into (bom*.json next to it, and the
		// example's bom.json for the top-level vex.json).
		sboms, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "bom*.json"))
		if links == 0 || len(sboms) == 0 {
			continue
		}
		var docs [][]byte
		for _, s := range sboms {
			b, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, b)
		}
		resolve, err := ResolverFromSBOMs(DefaultLimits(), docs...)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Links into an SBOM given resolve; the others (VEX/vex.json points
		// to a serial number its neighbour bom.json does not have) do not.
		unresolvable := links - linksInto(t, data, docs)
		st, warns, err = ReadCycloneDX(data, f, DefaultLimits(), resolve)
		if err != nil || len(st) != wantN || len(warns) != skipped+unresolvable {
			t.Errorf("%s with its SBOMs: %d statements, warnings %v, %v; want %d statements and %d warnings", f, len(st), warns, err, wantN, skipped+unresolvable)
		}
		for _, s := range st {
			if strings.HasPrefix(s.Component.Name, "urn:cdx:") {
				continue
			}
			if s.Product.IsZero() {
				t.Errorf("%s: %s resolved to no product", f, s.Vulnerability)
			}
			resolved++
		}
	}
	t.Logf("%d VEX documents read: %d statements, %d of them through BOM-Links resolved against the SBOMs", len(files), total, resolved)

	// CISA case 7: a link names the product an SBOM describes.
	vexDoc, _ := os.ReadFile("testdata/cyclonedx/VEX/CISA-Use-Cases/Case-7/vex.json")
	bom1, _ := os.ReadFile("testdata/cyclonedx/VEX/CISA-Use-Cases/Case-7/bom-1.json")
	resolve, err := ResolverFromSBOMs(DefaultLimits(), bom1)
	if err != nil {
		t.Fatal(err)
	}
	st, warns, err := ReadCycloneDX(vexDoc, "case7", DefaultLimits(), resolve)
	if err != nil || len(st) != 5 || len(warns) != 3 {
		t.Fatalf("case 7 with bom-1 only: %d statements, warnings %v, %v", len(st), warns, err)
	}
	if st[0].Product != (vuln.Ref{Name: "ABC"}) || !st[0].Component.IsZero() || st[0].Status != vuln.StatusAffected {
		t.Errorf("case 7 first statement: %+v", st[0])
	}
	if st[1].Component.Name != "urn:cdx:e4c3eedc-4978-470c-ad02-6ffff63738ff/1#product-JKL" || !strings.Contains(warns[0].Msg, "no SBOM with serial number urn:uuid:e4c3eedc") {
		t.Errorf("case 7 link into bom-2, not given: %+v, warning %v", st[1], warns[0])
	}
	// The wrong version of the right SBOM does not resolve.
	if _, _, err := resolve(BOMLink{Serial: "urn:uuid:cbb2cd68-2857-43b8-a10b-e8c03d277d18", Version: 2, Ref: "product-ABC"}); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("link to version 2 of a version 1 SBOM: %v", err)
	}
}

// linksInto counts the affects of a VEX that are BOM-Links into one of
// the SBOMs, by serial number and version, read without the library.
func linksInto(t *testing.T, vex []byte, sboms [][]byte) int {
	t.Helper()
	have := map[string]bool{}
	for _, b := range sboms {
		var top struct {
			Serial  string `json:"serialNumber"`
			Version int    `json:"version"`
		}
		if err := json.Unmarshal(b, &top); err != nil {
			t.Fatal(err)
		}
		have[fmt.Sprintf("urn:cdx:%s/%d#", strings.TrimPrefix(top.Serial, "urn:uuid:"), top.Version)] = true
	}
	var doc struct {
		Vulnerabilities []struct {
			Affects []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
		} `json:"vulnerabilities"`
	}
	json.Unmarshal(vex, &doc)
	n := 0
	for _, v := range doc.Vulnerabilities {
		for _, a := range v.Affects {
			if prefix, _, ok := strings.Cut(a.Ref, "#"); ok && have[prefix+"#"] {
				n++
			}
		}
	}
	return n
}

func TestParseBOMLink(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want BOMLink
		ok   bool
	}{
		{"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkg:maven/a/b@1%3Fx", BOMLink{"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", 1, "pkg:maven/a/b@1?x"}, true},
		{"urn:cdx:3E671687-395B-41F5-A30F-A58921A69B79/12", BOMLink{"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", 12, ""}, true},
		{"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/0#x", BOMLink{}, false},
		{"urn:cdx:not-a-uuid/1#x", BOMLink{}, false},
		{"product-ABC", BOMLink{}, false},
	} {
		got, ok := ParseBOMLink(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseBOMLink(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWriteCycloneDXConformance: the CycloneDX VEX written validates
// against the official CycloneDX 1.6 schema (the sbom reader checks every
// document against it), with or without statements, and its serialNumber
// is a urn:uuid derived from the document ID, the same on every export.
func TestWriteCycloneDXConformance(t *testing.T) {
	stmts, fw := authored()
	doc := Document{ID: "https://vex.example.com/firmware/fw-1", Author: "Example PSIRT", Timestamp: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Version: 3}
	write := func(stmts []vuln.Statement) []byte {
		var buf bytes.Buffer
		if err := WriteCycloneDX(&buf, doc, fw, stmts); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for name, out := range map[string][]byte{"statements": write(stmts), "empty": write(nil)} {
		if _, _, err := sbom.Decode(bytes.NewReader(out), name, sbom.DefaultLimits()); err != nil {
			t.Errorf("%s: written VEX is not valid CycloneDX 1.6: %v\n%s", name, err, out)
		}
		var top struct {
			Serial string `json:"serialNumber"`
		}
		json.Unmarshal(out, &top)
		want := "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(doc.ID)).String()
		if top.Serial != want {
			t.Errorf("%s: serialNumber %q, want %q (UUIDv5 of the document ID)", name, top.Serial, want)
		}
	}
	if !bytes.Equal(write(stmts), write(stmts)) {
		t.Error("two exports of the same statements differ")
	}
	// An ID that is already a urn:uuid is kept; none at all is derived
	// from the product.
	doc.ID = "urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79"
	if got := cdxSerial(doc, fw); got != "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79" {
		t.Errorf("serial of a urn:uuid ID = %s", got)
	}
	doc.ID = ""
	if got := cdxSerial(doc, fw); !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("serial without an ID = %s", got)
	}
}

// FuzzReadCycloneDX: no input panics the reader or gets statements past
// the limit, with or without a resolver.
func FuzzReadCycloneDX(f *testing.F) {
	for _, p := range []string{"testdata/cyclonedx/VEX/vex.json", "testdata/cyclonedx/VEX/Use-Cases/Case-7/vex.json", "testdata/cyclonedx/VEX/CISA-Use-Cases/Case-8/vex.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	bomDoc, err := os.ReadFile("testdata/cyclonedx/VEX/bom.json")
	if err != nil {
		f.Fatal(err)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxStatements: 100, MaxDepth: 8}
	resolve, err := ResolverFromSBOMs(lim, bomDoc)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []BOMResolver{nil, resolve} {
			st, _, err := ReadCycloneDX(data, "fuzz", lim, r)
			if err == nil && len(st) > lim.MaxStatements {
				t.Fatalf("%d statements past the limit", len(st))
			}
		}
		ResolverFromSBOMs(lim, data)
	})
}

// TestReadFileResolved: a standalone VEX read with the SBOM it points into
// (as iotsec sbom match would) has its statements about that SBOM's
// product; other formats read as ReadFile does.
func TestReadFileResolved(t *testing.T) {
	dir := "testdata/cyclonedx/VEX/Use-Cases/Case-13"
	var docs [][]byte
	for _, n := range []string{"bom-1.json", "bom-2.json", "bom-3.json"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	resolve, err := ResolverFromSBOMs(DefaultLimits(), docs...)
	if err != nil {
		t.Fatal(err)
	}
	st, warns, err := ReadFileResolved(filepath.Join(dir, "vex.json"), DefaultLimits(), resolve)
	if err != nil || len(warns) != 0 || len(st) != 3 {
		t.Fatalf("case 13: %d statements, %v, %v", len(st), warns, err)
	}
	var products []string
	for _, s := range st {
		if !s.Component.IsZero() {
			t.Errorf("case 13 statement about a component: %+v", s.Component)
		}
		products = append(products, s.Product.Name)
	}
	if diff := cmp.Diff([]string{"Acme Product 1", "Acme Product 2", "Acme Product 3"}, products); diff != "" {
		t.Errorf("case 13 products (-want +got):\n%s", diff)
	}
	other, warns, err := ReadFileResolved("testdata/openvex-router.json", DefaultLimits(), resolve)
	want, _ := ReadFile("testdata/openvex-router.json", DefaultLimits())
	if err != nil || warns != nil || len(other) != len(want) || len(want) == 0 {
		t.Errorf("OpenVEX through ReadFileResolved: %d statements (ReadFile %d), %v %v", len(other), len(want), warns, err)
	}
}
