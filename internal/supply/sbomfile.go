package supply

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
	"github.com/iotsec/iotsec/internal/vuln/version"
)

// SBOM files as the command line writes, reads, diffs and checks them,
// without a database. The SBOM engine's types are re-exported so that the
// doors need not import the engines.
type (
	// SBOMDocument is an SBOM of one firmware version.
	SBOMDocument = sbom.Document
	// SBOMComponent is one component of an SBOM.
	SBOMComponent = sbom.Component
	// SBOMFormat is an SBOM serialisation (CycloneDXJSON, ...).
	SBOMFormat = sbom.Format
	// SBOMDiff is what changed from one SBOM to another.
	SBOMDiff = sbom.Diff
	// SBOMLimits bound what an SBOM reader accepts.
	SBOMLimits = sbom.Limits
	// SBOMProblem is one validation error, located by its element.
	SBOMProblem = sbom.Problem
	// SBOMValidationError lists what was wrong with an SBOM.
	SBOMValidationError = sbom.ValidationError
)

// The SBOM formats.
const (
	CycloneDXJSON = sbom.CycloneDXJSON
	CycloneDXXML  = sbom.CycloneDXXML
	SPDXJSON      = sbom.SPDXJSON
	SPDXTagValue  = sbom.SPDXTagValue
)

// ErrSBOMLimit is wrapped by errors about an SBOM over a limit.
var ErrSBOMLimit = sbom.ErrLimit

// DefaultSBOMLimits are the limits SBOMs are read within.
func DefaultSBOMLimits() SBOMLimits { return sbom.DefaultLimits() }

// DetectSBOM tells which SBOM format data is in; an error means it is
// none of them.
func DetectSBOM(data []byte) (SBOMFormat, error) { return sbom.Detect(data) }

// EncodeSBOM writes d in format f.
func EncodeSBOM(w io.Writer, d *SBOMDocument, f SBOMFormat) error { return sbom.Encode(w, d, f) }

// DecodeSBOMFile reads and validates the SBOM at path, in any format,
// within DefaultSBOMLimits. A *SBOMValidationError lists every problem.
func DecodeSBOMFile(path string) (*SBOMDocument, SBOMFormat, error) {
	return sbom.DecodeFile(path, sbom.DefaultLimits())
}

// DiffSBOMs returns what changed from a to b.
func DiffSBOMs(a, b *SBOMDocument) SBOMDiff { return sbom.Compare(a, b) }

// CheckCPE reports whether s is a well-formed CPE 2.3 name.
func CheckCPE(s string) error {
	_, err := cpe.Parse(s)
	return err
}

// ImageSBOM builds the SBOM of a firmware image called name with the
// given SHA-256 digest (hex, any case; "" for none) from the components a
// scan identified in it. Components are sorted by name and version, refs
// are name@version (a repeat gets a counter), and components read from a
// package database get no hash: the file is the database, not the
// component.
func ImageSBOM(name, digest string, comps []inspect.Component) *SBOMDocument {
	d := &sbom.Document{Firmware: sbom.Firmware{Name: name}}
	if digest != "" {
		d.Firmware.Hashes = []sbom.Hash{{Alg: "SHA-256", Value: strings.ToLower(digest)}}
	}
	for _, c := range comps {
		sc := sbom.Component{Type: componentType(c), Name: c.Name, Version: c.Version, PURL: c.PURL}
		if c.CPE != "" {
			sc.CPEs = []string{c.CPE}
		}
		if c.Path != "" {
			sc.Files = []string{c.Path}
		}
		if c.Evidence.SHA256 != "" && !packageDatabase(c.Path) {
			sc.Hashes = []sbom.Hash{{Alg: "SHA-256", Value: strings.ToLower(c.Evidence.SHA256)}}
		}
		d.Components = append(d.Components, sc)
	}
	slices.SortStableFunc(d.Components, compareComponents)
	// Refs are name@version; a repeat (two builds of one version in
	// different places) gets a counter so references stay unique.
	seen := map[string]int{}
	for i := range d.Components {
		c := &d.Components[i]
		ref := c.Name
		if c.Version != "" {
			ref += "@" + c.Version
		}
		if n := seen[ref]; n > 0 {
			c.Ref = fmt.Sprintf("%s-%d", ref, n+1)
		} else {
			c.Ref = ref
		}
		seen[ref]++
	}
	return d
}

func compareComponents(a, b sbom.Component) int {
	if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
		return c
	}
	if c := version.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	if c := strings.Compare(a.Version, b.Version); c != 0 {
		return c
	}
	return slices.Compare(a.Files, b.Files)
}

// componentType: CPE part o is an operating system, h a device; a file in
// a lib directory or named *.so* a library; anything else an application.
// Components from a package database are libraries (CycloneDX's default):
// the database does not say.
func componentType(c inspect.Component) string {
	if n, err := cpe.Parse(c.CPE); err == nil {
		switch n.Part() {
		case "o":
			return sbom.TypeOS
		case "h":
			return sbom.TypeDevice
		}
	}
	p := "/" + c.Path
	base := filepath.Base(p)
	switch {
	case packageDatabase(c.Path), strings.Contains(p, "/lib/"), strings.Contains(base, ".so"):
		return sbom.TypeLibrary
	}
	return sbom.TypeApplication
}

// packageDatabase reports whether p is an opkg or dpkg database file.
func packageDatabase(p string) bool {
	return strings.HasSuffix(p, "opkg/status") || strings.HasSuffix(p, "dpkg/status") ||
		strings.Contains(p, "opkg/info/") && strings.HasSuffix(p, ".control")
}
