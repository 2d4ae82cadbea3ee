package iotsec

import (
	"context"
	"strings"
	"time"
)

// The registry of certified products. A maker applies for a certification
// of one firmware version of one product under a scheme (and level); the
// organisation that owns the scheme, or one it delegated to (a lab),
// grants, suspends, clears and revokes it. Every status change of a record
// that is or was public goes into one public, append-only transparency log
// (a Merkle tree, computed by internal/translog; the store only keeps its
// leaves and hashes). The signed label (internal/label) is the record's
// current statement; these are the records the store keeps.

// RecordStatus is where a certification record stands.
type RecordStatus string

const (
	StatusApplied     RecordStatus = "applied"      // the maker asked; nothing granted yet
	StatusCertified   RecordStatus = "certified"    // granted and valid
	StatusSuspended   RecordStatus = "suspended"    // not valid for now; may be reinstated
	StatusUnderReview RecordStatus = "under-review" // market surveillance found a reason to look again
	StatusExpired     RecordStatus = "expired"      // the validity period ended; may be renewed
	StatusRevoked     RecordStatus = "revoked"      // for good (from applied: refused)
	StatusWithdrawn   RecordStatus = "withdrawn"    // the maker gave it up, for good
)

// RecordStatuses lists the statuses in the order of a record's life.
func RecordStatuses() []RecordStatus {
	return []RecordStatus{StatusApplied, StatusCertified, StatusSuspended, StatusUnderReview, StatusExpired, StatusRevoked, StatusWithdrawn}
}

func (s RecordStatus) Valid() bool { return oneOf(s, RecordStatuses()) }

// Terminal reports whether no move leaves s.
func (s RecordStatus) Terminal() bool { return len(recordMoves[s]) == 0 }

// recordMoves are the allowed status changes. Revoked and withdrawn are
// terminal; expired comes back only by renewal (a new grant). Certified to
// certified is a renewal before the end (a new period continuing the old
// one); under review and suspended records expire like certified ones.
var recordMoves = map[RecordStatus][]RecordStatus{
	StatusApplied:     {StatusCertified, StatusWithdrawn, StatusRevoked},
	StatusCertified:   {StatusCertified, StatusSuspended, StatusUnderReview, StatusExpired, StatusRevoked, StatusWithdrawn},
	StatusUnderReview: {StatusCertified, StatusSuspended, StatusRevoked, StatusWithdrawn, StatusExpired},
	StatusSuspended:   {StatusCertified, StatusRevoked, StatusWithdrawn, StatusExpired},
	StatusExpired:     {StatusCertified},
}

// CanMove reports whether a record may go from one status to another.
func CanMove(from, to RecordStatus) bool { return oneOf(to, recordMoves[from]) }

// Moves lists the statuses a record may go to from s.
func Moves(s RecordStatus) []RecordStatus { return append([]RecordStatus(nil), recordMoves[s]...) }

// Side is which party makes a move.
type Side string

const (
	SideMaker     Side = "maker"     // the organisation whose product it is (PermWriteProducts)
	SideAuthority Side = "authority" // the scheme's owner or a delegate of it (PermCertify)
)

// MoveSide says who may move a record to status to: the maker withdraws;
// everything else (grant, refuse, suspend, review, clear, expire, revoke)
// is the authority's.
func MoveSide(to RecordStatus) Side {
	if to == StatusWithdrawn {
		return SideMaker
	}
	return SideAuthority
}

// IsGrant reports whether a move grants the certification anew (a first
// grant, a renewal after expiry or before it), as opposed to reinstating
// or clearing one.
func IsGrant(from, to RecordStatus) bool {
	return to == StatusCertified && (from == StatusApplied || from == StatusExpired || from == StatusCertified)
}

