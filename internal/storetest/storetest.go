// Package storetest is the contract of iotsec.Store: one suite that every
// implementation runs (SQLite always, PostgreSQL when a test database is
// configured). A behaviour that is not pinned here is not promised.
//
// It imports the domain and the test libraries only; never a store.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Opener returns a fresh, migrated, empty store whose clock is now. The
// store is closed by the opener's cleanup.
type Opener func(tb testing.TB, now func() time.Time) iotsec.Store

// Clock is a test clock that moves one millisecond each time it is read,
// so records made one after another get increasing times and IDs.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the current time and advances it.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Start is where test clocks begin.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Run runs the whole contract against open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Members", testMembers},
		{"Invitations", testInvitations},
		{"Tokens", testTokens},
		{"Sessions", testSessions},
		{"LoginLinks", testLoginLinks},
		{"LoginAttempts", testLoginAttempts},
		{"Sweep", testSweep},
		{"Products", testProducts},
		{"Firmware", testFirmware},
		{"Devices", testDevices},
		{"DeviceStateByTransitionOnly", testDeviceStateByTransitionOnly},
		{"DeviceList", testDeviceList},
		{"Upsert", testUpsert},
		{"Roles", testRoles},
		{"Isolation", testIsolation},
		{"Audit", testAudit},
		{"OrgAuditChains", testOrgAuditChains},
		{"Jobs", testJobs},
		{"JobFence", testJobFence},
		{"Overview", testOverview},
		{"Schemes", testSchemes},
		{"Anchors", testAnchors},
		{"CAs", testCAs},
		{"Certificates", testCertificates},
		{"CRLs", testCRLs},
		{"Enrolment", testEnrolment},
		{"Lifecycle", testLifecycle},
		{"Transfers", testTransfers},
		{"IdentityScope", testIdentityScope},
		{"Evaluation", testEvaluation},
		{"ConcurrentImages", testConcurrentImages},
		{"VulnData", testVulnData},
		{"Supply", testSupply},
		{"Deliveries", testDeliveries},
		{"RegistryLife", testRegistryLife},
		{"RegistryForbidden", testRegistryForbidden},
		{"RegistryApply", testRegistryApply},
		{"RegistryScope", testRegistryScope},
		{"RegistryConcurrentLog", testRegistryConcurrentLog},
		{"RegistryAppendOnly", testRegistryAppendOnly},
		{"RegistryKeys", testRegistryKeys},
		{"RegistryLabelAndLogKey", testRegistryLabelAndLogKey},
		{"RegistryRenewalAndDue", testRegistryRenewalAndDue},
		{"Policy", testPolicy},
		{"Workspaces", testWorkspaces},
		{"RecognitionRequests", testRecognitionRequests},
		{"Procurement", testProcurement},
		{"DashboardSnapshots", testDashboardSnapshots},
		{"DashboardCounts", testDashboardCounts},
		{"AuthorityEvents", testAuthorityEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// fixture is a store with two organisations, each with an owner.
type fixture struct {
	s      iotsec.Store
	clock  *Clock
	ctx    context.Context
	a, b   iotsec.Organisation
	ua, ub iotsec.User
	// Owner actors of a and b.
	A, B iotsec.Actor
}

func setup(t *testing.T, open Opener) *fixture {
	t.Helper()
	f := &fixture{clock: NewClock(Start), ctx: context.Background()}
	f.s = open(t, f.clock.Now)
	f.ua = f.user(t, "alice@a.example")
	f.ub = f.user(t, "bob@b.example")
	f.a = f.org(t, "Org A", f.ua.ID)
	f.b = f.org(t, "Org B", f.ub.ID)
	f.A = iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleOwner, Label: f.ua.Email}
	f.B = iotsec.Actor{OrgID: f.b.ID, UserID: f.ub.ID, Role: iotsec.RoleOwner, Label: f.ub.Email}
	return f
}

func (f *fixture) user(t *testing.T, email string) iotsec.User {
	t.Helper()
	u := iotsec.User{Email: email}
	if err := f.s.CreateUser(f.ctx, "system:test", &u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func (f *fixture) org(t *testing.T, name, owner string) iotsec.Organisation {
	t.Helper()
	o := iotsec.Organisation{Name: name, Kind: iotsec.OrgManufacturer, Country: "NL"}
	if err := f.s.CreateOrg(f.ctx, "system:test", &o, owner); err != nil {
		t.Fatalf("CreateOrg(%s): %v", name, err)
	}
	return o
}

func (f *fixture) product(t *testing.T, a iotsec.Actor, model string) iotsec.Product {
	t.Helper()
	p := iotsec.Product{Name: "Camera " + model, Model: model, Class: "camera", Sector: "consumer", Markets: []string{"EU", "GB"}}
	if err := f.s.CreateProduct(f.ctx, a, &p); err != nil {
		t.Fatalf("CreateProduct(%s): %v", model, err)
	}
	return p
}

func (f *fixture) firmware(t *testing.T, a iotsec.Actor, product, version string) iotsec.FirmwareVersion {
	t.Helper()
	fw := iotsec.FirmwareVersion{ProductID: product, Version: version, ReleasedOn: iotsec.NewDate(2025, 1, 1), SupportEnd: iotsec.NewDate(2030, 12, 31)}
	if err := f.s.CreateFirmware(f.ctx, a, &fw); err != nil {
		t.Fatalf("CreateFirmware(%s): %v", version, err)
	}
	return fw
}

func (f *fixture) device(t *testing.T, a iotsec.Actor, uid, product, firmware string) iotsec.Device {
	t.Helper()
	d := iotsec.Device{UID: uid, ProductID: product, FirmwareID: firmware, State: iotsec.StateOperational}
	if err := f.s.CreateDevice(f.ctx, a, &d); err != nil {
		t.Fatalf("CreateDevice(%s): %v", uid, err)
	}
	return d
}

// wantKind fails unless err is of the domain kind want (nil: no error).
func wantKind(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if got := iotsec.Kind(err); got != want {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, got, want)
	}
}

// wantField fails unless err names field.
func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if got := iotsec.FieldOf(err); got != field {
		t.Errorf("%s: error %v names field %q, want %q", what, err, got, field)
	}
}
