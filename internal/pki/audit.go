package pki

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is the role of a certificate in the registry.
type Kind string

// Certificate kinds.
const (
	KindIDevID Kind = "idevid" // manufacturer-installed onboarding identity (IDevID, Matter DAC)
	KindLDevID Kind = "ldevid" // operational certificate we issued
	KindCA     Kind = "ca"     // an issuing CA the registry knows
)

// Record is one certificate as the registry holds it.
type Record struct {
	DeviceID string // registry ID; empty for CA records
	Kind     Kind
	Cert     *x509.Certificate
	Revoked  bool
	State    State // the device's lifecycle state; empty for CA records
}

// RuleID names an audit rule. IDs are a stable contract.
type RuleID string

// Audit rules, after AWS IoT Device Defender's identity checks.
const (
	RuleSharedCertificate RuleID = "identity.shared-certificate"  // one certificate on several devices
	RuleSharedKey         RuleID = "identity.shared-key"          // one public key in several devices' certificates
	RuleWeakKey           RuleID = "identity.weak-key"            // RSA < 2048, EC < 224 bits, bad RSA exponent
	RuleExpiring          RuleID = "identity.expiring"            // expires within the window
	RuleExpired           RuleID = "identity.expired-in-use"      // expired, not revoked, device in service
	RuleRevokedIssuer     RuleID = "identity.revoked-issuer"      // revoked CA with unrevoked, unexpired leaves
	RuleRevokedInUse      RuleID = "identity.revoked-in-use"      // revoked LDevID on an operational device
	RuleCertificateAge    RuleID = "identity.certificate-age"     // LDevID older than the maximum age
	RuleDuplicateDeviceID RuleID = "identity.duplicate-device-id" // two IDevIDs for one device, or one hardware serial on two devices
	RuleIDevIDUntrusted   RuleID = "identity.idevid-untrusted"    // IDevID does not chain to a registered root
)

// Severity ranks findings for dashboards.
type Severity string

// Severities.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Finding is one audit result.
type Finding struct {
	Rule     RuleID   `json:"rule"`
	Severity Severity `json:"severity"`
	// Devices are the device IDs concerned, sorted.
	Devices []string `json:"devices"`
	// Certificate is the SHA-256 fingerprint (hex) of the certificate
	// concerned, or of the CA for revoked-issuer findings.
	Certificate string `json:"certificate"`
	Detail      string `json:"detail"`
}

// AuditOptions tune the audit; zero durations take the defaults.
type AuditOptions struct {
	At             time.Time
	ExpiringWithin time.Duration // default 30 days
	MaxAge         time.Duration // LDevID age limit, default 398 days
	// Roots are the registered manufacturer roots (IDevID, PAA) and
	// Intermediates any registered intermediates, for RuleIDevIDUntrusted.
	Roots, Intermediates []*x509.Certificate
}

