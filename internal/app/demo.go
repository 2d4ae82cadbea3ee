package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// Demo names the seeded organisation and its admin.
const (
	DemoOrg   = "Demo Devices"
	DemoAdmin = "admin@demo.example"
)

// SeedDemo fills an empty database with one manufacturer, its products,
// firmware versions and devices, and a demo admin; on a database that has
// them already it changes nothing. Either way it returns a fresh one-time
// sign-in link for the demo admin.
func (a *App) SeedDemo(ctx context.Context) (string, error) {
	s := a.Store
	u, err := s.GetUserByEmail(ctx, DemoAdmin)
	if errors.Is(err, iotsec.ErrNotFound) {
		u = iotsec.User{Email: DemoAdmin, Name: "Demo admin"}
		if err = s.CreateUser(ctx, "system:demo", &u); err != nil {
			return "", fmt.Errorf("seed demo: %w", err)
		}
		err = seed(ctx, s, u, a.Auth.Now())
		if err == nil {
			err = a.seedSupply(ctx)
		}
		if err == nil {
			err = a.seedScan(ctx)
		}
		if err == nil && len(a.Identity.KEK) > 0 {
			err = a.seedIdentity(ctx)
		}
		if err == nil && len(a.Identity.KEK) > 0 {
			err = a.seedRegistry(ctx)
		}
		// The workspace seed goes with the registry's: the demo with a
		// key is the whole one, the one without stays a single organisation.
		if err == nil && len(a.Identity.KEK) > 0 {
			err = a.seedWorkspace(ctx)
		}
		if err == nil {
			err = a.seedDashboardHistory(ctx)
		}
	}
	if err != nil {
		return "", fmt.Errorf("seed demo: %w", err)
	}
	secret, err := a.Auth.LoginLink(ctx, u.ID, 24*time.Hour)
	if err != nil {
		return "", err
	}
	return a.Auth.LinkURL(secret), nil
}

func seed(ctx context.Context, s iotsec.Store, admin iotsec.User, now time.Time) error {
	o := iotsec.Organisation{Name: DemoOrg, Kind: iotsec.OrgManufacturer, Country: "NL"}
	if err := s.CreateOrg(ctx, "system:demo", &o, admin.ID); err != nil {
		return err
	}
	a := iotsec.System(o.ID, "demo")
	today := iotsec.DateOf(now)
	type fw struct {
		version           string
		releasedAgo, life int // days since release; support period in days
	}
	products := []struct {
		p        iotsec.Product
		versions []fw
		devices  int
	}{
		{iotsec.Product{Name: "Aurora indoor camera", Model: "AC-200", Class: "camera", Sector: "consumer", Markets: []string{"EU", "GB", "SG", "US"},
			Description: "1080p Wi-Fi camera with cloud recording and a companion app."},
			// 2.1.0's support ended three days ago: the demo's week of
			// history shows it (see seedDashboardHistory).
			[]fw{{"2.1.0", 900, 897}, {"2.4.3", 400, 1460}, {"2.5.1", 60, 1825}}, 40},
		{iotsec.Product{Name: "Harbor home router", Model: "HR-1", Class: "router", Sector: "consumer", Markets: []string{"EU", "GB"},
			Description: "Dual-band router with a web administration interface."},
			[]fw{{"1.0.7", 1200, 1095}, {"1.3.0", 200, 1825}}, 25},
		{iotsec.Product{Name: "Nimbus smart hub", Model: "NH-3", Class: "hub", Sector: "consumer", Markets: []string{"EU", "JP", "SG"},
			Description: "Zigbee and Matter hub for lights, locks and sensors."},
			[]fw{{"3.0.2", 300, 0}}, 15},
		{iotsec.Product{Name: "Tern substation controller", Model: "TSC-9", Class: "industrial-controller", Sector: "energy", Markets: []string{"DE", "NL"},
			Description: "Controller for medium-voltage substations; IEC 62443 target."},
			nil, 0},
	}
	var devices []iotsec.Device
	for _, pr := range products {
		p := pr.p
		if err := s.CreateProduct(ctx, a, &p); err != nil {
			return err
		}
		var ids []string
		for _, v := range pr.versions {
			f := iotsec.FirmwareVersion{ProductID: p.ID, Version: v.version, ReleasedOn: today.AddDays(-v.releasedAgo)}
			if v.life > 0 {
				f.SupportEnd = f.ReleasedOn.AddDays(v.life)
			}
			if err := s.CreateFirmware(ctx, a, &f); err != nil {
				return err
			}
			ids = append(ids, f.ID)
		}
		states := []iotsec.State{iotsec.StateOperational, iotsec.StateOperational, iotsec.StateOperational, iotsec.StateProvisioned, iotsec.StateSuspended, iotsec.StateDecommissioned}
		for i := range pr.devices {
			d := iotsec.Device{UID: fmt.Sprintf("%s-%06d", p.Model, 1000+i*7), ProductID: p.ID, State: states[i%len(states)]}
			if len(ids) > 0 {
				d.FirmwareID = ids[i%len(ids)]
			}
			devices = append(devices, d)
		}
	}
	_, err := s.UpsertDevices(ctx, a, devices, nil)
	return err
}

