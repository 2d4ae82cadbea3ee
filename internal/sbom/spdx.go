package sbom

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

const noAssertion = "NOASSERTION"

// Comment lines iotsec writes into SPDX package comments for what SPDX 2.3
// has no field for: product metadata and file evidence.
const (
	commentProduct  = "iotsec:product="
	commentModel    = "iotsec:model="
	commentEvidence = "iotsec:evidence="
)

func spdxAlg(alg string) common.ChecksumAlgorithm {
	switch alg {
	case "SHA-1":
		return common.SHA1
	case "SHA-256":
		return common.SHA256
	case "SHA-384":
		return common.SHA384
	case "SHA-512":
		return common.SHA512
	}
	return common.ChecksumAlgorithm(alg) // MD5, SHA3-256, BLAKE2b-256, BLAKE3 are spelt alike
}

func cdxAlg(alg common.ChecksumAlgorithm) string {
	switch alg {
	case common.SHA1:
		return "SHA-1"
	case common.SHA256:
		return "SHA-256"
	case common.SHA384:
		return "SHA-384"
	case common.SHA512:
		return "SHA-512"
	}
	return string(alg)
}

// spdxPurpose is the SPDX 2.3 primaryPackagePurpose of a component type.
func spdxPurpose(t string) string {
	switch t {
	case TypeOS:
		return "OPERATING_SYSTEM"
	case "", TypeLibrary:
		return "LIBRARY"
	case TypeApplication, TypeFirmware, TypeFile, TypeDevice, "framework", "container":
		return strings.ToUpper(t)
	}
	return "OTHER" // platform, device-driver, data, machine-learning-model, cryptographic-asset
}

// typeFromPurpose is the component type of an SPDX primaryPackagePurpose.
// OPERATING-SYSTEM, the spelling iotsec wrote before it followed SPDX 2.3,
// is read too.
func typeFromPurpose(p string) string {
	switch strings.ToUpper(p) {
	case "OPERATING_SYSTEM", "OPERATING-SYSTEM":
		return TypeOS
	case "APPLICATION", "INSTALL":
		return TypeApplication
	case "FRAMEWORK":
		return "framework"
	case "CONTAINER":
		return "container"
	case "DEVICE":
		return TypeDevice
	case "FIRMWARE":
		return TypeFirmware
	case "FILE", "ARCHIVE":
		return TypeFile
	}
	return TypeLibrary // LIBRARY, SOURCE, OTHER, absent
}

// validSPDXID tells whether id (without "SPDXRef-") is an SPDX idstring:
// letters, digits, '.' and '-'.
func validSPDXID(id string) bool {
	if id == "" || id == "DOCUMENT" {
		return false
	}
	for _, r := range id {
		if !(('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// spdxIDs gives each element an SPDX identifier: its ref when that is
// already one and unused (so a document read and written again keeps its
// identifiers), else one made from its position and ref.
type spdxIDs struct {
	used  map[common.ElementID]bool
	byRef map[string]common.ElementID
	docs  map[string]bool // external documents declared
}

func (s *spdxIDs) id(ref string, i int) common.ElementID {
	if validSPDXID(ref) && !s.used[common.ElementID(ref)] {
		s.used[common.ElementID(ref)] = true
		s.byRef[ref] = common.ElementID(ref)
		return common.ElementID(ref)
	}
	id := spdxID(ref, i)
	for n := 2; s.used[id]; n++ {
		id = common.ElementID(fmt.Sprintf("%s-%d", spdxID(ref, i), n))
	}
	s.used[id] = true
	if _, ok := s.byRef[ref]; !ok {
		s.byRef[ref] = id
	}
	return id
}

// spdxID makes an SPDX identifier (letters, digits, '.', '-') from a ref.
func spdxID(ref string, i int) common.ElementID {
	var b strings.Builder
	for _, r := range ref {
		if ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return common.ElementID(fmt.Sprintf("Package-%d-%s", i, b.String()))
}

func spdxPackage(id common.ElementID, name, version, supplier, purpose, desc string, cpes []string, purl string, hs []Hash, licenses []string, comment []string) *spdx.Package {
	p := &spdx.Package{
		PackageName:               name,
		PackageSPDXIdentifier:     id,
		PackageVersion:            version,
		PackageDownloadLocation:   noAssertion,
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageLicenseConcluded:   noAssertion,
		PackageLicenseDeclared:    noAssertion,
		PackageCopyrightText:      noAssertion,
		PackageDescription:        desc,
		PrimaryPackagePurpose:     purpose,
		PackageComment:            strings.Join(comment, "\n"),
	}
	if supplier != "" {
		p.PackageSupplier = &common.Supplier{Supplier: supplier, SupplierType: "Organization"}
	}
	if len(licenses) > 0 {
		p.PackageLicenseDeclared = strings.Join(licenses, " AND ")
	}
	for _, h := range hs {
		p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: spdxAlg(h.Alg), Value: h.Value})
	}
	for _, c := range cpes {
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{Category: "SECURITY", RefType: "cpe23Type", Locator: c})
	}
	if purl != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: purl})
	}
	return p
}

