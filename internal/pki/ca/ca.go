// Package ca issues device certificates: one certificate authority per
// organisation, LDevIDs from CSRs, CRLs and OCSP responses. Private keys
// stay behind the Signer interface (a local key today, an HSM or KMS
// later) and are encrypted at rest with a key the caller supplies.
//
// ca is an engine: it must not import storage, the HTTP server or
// internal/iotsec. The OCSP responder is an http.Handler over a status
// lookup interface, so storage plugs in from outside.
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// Signer is a CA signing key. crypto.Signer is the whole contract, so a key
// in memory, a PKCS#11 token or a cloud KMS key fit alike; x509 and ocsp
// call Sign with the digest and hash they need.
type Signer interface {
	crypto.Signer
}

// Algorithm is a CA key algorithm.
type Algorithm string

// Algorithms a CA can use. ECDSA P-256 is the default: it is what device
// chips (secure elements, TPMs, Matter) support everywhere.
const (
	ECDSAP256 Algorithm = "ecdsa-p256"
	ECDSAP384 Algorithm = "ecdsa-p384"
	Ed25519   Algorithm = "ed25519"
)

// GenerateKey makes a new CA key from rand.
func GenerateKey(alg Algorithm, rand io.Reader) (Signer, error) {
	var k crypto.Signer
	var err error
	switch alg {
	case ECDSAP256, "":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case ECDSAP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand)
	default:
		return nil, fmt.Errorf("unknown key algorithm %q (want %s, %s or %s)", alg, ECDSAP256, ECDSAP384, Ed25519)
	}
	if err != nil {
		return nil, err
	}
	return &localSigner{k}, nil
}

// CA is a certificate authority: its certificate and the key behind it.
type CA struct {
	Cert   *x509.Certificate
	Signer Signer
	// Rand supplies serial numbers and signature randomness.
	Rand io.Reader
	// Now is the clock for validity periods.
	Now func() time.Time
}

// Config describes a new root CA.
type Config struct {
	Subject   pkix.Name
	Algorithm Algorithm     // default ECDSAP256
	Validity  time.Duration // default 20 years
	// MaxPathLen limits intermediates below the CA; 0 (the default)
	// means it issues only end-entity certificates.
	MaxPathLen int
	Rand       io.Reader
	Now        func() time.Time
}

// New creates a self-signed root CA with a fresh key.
func New(cfg Config) (*CA, error) {
	if cfg.Rand == nil || cfg.Now == nil {
		return nil, errors.New("new CA: Rand and Now must be set")
	}
	key, err := GenerateKey(cfg.Algorithm, cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	validity := cfg.Validity
	if validity == 0 {
		validity = 20 * 365 * 24 * time.Hour
	}
	serial, err := Serial(cfg.Rand)
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	skid, err := keyID(key.Public())
	if err != nil {
		return nil, fmt.Errorf("new CA: %w", err)
	}
	now := cfg.Now().UTC().Truncate(time.Second)
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               cfg.Subject,
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            cfg.MaxPathLen,
		MaxPathLenZero:        cfg.MaxPathLen == 0,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(cfg.Rand, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", cfg.Subject, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", cfg.Subject, err)
	}
	return &CA{Cert: cert, Signer: key, Rand: cfg.Rand, Now: cfg.Now}, nil
}

// Load makes a CA from its certificate and key, checking they belong
// together and that the certificate may issue.
func Load(cert *x509.Certificate, signer Signer, rand io.Reader, now func() time.Time) (*CA, error) {
	if !cert.IsCA || cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("load CA %q: certificate may not issue certificates", cert.Subject)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("load CA %q: key does not match certificate", cert.Subject)
	}
	return &CA{Cert: cert, Signer: signer, Rand: rand, Now: now}, nil
}

// Serial returns a random positive 128-bit serial number. Randomness, not a
// counter, keeps serials unique across replicas with no coordination
// (CA/Browser Forum baseline requirements ask for at least 64 bits).
func Serial(rand io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := io.ReadFull(rand, b); err != nil {
			return nil, fmt.Errorf("serial: %w", err)
		}
		if s := new(big.Int).SetBytes(b); s.Sign() > 0 {
			return s, nil
		}
	}
}

// keyID is the subject key identifier: the leftmost 160 bits of the
// SHA-256 of the subjectPublicKey (RFC 7093 method 1).
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// Errors of certificate issuance; EST maps them to HTTP statuses.
var (
	ErrProofOfPossession = errors.New("CSR signature does not verify (no proof of possession)")
	ErrWeakKey           = errors.New("public key type or size not accepted")
	ErrPolicy            = errors.New("request refused by subject policy")
)