// DemoScanned names the demo firmware version whose image is uploaded and
// scanned at seed time: product model and version.
const (
	DemoScannedModel   = "HR-1"
	DemoScannedVersion = "1.0.7"
)

// seedScan uploads the realistic router image of firmwaretest (root's
// password "admin", telnetd at boot, a 1024-bit key with a self-signed
// SHA-1 certificate, old BusyBox, Dropbear, dnsmasq and OpenSSL) as the
// old Harbor router firmware and runs its scan job here and now, the way a
// worker would, so that Evaluation shows findings and verdicts on the
// first start. The job ends succeeded, so a worker that picks it up later
// leaves it alone.
func (a *App) seedScan(ctx context.Context) error {
	s := a.Store
	org, err := demoOrg(ctx, s)
	if err != nil {
		return err
	}
	act := iotsec.System(org.ID, "demo")
	ps, err := s.ListProducts(ctx, act)
	if err != nil {
		return err
	}
	fwID := ""
	for _, p := range ps {
		if p.Model != DemoScannedModel {
			continue
		}
		fs, err := s.ListFirmware(ctx, act, p.ID)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.Version == DemoScannedVersion {
				fwID = f.ID
			}
		}
	}
	if fwID == "" {
		return fmt.Errorf("demo scan: no firmware %s %s", DemoScannedModel, DemoScannedVersion)
	}
	job, err := a.Evaluation.Upload(ctx, act, fwID, "harbor-hr1-1.0.7-sysupgrade.bin", bytes.NewReader(firmwaretest.Router()))
	if err != nil {
		return fmt.Errorf("demo scan: upload: %w", err)
	}
	job, input, err := s.JobInput(ctx, job.ID)
	if err != nil {
		return fmt.Errorf("demo scan: %w", err)
	}
	if job, err = s.StartJob(ctx, job.ID, a.Auth.Now()); err != nil {
		return fmt.Errorf("demo scan: %w", err)
	}
	h := &evaluation.Handler{Service: a.Evaluation}
	res, err := h.Run(ctx, job, input)
	if err != nil {
		s.EndJob(ctx, job.ID, iotsec.JobFailed, nil, iotsec.Message(err), a.Auth.Now())
		return fmt.Errorf("demo scan: %w", err)
	}
	return s.EndJob(ctx, job.ID, iotsec.JobSucceeded, res, "", a.Auth.Now())
}

// demoOrg finds the demo organisation.
func demoOrg(ctx context.Context, s iotsec.Store) (iotsec.Organisation, error) {
	orgs, err := s.ListOrgs(ctx)
	if err != nil {
		return iotsec.Organisation{}, err
	}
	for _, o := range orgs {
		if o.Name == DemoOrg {
			return o, nil
		}
	}
	return iotsec.Organisation{}, fmt.Errorf("no organisation %q", DemoOrg)
}

