// Package dashboard is the service behind the role dashboards: the CISO's
// fleet, the executive's markets and deadlines, the regulator's labels and
// the policy maker's matrix. Each dashboard's figures are computed here
// once; the API answers the struct as JSON and the web UI draws the same
// struct, so no door computes a figure of its own.
//
// The service imports no other service: what another capability knows
// (known exploited matches, CRA clocks, the catalog's dates, the policy
// dataset) reaches it as a func wired in internal/app; plain records are
// read from the store.
package dashboard

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Roles are the dashboards there are, by path segment.
var Roles = []string{"ciso", "executive", "regulator", "policy"}

// Figure is one number on a dashboard and the list behind it.
type Figure struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value int    `json:"value"`
	Href  string `json:"href"` // the web UI's list behind the figure
}

// KEVVersion is a firmware version with a known exploited match.
type KEVVersion struct {
	ProductID   string   `json:"product_id"`
	ProductName string   `json:"product_name"`
	FirmwareID  string   `json:"firmware_id"`
	Version     string   `json:"firmware_version"`
	Vulns       []string `json:"vulnerabilities"`
}

// CRAClock is an open CRA report and its next deadline.
type CRAClock struct {
	ID        string    `json:"id"`
	ProductID string    `json:"product_id"`
	Product   string    `json:"product_name"`
	VulnID    string    `json:"vulnerability"`
	Stage     string    `json:"next_stage"`
	Due       time.Time `json:"due"`
	Overdue   bool      `json:"overdue"`
}

// Deadline is a dated obligation of a scheme in a market, from the catalog.
type Deadline struct {
	Market string      `json:"market"`
	Scheme string      `json:"scheme"`
	Title  string      `json:"title"`
	Event  string      `json:"event"`
	Date   iotsec.Date `json:"date"`
}

// Country is one row of the policy dataset's country matrix.
type Country struct {
	Code    string         `json:"code"`
	Name    string         `json:"name"`
	Entries int            `json:"entries"`
	Status  map[string]int `json:"status"`
}

// Gap is a cell of a market's catalog with no scheme or international
// standards only.
type Gap struct {
	Sector string `json:"sector"`
	Class  string `json:"class"`
	Title  string `json:"title"`
	Level  string `json:"level"`
}

// SupplyFigures are what the supply chain's overview says.
type SupplyFigures struct {
	KEV []KEVVersion
	CRA []CRAClock
}

// Sources are what other services answer, wired in internal/app.
type Sources struct {
	// Supply is the supply chain's overview: the firmware versions with
	// an open known exploited match and the CRA reports with a stage not
	// yet sent.
	Supply func(ctx context.Context, a iotsec.Actor) (SupplyFigures, error)
	// Deadlines lists the catalog's dated obligations per market.
	Deadlines func(ctx context.Context, a iotsec.Actor) ([]Deadline, error)
	// Countries is the policy dataset's country rows on a day.
	Countries func(ctx context.Context, date time.Time) ([]Country, error)
	// LevelRank is a level's rank in its scheme's order (the catalog's).
	LevelRank func(scheme, level string) (int, bool)
	// Gaps lists a market's gaps in the catalog on a day.
	Gaps func(ctx context.Context, market string, date time.Time) ([]Gap, error)
	// KEVAdded answers, from the vulnerability data, the day each
	// vulnerability entered CISA's KEV catalogue; IDs without one are
	// left out.
	KEVAdded func(ctx context.Context, ids []string) (map[string]time.Time, error)
	// Recognitions lists the catalog's recognition agreements that
	// schemes take part in.
	Recognitions func(ctx context.Context, a iotsec.Actor, schemes []string) ([]Recognition, error)
}

// Service computes the dashboards.
type Service struct {
	Store   iotsec.Store
	Now     func() time.Time
	Sources Sources
	// ExpiryDays is how soon a certificate's end counts as expiring;
	// SupportDays how soon a support period's end counts as ending.
	ExpiryDays, SupportDays int
}

// New returns a service over store.
func New(store iotsec.Store, src Sources) *Service {
	return &Service{Store: store, Now: time.Now, Sources: src, ExpiryDays: 30, SupportDays: 365}
}

// Any computes the dashboard of a role, by its name in Roles; market is
// the policy dashboard's market ("" for the organisation's first).
func (s *Service) Any(ctx context.Context, a iotsec.Actor, role, market string) (any, error) {
	switch role {
	case "ciso":
		return s.CISO(ctx, a)
	case "executive":
		return s.Executive(ctx, a)
	case "regulator":
		return s.Regulator(ctx, a)
	case "policy":
		return s.Policy(ctx, a, market)
	}
	return nil, iotsec.NotFound("dashboard")
}

// Change counts the audit log's events of one action in the last week.
type Change struct {
	Action string `json:"action"`
	Count  int    `json:"count"`
}

// IdentityHealth counts the fleet's credentials that need attention.
type IdentityHealth struct {
	Active   int `json:"active"`
	Expiring int `json:"expiring"` // active, ending within ExpiryDays
	Expired  int `json:"expired"`  // active by status, past their end
	Revoked  int `json:"revoked"`
	// Shared counts active certificates whose key is also in another
	// device's active certificate.
	Shared int `json:"shared"`
}

