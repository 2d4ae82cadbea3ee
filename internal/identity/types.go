package identity

import (
	"context"
	"crypto/x509"

	"github.com/iotsec/iotsec/internal/iotsec"

	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// The shapes and offline checks of the device PKI engine that the doors
// (API, UI, CLI) need. They are aliases and thin delegates, so the
// service's methods take and return them unchanged while the doors import
// only this service, never internal/pki (docs/architecture.md, import
// rules).
type (
	// Profile selects the rules applied on top of RFC 5280 path
	// validation (x509, idevid, matter-dac).
	Profile = pki.Profile
	// Result is a chain verification's verdict with its problems.
	Result = pki.Result
	// VerifyOptions are the inputs of VerifyDER besides the chain.
	VerifyOptions = pki.Options
	// State is a device's lifecycle state as the lifecycle rules see it.
	State = pki.State
	// Algorithm is a CA's key algorithm.
	Algorithm = ca.Algorithm
	// VerifyInput is the unparsed files of `identity verify`
	// (VerifyFiles), InputFile one of them.
	VerifyInput = pki.Input
	InputFile   = pki.File
	// MatterOptions are the commissioner-side inputs of Matter
	// attestation (device VID/PID, Certification Declaration).
	MatterOptions = pki.MatterOptions
)

// CA key algorithms.
const (
	ECDSAP256 = ca.ECDSAP256
	ECDSAP384 = ca.ECDSAP384
	Ed25519   = ca.Ed25519 // no OCSP responder: golang.org/x/crypto/ocsp cannot sign with it
)

// Algorithms lists the CA key algorithms, the default first.
func Algorithms() []Algorithm { return []Algorithm{ECDSAP256, ECDSAP384, Ed25519} }

// MaxBundleSize bounds a PEM or DER bundle of certificates or CRLs read
// from a file or a request.
const MaxBundleSize = pki.MaxBundleSize

// NeedsEvidence reports whether moving a device to next must carry
// evidence (decommissioning, disposal).
func NeedsEvidence(next State) bool { return pki.NeedsEvidence(next) }

// ParseProfile reads a --profile value; empty means x509.
func ParseProfile(s string) (Profile, error) { return pki.ParseProfile(s) }

// ParseCertificates reads certificates from PEM or one DER certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	return pki.ParseCertificates(data)
}

// ParseCertificatesDER is ParseCertificates without parsing: the DER of
// each certificate, for VerifyDER, which reports unparsable ones itself.
func ParseCertificatesDER(data []byte) ([][]byte, error) { return pki.ParseCertificatesDER(data) }

// ParseCRLs reads CRLs from PEM or one DER CRL.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) { return pki.ParseCRLs(data) }

// VerifyDER verifies a chain (leaf first) offline, with no store.
func VerifyDER(der [][]byte, opts VerifyOptions) Result { return pki.VerifyDER(der, opts) }

// VerifyFiles parses the files of in and verifies the chain offline, with
// no store: what `iotsec identity verify` runs. Whatever the files hold,
// the answer is a Result; unusable content is a problem in it.
func VerifyFiles(in VerifyInput, opts VerifyOptions) Result { return pki.VerifyInput(in, opts) }

// ParseExtKeyUsage reads an extended key usage name (serverAuth,
// clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning).
func ParseExtKeyUsage(s string) (x509.ExtKeyUsage, bool) { return pki.ParseExtKeyUsage(s) }

// Counts are the figures of the identity home page.
type Counts struct {
	// Certificates counts certificates by kind and status, keyed
	// "kind-status" (ldevid-hold, idevid-active, ...).
	Certificates map[string]int
	// SuspendedDevices is the organisation's devices in the suspended
	// lifecycle state: the overview's figure. Their operational
	// certificates are on hold only when they were suspended through
	// the identity lifecycle, so it may differ from ldevid-hold.
	SuspendedDevices int
}

// Counts counts the organisation's certificates by kind and status and
// its suspended devices.
func (s *Service) Counts(ctx context.Context, a iotsec.Actor) (Counts, error) {
	out := Counts{Certificates: map[string]int{}}
	f := iotsec.CertFilter{Limit: 1000}
	for {
		page, err := s.Store.ListCertificates(ctx, a, f)
		if err != nil {
			return Counts{}, err
		}
		for _, c := range page {
			out.Certificates[string(c.Kind)+"-"+string(c.Status)]++
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	o, err := s.Store.Overview(ctx, a, iotsec.DateOf(s.Now()))
	if err != nil {
		return Counts{}, err
	}
	out.SuspendedDevices = o.DevicesByState[iotsec.StateSuspended]
	return out, nil
}