func encodeSPDX(w io.Writer, d *Document, f Format) error {
	fw := d.Firmware
	tool := orDefault(d.Tool, "iotsec")
	doc := &spdx.Document{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      orDefault(strings.TrimSpace(fw.name()+" "+fw.Version), "firmware"),
		DocumentNamespace: d.serial(),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  d.created().Format(time.RFC3339),
		},
	}
	var cpes []string
	if fw.CPE != "" {
		cpes = []string{fw.CPE}
	}
	var comment []string
	if fw.Product != "" {
		comment = append(comment, commentProduct+fw.Product)
	}
	if fw.Model != "" {
		comment = append(comment, commentModel+fw.Model)
	}
	ids := &spdxIDs{used: map[common.ElementID]bool{}, byRef: map[string]common.ElementID{}, docs: map[string]bool{}}
	for _, x := range d.ExternalDocuments {
		ids.docs[x.ID] = true
	}
	// A document read without a top element (a CycloneDX BOM without
	// metadata.component) describes its components rather than a
	// firmware made up for it.
	var topID common.ElementID
	var implied []*spdx.Relationship
	if !fw.isZero() {
		topID = ids.id(fw.ref(), 0)
		doc.Packages = append(doc.Packages, spdxPackage(topID, orDefault(fw.name(), "firmware"), fw.Version, fw.Manufacturer, "FIRMWARE", fw.Description, cpes, fw.PURL, fw.Hashes, nil, comment))
		implied = append(implied, &spdx.Relationship{
			RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(topID)), Relationship: "DESCRIBES",
		})
	}
	for i, c := range d.Components {
		id := ids.id(c.ref(), i+1)
		if c.Type == TypeFile && len(c.Hashes) > 0 {
			// A file with its digests is an SPDX file; without, SPDX 2.3
			// has no valid file, so it is a package whose purpose is FILE.
			doc.Files = append(doc.Files, spdxFile(id, c))
		} else {
			var comment []string
			for _, f := range c.Files {
				comment = append(comment, commentEvidence+f)
			}
			doc.Packages = append(doc.Packages, spdxPackage(id, c.Name, c.Version, c.Supplier, spdxPurpose(c.Type), c.Description, c.CPEs, c.PURL, c.Hashes, c.Licenses, comment))
		}
		from, rel := common.MakeDocElementID("", string(topID)), "CONTAINS"
		if topID == "" {
			from, rel = common.MakeDocElementID("", "DOCUMENT"), "DESCRIBES"
		}
		implied = append(implied, &spdx.Relationship{RefA: from, RefB: common.MakeDocElementID("", string(id)), Relationship: rel})
	}
	doc.Relationships = implied
	for _, x := range d.ExternalDocuments {
		doc.ExternalDocumentReferences = append(doc.ExternalDocumentReferences, spdx.ExternalDocumentRef{
			DocumentRefID: common.DocumentID(x.ID), URI: x.Namespace, Checksum: common.Checksum{Algorithm: spdxAlg(x.Hash.Alg), Value: x.Hash.Value},
		})
	}
	if len(d.Relationships) > 0 {
		doc.Relationships = nil
		if topID != "" && !slices.Contains(d.Relationships, Relationship{From: "DOCUMENT", Type: "DESCRIBES", To: fw.ref()}) {
			doc.Relationships = implied[:1] // the firmware is what the document describes
		}
		for _, r := range d.Relationships {
			a, okA := spdxRelEnd(r.From, ids)
			b, okB := spdxRelEnd(r.To, ids)
			if okA && okB && r.Type != "" {
				doc.Relationships = append(doc.Relationships, &spdx.Relationship{RefA: a, RefB: b, Relationship: r.Type})
			}
		}
	}
	if f == SPDXTagValue {
		return tagvalue.Write(doc, w)
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "))
}

