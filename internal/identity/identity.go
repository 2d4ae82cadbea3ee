// Package identity is the device identity service, the identity capability's
// one service. It joins the device PKI engine (chain verification, the CA,
// the EST protocol, audits and lifecycle rules in internal/pki) to the store: it registers trust anchors and
// onboarding identities, runs each organisation's CA with its key sealed
// under a key-encryption key the store never sees, issues LDevIDs over EST
// and the API, revokes, publishes CRLs, answers OCSP, audits the registry
// and moves devices through their lifecycle.
//
// API, UI, CLI and the EST server all go through a Service, so every door
// applies the same rules. The engine's shapes the doors need (Profile,
// Result, State, Algorithm...) and its offline checks (VerifyDER) are
// re-exported in types.go, so no door imports internal/pki. The package imports the domain and the engines;
// it must not import storage, the server, api, ui, cli or app packages.
// net/http is used for the protocol endpoints only (EST, CRL, OCSP).
package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// Defaults of the Service's periods.
const (
	DefaultLDevIDValidity = 365 * 24 * time.Hour
	DefaultCAValidity     = 20 * 365 * 24 * time.Hour
	DefaultCRLValidity    = 7 * 24 * time.Hour
	DefaultOCSPValidity   = time.Hour
	DefaultTokenTTL       = 7 * 24 * time.Hour
	DefaultTransferTTL    = 14 * 24 * time.Hour
)

// Service is the device identity service over a store.
type Service struct {
	Store iotsec.Store
	// KEK is the key-encryption key of CA private keys (32 bytes). Without
	// it the service still verifies, lists and audits, but cannot create
	// a CA, sign certificates, CRLs or OCSP responses.
	KEK  []byte
	Now  func() time.Time
	Rand io.Reader
	Log  *slog.Logger
	// BaseURL, when set, is written into issued LDevIDs as their CRL
	// distribution point, OCSP responder and CA issuer URLs.
	BaseURL        string
	LDevIDValidity time.Duration
	CRLValidity    time.Duration
	OCSPValidity   time.Duration

	mu     sync.Mutex
	cas    map[string]*caEntry             // CA ID -> opened CA
	byOrg  map[string]iotsec.CertAuthority // organisation ID -> its CA (CAs never change)
	parsed map[string]*x509.Certificate    // SHA-256 of DER -> certificate
	server *serverCert
	// unopenable holds the IDs of CAs whose key did not open here, so the
	// periodic CRL refresh says so once, not every hour.
	unopenable sync.Map
}

// New returns a service with the default periods.
func New(store iotsec.Store, kek []byte, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, KEK: kek, Now: time.Now, Rand: rand.Reader, Log: log,
		LDevIDValidity: DefaultLDevIDValidity, CRLValidity: DefaultCRLValidity, OCSPValidity: DefaultOCSPValidity}
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}

// ErrNoKEK is returned by operations that need a CA's private key on a
// server without the key-encryption key.
var ErrNoKEK = iotsec.Conflict("this server has no CA key-encryption key: set IOTSEC_CA_KEY or --ca-key-file (iotsec ca keygen makes one)")

// caEntry is an organisation's CA, opened.
type caEntry struct {
	rec  iotsec.CertAuthority
	ca   *ca.CA
	ocsp *ca.Responder // nil for Ed25519 CAs
}

// open returns the CA of rec with its key unsealed, cached.
func (s *Service) open(rec iotsec.CertAuthority) (*caEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cas[rec.ID]; ok {
		return e, nil
	}
	if len(s.KEK) == 0 {
		return nil, ErrNoKEK
	}
	cert, err := x509.ParseCertificate(rec.DER)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", rec.Label, err)
	}
	signer, err := ca.OpenKey(rec.SealedKey, s.KEK, sealLabel(rec.OrgID, rec.Label))
	if err != nil {
		if errors.Is(err, ca.ErrKeyDecrypt) {
			return nil, &iotsec.Error{Kind: iotsec.ErrConflict, Err: err,
				Message: fmt.Sprintf("the key of CA %q does not open with this server's key-encryption key", rec.Label)}
		}
		return nil, fmt.Errorf("CA %s: %w", rec.Label, err)
	}
	c, err := ca.Load(cert, signer, s.rand(), s.now)
	if err != nil {
		return nil, err
	}
	e := &caEntry{rec: rec, ca: c}
	if r, err := ca.NewResponder(c, statusLookup{s, rec.ID}, s.OCSPValidity); err == nil {
		e.ocsp = r
	}
	if s.cas == nil {
		s.cas = map[string]*caEntry{}
	}
	s.cas[rec.ID] = e
	return e, nil
}

