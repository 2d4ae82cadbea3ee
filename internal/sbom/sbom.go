// Package sbom writes and reads software bills of materials for firmware:
// CycloneDX 1.6 (JSON and XML, with github.com/CycloneDX/cyclonedx-go) and
// SPDX 2.3 (JSON and tag-value, with github.com/spdx/tools-golang), with
// the firmware as the top component; it validates imported SBOMs with
// errors that name the element (CycloneDX also against the official JSON
// schema of its version, embedded), and diffs two SBOMs. What it writes
// validates against the official schemas (the tests check), with a real
// creation time (SOURCE_DATE_EPOCH for reproducible output) and SPDX
// identifiers that stay the same through import and export.
//
// Documents are plain values (Document, Component) so that the store and
// the vulnerability index can use them without knowing either format.
// It must not import storage, HTTP server packages or internal/iotsec.
package sbom

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Document is an SBOM for one firmware version.
type Document struct {
	Firmware   Firmware
	Components []Component
	Created    time.Time
	Tool       string // name and version of the tool that made it
	Serial     string // CycloneDX serialNumber or SPDX documentNamespace; derived when empty
	// Relationships between the document's elements, as an SPDX document
	// read states them. Empty means the implied ones: the document
	// describes the firmware, which contains every component.
	Relationships []Relationship
	// ExternalDocuments are the SPDX documents relationships point into
	// ("DocumentRef-x:SPDXRef-y").
	ExternalDocuments []ExternalDocument
}

// ExternalDocument is an SPDX external document reference.
type ExternalDocument struct {
	ID        string // without "DocumentRef-"
	Namespace string // its documentNamespace
	Hash      Hash   // of the document
}

// Relationship is an SPDX relationship: From and To are element refs
// (Firmware.Ref, Component.Ref), "DOCUMENT", NONE or NOASSERTION, or
// "DocumentRef-x:SPDXRef-y" for an element of another document; Type is the
// SPDX relationship type (CONTAINS, DEPENDS_ON, DESCRIBES ...).
type Relationship struct {
	From, Type, To string
}

// created is when the document was made: Created; else the time of
// SOURCE_DATE_EPOCH (reproducible-builds.org), for output that does not
// depend on when it is made; else now.
func (d *Document) created() time.Time {
	if !d.Created.IsZero() {
		return d.Created.UTC()
	}
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// Firmware is the top component: the firmware image of a product.
type Firmware struct {
	Ref          string // bom-ref / SPDX ID; "firmware" when empty
	Manufacturer string
	Product      string // product name ("Router R100")
	Model        string // model number
	Name         string // firmware name; Product when empty
	Version      string
	CPE          string
	PURL         string
	Hashes       []Hash // of the image
	Description  string
}

// Component is one component found in (or declared for) the firmware.
type Component struct {
	Ref         string // bom-ref / SPDX ID; derived from name and version when empty
	Type        string // library, application, operating-system, firmware, file, device
	Name        string
	Version     string
	Supplier    string
	CPEs        []string
	PURL        string
	Licenses    []string // SPDX license IDs or expressions
	Hashes      []Hash
	Files       []string // paths in the image where it was found (evidence)
	Description string
}

// Hash is a digest in hex, with the CycloneDX algorithm name (SHA-256, SHA-1, SHA-512, MD5 ...).
type Hash struct {
	Alg   string
	Value string
}

// Component types.
const (
	TypeLibrary     = "library"
	TypeApplication = "application"
	TypeOS          = "operating-system"
	TypeFirmware    = "firmware"
	TypeFile        = "file"
	TypeDevice      = "device"
)

// Limits bound what Decode accepts. A million-component SBOM is refused by
// count before it is decoded, so its memory use is that of the raw bytes.
type Limits struct {
	MaxBytes      int64
	MaxComponents int
	MaxDepth      int // JSON/XML nesting
	MaxErrors     int // validation errors collected before giving up
}

// DefaultLimits accept SBOMs twenty times the size of a large firmware's.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 256 << 20, MaxComponents: 200_000, MaxDepth: 64, MaxErrors: 100}
}

// ErrLimit is wrapped by errors about input over a limit.
var ErrLimit = errors.New("over limit")

// Problem is one validation error, located by the element it concerns.
type Problem struct {
	Path string // "components[12] (bom-ref busybox@1.36.1).purl", "packages[SPDXRef-busybox].checksums[0]"
	Msg  string
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// ValidationError lists what was wrong with an imported SBOM.
type ValidationError struct {
	File     string
	Problems []Problem
	More     bool // more problems than the limit were found
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s)", e.File, len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; ...")
			break
		}
		b.WriteString("; " + p.String())
	}
	return b.String()
}

type problems struct {
	list []Problem
	max  int
	more bool
}

func (p *problems) add(path, format string, args ...any) {
	if len(p.list) >= p.max {
		p.more = true
		return
	}
	p.list = append(p.list, Problem{path, fmt.Sprintf(format, args...)})
}

func (p *problems) err(file string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{File: file, Problems: p.list, More: p.more}
}

// ref returns the component's reference, derived when not set.
func (c Component) ref() string {
	if c.Ref != "" {
		return c.Ref
	}
	if c.Version == "" {
		return c.Name
	}
	return c.Name + "@" + c.Version
}

func (f Firmware) ref() string {
	if f.Ref != "" {
		return f.Ref
	}
	return "firmware"
}

// isZero tells a document without a top element (its Ref aside).
func (f Firmware) isZero() bool {
	f.Ref = ""
	return f.Manufacturer == "" && f.Product == "" && f.Model == "" && f.Name == "" && f.Version == "" &&
		f.CPE == "" && f.PURL == "" && len(f.Hashes) == 0 && f.Description == ""
}

func (f Firmware) name() string {
	if f.Name != "" {
		return f.Name
	}
	return f.Product
}

// hashLen is the hex length of a digest of the CycloneDX algorithm alg, 0 if unknown.
func hashLen(alg string) int {
	switch alg {
	case "MD5":
		return 32
	case "SHA-1":
		return 40
	case "SHA-256", "SHA3-256", "BLAKE2b-256", "BLAKE3":
		return 64
	case "SHA-384", "SHA3-384", "BLAKE2b-384":
		return 96
	case "SHA-512", "SHA3-512", "BLAKE2b-512":
		return 128
	}
	return 0
}

func checkHash(p *problems, path string, h Hash) {
	n := hashLen(h.Alg)
	if n == 0 {
		p.add(path, "unknown hash algorithm %q", h.Alg)
		return
	}
	if len(h.Value) != n || strings.Trim(strings.ToLower(h.Value), "0123456789abcdef") != "" {
		p.add(path, "%s value %q is not %d hex digits", h.Alg, h.Value, n)
	}
}
