// Package postgres opens iotsec's store on PostgreSQL, for when one machine
// is not enough: any number of stateless `iotsec serve` replicas and
// workers share one database. It uses pgx, through database/sql so the
// queries in internal/sqlstore serve both databases, and gives River a pgx
// connection of its own to LISTEN for new jobs.
//
// This package holds the PostgreSQL migrations and dialect. It must not
// import internal/sqlite, the server, api, ui, cli or app packages.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the PostgreSQL schema migrations.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.Migrations(migrationFS, "migrations")
}

// Dialect describes PostgreSQL to sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:       "postgres",
		Numbered:   true,
		Arrays:     true,
		NativeTime: true,
		// One chain, many replicas: appenders take turns on this lock,
		// released when their transaction ends.
		LockAudit: "SELECT pg_advisory_xact_lock(7243902)",
		// The transparency log is one tree for every replica likewise.
		// A move takes this lock first and the audit lock after it;
		// nothing takes them the other way round.
		LockLog:   "SELECT pg_advisory_xact_lock(7243903)",
		ErrorKind: errorKind,
	}
}

func errorKind(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch e.Code {
		case "23505", "23503": // unique_violation, foreign_key_violation
			return iotsec.ErrConflict
		}
	}
	return nil
}

// Open connects to the database at dsn (a postgres:// URL or key=value
// string). It does not migrate; call Migrate on the result.
func Open(ctx context.Context, dsn string, opts sqlstore.Options) (*sqlstore.Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	// River's listener keeps a connection for LISTEN; give it its own pool
	// so it never starves the store's.
	lcfg := cfg.Copy()
	lcfg.MaxConns, lcfg.MinConns = 2, 0
	listen, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	return sqlstore.New(sqlstore.Config{
		DB: db, Dialect: Dialect(), Migrations: ms, Options: opts,
		River: riverdatabasesql.NewWithPgxListener(db, listen),
		Close: func() error {
			err := db.Close()
			pool.Close()
			listen.Close()
			return err
		},
	})
}