// caOf returns the actor's organisation's CA. A CA record never changes
// once made, so it is read from the store once per process.
func (s *Service) caOf(ctx context.Context, a iotsec.Actor) (iotsec.CertAuthority, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.CertAuthority{}, err
	}
	s.mu.Lock()
	rec, ok := s.byOrg[a.OrgID]
	s.mu.Unlock()
	if ok {
		return rec, nil
	}
	rec, err := s.Store.GetCA(ctx, a)
	if err != nil {
		return rec, err
	}
	s.mu.Lock()
	if s.byOrg == nil {
		s.byOrg = map[string]iotsec.CertAuthority{}
	}
	s.byOrg[a.OrgID] = rec
	s.mu.Unlock()
	return rec, nil
}

// sealLabel binds a sealed CA key to its organisation and label, so a key
// blob copied onto another CA's record does not open.
func sealLabel(orgID, label string) string { return orgID + "/" + label }

// parse returns the certificate of der, parsed once per process.
func (s *Service) parse(der []byte) (*x509.Certificate, error) {
	key := fingerprint(der)
	s.mu.Lock()
	c, ok := s.parsed[key]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.parsed == nil || len(s.parsed) > 100000 {
		s.parsed = map[string]*x509.Certificate{}
	}
	s.parsed[key] = c
	s.mu.Unlock()
	return c, nil
}

func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Fingerprint is the SHA-256 fingerprint iotsec records for a certificate.
func Fingerprint(c *x509.Certificate) string { return fingerprint(c.Raw) }

// serialHex is how serial numbers are stored and looked up.
func serialHex(n *big.Int) string { return strings.ToUpper(n.Text(16)) }

// record describes a certificate for the store.
func record(c *x509.Certificate, kind iotsec.CertKind, profile, via string) iotsec.DeviceCert {
	return iotsec.DeviceCert{Kind: kind, Profile: profile, Serial: serialHex(c.SerialNumber), Subject: c.Subject.String(),
		Issuer: c.Issuer.String(), Fingerprint: fingerprint(c.Raw), KeyFingerprint: fingerprint(c.RawSubjectPublicKeyInfo),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Via: via, DER: c.Raw}
}

// unarmour accepts what JSON and forms can carry: PEM as is, base64 of
// DER decoded, anything else as raw DER.
func unarmour(data []byte) []byte {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return data
	}
	clean := bytes.Join(bytes.Fields(data), nil)
	if b, err := base64.StdEncoding.DecodeString(string(clean)); err == nil && len(b) > 0 {
		return b
	}
	return data
}

// PEM encodes certificates.
func PEM(ders ...[]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}

// reasonCodes are the RFC 5280 CRLReason values.
var reasonCodes = map[iotsec.RevocationReason]int{
	iotsec.ReasonUnspecified: 0, iotsec.ReasonKeyCompromise: 1, iotsec.ReasonAffiliationChanged: 3, iotsec.ReasonSuperseded: 4,
	iotsec.ReasonCessationOfOperation: 5, iotsec.ReasonCertificateHold: 6, iotsec.ReasonPrivilegeWithdrawn: 9,
}

// ReasonCode returns the RFC 5280 CRLReason code of r.
func ReasonCode(r iotsec.RevocationReason) int { return reasonCodes[r] }

// allCerts reads every certificate of the actor's organisation matching f.
func (s *Service) allCerts(ctx context.Context, a iotsec.Actor, f iotsec.CertFilter) ([]iotsec.DeviceCert, error) {
	var out []iotsec.DeviceCert
	f.Limit = 1000
	for {
		page, err := s.Store.ListCertificates(ctx, a, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// anchorsOf returns the organisation's parsed trust anchors by kind, and
// the CRLs of those that have one.
func (s *Service) anchorsOf(ctx context.Context, a iotsec.Actor) (map[iotsec.AnchorKind][]*x509.Certificate, []*x509.RevocationList, error) {
	list, err := s.Store.ListAnchors(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	out := map[iotsec.AnchorKind][]*x509.Certificate{}
	var crls []*x509.RevocationList
	for _, t := range list {
		c, err := s.parse(t.DER)
		if err != nil {
			s.Log.Warn("stored trust anchor does not parse", "anchor", t.ID, "err", err)
			continue
		}
		out[t.Kind] = append(out[t.Kind], c)
		if len(t.CRL) > 0 {
			if rl, err := x509.ParseRevocationList(t.CRL); err == nil {
				crls = append(crls, rl)
			}
		}
	}
	return out, crls, nil
}

// rootsFor are the anchors a profile trusts: PAAs for Matter DACs,
// IDevID roots otherwise.
func rootsFor(profile pki.Profile, anchors map[iotsec.AnchorKind][]*x509.Certificate) []*x509.Certificate {
	if profile == pki.ProfileMatterDAC {
		return anchors[iotsec.AnchorMatterPAA]
	}
	return anchors[iotsec.AnchorIDevIDRoot]
}

// problems renders verification problems for an error message.
func problems(r pki.Result) string {
	var parts []string
	for _, p := range r.Problems {
		parts = append(parts, string(p.Code)+": "+p.Detail)
	}
	return strings.Join(parts, "; ")
}
