package epss

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
)

func read(t testing.TB, data []byte, lim Limits) (Header, []vuln.EPSS, error) {
	t.Helper()
	var out []vuln.EPSS
	h, err := Read(bytes.NewReader(data), "epss.csv", lim, func(e vuln.EPSS) error {
		out = append(out, e)
		return nil
	})
	return h, out, err
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRead(t *testing.T) {
	plain := fixture(t, "example-1.csv")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			h, got, err := read(t, data, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if h.Model != "v2023.03.01" || h.Date.Format("2006-01-02") != "2025-02-20" {
				t.Errorf("header = %+v", h)
			}
			if len(got) != 5 {
				t.Fatalf("%d rows, want 5", len(got))
			}
			want := vuln.EPSS{CVE: "CVE-1999-0005", Score: 0.91963, Percentile: 0.99214, Date: h.Date, Model: "v2023.03.01"}
			if diff := cmp.Diff(want, got[4]); diff != "" {
				t.Errorf("row 5 mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadBroken(t *testing.T) {
	good := fixture(t, "example-1.csv")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr string
	}{
		{"missing date", fixture(t, "missing-date.csv"), DefaultLimits(), "line 1: comment line has no score_date"},
		{"invalid header", fixture(t, "invalid-header.csv"), DefaultLimits(), "line 2: header"},
		{"bad score", bytes.Replace(good, []byte("0.01328"), []byte("1.5"), 1), DefaultLimits(), "line 4: epss: 1.5 is not in [0, 1]"},
		{"bad cve", bytes.Replace(good, []byte("CVE-1999-0003"), []byte("XYZ"), 1), DefaultLimits(), "line 5"},
		{"short row", bytes.Replace(good, []byte(",0.92440"), nil, 1), DefaultLimits(), "line 5"},
		{"truncated gzip", gz.Bytes()[:gz.Len()-10], DefaultLimits(), "unexpected EOF"},
		{"too many rows", good, Limits{MaxBytes: 1 << 20, MaxRows: 2}, "more than 2 rows"},
		{"too large", good, Limits{MaxBytes: 120, MaxRows: 100}, "larger than 120 bytes"},
		{"empty", nil, DefaultLimits(), "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := read(t, tt.data, tt.lim)
			var ie *vuln.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Read = %v, want InputError containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add(fixture(f, "example-1.csv"))
	f.Add(fixture(f, "invalid-header.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Read(bytes.NewReader(data), "fuzz", Limits{MaxBytes: 1 << 20, MaxRows: 1000}, func(e vuln.EPSS) error {
			if e.Score < 0 || e.Score > 1 || e.CVE == "" {
				t.Fatalf("bad row %+v", e)
			}
			return nil
		})
	})
}
