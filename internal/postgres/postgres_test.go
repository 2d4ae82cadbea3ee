package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/storetest"
)

func open(tb testing.TB, now func() time.Time) iotsec.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), storetest.PostgresDSN(tb), sqlstore.Options{Now: now})
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
	d := storetest.PostgresDSN(t)
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
