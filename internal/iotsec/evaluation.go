package iotsec

import (
	"context"
	"io"
	"time"
)

// ScanState is where the scan of a firmware version's image is.
type ScanState string

const (
	ScanQueued    ScanState = "queued"
	ScanSucceeded ScanState = "succeeded"
	ScanFailed    ScanState = "failed"
)

// Image is a firmware image held for a firmware version. Images are kept
// once per organisation under their SHA-256 digest.
type Image struct {
	Digest string `json:"digest"` // "sha256:<64 hex>"
	Name   string `json:"name"`   // file name as uploaded
	Size   int64  `json:"size"`
}

// Scan is the latest evaluation of a firmware version's image.
type Scan struct {
	FirmwareID string             `json:"firmware_id"`
	OrgID      string             `json:"org_id"`
	ProductID  string             `json:"product_id"`
	Version    string             `json:"version"` // the firmware version, for lists
	JobID      string             `json:"job_id"`
	State      ScanState          `json:"state"`
	Image      Image              `json:"image"`
	Formats    []string           `json:"formats"`
	Files      int                `json:"files"`
	Bytes      int64              `json:"bytes"`
	Seconds    map[string]float64 `json:"seconds"`
	Warnings   []string           `json:"warnings"`
	Findings   int                `json:"findings"`
	Components int                `json:"components"`
	// Severities counts findings by severity.
	Severities map[string]int `json:"severities"`
	Error      string         `json:"error,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	ScannedAt  time.Time      `json:"scanned_at,omitzero"`
}

// FindingEvidence says where and what matched; secrets are masked.
type FindingEvidence struct {
	Offset int64  `json:"offset,omitempty"`
	Line   int    `json:"line,omitempty"`
	Text   string `json:"text,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Finding is one problem an automated check found in a firmware image.
type Finding struct {
	Rule       string          `json:"rule"`
	Category   string          `json:"category"`
	Severity   string          `json:"severity"`
	Title      string          `json:"title"`
	Path       string          `json:"path"`
	Evidence   FindingEvidence `json:"evidence"`
	Provisions []string        `json:"provisions"` // ETSI EN 303 645 provision IDs
}

// Component is a piece of software identified in a firmware image.
type Component struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	CPE      string          `json:"cpe"`
	PURL     string          `json:"purl"`
	Path     string          `json:"path"`
	Evidence FindingEvidence `json:"evidence"`
}

// Evidence is what an assessor recorded about one EN 303 645 provision of
// a firmware version, or one of its TS 103 701 test cases. Records are
// never changed: a new record for the same provision and test case
// supersedes the old one, and both stay.
type Evidence struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	FirmwareID string    `json:"firmware_id"`
	Provision  string    `json:"provision"`
	TestCase   string    `json:"test_case"`
	Verdict    string    `json:"verdict"`
	Rationale  string    `json:"rationale"`
	Override   bool      `json:"override"`
	Assessor   string    `json:"assessor"`
	CreatedAt  time.Time `json:"created_at"`
}

// AssessmentInputs are what a maker gives an assessor: the implementation
// conformance statement (ICS) and the extra information for testing
// (IXIT), kept as the JSON the assessment engine reads.
type AssessmentInputs struct {
	ICS       []byte    `json:"-"`
	IXIT      []byte    `json:"-"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ScanRecord is what a finished scan stores.
type ScanRecord struct {
	Formats    []string
	Files      int
	Bytes      int64
	Seconds    map[string]float64
	Warnings   []string
	Findings   []Finding
	Components []Component
}

// EvaluationStore keeps firmware images, their scans and assessments.
type EvaluationStore interface {
	// SaveImage stores the image read from r (its digest and size already
	// known to the caller, who read it once to spool it) for a firmware
	// version, sets the version's image digest, marks its scan queued and
	// creates the scan job, all in one transaction. Identical images are
	// kept once per organisation.
	SaveImage(ctx context.Context, a Actor, firmwareID string, img Image, r io.Reader, job *Job, input []byte) error
	// Image returns a firmware version's image and its bytes.
	Image(ctx context.Context, a Actor, firmwareID string) (Image, []byte, error)
	// SaveScan replaces a firmware version's findings and components with
	// those of a finished scan (or records its failure when errMsg is
	// set), with the job's last checkpoint in the same transaction.
	SaveScan(ctx context.Context, a Actor, firmwareID string, rec ScanRecord, errMsg string, p *Progress) error
	GetScan(ctx context.Context, a Actor, firmwareID string) (Scan, error)
	// ListScans lists the latest scan of every firmware version that has
	// one, newest first.
	ListScans(ctx context.Context, a Actor) ([]Scan, error)
	ListFindings(ctx context.Context, a Actor, firmwareID string) ([]Finding, error)
	ListComponents(ctx context.Context, a Actor, firmwareID string) ([]Component, error)

	// AddEvidence appends an assessor's record.
	AddEvidence(ctx context.Context, a Actor, e *Evidence) error
	// ListEvidence lists a firmware version's records, oldest first.
	ListEvidence(ctx context.Context, a Actor, firmwareID string) ([]Evidence, error)
	// SetAssessmentInputs stores the ICS and IXIT (nil leaves one as it is).
	SetAssessmentInputs(ctx context.Context, a Actor, firmwareID string, in AssessmentInputs) error
	AssessmentInputs(ctx context.Context, a Actor, firmwareID string) (AssessmentInputs, error)
}
