package iotsec

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Device identity records. A device has one immutable onboarding identity
// (an IEEE 802.1AR IDevID or a Matter DAC, put there by its maker) and a
// history of operational certificates (LDevIDs) that its organisation's
// certificate authority issues over EST. The cryptography lives in
// internal/pki (the engine) and internal/identity (the service); these are the records the store keeps.

// AnchorKind says what a registered certificate vouches for.
type AnchorKind string

const (
	AnchorIDevIDRoot   AnchorKind = "idevid-root"  // a maker's root (or issuing CA) for IDevIDs
	AnchorMatterPAA    AnchorKind = "matter-paa"   // a Matter Product Attestation Authority
	AnchorIntermediate AnchorKind = "intermediate" // trusted only through a root; helps build paths
)

// AnchorKinds lists the anchor kinds.
func AnchorKinds() []AnchorKind {
	return []AnchorKind{AnchorIDevIDRoot, AnchorMatterPAA, AnchorIntermediate}
}

func (k AnchorKind) Valid() bool { return oneOf(k, AnchorKinds()) }

// TrustAnchor is a certificate an organisation trusts to vouch for the
// onboarding identities of devices: a manufacturer's IDevID root, a Matter
// PAA, or an intermediate between them and devices.
type TrustAnchor struct {
	ID          string     `json:"id"`
	OrgID       string     `json:"org_id"`
	Kind        AnchorKind `json:"kind"`
	Name        string     `json:"name"`
	Subject     string     `json:"subject"`
	Fingerprint string     `json:"fingerprint"` // SHA-256 of the DER, lower-case hex
	NotBefore   time.Time  `json:"not_before"`
	NotAfter    time.Time  `json:"not_after"`
	DER         []byte     `json:"-"`
	// CRL is the latest CRL the anchor's issuer published (DER), when one
	// was added; enrolment refuses IDevIDs it lists.
	CRL           []byte    `json:"-"`
	CRLNextUpdate time.Time `json:"crl_next_update,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
}

// Normalize trims and validates t.
func (t *TrustAnchor) Normalize() error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		t.Name = shortName(t.Subject)
	}
	if err := checkName("name", t.Name, 200); err != nil {
		return err
	}
	if !t.Kind.Valid() {
		return Invalid("kind", "must be one of %s", joinAny(AnchorKinds()))
	}
	if len(t.DER) == 0 {
		return Invalid("pem", "is required")
	}
	if err := checkValidity(t.NotBefore, t.NotAfter); err != nil {
		return err
	}
	return checkFingerprint("fingerprint", t.Fingerprint)
}

// CertAuthority is an organisation's certificate authority, which issues
// its devices' operational certificates. Its private key is stored sealed
// under a key-encryption key the store never sees.
type CertAuthority struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Label names the CA in URLs: /.well-known/est/LABEL/ and /pki/LABEL/.
	Label       string    `json:"label"`
	Subject     string    `json:"subject"`
	Algorithm   string    `json:"algorithm"`
	Fingerprint string    `json:"fingerprint"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	DER         []byte    `json:"-"`
	SealedKey   []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

var labelRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidLabel reports whether s can be a CA label: 1 to 63 lower-case
// letters, digits and inner hyphens, like a DNS label.
func ValidLabel(s string) bool { return labelRE.MatchString(s) }

// Normalize validates c.
func (c *CertAuthority) Normalize() error {
	c.Label = strings.ToLower(strings.TrimSpace(c.Label))
	if !ValidLabel(c.Label) {
		return Invalid("label", "must be 1 to 63 lower-case letters, digits and hyphens (not at either end)")
	}
	if err := checkName("subject", c.Subject, 500); err != nil {
		return err
	}
	if len(c.DER) == 0 || len(c.SealedKey) == 0 {
		return Invalid("certificate", "a CA needs its certificate and its sealed key")
	}
	if err := checkValidity(c.NotBefore, c.NotAfter); err != nil {
		return err
	}
	return checkFingerprint("fingerprint", c.Fingerprint)
}

// CertKind is the role of a device certificate.
type CertKind string

const (
	CertIDevID CertKind = "idevid" // onboarding identity from the maker (IDevID, Matter DAC); immutable
	CertLDevID CertKind = "ldevid" // operational certificate our CA issued
)

// CertStatus is where a certificate stands.
type CertStatus string

const (
	CertActive  CertStatus = "active"
	CertHold    CertStatus = "hold"    // suspended with the device; CRL reason certificateHold
	CertRevoked CertStatus = "revoked" // for good
)

// CertStatuses lists the statuses.
func CertStatuses() []CertStatus { return []CertStatus{CertActive, CertHold, CertRevoked} }

// RevocationReason is an RFC 5280 CRLReason, by its ASN.1 name.
type RevocationReason string

const (
	ReasonUnspecified          RevocationReason = "unspecified"
	ReasonKeyCompromise        RevocationReason = "keyCompromise"
	ReasonAffiliationChanged   RevocationReason = "affiliationChanged"
	ReasonSuperseded           RevocationReason = "superseded"
	ReasonCessationOfOperation RevocationReason = "cessationOfOperation"
	ReasonCertificateHold      RevocationReason = "certificateHold"
	ReasonPrivilegeWithdrawn   RevocationReason = "privilegeWithdrawn"
)

// RevocationReasons lists the reasons one may revoke with; certificateHold
// comes only from suspending the device.
func RevocationReasons() []RevocationReason {
	return []RevocationReason{ReasonUnspecified, ReasonKeyCompromise, ReasonAffiliationChanged, ReasonSuperseded,
		ReasonCessationOfOperation, ReasonPrivilegeWithdrawn}
}

func (r RevocationReason) Valid() bool { return oneOf(r, RevocationReasons()) }

// DeviceCert is one certificate in a device's identity history.
type DeviceCert struct {
	ID       string   `json:"id"`
	OrgID    string   `json:"org_id"`
	DeviceID string   `json:"device_id"`
	Kind     CertKind `json:"kind"`
	// Profile the onboarding identity is verified with: idevid or
	// matter-dac; x509 for LDevIDs.
	Profile        string           `json:"profile"`
	CAID           string           `json:"ca_id,omitempty"` // our CA, for LDevIDs
	Serial         string           `json:"serial"`          // upper-case hex
	Subject        string           `json:"subject"`
	Issuer         string           `json:"issuer"`
	Fingerprint    string           `json:"fingerprint"`     // SHA-256 of the DER
	KeyFingerprint string           `json:"key_fingerprint"` // SHA-256 of the SubjectPublicKeyInfo
	NotBefore      time.Time        `json:"not_before"`
	NotAfter       time.Time        `json:"not_after"`
	Status         CertStatus       `json:"status"`
	RevokedAt      time.Time        `json:"revoked_at,omitzero"`
	Reason         RevocationReason `json:"revocation_reason,omitempty"`
	// Via says how the certificate came: registered (an onboarding
	// identity), est-idevid, est-token, est-renew, api or cli.
	Via       string    `json:"via"`
	DER       []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// DeviceUID and DeviceState are the device's, read with the
	// certificate; empty once the device belongs to another organisation.
	DeviceUID   string `json:"device_uid,omitempty"`
	DeviceState State  `json:"device_state,omitempty"`
}

// Normalize validates c.
func (c *DeviceCert) Normalize() error {
	switch c.Kind {
	case CertIDevID:
		if c.Profile != "idevid" && c.Profile != "matter-dac" {
			return Invalid("profile", "an onboarding identity is verified as idevid or matter-dac")
		}
	case CertLDevID:
		if c.CAID == "" {
			return Invalid("ca_id", "an LDevID names the CA that issued it")
		}
		if c.Profile == "" {
			c.Profile = "x509"
		}
	default:
		return Invalid("kind", "must be idevid or ldevid")
	}
	if c.DeviceID == "" {
		return Invalid("device_id", "is required")
	}
	if len(c.DER) == 0 {
		return Invalid("pem", "is required")
	}
	if c.Serial == "" {
		return Invalid("serial", "is required")
	}
	if err := checkValidity(c.NotBefore, c.NotAfter); err != nil {
		return err
	}
	if c.Status == "" {
		c.Status = CertActive
	}
	if !oneOf(c.Status, CertStatuses()) {
		return Invalid("status", "must be one of %s", joinAny(CertStatuses()))
	}
	if err := checkFingerprint("fingerprint", c.Fingerprint); err != nil {
		return err
	}
	return checkFingerprint("key_fingerprint", c.KeyFingerprint)
}

// CertFilter selects certificates, ordered by ID (creation order) and paged
// by key like DeviceFilter.
type CertFilter struct {
	DeviceID string
	Kind     CertKind
	Status   CertStatus
	After    string
	Limit    int // 1..1000; 0 means 100
}

// CRL is a signed certificate revocation list of one CA.
type CRL struct {
	CAID   string `json:"ca_id"`
	Number int64  `json:"number"`
	// Version is the CA's revocation version the list reflects: every
	// revocation, hold or release bumps the CA's version, so a CRL older
	// than its CA is stale.
	Version    int64     `json:"version"`
	ThisUpdate time.Time `json:"this_update"`
	NextUpdate time.Time `json:"next_update"`
	DER        []byte    `json:"-"`
}

// CRLBasis is what a new CRL is made of, read in one transaction with the
// number it gets, so numbers grow with content.
type CRLBasis struct {
	Number  int64
	Version int64
	Revoked []DeviceCert // revoked and held certificates of the CA
}

// EnrolToken lets one device without an IDevID enrol once over EST. The
// secret is shown once; the store keeps its hash.
type EnrolToken struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	DeviceID  string    `json:"device_id"`
	Hash      []byte    `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Enrolment is an issued LDevID to record, with what it takes: the device
// must be in one of From, a one-time token is spent if one was used, and
// the device moves to To (recorded as a transition) if it is not there.
type Enrolment struct {
	DeviceID  string
	Cert      *DeviceCert
	TokenHash []byte
	From      []State
	To        State
}

// CredentialAction is what a lifecycle transition does to a device's
// operational certificates (internal/pki decides which).
type CredentialAction string

const (
	KeepCredentials    CredentialAction = "keep"
	HoldCredentials    CredentialAction = "hold"    // active -> hold
	ReleaseCredentials CredentialAction = "release" // hold -> active
	RevokeCredentials  CredentialAction = "revoke"  // active or hold -> revoked
)

// Transition events.
const (
	EventTransition  = "transition"
	EventEnrolment   = "enrolment"
	EventTransferOut = "transfer-out"
	EventTransferIn  = "transfer-in"
)

// Transition is one step in a device's life. The history is append-only:
// it outlives decommissioning, disposal and transfer to another owner.
type Transition struct {
	ID          string           `json:"id"`
	OrgID       string           `json:"org_id"`
	DeviceID    string           `json:"device_id"`
	Event       string           `json:"event"`
	From        State            `json:"from"`
	To          State            `json:"to"`
	Credentials CredentialAction `json:"credentials"`
	// RevokeReason is the reason LDevIDs are revoked with, when
	// Credentials is revoke.
	RevokeReason RevocationReason `json:"-"`
	Changed      int              `json:"certificates_changed"`
	// Evidence is what the operator supplies for decommissioning (a data
	// wipe record) or disposal (a recycler's certificate of destruction).
	Evidence string    `json:"evidence,omitempty"`
	Note     string    `json:"note,omitempty"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// Normalize trims and validates t.
func (t *Transition) Normalize() error {
	t.Evidence = strings.TrimSpace(t.Evidence)
	t.Note = strings.TrimSpace(t.Note)
	if !t.From.Valid() {
		return Invalid("from", "must be one of %s", joinAny(States()))
	}
	if !t.To.Valid() {
		return Invalid("to", "must be one of %s", joinAny(States()))
	}
	if t.Credentials == "" {
		t.Credentials = KeepCredentials
	}
	if !oneOf(t.Credentials, []CredentialAction{KeepCredentials, HoldCredentials, ReleaseCredentials, RevokeCredentials}) {
		return Invalid("credentials", "must be keep, hold, release or revoke")
	}
	if t.Credentials == RevokeCredentials && t.RevokeReason == "" {
		t.RevokeReason = ReasonCessationOfOperation
	}
	if len(t.Evidence) > 4000 {
		return Invalid("evidence", "is longer than 4000 characters")
	}
	if len(t.Note) > 1000 {
		return Invalid("note", "is longer than 1000 characters")
	}
	return nil
}

// Transfer is an offer to hand a device to another organisation (resale).
// The seller gets a one-time code; the buyer claims the device with it.
type Transfer struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	DeviceID  string    `json:"device_id"`
	Hash      []byte    `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// IdentityStore keeps trust anchors, the organisations' CAs, device
// certificates, enrolment tokens, lifecycle history and transfers.
//
// Methods without an Actor serve the public protocol endpoints (EST, CRL,
// OCSP), which find the organisation from what the request carries.
type IdentityStore interface {
	AddAnchor(ctx context.Context, a Actor, t *TrustAnchor) error
	GetAnchor(ctx context.Context, a Actor, id string) (TrustAnchor, error)
	ListAnchors(ctx context.Context, a Actor) ([]TrustAnchor, error)
	// SetAnchorCRL replaces the anchor's CRL; the caller has verified it.
	SetAnchorCRL(ctx context.Context, a Actor, id string, der []byte, nextUpdate time.Time) error
	DeleteAnchor(ctx context.Context, a Actor, id string) error

	// CreateCA stores the organisation's CA; ErrConflict if it has one or
	// the label is taken.
	CreateCA(ctx context.Context, a Actor, c *CertAuthority) error
	// GetCA returns the organisation's CA, ErrNotFound if it has none.
	GetCA(ctx context.Context, a Actor) (CertAuthority, error)
	CAByLabel(ctx context.Context, label string) (CertAuthority, error)
	ListCAs(ctx context.Context) ([]CertAuthority, error)

	// AddCertificate records an onboarding identity (ErrConflict if the
	// device has one: it is immutable) or an LDevID issued outside EST.
	AddCertificate(ctx context.Context, a Actor, c *DeviceCert) error
	GetCertificate(ctx context.Context, a Actor, id string) (DeviceCert, error)
	ListCertificates(ctx context.Context, a Actor, f CertFilter) ([]DeviceCert, error)
	// RevokeCertificate revokes an active or held certificate for good;
	// ErrConflict if it is revoked already.
	RevokeCertificate(ctx context.Context, a Actor, id string, reason RevocationReason) (DeviceCert, error)
	// CertificatesByFingerprint finds a certificate a device presents, in
	// every organisation.
	CertificatesByFingerprint(ctx context.Context, fingerprint string) ([]DeviceCert, error)
	// CertificateBySerial finds a certificate a CA issued, for OCSP.
	CertificateBySerial(ctx context.Context, caID, serial string) (DeviceCert, error)

	// PrepareCRL allocates the CA's next CRL number and reads what the CRL
	// lists (revoked and held certificates not expired at now), in one
	// transaction.
	PrepareCRL(ctx context.Context, caID string, now time.Time) (CRLBasis, error)
	SaveCRL(ctx context.Context, c CRL) error
	// LatestCRL returns the CA's newest CRL (ErrNotFound if none) and the
	// CA's current revocation version.
	LatestCRL(ctx context.Context, caID string) (CRL, int64, error)

	CreateEnrolToken(ctx context.Context, a Actor, t *EnrolToken) error
	ListEnrolTokens(ctx context.Context, a Actor, deviceID string) ([]EnrolToken, error)
	// EnrolTokenByHash finds an unused, unexpired token.
	EnrolTokenByHash(ctx context.Context, hash []byte, now time.Time) (EnrolToken, error)
	// RecordEnrolment stores an issued LDevID, spends the token and moves
	// the device, in one transaction. ErrConflict when the device is no
	// longer in a state that may enrol; ErrUnauthorized when the token was
	// spent meanwhile.
	RecordEnrolment(ctx context.Context, a Actor, e *Enrolment) error

	// TransitionDevice moves a device from t.From to t.To (ErrConflict if
	// it is no longer in t.From), applies t.Credentials to its LDevIDs and
	// records t, in one transaction. The caller has checked the move
	// against the lifecycle rules.
	TransitionDevice(ctx context.Context, a Actor, t *Transition) error
	// ListTransitions lists a device's history in this organisation, oldest
	// first.
	ListTransitions(ctx context.Context, a Actor, deviceID string) ([]Transition, error)

	// OfferTransfer records a transfer offer for a device.
	OfferTransfer(ctx context.Context, a Actor, t *Transfer) error
	// ClaimTransfer moves the offered device into the actor's organisation
	// as a device of productID, with its onboarding identity; its history
	// and the certificates the seller's CA issued stay with the seller. The
	// device must still be in one of the states allowed (ErrConflict).
	ClaimTransfer(ctx context.Context, a Actor, hash []byte, productID string, allowed []State, now time.Time) (Device, error)
}

// checkValidity validates a certificate's validity period.
func checkValidity(notBefore, notAfter time.Time) error {
	if notBefore.IsZero() || notAfter.IsZero() || notAfter.Before(notBefore) {
		return Invalid("pem", "the certificate's validity period is missing or ends before it starts")
	}
	return nil
}

// checkFingerprint validates a SHA-256 hex fingerprint.
func checkFingerprint(field, s string) error {
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return Invalid(field, "must be 64 lower-case hex digits")
	}
	return nil
}

// shortName is a certificate's common name, or its whole subject.
func shortName(subject string) string {
	for _, part := range strings.Split(subject, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok && v != "" {
			return v
		}
	}
	if len(subject) > 200 {
		return subject[:200]
	}
	return subject
}
