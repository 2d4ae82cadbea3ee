package iotsec

import (
	"context"
	"time"
)

// Vulnerability data is shared by every organisation: it comes from public
// feeds (NVD, OSV, CISA KEV, FIRST EPSS) and vendors' VEX documents, and
// the operator imports it. The store keeps each record as an opaque blob
// (the vuln engine's encoding) beside the keys it can be found under, so
// matching loads only the records a firmware version's components can hit.

// VulnKey is one lookup key of an advisory: a CPE (part, vendor, product)
// or a package URL (type, namespace, name).
type VulnKey struct {
	Kind string // "cpe" or "purl"
	A    string // part, or purl type
	B    string // vendor, or purl namespace
	C    string // product, or purl name
}

// VulnRecord is one stored advisory.
type VulnRecord struct {
	Source   string // nvd, nvd-overrides, osv
	ID       string
	IDs      []string // the ID, its aliases and related IDs, for KEV and EPSS
	Modified time.Time
	Keys     []VulnKey
	Data     []byte
}

// KEVRecord is one CISA KEV catalogue entry.
type KEVRecord struct {
	CVE       string
	DateAdded time.Time
	Data      []byte
}

// EPSSRecord is one EPSS score.
type EPSSRecord struct {
	CVE        string
	Score      float64
	Percentile float64
	Date       time.Time
}

// VendorStatement is a VEX statement from a vendor's document, applying to
// everyone who runs that vendor's product.
type VendorStatement struct {
	IDs  []string // the vulnerability and its aliases
	Data []byte
}

// VulnImport records one imported file.
type VulnImport struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"` // nvd, nvd-overrides, osv, kev, epss, vex
	File       string    `json:"file"`
	SHA256     string    `json:"sha256"`
	Records    int       `json:"records"`
	By         string    `json:"by"`
	ImportedAt time.Time `json:"imported_at"`
}

// VulnSource sums up what one source holds.
type VulnSource struct {
	Kind       string    `json:"kind"`
	Records    int       `json:"records"`
	Newest     time.Time `json:"newest,omitzero"` // latest modification or date the data carries
	LastImport time.Time `json:"last_import,omitzero"`
	Files      int       `json:"files"`
}

// VulnData is what matching needs for some components.
type VulnData struct {
	Advisories []VulnRecord
	KEV        []KEVRecord
	EPSS       []EPSSRecord
	Statements []VendorStatement
}

// VulnWriter writes one import's records inside its transaction. Records
// replace earlier ones with the same key, so imports are idempotent.
type VulnWriter interface {
	PutAdvisories(ctx context.Context, rs []VulnRecord) error
	PutKEV(ctx context.Context, rs []KEVRecord) error
	PutEPSS(ctx context.Context, rs []EPSSRecord) error
	PutStatements(ctx context.Context, rs []VendorStatement) error
}

// VulnStore keeps the shared vulnerability data.
type VulnStore interface {
	// ImportVulns runs fn in one transaction and records the import; when
	// fn fails, nothing it wrote stays.
	ImportVulns(ctx context.Context, imp *VulnImport, fn func(w VulnWriter) error) error
	// VulnSources sums up each source, and lists the latest imports.
	VulnSources(ctx context.Context) ([]VulnSource, []VulnImport, error)
	// VulnData returns the advisories indexed under any of keys, every
	// record sharing an ID with them (an NVD record and its override),
	// and the KEV entries, EPSS scores and vendor statements for their IDs.
	VulnData(ctx context.Context, keys []VulnKey) (VulnData, error)
	// Vulnerability returns the records whose ID or alias is id, with
	// their KEV, EPSS and vendor statements.
	Vulnerability(ctx context.Context, id string) (VulnData, error)
	// VulnRevision names the state of the data: it changes with every
	// import.
	VulnRevision(ctx context.Context) (string, error)
	// EachVuln calls fn with every advisory, and returns every KEV entry,
	// EPSS score and vendor statement (for an index of all the data).
	EachVuln(ctx context.Context, fn func(VulnRecord) error) (VulnData, error)
}

// SBOM is a software bill of materials a maker imported for a firmware
// version. Without one, a version's components come from its scan.
type SBOM struct {
	FirmwareID string    `json:"firmware_id"`
	OrgID      string    `json:"org_id"`
	Name       string    `json:"name"`   // file name as uploaded
	Format     string    `json:"format"` // cyclonedx-json, spdx-json ...
	Components int       `json:"components"`
	Document   []byte    `json:"-"`
	By         string    `json:"by"`
	CreatedAt  time.Time `json:"created_at"`
}