func spdxFile(id common.ElementID, c Component) *spdx.File {
	f := &spdx.File{
		FileName:           c.Name,
		FileSPDXIdentifier: id,
		LicenseConcluded:   noAssertion,
		FileCopyrightText:  noAssertion,
		FileComment:        c.Description,
	}
	if len(c.Licenses) > 0 {
		f.LicenseInfoInFiles = c.Licenses
	}
	for _, h := range c.Hashes {
		f.Checksums = append(f.Checksums, common.Checksum{Algorithm: spdxAlg(h.Alg), Value: h.Value})
	}
	return f
}

// spdxRelEnd is the SPDX element a relationship end names; false when it
// names an element that is not in the document written.
func spdxRelEnd(ref string, ids *spdxIDs) (common.DocElementID, bool) {
	switch {
	case ref == "DOCUMENT":
		return common.MakeDocElementID("", "DOCUMENT"), true
	case ref == "NONE" || ref == noAssertion:
		return common.MakeDocElementSpecial(ref), true
	case strings.HasPrefix(ref, "DocumentRef-"):
		doc, elt, ok := strings.Cut(ref, ":")
		doc = strings.TrimPrefix(doc, "DocumentRef-")
		if !ok || !ids.docs[doc] {
			return common.DocElementID{}, false // an undeclared document
		}
		return common.MakeDocElementID(doc, strings.TrimPrefix(elt, "SPDXRef-")), true
	}
	id, ok := ids.byRef[ref]
	return common.MakeDocElementID("", string(id)), ok
}

// relEnd is the Relationship end of an SPDX element.
func relEnd(e common.DocElementID) string {
	switch {
	case e.SpecialID != "":
		return e.SpecialID
	case e.DocumentRefID != "":
		return "DocumentRef-" + string(e.DocumentRefID) + ":SPDXRef-" + string(e.ElementRefID)
	}
	return string(e.ElementRefID)
}

