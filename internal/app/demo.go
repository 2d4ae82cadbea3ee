package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
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
	}
	if err != nil {
		return "", fmt.Errorf("seed demo: %w", err)
	}
	secret, err := a.Auth.LoginLink(ctx, u.ID, 24*time.Hour)
	if err != nil {
		return "", err
	}
	return a.Config.URL() + "/login/link/" + secret, nil
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
			[]fw{{"2.1.0", 900, 730}, {"2.4.3", 400, 1460}, {"2.5.1", 60, 1825}}, 40},
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
