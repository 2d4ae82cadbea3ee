package csaf

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

func input() Input {
	t0 := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	return Input{
		Publisher: Publisher{Name: "Example Router Co.", Namespace: "https://example.com"},
		ID:        "EXAMPLE-2026-0001", Title: "Router R100: busybox vulnerabilities",
		Initial: t0, Current: t0,
		Products: []Product{{
			Vendor: "Example Router Co.", Name: "Router R100 firmware", ModelNumbers: []string{"R100", "R100-EU"},
			Versions: []ProductVersion{
				{Version: "1.2", CPE: "cpe:2.3:o:example:router_r100_firmware:1.2:*:*:*:*:*:*:*"},
				{Version: "1.3", PURL: "pkg:generic/example/router-r100-firmware@1.3"},
			},
		}},
		Vulns: []Vulnerability{
			{CVE: "CVE-2022-48174", Summary: "busybox ash stack overflow",
				CVSS: &vuln.CVSS{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Severity: "CRITICAL"},
				Statuses: []Status{
					{Product: "Router R100 firmware", Version: "1.2", Status: vuln.StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path", Impact: "ash is not reachable"},
					{Product: "Router R100 firmware", Version: "1.3", Status: vuln.StatusFixed},
				}},
			{CVE: "CVE-2023-42366", Statuses: []Status{
				{Product: "Router R100 firmware", Version: "1.2", Status: vuln.StatusAffected, FixedIn: "1.3"},
			}},
		},
	}
}

// TestRoundTrip reads the built document back with the CSAF VEX reader.
func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, input()); err != nil {
		t.Fatal(err)
	}
	got, err := vex.Read(buf.Bytes(), "advisory.json", vex.DefaultLimits())
	if err != nil {
		t.Fatalf("vex.Read: %v\n%s", err, buf.String())
	}
	ts := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	fw12 := vuln.Ref{Name: "Router R100 firmware", Version: "1.2", CPE: "cpe:2.3:o:example:router_r100_firmware:1.2:*:*:*:*:*:*:*"}
	want := []vuln.Statement{
		{Vulnerability: "CVE-2022-48174", Product: fw12, Status: "not_affected", Justification: "vulnerable_code_not_in_execute_path", Impact: "ash is not reachable", Timestamp: ts, Source: "EXAMPLE-2026-0001"},
		{Vulnerability: "CVE-2022-48174", Product: vuln.Ref{Name: "Router R100 firmware", Version: "1.3", PURL: "pkg:generic/example/router-r100-firmware@1.3"}, Status: "fixed", Timestamp: ts, Source: "EXAMPLE-2026-0001"},
		{Vulnerability: "CVE-2023-42366", Product: fw12, Status: "affected", Action: "Update to version 1.3.", Timestamp: ts, Source: "EXAMPLE-2026-0001"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []string{`"csaf_version": "2.0"`, `"model_numbers"`, `"R100-EU"`, `"baseScore": 9.8`, `"category": "csaf_vex"`} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("output lacks %s", s)
		}
	}
	var again bytes.Buffer
	Write(&again, input())
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("output is not deterministic")
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"no id", func(in *Input) { in.ID = "" }, "required"},
		{"relative namespace", func(in *Input) { in.Publisher.Namespace = "example.com" }, "not an absolute http(s) URL"},
		{"invalid namespace", func(in *Input) { in.Publisher.Namespace = "https://iotsec.invalid/org" }, "under .invalid"},
		{"publisher category", func(in *Input) { in.Publisher.Category = "maker" }, `publisher category "maker"`},
		{"vex without vulnerability", func(in *Input) { in.Vulns = nil }, "at least one vulnerability (CSAF 2.0 test 6.1.27.11)"},
		{"advisory without reference", func(in *Input) { in.Category = "csaf_security_advisory" }, "needs a reference"},
		{"range as version", func(in *Input) { in.Products[0].Versions[0].Version = "all versions" }, "reads as a version range"},
		{"same CVE twice", func(in *Input) { in.Vulns[1].CVE = in.Vulns[0].CVE }, "listed twice (CSAF 2.0 test 6.1.23)"},
		{"two statuses", func(in *Input) { in.Vulns[0].Statuses[1].Version = "1.2" }, "a second status"},
		{"bad justification", func(in *Input) { in.Vulns[0].Statuses[0].Justification = "fine" }, `justification "fine"`},
		{"revisions backwards", func(in *Input) {
			in.Revisions = []Revision{{Date: in.Initial, Summary: "a"}, {Date: in.Initial.Add(-time.Hour), Summary: "b"}}
		}, "revisions[1]"},
		{"unknown version", func(in *Input) { in.Vulns[0].Statuses[0].Version = "9.9" }, "statuses[0]: Router R100 firmware 9.9 is not in products"},
		{"not_affected bare", func(in *Input) { in.Vulns[0].Statuses[0].Justification, in.Vulns[0].Statuses[0].Impact = "", "" }, "needs a justification"},
		{"affected bare", func(in *Input) { in.Vulns[1].Statuses[0].FixedIn = "" }, "needs an action"},
		{"bad status", func(in *Input) { in.Vulns[1].Statuses[0].Status = "ok" }, `status "ok"`},
		{"duplicate version", func(in *Input) { in.Products[0].Versions[1].Version = "1.2" }, "listed twice"},
		{"bad category", func(in *Input) { in.Category = "csaf_informational_advisory" }, "not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input()
			tt.change(&in)
			if _, err := Build(in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
