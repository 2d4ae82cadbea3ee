// Package sqlstore implements iotsec.Store once, over database/sql, for both
// databases iotsec runs on. internal/sqlite and internal/postgres open the
// connection, carry their own migrations and describe their Dialect; the
// queries, transactions, tenancy scoping, role checks and audit trail live
// here, so the two stores cannot drift apart.
//
// It must not import the server, api, ui, cli or app packages, nor the
// sqlite or postgres packages.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Dialect is what differs between the databases.
type Dialect struct {
	Name string // "sqlite" or "postgres"
	// Numbered placeholders ($1, $2, ...) instead of ?.
	Numbered bool
	// Arrays: the driver binds a []string as an array, so membership tests
	// are "= ANY(?)" with one parameter: one plan whatever the count,
	// instead of IN lists the planner may turn into sequential scans.
	Arrays bool
	// NativeTime: the driver takes and returns time.Time for timestamp and
	// date columns; otherwise times are fixed-width UTC text.
	NativeTime bool
	// LockAudit is run in a transaction before it appends to the audit
	// chain, so concurrent writers (other replicas) append one at a time.
	// SQLite needs none: write transactions begin IMMEDIATE.
	LockAudit string
	// LockLog is run in a transaction before it appends to the registry's
	// transparency log, so appends from every replica take turns and the
	// log has no gaps. SQLite needs none, as for LockAudit.
	LockLog string
	// ErrorKind classifies a driver error as iotsec.ErrConflict (unique or
	// foreign key violation), or returns nil.
	ErrorKind func(error) error
	// OneWriter: the database admits one writing transaction at a time
	// (SQLite). The store then queues its own writers on a mutex instead
	// of letting them find the lock taken and sleep in the driver's busy
	// handler, which backs off in milliseconds. It also keeps its own
	// prepared statements for the hot paths: the driver parses SQL anew on
	// every call, where pgx caches prepared statements itself.
	OneWriter bool
}

// Options are the store's injected clock and randomness.
type Options struct {
	Now  func() time.Time
	Rand io.Reader // for IDs; nil means crypto/rand
}

// Config is what an opener hands New.
type Config struct {
	DB         *sql.DB
	Dialect    Dialect
	Migrations []Migration
	// River is the queue's driver on the same database. The store inserts
	// jobs with it inside its own transactions; workers run on it.
	River riverdriver.Driver[*sql.Tx]
	Options
	// Close closes what the opener opened; nil means DB.Close.
	Close func() error
}

// Store is iotsec.Store over a *sql.DB.
type Store struct {
	db         *sql.DB
	d          Dialect
	now        func() time.Time
	ids        *iotsec.IDs
	migrations []Migration
	river      riverdriver.Driver[*sql.Tx]
	queue      *river.Client[*sql.Tx] // insert-only: puts jobs on the queue
	close      func() error
	stmts      sync.Map   // query -> *sql.Stmt, for the hot paths
	writer     sync.Mutex // held by write transactions when Dialect.OneWriter
}

var _ iotsec.Store = (*Store)(nil)

// New returns a store. It does not migrate; call Migrate.
func New(cfg Config) (*Store, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{
		db: cfg.DB, d: cfg.Dialect, migrations: cfg.Migrations, river: cfg.River, close: cfg.Close,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
		ids: &iotsec.IDs{Now: now, Rand: cfg.Rand},
	}
	if s.close == nil {
		s.close = cfg.DB.Close
	}
	if cfg.River != nil {
		// A client without queues or workers only inserts.
		q, err := river.NewClient(cfg.River, &river.Config{})
		if err != nil {
			return nil, fmt.Errorf("queue client: %w", err)
		}
		s.queue = q
	}
	return s, nil
}

// River returns the queue driver, for workers.
func (s *Store) River() riverdriver.Driver[*sql.Tx] { return s.river }

// DB is the underlying pool, for the queue's workers and for tests.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect names the database.
func (s *Store) Dialect() Dialect { return s.d }

func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.close()
}

