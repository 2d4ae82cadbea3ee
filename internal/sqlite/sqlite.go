// Package sqlite opens iotsec's store on an embedded SQLite database
// (modernc.org/sqlite, pure Go, so the binary needs no cgo): WAL journal,
// a busy timeout, foreign keys on, and write transactions that take the
// write lock when they begin so they queue instead of failing.
//
// The queries live in internal/sqlstore; this package holds the SQLite
// migrations and dialect. It must not import internal/postgres, the server,
// api, ui, cli or app packages.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations returns the SQLite schema migrations.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.Migrations(migrationFS, "migrations")
}

// Dialect describes SQLite to sqlstore.
func Dialect() sqlstore.Dialect {
	return sqlstore.Dialect{Name: "sqlite", ErrorKind: errorKind, OneWriter: true}
}

func errorKind(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return iotsec.ErrConflict
		}
	}
	return nil
}

// dsn builds the connection string: every connection gets the pragmas.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate on the result.
func Open(ctx context.Context, path string, opts sqlstore.Options) (*sqlstore.Store, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	return openWith(ctx, path, opts, ms)
}

// openWith opens the database with the given migrations (tests of a
// migration open it with those before).
func openWith(ctx context.Context, path string, opts sqlstore.Options, ms []sqlstore.Migration) (*sqlstore.Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers run side by side under WAL; writers queue on the lock.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// River's own background work runs on a separate one-connection pool,
	// as its SQLite driver recommends; jobs are still inserted inside the
	// store's transactions.
	rdb, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(1)
	return sqlstore.New(sqlstore.Config{
		DB: db, Dialect: Dialect(), Migrations: ms, River: riversqlite.New(rdb), Options: opts,
		Close: func() error { return errors.Join(db.Close(), rdb.Close()) },
	})
}