// Certification is one record of the registry: a maker's firmware version
// of a product under a scheme and level, granted (or not) by the scheme's
// authority.
type Certification struct {
	ID         string `json:"id"`
	OrgID      string `json:"org_id"` // the maker
	ProductID  string `json:"product_id"`
	FirmwareID string `json:"firmware_id"`
	Scheme     string `json:"scheme"` // catalog slug
	Level      string `json:"level"`  // may be empty
	// AuthorityOrgID is the organisation that owns the scheme and in whose
	// name the record is granted (by itself or a delegate).
	AuthorityOrgID string       `json:"authority_org_id"`
	LabOrgID       string       `json:"lab_org_id,omitempty"` // who tested, when known
	Status         RecordStatus `json:"status"`
	// LabelID names the record publicly (/l/LABEL-ID): random, not
	// guessable, URL-safe. It never changes.
	LabelID    string    `json:"label_id"`
	ValidFrom  Date      `json:"valid_from"`
	ValidUntil Date      `json:"valid_until"`
	AppliedAt  time.Time `json:"applied_at"`
	// GrantedAt is the time of the latest grant or renewal; zero while the
	// record was never granted, and then nothing of it is public.
	GrantedAt time.Time `json:"granted_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at"`
	// Reasons say why the record is under review or suspended (a KEV
	// entry matched, a provision now failing); cleared on certification.
	Reasons []string `json:"reasons"`
	// Label is the signed JWS of the current label, when one was issued.
	Label string `json:"label,omitempty"`
	// RenewalRequestedAt is when the maker applied for renewal (zero when
	// it did not, or the renewal was granted since).
	RenewalRequestedAt time.Time `json:"renewal_requested_at,omitzero"`
}

// Public reports whether the record was ever granted: only then is it on
// the public page and in the transparency log.
func (c Certification) Public() bool { return !c.GrantedAt.IsZero() }

// Normalize trims and validates what a maker's application holds.
func (c *Certification) Normalize() error {
	c.Scheme = strings.TrimSpace(c.Scheme)
	c.Level = strings.TrimSpace(c.Level)
	if err := checkName("scheme", c.Scheme, 100); err != nil {
		return err
	}
	if err := checkOptional("level", c.Level, 100); err != nil {
		return err
	}
	if c.FirmwareID == "" {
		return Invalid("firmware_id", "is required")
	}
	if c.AuthorityOrgID == "" {
		return Invalid("authority_org_id", "is required")
	}
	return c.check()
}

// check validates what moves may change.
func (c *Certification) check() error {
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.ValidFrom) {
		return Invalid("valid_until", "is before valid_from")
	}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	if len(c.Reasons) > 100 {
		return Invalid("reasons", "more than 100 reasons")
	}
	for i, r := range c.Reasons {
		c.Reasons[i] = strings.TrimSpace(r)
		if err := checkName("reasons", c.Reasons[i], 1000); err != nil {
			return err
		}
	}
	if len(c.Label) > 64<<10 {
		return Invalid("label", "is longer than 64 KiB")
	}
	return nil
}

// CheckMove validates a record as a move leaves it.
func (c *Certification) CheckMove() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.Status == StatusCertified && (c.ValidFrom.IsZero() || c.ValidUntil.IsZero()) {
		return Invalid("valid_until", "a certified record needs its validity period")
	}
	return nil
}

// CertificationEvent is one status change in a record's history. The
// history is append-only. LogIndex is the entry the change has in the
// transparency log, or -1 when it is not logged (an application, and
// moves of a record that was never granted).
type CertificationEvent struct {
	ID              string       `json:"id"`
	CertificationID string       `json:"certification_id"`
	From            RecordStatus `json:"from"` // empty for the application
	To              RecordStatus `json:"to"`
	Reason          string       `json:"reason"`
	Actor           string       `json:"actor"`        // the actor's audit name
	ActorOrgID      string       `json:"actor_org_id"` // the maker, the authority or its delegate
	At              time.Time    `json:"at"`
	LogIndex        int64        `json:"log_index"`
}

// CertificationFilter selects records, newest first, paged by ID.
type CertificationFilter struct {
	// AsAuthority lists the records the organisation grants (as the
	// scheme's owner or a delegate) instead of its own as a maker.
	AsAuthority bool
	Status      RecordStatus
	Scheme      string
	ProductID   string
	FirmwareID  string
	LabelID     string
	// Granted keeps only records that were ever granted (those with a
	// public label).
	Granted bool
	Before  string // only IDs below this one
	Limit   int    // 1..1000; 0 means 100
}

// DueCertification is a record whose period or support ended, with the
// support end of its firmware version.
type DueCertification struct {
	Certification
	SupportEnd Date `json:"support_end"`
}

