package storetest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresDSN returns a DSN whose connections use a fresh schema of their
// own, dropped when the test ends; several stores opened on it share it.
// It skips the test unless IOTSEC_TEST_POSTGRES holds a DSN, as CI sets.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("IOTSEC_TEST_POSTGRES")
	if base == "" {
		tb.Skip("IOTSEC_TEST_POSTGRES is not set; set it to a PostgreSQL DSN (e.g. postgres://postgres@127.0.0.1:5432/test) to run the PostgreSQL tests")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to IOTSEC_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	schema := "iotsec_test_" + strings.ToLower(rand.Text()[:12])
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
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		return base + " search_path=" + schema // key=value form
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
