package sbom

import (
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// Format is an SBOM serialisation.
type Format string

const (
	CycloneDXJSON Format = "cyclonedx-json"
	CycloneDXXML  Format = "cyclonedx-xml"
	SPDXJSON      Format = "spdx-json"
	SPDXTagValue  Format = "spdx-tag-value"
)

// Encode writes d in format f.
func Encode(w io.Writer, d *Document, f Format) error {
	switch f {
	case CycloneDXJSON, CycloneDXXML:
		return encodeCycloneDX(w, d, f)
	case SPDXJSON, SPDXTagValue:
		return encodeSPDX(w, d, f)
	}
	return fmt.Errorf("unknown SBOM format %q", f)
}

// serial derives a stable urn:uuid from the firmware identity and the
// component list, so the same SBOM written twice is byte-identical.
func (d *Document) serial() string {
	if d.Serial != "" {
		return d.Serial
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", d.Firmware.Manufacturer, d.Firmware.name(), d.Firmware.Version, d.Created.UTC().Format(time.RFC3339))
	for _, c := range d.Components {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", c.Name, c.Version, c.PURL)
	}
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50 // version 5 style, name-based
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// dependsOn are the SPDX relationship types that say the first element
// depends on the second, and those that say the reverse.
var (
	dependsOn   = map[string]bool{"DEPENDS_ON": true, "DYNAMIC_LINK": true, "STATIC_LINK": true, "HAS_PREREQUISITE": true}
	dependentOf = map[string]bool{"DEPENDENCY_OF": true, "RUNTIME_DEPENDENCY_OF": true, "BUILD_DEPENDENCY_OF": true,
		"DEV_DEPENDENCY_OF": true, "OPTIONAL_DEPENDENCY_OF": true, "PROVIDED_DEPENDENCY_OF": true, "TEST_DEPENDENCY_OF": true,
		"PREREQUISITE_FOR": true}
)

// appendDependencies adds to the top component's dependencies those the
// document's relationships state between its components, each component
// once with its dependencies in the order stated.
func appendDependencies(deps *[]cdx.Dependency, d *Document, topRef string, hasTop bool) *[]cdx.Dependency {
	known := map[string]bool{}
	if hasTop {
		known[topRef] = true
	}
	for _, c := range d.Components {
		known[c.ref()] = true
	}
	var order []string
	on := map[string][]string{}
	seen := map[[2]string]bool{}
	add := func(from, to string) {
		if !known[from] || !known[to] || from == to || seen[[2]string{from, to}] || (hasTop && from == topRef) {
			return
		}
		seen[[2]string{from, to}] = true
		if _, ok := on[from]; !ok {
			order = append(order, from)
		}
		on[from] = append(on[from], to)
	}
	for _, r := range d.Relationships {
		switch {
		case dependsOn[r.Type]:
			add(r.From, r.To)
		case dependentOf[r.Type]:
			add(r.To, r.From)
		}
	}
	if len(order) == 0 {
		return deps
	}
	var out []cdx.Dependency
	if deps != nil {
		out = *deps
	}
	for _, ref := range order {
		list := on[ref]
		out = append(out, cdx.Dependency{Ref: ref, Dependencies: &list})
	}
	return &out
}

// cdxSerial is a CycloneDX serialNumber (urn:uuid) for a document
// identifier: itself when it is one, else a name-based UUID (RFC 9562
// version 5, URL namespace) of it, such as of an SPDX documentNamespace.
func cdxSerial(id string) string {
	if s, ok := strings.CutPrefix(id, "urn:uuid:"); ok && uuidRE.MatchString(s) {
		return "urn:uuid:" + strings.ToLower(s)
	}
	h := sha1.New()
	h.Write([]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8})
	h.Write([]byte(id))
	s := h.Sum(nil)[:16]
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func cdxHashes(hs []Hash) *[]cdx.Hash {
	if len(hs) == 0 {
		return nil
	}
	out := make([]cdx.Hash, len(hs))
	for i, h := range hs {
		out[i] = cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Alg), Value: h.Value}
	}
	return &out
}

func encodeCycloneDX(w io.Writer, d *Document, f Format) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = cdxSerial(d.serial())
	fw := d.Firmware
	top := &cdx.Component{
		BOMRef:      fw.ref(),
		Type:        cdx.ComponentTypeFirmware,
		Name:        fw.name(),
		Version:     fw.Version,
		Description: fw.Description,
		CPE:         fw.CPE,
		PackageURL:  fw.PURL,
		Hashes:      cdxHashes(fw.Hashes),
	}
	if fw.Manufacturer != "" {
		top.Manufacturer = &cdx.OrganizationalEntity{Name: fw.Manufacturer}
		top.Supplier = &cdx.OrganizationalEntity{Name: fw.Manufacturer}
	}
	var props []cdx.Property
	if fw.Product != "" {
		props = append(props, cdx.Property{Name: "iotsec:product", Value: fw.Product})
	}
	if fw.Model != "" {
		props = append(props, cdx.Property{Name: "iotsec:model", Value: fw.Model})
	}
	if len(props) > 0 {
		top.Properties = &props
	}
	bom.Metadata = &cdx.Metadata{}
	if !fw.isZero() {
		bom.Metadata.Component = top
	}
	bom.Metadata.Timestamp = d.created().Format(time.RFC3339)
	if d.Tool != "" {
		bom.Metadata.Tools = &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: d.Tool}}}
	}
	comps := make([]cdx.Component, 0, len(d.Components))
	deps := make([]string, 0, len(d.Components))
	for _, c := range d.Components {
		cc := cdx.Component{
			BOMRef:      c.ref(),
			Type:        cdxType(c.Type),
			Name:        c.Name,
			Version:     c.Version,
			Description: c.Description,
			PackageURL:  c.PURL,
			Hashes:      cdxHashes(c.Hashes),
		}
		if c.Supplier != "" {
			cc.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier}
		}
		if len(c.CPEs) > 0 {
			cc.CPE = c.CPEs[0]
			// CycloneDX holds one CPE; the others go in properties.
			var ps []cdx.Property
			for _, x := range c.CPEs[1:] {
				ps = append(ps, cdx.Property{Name: "iotsec:cpe", Value: x})
			}
			if len(ps) > 0 {
				cc.Properties = &ps
			}
		}
		if len(c.Licenses) > 0 {
			// CycloneDX takes one expression (or a list of licenses): more
			// than one are joined as SPDX does for a file's licenses.
			expr := c.Licenses[0]
			if len(c.Licenses) > 1 {
				parts := make([]string, len(c.Licenses))
				for i, l := range c.Licenses {
					parts[i] = "(" + l + ")"
				}
				expr = strings.Join(parts, " AND ")
			}
			cc.Licenses = &cdx.Licenses{{Expression: expr}}
		}
		if len(c.Files) > 0 {
			occ := make([]cdx.EvidenceOccurrence, len(c.Files))
			for i, p := range c.Files {
				occ[i] = cdx.EvidenceOccurrence{Location: p}
			}
			cc.Evidence = &cdx.Evidence{Occurrences: &occ}
		}
		comps = append(comps, cc)
		deps = append(deps, cc.BOMRef)
	}
	bom.Components = &comps
	if bom.Metadata.Component != nil {
		bom.Dependencies = &[]cdx.Dependency{{Ref: top.BOMRef, Dependencies: &deps}}
	}
	// Dependencies between components an SPDX document stated.
	bom.Dependencies = appendDependencies(bom.Dependencies, d, top.BOMRef, bom.Metadata.Component != nil)
	format := cdx.BOMFileFormatJSON
	if f == CycloneDXXML {
		format = cdx.BOMFileFormatXML
	}
	return cdx.NewBOMEncoder(w, format).SetPretty(true).EncodeVersion(bom, cdx.SpecVersion1_6)
}