// Audit runs every rule over the records and returns the findings in a
// stable order. It is a pure function of its inputs.
func Audit(records []Record, opts AuditOptions) []Finding {
	if opts.ExpiringWithin == 0 {
		opts.ExpiringWithin = 30 * 24 * time.Hour
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 398 * 24 * time.Hour
	}
	var out []Finding
	add := func(rule RuleID, sev Severity, c *x509.Certificate, devices []string, format string, a ...any) {
		d := slices.Compact(slices.Sorted(slices.Values(devices)))
		out = append(out, Finding{Rule: rule, Severity: sev, Devices: d, Certificate: fingerprint(c), Detail: fmt.Sprintf(format, a...)})
	}

	byCert := map[string][]Record{}
	byKey := map[string][]Record{}
	for _, r := range records {
		if r.Cert == nil || r.Kind == KindCA {
			continue
		}
		byCert[fingerprint(r.Cert)] = append(byCert[fingerprint(r.Cert)], r)
		k := keyFingerprint(r.Cert)
		byKey[k] = append(byKey[k], r)
	}
	for _, fp := range sortedKeys(byCert) {
		if devs := deviceIDs(byCert[fp]); len(devs) > 1 {
			c := byCert[fp][0].Cert
			add(RuleSharedCertificate, High, c, devs, "certificate %q (serial %X) is registered on %d devices", c.Subject, c.SerialNumber, len(devs))
		}
	}
	for _, k := range sortedKeys(byKey) {
		rs := byKey[k]
		devs := deviceIDs(rs)
		certs := map[string]bool{}
		for _, r := range rs {
			certs[fingerprint(r.Cert)] = true
		}
		// Several certificates for one key on one device is a renewal
		// without rekey; the same key on several devices is cloning.
		if len(devs) > 1 && len(certs) > 1 {
			add(RuleSharedKey, High, rs[0].Cert, devs, "one public key (SHA-256 %s) appears in %d certificates on %d devices", k[:16], len(certs), len(devs))
		}
	}

	for _, r := range records {
		if r.Cert == nil {
			continue
		}
		c := r.Cert
		devs := []string{r.DeviceID}
		if r.DeviceID == "" {
			devs = nil
		}
		if why := weakKey(c); why != "" {
			add(RuleWeakKey, High, c, devs, "%q: %s", c.Subject, why)
		}
		if !r.Revoked && opts.At.Before(c.NotAfter) && c.NotAfter.Sub(opts.At) <= opts.ExpiringWithin {
			add(RuleExpiring, Medium, c, devs, "%q expires %s, within %s", c.Subject, c.NotAfter.UTC().Format(time.RFC3339), opts.ExpiringWithin)
		}
		inService := r.State == Operational || r.State == Provisioned
		if !r.Revoked && opts.At.After(c.NotAfter) && inService && r.Kind == KindLDevID {
			add(RuleExpired, Medium, c, devs, "%q expired %s on a device that is %s", c.Subject, c.NotAfter.UTC().Format(time.RFC3339), r.State)
		}
		if r.Revoked && r.Kind == KindLDevID && r.State == Operational {
			add(RuleRevokedInUse, High, c, devs, "%q is revoked but the device is operational", c.Subject)
		}
		if r.Kind == KindLDevID && !r.Revoked && opts.At.Sub(c.NotBefore) > opts.MaxAge {
			add(RuleCertificateAge, Low, c, devs, "%q was issued %s, more than %s ago", c.Subject, c.NotBefore.UTC().Format(time.RFC3339), opts.MaxAge)
		}
	}

	// Revoked issuers with leaves still in use.
	for _, ca := range records {
		if ca.Kind != KindCA || !ca.Revoked || ca.Cert == nil {
			continue
		}
		var devs []string
		for _, r := range records {
			if r.Kind == KindCA || r.Revoked || r.Cert == nil || opts.At.After(r.Cert.NotAfter) {
				continue
			}
			if issuedBy(r.Cert, ca.Cert) {
				devs = append(devs, r.DeviceID)
			}
		}
		if len(devs) > 0 {
			add(RuleRevokedIssuer, High, ca.Cert, devs, "CA %q is revoked but %d certificate(s) it issued are still active", ca.Cert.Subject, len(devs))
		}
	}

	// Duplicate device identities.
	idevByDevice := map[string][]Record{}
	deviceBySerial := map[string][]string{}
	for _, r := range records {
		if r.Kind != KindIDevID || r.Cert == nil {
			continue
		}
		idevByDevice[r.DeviceID] = append(idevByDevice[r.DeviceID], r)
		if s := r.Cert.Subject.SerialNumber; s != "" {
			key := string(r.Cert.RawIssuer) + "\x00" + s
			deviceBySerial[key] = append(deviceBySerial[key], r.DeviceID)
		}
	}
	for _, id := range sortedKeys(idevByDevice) {
		certs := map[string]bool{}
		for _, r := range idevByDevice[id] {
			certs[fingerprint(r.Cert)] = true
		}
		if len(certs) > 1 {
			add(RuleDuplicateDeviceID, High, idevByDevice[id][0].Cert, []string{id}, "device %q has %d different IDevIDs", id, len(certs))
		}
	}
	for _, k := range sortedKeys(deviceBySerial) {
		devs := slices.Compact(slices.Sorted(slices.Values(deviceBySerial[k])))
		if len(devs) > 1 {
			serial := k[strings.IndexByte(k, 0)+1:]
			add(RuleDuplicateDeviceID, High, nil, devs, "hardware serial %q from one manufacturer is registered as %d devices", serial, len(devs))
		}
	}

	// IDevIDs that do not chain to a registered root.
	for _, r := range records {
		if r.Kind != KindIDevID || r.Cert == nil {
			continue
		}
		res := Verify(r.Cert, Options{Roots: opts.Roots, Intermediates: opts.Intermediates, At: opts.At, IgnoreUnknownCritical: true})
		for _, p := range res.Problems {
			if p.Code == CodeChainUntrusted || p.Code == CodeSignatureInvalid || p.Code == CodeSignatureInsecure {
				add(RuleIDevIDUntrusted, High, r.Cert, []string{r.DeviceID}, "%s", p.Detail)
				break
			}
		}
	}

	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(strings.Join(a.Devices, ","), strings.Join(b.Devices, ",")),
			cmp.Compare(a.Certificate, b.Certificate), cmp.Compare(a.Detail, b.Detail))
	})
	return out
}

func fingerprint(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func keyFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

func deviceIDs(rs []Record) []string {
	var out []string
	for _, r := range rs {
		if r.DeviceID != "" && !slices.Contains(out, r.DeviceID) {
			out = append(out, r.DeviceID)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func issuedBy(c, ca *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, ca.RawSubject) {
		return false
	}
	if len(c.AuthorityKeyId) > 0 && len(ca.SubjectKeyId) > 0 {
		return bytes.Equal(c.AuthorityKeyId, ca.SubjectKeyId)
	}
	return c.CheckSignatureFrom(ca) == nil
}

// weakKey names what is weak about a certificate's key, or "". Thresholds:
// RSA below 2048 bits and EC below 224 bits fall short of NIST SP 800-57
// part 1's 112-bit security floor; an RSA exponent must be odd and above
// 2^16 (FIPS 186-5, appendix A.1.1).
func weakKey(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("RSA key of %d bits (minimum 2048)", n)
		}
		if k.E%2 == 0 || k.E <= 1<<16 {
			return fmt.Sprintf("RSA public exponent %d (must be odd and above 65536)", k.E)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 224 {
			return fmt.Sprintf("EC key of %d bits (minimum 224)", n)
		}
	case ed25519.PublicKey:
	default:
		return fmt.Sprintf("unsupported key type %T", k)
	}
	return ""
}
