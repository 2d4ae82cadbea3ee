package pki

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Name-constraint problems. RFC 5280 4.2.1.10 and 6.1 are processed here,
// not by crypto/x509: every name of every certificate the constraints
// apply to, and every name the caller asked about (Options.Name, Names),
// must be inside the permitted and outside the excluded subtrees of every
// issuer above it. Anything that cannot be decided (a name or constraint
// we cannot parse, a name form we do not compare) is a violation: the
// check never fails open.
const (
	CodeNameConstraint           Code = "name.constraint_violation"  // a name outside the permitted or inside the excluded subtrees
	CodeNameConstraintsMalformed Code = "name.constraints_malformed" // a nameConstraints extension that does not parse or breaks RFC 5280's syntax
	CodeNameConstraintsInLeaf    Code = "name.constraints_in_leaf"   // nameConstraints in an end entity (RFC 5280 4.2.1.10: CA certificates only)
	CodeNameConstraintsLimit     Code = "name.constraints_limit"     // more names, subtrees or comparisons than we check
	CodeNameInvalid              Code = "name.invalid"               // a dNSName SAN not in preferred name syntax
)

// Limits of name-constraint processing: device chains carry a handful;
// x509-limbo's nc-dos cases carry thousands to make checkers quadratic.
const (
	maxSubtrees        = 1024   // per nameConstraints extension
	maxNames           = 1024   // names of one certificate
	maxNameComparisons = 250000 // per path, as crypto/x509
)

// errNCLimit marks constraints beyond maxSubtrees.
var errNCLimit = errors.New("more than iotsec checks")

var (
	oidExtNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidExtSAN             = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidEmailAddress       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// GeneralName CHOICE tags (RFC 5280 4.2.1.6).
const (
	gnOther = 0
	gnEmail = 1
	gnDNS   = 2
	gnX400  = 3
	gnDir   = 4
	gnEDI   = 5
	gnURI   = 6
	gnIP    = 7
	gnRID   = 8
)

var gnNames = [...]string{"otherName", "rfc822Name", "dNSName", "x400Address", "directoryName", "ediPartyName", "uniformResourceIdentifier", "iPAddress", "registeredID"}

type generalName struct {
	kind  int
	value []byte // the content; for directoryName the Name SEQUENCE
}

func (g generalName) String() string {
	switch g.kind {
	case gnEmail, gnDNS, gnURI:
		return fmt.Sprintf("%s %q", gnNames[g.kind], g.value)
	case gnIP:
		if len(g.value) == 4 || len(g.value) == 16 {
			return fmt.Sprintf("%s %s", gnNames[g.kind], net.IP(g.value))
		}
		if len(g.value) == 8 || len(g.value) == 32 {
			n := len(g.value) / 2
			return fmt.Sprintf("%s %s/%s", gnNames[g.kind], net.IP(g.value[:n]), net.IP(g.value[n:]))
		}
	case gnDir:
		var rdn pkix.RDNSequence
		if _, err := asn1.Unmarshal(g.value, &rdn); err == nil {
			return fmt.Sprintf("%s %q", gnNames[g.kind], rdn.String())
		}
	}
	return fmt.Sprintf("%s %X", gnNames[g.kind], g.value)
}

// readGeneralName reads one GeneralName, checking its tag's form.
func readGeneralName(s *cryptobyte.String) (generalName, error) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return generalName{}, fmt.Errorf("GeneralName does not parse")
	}
	n := int(tag & 0x1f)
	if tag&0xc0 != 0x80 || n > gnRID {
		return generalName{}, fmt.Errorf("GeneralName has tag %#x", uint8(tag))
	}
	constructed := tag&0x20 != 0
	if constructed != (n == gnOther || n == gnX400 || n == gnDir || n == gnEDI) {
		return generalName{}, fmt.Errorf("%s has the wrong encoding form", gnNames[n])
	}
	if n == gnDir {
		var name cryptobyte.String
		if !v.ReadASN1Element(&name, cbasn1.SEQUENCE) || !v.Empty() {
			return generalName{}, fmt.Errorf("directoryName is not a Name")
		}
		return generalName{gnDir, name}, nil
	}
	return generalName{n, v}, nil
}

// subtree is one GeneralSubtree's base, checked and decoded.
type subtree struct {
	generalName
	ipnet *net.IPNet
	dn    []string // normalized RDNs
}

type constraints struct {
	holder              *x509.Certificate
	permitted, excluded []subtree
}

