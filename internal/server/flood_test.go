package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// TestFlood: on SQLite and PostgreSQL, organisation A floods firmware
// image uploads (16 clients sending 64 KiB images as fast as they are
// answered) while
// organisation B goes about its ordinary business: it lists its devices,
// reads its firmware version and uploads a small SBOM. B's requests are
// timed without the flood and during it, in the same test; during the
// flood every one of them succeeds and their 95th percentile stays within
// ten times the one without (or a second, whichever is more), while A's
// excess uploads answer 429 with Retry-After. The figures are in the
// log; docs/benchmarks.md records them.
func TestFlood(t *testing.T) {
	dbs := map[string]func(*config.Config){"sqlite": nil}
	if os.Getenv("IOTSEC_TEST_POSTGRES") != "" {
		dbs["postgres"] = func(c *config.Config) { c.Database = storetest.PostgresDSN(t) }
	} else {
		t.Log("IOTSEC_TEST_POSTGRES is not set; PostgreSQL is not tested")
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			f := apptest.NewWith(t, db)
			// victim times B's requests, all together and by kind.
			victim := func(kinds map[string][]time.Duration) []time.Duration {
				var took []time.Duration
				for range 15 {
					for _, rq := range []struct {
						method, path, ctype, body string
						want                      int
					}{
						{"GET", "/api/v1/devices", "", "", 200},
						{"GET", "/api/v1/firmware/" + f.B.Firmware.ID, "", "", 200},
						{"PUT", "/api/v1/firmware/" + f.B.Firmware.ID + "/sbom", "application/json", apptest.SBOM, 200},
					} {
						start := time.Now()
						resp, body := f.Do(rq.method, rq.path, f.B.Token, rq.ctype, strings.NewReader(rq.body))
						took = append(took, time.Since(start))
						kinds[rq.method] = append(kinds[rq.method], time.Since(start))
						if resp.StatusCode != rq.want {
							t.Errorf("B's %s %s = %d, want %d: %s", rq.method, rq.path, resp.StatusCode, rq.want, body)
						}
					}
				}
				return took
			}
			baseKinds, floodKinds := map[string][]time.Duration{}, map[string][]time.Duration{}
			base := victim(baseKinds)

			// The flood: 16 clients upload 64 KiB images, each to a
			// firmware version of its own, as fast as they are answered,
			// until told to stop.
			var fws []string
			for i := range 16 {
				fw := iotsec.FirmwareVersion{ProductID: f.A.Product.ID, Version: fmt.Sprintf("flood-%d", i)}
				apptest.Must(t, f.App.Store.CreateFirmware(context.Background(), f.A.Actor(), &fw))
				fws = append(fws, fw.ID)
			}
			var stop atomic.Bool
			var mu sync.Mutex
			codes := map[int]int{}
			var retry []string
			var wg sync.WaitGroup
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			defer client.CloseIdleConnections()
			for _, fw := range fws {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Images differ by client and by request: identical
					// ones uploaded at once would meet another problem.
					image := bytes.Repeat([]byte("firmware"), 8<<10)
					copy(image, fw)
					for n := 0; !stop.Load(); n++ {
						binary.BigEndian.PutUint64(image[len(fw):], uint64(n))
						req, _ := http.NewRequest("POST", f.Srv.URL+"/api/v1/firmware/"+fw+"/image?name=flood.bin", bytes.NewReader(image))
						req.Header.Set("Authorization", "Bearer "+f.A.Token)
						req.Header.Set("Content-Type", "application/octet-stream")
						resp, err := client.Do(req)
						if err != nil {
							continue
						}
						resp.Body.Close()
						mu.Lock()
						codes[resp.StatusCode]++
						if resp.StatusCode == http.StatusTooManyRequests {
							retry = append(retry, resp.Header.Get("Retry-After"))
						}
						mu.Unlock()
					}
				}()
			}
			time.Sleep(300 * time.Millisecond) // the flood is under way
			flood := victim(floodKinds)
			stop.Store(true)
			wg.Wait()

			p50b, p95b := percentile(base, 50), percentile(base, 95)
			p50f, p95f := percentile(flood, 50), percentile(flood, 95)
			t.Logf("%s: B's requests without the flood p50 %s p95 %s; during it p50 %s p95 %s; A's uploads answered %v",
				name, p50b, p95b, p50f, p95f, codes)
			for _, k := range []string{"GET", "PUT"} {
				t.Logf("%s: B's %s requests: p95 %s without the flood, %s during it", name, k, percentile(baseKinds[k], 95), percentile(floodKinds[k], 95))
			}
			if bound := max(10*p95b, time.Second); p95f > bound {
				t.Errorf("B's p95 during A's flood is %s, over %s (ten times %s without it, or a second)", p95f, bound, p95b)
			}
			mu.Lock()
			defer mu.Unlock()
			if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusAccepted] == 0 {
				t.Errorf("A's flood answered %v, want some 202 and some 429", codes)
			}
			for c := range codes {
				if c != http.StatusAccepted && c != http.StatusTooManyRequests {
					t.Errorf("A's flood was answered %d (%d times)", c, codes[c])
				}
			}
			if i := slices.IndexFunc(retry, func(s string) bool { n, err := strconv.Atoi(s); return err != nil || n < 1 }); i >= 0 {
				t.Errorf("429 with Retry-After %q, want whole seconds", retry[i])
			}
		})
	}
}

// percentile is the p-th percentile of ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(i-1, 0)].Round(100 * time.Microsecond)
}