// VulnMatch is one vulnerability affecting one component of a firmware
// version, as the latest matching found it.
type VulnMatch struct {
	OrgID            string    `json:"org_id"`
	FirmwareID       string    `json:"firmware_id"`
	ProductID        string    `json:"product_id"`
	Version          string    `json:"firmware_version"`
	VulnID           string    `json:"vulnerability"`
	Component        string    `json:"component"`
	ComponentVersion string    `json:"component_version"`
	Severity         string    `json:"severity"`
	Score            float64   `json:"score"`
	KEV              bool      `json:"kev"`
	EPSS             float64   `json:"epss"`
	FixedVersion     string    `json:"fixed_version"`
	VEXStatus        string    `json:"vex_status"`
	Suppressed       bool      `json:"suppressed"`
	Data             []byte    `json:"-"` // the engine's match, as JSON
	FirstSeen        time.Time `json:"first_seen"`
}

// Key identifies a match across runs.
func (m VulnMatch) Key() string {
	return m.VulnID + "\x00" + m.Component + "\x00" + m.ComponentVersion
}

// MatchFilter selects matches.
type MatchFilter struct {
	FirmwareID string
	ProductID  string
	VulnID     string // the match's vulnerability ID
	Component  string // component name
	KEV        bool   // only known exploited
	Suppressed bool   // include those VEX says are not affected or fixed
	Limit      int    // 1..10000; 0 means 1000
}

// MatchTarget is a firmware version with components to match.
type MatchTarget struct {
	OrgID      string
	FirmwareID string
}

// VEX statuses, as OpenVEX names them.
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// VEXJustifications are OpenVEX's justification labels for not_affected.
func VEXJustifications() []string {
	return []string{"component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
		"vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"}
}

// VEXStatement is a maker's analysis of one vulnerability in a firmware
// version, optionally in one component of it. Statements are never
// changed: a newer one supersedes.
type VEXStatement struct {
	ID               string    `json:"id"`
	OrgID            string    `json:"org_id"`
	FirmwareID       string    `json:"firmware_id"`
	VulnID           string    `json:"vulnerability"`
	Component        string    `json:"component"` // name; empty means the whole firmware
	ComponentVersion string    `json:"component_version"`
	Status           string    `json:"status"`
	Justification    string    `json:"justification"`
	Impact           string    `json:"impact"`
	Action           string    `json:"action"`
	Author           string    `json:"author"`
	CreatedAt        time.Time `json:"created_at"`
}

// Normalize validates a statement as OpenVEX requires it.
func (v *VEXStatement) Normalize() error {
	if v.VulnID == "" {
		return Invalid("vulnerability", "is required")
	}
	if len(v.VulnID) > 100 {
		return Invalid("vulnerability", "is longer than 100 characters")
	}
	if len(v.Component) > 200 || len(v.ComponentVersion) > 100 {
		return Invalid("component", "is too long")
	}
	if len(v.Impact) > 4000 || len(v.Action) > 4000 {
		return Invalid("impact", "impact and action may be 4000 characters long")
	}
	switch v.Status {
	case VEXNotAffected:
		if v.Justification == "" && v.Impact == "" {
			return Invalid("justification", "not_affected needs a justification or an impact statement")
		}
		if v.Justification != "" && !oneOf(v.Justification, VEXJustifications()) {
			return Invalid("justification", "must be one of %s", joinAny(VEXJustifications()))
		}
	case VEXAffected:
		if v.Action == "" {
			return Invalid("action", "affected needs an action statement (what users should do)")
		}
		if v.Justification != "" {
			return Invalid("justification", "only not_affected takes a justification")
		}
	case VEXFixed, VEXUnderInvestigation:
		if v.Justification != "" {
			return Invalid("justification", "only not_affected takes a justification")
		}
	default:
		return Invalid("status", "must be one of not_affected, affected, fixed, under_investigation")
	}
	return nil
}

// Notification tells an organisation something happened: a firmware
// version newly affected by a vulnerability, a CRA report due.
type Notification struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Kind      string    `json:"kind"` // newly-affected, cra-draft
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Link      string    `json:"link"` // path in the web UI
	CreatedAt time.Time `json:"created_at"`
	ReadAt    time.Time `json:"read_at,omitzero"`
}

// NotifySettings say where an organisation's notifications go besides the
// web UI.
type NotifySettings struct {
	WebhookURL    string `json:"webhook_url"`
	WebhookSecret string `json:"-"` // HMAC-SHA256 key for the signature header
	Email         string `json:"email"`
}

// Channels a batch of notifications is delivered over besides the web UI.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// JobDeliver is the job kind that sends one Delivery. The store queues it
// with the notifications; the supply service's handler runs it.
const JobDeliver = "notify-delivery"

// DeliveryState is where the sending of a batch over one channel is.
type DeliveryState string

const (
	DeliveryQueued   DeliveryState = "queued"   // not tried yet
	DeliverySent     DeliveryState = "sent"     // the receiving end took it
	DeliveryRetrying DeliveryState = "retrying" // an attempt failed; another follows at NextAttemptAt
	DeliveryFailed   DeliveryState = "failed"   // given up; LastError says why
)