// parseNameConstraints reads and checks a nameConstraints extension value.
func parseNameConstraints(value []byte) (constraints, error) {
	var nc constraints
	in := cryptobyte.String(value)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nc, fmt.Errorf("not a SEQUENCE")
	}
	var perm, excl cryptobyte.String
	var hasPerm, hasExcl bool
	if !seq.ReadOptionalASN1(&perm, &hasPerm, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&excl, &hasExcl, cbasn1.Tag(1).Constructed().ContextSpecific()) || !seq.Empty() {
		return nc, fmt.Errorf("malformed permittedSubtrees or excludedSubtrees")
	}
	if !hasPerm && !hasExcl {
		return nc, fmt.Errorf("empty: neither permittedSubtrees nor excludedSubtrees (RFC 5280 4.2.1.10)")
	}
	read := func(s cryptobyte.String, what string) ([]subtree, error) {
		if s.Empty() {
			return nil, fmt.Errorf("%s is empty (SIZE (1..MAX))", what)
		}
		var out []subtree
		for !s.Empty() {
			if len(out) == maxSubtrees {
				return nil, fmt.Errorf("%s has more than %d subtrees: %w", what, maxSubtrees, errNCLimit)
			}
			var st cryptobyte.String
			if !s.ReadASN1(&st, cbasn1.SEQUENCE) {
				return nil, fmt.Errorf("%s: GeneralSubtree is not a SEQUENCE", what)
			}
			gn, err := readGeneralName(&st)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", what, err)
			}
			if !st.Empty() {
				// minimum is DEFAULT 0 (so absent in DER) and maximum
				// MUST be absent (RFC 5280 4.2.1.10).
				return nil, fmt.Errorf("%s: %s has minimum or maximum set", what, gn)
			}
			t, err := checkSubtree(gn)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", what, err)
			}
			out = append(out, t)
		}
		return out, nil
	}
	var err error
	if hasPerm {
		if nc.permitted, err = read(perm, "permittedSubtrees"); err != nil {
			return nc, err
		}
	}
	if hasExcl {
		if nc.excluded, err = read(excl, "excludedSubtrees"); err != nil {
			return nc, err
		}
	}
	return nc, nil
}

// checkSubtree checks a constraint's syntax (RFC 5280 4.2.1.10).
func checkSubtree(gn generalName) (subtree, error) {
	t := subtree{generalName: gn}
	s := string(gn.value)
	bad := func() (subtree, error) { return t, fmt.Errorf("malformed %s constraint", gn) }
	switch gn.kind {
	case gnDNS:
		// A domain: labels may be added on the left. No leading
		// period (that is the URI and e-mail form), no wildcard.
		if s != "" && !validHostname(s, false) {
			return bad()
		}
	case gnEmail:
		switch {
		case strings.Contains(s, "@"):
			if _, _, ok := mailbox(s); !ok {
				return bad()
			}
		case strings.HasPrefix(s, "."):
			if !validHostname(s[1:], false) {
				return bad()
			}
		default:
			if !validHostname(s, false) {
				return bad()
			}
		}
	case gnURI:
		if !validHostname(strings.TrimPrefix(s, "."), false) {
			return bad()
		}
	case gnIP:
		n := len(gn.value) / 2
		if len(gn.value) != 8 && len(gn.value) != 32 {
			return bad()
		}
		ip, mask := net.IP(gn.value[:n]), net.IPMask(gn.value[n:])
		if ones, bits := mask.Size(); ones == 0 && bits == 0 || !ip.Equal(ip.Mask(mask)) {
			return bad() // not a CIDR mask, or host bits set
		}
		t.ipnet = &net.IPNet{IP: ip, Mask: mask}
	case gnDir:
		dn, err := normalizedDN(gn.value)
		if err != nil {
			return bad()
		}
		t.dn = dn
	}
	return t, nil
}

// validHostname reports whether s is a hostname in preferred name syntax
// (letters, digits, hyphens; labels of 1 to 63 characters not starting or
// ending with a hyphen; at most 253 characters). wildcard allows "*" as
// the whole leftmost label.
func validHostname(s string, wildcard bool) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if wildcard && i == 0 && l == "*" && len(labels) > 1 {
			continue
		}
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// mailbox splits local@domain: exactly one "@", a non-empty local part of
// printable ASCII, a hostname. Quoted local parts are not supported (they
// are then not checkable, which is a violation under e-mail constraints).
func mailbox(s string) (local, domain string, ok bool) {
	local, domain, found := strings.Cut(s, "@")
	if !found || local == "" || strings.Contains(domain, "@") || !validHostname(domain, false) {
		return "", "", false
	}
	for _, c := range []byte(local) {
		if c <= ' ' || c >= 0x7f || c == '"' {
			return "", "", false
		}
	}
	return local, domain, true
}