// Policy decides whether a CSR may be issued and may adjust the
// certificate template (for example to set the subject to the registered
// device identity). A returned error refuses the request; wrap ErrPolicy.
type Policy func(csr *x509.CertificateRequest, tpl *x509.Certificate) error

// IssueOptions shape an LDevID issued from a CSR.
type IssueOptions struct {
	Validity time.Duration // default 1 year; capped at the CA's notAfter
	// ExtKeyUsage defaults to clientAuth: LDevIDs authenticate devices.
	ExtKeyUsage []x509.ExtKeyUsage
	Policy      Policy
	// CSRVerified says the caller has checked the CSR's signature already
	// (est.ParseCSR does), so Issue does not check it twice: a P-256
	// verification is a tenth of an enrolment's cost.
	CSRVerified bool
}

// Issue checks a CSR (signature as proof of possession, key strength,
// policy) and issues an end-entity certificate carrying its subject and
// subject alternative names.
func (ca *CA) Issue(csr *x509.CertificateRequest, opts IssueOptions) (*x509.Certificate, error) {
	if !opts.CSRVerified {
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("issue for %q: %w: %v", csr.Subject, ErrProofOfPossession, err)
		}
	}
	if err := checkKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("issue for %q: %w", csr.Subject, err)
	}
	serial, err := Serial(ca.Rand)
	if err != nil {
		return nil, fmt.Errorf("issue for %q: %w", csr.Subject, err)
	}
	skid, err := keyID(csr.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("issue for %q: %w", csr.Subject, err)
	}
	validity := opts.Validity
	if validity == 0 {
		validity = 365 * 24 * time.Hour
	}
	now := ca.Now().UTC().Truncate(time.Second)
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	eku := opts.ExtKeyUsage
	if eku == nil {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	ku := x509.KeyUsageDigitalSignature
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		ku |= x509.KeyUsageKeyEncipherment
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               csr.Subject,
		DNSNames:              csr.DNSNames,
		IPAddresses:           csr.IPAddresses,
		URIs:                  csr.URIs,
		EmailAddresses:        csr.EmailAddresses,
		NotBefore:             now,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              ku,
		ExtKeyUsage:           eku,
		SubjectKeyId:          skid,
	}
	if opts.Policy != nil {
		if err := opts.Policy(csr, tpl); err != nil {
			return nil, fmt.Errorf("issue for %q: %w", csr.Subject, err)
		}
	}
	// Whatever the policy did, the certificate stays an end entity for the
	// CSR's key.
	tpl.IsCA, tpl.BasicConstraintsValid, tpl.SerialNumber = false, true, serial
	der, err := x509.CreateCertificate(ca.Rand, tpl, ca.Cert, csr.PublicKey, ca.Signer)
	if err != nil {
		return nil, fmt.Errorf("issue for %q: %w", csr.Subject, err)
	}
	return x509.ParseCertificate(der)
}

// checkKey accepts the keys we issue for: ECDSA P-256/P-384/P-521,
// Ed25519 and RSA of at least 2048 bits with an odd exponent above 2^16,
// the same floor identity.Audit's weak-key rule applies.
func checkKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() || k.Curve == elliptic.P521() {
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrWeakKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA %d bits, want at least 2048", ErrWeakKey, k.N.BitLen())
		}
		if k.E <= 1<<16 || k.E%2 == 0 {
			return fmt.Errorf("%w: RSA exponent %d (must be odd and above 65536, FIPS 186-5)", ErrWeakKey, k.E)
		}
		return nil
	}
	return fmt.Errorf("%w: %T", ErrWeakKey, pub)
}

// Revocation is one revoked certificate for a CRL.
type Revocation struct {
	Serial *big.Int
	Time   time.Time
	Reason int // RFC 5280 CRLReason; 0 unspecified
}

// CRL signs a CRL listing revoked, valid from now for validity (the next
// regeneration should come well before that).
func (ca *CA) CRL(number *big.Int, revoked []Revocation, validity time.Duration) ([]byte, error) {
	now := ca.Now().UTC().Truncate(time.Second)
	tpl := &x509.RevocationList{Number: number, ThisUpdate: now, NextUpdate: now.Add(validity)}
	for _, r := range revoked {
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.Time.UTC(), ReasonCode: r.Reason})
	}
	der, err := x509.CreateRevocationList(ca.Rand, tpl, ca.Cert, ca.Signer)
	if err != nil {
		return nil, fmt.Errorf("CRL of %q: %w", ca.Cert.Subject, err)
	}
	return der, nil
}
