package vex

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRead(t *testing.T) {
	fw := vuln.Ref{PURL: "pkg:generic/example/router-firmware@1.2"}
	busybox := vuln.Ref{PURL: "pkg:generic/busybox@1.36.1"}
	tests := []struct {
		file string
		want []vuln.Statement
	}{
		{"openvex-router.json", []vuln.Statement{
			{Vulnerability: "CVE-2022-48174", Aliases: []string{"GHSA-example-0001"}, Product: fw, Component: busybox,
				Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path",
				Impact: "the ash shell is not reachable from any network service", Timestamp: ts("2026-03-01T10:00:00Z"),
				Source: "https://example.com/vex/router-fw-1.2-0001"},
			{Vulnerability: "CVE-2023-42366", Product: vuln.Ref{PURL: fw.PURL, CPE: "cpe:2.3:o:example:router_firmware:1.2:*:*:*:*:*:*:*"},
				Status: "affected", Action: "update to firmware 1.3", Timestamp: ts("2026-03-02T10:00:00Z"),
				Source: "https://example.com/vex/router-fw-1.2-0001"},
		}},
		{"cyclonedx-cisa-case1-not_affected.json", []vuln.Statement{
			{Vulnerability: "CVE-2021-44228", Product: vuln.Ref{Name: "ABC", Version: "4.2"}, Status: "not_affected",
				Justification: "vulnerable_code_not_present",
				Impact:        "cyclonedx justification code_not_present. This version of Product ABC is not affected by the vulnerability. Class with vulnerable code was removed before shipping.",
				Timestamp:     ts("2022-03-03T00:00:00Z")},
		}},
		{"csaf-router.json", []vuln.Statement{
			{Vulnerability: "CVE-2022-48174", Product: vuln.Ref{Name: "Router R100 firmware", Version: "1.2", CPE: "cpe:2.3:o:example:router_firmware:1.2:*:*:*:*:*:*:*"},
				Component: vuln.Ref{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1"}, Status: "not_affected",
				Justification: "vulnerable_code_not_in_execute_path", Impact: "ash is not reachable", Timestamp: ts("2026-03-05T00:00:00Z"), Source: "EXAMPLE-VEX-2026-0001"},
			{Vulnerability: "CVE-2022-48174", Product: vuln.Ref{Name: "Router R100 firmware", Version: "1.3"}, Status: "fixed",
				Timestamp: ts("2026-03-05T00:00:00Z"), Source: "EXAMPLE-VEX-2026-0001"},
			{Vulnerability: "CVE-2023-42366", Product: vuln.Ref{Name: "Router R100 firmware", Version: "1.2", CPE: "cpe:2.3:o:example:router_firmware:1.2:*:*:*:*:*:*:*"},
				Component: vuln.Ref{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1"}, Status: "affected",
				Action: "update to firmware 1.3", Timestamp: ts("2026-03-05T00:00:00Z"), Source: "EXAMPLE-VEX-2026-0001"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ReadFile("testdata/"+tt.file, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadFile(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestReadBroken(t *testing.T) {
	ov := fixture(t, "openvex-router.json")
	cd := fixture(t, "cyclonedx-cisa-case1-not_affected.json")
	cs := fixture(t, "csaf-router.json")
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr string
	}{
		{"unknown format", []byte(`{"a": 1}`), DefaultLimits(), "neither OpenVEX"},
		{"truncated", ov[:len(ov)/2], DefaultLimits(), "unexpected end of JSON"},
		{"openvex bad status", bytes.Replace(ov, []byte(`"status": "affected"`), []byte(`"status": "fine"`), 1), DefaultLimits(), "statements[1]: invalid status"},
		{"openvex not_affected without justification", bytes.Replace(bytes.Replace(ov, []byte(`"justification": "vulnerable_code_not_in_execute_path",`), nil, 1), []byte(`"impact_statement": "the ash shell is not reachable from any network service"`), []byte(`"status_notes": "x"`), 1), DefaultLimits(), "statements[0]"},
		{"cyclonedx bad state", bytes.Replace(cd, []byte(`"state": "not_affected"`), []byte(`"state": "fine"`), 1), DefaultLimits(), "vulnerabilities[0] (CVE-2021-44228): analysis.state"},
		{"cyclonedx dangling ref", bytes.Replace(cd, []byte(`"ref": "product-ABC"`), []byte(`"ref": "nowhere"`), 1), DefaultLimits(), `affects[0].ref "nowhere"`},
		{"csaf unknown product", bytes.Replace(cs, []byte(`"fixed": ["R100-FW-1.3"]`), []byte(`"fixed": ["R100-FW-9"]`), 1), DefaultLimits(), `unknown product_id "R100-FW-9"`},
		{"csaf version", bytes.Replace(cs, []byte(`"csaf_version": "2.0"`), []byte(`"csaf_version": "1.0"`), 1), DefaultLimits(), "not 2.0"},
		{"csaf too deep", cs, Limits{MaxBytes: 1 << 20, MaxStatements: 100, MaxDepth: 1}, "deeper than 1"},
		{"too many statements", cs, Limits{MaxBytes: 1 << 20, MaxStatements: 1, MaxDepth: 10}, "more than 1 statements"},
		{"too large", cs, Limits{MaxBytes: 100, MaxStatements: 100, MaxDepth: 10}, "larger than 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.data, "doc.json", tt.lim)
			var ie *vuln.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "doc.json") {
				t.Fatalf("Read = %v, want an InputError on doc.json containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	for _, n := range []string{"openvex-router.json", "cyclonedx-cisa-case1-not_affected.json", "csaf-router.json"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sts, err := Read(data, "fuzz", Limits{MaxBytes: 1 << 20, MaxStatements: 1000, MaxDepth: 16})
		if err != nil {
			return
		}
		for _, s := range sts {
			if s.Vulnerability == "" {
				t.Fatalf("statement without vulnerability: %+v", s)
			}
			switch s.Status {
			case vuln.StatusAffected, vuln.StatusNotAffected, vuln.StatusFixed, vuln.StatusUnderInvestigation:
			default:
				t.Fatalf("statement with status %q", s.Status)
			}
		}
	})
}