// PublicCertification is what anyone may read of a granted record, found
// by its label ID: names and dates, no internal IDs.
type PublicCertification struct {
	LabelID         string       `json:"label_id"`
	Status          RecordStatus `json:"status"`
	Scheme          string       `json:"scheme"`
	Level           string       `json:"level"`
	Maker           string       `json:"maker"`
	MakerCountry    string       `json:"maker_country"`
	Product         string       `json:"product"`
	Model           string       `json:"model_number"`
	ProductClass    ProductClass `json:"product_class"`
	FirmwareVersion string       `json:"firmware_version"`
	SupportEnd      Date         `json:"support_end"`
	Authority       string       `json:"authority"`
	Lab             string       `json:"lab,omitempty"`
	ValidFrom       Date         `json:"valid_from"`
	ValidUntil      Date         `json:"valid_until"`
	GrantedAt       time.Time    `json:"granted_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	Label           string       `json:"label,omitempty"`
	// UpdateDelivery and SecurityContact are the product's (CTA-2120
	// consumer fields); SBOM says an SBOM of the firmware version is kept.
	UpdateDelivery  string `json:"update_delivery,omitempty"`
	SecurityContact string `json:"security_contact,omitempty"`
	SBOM            bool   `json:"sbom"`
	// Reasons are why the record is under review or suspended.
	Reasons []string `json:"reasons"`
}

// OperatorRole is how an organisation operates a scheme.
type OperatorRole string

const (
	OperatorOwner    OperatorRole = "owner"    // owns the scheme; records are granted in its name
	OperatorDelegate OperatorRole = "delegate" // grants for the owner (e.g. an approved lab)
)

// SchemeOperator says that an organisation grants certifications of a
// scheme: its one owner, or a delegate of the owner.
type SchemeOperator struct {
	OrgID       string       `json:"org_id"`
	Scheme      string       `json:"scheme"`
	Role        OperatorRole `json:"role"`
	DelegatedBy string       `json:"delegated_by,omitempty"` // the owner, for a delegate
	CreatedBy   string       `json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
}

// Normalize validates o.
func (o *SchemeOperator) Normalize() error {
	o.Scheme = strings.TrimSpace(o.Scheme)
	if err := checkName("scheme", o.Scheme, 100); err != nil {
		return err
	}
	if o.OrgID == "" {
		return Invalid("org_id", "is required")
	}
	switch o.Role {
	case OperatorOwner:
		if o.DelegatedBy != "" {
			return Invalid("delegated_by", "an owner is nobody's delegate")
		}
	case OperatorDelegate:
		if o.DelegatedBy == "" || o.DelegatedBy == o.OrgID {
			return Invalid("delegated_by", "a delegate names the scheme's owner, another organisation")
		}
	default:
		return Invalid("role", "must be owner or delegate")
	}
	return nil
}

// RegistryKey is a key an authority signs labels with. The public half is
// published (JWKS); the private half is sealed by the service under a
// key-encryption key the store never sees. Retired keys stay published so
// labels signed with them still verify.
type RegistryKey struct {
	KID       string    `json:"kid"`
	OrgID     string    `json:"org_id"`
	Alg       string    `json:"alg"`        // ES256 or EdDSA
	PublicJWK []byte    `json:"public_jwk"` // JSON
	Sealed    []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
}

// Normalize validates k.
func (k *RegistryKey) Normalize() error {
	k.KID = strings.TrimSpace(k.KID)
	if err := checkName("kid", k.KID, 200); err != nil {
		return err
	}
	if k.Alg != "ES256" && k.Alg != "EdDSA" {
		return Invalid("alg", "must be ES256 or EdDSA")
	}
	if len(k.PublicJWK) == 0 || len(k.Sealed) == 0 {
		return Invalid("public_jwk", "a key needs its public JWK and its sealed private key")
	}
	return nil
}

// LogRecord is one leaf of the transparency log.
type LogRecord struct {
	Index int64     `json:"index"`
	Data  []byte    `json:"data"`
	At    time.Time `json:"at"`
}