// seedIdentity gives the demo organisation a CA, a maker's IDevID root,
// onboarding identities for the first cameras (two sharing one key, for the
// audit to find), LDevIDs for those in service, one revocation and one
// device decommissioned and disposed.
func (a *App) seedIdentity(ctx context.Context) error {
	s, svc := a.Store, a.Identity
	orgs, err := s.ListOrgs(ctx)
	if err != nil {
		return err
	}
	var org iotsec.Organisation
	for _, o := range orgs {
		if o.Name == DemoOrg {
			org = o
		}
	}
	act := iotsec.System(org.ID, "demo")
	if _, err := svc.InitCA(ctx, act, identity.CAOptions{}); err != nil {
		return err
	}
	now := svc.Now
	root, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Demo Devices IDevID Root 2024", Organization: []string{DemoOrg}},
		Validity: 25 * 365 * 24 * time.Hour, Rand: svc.Rand, Now: func() time.Time { return now().AddDate(-2, 0, 0) }})
	if err != nil {
		return err
	}
	if _, err := svc.AddAnchors(ctx, act, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw)); err != nil {
		return err
	}
	key := func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), svc.Rand) }
	csrFor := func(k *ecdsa.PrivateKey, uid string) (*x509.CertificateRequest, []byte, error) {
		der, err := x509.CreateCertificateRequest(svc.Rand, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "Aurora indoor camera", SerialNumber: uid}}, k)
		if err != nil {
			return nil, nil, err
		}
		c, err := x509.ParseCertificateRequest(der)
		return c, der, err
	}
	ds, err := s.ListDevices(ctx, act, iotsec.DeviceFilter{Query: "AC-200-", Limit: 12})
	if err != nil {
		return err
	}
	shared, err := key()
	if err != nil {
		return err
	}
	var enrolled []iotsec.DeviceCert
	for i, d := range ds {
		k := shared
		if i < len(ds)-2 {
			if k, err = key(); err != nil {
				return err
			}
		}
		req, _, err := csrFor(k, d.UID)
		if err != nil {
			return err
		}
		idev, err := root.Issue(req, ca.IssueOptions{Validity: 20 * 365 * 24 * time.Hour})
		if err != nil {
			return err
		}
		if _, _, err := svc.RegisterIDevID(ctx, act, d.ID, identity.PEM(idev.Raw), identity.IDevIDOptions{}); err != nil {
			return err
		}
		if d.State != iotsec.StateOperational && d.State != iotsec.StateProvisioned {
			continue
		}
		op, err := key()
		if err != nil {
			return err
		}
		_, der, err := csrFor(op, d.UID)
		if err != nil {
			return err
		}
		c, err := svc.Issue(ctx, act, d.ID, der, "api")
		if err != nil {
			return err
		}
		enrolled = append(enrolled, c)
	}
	if len(enrolled) < 3 {
		return fmt.Errorf("demo identity: only %d devices enrolled", len(enrolled))
	}
	if _, err := svc.Revoke(ctx, act, enrolled[1].ID, iotsec.ReasonKeyCompromise); err != nil {
		return err
	}
	retired := enrolled[2].DeviceID
	for _, m := range []identity.Move{
		{To: iotsec.StateDecommissioned, Evidence: "NIST SP 800-88 purge with WipeTool 4.2, report W-" + strings.ToUpper(retired[len(retired)-4:]), Note: "returned at end of contract"},
		{To: iotsec.StateDisposed, Evidence: "GreenCycle BV, certificate of destruction GC-2026-0412"},
	} {
		if _, err := svc.Transition(ctx, act, retired, m); err != nil {
			return err
		}
	}
	return nil
}

// DemoHistoryWeeks is how many weeks of daily dashboard snapshots the
// demo starts with.
const DemoHistoryWeeks = 4

// seedDashboardHistory gives the demo DemoHistoryWeeks weeks of dashboard
// snapshots, one every day, so "since last week" and the trends have
// something to show. The demo's data are all made now, so each past
// snapshot is the dashboards computed over today's data with the clock
// set back to its day: what depends on the day (support periods ended,
// certificates expiring, deadlines) moves, nothing else does. They are
// stored with source "demo", which the pages show. The oldest camera
// firmware's support ended three days ago, so last week's snapshot has it
// still supported.
func (a *App) seedDashboardHistory(ctx context.Context) error {
	now := a.Dashboard.Now()
	for k := 7 * DemoHistoryWeeks; k >= 1; k-- {
		past := *a.Dashboard
		at := now.AddDate(0, 0, -k)
		past.Now = func() time.Time { return at }
		if _, err := past.SnapshotAll(ctx, "demo", true); err != nil {
			return fmt.Errorf("demo dashboard history: %w", err)
		}
	}
	return nil
}
