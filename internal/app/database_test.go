package app

import (
	"context"
	"testing"

	"github.com/iotsec/iotsec/internal/config"
)

// Migrate applies what the database lacks, then nothing; OpenDatabase
// gives a migrated store.
func TestMigrateAndOpenDatabase(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	applied, v, err := Migrate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[len(applied)-1] != v {
		t.Errorf("first Migrate applied %v, now at %d; want every migration up to the version", applied, v)
	}
	again, v2, err := Migrate(ctx, cfg)
	if err != nil || len(again) != 0 || v2 != v {
		t.Errorf("second Migrate = %v, %d, %v; want nothing applied, still at %d", again, v2, err, v)
	}
	s, err := OpenDatabase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after OpenDatabase: %v", err)
	}
}
