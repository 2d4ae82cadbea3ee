package vuln_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// gzipOf compresses n bytes of c, streamed: the bomb is small on disk
// and in memory.
func gzipOf(t testing.TB, c byte, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{c}, 1<<20)
	for left := n; left > 0; left -= int64(len(chunk)) {
		if left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		if _, err := zw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

// counting counts the bytes read from the file.
type counting struct {
	r io.Reader
	n int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func readAll(ctx context.Context, data []byte, lim vuln.FeedLimits) (int64, int64, error) {
	src := &counting{r: bytes.NewReader(data)}
	fr, err := vuln.NewFeedReader(ctx, src, "feed.json.gz", lim)
	if err != nil {
		return 0, src.n, err
	}
	n, err := io.Copy(io.Discard, fr)
	return n, src.n, err
}

func TestFeedReaderBombs(t *testing.T) {
	lim := vuln.DefaultFeedLimits()
	lim.RatioFloor = 4 << 20
	blank := gzipOf(t, ' ', 64<<20) // 64 MiB of spaces, about 64 KB
	zeros := gzipOf(t, '0', 64<<20)
	json := "[" + strings.Repeat("1,", 1<<20) + "1]"
	small := lim
	small.MaxBytes = 1 << 20
	for _, tc := range []struct {
		name     string
		data     []byte
		lim      vuln.FeedLimits
		want     string
		maxOut   int64 // decompressed bytes given out at most
		maxInput int64 // file bytes read at most
	}{
		{"whitespace", blank, lim, "more than 1048576 bytes of whitespace in a row", lim.MaxBlank, 64 << 10},
		{"zeros (ratio)", zeros, lim, "more than 200 times their size", lim.RatioFloor + 1<<20, 64 << 10},
		{"decompressed size", gz(t, json), small, "more than 1048576 bytes decompressed", small.MaxBytes, int64(len(gz(t, json)))},
		{"plain size", []byte(json), small, "more than 1048576 bytes decompressed", small.MaxBytes, small.MaxBytes + 128<<10},
		{"gzip in gzip", gz(t, string(gz(t, "{}"))), lim, "gzip inside gzip", 0, 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The deadline is the bound on time: the limit must come
			// first, whatever the machine's speed.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, in, err := readAll(ctx, tc.data, tc.lim)
			var ie *vuln.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "feed.json.gz") {
				t.Fatalf("error %v, want an InputError saying %q", err, tc.want)
			}
			if tc.name != "gzip in gzip" && !errors.Is(err, vuln.ErrLimit) {
				t.Errorf("error %v does not wrap ErrLimit", err)
			}
			if out > tc.maxOut {
				t.Errorf("gave out %d bytes, more than %d", out, tc.maxOut)
			}
			if in > tc.maxInput {
				t.Errorf("read %d bytes of %d, more than %d", in, len(tc.data), tc.maxInput)
			}
		})
	}
}

func TestFeedReaderGzipErrors(t *testing.T) {
	good := gz(t, `{"vulnerabilities":[]}`)
	n := len(good)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0xff
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"checksum", flip(n - 8), "gzip checksum mismatch"},
		{"length", flip(n - 2), "gzip length trailer mismatch"},
		{"truncated data", good[:n-12], "truncated gzip stream: the file ends after"},
		{"truncated trailer", good[:n-3], "truncated gzip stream"},
		{"header", append([]byte{0x1f, 0x8b, 0x99}, good[3:]...), "invalid gzip header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(context.Background(), tc.data, vuln.DefaultFeedLimits())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "feed.json.gz") {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// The trailer names its byte offset in the file.
	_, _, err := readAll(context.Background(), flip(n-8), vuln.DefaultFeedLimits())
	if want := "trailer at byte " + itoa(n-8); !strings.Contains(err.Error(), want) {
		t.Errorf("error %v does not say %q", err, want)
	}
	// Two members, both good, read as one stream.
	two := append(bytes.Clone(good), gz(t, "more")...)
	out, _, err := readAll(context.Background(), two, vuln.DefaultFeedLimits())
	if err != nil || out != int64(len(`{"vulnerabilities":[]}more`)) {
		t.Errorf("two members: %d bytes, %v", out, err)
	}
	// A bad second member is named as well.
	bad := append(bytes.Clone(good), flip(n-8)...)
	if _, _, err := readAll(context.Background(), bad, vuln.DefaultFeedLimits()); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("bad second member: %v", err)
	}
}

func TestFeedReaderDeadline(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, _, err := readAll(ctx, []byte(`{}`), vuln.DefaultFeedLimits())
	if !errors.Is(err, vuln.ErrLimit) || !strings.Contains(err.Error(), "time limit") {
		t.Fatalf("error %v, want the time limit", err)
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzFeedReader(f *testing.F) {
	f.Add(gz(f, `{"a":1}`))
	f.Add([]byte(`{"a":1}`))
	f.Add(append(gz(f, "x"), gz(f, "y")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := vuln.DefaultFeedLimits()
		lim.MaxBytes, lim.MaxBlank, lim.RatioFloor = 1<<20, 1<<10, 1<<16
		out, _, err := readAll(context.Background(), data, lim)
		if out > lim.MaxBytes {
			t.Fatalf("gave out %d bytes over the limit", out)
		}
		if err != nil {
			var ie *vuln.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
		}
	})
}
