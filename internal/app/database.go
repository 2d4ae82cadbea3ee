package app

import (
	"context"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// OpenDatabase opens the database the configuration names and migrates
// it, as Open does, and returns it as the domain's store: what the
// command line's commands that use the database start with, without
// naming a storage type. On failure nothing is left open.
func OpenDatabase(ctx context.Context, cfg config.Config) (iotsec.Store, error) {
	s, _, err := Open(ctx, cfg, sqlstore.Options{})
	if err != nil {
		return nil, err // a nil *sqlstore.Store in the interface would not be nil
	}
	return s, nil
}

// Migrate brings the schema of the database the configuration names up
// to date. It returns the migrations it applied (none when it was up to
// date) and the migration the database is now at.
func Migrate(ctx context.Context, cfg config.Config) (applied []int, version int, err error) {
	s, err := OpenStore(ctx, cfg, sqlstore.Options{})
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	if applied, err = s.Migrate(ctx); err != nil {
		return nil, 0, err
	}
	if version, err = s.Version(ctx); err != nil {
		return nil, 0, err
	}
	return applied, version, nil
}
