package nvd

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

func readAll(t testing.TB, data []byte, lim Limits) ([]*vuln.Advisory, error) {
	t.Helper()
	var out []*vuln.Advisory
	_, err := Read(bytes.NewReader(data), "test.json", lim, func(a *vuln.Advisory) error {
		out = append(out, a)
		return nil
	})
	return out, err
}

func TestReadSingle(t *testing.T) {
	tests := []struct {
		file     string
		id       string
		source   string
		configs  int
		cvss     int
		kevAdded string
		firstCPE string
	}{
		{"CVE-2024-1086.json", "CVE-2024-1086", vuln.SourceNVD, 7, 2, "2024-05-30", "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"},
		{"CVE-2020-13595.json", "CVE-2020-13595", vuln.SourceNVD, 1, 2, "", "cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:*"},
		{"CVE-2023-5678.json", "CVE-2023-5678", vuln.SourceNVD, 0, 0, "", ""},
		{"override-CVE-2023-0216.json", "CVE-2023-0216", vuln.SourceNVDOverrides, 2, 0, "", "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var got []*vuln.Advisory
			n, err := ReadFile(filepath.Join("testdata", tt.file), DefaultLimits(), func(a *vuln.Advisory) error {
				got = append(got, a)
				return nil
			})
			if err != nil {
				t.Fatalf("ReadFile(%s): %v", tt.file, err)
			}
			if n != 1 || len(got) != 1 {
				t.Fatalf("ReadFile(%s) = %d records, want 1", tt.file, n)
			}
			a := got[0]
			if a.ID != tt.id || a.Source != tt.source || len(a.Configurations) != tt.configs || len(a.CVSS) != tt.cvss {
				t.Errorf("ReadFile(%s) = %s %s %d configurations %d cvss, want %s %s %d %d", tt.file, a.ID, a.Source, len(a.Configurations), len(a.CVSS), tt.id, tt.source, tt.configs, tt.cvss)
			}
			if got := dateOf(a.KEVAdded); got != tt.kevAdded {
				t.Errorf("KEVAdded = %q, want %q", got, tt.kevAdded)
			}
			if tt.firstCPE != "" {
				if got := a.Configurations[0].Nodes[0].Criteria[0].Name.String(); got != tt.firstCPE {
					t.Errorf("first criterion = %s, want %s", got, tt.firstCPE)
				}
			}
			if a.Summary == "" {
				t.Error("no summary")
			}
		})
	}
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func TestReadShapes(t *testing.T) {
	a := mustRead(t, "CVE-2020-13595.json")[0]
	c := a.Configurations[0]
	if !c.And || len(c.Nodes) != 2 {
		t.Fatalf("configuration = And %v with %d nodes, want AND with 2", c.And, len(c.Nodes))
	}
	cr := c.Nodes[0].Criteria[0]
	if cr.Start != "4.0.0" || cr.StartExcl || cr.End != "4.2" || !cr.EndIncl || !cr.Vulnerable || cr.ID != "F8034F36-3371-4111-AE71-573B85934B20" {
		t.Errorf("criterion = %+v", cr)
	}
	if c.Nodes[1].Criteria[0].Vulnerable {
		t.Error("hardware criterion is vulnerable, want vulnerable:false")
	}
	k := mustRead(t, "CVE-2024-1086.json")[0]
	var primary *vuln.CVSS
	for i := range k.CVSS {
		if k.CVSS[i].Primary {
			primary = &k.CVSS[i]
		}
	}
	if primary == nil || primary.Score != 7.8 || primary.Severity != "HIGH" || primary.Version != "3.1" || primary.Source != "nvd@nist.gov" {
		t.Errorf("primary CVSS = %+v", primary)
	}
	if got := k.Published.Format(time.RFC3339); got != "2024-01-31T13:15:10Z" {
		t.Errorf("Published = %s", got)
	}
}

func mustRead(t testing.TB, name string) []*vuln.Advisory {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out, err := readAll(t, data, DefaultLimits())
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return out
}

