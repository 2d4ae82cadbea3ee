package iotsec

import (
	"context"
	"time"
)

// Store is everything iotsec keeps. internal/sqlite and internal/postgres
// implement it, and internal/storetest is its contract: behaviour not pinned
// there is not promised.
//
// Methods that take an Actor read and write only inside Actor.OrgID, check
// the actor's role, and append an audit event in the same transaction as
// every change. Things of another organisation are reported as not found,
// never as forbidden, so their existence does not leak. Methods without an
// Actor are for the system itself (the CLI, authentication, workers).
type Store interface {
	OrgStore
	InvitationStore
	UserStore
	AuthStore
	ProductStore
	DeviceStore
	AuditStore
	JobStore
	SchemeStore
	IdentityStore
	EvaluationStore
	VulnStore
	SupplyStore
	RegistryStore
	PolicyStore
	WorkspaceStore
	ProcurementStore
	DashboardStore
	RecognitionStore

	// Ping reports whether the database answers and is migrated.
	Ping(ctx context.Context) error
	Close() error
}

// OrgStore keeps organisations and their members.
type OrgStore interface {
	// CreateOrg creates an organisation; if ownerID is set, that user
	// becomes its owner. by names who did it in the audit log.
	CreateOrg(ctx context.Context, by string, o *Organisation, ownerID string) error
	GetOrg(ctx context.Context, id string) (Organisation, error)
	ListOrgs(ctx context.Context) ([]Organisation, error)

	AddMember(ctx context.Context, a Actor, userID string, role Role) error
	SetMemberRole(ctx context.Context, a Actor, userID string, role Role) error
	// RemoveMember also revokes the API tokens the member created there.
	RemoveMember(ctx context.Context, a Actor, userID string) error
	ListMembers(ctx context.Context, a Actor) ([]Membership, error)
	// Memberships lists the organisations a user belongs to.
	Memberships(ctx context.Context, userID string) ([]Membership, error)
}

