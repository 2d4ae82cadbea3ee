package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/iotsec/iotsec/internal/pki/matter"
)

// checkIDevID applies the IEEE 802.1AR DevID rules we enforce to the leaf.
// Long validity (notAfter 99991231235959Z, which 802.1AR recommends for
// IDevIDs with no defined expiry) is accepted as any other date.
func checkIDevID(leaf *x509.Certificate) []Problem {
	var probs []Problem
	if leaf.Subject.SerialNumber == "" {
		probs = append(probs, Problem{CodeIDevIDSerialMissing, fmt.Sprintf("%q has no subject serialNumber attribute (802.1AR 8.6)", subject(leaf))})
	}
	if leaf.BasicConstraintsValid && leaf.IsCA {
		probs = append(probs, Problem{CodeIDevIDLeafIsCA, fmt.Sprintf("%q is a CA certificate, a DevID must be an end-entity certificate", subject(leaf))})
	}
	// A DevID key authenticates the device (TLS, EAP-TLS, EST): when
	// keyUsage is present it must allow signatures.
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		probs = append(probs, Problem{CodeIDevIDKeyUsage, fmt.Sprintf("%q keyUsage %s lacks digitalSignature", subject(leaf), kuNames(leaf.KeyUsage))})
	}
	return probs
}

var (
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
)

func extension(c *x509.Certificate, oid asn1.ObjectIdentifier) (critical, present bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return e.Critical, true
		}
	}
	return false, false
}

// checkMatter applies the Matter device attestation certificate profile
// (Matter Core Specification 6.2.2, with the chip SDK's
// VerifyAttestationCertificateFormat and DefaultDACVerifier as the
// reference for details): roles DAC, PAI, PAA by position.
func checkMatter(chain []*x509.Certificate, complete bool, opts Options) []Problem {
	var probs []Problem
	add := func(code Code, format string, a ...any) {
		probs = append(probs, Problem{Code: code, Detail: fmt.Sprintf(format, a...)})
	}
	if complete && len(chain) != 3 {
		add(CodeMatterChainLength, "path has %d certificates, Matter wants DAC, PAI and PAA", len(chain))
	}
	// Roles by position: the leaf is the DAC, a trust anchor ending the
	// path is the PAA, anything between is a PAI (more than one is already
	// a chain-length problem).
	roleOf := func(i int) int {
		switch {
		case i == 0:
			return 0
		case complete && i == len(chain)-1:
			return 2
		}
		return 1
	}
	roles := []string{"DAC", "PAI", "PAA"}
	ids := make([]matter.IDs, len(chain))
	dac := chain[0]
	for idx, c := range chain {
		i := roleOf(idx)
		role := roles[i]
		if c.Version != 3 {
			add(CodeMatterVersion, "%s %q is version %d, want 3", role, subject(c), c.Version)
		}
		if c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
			add(CodeMatterSignatureAlg, "%s %q is signed with %v, want ECDSA-SHA256", role, subject(c), c.SignatureAlgorithm)
		}
		if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
			add(CodeMatterPublicKey, "%s %q key is not ECDSA P-256", role, subject(c))
		}
		bcCrit, bcPresent := extension(c, oidExtBasicConstraints)
		kuCrit, kuPresent := extension(c, oidExtKeyUsage)
		pathLen := -1 // absent
		if c.MaxPathLen > 0 || c.MaxPathLenZero {
			pathLen = c.MaxPathLen
		}
		switch {
		case !bcPresent:
			add(CodeMatterBasicConstraint, "%s %q has no basicConstraints", role, subject(c))
		case !bcCrit:
			add(CodeMatterBasicConstraint, "%s %q basicConstraints is not critical", role, subject(c))
		case i == 0 && (c.IsCA || pathLen != -1):
			add(CodeMatterBasicConstraint, "DAC %q basicConstraints must be cA=FALSE without pathLen (cA=%v, pathLen=%d)", subject(c), c.IsCA, pathLen)
		case i == 1 && (!c.IsCA || pathLen != 0):
			add(CodeMatterBasicConstraint, "PAI %q basicConstraints must be cA=TRUE, pathLen=0 (cA=%v, pathLen=%d)", subject(c), c.IsCA, pathLen)
		case i == 2 && (!c.IsCA || pathLen != -1 && pathLen != 1):
			add(CodeMatterBasicConstraint, "PAA %q basicConstraints must be cA=TRUE with pathLen absent or 1 (cA=%v, pathLen=%d)", subject(c), c.IsCA, pathLen)
		}
		caBits := x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		switch {
		case !kuPresent:
			add(CodeMatterKeyUsage, "%s %q has no keyUsage", role, subject(c))
		case !kuCrit:
			add(CodeMatterKeyUsage, "%s %q keyUsage is not critical", role, subject(c))
		case i == 0 && c.KeyUsage != x509.KeyUsageDigitalSignature:
			add(CodeMatterKeyUsage, "DAC %q keyUsage is %s, want digitalSignature only", subject(c), kuNames(c.KeyUsage))
		case i > 0 && (c.KeyUsage&caBits != caBits || c.KeyUsage&^(caBits|x509.KeyUsageDigitalSignature) != 0):
			add(CodeMatterKeyUsage, "%s %q keyUsage is %s, want keyCertSign and cRLSign (digitalSignature optional)", role, subject(c), kuNames(c.KeyUsage))
		}
		if len(c.SubjectKeyId) == 0 {
			add(CodeMatterKeyID, "%s %q has no subjectKeyIdentifier", role, subject(c))
		}
		if i < 2 && len(c.AuthorityKeyId) == 0 {
			add(CodeMatterKeyID, "%s %q has no authorityKeyIdentifier", role, subject(c))
		}
		var err error
		if ids[idx], err = matter.ParseIDs(c.Subject); err != nil {
			add(CodeMatterVIDPID, "%s %q: %v", role, subject(c), err)
		}
		if i > 0 && (dac.NotBefore.Before(c.NotBefore) || dac.NotBefore.After(c.NotAfter)) {
			add(CodeMatterIssuerValidity, "%s %q (valid %s to %s) was not valid when the DAC was issued (%s)", role, subject(c),
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), dac.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	d := ids[0]
	if !d.HasVID || !d.HasPID {
		add(CodeMatterVIDPID, "DAC %q must carry both a vendor ID and a product ID", subject(dac))
	}
	if len(chain) > 1 {
		p := ids[1]
		switch {
		case !p.HasVID:
			add(CodeMatterVIDPID, "PAI %q must carry a vendor ID", subject(chain[1]))
		case d.HasVID && p.VID != d.VID:
			add(CodeMatterVIDMismatch, "DAC vendor ID %04X differs from PAI vendor ID %04X", d.VID, p.VID)
		}
		if p.HasPID && d.HasPID && p.PID != d.PID {
			add(CodeMatterPIDMismatch, "DAC product ID %04X differs from PAI product ID %04X", d.PID, p.PID)
		}
	}
	if complete && len(chain) > 2 {
		a, p := ids[len(chain)-1], ids[len(chain)-2]
		if a.HasPID {
			add(CodeMatterVIDPID, "PAA %q must not carry a product ID", subject(chain[len(chain)-1]))
		}
		if a.HasVID && p.HasVID && a.VID != p.VID {
			add(CodeMatterVIDMismatch, "PAI vendor ID %04X differs from PAA vendor ID %04X", p.VID, a.VID)
		}
	}
	if m := opts.Matter; m != nil {
		if m.VendorID != 0 && d.HasVID && m.VendorID != d.VID {
			add(CodeMatterVIDMismatch, "DAC vendor ID %04X differs from the device's VendorID %04X", d.VID, m.VendorID)
		}
		if m.ProductID != 0 && d.HasPID && m.ProductID != d.PID {
			add(CodeMatterPIDMismatch, "DAC product ID %04X differs from the device's ProductID %04X", d.PID, m.ProductID)
		}
		probs = append(probs, checkRevocationSets(chain, m.RevocationSets)...)
		if m.CD != nil {
			probs = append(probs, checkDeclaration(chain, complete, ids, m)...)
		}
	}
	return probs
}

