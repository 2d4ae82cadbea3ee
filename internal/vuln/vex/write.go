package vex

import (
	"errors"
	"fmt"
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	govex "github.com/openvex/go-vex/pkg/vex"
	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Document is the metadata of an exported VEX document.
type Document struct {
	ID        string // OpenVEX @id (an IRI) or CycloneDX serialNumber (urn:uuid:...)
	Author    string
	Timestamp time.Time
	Version   int
}

func refID(r vuln.Ref) string {
	switch {
	case r.PURL != "":
		return r.PURL
	case r.CPE != "":
		return r.CPE
	case r.Version != "":
		return r.Name + "@" + r.Version
	}
	return r.Name
}

func openvexComponent(r vuln.Ref) govex.Component {
	c := govex.Component{ID: refID(r)}
	if r.PURL == "" && r.CPE == "" {
		// OpenVEX wants an IRI as @id: a bare name and version become a
		// generic package URL (the reader gives it back as the purl).
		c.ID = packageurl.NewPackageURL("generic", "", r.Name, r.Version, nil, "").ToString()
	}
	ids := map[govex.IdentifierType]string{}
	if r.PURL != "" && c.ID != r.PURL {
		ids[govex.PURL] = r.PURL
	}
	if r.CPE != "" && c.ID != r.CPE {
		ids[govex.CPE23] = r.CPE
	}
	if len(ids) > 0 {
		c.Identifiers = ids
	}
	return c
}

// WriteOpenVEX writes statements as an OpenVEX document. Each statement
// must be valid OpenVEX (not_affected with a justification or impact,
// affected with an action) and name a product. With no statements it
// writes a document that states nothing ("statements": [], as go-vex and
// the CycloneDX export do): OpenVEX 0.2.0's JSON schema asks for at least
// one statement, a rule openvex/spec pull request 64 proposes to drop; a
// version without statements is not an error to its maker.
func WriteOpenVEX(w io.Writer, doc Document, stmts []vuln.Statement) error {
	if doc.ID == "" || doc.Author == "" || doc.Timestamp.IsZero() {
		return errors.New("openvex: document id, author and timestamp are required")
	}
	out := govex.VEX{Metadata: govex.Metadata{
		Context: govex.ContextLocator(), ID: doc.ID, Author: doc.Author, Version: max(doc.Version, 1),
	}, Statements: []govex.Statement{}}
	ts := doc.Timestamp.UTC()
	out.Timestamp = &ts
	for i, s := range stmts {
		if s.Product.IsZero() {
			return fmt.Errorf("openvex: statements[%d] (%s): no product", i, s.Vulnerability)
		}
		st := govex.Statement{
			Vulnerability:   govex.Vulnerability{Name: govex.VulnerabilityID(s.Vulnerability)},
			Status:          govex.Status(s.Status),
			Justification:   govex.Justification(s.Justification),
			ImpactStatement: s.Impact,
			ActionStatement: s.Action,
		}
		for _, a := range s.Aliases {
			st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, govex.VulnerabilityID(a))
		}
		if !s.Timestamp.IsZero() {
			t := s.Timestamp.UTC()
			st.Timestamp = &t
		}
		p := govex.Product{Component: openvexComponent(s.Product)}
		if !s.Component.IsZero() {
			p.Subcomponents = []govex.Subcomponent{{Component: openvexComponent(s.Component)}}
		}
		st.Products = []govex.Product{p}
		if err := st.Validate(); err != nil {
			return fmt.Errorf("openvex: statements[%d] (%s): %w", i, s.Vulnerability, err)
		}
		out.Statements = append(out.Statements, st)
	}
	return out.ToJSON(w)
}

// cdxFromJustification is the inverse of cdxJustification.
func cdxFromJustification(j string) cdx.ImpactAnalysisJustification {
	switch j {
	case "vulnerable_code_not_present":
		return cdx.IAJCodeNotPresent
	case "vulnerable_code_not_in_execute_path":
		return cdx.IAJCodeNotReachable
	case "vulnerable_code_cannot_be_controlled_by_adversary":
		return cdx.IAJRequiresEnvironment
	case "component_not_present":
		return cdx.IAJRequiresDependency
	case "inline_mitigations_already_exist":
		return cdx.IAJProtectedByMitigatingControl
	}
	return ""
}

// WriteCycloneDX writes statements about one product (a firmware version)
// as a CycloneDX 1.6 VEX document: the product is the top component, the
// statements' components are listed, and each statement becomes a
// vulnerability whose analysis affects the component (or the product).
func WriteCycloneDX(w io.Writer, doc Document, product vuln.Ref, stmts []vuln.Statement) error {
	if product.IsZero() || doc.Timestamp.IsZero() {
		return errors.New("cyclonedx vex: product and timestamp are required")
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = cdxSerial(doc, product)
	bom.Version = max(doc.Version, 1)
	top := &cdx.Component{BOMRef: "product", Type: cdx.ComponentTypeFirmware, Name: product.Name, Version: product.Version, PackageURL: product.PURL, CPE: product.CPE}
	if top.Name == "" {
		top.Name = refID(product)
	}
	bom.Metadata = &cdx.Metadata{Timestamp: doc.Timestamp.UTC().Format(time.RFC3339), Component: top}
	if doc.Author != "" {
		bom.Metadata.Authors = &[]cdx.OrganizationalContact{{Name: doc.Author}}
	}
	refs := map[vuln.Ref]string{}
	var comps []cdx.Component
	var vulns []cdx.Vulnerability
	for i, s := range stmts {
		if !s.Product.IsZero() && !vuln.RefMatches(s.Product, product) && s.Product != product {
			return fmt.Errorf("cyclonedx vex: statements[%d] (%s) is about %s, not %s", i, s.Vulnerability, refID(s.Product), refID(product))
		}
		target := "product"
		if !s.Component.IsZero() {
			ref, ok := refs[s.Component]
			if !ok {
				ref = fmt.Sprintf("component-%d", len(refs)+1)
				refs[s.Component] = ref
				name := s.Component.Name
				if name == "" {
					name = refID(s.Component)
				}
				comps = append(comps, cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: name, Version: s.Component.Version, PackageURL: s.Component.PURL, CPE: s.Component.CPE})
			}
			target = ref
		}
		a := &cdx.VulnerabilityAnalysis{Detail: s.Impact}
		switch s.Status {
		case vuln.StatusNotAffected:
			a.State = cdx.IASNotAffected
			a.Justification = cdxFromJustification(s.Justification)
		case vuln.StatusAffected:
			a.State = cdx.IASExploitable
		case vuln.StatusFixed:
			a.State = cdx.IASResolved
		case vuln.StatusUnderInvestigation:
			a.State = cdx.IASInTriage
		default:
			return fmt.Errorf("cyclonedx vex: statements[%d] (%s): status %q", i, s.Vulnerability, s.Status)
		}
		if !s.Timestamp.IsZero() {
			a.LastUpdated = s.Timestamp.UTC().Format(time.RFC3339)
		}
		v := cdx.Vulnerability{ID: s.Vulnerability, Analysis: a, Affects: &[]cdx.Affects{{Ref: target}}}
		if s.Status == vuln.StatusAffected && s.Action != "" {
			v.Recommendation = s.Action
		}
		if len(s.Aliases) > 0 {
			var rs []cdx.VulnerabilityReference
			for _, al := range s.Aliases {
				rs = append(rs, cdx.VulnerabilityReference{ID: al, Source: aliasSource(al)})
			}
			v.References = &rs
		}
		vulns = append(vulns, v)
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	bom.Vulnerabilities = &vulns
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(bom, cdx.SpecVersion1_6)
}
