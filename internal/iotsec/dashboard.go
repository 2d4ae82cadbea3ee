package iotsec

import (
	"context"
	"strings"
	"time"
)

// DashboardSnapshot is one day's dashboard figures of an organisation,
// kept so the dashboards can say what changed since last week and draw
// trends. Figures are by key (internal/dashboard names them: "devices",
// "kev-devices", "ready:EU" ...); a snapshot is taken by the system, once
// a day, and is derived data: it is not audited.
type DashboardSnapshot struct {
	OrgID   string    `json:"org_id"`
	Day     Date      `json:"day"`
	TakenAt time.Time `json:"taken_at"`
	// Source says how the snapshot came about: "job" (the daily job),
	// "start" (a server start), "demo" (the demo's history, computed over
	// the seeded data with the clock set back to the day).
	Source  string         `json:"source"`
	Figures map[string]int `json:"figures"`
}

// Limits of a dashboard snapshot.
const (
	MaxSnapshotFigures = 1000
	MaxSnapshotKey     = 100
)

// Check validates a snapshot before it is stored.
func (s *DashboardSnapshot) Check() error {
	if s.OrgID == "" {
		return Invalid("org_id", "is required")
	}
	if s.Day.IsZero() {
		return Invalid("day", "is required")
	}
	if len(s.Figures) > MaxSnapshotFigures {
		return Invalid("figures", "at most %d figures, got %d", MaxSnapshotFigures, len(s.Figures))
	}
	for k := range s.Figures {
		if k == "" || len(k) > MaxSnapshotKey || strings.TrimSpace(k) != k {
			return Invalid("figures", "key %q: 1 to %d characters without surrounding space", k, MaxSnapshotKey)
		}
	}
	if len(s.Source) > 20 {
		return Invalid("source", "at most 20 characters")
	}
	if s.Figures == nil {
		s.Figures = map[string]int{}
	}
	return nil
}

// CertHealth counts an organisation's device certificates that need
// attention, in one grouped read.
type CertHealth struct {
	Active   int `json:"active"`
	Expiring int `json:"expiring"` // active, ending before soon (and not before now)
	Expired  int `json:"expired"`  // active by status, ended before now
	Revoked  int `json:"revoked"`
	// Shared counts active certificates whose key is also in another
	// device's active certificate.
	Shared int `json:"shared"`
}

// CertEventFilter selects the history events of the records an
// organisation grants (as the scheme's owner or a delegate).
type CertEventFilter struct {
	To    RecordStatus // only moves to this status ("": every move)
	Since time.Time    // only events at or after (zero: all)
	Limit int          // 1..10000; 0 means 1000
}

// DashboardStore keeps what the dashboards read besides the other stores:
// the daily snapshots and grouped counts.
type DashboardStore interface {
	// PutDashboardSnapshot stores an organisation's snapshot of a day,
	// replacing one of the same day. It is the system's (no actor, no
	// audit event).
	PutDashboardSnapshot(ctx context.Context, s DashboardSnapshot) error
	// DashboardSnapshots lists the organisation's snapshots from day from
	// on (inclusive), oldest first.
	DashboardSnapshots(ctx context.Context, a Actor, from Date) ([]DashboardSnapshot, error)
	// AuditCounts counts the organisation's audit events at or after
	// since, by action (PermReadAudit).
	AuditCounts(ctx context.Context, a Actor, since time.Time) (map[string]int, error)
	// CertificateHealth counts the organisation's device certificates by
	// health as of now; soon is where "expiring" ends.
	CertificateHealth(ctx context.Context, a Actor, now, soon time.Time) (CertHealth, error)
	// AuthorityEvents lists the history events of the records the
	// organisation grants, oldest first.
	AuthorityEvents(ctx context.Context, a Actor, f CertEventFilter) ([]CertificationEvent, error)
}
