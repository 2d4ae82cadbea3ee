package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
)

// RFC 5280 rules that crypto/x509 does not check, applied by every
// profile to every certificate of the path (the trust anchor included,
// unless said otherwise). They are a strictness choice: RFC 5280 states
// most of them as requirements on conforming CAs ("MUST"), and a device
// PKI that breaks them is misconfigured; docs/identity.md lists them.
const (
	CodeExtensionCriticality Code = "extension.criticality"    // an extension marked critical where RFC 5280 forbids it, or not where it requires it
	CodeKeyIDMissing         Code = "extension.key_id_missing" // authorityKeyIdentifier or subjectKeyIdentifier missing where RFC 5280 requires it
	CodeExtensionEmpty       Code = "extension.empty"          // keyUsage asserting no bit, extKeyUsage listing no purpose
	CodeKeyUsageInconsistent Code = "key_usage.inconsistent"   // keyCertSign without basicConstraints cA=TRUE
	CodeLeafIsCA             Code = "leaf.is_ca"               // x509 profile: the leaf is a CA certificate
	CodeSerialNumber         Code = "cert.serial_number"       // serial number not positive or longer than 20 octets
	CodeEmptyName            Code = "cert.empty_name"          // empty issuer, or a CA with an empty subject
	CodePolicyUnsupported    Code = "policy.unsupported"       // a path requiring an explicit certificate policy, which we do not process
)

var (
	oidExtSKID             = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtEKU              = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtPolicyConstraint = asn1.ObjectIdentifier{2, 5, 29, 36}
)

var emptyName = []byte{0x30, 0}

