package osv

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
)

func collect(t testing.TB, read func(func(*vuln.Advisory) error) (int, error)) ([]*vuln.Advisory, error) {
	t.Helper()
	var out []*vuln.Advisory
	n, err := read(func(a *vuln.Advisory) error {
		out = append(out, a)
		return nil
	})
	if n != len(out) {
		t.Errorf("count %d but %d yielded", n, len(out))
	}
	return out, err
}

func TestParseAlmaLinux(t *testing.T) {
	data, err := os.ReadFile("testdata/dir/almalinux9/ALSA-2022-7288.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "ALSA-2022:7288" || a.Source != vuln.SourceOSV {
		t.Errorf("ID %q source %q", a.ID, a.Source)
	}
	if diff := cmp.Diff([]string{"CVE-2022-3602", "CVE-2022-3786"}, a.Related); diff != "" {
		t.Errorf("Related mismatch (-want +got):\n%s", diff)
	}
	want := vuln.Affected{
		Ecosystem: "AlmaLinux:9", Name: "openssl",
		Ranges: []vuln.Range{{Type: "ECOSYSTEM", Events: []vuln.Event{{Introduced: "0"}, {Fixed: "1:3.0.1-43.el9_0"}}}},
	}
	if diff := cmp.Diff(want, a.Affected[0]); diff != "" {
		t.Errorf("Affected[0] mismatch (-want +got):\n%s", diff)
	}
	if a.Published.IsZero() {
		t.Error("no published time")
	}
}

func TestParseOSSFuzz(t *testing.T) {
	data, err := os.ReadFile("testdata/dir/oss-fuzz/OSV-2021-1807.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(data, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	af := a.Affected[0]
	if af.PURL != "pkg:generic/dnsmasq" || af.Ranges[0].Type != "GIT" || len(af.Versions) != 15 || af.Versions[0] != "v2.86" {
		t.Errorf("affected = %+v", af)
	}
}

func TestReadDir(t *testing.T) {
	got, err := collect(t, func(y func(*vuln.Advisory) error) (int, error) {
		return ReadFile("testdata/dir", DefaultLimits(), y)
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if diff := cmp.Diff([]string{"ALSA-2022:6157", "ALSA-2022:7288", "OSV-2021-1807"}, ids); diff != "" {
		t.Errorf("ids mismatch (-want +got):\n%s", diff)
	}
}

// buildZip writes the testdata records into an all.zip-shaped archive.
func buildZip(t testing.TB, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files, _ := filepath.Glob("testdata/dir/*/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(f))
		w.Write(data)
	}
	for name, body := range extra {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadZip(t *testing.T) {
	data := buildZip(t, map[string]string{"README.txt": "not a record"})
	path := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, func(y func(*vuln.Advisory) error) (int, error) { return ReadFile(path, DefaultLimits(), y) })
	if err != nil || len(got) != 3 {
		t.Fatalf("ReadFile(all.zip) = %d records, %v; want 3", len(got), err)
	}
}

func TestReadZipBroken(t *testing.T) {
	good := buildZip(t, nil)
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr string
		record  int
	}{
		{"truncated archive", good[:len(good)/2], DefaultLimits(), "zip", -1},
		{"corrupt entry", buildZip(t, map[string]string{"zz-bad.json": `{"id": "X", "affected": [`}), DefaultLimits(), "zz-bad.json", 3},
		{"record without id", buildZip(t, map[string]string{"zz-noid.json": `{"summary": "x"}`}), DefaultLimits(), "no id", 3},
		{"too many records", good, Limits{MaxRecordBytes: 1 << 20, MaxRecords: 2, MaxTotalBytes: 1 << 30, MaxAffected: 100}, "more than 2 records", 2},
		{"record too large", good, Limits{MaxRecordBytes: 100, MaxRecords: 10, MaxTotalBytes: 1 << 30, MaxAffected: 100}, "larger than 100", 0},
		{"too many bytes", good, Limits{MaxRecordBytes: 1 << 20, MaxRecords: 10, MaxTotalBytes: 2000, MaxAffected: 100}, "bytes in all", -2},
		{"too many affected", good, Limits{MaxRecordBytes: 1 << 20, MaxRecords: 10, MaxTotalBytes: 1 << 30, MaxAffected: 1}, "affected entries", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, func(y func(*vuln.Advisory) error) (int, error) {
				return ReadZipReader(bytes.NewReader(tt.data), int64(len(tt.data)), "all.zip", tt.lim, y)
			})
			var ie *vuln.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "all.zip") {
				t.Fatalf("error = %v, want an InputError on all.zip containing %q", err, tt.wantErr)
			}
			if tt.record != -2 && ie.Record != tt.record {
				t.Errorf("Record = %d, want %d", ie.Record, tt.record)
			}
		})
	}
}

func TestYieldStops(t *testing.T) {
	stop := errors.New("stop")
	_, err := ReadFile("testdata/dir", DefaultLimits(), func(*vuln.Advisory) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want %v", err, stop)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/dir/*/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"X","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data, Limits{MaxRecordBytes: 1 << 20, MaxRecords: 10, MaxTotalBytes: 1 << 20, MaxAffected: 100})
		if err != nil {
			return
		}
		if a.ID == "" || len(a.Affected) > 100 {
			t.Fatalf("bad record %+v", a)
		}
	})
}

func FuzzReadZip(f *testing.F) {
	f.Add(buildZip(f, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxRecordBytes: 1 << 16, MaxRecords: 10, MaxTotalBytes: 1 << 20, MaxAffected: 100}
		ReadZipReader(bytes.NewReader(data), int64(len(data)), "fuzz.zip", lim, func(*vuln.Advisory) error { return nil })
	})
}