// Delivery is the sending of one batch of notifications over one channel
// (a webhook POST, an e-mail), run as a queued job so that no request
// waits on the receiving end, and retried when it fails.
type Delivery struct {
	ID      string `json:"id"`
	OrgID   string `json:"org_id"`
	Channel string `json:"channel"` // webhook or email
	// Target is the URL or address the last attempt went to (the one
	// set when the batch was made, before the first attempt).
	Target        string        `json:"target"`
	State         DeliveryState `json:"state"`
	Notifications []string      `json:"notifications"` // IDs of the batch
	JobID         string        `json:"job_id"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt time.Time     `json:"next_attempt_at,omitzero"` // when retrying
	LastError     string        `json:"last_error,omitempty"`     // of the last failed attempt
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
	SentAt        time.Time     `json:"sent_at,omitzero"`
}

// CRAReport is the Cyber Resilience Act reporting of one actively
// exploited vulnerability in a product (Art. 14 of Regulation (EU)
// 2024/2847): early warning, notification and final report.
type CRAReport struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	ProductID  string    `json:"product_id"`
	FirmwareID string    `json:"firmware_id"` // the version where it was found
	VulnID     string    `json:"vulnerability"`
	AwareAt    time.Time `json:"aware_at"`
	// FixAt is when a corrective or mitigating measure became available;
	// the final report is due 14 days after it.
	FixAt time.Time `json:"fix_available_at,omitzero"`
	// Sent records which stages were sent, by stage name.
	Sent map[string]time.Time `json:"sent"`
	// Fields are the maker's texts, by field name.
	Fields    map[string]string `json:"fields"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// SupplyStore keeps each organisation's SBOMs, matches, VEX statements,
// notifications and CRA reports.
type SupplyStore interface {
	// SaveSBOM stores (or replaces) a firmware version's SBOM.
	SaveSBOM(ctx context.Context, a Actor, s *SBOM) error
	GetSBOM(ctx context.Context, a Actor, firmwareID string) (SBOM, error)
	DeleteSBOM(ctx context.Context, a Actor, firmwareID string) error
	// MatchTargets lists every firmware version, of every organisation,
	// that has an SBOM or scanned components. It is for the operator's
	// re-matching and takes no actor.
	MatchTargets(ctx context.Context) ([]MatchTarget, error)
	// ReplaceMatches sets a firmware version's matches, keeping the
	// first-seen time of those already known; it returns the new ones.
	ReplaceMatches(ctx context.Context, a Actor, firmwareID string, ms []VulnMatch) ([]VulnMatch, error)
	ListMatches(ctx context.Context, a Actor, f MatchFilter) ([]VulnMatch, error)

	AddVEX(ctx context.Context, a Actor, v *VEXStatement) error
	// ListVEX lists a firmware version's statements (all versions' when
	// firmwareID is empty), oldest first.
	ListVEX(ctx context.Context, a Actor, firmwareID string) ([]VEXStatement, error)

	// AddNotifications stores notifications and, in the same transaction,
	// one delivery per entry of ds (Channel and Target set) for the whole
	// batch, each queued as a JobDeliver job. It fills in the IDs.
	AddNotifications(ctx context.Context, a Actor, ns []Notification, ds []Delivery) error
	// ListDeliveries lists the organisation's deliveries, newest first.
	ListDeliveries(ctx context.Context, a Actor, n int) ([]Delivery, error)
	// JobDelivery is for the job that sends a delivery: the delivery the
	// job was queued for, and the notifications it carries.
	JobDelivery(ctx context.Context, a Actor, jobID string) (Delivery, []Notification, error)
	// UpdateDelivery records an attempt: Target, State, Attempts,
	// NextAttemptAt, LastError and SentAt.
	UpdateDelivery(ctx context.Context, a Actor, d *Delivery) error
	ListNotifications(ctx context.Context, a Actor, unread bool, n int) ([]Notification, error)
	// MarkRead marks notifications read; no IDs means all.
	MarkRead(ctx context.Context, a Actor, ids []string) error
	NotifySettings(ctx context.Context, a Actor) (NotifySettings, error)
	SetNotifySettings(ctx context.Context, a Actor, s NotifySettings) error

	// CreateCRAReport creates a draft unless the product already has a
	// report for the vulnerability; it reports whether it created one.
	CreateCRAReport(ctx context.Context, a Actor, r *CRAReport) (bool, error)
	GetCRAReport(ctx context.Context, a Actor, id string) (CRAReport, error)
	ListCRAReports(ctx context.Context, a Actor) ([]CRAReport, error)
	UpdateCRAReport(ctx context.Context, a Actor, r *CRAReport) error
}