// fromSPDX converts and validates a parsed SPDX document.
func fromSPDX(doc *spdx.Document, name string, lim Limits, extraIDs map[common.ElementID]bool) (*Document, error) {
	p := &problems{max: lim.MaxErrors}
	d := &Document{Serial: doc.DocumentNamespace}
	if doc.SPDXVersion != "SPDX-2.3" && doc.SPDXVersion != "SPDX-2.2" && doc.SPDXVersion != "SPDX-2.1" {
		p.add("spdxVersion", "%q is not SPDX-2.1, 2.2 or 2.3", doc.SPDXVersion)
	}
	if doc.DocumentNamespace == "" {
		p.add("documentNamespace", "missing")
	}
	if doc.CreationInfo != nil && doc.CreationInfo.Created != "" {
		t, err := time.Parse(time.RFC3339, doc.CreationInfo.Created)
		if err != nil {
			p.add("creationInfo.created", "%q is not an RFC 3339 time", doc.CreationInfo.Created)
		}
		d.Created = t
		for _, c := range doc.CreationInfo.Creators {
			if c.CreatorType == "Tool" {
				d.Tool = c.Creator
			}
		}
	}
	ids := map[common.ElementID]bool{"DOCUMENT": true}
	for i, x := range doc.ExternalDocumentReferences {
		at := fmt.Sprintf("externalDocumentRefs[%d]", i)
		h := Hash{Alg: cdxAlg(x.Checksum.Algorithm), Value: x.Checksum.Value}
		checkHash(p, at+".checksum", h)
		if x.DocumentRefID == "" || x.URI == "" {
			p.add(at, "externalDocumentId and spdxDocument are required")
		}
		d.ExternalDocuments = append(d.ExternalDocuments, ExternalDocument{ID: string(x.DocumentRefID), Namespace: x.URI, Hash: h})
	}
	for i, pk := range doc.Packages {
		at := fmt.Sprintf("packages[%d]", i)
		if pk == nil {
			p.add(at, "null package")
			continue
		}
		if pk.PackageSPDXIdentifier == "" {
			p.add(at+".SPDXID", "missing")
		} else if ids[pk.PackageSPDXIdentifier] {
			p.add(at+".SPDXID", "SPDXRef-%s used twice", pk.PackageSPDXIdentifier)
		}
		ids[pk.PackageSPDXIdentifier] = true
	}
	// Files: those of the document and those listed inside a package (in
	// tag-value, a file that follows a package), each once.
	var files []*spdx.File
	seenFile := map[common.ElementID]bool{}
	addFiles := func(fs []*spdx.File) {
		for _, f := range fs {
			if f == nil || seenFile[f.FileSPDXIdentifier] {
				continue
			}
			seenFile[f.FileSPDXIdentifier] = true
			files = append(files, f)
			ids[f.FileSPDXIdentifier] = true
			for _, sn := range f.Snippets {
				if sn != nil {
					ids[sn.SnippetSPDXIdentifier] = true
				}
			}
		}
	}
	addFiles(doc.Files)
	for _, pk := range doc.Packages {
		if pk != nil {
			addFiles(pk.Files)
		}
	}
	for _, sn := range doc.Snippets {
		ids[sn.SnippetSPDXIdentifier] = true
	}
	for _, l := range doc.OtherLicenses {
		if l != nil {
			ids[common.ElementID(strings.TrimPrefix(l.LicenseIdentifier, "SPDXRef-"))] = true
		}
	}
	for id := range extraIDs {
		ids[id] = true
	}
	// The firmware is the package the document describes.
	described := map[common.ElementID]bool{}
	for i, r := range doc.Relationships {
		if r == nil {
			continue
		}
		at := fmt.Sprintf("relationships[%d]", i)
		for _, e := range []common.DocElementID{r.RefA, r.RefB} {
			if e.DocumentRefID == "" && e.SpecialID == "" && !ids[e.ElementRefID] {
				p.add(at, "SPDXRef-%s names no element of this document", e.ElementRefID)
			}
		}
		switch {
		case r.RefA.ElementRefID == "DOCUMENT" && r.RefA.DocumentRefID == "" && r.Relationship == "DESCRIBES":
			described[r.RefB.ElementRefID] = true
		case r.RefB.ElementRefID == "DOCUMENT" && r.RefB.DocumentRefID == "" && r.Relationship == "DESCRIBED_BY":
			described[r.RefA.ElementRefID] = true
		}
		d.Relationships = append(d.Relationships, Relationship{From: relEnd(r.RefA), Type: r.Relationship, To: relEnd(r.RefB)})
	}
	var top *spdx.Package
	for _, pk := range doc.Packages {
		if pk != nil && described[pk.PackageSPDXIdentifier] && (top == nil || pk.PrimaryPackagePurpose == "FIRMWARE") {
			top = pk
		}
	}
	for i, pk := range doc.Packages {
		if pk == nil {
			continue
		}
		at := fmt.Sprintf("packages[%d] (SPDXRef-%s)", i, pk.PackageSPDXIdentifier)
		if pk.PackageName == "" {
			p.add(at+".name", "missing")
		}
		c := Component{Ref: string(pk.PackageSPDXIdentifier), Type: typeFromPurpose(pk.PrimaryPackagePurpose), Name: pk.PackageName, Version: pk.PackageVersion, Description: pk.PackageDescription}
		if pk.PackageSupplier != nil && pk.PackageSupplier.Supplier != noAssertion {
			c.Supplier = pk.PackageSupplier.Supplier
		}
		if l := pk.PackageLicenseDeclared; l != "" && l != noAssertion && l != "NONE" {
			c.Licenses = []string{l}
		}
		c.Hashes = spdxHashes(p, at, pk.PackageChecksums)
		for j, ref := range pk.PackageExternalReferences {
			if ref == nil {
				continue
			}
			rat := fmt.Sprintf("%s.externalRefs[%d]", at, j)
			switch ref.RefType {
			case "cpe23Type":
				if _, err := cpe.Parse(ref.Locator); err != nil {
					p.add(rat, "%v", err)
				}
				c.CPEs = append(c.CPEs, ref.Locator)
			case "purl":
				if _, err := packageurl.FromString(ref.Locator); err != nil {
					p.add(rat, "%v", err)
				}
				if c.PURL == "" {
					c.PURL = ref.Locator
				}
			}
		}
		var product, model string
		for _, line := range strings.Split(pk.PackageComment, "\n") {
			switch {
			case strings.HasPrefix(line, commentEvidence):
				c.Files = append(c.Files, strings.TrimPrefix(line, commentEvidence))
			case strings.HasPrefix(line, commentProduct):
				product = strings.TrimPrefix(line, commentProduct)
			case strings.HasPrefix(line, commentModel):
				model = strings.TrimPrefix(line, commentModel)
			}
		}
		if pk == top {
			d.Firmware = Firmware{Ref: c.Ref, Manufacturer: c.Supplier, Product: product, Model: model, Name: c.Name,
				Version: c.Version, PURL: c.PURL, Hashes: c.Hashes, Description: c.Description}
			if len(c.CPEs) > 0 {
				d.Firmware.CPE = c.CPEs[0]
			}
			if product == c.Name {
				d.Firmware.Name = ""
			}
			continue
		}
		d.Components = append(d.Components, c)
	}
	for i, f := range files {
		at := fmt.Sprintf("files[%d] (SPDXRef-%s)", i, f.FileSPDXIdentifier)
		if f.FileName == "" {
			p.add(at+".fileName", "missing")
		}
		c := Component{Ref: string(f.FileSPDXIdentifier), Type: TypeFile, Name: f.FileName, Description: f.FileComment}
		for _, l := range f.LicenseInfoInFiles {
			if l != "" && l != noAssertion && l != "NONE" {
				c.Licenses = append(c.Licenses, l)
			}
		}
		c.Hashes = spdxHashes(p, at, f.Checksums)
		d.Components = append(d.Components, c)
	}
	if top != nil && impliedOnly(d) {
		d.Relationships = nil // what the writer implies: said again on writing
	}
	if err := p.err(name); err != nil {
		return d, err
	}
	return d, nil
}

