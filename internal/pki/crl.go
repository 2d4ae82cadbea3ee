package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CodeCRLMalformed reports a CRL extension we could not read; CodeCRLNumber
// a CRL without a CRL number or with a critical one.
const (
	CodeCRLMalformed Code = "crl.malformed"
	CodeCRLNumber    Code = "crl.number"
)

func crlExtension(rl *x509.RevocationList, oid asn1.ObjectIdentifier) (critical, present bool) {
	for _, e := range rl.Extensions {
		if e.Id.Equal(oid) {
			return e.Critical, true
		}
	}
	return false, false
}

var (
	oidExtAKID          = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtCRLNumber     = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtIDP           = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidExtIssuerAltName = asn1.ObjectIdentifier{2, 5, 29, 18}
	oidExtFreshestCRL   = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidExtAIA           = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidExtDeltaCRL      = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidEntryReason      = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidEntryInvalidity  = asn1.ObjectIdentifier{2, 5, 29, 24}
	// OIDCertificateIssuer is the CRL entry extension of indirect CRLs
	// (RFC 5280 5.3.3) naming the issuer of the entries that follow.
	OIDCertificateIssuer = asn1.ObjectIdentifier{2, 5, 29, 29}
)

// crlScope is what the issuingDistributionPoint extension says a CRL
// covers (RFC 5280 5.2.5).
type crlScope struct {
	onlyUser, onlyCA, onlyAttr, someReasons, indirect bool
}

func parseIDP(rl *x509.RevocationList) (crlScope, error) {
	var s crlScope
	for _, e := range rl.Extensions {
		if !e.Id.Equal(oidExtIDP) {
			continue
		}
		in := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
			return s, fmt.Errorf("issuingDistributionPoint is not a SEQUENCE")
		}
		seq.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific())
		flag := func(tag int) (bool, error) {
			var v cryptobyte.String
			var present bool
			if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
				return false, fmt.Errorf("issuingDistributionPoint [%d] malformed", tag)
			}
			if !present {
				return false, nil
			}
			if len(v) != 1 {
				return false, fmt.Errorf("issuingDistributionPoint [%d] is not a BOOLEAN", tag)
			}
			return v[0] != 0, nil
		}
		var err error
		if s.onlyUser, err = flag(1); err != nil {
			return s, err
		}
		if s.onlyCA, err = flag(2); err != nil {
			return s, err
		}
		var reasons cryptobyte.String
		if !seq.ReadOptionalASN1(&reasons, &s.someReasons, cbasn1.Tag(3).ContextSpecific()) {
			return s, fmt.Errorf("issuingDistributionPoint onlySomeReasons malformed")
		}
		if s.indirect, err = flag(4); err != nil {
			return s, err
		}
		if s.onlyAttr, err = flag(5); err != nil {
			return s, err
		}
		if !seq.Empty() {
			return s, fmt.Errorf("issuingDistributionPoint has trailing data")
		}
	}
	return s, nil
}

// certificateIssuer returns the directoryName of a certificateIssuer entry
// extension as raw Name bytes, comparable with Certificate.RawIssuer.
func certificateIssuer(v []byte) ([]byte, error) {
	in := cryptobyte.String(v)
	var names cryptobyte.String
	if !in.ReadASN1(&names, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, fmt.Errorf("certificateIssuer is not GeneralNames")
	}
	for !names.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) {
			return nil, fmt.Errorf("certificateIssuer GeneralName malformed")
		}
		if tag == cbasn1.Tag(4).Constructed().ContextSpecific() {
			var name cryptobyte.String
			if !gn.ReadASN1Element(&name, cbasn1.SEQUENCE) {
				return nil, fmt.Errorf("certificateIssuer directoryName malformed")
			}
			return name, nil
		}
	}
	return nil, fmt.Errorf("certificateIssuer has no directoryName")
}

// crlEval caches what is known about one CRL during a verification.
type crlEval struct {
	rl       *x509.RevocationList
	scope    crlScope
	bad      bool              // unusable: malformed or unverifiable
	signer   *x509.Certificate // who signed it, once verified
	verified map[*x509.Certificate]error
}