// UserStore keeps user accounts.
type UserStore interface {
	CreateUser(ctx context.Context, by string, u *User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// SetPassword stores a new password hash and ends the user's sessions.
	SetPassword(ctx context.Context, by string, userID, hash string) error
}

// AuthStore keeps what authentication needs: API tokens, sessions, login
// links and login attempts. All of it lives in the database, so any replica
// can serve any request.
type AuthStore interface {
	CreateToken(ctx context.Context, a Actor, t *Token) error
	ListTokens(ctx context.Context, a Actor) ([]Token, error)
	RevokeToken(ctx context.Context, a Actor, id string) error
	// TokenByHash finds a live (unexpired) token by the hash of its secret.
	TokenByHash(ctx context.Context, hash []byte, now time.Time) (Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error

	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash finds a live session by the hash of its cookie secret.
	SessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	SetSessionOrg(ctx context.Context, hash []byte, orgID string) error
	DeleteSession(ctx context.Context, hash []byte) error

	// CreateLoginLink stores a one-time sign-in link for a user.
	CreateLoginLink(ctx context.Context, userID string, hash []byte, expires time.Time) error
	// UseLoginLink consumes a link: it works once, before it expires.
	UseLoginLink(ctx context.Context, hash []byte, now time.Time) (userID string, err error)

	// RecordLogin notes a sign-in attempt under a key (an account or an
	// address); LoginFailures counts failed ones since a time.
	RecordLogin(ctx context.Context, key string, ok bool, at time.Time) error
	LoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	// LoginFailureStreak is LoginFailures with the time of the newest of
	// them (zero if none), for backing off.
	LoginFailureStreak(ctx context.Context, key string, since time.Time) (n int, last time.Time, err error)

	// Sweep deletes what has expired by now: sessions, used or expired
	// sign-in links, and sign-in attempts older than a day. It returns how
	// many rows went.
	Sweep(ctx context.Context, now time.Time) (int64, error)
}

// ProductStore keeps products and their firmware versions.
type ProductStore interface {
	CreateProduct(ctx context.Context, a Actor, p *Product) error
	GetProduct(ctx context.Context, a Actor, id string) (Product, error)
	ListProducts(ctx context.Context, a Actor) ([]Product, error)
	UpdateProduct(ctx context.Context, a Actor, p *Product) error
	// DeleteProduct deletes a product and its firmware versions; it fails
	// with ErrConflict while devices of the product exist.
	DeleteProduct(ctx context.Context, a Actor, id string) error

	CreateFirmware(ctx context.Context, a Actor, f *FirmwareVersion) error
	GetFirmware(ctx context.Context, a Actor, id string) (FirmwareVersion, error)
	// ListFirmware lists the versions of one product, or of all products
	// when productID is empty.
	ListFirmware(ctx context.Context, a Actor, productID string) ([]FirmwareVersion, error)
	UpdateFirmware(ctx context.Context, a Actor, f *FirmwareVersion) error
	// DeleteFirmware fails with ErrConflict while devices run the version.
	DeleteFirmware(ctx context.Context, a Actor, id string) error
}

// DeviceFilter selects devices. Lists are ordered by ID (creation order)
// and paged by key: pass the last ID seen as After.
type DeviceFilter struct {
	ProductID  string
	FirmwareID string
	State      State
	UID        string // exact unique device ID
	Query      string // substring of the unique device ID
	After      string
	Limit      int // 1..1000; 0 means 100
}

// BulkResult counts what a bulk upsert did.
type BulkResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// DeviceStore keeps devices.
type DeviceStore interface {
	CreateDevice(ctx context.Context, a Actor, d *Device) error
	GetDevice(ctx context.Context, a Actor, id string) (Device, error)
	ListDevices(ctx context.Context, a Actor, f DeviceFilter) ([]Device, error)
	// UpdateDevice changes a device's UID, product and firmware version,
	// never its lifecycle state (TransitionDevice moves that): d.State
	// empty or as stored keeps it; another state is refused.
	UpdateDevice(ctx context.Context, a Actor, d *Device) error
	DeleteDevice(ctx context.Context, a Actor, id string) error
	// UpsertDevices creates or updates devices by UID in one transaction,
	// with one audit event for the batch. When p is not nil the job's
	// progress is saved in the same transaction, so a batch and its
	// checkpoint land together or not at all.
	UpsertDevices(ctx context.Context, a Actor, ds []Device, p *Progress) (BulkResult, error)
	// DeviceCounts counts the devices running each firmware version.
	DeviceCounts(ctx context.Context, a Actor) (map[string]int, error)
	// Overview counts what the dashboard shows.
	Overview(ctx context.Context, a Actor, today Date) (Overview, error)
	// FleetTally is Overview and DeviceCounts together, from one grouped
	// read of the devices instead of one per figure.
	FleetTally(ctx context.Context, a Actor, today Date) (Overview, map[string]int, error)
}

// Overview is the organisation at a glance.
type Overview struct {
	Products            int           `json:"products"`
	FirmwareVersions    int           `json:"firmware_versions"`
	Devices             int           `json:"devices"`
	DevicesByState      map[State]int `json:"devices_by_state"`
	UnsupportedFirmware int           `json:"unsupported_firmware_versions"` // support ended before today
	DevicesUnsupported  int           `json:"devices_on_unsupported_firmware"`
	DevicesNoFirmware   int           `json:"devices_without_firmware"`
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Before int64 // only events with Seq < Before; 0 means from the newest
	Limit  int   // 1..1000; 0 means 100
}

// AuditStore reads the audit log and appends events that do not come with
// a store change (sign-ins, failed sign-ins).
type AuditStore interface {
	Audit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, a Actor, f AuditFilter) ([]AuditEvent, error)
	// AuditEvents returns up to limit events with Seq > after, oldest first,
	// from every organisation; for verification.
	AuditEvents(ctx context.Context, after int64, limit int) ([]AuditEvent, error)
	// OrgAuditEvents returns up to limit events of one organisation's
	// chain with OrgSeq > after, oldest first; for that organisation's
	// verification.
	OrgAuditEvents(ctx context.Context, orgID string, after int64, limit int) ([]AuditEvent, error)
	// AuditHead is the newest event of an organisation's chain.
	AuditHead(ctx context.Context, orgID string) (AuditHead, error)
}

// JobStore keeps background jobs and puts them on the queue.
type JobStore interface {
	// CreateJob stores the job with its input and enqueues it, in one
	// transaction.
	CreateJob(ctx context.Context, a Actor, j *Job, input []byte) error
	GetJob(ctx context.Context, a Actor, id string) (Job, error)
	ListJobs(ctx context.Context, a Actor, limit int) ([]Job, error)

	// JobInput is for workers: the job, whoever's it is, and its input.
	JobInput(ctx context.Context, id string) (Job, []byte, error)
	// StartJob marks a job running and counts the attempt.
	StartJob(ctx context.Context, id string, at time.Time) (Job, error)
	SaveProgress(ctx context.Context, p Progress) error
	// EndJob records how an attempt ended: JobSucceeded with its result,
	// JobFailed with an error message, or JobQueued with a message when it
	// was interrupted and will resume.
	EndJob(ctx context.Context, id string, state JobState, result []byte, msg string, at time.Time) error
	// EndAttempt is EndJob fenced by the attempt (Job.Attempts as
	// StartJob counted it), like Progress: once a newer attempt started,
	// it is refused with ErrSuperseded and records nothing. 0 is EndJob.
	EndAttempt(ctx context.Context, id string, attempt int, state JobState, result []byte, msg string, at time.Time) error
}
