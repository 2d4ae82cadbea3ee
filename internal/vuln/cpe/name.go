// Package cpe parses CPE 2.3 formatted strings and matches a component's
// CPE against NVD configurations (version ranges, AND/OR nodes, negation,
// vulnerable:false platform context, target_sw filtering), saying why a
// match was made or refused.
//
// It imports only the standard library and internal/vuln/version; it must
// not import storage, HTTP or the rest of internal/vuln.
package cpe

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLen is the longest CPE string Parse accepts.
const MaxLen = 1024

// Special attribute values of the formatted string.
const (
	Any = "*" // ANY: every value
	NA  = "-" // NOT APPLICABLE: no value
)

// Attribute positions, in formatted-string order.
const (
	AttrPart = iota
	AttrVendor
	AttrProduct
	AttrVersion
	AttrUpdate
	AttrEdition
	AttrLanguage
	AttrSWEdition
	AttrTargetSW
	AttrTargetHW
	AttrOther
	numAttrs
)

var attrNames = [numAttrs]string{"part", "vendor", "product", "version", "update", "edition", "language", "sw_edition", "target_sw", "target_hw", "other"}

// AttrName returns the CPE name of attribute i ("vendor").
func AttrName(i int) string { return attrNames[i] }

// Name is a parsed CPE 2.3 name. It keeps its canonical formatted string
// and the offsets of each attribute so that a Name costs 40 bytes and
// interned strings can be shared by thousands of NVD criteria.
//
// Attribute values are in canonical formatted-string form: lower case,
// "*" for ANY, "-" for NA, and a backslash before every quoted character
// other than letters, digits, '.', '_' and non-lone '-'.
type Name struct {
	s   string
	off [numAttrs + 1]uint16
}

// Parse reads a CPE 2.3 formatted string ("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*").
// Missing trailing attributes are taken as ANY, as SBOM tools often
// truncate them; more than eleven attributes is an error.
func Parse(s string) (Name, error) {
	if len(s) > MaxLen {
		return Name{}, fmt.Errorf("cpe longer than %d bytes", MaxLen)
	}
	const prefix = "cpe:2.3:"
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return Name{}, errors.New("cpe does not start with cpe:2.3:")
	}
	rest := s[len(prefix):]
	var vals [numAttrs]string
	n := 0
	start := 0
	for i := 0; i <= len(rest); i++ {
		if i < len(rest) && rest[i] == '\\' {
			i++ // skip the quoted byte
			if i >= len(rest) {
				return Name{}, fmt.Errorf("cpe attribute %d ends with a lone backslash", n+1)
			}
			continue
		}
		if i == len(rest) || rest[i] == ':' {
			if n >= numAttrs {
				return Name{}, fmt.Errorf("cpe has more than %d attributes", numAttrs)
			}
			v, err := canonical(rest[start:i])
			if err != nil {
				return Name{}, fmt.Errorf("cpe %s: %w", attrNames[n], err)
			}
			vals[n] = v
			n++
			start = i + 1
		}
	}
	for ; n < numAttrs; n++ {
		vals[n] = Any
	}
	switch vals[AttrPart] {
	case "a", "o", "h", Any:
	default:
		return Name{}, fmt.Errorf("cpe part %q is not a, o or h", vals[AttrPart])
	}
	nm := build(vals)
	if len(nm.s) > MaxLen {
		// Quoting can lengthen the string; the canonical form must parse too.
		return Name{}, fmt.Errorf("cpe longer than %d bytes once quoted", MaxLen)
	}
	return nm, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) Name {
	n, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return n
}

func build(vals [numAttrs]string) Name {
	var b strings.Builder
	b.WriteString("cpe:2.3:")
	var nm Name
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(':')
		}
		nm.off[i] = uint16(b.Len())
		b.WriteString(v)
	}
	nm.off[numAttrs] = uint16(b.Len() + 1)
	nm.s = b.String()
	return nm
}

