package app_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/storetest"
)

// TestMatchShareInRequests: a re-match asked for through the API counts
// against the organisation's match share in the database, the slots its
// queued re-match jobs take, so another replica's (or a job's) match
// holding the only slot turns the request away with 429 and Retry-After,
// another organisation's re-match goes on, and a request gives its slot
// back when its match is done.
func TestMatchShareInRequests(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			if db == "postgres" && os.Getenv("IOTSEC_TEST_POSTGRES") == "" {
				t.Skip("IOTSEC_TEST_POSTGRES is not set")
			}
			f := apptest.NewWith(t, func(c *config.Config) {
				c.MatchesPerOrg = 1
				if db == "postgres" {
					c.Database = storetest.PostgresDSN(t)
				}
			})
			f.SupplyRecords(&f.A)
			f.SupplyRecords(&f.B)
			ctx := context.Background()
			rematch := func(g apptest.Tenant) *http.Response {
				t.Helper()
				resp, _ := f.Do("POST", "/api/v1/firmware/"+g.Firmware.ID+"/rematch", g.Token, "", nil)
				return resp
			}
			take := func(job string) bool {
				t.Helper()
				now := time.Now()
				took, err := f.App.Store.TakeSlot(ctx, f.A.Org.ID, "matches", job, 1, now.Add(time.Minute), now)
				apptest.Must(t, err)
				return took
			}

			// A request's match gives its slot back: a job takes it after.
			if resp := rematch(f.A); resp.StatusCode != http.StatusOK {
				t.Fatalf("A's re-match with its share free: %d, want 200", resp.StatusCode)
			}
			if !take("job-elsewhere") {
				t.Fatal("the slot of A's finished re-match was not given back")
			}

			// The one slot is held elsewhere: A waits, B does not.
			resp := rematch(f.A)
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("A's re-match while its only match slot is held: %d, Retry-After %q; want 429 with Retry-After",
					resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if resp := rematch(f.B); resp.StatusCode != http.StatusOK {
				t.Fatalf("B's re-match while A's share is used up: %d, want 200", resp.StatusCode)
			}

			apptest.Must(t, f.App.Store.FreeSlot(ctx, "job-elsewhere"))
			if resp := rematch(f.A); resp.StatusCode != http.StatusOK {
				t.Fatalf("A's re-match after the slot was freed: %d, want 200", resp.StatusCode)
			}
		})
	}
}
