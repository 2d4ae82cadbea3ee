package pki

import (
	"bytes"
	"crypto/x509"
	"errors"
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
			if opts.At.Before(c.NotBefore) {
				add(CodeNotYetValid, "%q is not valid before %s", subject(c), c.NotBefore.UTC().Format(time.RFC3339))
			}
			if opts.At.After(c.NotAfter) {
				add(CodeExpired, "%q expired at %s", subject(c), c.NotAfter.UTC().Format(time.RFC3339))
			}
		}
		for _, oid := range c.UnhandledCriticalExtensions {
			if opts.IgnoreUnknownCritical || slices.ContainsFunc(opts.HandledCritical, oid.Equal) {
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
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
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
	if opts.Name != "" && !hasName(leaf, opts.Name) {
		add(CodeNameMismatch, "%q does not carry the name %q", subject(leaf), opts.Name)
	}
	if complete {
		for _, p := range nameConstraints(chain) {
			add(p.Code, "%s", p.Detail)
		}
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

// CodeNameConstraint reports a name that an issuer's name constraints
// exclude.
const CodeNameConstraint Code = "name.constraint_violation"

// nameConstraints delegates RFC 5280 name-constraint processing to
// crypto/x509, which implements it well, for the one path we chose. It runs
// only when some issuer carries constraints. Problems Verify would also find
// (validity, signatures, EKU) are reported by check itself, so only
// name-constraint errors are taken from it.
func nameConstraints(chain []*x509.Certificate) []Problem {
	constrained := false
	for _, c := range chain[1:] {
		if len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
			len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0 {
			constrained = true
		}
	}
	if !constrained {
		return nil
	}
	// Pick a time at which every certificate is valid so validity does
	// not mask the constraint result.
	at := chain[0].NotBefore
	for _, c := range chain {
		if c.NotBefore.After(at) {
			at = c.NotBefore
		}
	}
	clean := func(c *x509.Certificate) *x509.Certificate {
		cp := *c
		cp.UnhandledCriticalExtensions = nil
		return &cp
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(clean(chain[len(chain)-1]))
	for _, c := range chain[1 : len(chain)-1] {
		inters.AddCert(clean(c))
	}
	_, err := clean(chain[0]).Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inters, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.CANotAuthorizedForThisName {
		return []Problem{{CodeNameConstraint, inv.Error()}}
	}
	return nil
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