// cdxType is the CycloneDX type of a component: its own when CycloneDX
// has it, else library.
func cdxType(t string) cdx.ComponentType {
	if validType(t) {
		return cdx.ComponentType(t)
	}
	return cdx.ComponentTypeLibrary
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func validType(t string) bool {
	switch cdx.ComponentType(t) {
	case cdx.ComponentTypeApplication, cdx.ComponentTypeContainer, cdx.ComponentTypeData, cdx.ComponentTypeDevice,
		cdx.ComponentTypeDeviceDriver, cdx.ComponentTypeFile, cdx.ComponentTypeFirmware, cdx.ComponentTypeFramework,
		cdx.ComponentTypeLibrary, cdx.ComponentTypeMachineLearningModel, cdx.ComponentTypeOS, cdx.ComponentTypePlatform,
		cdx.ComponentTypeCryptographicAsset:
		return true
	}
	return false
}

// fromCycloneDX converts and validates a decoded BOM.
func fromCycloneDX(bom *cdx.BOM, name string, lim Limits) (*Document, error) {
	p := &problems{max: lim.MaxErrors}
	d := &Document{Serial: bom.SerialNumber}
	refs := map[string]string{}
	seeRef := func(ref, path string) {
		if ref == "" {
			return
		}
		if prev, ok := refs[ref]; ok {
			p.add(path+".bom-ref", "bom-ref %q already used by %s", ref, prev)
			return
		}
		refs[ref] = path
	}
	if bom.Metadata != nil {
		if tc := bom.Metadata.Tools; tc != nil && tc.Components != nil && len(*tc.Components) > 0 {
			d.Tool = (*tc.Components)[0].Name
		}
		if t := bom.Metadata.Timestamp; t != "" {
			ts, err := time.Parse(time.RFC3339, t)
			if err != nil {
				p.add("metadata.timestamp", "%q is not an RFC 3339 time", t)
			}
			d.Created = ts
		}
		if mc := bom.Metadata.Component; mc != nil {
			d.Firmware = Firmware{Ref: mc.BOMRef, Name: mc.Name, Version: mc.Version, CPE: cpe23(mc.CPE), PURL: mc.PackageURL, Description: mc.Description, Hashes: hashes(mc.Hashes)}
			if mc.Manufacturer != nil {
				d.Firmware.Manufacturer = mc.Manufacturer.Name
			} else if mc.Supplier != nil {
				d.Firmware.Manufacturer = mc.Supplier.Name
			}
			if mc.Properties != nil {
				for _, pr := range *mc.Properties {
					switch pr.Name {
					case "iotsec:product":
						d.Firmware.Product = pr.Value
					case "iotsec:model":
						d.Firmware.Model = pr.Value
					}
				}
			}
			if d.Firmware.Name == d.Firmware.Product {
				d.Firmware.Name = "" // written as the product name
			}
			seeRef(mc.BOMRef, "metadata.component")
			checkComponent(p, "metadata.component", mc.Name, mc.CPE, mc.PackageURL, d.Firmware.Hashes)
		}
	}
	var walk func(cs *[]cdx.Component, path string, depth int)
	walk = func(cs *[]cdx.Component, path string, depth int) {
		if cs == nil {
			return
		}
		for i, c := range *cs {
			at := fmt.Sprintf("%s[%d]", path, i)
			if c.BOMRef != "" {
				at += " (bom-ref " + c.BOMRef + ")"
			}
			if depth > lim.MaxDepth {
				p.add(at, "nested deeper than %d", lim.MaxDepth)
				return
			}
			seeRef(c.BOMRef, at)
			if !validType(string(c.Type)) {
				p.add(at+".type", "%q is not a CycloneDX component type", c.Type)
			}
			out := Component{Ref: c.BOMRef, Type: string(c.Type), Name: c.Name, Version: c.Version, PURL: c.PackageURL, Description: c.Description, Hashes: hashes(c.Hashes)}
			if c.Supplier != nil {
				out.Supplier = c.Supplier.Name
			}
			if c.CPE != "" {
				out.CPEs = append(out.CPEs, cpe23(c.CPE))
			}
			if c.Properties != nil {
				for _, pr := range *c.Properties {
					if pr.Name == "iotsec:cpe" {
						out.CPEs = append(out.CPEs, cpe23(pr.Value))
					}
				}
			}
			if c.Licenses != nil {
				for _, l := range *c.Licenses {
					switch {
					case l.Expression != "":
						out.Licenses = append(out.Licenses, l.Expression)
					case l.License != nil && l.License.ID != "":
						out.Licenses = append(out.Licenses, l.License.ID)
					case l.License != nil && l.License.Name != "":
						out.Licenses = append(out.Licenses, l.License.Name)
					}
				}
			}
			if c.Evidence != nil && c.Evidence.Occurrences != nil {
				for _, o := range *c.Evidence.Occurrences {
					out.Files = append(out.Files, o.Location)
				}
			}
			checkComponent(p, at, c.Name, "", c.PackageURL, out.Hashes)
			for j, x := range out.CPEs {
				if _, err := cpe.ParseAny(x); err != nil {
					p.add(fmt.Sprintf("%s.cpe[%d]", at, j), "%v", err)
				}
			}
			d.Components = append(d.Components, out)
			walk(c.Components, at+".components", depth+1)
		}
	}
	walk(bom.Components, "components", 1)
	// Services are dependency targets too.
	var services func(ss *[]cdx.Service, path string, depth int)
	services = func(ss *[]cdx.Service, path string, depth int) {
		if ss == nil || depth > lim.MaxDepth {
			return
		}
		for i, s := range *ss {
			at := fmt.Sprintf("%s[%d]", path, i)
			seeRef(s.BOMRef, at)
			services(s.Services, at+".services", depth+1)
		}
	}
	services(bom.Services, "services", 1)
	if bom.Dependencies != nil {
		for i, dep := range *bom.Dependencies {
			at := fmt.Sprintf("dependencies[%d]", i)
			if _, ok := refs[dep.Ref]; !ok {
				p.add(at+".ref", "%q names no component", dep.Ref)
			}
			if dep.Dependencies != nil {
				for j, r := range *dep.Dependencies {
					if _, ok := refs[r]; !ok {
						p.add(fmt.Sprintf("%s.dependsOn[%d]", at, j), "%q names no component", r)
					}
				}
			}
		}
	}
	d.Relationships = cdxRelationships(bom, d)
	if err := p.err(name); err != nil {
		return d, err
	}
	return d, nil
}

// cdxRelationships states a BOM's dependency graph as relationships, so
// an SPDX document written from it keeps the graph: the document
// describes the top component, which contains every component (or, with
// no top component, describes every component), and a component depends
// on those it lists. A graph with the top component's dependencies only
// (as iotsec writes it) is the implied one: none.
func cdxRelationships(bom *cdx.BOM, d *Document) []Relationship {
	if bom.Dependencies == nil {
		return nil
	}
	top := ""
	if !d.Firmware.isZero() {
		top = d.Firmware.ref() // as written: "firmware" without a bom-ref
	}
	comps := map[string]bool{}
	for _, c := range d.Components {
		if c.Ref != "" {
			comps[c.Ref] = true
		}
	}
	var deps []Relationship
	seen := map[Relationship]bool{}
	for _, dep := range *bom.Dependencies {
		if dep.Dependencies == nil || dep.Ref == top || !comps[dep.Ref] {
			continue
		}
		for _, to := range *dep.Dependencies {
			r := Relationship{From: dep.Ref, Type: "DEPENDS_ON", To: to}
			if comps[to] && to != dep.Ref && !seen[r] {
				seen[r] = true
				deps = append(deps, r)
			}
		}
	}
	if len(deps) == 0 {
		return nil
	}
	var out []Relationship
	if top != "" {
		out = append(out, Relationship{From: "DOCUMENT", Type: "DESCRIBES", To: top})
	}
	for _, c := range d.Components {
		switch {
		case c.Ref == "":
		case top != "":
			out = append(out, Relationship{From: top, Type: "CONTAINS", To: c.Ref})
		default:
			out = append(out, Relationship{From: "DOCUMENT", Type: "DESCRIBES", To: c.Ref})
		}
	}
	return append(out, deps...)
}

func checkComponent(p *problems, at, name, cpeStr, purl string, hs []Hash) {
	if name == "" {
		p.add(at+".name", "missing")
	}
	if cpeStr != "" {
		if _, err := cpe.ParseAny(cpeStr); err != nil {
			p.add(at+".cpe", "%v", err)
		}
	}
	if purl != "" {
		if _, err := packageurl.FromString(purl); err != nil {
			p.add(at+".purl", "%v", err)
		}
	}
	for i, h := range hs {
		checkHash(p, fmt.Sprintf("%s.hashes[%d]", at, i), h)
	}
}

// cpe23 turns a CPE 2.2 URI into the 2.3 form the matcher uses; other
// strings are kept as they are (validation reports them).
func cpe23(s string) string {
	if n, err := cpe.ParseAny(s); err == nil && strings.HasPrefix(s, "cpe:/") {
		return n.String()
	}
	return s
}

func hashes(hs *[]cdx.Hash) []Hash {
	if hs == nil {
		return nil
	}
	out := make([]Hash, len(*hs))
	for i, h := range *hs {
		out[i] = Hash{Alg: string(h.Algorithm), Value: h.Value}
	}
	return out
}
