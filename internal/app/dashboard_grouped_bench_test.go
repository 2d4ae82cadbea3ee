package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// BenchmarkDashboardGroupedReads measures the CISO dashboard's identity
// health and audit week as grouped store reads (CertificateHealth,
// AuditCounts) against the row-by-row reads they replaced (every
// certificate and every event of the week read a page at a time and
// counted in Go), in the same run, for one organisation with
// IOTSEC_BENCH_CERTS devices, each with one certificate (10,000 by
// default; every added certificate is also an audit event).
//
//	IOTSEC_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench BenchmarkDashboardGroupedReads -benchtime 20x ./internal/app/
func BenchmarkDashboardGroupedReads(b *testing.B) {
	n := envInt("IOTSEC_BENCH_CERTS", 10_000)
	for dialect, store := range apptest.Stores(b, time.Now) {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			o := iotsec.Organisation{Name: "Certs", Kind: iotsec.OrgManufacturer, Country: "NL"}
			apptest.Must(b, store.CreateOrg(ctx, "bench", &o, ""))
			a := iotsec.System(o.ID, "bench")
			p := iotsec.Product{Name: "Camera", Model: "C-1", Class: "camera"}
			apptest.Must(b, store.CreateProduct(ctx, a, &p))
			start := time.Now()
			var ds []iotsec.Device
			for i := range n {
				ds = append(ds, iotsec.Device{UID: fmt.Sprintf("SN-%07d", i), ProductID: p.ID, State: iotsec.StateProvisioned})
			}
			for lo := 0; lo < n; lo += 1000 {
				_, err := store.UpsertDevices(ctx, a, ds[lo:min(lo+1000, n)], nil)
				apptest.Must(b, err)
			}
			var list []iotsec.Device
			for f := (iotsec.DeviceFilter{Limit: 1000}); ; {
				page, err := store.ListDevices(ctx, a, f)
				apptest.Must(b, err)
				list = append(list, page...)
				if len(page) < f.Limit {
					break
				}
				f.After = page[len(page)-1].ID
			}
			now := time.Now().Truncate(time.Second)
			for i, d := range list {
				sum := sha256.Sum256([]byte(d.UID))
				fp := hex.EncodeToString(sum[:])
				key := fp
				if i%50 == 0 {
					key = strings.Repeat("5", 64) // one device in fifty shares a key
				}
				c := iotsec.DeviceCert{DeviceID: d.ID, Kind: iotsec.CertIDevID, Profile: "idevid", Serial: fp[:32], Subject: "SERIALNUMBER=" + d.UID,
					Issuer: "CN=Root", Fingerprint: fp, KeyFingerprint: key, NotBefore: now.AddDate(-1, 0, 0),
					NotAfter: now.Add(time.Hour).AddDate(0, 0, i%400-10), Via: "registered", DER: []byte(fp)}
				apptest.Must(b, store.AddCertificate(ctx, a, &c))
			}
			b.Logf("%s: seeded %d devices and certificates in %s", dialect, len(list), time.Since(start).Round(time.Second))
			soon := now.AddDate(0, 0, 30)
			week := now.AddDate(0, 0, -7)
			var grouped, rows iotsec.CertHealth
			b.Run("identity-grouped", func(b *testing.B) {
				for b.Loop() {
					var err error
					if grouped, err = store.CertificateHealth(ctx, a, now, soon); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("identity-row-by-row", func(b *testing.B) {
				for b.Loop() {
					rows = healthRowByRow(b, store, a, now, soon)
				}
			})
			if grouped != rows {
				b.Fatalf("grouped %+v, row by row %+v", grouped, rows)
			}
			var gc, rc int
			b.Run("audit-grouped", func(b *testing.B) {
				for b.Loop() {
					m, err := store.AuditCounts(ctx, a, week)
					if err != nil {
						b.Fatal(err)
					}
					gc = 0
					for _, v := range m {
						gc += v
					}
				}
			})
			b.Run("audit-row-by-row", func(b *testing.B) {
				for b.Loop() {
					rc = auditRowByRow(b, store, a, week)
				}
			})
			if gc != rc || gc < n {
				b.Fatalf("audit events: grouped %d, row by row %d, want at least %d", gc, rc, n)
			}
		})
	}
}

// healthRowByRow is the identity health the CISO dashboard computed before
// CertificateHealth: every certificate read, a thousand at a time.
func healthRowByRow(b *testing.B, s iotsec.Store, a iotsec.Actor, now, soon time.Time) iotsec.CertHealth {
	var h iotsec.CertHealth
	keys := map[string]map[string]bool{}
	var active []iotsec.DeviceCert
	f := iotsec.CertFilter{Limit: 1000}
	for {
		cs, err := s.ListCertificates(context.Background(), a, f)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			switch c.Status {
			case iotsec.CertRevoked:
				h.Revoked++
			case iotsec.CertActive:
				active = append(active, c)
				if keys[c.KeyFingerprint] == nil {
					keys[c.KeyFingerprint] = map[string]bool{}
				}
				keys[c.KeyFingerprint][c.DeviceID] = true
			}
		}
		if len(cs) < f.Limit {
			break
		}
		f.After = cs[len(cs)-1].ID
	}
	for _, c := range active {
		h.Active++
		switch {
		case c.NotAfter.Before(now):
			h.Expired++
		case c.NotAfter.Before(soon):
			h.Expiring++
		}
		if c.KeyFingerprint != "" && len(keys[c.KeyFingerprint]) > 1 {
			h.Shared++
		}
	}
	return h
}

// auditRowByRow is the audit week the CISO dashboard read before
// AuditCounts: the events newest first, a thousand at a time.
func auditRowByRow(b *testing.B, s iotsec.Store, a iotsec.Actor, since time.Time) int {
	total := 0
	f := iotsec.AuditFilter{Limit: 1000}
	for {
		es, err := s.ListAudit(context.Background(), a, f)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range es {
			if e.Time.Before(since) {
				return total
			}
			total++
		}
		if len(es) < f.Limit {
			return total
		}
		f.Before = es[len(es)-1].Seq
	}
}