// prepared returns a prepared statement for query (written with ?),
// inside tx when tx is not nil. Statements are prepared once per store and
// database/sql keeps one per connection, so the hot paths (enrolment, the
// audit chain) skip parsing SQL on every call: with SQLite that was about a
// sixth of an EST enrolment's CPU. Only OneWriter dialects use it: there
// at most one transaction holds a connection, so preparing on the pool
// inside a transaction always finds a free one. (With many transactions
// each holding a connection of a small pool, all could wait for another.)
func (s *Store) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	var st *sql.Stmt
	if v, ok := s.stmts.Load(query); ok {
		st = v.(*sql.Stmt)
	} else {
		p, err := s.db.PrepareContext(ctx, s.q(query))
		if err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		if v, loaded := s.stmts.LoadOrStore(query, p); loaded {
			p.Close()
			st = v.(*sql.Stmt)
		} else {
			st = p
		}
	}
	if tx != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

// queryRow runs a one-row query, prepared where the dialect wants it.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) rowScanner {
	if !s.d.OneWriter {
		if tx != nil {
			return tx.QueryRowContext(ctx, s.q(query), args...)
		}
		return s.db.QueryRowContext(ctx, s.q(query), args...)
	}
	st, err := s.prepared(ctx, tx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a query, prepared where the dialect wants it.
func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if !s.d.OneWriter {
		if tx != nil {
			return tx.QueryContext(ctx, s.q(query), args...)
		}
		return s.db.QueryContext(ctx, s.q(query), args...)
	}
	st, err := s.prepared(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// exec runs a statement, prepared where the dialect wants it.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if !s.d.OneWriter {
		if tx != nil {
			return tx.ExecContext(ctx, s.q(query), args...)
		}
		return s.db.ExecContext(ctx, s.q(query), args...)
	}
	st, err := s.prepared(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// Ping checks the database answers and carries every migration this binary
// knows, so a replica does not serve on a schema older than its code.
func (s *Store) Ping(ctx context.Context) error {
	v, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("ping %s: %w", s.d.Name, err)
	}
	if want := s.Latest(); v < want {
		return fmt.Errorf("ping %s: schema is at migration %d, this binary needs %d: run iotsec migrate", s.d.Name, v, want)
	}
	return nil
}

// Latest is the newest migration this binary carries.
func (s *Store) Latest() int {
	if len(s.migrations) == 0 {
		return 0
	}
	return s.migrations[len(s.migrations)-1].Version
}

// q rewrites ? placeholders for dialects that number them. Queries in this
// package never contain ? inside string literals.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.d.OneWriter {
		s.writer.Lock()
		defer s.writer.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", s.classify(err))
	}
	return nil
}

// classify turns constraint violations into domain conflicts.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	if k := s.d.ErrorKind(err); k != nil {
		return &iotsec.Error{Kind: k, Message: "conflicts with existing data", Err: err}
	}
	return err
}

// notFound maps sql.ErrNoRows to a domain not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return iotsec.NotFound(what)
	}
	return err
}

// timeLayout is how times are stored as text: fixed width, so text order is
// time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// t encodes a time for a query argument; the zero time is NULL.
func (s *Store) t(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	if s.d.NativeTime {
		return v.UTC()
	}
	return v.UTC().Format(timeLayout)
}

// date encodes a calendar day; the zero Date is NULL.
func (s *Store) date(d iotsec.Date) any {
	if d.IsZero() {
		return nil
	}
	if s.d.NativeTime {
		return d.Time()
	}
	return d.String()
}

// tscan scans a nullable time or date column from either encoding.
type tscan struct{ t *time.Time }

func (v tscan) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*v.t = time.Time{}
	case time.Time:
		*v.t = x.UTC()
	case string:
		return v.parse(x)
	case []byte:
		return v.parse(string(x))
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}

func (v tscan) parse(s string) error {
	layout := timeLayout
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", s, err)
	}
	*v.t = t
	return nil
}

// dscan scans a nullable date column into an iotsec.Date.
type dscan struct{ d *iotsec.Date }

func (v dscan) Scan(src any) error {
	var t time.Time
	if err := (tscan{&t}).Scan(src); err != nil {
		return err
	}
	*v.d = iotsec.DateOf(t)
	return nil
}

// limit clamps a page size.
func limit(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