// normalizedDN decodes a Name into its RDNs, each as the sorted
// attribute type=value pairs with string values case-folded and inner
// white space collapsed (a simplification of RFC 5280 7.1's matching
// rules: equal names always match; differently encoded equal strings
// match too).
func normalizedDN(der []byte) ([]string, error) {
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("Name does not parse")
	}
	out := make([]string, 0, len(rdns))
	for _, rdn := range rdns {
		var atvs []string
		for _, atv := range rdn {
			v := fmt.Sprintf("%#v", atv.Value)
			if s, ok := atv.Value.(string); ok {
				v = strings.ToLower(strings.Join(strings.Fields(s), " "))
			}
			atvs = append(atvs, atv.Type.String()+"="+v)
		}
		sort.Strings(atvs)
		out = append(out, strings.Join(atvs, "+"))
	}
	return out, nil
}

// certNames are the names of c that constraints apply to: the subject
// (when not empty), e-mail addresses in the subject, and every subject
// alternative name.
func certNames(c *x509.Certificate) ([]generalName, error) {
	var out []generalName
	if !bytes.Equal(c.RawSubject, []byte{0x30, 0}) && len(c.RawSubject) > 0 {
		out = append(out, generalName{gnDir, c.RawSubject})
	}
	for _, atv := range c.Subject.Names {
		if atv.Type.Equal(oidEmailAddress) {
			s, _ := atv.Value.(string)
			out = append(out, generalName{gnEmail, []byte(s)})
		}
	}
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidExtSAN) {
			continue
		}
		in := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
			return nil, fmt.Errorf("subjectAltName is not a SEQUENCE")
		}
		for !seq.Empty() {
			gn, err := readGeneralName(&seq)
			if err != nil {
				return nil, fmt.Errorf("subjectAltName: %v", err)
			}
			out = append(out, gn)
		}
	}
	if len(out) > maxNames {
		return nil, fmt.Errorf("%d names, limit %d", len(out), maxNames)
	}
	return out, nil
}

// queriedName turns a name the caller checks (--name) into the
// GeneralName of its kind (nameKind).
func queriedName(s string) generalName {
	switch nameKind(s) {
	case "ip":
		ip := net.ParseIP(s)
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		return generalName{gnIP, ip}
	case "email":
		return generalName{gnEmail, []byte(s)}
	case "uri":
		return generalName{gnURI, []byte(s)}
	}
	return generalName{gnDNS, []byte(s)}
}

// within reports whether host name is in the subtree of domain (equal,
// or labels added on the left); the empty domain holds every name.
func within(name, domain string) bool {
	if domain == "" {
		return true
	}
	name, domain = strings.ToLower(name), strings.ToLower(domain)
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// match reports whether name falls in the subtree t (for an excluded
// subtree: whether it may). ok is false when that cannot be decided: a
// name that does not parse, or a form we do not compare.
func match(name generalName, t subtree, excluded bool) (in, ok bool) {
	s, c := string(name.value), string(t.value)
	switch name.kind {
	case gnDNS:
		if !validHostname(s, true) {
			return false, false
		}
		if base, wild := strings.CutPrefix(s, "*."); wild {
			// *.base stands for every one-label extension of base:
			// inside a subtree only if base is; possibly excluded
			// if either contains the other.
			if excluded {
				return within(base, c) || within(c, base), true
			}
			return within(base, c), true
		}
		return within(s, c), true
	case gnEmail:
		local, domain, ok := mailbox(s)
		if !ok {
			return false, false
		}
		switch {
		case strings.Contains(c, "@"):
			cl, cd, _ := mailbox(c)
			return local == cl && strings.EqualFold(domain, cd), true
		case strings.HasPrefix(c, "."):
			return strings.HasSuffix(strings.ToLower(domain), strings.ToLower(c)), true
		}
		return strings.EqualFold(domain, c), true
	case gnURI:
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" {
			return false, false
		}
		host := u.Hostname()
		if host == "" || net.ParseIP(host) != nil || !validHostname(host, false) {
			return false, false
		}
		if strings.HasPrefix(c, ".") {
			return strings.HasSuffix(strings.ToLower(host), strings.ToLower(c)), true
		}
		return strings.EqualFold(host, c), true
	case gnIP:
		if len(name.value) != 4 && len(name.value) != 16 {
			return false, false
		}
		ip := net.IP(name.value)
		if len(name.value) != len(t.ipnet.IP) {
			// An IPv4-mapped IPv6 address is the IPv4 address for an
			// excluded IPv4 subtree (for a permitted one it is not
			// inside: the stricter reading either way).
			if v4 := ip.To4(); excluded && v4 != nil && len(t.ipnet.IP) == 4 {
				return t.ipnet.Contains(v4), true
			}
			return false, true
		}
		return t.ipnet.Contains(ip), true
	case gnDir:
		dn, err := normalizedDN(name.value)
		if err != nil {
			return false, false
		}
		return len(t.dn) <= len(dn) && slices.Equal(dn[:len(t.dn)], t.dn), true
	}
	return false, false
}