// canonical validates one attribute value and returns its canonical form.
func canonical(v string) (string, error) {
	if v == "" {
		// NVD never writes empty attributes; some SBOM tools do and mean ANY.
		return Any, nil
	}
	if v == Any || v == NA {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c > 0x7e {
			return "", fmt.Errorf("byte 0x%02x at %d is not printable ASCII", c, i)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		quoted := false
		if c == '\\' {
			i++
			c = v[i]
			if c < 0x21 || c > 0x7e {
				return "", fmt.Errorf("byte 0x%02x at %d is not printable ASCII", c, i)
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			quoted = true
		}
		switch {
		case isAlnum(c) || c == '_' || c == '.':
			b.WriteByte(c)
		case c == '-' && !(len(v) == 2 && quoted):
			b.WriteByte(c)
		case (c == '*' || c == '?') && !quoted:
			// An unquoted wildcard inside a value; kept as a pattern.
			b.WriteByte(c)
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// String returns the canonical formatted string.
func (n Name) String() string { return n.s }

// IsZero reports whether n is the zero Name (never parsed).
func (n Name) IsZero() bool { return n.s == "" }

// Attr returns attribute i in canonical formatted-string form.
func (n Name) Attr(i int) string {
	if n.s == "" {
		return Any
	}
	return n.s[n.off[i] : n.off[i+1]-1]
}

func (n Name) Part() string      { return n.Attr(AttrPart) }
func (n Name) Vendor() string    { return n.Attr(AttrVendor) }
func (n Name) Product() string   { return n.Attr(AttrProduct) }
func (n Name) Version() string   { return n.Attr(AttrVersion) }
func (n Name) Update() string    { return n.Attr(AttrUpdate) }
func (n Name) TargetSW() string  { return n.Attr(AttrTargetSW) }
func (n Name) TargetHW() string  { return n.Attr(AttrTargetHW) }
func (n Name) SWEdition() string { return n.Attr(AttrSWEdition) }

// With returns a copy of n with attribute i set to the canonical value v
// (used to try a vendor alias).
func (n Name) With(i int, v string) Name {
	var vals [numAttrs]string
	for j := range vals {
		vals[j] = n.Attr(j)
	}
	vals[i] = v
	return build(vals)
}

// New builds a Name from attribute values given as plain text (not
// quoted); empty values are ANY. It is how an SBOM component without a CPE
// gets one from its vendor, product and version.
func New(part, vendor, product, version string) (Name, error) {
	vals := [numAttrs]string{}
	for i := range vals {
		vals[i] = Any
	}
	for i, v := range []string{part, vendor, product, version} {
		if v == "" {
			continue
		}
		q, err := canonical(Quote(v))
		if err != nil {
			return Name{}, fmt.Errorf("cpe %s: %w", attrNames[i], err)
		}
		vals[i] = q
	}
	nm := build(vals)
	if len(nm.s) > MaxLen {
		return Name{}, fmt.Errorf("cpe longer than %d bytes", MaxLen)
	}
	return Parse(nm.s)
}

// Quote escapes plain text for use as an attribute value.
func Quote(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			c = '_'
		}
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Unquote returns the plain text of a canonical attribute value.
func Unquote(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z')
}

// isLiteral reports whether v is a plain value: neither ANY, NA nor a pattern.
func isLiteral(v string) bool {
	return v != Any && v != NA && !hasWildcard(v)
}

func hasWildcard(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// Interner shares the storage of equal strings, so that a corpus of NVD
// records holding the same criteria thousands of times keeps one copy.
// The zero Interner is ready to use; it is not safe for concurrent use.
type Interner struct {
	m map[string]string
}

// String returns the shared copy of s.
func (in *Interner) String(s string) string {
	if in.m == nil {
		in.m = map[string]string{}
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	in.m[s] = s
	return s
}

// Name returns n with its string shared.
func (in *Interner) Name(n Name) Name {
	n.s = in.String(n.s)
	return n
}

// ParseAny reads a CPE 2.3 formatted string or a CPE 2.2 URI
// ("cpe:/a:example:myapplication:1.0.0"), which CycloneDX and older SBOM
// tools still write, and returns the 2.3 name.
func ParseAny(s string) (Name, error) {
	if len(s) >= 5 && strings.EqualFold(s[:5], "cpe:/") {
		return fromURI(s)
	}
	return Parse(s)
}

// fromURI converts a CPE 2.2 URI (NISTIR 7695 §6.1), including a packed
// edition ("~edition~sw_edition~target_sw~target_hw~other").
func fromURI(s string) (Name, error) {
	if len(s) > MaxLen {
		return Name{}, fmt.Errorf("cpe longer than %d bytes", MaxLen)
	}
	parts := strings.Split(s[5:], ":")
	if len(parts) > 7 {
		return Name{}, errors.New("cpe URI has more than 7 components")
	}
	var vals [numAttrs]string
	for i := range vals {
		vals[i] = Any
	}
	for i, p := range parts {
		if i == 5 && strings.HasPrefix(p, "~") {
			packed := strings.Split(p[1:], "~")
			if len(packed) != 5 {
				return Name{}, errors.New("cpe URI packed edition does not have 5 fields")
			}
			for j, q := range packed {
				idx := []int{AttrEdition, AttrSWEdition, AttrTargetSW, AttrTargetHW, AttrOther}[j]
				v, err := uriValue(q)
				if err != nil {
					return Name{}, fmt.Errorf("cpe %s: %w", attrNames[idx], err)
				}
				vals[idx] = v
			}
			continue
		}
		idx := []int{AttrPart, AttrVendor, AttrProduct, AttrVersion, AttrUpdate, AttrEdition, AttrLanguage}[i]
		v, err := uriValue(p)
		if err != nil {
			return Name{}, fmt.Errorf("cpe %s: %w", attrNames[idx], err)
		}
		vals[idx] = v
	}
	var b strings.Builder
	b.WriteString("cpe:2.3")
	for _, v := range vals {
		b.WriteByte(':')
		b.WriteString(v)
	}
	return Parse(b.String())
}

// uriValue turns a percent-encoded URI component into a formatted-string value.
func uriValue(p string) (string, error) {
	switch p {
	case "":
		return Any, nil
	case "-":
		return NA, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if i+2 >= len(p) {
				return "", errors.New("truncated percent escape")
			}
			var x byte
			for _, h := range []byte(p[i+1 : i+3]) {
				x <<= 4
				switch {
				case '0' <= h && h <= '9':
					x |= h - '0'
				case 'a' <= h && h <= 'f':
					x |= h - 'a' + 10
				case 'A' <= h && h <= 'F':
					x |= h - 'A' + 10
				default:
					return "", fmt.Errorf("bad percent escape %q", p[i:i+3])
				}
			}
			i += 2
			c = x
		}
		if c == ':' || c == '\\' || c == '*' || c == '?' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}
