package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// BenchmarkAPIImport is the new user's path end to end: POST 10,000
// devices as CSV to /api/v1/devices/import and poll the job until it has
// succeeded. It reports devices/s from request to finished job.
func BenchmarkAPIImport(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			cfg := config.Default()
			cfg.Workers = 1
			if db == "sqlite" {
				cfg.Data = b.TempDir()
			} else {
				cfg.Database = storetest.PostgresDSN(b)
			}
			a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { a.Close() })
			_, token := seed(b, a)
			url, _ := serve(b, a)
			const n = 10_000
			body := csv(n)
			b.ResetTimer()
			for i := range b.N {
				// Same UIDs each round: the first round creates, later
				// rounds update; both are what imports do.
				req, _ := http.NewRequest("POST", url+"/api/v1/devices/import", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "text/csv")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var job iotsec.Job
				json.NewDecoder(resp.Body).Decode(&job)
				resp.Body.Close()
				for {
					j := getJob(b, url, token, job.ID)
					if j.State == iotsec.JobSucceeded {
						break
					}
					if j.State == iotsec.JobFailed {
						b.Fatalf("round %d: job failed: %s", i, j.Error)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "devices/s")
		})
	}
}