// checkNames checks the names of one certificate (plus the queried names
// when it is the leaf) against the constraints of the issuers above it.
func checkNames(c *x509.Certificate, names []generalName, sets []constraints, budget *int) []Problem {
	var probs []Problem
	for _, n := range names {
		for _, set := range sets {
			var permittedOfKind, permitted bool
			for _, t := range set.permitted {
				if t.kind != n.kind {
					continue
				}
				permittedOfKind = true
				if *budget--; *budget < 0 {
					return append(probs, Problem{CodeNameConstraintsLimit, fmt.Sprintf("more than %d name comparisons; the names of %q are not checked", maxNameComparisons, subject(c))})
				}
				in, ok := match(n, t, false)
				if !ok {
					probs = append(probs, Problem{CodeNameConstraint, fmt.Sprintf("%q: %s cannot be checked against the %s constraints of %q", subject(c), n, gnNames[n.kind], subject(set.holder))})
					permitted = true // reported
					break
				}
				if in {
					permitted = true
					break
				}
			}
			if permittedOfKind && !permitted {
				probs = append(probs, Problem{CodeNameConstraint, fmt.Sprintf("%q: %s is not in the permitted subtrees of %q", subject(c), n, subject(set.holder))})
			}
			for _, t := range set.excluded {
				if t.kind != n.kind {
					continue
				}
				if *budget--; *budget < 0 {
					return append(probs, Problem{CodeNameConstraintsLimit, fmt.Sprintf("more than %d name comparisons; the names of %q are not checked", maxNameComparisons, subject(c))})
				}
				in, ok := match(n, t, true)
				if !ok {
					probs = append(probs, Problem{CodeNameConstraint, fmt.Sprintf("%q: %s cannot be checked against the excluded %s subtrees of %q", subject(c), n, gnNames[n.kind], subject(set.holder))})
					break
				}
				if in {
					probs = append(probs, Problem{CodeNameConstraint, fmt.Sprintf("%q: %s is in the excluded subtree %s of %q", subject(c), n, t.generalName, subject(set.holder))})
					break
				}
			}
		}
	}
	return probs
}

// nameConstraints applies RFC 5280 6.1.3 (b)/(c) and 6.1.4 (g) over the
// path, leaf first in chain: from the anchor down, each certificate's
// names are checked against the constraints of every issuer above it,
// except a self-issued certificate that is not the leaf; the leaf's
// checked names (queried) are checked too. The anchor's own constraints
// apply, as crypto/x509 and most verifiers do. An end entity must not
// carry constraints; nameConstraints must be critical.
func nameConstraints(chain []*x509.Certificate, queried []string) []Problem {
	var probs []Problem
	var sets []constraints
	budget := maxNameComparisons
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if len(sets) > 0 && (i == 0 || !selfIssued(c)) {
			names, err := certNames(c)
			if err != nil {
				probs = append(probs, Problem{CodeNameConstraint, fmt.Sprintf("%q: names cannot be checked against name constraints: %v", subject(c), err)})
			} else {
				if i == 0 {
					for _, q := range queried {
						names = append(names, queriedName(q))
					}
				}
				probs = append(probs, checkNames(c, names, sets, &budget)...)
			}
		}
		for _, e := range c.Extensions {
			if !e.Id.Equal(oidExtNameConstraints) {
				continue
			}
			if i == 0 {
				probs = append(probs, Problem{CodeNameConstraintsInLeaf, fmt.Sprintf("%q is the leaf and carries name constraints, which RFC 5280 4.2.1.10 allows in CA certificates only", subject(c))})
				continue
			}
			if !e.Critical {
				probs = append(probs, Problem{CodeExtensionCriticality, fmt.Sprintf("%q: nameConstraints is not critical (RFC 5280 4.2.1.10: MUST be critical)", subject(c))})
			}
			nc, err := parseNameConstraints(e.Value)
			if errors.Is(err, errNCLimit) {
				probs = append(probs, Problem{CodeNameConstraintsLimit, fmt.Sprintf("%q: nameConstraints: %v", subject(c), err)})
				continue
			}
			if err != nil {
				probs = append(probs, Problem{CodeNameConstraintsMalformed, fmt.Sprintf("%q: nameConstraints: %v", subject(c), err)})
				continue
			}
			nc.holder = c
			sets = append(sets, nc)
		}
	}
	return probs
}

// invalidDNSNames reports dNSName SANs of c that are not in preferred
// name syntax (RFC 5280 4.2.1.6), a wildcard leftmost label allowed.
func invalidDNSNames(c *x509.Certificate) []Problem {
	var probs []Problem
	for _, n := range c.DNSNames {
		if !validHostname(n, true) {
			probs = append(probs, Problem{CodeNameInvalid, fmt.Sprintf("%q: dNSName %q is not a hostname in preferred name syntax (RFC 5280 4.2.1.6)", subject(c), n)})
		}
	}
	return probs
}
