package app_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// BenchmarkDashboards is issue 15's measurement: every dashboard of one
// organisation with IOTSEC_BENCH_DEVICES devices (100,000 by default),
// 1,000 firmware versions (100 products of 10 versions, each version with
// 30 open matches, one version in ten with a known exploited one) and
// IOTSEC_BENCH_VULNS vulnerability records (300,000 by default) in the
// shared data, on SQLite and (with IOTSEC_TEST_POSTGRES) PostgreSQL. One
// iteration computes one dashboard, as the API and the page do.
//
//	IOTSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench BenchmarkDashboards -benchtime 20x ./internal/app/
func BenchmarkDashboards(b *testing.B) {
	devices, vulns := envInt("IOTSEC_BENCH_DEVICES", 100_000), envInt("IOTSEC_BENCH_VULNS", 300_000)
	for dialect, store := range apptest.Stores(b, time.Now) {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.CAKey = config.Secret(testKEK)
			s, err := app.NewServices(store, cfg, quietLog(), app.Options{})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			a := seedFleet(b, store, devices, vulns)
			b.Logf("%s: seeded %d devices, 1000 firmware versions, %d vulnerability records in %s", dialect, devices, vulns, time.Since(start).Round(time.Second))
			// Twelve weeks of daily snapshots, as the job leaves them, for
			// "since last week" and the trends.
			figs, err := s.Dashboard.SnapshotFigures(ctx, a)
			if err != nil {
				b.Fatal(err)
			}
			today := iotsec.DateOf(time.Now())
			for k := 7 * dashboard.TrendWeeks; k >= 1; k-- {
				apptest.Must(b, store.PutDashboardSnapshot(ctx, iotsec.DashboardSnapshot{OrgID: a.OrgID, Day: today.AddDays(-k), Source: "job", Figures: figs}))
			}
			for _, role := range []string{"ciso", "executive", "regulator", "policy"} {
				b.Run(role, func(b *testing.B) {
					for b.Loop() {
						if _, err := s.Dashboard.Any(ctx, a, role, ""); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			// The daily job's work for one organisation: both dashboards'
			// figures, stored.
			b.Run("snapshot", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Dashboard.Snapshot(ctx, a, "job"); err != nil {
						b.Fatal(err)
					}
				}
			})
			// The reference, in the same run: the CISO's dashboard without
			// migration 16's index of the fleet tally.
			if _, err := store.DB().ExecContext(ctx, "DROP INDEX devices_tally"); err != nil {
				b.Fatal(err)
			}
			b.Run("ciso-without-tally-index", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Dashboard.CISO(ctx, a); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func seedFleet(b *testing.B, s iotsec.Store, devices, vulns int) iotsec.Actor {
	b.Helper()
	ctx := context.Background()
	o := iotsec.Organisation{Name: "Fleet", Kind: iotsec.OrgManufacturer, Country: "NL"}
	apptest.Must(b, s.CreateOrg(ctx, "bench", &o, ""))
	a := iotsec.System(o.ID, "bench")
	today := iotsec.DateOf(time.Now())
	var fws []iotsec.FirmwareVersion
	for i := range 100 {
		p := iotsec.Product{Name: fmt.Sprintf("Product %d", i), Model: fmt.Sprintf("M-%d", i), Class: "camera", Markets: []string{"EU", "GB", "SG"}, SupportMonths: 60}
		apptest.Must(b, s.CreateProduct(ctx, a, &p))
		for j := range 10 {
			f := iotsec.FirmwareVersion{ProductID: p.ID, Version: fmt.Sprintf("1.%d", j), SupportEnd: today.AddDays(-400 + 120*j)}
			apptest.Must(b, s.CreateFirmware(ctx, a, &f))
			fws = append(fws, f)
		}
	}
	states := iotsec.States()
	batch := make([]iotsec.Device, 0, 1000)
	for i := range devices {
		f := fws[i%len(fws)]
		batch = append(batch, iotsec.Device{UID: fmt.Sprintf("SN-%07d", i), ProductID: f.ProductID, FirmwareID: f.ID, State: states[i%len(states)]})
		if len(batch) == cap(batch) || i == devices-1 {
			_, err := s.UpsertDevices(ctx, a, batch, nil)
			apptest.Must(b, err)
			batch = batch[:0]
		}
	}
	imp := iotsec.VulnImport{Kind: "osv", File: "bench", SHA256: "0", By: "bench"}
	apptest.Must(b, s.ImportVulns(ctx, &imp, func(w iotsec.VulnWriter) error {
		rs := make([]iotsec.VulnRecord, 0, 5000)
		for i := range vulns {
			id := fmt.Sprintf("BENCH-%06d", i)
			rs = append(rs, iotsec.VulnRecord{Source: "osv", ID: id, IDs: []string{id}, Modified: time.Now(),
				Keys: []iotsec.VulnKey{{Kind: "purl", A: "generic", C: fmt.Sprintf("lib%d", i%5000)}}, Data: []byte(`{"id":"` + id + `"}`)})
			if len(rs) == cap(rs) || i == vulns-1 {
				if err := w.PutAdvisories(ctx, rs); err != nil {
					return err
				}
				rs = rs[:0]
			}
		}
		return nil
	}))
	for i, f := range fws {
		ms := make([]iotsec.VulnMatch, 0, 30)
		for k := range 30 {
			ms = append(ms, iotsec.VulnMatch{FirmwareID: f.ID, ProductID: f.ProductID, Version: f.Version, VulnID: fmt.Sprintf("BENCH-%06d", (i*30+k)%vulns),
				Component: fmt.Sprintf("lib%d", k), ComponentVersion: "1.0", Severity: "high", Score: 7.5, KEV: k == 0 && i%10 == 0, FirstSeen: time.Now(), Data: []byte(`{}`)})
		}
		_, err := s.ReplaceMatches(ctx, a, f.ID, ms)
		apptest.Must(b, err)
	}
	return a
}