// impliedOnly tells whether d's relationships are exactly those a
// Document without relationships is written with.
func impliedOnly(d *Document) bool {
	want := map[Relationship]bool{{From: "DOCUMENT", Type: "DESCRIBES", To: d.Firmware.Ref}: true}
	for _, c := range d.Components {
		want[Relationship{From: d.Firmware.Ref, Type: "CONTAINS", To: c.Ref}] = true
	}
	got := map[Relationship]bool{}
	for _, r := range d.Relationships {
		got[r] = true
	}
	if len(got) != len(want) {
		return false
	}
	for r := range got {
		if !want[r] {
			return false
		}
	}
	return true
}

// spdxHashes converts SPDX checksums; algorithms CycloneDX has no name for
// (SHA224, MD2, MD4, MD6, ADLER32) are left out.
func spdxHashes(p *problems, at string, cs []common.Checksum) []Hash {
	var out []Hash
	for j, c := range cs {
		h := Hash{Alg: cdxAlg(c.Algorithm), Value: c.Value}
		if hashLen(h.Alg) == 0 {
			switch c.Algorithm {
			case "SHA224", "MD2", "MD4", "MD6", "ADLER32":
				continue
			}
		}
		checkHash(p, fmt.Sprintf("%s.checksums[%d]", at, j), h)
		out = append(out, h)
	}
	return out
}
