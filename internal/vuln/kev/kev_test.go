package kev

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

func read(t testing.TB, data []byte, lim Limits) (Catalog, []vuln.KEV, error) {
	t.Helper()
	var out []vuln.KEV
	cat, err := Read(bytes.NewReader(data), "kev.json", lim, func(k vuln.KEV) error {
		out = append(out, k)
		return nil
	})
	return cat, out, err
}

func fixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/kev-subset.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRead(t *testing.T) {
	cat, got, err := read(t, fixture(t), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if cat.Version != "2025.08.25" || cat.Count != 4 || cat.Released.Format(time.DateOnly) != "2025-08-25" {
		t.Errorf("catalog = %+v", cat)
	}
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4", len(got))
	}
	var k vuln.KEV
	for _, e := range got {
		if e.CVE == "CVE-2024-1086" {
			k = e
		}
	}
	if k.VendorProject != "Linux" || k.Product != "Kernel" || k.DateAdded.Format(time.DateOnly) != "2024-05-30" ||
		k.DueDate.Format(time.DateOnly) != "2024-06-20" || k.Ransomware != "Unknown" || len(k.CWEs) != 1 {
		t.Errorf("CVE-2024-1086 = %+v", k)
	}
}

func TestReadBroken(t *testing.T) {
	good := fixture(t)
	cut := good[:bytes.Index(good, []byte(`"CVE-2014-0160"`))]
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr string
	}{
		{"truncated", cut, DefaultLimits(), "unexpected EOF"},
		{"count mismatch", bytes.Replace(good, []byte(`"count": 4`), []byte(`"count": 5`), 1), DefaultLimits(), "header count 5 but 4 entries"},
		{"bad cve", bytes.Replace(good, []byte(`"CVE-2024-1086"`), []byte(`"CVE-24-1086"`), 1), DefaultLimits(), "not a CVE ID"},
		{"bad date", bytes.Replace(good, []byte(`"dateAdded": "2024-05-30"`), []byte(`"dateAdded": "30/05/2024"`), 1), DefaultLimits(), "dateAdded"},
		{"too large", good, Limits{MaxBytes: 100, MaxRecords: 10}, "larger than 100 bytes"},
		{"too many", good, Limits{MaxBytes: 1 << 20, MaxRecords: 2}, "more than 2 entries"},
		{"no list", []byte(`{"count": 0}`), DefaultLimits(), "no vulnerabilities array"},
		{"not object", []byte(`[]`), DefaultLimits(), "not a JSON object"},
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
	f.Add(fixture(f))
	f.Add([]byte(`{"count":1,"vulnerabilities":[{"cveID":"CVE-2024-0001","dateAdded":"2024-01-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		cat, err := Read(bytes.NewReader(data), "fuzz", Limits{MaxBytes: 1 << 20, MaxRecords: 100}, func(vuln.KEV) error { n++; return nil })
		if err == nil && cat.Count != n {
			t.Fatalf("count %d but %d yielded without error", cat.Count, n)
		}
	})
}