func checkDeclaration(chain []*x509.Certificate, complete bool, ids []matter.IDs, m *MatterOptions) []Problem {
	cd, err := matter.ParseDeclaration(m.CD, m.CDKeys)
	if err != nil {
		f, ok := err.(*matter.Failure)
		if !ok {
			f = &matter.Failure{Reason: "malformed", Detail: err.Error()}
		}
		return []Problem{{Code(CodeMatterCDPrefix + f.Reason), f.Detail}}
	}
	if !complete || len(chain) != 3 || !ids[0].HasVID || !ids[0].HasPID || !ids[1].HasVID {
		return nil // needs the whole chain and its IDs; those problems are reported already
	}
	vid, pid := m.VendorID, m.ProductID
	if vid == 0 {
		vid = ids[0].VID
	}
	if pid == 0 {
		pid = ids[0].PID
	}
	var probs []Problem
	for _, f := range cd.Check(matter.Device{VendorID: vid, ProductID: pid, DAC: ids[0], PAI: ids[1], PAAKeyID: chain[2].SubjectKeyId}) {
		probs = append(probs, Problem{Code(CodeMatterCDPrefix + f.Reason), f.Detail})
	}
	return probs
}

// checkRevocationSets applies Matter revocation sets: an entry names its
// issuer by DER subject and key ID, and lists revoked serial numbers.
func checkRevocationSets(chain []*x509.Certificate, sets []matter.RevocationSet) []Problem {
	var probs []Problem
	for _, c := range chain {
		for _, s := range sets {
			if !bytes.Equal(s.IssuerName, c.RawIssuer) || len(c.AuthorityKeyId) > 0 && !bytes.Equal(s.IssuerKeyID, c.AuthorityKeyId) {
				continue
			}
			if slices.ContainsFunc(s.Serials, func(n *big.Int) bool { return n.Cmp(c.SerialNumber) == 0 }) {
				probs = append(probs, Problem{CodeRevoked, fmt.Sprintf("%q (serial %X) is in the Matter revocation set of issuer key %X", subject(c), c.SerialNumber, s.IssuerKeyID)})
			}
		}
	}
	return probs
}