// CISO is the operator's fleet by compliance status.
type CISO struct {
	Day            iotsec.Date    `json:"day"`
	Fleet          []Figure       `json:"fleet"`
	DevicesByState []Figure       `json:"devices_by_state"`
	Labels         []Figure       `json:"labels"` // the organisation's records by status
	KEV            []KEVVersion   `json:"kev_versions"`
	Identity       IdentityHealth `json:"identity"`
	IdentityFigs   []Figure       `json:"identity_figures"`
	// Changes are the last seven days of the audit log by action; nil
	// when the caller may not read the audit log.
	Changes      []Change `json:"changes"`
	ChangesTotal int      `json:"changes_total"`
	// SinceLastWeek compares the figures above with the newest daily
	// snapshot at least seven days old; null when there is none yet.
	SinceLastWeek *WeekChange `json:"since_last_week"`
}

// CISO computes the operator's dashboard. Its reads are independent of
// each other and run side by side.
func (s *Service) CISO(ctx context.Context, a iotsec.Actor) (CISO, error) {
	return s.ciso(ctx, a, true)
}

// ciso computes the CISO's dashboard, with what changed since last week
// when history is set.
func (s *Service) ciso(ctx context.Context, a iotsec.Actor, history bool) (CISO, error) {
	now := s.Now()
	day := iotsec.DateOf(now)
	out := CISO{Day: day}
	var (
		o      iotsec.Overview
		sup    SupplyFigures
		counts map[string]int
		recs   []iotsec.Certification
		snaps  []iotsec.DashboardSnapshot
		errs   [6]error
		wg     sync.WaitGroup
	)
	run := func(i int, fn func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	run(0, func() (err error) { o, counts, err = s.Store.FleetTally(ctx, a, day); return })
	run(1, func() (err error) { sup, err = s.Sources.Supply(ctx, a); return })
	if history {
		run(2, func() (err error) {
			snaps, err = s.Store.DashboardSnapshots(ctx, a, day.AddDays(-7*TrendWeeks))
			return
		})
	}
	run(3, func() (err error) {
		recs, err = s.Store.ListCertifications(ctx, a, iotsec.CertificationFilter{})
		return
	})
	run(4, func() (err error) {
		h, err := s.Store.CertificateHealth(ctx, a, now, now.AddDate(0, 0, s.ExpiryDays))
		out.Identity = IdentityHealth(h)
		return err
	})
	run(5, func() (err error) {
		out.Changes, out.ChangesTotal, err = s.changes(ctx, a, now.AddDate(0, 0, -7))
		if errors.Is(err, iotsec.ErrForbidden) {
			err = nil // the role may not read the audit log
		}
		return
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return out, err
	}
	kev := sup.KEV
	out.KEV = kev
	kevDevices := 0
	for _, v := range kev {
		kevDevices += counts[v.FirmwareID]
	}
	out.Fleet = []Figure{
		{"devices", "Devices", o.Devices, "/devices"},
		{"kev-versions", "Firmware versions with a known exploited vulnerability", len(kev), "/supply/vulnerabilities?kev=1"},
		{"kev-devices", "Devices on those versions", kevDevices, "/supply/vulnerabilities?kev=1"},
		{"unsupported-versions", "Firmware versions out of support", o.UnsupportedFirmware, "/supply/support"},
		{"unsupported-devices", "Devices on unsupported firmware", o.DevicesUnsupported, "/supply/support"},
		{"no-firmware", "Devices without a known firmware version", o.DevicesNoFirmware, "/devices"},
	}
	for _, st := range iotsec.States() {
		if n := o.DevicesByState[st]; n > 0 {
			out.DevicesByState = append(out.DevicesByState, Figure{string(st), string(st), n, "/devices?state=" + string(st)})
		}
	}
	out.Labels = byStatus(recs, "/registry")
	out.IdentityFigs = []Figure{
		{"active", "Active certificates", out.Identity.Active, "/identity/certificates?status=active"},
		{"expiring", "Expiring within " + strconv.Itoa(s.ExpiryDays) + " days", out.Identity.Expiring, "/identity/certificates?status=active"},
		{"expired", "Past their end", out.Identity.Expired, "/identity/certificates?status=active"},
		{"revoked", "Revoked", out.Identity.Revoked, "/identity/certificates?status=revoked"},
		{"shared", "Sharing a key with another device", out.Identity.Shared, "/identity/certificates"},
	}
	if history {
		out.SinceLastWeek = weekChange(out, snaps)
	}
	return out, nil
}

// changes counts the audit log's events since a time by action, in one
// grouped read.
func (s *Service) changes(ctx context.Context, a iotsec.Actor, since time.Time) ([]Change, int, error) {
	count, err := s.Store.AuditCounts(ctx, a, since)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for _, n := range count {
		total += n
	}
	return sortChanges(count), total, nil
}

func sortChanges(m map[string]int) []Change {
	out := make([]Change, 0, len(m))
	for k, v := range m {
		out = append(out, Change{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Action < out[j].Action
	})
	return out
}

func byStatus(recs []iotsec.Certification, href string) []Figure {
	n := map[iotsec.RecordStatus]int{}
	for _, r := range recs {
		n[r.Status]++
	}
	var out []Figure
	for _, st := range []iotsec.RecordStatus{iotsec.StatusApplied, iotsec.StatusCertified, iotsec.StatusUnderReview,
		iotsec.StatusSuspended, iotsec.StatusExpired, iotsec.StatusRevoked, iotsec.StatusWithdrawn} {
		out = append(out, Figure{string(st), string(st), n[st], href})
	}
	return out
}