// selfSigned: self-issued and verifiable with its own key.
func selfSigned(c *x509.Certificate) bool {
	return selfIssued(c) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// checkStructure applies the rules above to the path, leaf first.
func checkStructure(chain []*x509.Certificate, complete bool, opts Options) []Problem {
	var probs []Problem
	add := func(code Code, format string, a ...any) {
		probs = append(probs, Problem{Code: code, Detail: fmt.Sprintf(format, a...)})
	}
	for i, c := range chain {
		anchor := complete && i == len(chain)-1
		// 4.1.2.2: positive, at most 20 octets. Trust anchors are
		// trusted as configured, so old roots with serial 0 still work.
		if !anchor && (c.SerialNumber.Sign() <= 0 || len(c.SerialNumber.Bytes()) > 20 || len(c.SerialNumber.Bytes()) == 20 && c.SerialNumber.Bytes()[0]&0x80 != 0) {
			add(CodeSerialNumber, "%q: serial number %s is not a positive integer of at most 20 octets (RFC 5280 4.1.2.2)", subject(c), c.SerialNumber)
		}
		// 4.1.2.4: the issuer MUST be a non-empty name; 4.1.2.6: a
		// CA's subject MUST be non-empty.
		if bytes.Equal(c.RawIssuer, emptyName) {
			add(CodeEmptyName, "%q has an empty issuer name (RFC 5280 4.1.2.4)", subject(c))
		}
		if c.BasicConstraintsValid && c.IsCA && bytes.Equal(c.RawSubject, emptyName) {
			add(CodeEmptyName, "a CA certificate (serial %X) has an empty subject (RFC 5280 4.1.2.6)", c.SerialNumber)
		}
		if c.Version < 3 {
			continue // no extensions
		}
		_, kuPresent := extension(c, oidExtKeyUsage)
		if kuPresent && c.KeyUsage == 0 {
			add(CodeExtensionEmpty, "%q: keyUsage asserts no bit (RFC 5280 4.2.1.3: at least one MUST be set)", subject(c))
		}
		if c.KeyUsage&x509.KeyUsageCertSign != 0 && !(c.BasicConstraintsValid && c.IsCA) {
			add(CodeKeyUsageInconsistent, "%q: keyUsage asserts keyCertSign without basicConstraints cA=TRUE (RFC 5280 4.2.1.3)", subject(c))
		}
		if c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) && (!c.IsCA || kuPresent && c.KeyUsage&x509.KeyUsageCertSign == 0) {
			add(CodeKeyUsageInconsistent, "%q: pathLenConstraint without cA=TRUE and keyCertSign (RFC 5280 4.2.1.9)", subject(c))
		}
		for _, e := range c.Extensions {
			switch {
			case e.Id.Equal(oidExtEKU):
				if bytes.Equal(e.Value, emptyName) {
					add(CodeExtensionEmpty, "%q: extKeyUsage lists no purpose (RFC 5280 4.2.1.12: SIZE (1..MAX))", subject(c))
				}
			case e.Id.Equal(oidExtAKID) && e.Critical:
				add(CodeExtensionCriticality, "%q: authorityKeyIdentifier is critical (RFC 5280 4.2.1.1: MUST be non-critical)", subject(c))
			case e.Id.Equal(oidExtSKID) && e.Critical:
				add(CodeExtensionCriticality, "%q: subjectKeyIdentifier is critical (RFC 5280 4.2.1.2: MUST be non-critical)", subject(c))
			case e.Id.Equal(oidExtAIA) && e.Critical:
				add(CodeExtensionCriticality, "%q: authorityInfoAccess is critical (RFC 5280 4.2.2.1: MUST be non-critical)", subject(c))
			case e.Id.Equal(oidExtPolicyConstraint) && !e.Critical:
				add(CodeExtensionCriticality, "%q: policyConstraints is not critical (RFC 5280 4.2.1.11: MUST be critical)", subject(c))
			case e.Id.Equal(oidExtBasicConstraints) && !e.Critical && c.IsCA && i > 0:
				add(CodeExtensionCriticality, "%q: basicConstraints of an issuing CA is not critical (RFC 5280 4.2.1.9: MUST be critical)", subject(c))
			case e.Id.Equal(oidExtSAN) && !e.Critical && bytes.Equal(c.RawSubject, emptyName):
				add(CodeExtensionCriticality, "certificate serial %X has an empty subject and a non-critical subjectAltName (RFC 5280 4.2.1.6: MUST be critical)", c.SerialNumber)
			}
		}
		if bytes.Equal(c.RawSubject, emptyName) {
			if _, ok := extension(c, oidExtSAN); !ok {
				add(CodeEmptyName, "certificate serial %X has an empty subject and no subjectAltName (RFC 5280 4.1.2.6)", c.SerialNumber)
			}
		}
		// 4.2.1.1: every certificate but a self-signed one carries the
		// authorityKeyIdentifier (to find its issuer, so a trust anchor,
		// which ends the path, need not); 4.2.1.2: every CA certificate
		// the subjectKeyIdentifier.
		if !anchor && len(c.AuthorityKeyId) == 0 && !selfSigned(c) {
			add(CodeKeyIDMissing, "%q has no authorityKeyIdentifier and is not self-signed (RFC 5280 4.2.1.1)", subject(c))
		}
		if c.BasicConstraintsValid && c.IsCA && len(c.SubjectKeyId) == 0 {
			add(CodeKeyIDMissing, "CA %q has no subjectKeyIdentifier (RFC 5280 4.2.1.2)", subject(c))
		}
		if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
			add(CodePolicyUnsupported, "%q: policyConstraints requires an explicit certificate policy; iotsec does not process certificate policies, so it cannot accept the path", subject(c))
		}
		for _, p := range invalidDNSNames(c) {
			add(p.Code, "%s", p.Detail)
		}
	}
	leaf := chain[0]
	if (opts.Profile == "" || opts.Profile == ProfileX509) && !opts.allowCALeaf && leaf.BasicConstraintsValid && leaf.IsCA {
		add(CodeLeafIsCA, "%q is a CA certificate in the leaf position; the x509 profile verifies device (end-entity) certificates", subject(leaf))
	}
	return probs
}