// checkRevocation checks every certificate of the path that has its issuer
// in the path against the CRLs: direct CRLs signed by the issuer, and
// indirect CRLs (issuingDistributionPoint indirectCRL=TRUE) signed by a CRL
// signer that itself chains to a trust anchor with keyUsage cRLSign.
func checkRevocation(chain []*x509.Certificate, opts Options) []Problem {
	if len(opts.CRLs) == 0 && !opts.RequireCRL {
		return nil
	}
	var probs []Problem
	add := func(code Code, format string, a ...any) {
		p := Problem{Code: code, Detail: fmt.Sprintf(format, a...)}
		if !slices.Contains(probs, p) {
			probs = append(probs, p)
		}
	}
	evals := make([]*crlEval, len(opts.CRLs))
	for i, rl := range opts.CRLs {
		ev := &crlEval{rl: rl, verified: map[*x509.Certificate]error{}}
		evals[i] = ev
		var err error
		if ev.scope, err = parseIDP(rl); err != nil {
			add(CodeCRLMalformed, "CRL from %q: %v", rl.Issuer, err)
			ev.bad = true
			continue
		}
		// RFC 5280 5.2.3: conforming CRL issuers MUST include the CRL
		// number, and mark it non-critical. A CRL without one cannot be
		// ordered against others, so it is not used.
		if crit, present := crlExtension(rl, oidExtCRLNumber); !present {
			add(CodeCRLNumber, "CRL from %q has no CRL number (RFC 5280 5.2.3)", rl.Issuer)
			ev.bad = true
		} else if crit {
			add(CodeCRLNumber, "CRL from %q marks its CRL number critical (RFC 5280 5.2.3: MUST be non-critical)", rl.Issuer)
			ev.bad = true
		}
		for _, e := range rl.Extensions {
			if !e.Critical {
				continue
			}
			known := e.Id.Equal(oidExtIDP) || e.Id.Equal(oidExtAKID) || e.Id.Equal(oidExtCRLNumber) ||
				e.Id.Equal(oidExtIssuerAltName) || e.Id.Equal(oidExtFreshestCRL) || e.Id.Equal(oidExtAIA)
			if !known {
				what := e.Id.String()
				if e.Id.Equal(oidExtDeltaCRL) {
					what = "deltaCRLIndicator (delta CRLs are not supported)"
				}
				add(CodeCRLUnknownCrit, "CRL from %q has critical extension %s", rl.Issuer, what)
				ev.bad = true
			}
		}
	}
	// Each certificate is checked against its issuer in the path; the top
	// of an incomplete path has no known issuer and stays unchecked (the
	// path is already untrusted).
	for i := 0; i < len(chain)-1; i++ {
		c, issuer := chain[i], chain[i+1]
		covered := false
		for _, ev := range evals {
			if ev.bad {
				continue
			}
			rl := ev.rl
			direct := bytes.Equal(rl.RawIssuer, c.RawIssuer) && !ev.scope.indirect
			if direct {
				if len(rl.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(rl.AuthorityKeyId, issuer.SubjectKeyId) {
					continue // a CRL of another key of the same CA name
				}
				if err := ev.checkSigner(issuer); err != nil {
					add(CodeCRLSignature, "CRL from %q does not verify under %q: %v", rl.Issuer, subject(issuer), err)
					continue
				}
			} else if ev.scope.indirect {
				signer, p := ev.findIndirectSigner(chain, opts)
				if signer == nil {
					if p != nil {
						add(p.Code, "%s", p.Detail)
					}
					continue
				}
				// An indirect CRL covers the issuers its entries name,
				// and those that delegated CRL signing to its signer.
				if !bytes.Equal(signer.RawIssuer, c.RawIssuer) && !namesIssuer(rl, c.RawIssuer) {
					continue
				}
			} else {
				continue
			}
			if at := opts.At; at.Before(rl.ThisUpdate) {
				add(CodeCRLNotYetValid, "CRL from %q is not valid before %s", rl.Issuer, rl.ThisUpdate.UTC().Format(time.RFC3339))
			} else if !rl.NextUpdate.IsZero() && at.After(rl.NextUpdate) {
				add(CodeCRLExpired, "CRL from %q expired at %s (nextUpdate)", rl.Issuer, rl.NextUpdate.UTC().Format(time.RFC3339))
			}
			inScope := !(ev.scope.onlyAttr || ev.scope.onlyUser && c.IsCA || ev.scope.onlyCA && !c.IsCA)
			if !inScope {
				continue
			}
			if !ev.scope.someReasons {
				covered = true
			}
			entry, err := findEntry(rl, ev.scope.indirect, c)
			if err != nil {
				add(CodeCRLMalformed, "CRL from %q: %v", rl.Issuer, err)
				continue
			}
			if entry != nil && entry.ReasonCode != 8 { // 8: removeFromCRL
				add(CodeRevoked, "%q (serial %X) revoked at %s, reason %d, by CRL from %q",
					subject(c), c.SerialNumber, entry.RevocationTime.UTC().Format(time.RFC3339), entry.ReasonCode, rl.Issuer)
			}
		}
		if opts.RequireCRL && !covered {
			add(CodeRevocationUnknown, "no valid CRL covers %q (serial %X)", subject(c), c.SerialNumber)
		}
	}
	return probs
}

func (ev *crlEval) checkSigner(issuer *x509.Certificate) error {
	err, seen := ev.verified[issuer]
	if !seen {
		err = crlSignature(ev.rl, issuer)
		ev.verified[issuer] = err
	}
	return err
}

// findIndirectSigner finds the certificate that signed an indirect CRL
// among the path, intermediates and roots, and checks that it chains to a
// trust anchor and may sign CRLs.
func (ev *crlEval) findIndirectSigner(chain []*x509.Certificate, opts Options) (*x509.Certificate, *Problem) {
	if ev.signer != nil {
		return ev.signer, nil
	}
	rl := ev.rl
	var cands []*x509.Certificate
	for _, set := range [][]*x509.Certificate{chain, opts.Intermediates, opts.Roots} {
		for _, c := range set {
			if bytes.Equal(c.RawSubject, rl.RawIssuer) {
				cands = append(cands, c)
			}
		}
	}
	why := "no certificate with its issuer name was given"
	for _, c := range cands {
		if err := ev.checkSigner(c); err != nil {
			why = err.Error()
			continue
		}
		// The signer must itself be trusted; check it without CRLs so a
		// CRL cannot vouch for its own signer.
		sub := Options{Roots: opts.Roots, Intermediates: append(slices.Clone(chain), opts.Intermediates...), At: opts.At,
			KeyUsage: x509.KeyUsageCRLSign, HandledCritical: opts.HandledCritical, IgnoreUnknownCritical: opts.IgnoreUnknownCritical,
			allowCALeaf: true}
		if r := Verify(c, sub); !r.Valid {
			ev.bad = true
			return nil, &Problem{CodeCRLSignerUntrusted, fmt.Sprintf("indirect CRL signer %q is not trusted: %s", subject(c), r.Problems[0].Detail)}
		}
		ev.signer = c
		return c, nil
	}
	ev.bad = true
	return nil, &Problem{CodeCRLSignature, fmt.Sprintf("no given certificate verifies the indirect CRL from %q: %s", rl.Issuer, why)}
}

func namesIssuer(rl *x509.RevocationList, rawIssuer []byte) bool {
	for _, e := range rl.RevokedCertificateEntries {
		for _, x := range e.Extensions {
			if x.Id.Equal(OIDCertificateIssuer) {
				if n, err := certificateIssuer(x.Value); err == nil && bytes.Equal(n, rawIssuer) {
					return true
				}
			}
		}
	}
	return false
}

// findEntry returns the CRL entry for c, tracking the certificateIssuer
// entry extension through indirect CRLs: an entry without it has the same
// issuer as the entry before, and the first ones the CRL issuer.
func findEntry(rl *x509.RevocationList, indirect bool, c *x509.Certificate) (*x509.RevocationListEntry, error) {
	entryIssuer := rl.RawIssuer
	for i := range rl.RevokedCertificateEntries {
		e := &rl.RevokedCertificateEntries[i]
		for _, x := range e.Extensions {
			switch {
			case x.Id.Equal(OIDCertificateIssuer):
				if !indirect {
					return nil, fmt.Errorf("entry %d: certificateIssuer in a CRL not marked indirect", i)
				}
				n, err := certificateIssuer(x.Value)
				if err != nil {
					return nil, fmt.Errorf("entry %d: %w", i, err)
				}
				entryIssuer = n
			case x.Id.Equal(oidEntryReason), x.Id.Equal(oidEntryInvalidity):
			default:
				if x.Critical {
					return nil, fmt.Errorf("entry %d: unknown critical extension %v", i, x.Id)
				}
			}
		}
		if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 && bytes.Equal(entryIssuer, c.RawIssuer) {
			return e, nil
		}
	}
	return nil, nil
}

// crlSignature checks a CRL's signature under issuer. It does not use
// RevocationList.CheckSignatureFrom, which insists that the signer be a CA:
// RFC 5280 lets a non-CA CRL issuer sign indirect CRLs. keyUsage, when
// present, must allow cRLSign.
func crlSignature(rl *x509.RevocationList, issuer *x509.Certificate) error {
	if issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return fmt.Errorf("%q keyUsage lacks cRLSign", subject(issuer))
	}
	switch rl.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return x509.InsecureAlgorithmError(rl.SignatureAlgorithm)
	}
	return issuer.CheckSignature(rl.SignatureAlgorithm, rl.RawTBSRevocationList, rl.Signature)
}
