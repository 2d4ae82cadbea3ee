package inventory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
)

// BenchmarkImport measures bulk device import, the path API imports and
// the CLI share: parse, resolve, and write in batches of 1,000 with a
// checkpoint each. Each iteration imports 10,000 new devices into a store
// that keeps growing, and reports devices/s.
func BenchmarkImport(b *testing.B) {
	stores := map[string]func(b *testing.B) *sqlstore.Store{
		"sqlite": func(b *testing.B) *sqlstore.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "db"), sqlstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) *sqlstore.Store {
			s, err := postgres.Open(context.Background(), storetest.PostgresDSN(b), sqlstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := stores[name](b)
			b.Cleanup(func() { s.Close() })
			ctx := context.Background()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			o := iotsec.Organisation{Name: "Bench", Country: "NL"}
			if err := s.CreateOrg(ctx, "b", &o, ""); err != nil {
				b.Fatal(err)
			}
			a := iotsec.System(o.ID, "bench")
			p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
			if err := s.CreateProduct(ctx, a, &p); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateFirmware(ctx, a, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.0"}); err != nil {
				b.Fatal(err)
			}
			job := iotsec.Job{Kind: inventory.Kind}
			if err := s.CreateJob(ctx, a, &job, nil); err != nil {
				b.Fatal(err)
			}
			const n = 10_000
			files := make([]string, b.N)
			for i := range files {
				var sb strings.Builder
				sb.WriteString("uid,product,firmware,state\n")
				for j := range n {
					fmt.Fprintf(&sb, "SN-%04d-%06d,CAM-1,1.0,operational\n", i, j)
				}
				files[i] = sb.String()
			}
			b.ResetTimer()
			for i := range b.N {
				res, err := inventory.Import(ctx, s, a, strings.NewReader(files[i]), inventory.JobRef{ID: job.ID}, 0, 0, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				if res.Created != n {
					b.Fatalf("created %d, want %d", res.Created, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "devices/s")
		})
	}
}
