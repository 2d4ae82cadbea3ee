package vex

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/iotsec/iotsec/internal/vuln"
)

// BOMLink is a CycloneDX BOM-Link, urn:cdx:<serial>/<version>#<bom-ref>:
// a reference to a component of another BOM (CycloneDX 1.5+, "BOM-Link").
type BOMLink struct {
	Serial  string // the BOM's serialNumber, urn:uuid:...
	Version int
	Ref     string // bom-ref in that BOM, percent-decoded; empty for the BOM itself
}

func (l BOMLink) String() string {
	s := "urn:cdx:" + strings.TrimPrefix(l.Serial, "urn:uuid:") + "/" + strconv.Itoa(l.Version)
	if l.Ref != "" {
		s += "#" + url.PathEscape(l.Ref)
	}
	return s
}

var bomLinkRE = regexp.MustCompile(`^urn:cdx:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/([1-9][0-9]{0,8})(?:#(.+))?$`)

// ParseBOMLink parses a BOM-Link; false when s is not one.
func ParseBOMLink(s string) (BOMLink, bool) {
	m := bomLinkRE.FindStringSubmatch(s)
	if m == nil {
		return BOMLink{}, false
	}
	v, _ := strconv.Atoi(m[2])
	ref := m[3]
	if u, err := url.PathUnescape(ref); err == nil {
		ref = u
	}
	return BOMLink{Serial: "urn:uuid:" + strings.ToLower(m[1]), Version: v, Ref: ref}, true
}

// BOMResolver finds what a BOM-Link names in the SBOM it points into: the
// product the SBOM describes and, unless the link names the product
// itself, the component. It reports why when it cannot.
type BOMResolver func(BOMLink) (product, component vuln.Ref, err error)

// bomIndex is a CycloneDX SBOM's components by bom-ref.
type bomIndex struct {
	version    int
	product    vuln.Ref
	productRef string
	refs       map[string]vuln.Ref
}

func cdxRef(c *cdx.Component) vuln.Ref {
	return vuln.Ref{PURL: c.PackageURL, CPE: c.CPE, Name: c.Name, Version: c.Version}
}

func indexBOM(bom *cdx.BOM, lim Limits) (bomIndex, error) {
	ix := bomIndex{version: bom.Version, refs: map[string]vuln.Ref{}}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		mc := bom.Metadata.Component
		ix.product, ix.productRef = cdxRef(mc), mc.BOMRef
		if err := walkComponents(mc.Components, 1, lim, ix.refs); err != nil {
			return ix, err
		}
	}
	return ix, walkComponents(bom.Components, 0, lim, ix.refs)
}

