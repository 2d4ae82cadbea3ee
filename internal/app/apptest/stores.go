package apptest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
)

// Stores opens a migrated SQLite store in the test's temporary directory
// and, when IOTSEC_TEST_POSTGRES is set, a migrated PostgreSQL one in a
// schema of its own, keyed "sqlite" and "postgres", with the clock now
// (nil: the real one). They close when the test ends. Services' tests run
// their cases on each.
func Stores(t testing.TB, now func() time.Time) map[string]*sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	cfgs := databases(t)
	out := map[string]*sqlstore.Store{}
	for name, c := range cfgs {
		s, _, err := app.Open(ctx, c, sqlstore.Options{Now: now})
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

// Replicas opens each database of Stores twice, as two replicas of the
// server share it: two stores, each with its own connections, on one
// SQLite file and on one PostgreSQL schema (when IOTSEC_TEST_POSTGRES is
// set).
func Replicas(t testing.TB) map[string][2]*sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	cfgs := databases(t)
	out := map[string][2]*sqlstore.Store{}
	for name, c := range cfgs {
		var pair [2]*sqlstore.Store
		for i := range pair {
			s, _, err := app.Open(ctx, c, sqlstore.Options{})
			if err != nil {
				t.Fatalf("open %s (replica %d): %v", name, i+1, err)
			}
			t.Cleanup(func() { s.Close() })
			pair[i] = s
		}
		out[name] = pair
	}
	return out
}

// databases are the configurations of the test's databases: SQLite in a
// temporary directory and, when IOTSEC_TEST_POSTGRES is set, PostgreSQL
// in a schema of its own.
func databases(t testing.TB) map[string]config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfgs := map[string]config.Config{"sqlite": cfg}
	if os.Getenv("IOTSEC_TEST_POSTGRES") != "" {
		pg := config.Default()
		pg.Database = storetest.PostgresDSN(t)
		cfgs["postgres"] = pg
	} else {
		t.Log("IOTSEC_TEST_POSTGRES is not set; PostgreSQL is not tested")
	}
	return cfgs
}