// Checkpoint is a signed statement of the log's size and root hash (the
// C2SP tlog-checkpoint note, as text).
type Checkpoint struct {
	Size int64     `json:"size"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// LogKey is the transparency log's own checkpoint signing key: the
// platform's, not any organisation's. VerifierKey is the note verifier key
// ("<origin>+<hash>+<key>", public); Sealed is the note signer key sealed
// by the service under the key-encryption key.
type LogKey struct {
	Origin      string    `json:"origin"`
	VerifierKey string    `json:"verifier_key"`
	Sealed      []byte    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// LogAppend computes a transparency log entry inside the transaction of a
// move. The store serialises appends and keeps what these return; it never
// computes a hash itself, so it needs no Merkle tree code.
type LogAppend struct {
	// Leaf returns the entry's data for the record as moved and its event
	// (LogIndex set to the index the entry gets).
	Leaf func(c Certification, ev CertificationEvent) ([]byte, error)
	// Hashes returns the hashes the tree stores when leaf is appended to a
	// log of n entries (tlog.StoredHashes), reading stored hashes through
	// read. They are stored from the current count of stored hashes on,
	// which is tlog.StoredHashIndex(0, n).
	Hashes func(n int64, leaf []byte, read func(indexes []int64) ([][]byte, error)) ([][]byte, error)
}

// CertificationMove is one status change of a record, as
// RegistryStore.MoveCertification makes it.
type CertificationMove struct {
	ID     string
	To     RecordStatus
	Reason string
	// Update changes the record as the move requires (validity dates,
	// label text, reasons) before it is stored, given the event the move
	// makes (LogIndex set). The store has set Status, UpdatedAt and (on a
	// grant) GrantedAt, and cleared Reasons on a move to certified; what
	// Update does to the record's identity (IDs, scheme, level, label ID,
	// applied time, status) is ignored. It may be nil.
	Update func(c *Certification, ev CertificationEvent) error
	// Log is required whenever the move is logged: when the record is
	// public after the move.
	Log LogAppend
}

// RegistryStore keeps certification records, their history, the scheme
// operators, the authorities' signing keys and the transparency log.
//
// Records are visible to their maker and to the scheme's authority and its
// delegates; to any other organisation they are not found. Methods without
// an Actor are public (the label page, the log, the JWKS) or, for
// AddSchemeOperator, the operator's own (the command line).
type RegistryStore interface {
	// AddSchemeOperator records that an organisation owns a scheme or
	// grants for its owner. It is for the platform's operator (iotsec's
	// command line with the database's authority), not for tenants: who
	// owns a scheme is decided outside any one organisation. by names who
	// did it in the audit log. A scheme has one owner (ErrConflict); a
	// delegate's DelegatedBy must be that owner.
	AddSchemeOperator(ctx context.Context, by string, o *SchemeOperator) error
	// ListSchemeOperators lists the schemes the organisation operates and
	// the delegates it appointed.
	ListSchemeOperators(ctx context.Context, a Actor) ([]SchemeOperator, error)
	// IsOperator reports whether the organisation owns the scheme or
	// grants for its owner.
	IsOperator(ctx context.Context, orgID, scheme string) (bool, error)
	// SchemeOwner returns the organisation that owns the scheme
	// (ErrNotFound when nobody operates it).
	SchemeOwner(ctx context.Context, scheme string) (string, error)

	// CreateCertification records a maker's application for one of its
	// firmware versions (ProductID may be empty: the version's product);
	// the record is applied, with a history of one unlogged event. The
	// authority must own the scheme (ErrInvalid). One firmware version has
	// at most one record per scheme and level that is not revoked or
	// withdrawn (ErrConflict).
	CreateCertification(ctx context.Context, a Actor, c *Certification) error
	GetCertification(ctx context.Context, a Actor, id string) (Certification, error)
	ListCertifications(ctx context.Context, a Actor, f CertificationFilter) ([]Certification, error)
	// CertificationsForFirmware lists the organisation's own records of a
	// firmware version, for market surveillance, newest first.
	CertificationsForFirmware(ctx context.Context, a Actor, firmwareID string) ([]Certification, error)
	// CertificationHistory lists a record's events, oldest first.
	CertificationHistory(ctx context.Context, a Actor, id string) ([]CertificationEvent, error)
	// PublicCertification returns the public part of a granted record by
	// its label ID; a record never granted is not found.
	PublicCertification(ctx context.Context, labelID string) (PublicCertification, error)
	// LabelState returns what of a granted record's label document a move
	// changes, its status and signed label, by label ID: one indexed read
	// of one row, for the public document path (a record never granted is
	// not found, as by PublicCertification).
	LabelState(ctx context.Context, labelID string) (status RecordStatus, label string, err error)
	// CertificationView returns the same names and dates of a record the
	// actor sees (as maker, authority or delegate), granted or not: what
	// the service needs to write a label before the first grant.
	CertificationView(ctx context.Context, a Actor, id string) (PublicCertification, error)
	// RequestRenewal records the maker's application to renew a certified
	// or expired record of its own (PermWriteProducts; ErrConflict in any
	// other status), audited; the next grant clears it.
	RequestRenewal(ctx context.Context, a Actor, id string) (Certification, error)
	// DueCertifications lists, across organisations, the records that are
	// certified, under review or suspended and whose validity ended before
	// day or whose firmware version's support ended before it, oldest
	// first, at most limit (1..1000): the expiry job's work. It is the
	// platform's, not a tenant's.
	DueCertifications(ctx context.Context, day Date, limit int) ([]DueCertification, error)
	// SetCertificationLabel stores the signed label of a record the actor
	// sees, after the move it states was committed (the label carries the
	// move's inclusion proof, which exists only after the commit). The
	// actor needs PermCertify or, for the maker, PermWriteProducts.
	SetCertificationLabel(ctx context.Context, a Actor, id, label string) error

	// MoveCertification changes a record's status in one transaction:
	// the actor must be of the side MoveSide names (ErrForbidden for its
	// own org's role; ErrNotFound when it does not see the record;
	// ErrForbidden when it sees it but is the other side) and CanMove must
	// allow it (ErrConflict); then Update runs, the event is appended,
	// and, when the record is public afterwards, one entry is appended to
	// the transparency log (appends are serialised across replicas) and
	// the event carries its index. On any error nothing is stored.
	MoveCertification(ctx context.Context, a Actor, m CertificationMove) (Certification, CertificationEvent, error)

	// LogSize is the number of entries in the transparency log.
	LogSize(ctx context.Context) (int64, error)
	// ReadLogHashes returns stored hashes by their tlog storage index, in
	// the order asked (tlog.HashReader); a missing one is ErrNotFound.
	ReadLogHashes(ctx context.Context, indexes []int64) ([][]byte, error)
	// LogRecords returns the entries from (inclusive) to (exclusive), at
	// most 1000 of them.
	LogRecords(ctx context.Context, from, to int64) ([]LogRecord, error)
	// SaveCheckpoint keeps a signed checkpoint of a size the log has
	// reached; when one of that size is kept already, it stays.
	SaveCheckpoint(ctx context.Context, c Checkpoint) error
	// LatestCheckpoint returns the checkpoint of the largest size
	// (ErrNotFound when none was saved).
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)
	CheckpointAt(ctx context.Context, size int64) (Checkpoint, error)
	// AddLogKey keeps the log's signing key for k.Origin unless one is
	// kept already, and returns the one kept (so two replicas racing to
	// create it agree on one).
	AddLogKey(ctx context.Context, k LogKey) (LogKey, error)
	// LogKey returns the log's signing key for origin, with its sealed
	// half (ErrNotFound if none).
	LogKey(ctx context.Context, origin string) (LogKey, error)

	// AddRegistryKey stores a new signing key of the organisation.
	AddRegistryKey(ctx context.Context, a Actor, k *RegistryKey) error
	// ListRegistryKeys lists the public part of an organisation's keys,
	// retired ones too, oldest first; every authority's when orgID is
	// empty. It is public (the JWKS).
	ListRegistryKeys(ctx context.Context, orgID string) ([]RegistryKey, error)
	// RetireRegistryKey stops a key from signing; it stays published.
	RetireRegistryKey(ctx context.Context, a Actor, kid string) error
	// ActiveRegistryKey returns the organisation's newest key that is not
	// retired, with its sealed private key (ErrNotFound if none).
	ActiveRegistryKey(ctx context.Context, a Actor) (RegistryKey, error)
}