func walkComponents(cs *[]cdx.Component, depth int, lim Limits, refs map[string]vuln.Ref) error {
	if cs == nil {
		return nil
	}
	if depth > lim.MaxDepth {
		return fmt.Errorf("components nested deeper than %d: %w", lim.MaxDepth, vuln.ErrLimit)
	}
	for i := range *cs {
		c := &(*cs)[i]
		if c.BOMRef != "" {
			refs[c.BOMRef] = cdxRef(c)
		}
		if err := walkComponents(c.Components, depth+1, lim, refs); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds ref in the index: the product itself or a component.
func (ix bomIndex) resolve(ref string) (product, component vuln.Ref, ok bool) {
	switch {
	case ref == "" || (ref == ix.productRef && ix.productRef != ""):
		return ix.product, vuln.Ref{}, !ix.product.IsZero()
	case !ix.refs[ref].IsZero():
		return ix.product, ix.refs[ref], true
	}
	return vuln.Ref{}, vuln.Ref{}, false
}

// ResolverFromSBOMs makes a BOMResolver from CycloneDX JSON SBOMs, such as
// a firmware version's: a link resolves when it names the serial number
// and version of one of them and a bom-ref in it.
func ResolverFromSBOMs(lim Limits, sboms ...[]byte) (BOMResolver, error) {
	bySerial := map[string]bomIndex{}
	for i, data := range sboms {
		if int64(len(data)) > lim.MaxBytes {
			return nil, fmt.Errorf("sbom %d: %d bytes is larger than %d: %w", i, len(data), lim.MaxBytes, vuln.ErrLimit)
		}
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			return nil, fmt.Errorf("sbom %d: %w", i, err)
		}
		if bom.SerialNumber == "" {
			return nil, fmt.Errorf("sbom %d has no serialNumber: a BOM-Link cannot point into it", i)
		}
		ix, err := indexBOM(&bom, lim)
		if err != nil {
			return nil, fmt.Errorf("sbom %d: %w", i, err)
		}
		bySerial[strings.ToLower(bom.SerialNumber)] = ix
	}
	return func(l BOMLink) (vuln.Ref, vuln.Ref, error) {
		ix, ok := bySerial[l.Serial]
		switch {
		case !ok:
			return vuln.Ref{}, vuln.Ref{}, fmt.Errorf("no SBOM with serial number %s", l.Serial)
		case ix.version != l.Version:
			return vuln.Ref{}, vuln.Ref{}, fmt.Errorf("the SBOM %s is version %d, the link names version %d", l.Serial, ix.version, l.Version)
		}
		p, c, ok := ix.resolve(l.Ref)
		if !ok {
			return vuln.Ref{}, vuln.Ref{}, fmt.Errorf("the SBOM %s has no component with bom-ref %q", l.Serial, l.Ref)
		}
		return p, c, nil
	}, nil
}

// Warning is an entry of a CycloneDX VEX that was skipped or kept without
// being understood in full, named by its place and vulnerability.
type Warning struct {
	Path          string // vulnerabilities[3].affects[0]
	Vulnerability string
	Msg           string
}

func (w Warning) String() string {
	if w.Vulnerability != "" {
		return fmt.Sprintf("%s (%s): %s", w.Path, w.Vulnerability, w.Msg)
	}
	return w.Path + ": " + w.Msg
}

func readCycloneDX(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	st, _, err := ReadCycloneDX(data, name, lim, nil)
	return st, err
}

// ReadCycloneDX reads a CycloneDX VEX (JSON). Affects that name a
// component of the document itself are resolved there; BOM-Links into
// another BOM (a standalone VEX) with resolve when given, such as one made
// by ResolverFromSBOMs from the firmware version's SBOM. A link that
// cannot be resolved keeps its statement, about a component named by the
// link itself (which matches no real component), with a warning. A
// vulnerability without an id or without affects is skipped with a
// warning rather than refusing the document.
func ReadCycloneDX(data []byte, name string, lim Limits, resolve BOMResolver) ([]vuln.Statement, []Warning, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	own, err := indexBOM(&bom, lim)
	if err != nil {
		return nil, nil, &vuln.InputError{File: name, Record: -1, Err: err}
	}
	var docTime time.Time
	if bom.Metadata != nil {
		docTime, _ = time.Parse(time.RFC3339, bom.Metadata.Timestamp)
	}
	if bom.Vulnerabilities == nil {
		return nil, nil, nil
	}
	var out []vuln.Statement
	var warns []Warning
	for i, v := range *bom.Vulnerabilities {
		at := fmt.Sprintf("vulnerabilities[%d]", i)
		fail := func(err error) ([]vuln.Statement, []Warning, error) {
			return nil, nil, &vuln.InputError{File: name, Record: i, Err: fmt.Errorf("%s (%s): %w", at, v.ID, err)}
		}
		if v.ID == "" {
			what := "no id"
			if v.BOMRef != "" {
				what += " (bom-ref " + v.BOMRef + ")"
			}
			warns = append(warns, Warning{Path: at, Msg: what + ": skipped"})
			continue
		}
		if v.Analysis == nil {
			continue // a vulnerability without analysis states nothing about it
		}
		status, ok := cdxState(string(v.Analysis.State))
		if !ok {
			return fail(fmt.Errorf("analysis.state %q is not a CycloneDX state", v.Analysis.State))
		}
		st := vuln.Statement{
			Vulnerability: v.ID,
			Status:        status,
			Impact:        v.Analysis.Detail,
			Timestamp:     docTime,
			Source:        bom.SerialNumber,
		}
		if t, err := time.Parse(time.RFC3339, v.Analysis.LastUpdated); err == nil {
			st.Timestamp = t
		}
		if status == vuln.StatusNotAffected {
			st.Justification = cdxJustification(string(v.Analysis.Justification))
			if j := string(v.Analysis.Justification); j != "" {
				st.Impact = strings.TrimSpace("cyclonedx justification " + j + ". " + st.Impact)
			}
		}
		if status == vuln.StatusAffected {
			var rs []string
			if v.Analysis.Response != nil {
				for _, r := range *v.Analysis.Response {
					rs = append(rs, string(r))
				}
			}
			st.Action = v.Recommendation
			if len(rs) > 0 {
				st.Action = strings.TrimSuffix(strings.Join(rs, ", ")+": "+v.Recommendation, ": ")
			}
		}
		if v.References != nil {
			for _, r := range *v.References {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		if v.Affects == nil || len(*v.Affects) == 0 {
			warns = append(warns, Warning{Path: at, Vulnerability: v.ID, Msg: "no affects: says nothing about any product, skipped"})
			continue
		}
		for ai, a := range *v.Affects {
			s := st
			aat := fmt.Sprintf("%s.affects[%d]", at, ai)
			if p, c, ok := own.resolve(a.Ref); ok && a.Ref != "" {
				s.Product, s.Component = p, c
			} else if l, isLink := ParseBOMLink(a.Ref); isLink {
				var err error
				if l.Serial == strings.ToLower(bom.SerialNumber) && l.Version == max(bom.Version, 1) {
					if p, c, ok := own.resolve(l.Ref); ok {
						s.Product, s.Component = p, c
					} else {
						err = fmt.Errorf("this document has no component with bom-ref %q", l.Ref)
					}
				} else if resolve != nil {
					s.Product, s.Component, err = resolve(l)
				} else {
					err = fmt.Errorf("it points into the BOM %s version %d, which was not given", l.Serial, l.Version)
				}
				if err != nil {
					// Kept, about what the link names: it matches no
					// component until resolved against its SBOM.
					s.Product, s.Component = own.product, vuln.Ref{Name: a.Ref}
					warns = append(warns, Warning{Path: aat, Vulnerability: v.ID,
						Msg: fmt.Sprintf("BOM-Link %s not resolved (%v): statement kept unresolved", a.Ref, err)})
				}
			} else {
				return fail(fmt.Errorf("affects[%d].ref %q names no component of this BOM and is not a BOM-Link", ai, a.Ref))
			}
			out = append(out, s)
			if len(out) > lim.MaxStatements {
				return fail(fmt.Errorf("more than %d statements: %w", lim.MaxStatements, vuln.ErrLimit))
			}
		}
	}
	return out, warns, nil
}

// cdxSerial is the serialNumber of an exported CycloneDX VEX: the
// document's ID when it is already a urn:uuid, else a name-based UUID
// (RFC 9562 version 5, URL namespace) of the ID, so the same document
// exported again has the same serial number (its version tells the
// revisions apart).
func cdxSerial(doc Document, product vuln.Ref) string {
	id := doc.ID
	if s, ok := strings.CutPrefix(id, "urn:uuid:"); ok && uuidRE.MatchString(s) {
		return "urn:uuid:" + strings.ToLower(s)
	}
	if id == "" {
		id = "vex:" + refID(product)
	}
	return "urn:uuid:" + uuidV5(nsURL, id)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

// nsURL is the RFC 9562 name space for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
var nsURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

func uuidV5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	s := h.Sum(nil)[:16]
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// aliasSource names the database an alias comes from, which CycloneDX
// requires of a vulnerability reference: by the ID's prefix (CVE-2024-1,
// GHSA-..., OSV-style PREFIX-...), with its public address when known.
func aliasSource(id string) *cdx.Source {
	prefix, _, _ := strings.Cut(id, "-")
	switch strings.ToUpper(prefix) {
	case "CVE":
		return &cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + url.PathEscape(id)}
	case "GHSA":
		return &cdx.Source{Name: "GitHub Advisories", URL: "https://github.com/advisories/" + url.PathEscape(id)}
	}
	if prefix == "" || prefix == id {
		return &cdx.Source{Name: "unknown"}
	}
	return &cdx.Source{Name: prefix, URL: "https://osv.dev/vulnerability/" + url.PathEscape(id)}
}

// ReadFileResolved reads a VEX document of any format as ReadFile does;
// a CycloneDX VEX has its BOM-Links resolved with resolve (nil: none) and
// says what it skipped or could not resolve in the warnings. For matching
// an SBOM with a standalone VEX: resolve from ResolverFromSBOMs(the SBOM).
func ReadFileResolved(path string, lim Limits, resolve BOMResolver) ([]vuln.Statement, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, nil, &vuln.InputError{File: path, Record: -1, Err: fmt.Errorf("document larger than %d bytes: %w", lim.MaxBytes, vuln.ErrLimit)}
	}
	if format, err := Detect(data); err == nil && format == CycloneDX {
		return ReadCycloneDX(data, path, lim, resolve)
	}
	st, err := Read(data, path, lim)
	return st, nil, err
}
