package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/riverqueue/river/rivermigrate"
)

// Migration is one numbered, forward-only schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads NNNN_name.sql files from dir of fsys in version order.
// Numbers must be unique.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || rest == "" {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migration %d appears twice", out[i].Version)
		}
	}
	return out, nil
}

// migrationLock serialises migrations across replicas on PostgreSQL.
const migrationLock = "SELECT pg_advisory_xact_lock(7243901)"

// Migrate applies River's migrations, then ours, each in its own
// transaction, recording ours in schema_migrations. It is safe to run from
// several processes at once. It returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	lock := func(tx *sql.Tx) error {
		if s.d.Numbered { // PostgreSQL; SQLite transactions begin IMMEDIATE
			_, err := tx.ExecContext(ctx, migrationLock)
			return err
		}
		return nil
	}
	migrator, err := rivermigrate.New(s.river, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate queue: %w", err)
	}
	if err := s.migrateQueue(ctx, migrator); err != nil {
		return nil, fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		// Two replicas may race to create it on PostgreSQL; the loser's
		// error is harmless if the table now exists.
		if _, err2 := s.db.ExecContext(ctx, "SELECT 1 FROM schema_migrations LIMIT 1"); err2 != nil {
			return nil, fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	var applied []int
	for _, m := range s.migrations {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if err := lock(tx); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM schema_migrations WHERE version = ?"), m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if m.Version == 10 {
				// 0010 splits the audit log into a chain per
				// organisation: chain the events already stored.
				if err := s.chainOrgs(ctx, tx); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, s.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
				m.Version, m.Name, s.now().Format(timeLayout)); err != nil {
				return err
			}
			applied = append(applied, m.Version)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return applied, nil
}

// Version returns the highest applied migration, 0 if none.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	return int(v.Int64), err
}

// migrateQueue applies River's migrations. Some of River's PostgreSQL
// migrations cannot run inside one transaction (they add an enum value and
// use it), so replicas take turns on a session lock instead.
func (s *Store) migrateQueue(ctx context.Context, m *rivermigrate.Migrator[*sql.Tx]) error {
	if s.d.Numbered {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7243903)"); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7243903)")
	}
	_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}
