// Package vuln holds the plain records that the advisory importers yield
// (nvd, osv, kev, epss, vex sub-packages) and the in-memory Index that
// matches firmware components against them by CPE and purl, applying KEV,
// EPSS and VEX.
//
// Records are plain values so that a store can persist them row by row
// and build an Index again from stored rows. This package and its
// sub-packages must not import storage (database/sql, sqlite, pgx), HTTP
// server packages or internal/iotsec.
package vuln

import (
	"errors"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// Sources of advisories.
const (
	SourceNVD          = "nvd"
	SourceNVDOverrides = "nvd-overrides" // anchore/nvd-data-overrides: replaces NVD configurations
	SourceOSV          = "osv"
)

// Advisory is one vulnerability record: an NVD CVE (with CPE
// configurations) or an OSV record (with affected packages).
type Advisory struct {
	ID        string
	Source    string
	Aliases   []string // other IDs of the same vulnerability (CVE for OSV records)
	Related   []string // IDs of related vulnerabilities (distro advisories list the CVEs they fix here)
	Published time.Time
	Modified  time.Time
	Withdrawn time.Time
	Status    string // NVD vulnStatus ("Analyzed", "Awaiting Analysis" ...)
	Summary   string
	CVSS      []CVSS
	// KEV dates as NVD copies them from CISA (cisaExploitAdd); the KEV
	// catalogue itself comes as KEV records.
	KEVAdded time.Time

	Configurations []cpe.Configuration // NVD
	Affected       []Affected          // OSV
}

// CVSS is one CVSS metric of an advisory.
type CVSS struct {
	Version  string  `json:"version"` // "2.0", "3.0", "3.1", "4.0"
	Vector   string  `json:"vector"`
	Score    float64 `json:"score"`
	Severity string  `json:"severity,omitempty"` // as given: LOW, MEDIUM, HIGH, CRITICAL
	Source   string  `json:"source,omitempty"`   // who scored it (nvd@nist.gov, a CNA, an OSV database)
	Primary  bool    `json:"primary,omitempty"`  // NVD type Primary
}

// Affected is one OSV affected package.
type Affected struct {
	Ecosystem string // OSV ecosystem with release ("AlmaLinux:9", "Debian:12")
	Name      string
	PURL      string
	Ranges    []Range
	Versions  []string // explicitly listed affected versions
}

// Range is an OSV range.
type Range struct {
	Type   string // SEMVER, ECOSYSTEM, GIT
	Repo   string
	Events []Event
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced, Fixed, LastAffected, Limit string
}

// KEV is one entry of the CISA Known Exploited Vulnerabilities catalogue.
type KEV struct {
	CVE            string    `json:"cve"`
	VendorProject  string    `json:"vendor_project,omitempty"`
	Product        string    `json:"product,omitempty"`
	Name           string    `json:"name,omitempty"`
	DateAdded      time.Time `json:"date_added"`
	DueDate        time.Time `json:"due_date,omitzero"`
	RequiredAction string    `json:"required_action,omitempty"`
	Ransomware     string    `json:"ransomware,omitempty"` // knownRansomwareCampaignUse: "Known" or "Unknown"
	Notes          string    `json:"notes,omitempty"`
	CWEs           []string  `json:"cwes,omitempty"`
}

// EPSS is one EPSS score.
type EPSS struct {
	CVE        string    `json:"cve"`
	Score      float64   `json:"score"`
	Percentile float64   `json:"percentile"`
	Date       time.Time `json:"date"` // score date from the file header
	Model      string    `json:"model,omitempty"`
}

// VEX statuses, as OpenVEX names them; CycloneDX and CSAF states are
// mapped onto these.
const (
	StatusNotAffected        = "not_affected"
	StatusAffected           = "affected"
	StatusFixed              = "fixed"
	StatusUnderInvestigation = "under_investigation"
)

// Statement is one VEX statement: the status of a vulnerability in a
// component of a product (a firmware version).
type Statement struct {
	Vulnerability string    `json:"vulnerability"`      // CVE or other ID
	Aliases       []string  `json:"aliases,omitempty"`  // other IDs the statement names
	Product       Ref       `json:"product,omitzero"`   // the firmware version; zero Ref means any product
	Component     Ref       `json:"component,omitzero"` // the component inside it; zero Ref means the whole product
	Status        string    `json:"status"`
	Justification string    `json:"justification,omitempty"` // OpenVEX justification label (CSAF flags and CycloneDX justifications are mapped)
	Impact        string    `json:"impact,omitempty"`
	Action        string    `json:"action,omitempty"`
	Timestamp     time.Time `json:"timestamp,omitzero"`
	Source        string    `json:"source,omitempty"` // document ID or file
}

// Ref identifies a product or component in a VEX statement by any of
// purl, CPE or name and version.
type Ref struct {
	PURL    string `json:"purl,omitempty"`
	CPE     string `json:"cpe,omitempty"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// IsZero reports whether r names nothing.
func (r Ref) IsZero() bool { return r == Ref{} }

func (r Ref) String() string {
	switch {
	case r.PURL != "":
		return r.PURL
	case r.CPE != "":
		return r.CPE
	case r.Version != "":
		return r.Name + "@" + r.Version
	}
	return r.Name
}

// ErrLimit is wrapped by errors about input over a hard limit.
var ErrLimit = errors.New("over limit")

// InputError says where in which file an import broke. The records
// yielded before it came from the same file, and the caller should drop
// the batch.
type InputError struct {
	File   string
	Record int   // index of the record being read, from 0; -1 when not in a record
	Offset int64 // byte offset in the (decompressed) input
	Err    error
}

func (e *InputError) Error() string {
	if e.Record >= 0 {
		return fmt.Sprintf("%s: record %d at byte %d: %v", e.File, e.Record, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: at byte %d: %v", e.File, e.Offset, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Cause is err without the *InputError a FeedReader below a reader put
// around it, and the later of the two offsets (the reader's decoder may
// not have consumed what the FeedReader refused), so the reader's own
// InputError names the file once and keeps the record; other errors are
// returned as they are.
func Cause(err error, off int64) (int64, error) {
	var ie *InputError
	if errors.As(err, &ie) {
		return max(off, ie.Offset), ie.Err
	}
	return off, err
}
