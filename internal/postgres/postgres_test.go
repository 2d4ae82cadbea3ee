package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
)

// dsn returns the test database, or skips: PostgreSQL tests run when
// IOTSEC_TEST_POSTGRES holds a DSN, as CI sets it.
func dsn(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv("IOTSEC_TEST_POSTGRES")
	if d == "" {
		tb.Skip("IOTSEC_TEST_POSTGRES is not set; set it to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test) to run the PostgreSQL store tests")
	}
	return d
}

// schemaDSN makes a schema of its own for one test and returns a DSN
// whose connections use it; the schema is dropped afterwards.
func schemaDSN(tb testing.TB) string {
	tb.Helper()
	base := dsn(tb)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("iotsec_test_%x", rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		tb.Fatal(err)
	}
	sep := "?"
	if cfg.ConnString() != "" && containsQuery(base) {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func containsQuery(s string) bool {
	for _, c := range s {
		if c == '?' {
			return true
		}
	}
	return false
}

func open(tb testing.TB, now func() time.Time) iotsec.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), schemaDSN(tb), sqlstore.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) { storetest.Run(t, open) }

// Replicas starting together migrate the same database at the same time;
// the locks make one apply each migration and the others see it applied.
func TestConcurrentMigrate(t *testing.T) {
	d := schemaDSN(t)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(ctx, d, sqlstore.Options{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			_, err = s.Migrate(ctx)
			if err == nil {
				err = s.Ping(ctx)
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}