// feed builds a yearly feed (gzip) from the test records.
func feed(t testing.TB, compress bool) ([]byte, []string) {
	t.Helper()
	page, err := os.ReadFile("testdata/multi-13-records.json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(page, &p); err != nil {
		t.Fatal(err)
	}
	var ids []string
	items := p.Vulnerabilities
	for _, f := range []string{"CVE-2024-1086.json", "CVE-2020-13595.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, json.RawMessage(`{"cve":`+string(raw)+`}`))
	}
	for _, it := range items {
		var x struct{ CVE struct{ ID string } }
		json.Unmarshal(it, &x)
		ids = append(ids, x.CVE.ID)
	}
	doc, err := json.Marshal(map[string]any{
		"resultsPerPage": len(items), "startIndex": 0, "totalResults": len(items),
		"format": "NVD_CVE", "version": "2.0", "timestamp": "2026-11-25T00:00:00.000",
		"vulnerabilities": items,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !compress {
		return doc, ids
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(doc)
	zw.Close()
	return buf.Bytes(), ids
}

func TestReadFeed(t *testing.T) {
	for _, compress := range []bool{false, true} {
		data, ids := feed(t, compress)
		got, err := readAll(t, data, DefaultLimits())
		if err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		var gotIDs []string
		for _, a := range got {
			gotIDs = append(gotIDs, a.ID)
		}
		if strings.Join(gotIDs, " ") != strings.Join(ids, " ") {
			t.Errorf("compress=%v: ids = %v, want %v", compress, gotIDs, ids)
		}
	}
	// A feed file on disk, named as NVD names them.
	data, ids := feed(t, true)
	path := filepath.Join(t.TempDir(), "nvdcve-2.0-2024.json.gz")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := ReadFile(path, DefaultLimits(), func(*vuln.Advisory) error { return nil })
	if err != nil || n != len(ids) {
		t.Errorf("ReadFile(%s) = %d, %v, want %d records", path, n, err, len(ids))
	}
}

func TestReadBroken(t *testing.T) {
	data, ids := feed(t, false)
	half := bytes.Index(data, []byte(`"CVE-2024-7264"`)) // record 6
	gz, _ := feed(t, true)
	corrupt := bytes.Replace(data, []byte(`"criteria":"cpe:2.3:a:`), []byte(`"criteria":"cpe:2.3:q:`), 1)
	tests := []struct {
		name       string
		data       []byte
		lim        Limits
		wantRecord int
		wantErr    string
	}{
		{"truncated json", data[:half], DefaultLimits(), 6, "unexpected EOF"},
		{"truncated gzip", gz[:len(gz)/2], DefaultLimits(), -2, "unexpected EOF"},
		{"corrupt criterion", corrupt, DefaultLimits(), -2, "cpeMatch"},
		{"too many records", data, Limits{MaxBytes: 1 << 30, MaxRecords: 3, MaxCriteria: 100, MaxMetrics: 10}, 3, "more than 3 records"},
		{"too many criteria", data, Limits{MaxBytes: 1 << 30, MaxRecords: 100, MaxCriteria: 2, MaxMetrics: 10}, -2, "cpeMatch entries"},
		{"too many bytes", data, Limits{MaxBytes: 1000, MaxRecords: 100, MaxCriteria: 100, MaxMetrics: 10}, -2, "larger than 1000 bytes"},
		{"not json", []byte("hello"), DefaultLimits(), -1, "invalid character"},
		{"array", []byte("[]"), DefaultLimits(), -1, "not a JSON object"},
		{"unknown object", []byte(`{"a":1}`), DefaultLimits(), 0, "neither a feed"},
		{"bad id", []byte(`{"id":"GHSA-1","configurations":[]}`), DefaultLimits(), 0, "not a CVE ID"},
		{"trailing data", append(append([]byte{}, data...), "{}"...), DefaultLimits(), -1, "data after"},
		{"two ends", []byte(`{"id":"CVE-2024-0001","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*","versionEndIncluding":"1","versionEndExcluding":"2"}]}]}]}`), DefaultLimits(), 0, "both versionEnd"},
		{"bad operator", []byte(`{"id":"CVE-2024-0001","configurations":[{"operator":"XOR","nodes":[]}]}`), DefaultLimits(), 0, "operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.data, tt.lim)
			var ie *vuln.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Read = %v, want an InputError", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "test.json:") {
				t.Errorf("Read error = %q, want it to name test.json and contain %q", err, tt.wantErr)
			}
			if tt.wantRecord != -2 && ie.Record != tt.wantRecord {
				t.Errorf("Record = %d, want %d (%v)", ie.Record, tt.wantRecord, err)
			}
			if ie.Record > 0 && len(got) != ie.Record {
				t.Errorf("yielded %d records before the error at record %d", len(got), ie.Record)
			}
			if ie.Offset <= 0 && tt.name != "not json" && tt.name != "array" && tt.name != "truncated gzip" {
				t.Errorf("Offset = %d, want > 0", ie.Offset)
			}
		})
	}
	_ = ids
}

func TestYieldError(t *testing.T) {
	data, _ := feed(t, false)
	stop := errors.New("store full")
	n := 0
	_, err := Read(bytes.NewReader(data), "x", DefaultLimits(), func(*vuln.Advisory) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Read = %v after %d yields, want %v after 2", err, n, stop)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"CVE-2024-1086.json", "CVE-2020-13595.json", "override-CVE-2023-0216.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	data, _ := feed(f, false)
	f.Add(data)
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-2024-0001","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*","vulnerable":true}]}]}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxBytes: 1 << 20, MaxRecords: 100, MaxCriteria: 1000, MaxMetrics: 16}
		n, err := Read(bytes.NewReader(data), "fuzz", lim, func(a *vuln.Advisory) error {
			if a.ID == "" {
				t.Fatal("record without ID")
			}
			return nil
		})
		if err != nil {
			var ie *vuln.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an InputError", err)
			}
		}
		if n < 0 {
			t.Fatal("negative count")
		}
	})
}
