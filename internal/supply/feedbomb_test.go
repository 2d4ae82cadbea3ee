package supply_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// writeGzip streams n bytes of c through gzip into a file of the test.
func writeGzip(t *testing.T, path string, c byte, n int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	chunk := bytes.Repeat([]byte{c}, 1<<20)
	for left := n; left > 0; left -= int64(len(chunk)) {
		if _, err := zw.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestImportBombs: a whitespace bomb is refused by a limit whatever the
// kind it is said to be (64 MiB here, the limit stops it after 1 MiB; the
// context's deadline is the time bound), and a broken gzip trailer is
// named as such.
func TestImportBombs(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	svc := supply.New(st, nil)
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank.json.gz")
	writeGzip(t, blank, ' ', 64<<20)
	for _, kind := range append(supply.Kinds(), "") {
		t.Run("kind="+kind, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := svc.Import(ctx, "t", blank, kind)
			if !errors.Is(err, iotsec.ErrInvalid) || ctx.Err() != nil {
				t.Fatalf("error %v (context %v), want invalid input", err, ctx.Err())
			}
			if kind != "" && (!strings.Contains(err.Error(), "over limit") || !strings.Contains(err.Error(), "blank.json.gz")) {
				t.Errorf("error %q does not name the limit and the file", err)
			}
		})
	}

	// A good NVD feed, then its trailer broken two ways and cut short.
	var good bytes.Buffer
	zw := gzip.NewWriter(&good)
	zw.Write([]byte(`{"resultsPerPage":0,"startIndex":0,"totalResults":0,"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}`))
	zw.Close()
	n := good.Len()
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"crc", func(b []byte) []byte { b[n-8] ^= 1; return b }, "gzip checksum mismatch"},
		{"isize", func(b []byte) []byte { b[n-1] ^= 1; return b }, "gzip length trailer mismatch"},
		{"cut", func(b []byte) []byte { return b[:n-5] }, "truncated gzip stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json.gz")
			if err := os.WriteFile(p, tc.edit(bytes.Clone(good.Bytes())), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := svc.Import(context.Background(), "t", p, supply.KindNVD)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "data after") ||
				!strings.Contains(err.Error(), tc.name+".json.gz") {
				t.Fatalf("error %v, want %q naming the file", err, tc.want)
			}
		})
	}
	p := filepath.Join(dir, "good.json.gz")
	os.WriteFile(p, good.Bytes(), 0o600)
	if _, err := svc.Import(context.Background(), "t", p, supply.KindNVD); err != nil {
		t.Fatalf("good feed: %v", err)
	}
}
