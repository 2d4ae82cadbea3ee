package sbom

import (
	"fmt"
	"io"
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

func spdxPurpose(t string) string {
	switch t {
	case TypeOS:
		return "OPERATING-SYSTEM"
	case "":
		return "LIBRARY"
	}
	return strings.ToUpper(t)
}

func typeFromPurpose(p string) string {
	switch p {
	case "OPERATING-SYSTEM":
		return TypeOS
	case "":
		return TypeLibrary
	}
	return strings.ToLower(p)
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
	created := d.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	tool := orDefault(d.Tool, "iotsec")
	doc := &spdx.Document{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      strings.TrimSpace(fw.name() + " " + fw.Version),
		DocumentNamespace: d.serial(),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  created.UTC().Format(time.RFC3339),
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
	topID := common.ElementID("firmware")
	doc.Packages = append(doc.Packages, spdxPackage(topID, fw.name(), fw.Version, fw.Manufacturer, "FIRMWARE", fw.Description, cpes, fw.PURL, fw.Hashes, nil, comment))
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(topID)), Relationship: "DESCRIBES",
	})
	for i, c := range d.Components {
		id := spdxID(c.ref(), i+1)
		var comment []string
		for _, f := range c.Files {
			comment = append(comment, commentEvidence+f)
		}
		doc.Packages = append(doc.Packages, spdxPackage(id, c.Name, c.Version, c.Supplier, spdxPurpose(c.Type), c.Description, c.CPEs, c.PURL, c.Hashes, c.Licenses, comment))
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(topID)), RefB: common.MakeDocElementID("", string(id)), Relationship: "CONTAINS",
		})
	}
	if f == SPDXTagValue {
		return tagvalue.Write(doc, w)
	}
	return spdxjson.Write(doc, w, spdxjson.Indent("  "))
}

// fromSPDX converts and validates a parsed SPDX document.
func fromSPDX(doc *spdx.Document, name string, lim Limits) (*Document, error) {
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
	for _, f := range doc.Files {
		if f != nil {
			ids[f.FileSPDXIdentifier] = true
		}
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
		if r.RefA.ElementRefID == "DOCUMENT" && r.Relationship == "DESCRIBES" {
			described[r.RefB.ElementRefID] = true
		}
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
		for j, cs := range pk.PackageChecksums {
			h := Hash{Alg: cdxAlg(cs.Algorithm), Value: cs.Value}
			checkHash(p, fmt.Sprintf("%s.checksums[%d]", at, j), h)
			c.Hashes = append(c.Hashes, h)
		}
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
	if err := p.err(name); err != nil {
		return d, err
	}
	return d, nil
}
