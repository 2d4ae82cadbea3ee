package pki

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"
)

// check applies the RFC 5280 rules, revocation and the profile to a path
// (leaf first). complete says whether the path ends at a trust anchor.
func check(chain []*x509.Certificate, complete bool, opts Options) []Problem {
	var probs []Problem
	add := func(code Code, format string, a ...any) {
		p := Problem{Code: code, Detail: fmt.Sprintf(format, a...)}
		if !slices.Contains(probs, p) {
			probs = append(probs, p)
		}
	}
	leaf := chain[0]
	matterProfile := opts.Profile == ProfileMatterDAC
	for i, c := range chain {
		anchor := complete && i == len(chain)-1
		// Matter judges PAI and PAA validity at the DAC's issuance
		// (checkMatter), not at verification time.
		if i == 0 || !matterProfile {
			// Validity times have one-second resolution and notAfter
			// includes its whole second (x509-limbo's
			// notafter-fractional), so At is compared by the second.
			if at := opts.At.Truncate(time.Second); at.Before(c.NotBefore) {
				add(CodeNotYetValid, "%q is not valid before %s", subject(c), c.NotBefore.UTC().Format(time.RFC3339))
			}
			if opts.At.Truncate(time.Second).After(c.NotAfter) {
				add(CodeExpired, "%q expired at %s", subject(c), c.NotAfter.UTC().Format(time.RFC3339))
			}
		}
		for _, oid := range c.UnhandledCriticalExtensions {
			// nameConstraints is processed here (nameConstraints), also
			// the forms crypto/x509 leaves unhandled.
			if opts.IgnoreUnknownCritical || slices.ContainsFunc(opts.HandledCritical, oid.Equal) || oid.Equal(oidExtNameConstraints) {
				continue
			}
			add(CodeUnknownCritical, "%q has unknown critical extension %v", subject(c), oid)
		}
		if len(opts.ExtKeyUsage) > 0 && (len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0) &&
			!slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
			for _, want := range opts.ExtKeyUsage {
				if !slices.Contains(c.ExtKeyUsage, want) {
					add(CodeExtKeyUsageMissing, "%q does not allow extended key usage %s", subject(c), ekuName(want))
				}
			}
		}
		if i == 0 {
			continue
		}
		// Version 1 trust anchors predate basicConstraints; accept them
		// as anchors, as crypto/x509 does.
		if (!anchor || c.Version == 3) && (!c.BasicConstraintsValid || !c.IsCA) {
			add(CodeNotCA, "issuer %q is not a CA (basicConstraints cA not TRUE)", subject(c))
		}
		// A keyUsage extension asserting no bit is not an absent one.
		if _, present := extension(c, oidExtKeyUsage); present && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			add(CodeCertSignMissing, "issuer %q keyUsage lacks keyCertSign", subject(c))
		}
		if c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
			below := 0
			for _, d := range chain[1:i] {
				if !selfIssued(d) {
					below++
				}
			}
			if below > c.MaxPathLen {
				add(CodePathLenExceeded, "%q allows %d intermediate(s) below it, path has %d", subject(c), c.MaxPathLen, below)
			}
		}
	}
	if opts.KeyUsage != 0 && leaf.KeyUsage&opts.KeyUsage != opts.KeyUsage {
		add(CodeKeyUsageMissing, "%q keyUsage %s lacks %s", subject(leaf), kuNames(leaf.KeyUsage), kuNames(opts.KeyUsage&^leaf.KeyUsage))
	}
	queried := opts.Names
	if opts.Name != "" {
		queried = append([]string{opts.Name}, queried...)
	}
	for _, n := range queried {
		if !hasName(leaf, n) {
			add(CodeNameMismatch, "%q does not carry the name %q", subject(leaf), n)
		}
	}
	// Every name checked above, however the leaf carried it (a SAN, or
	// the CN or serialNumber fallback), is also checked against the name
	// constraints, as its kind (nameKind).
	for _, p := range nameConstraints(chain, queried) {
		add(p.Code, "%s", p.Detail)
	}
	for _, p := range checkStructure(chain, complete, opts) {
		add(p.Code, "%s", p.Detail)
	}
	for _, p := range checkRevocation(chain, opts) {
		add(p.Code, "%s", p.Detail)
	}
	switch opts.Profile {
	case ProfileIDevID:
		for _, p := range checkIDevID(leaf) {
			add(p.Code, "%s", p.Detail)
		}
	case ProfileMatterDAC:
		for _, p := range checkMatter(chain, complete, opts) {
			add(p.Code, "%s", p.Detail)
		}
	}
	return probs
}

func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, c.RawIssuer) }

func hasName(c *x509.Certificate, name string) bool {
	if c.VerifyHostname(name) == nil {
		return true
	}
	for _, u := range c.URIs {
		if u.String() == name {
			return true
		}
	}
	for _, e := range c.EmailAddresses {
		if strings.EqualFold(e, name) {
			return true
		}
	}
	return c.Subject.SerialNumber == name || c.Subject.CommonName == name
}

var kuBits = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func kuNames(ku x509.KeyUsage) string {
	var names []string
	for _, b := range kuBits {
		if ku&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ",")
}

func ekuName(e x509.ExtKeyUsage) string {
	switch e {
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return fmt.Sprintf("EKU(%d)", e)
}
