package vex

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/vuln"
)

func authored() ([]vuln.Statement, vuln.Ref) {
	fw := vuln.Ref{PURL: "pkg:generic/example/router-firmware@1.2"}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return []vuln.Statement{
		{Vulnerability: "CVE-2022-48174", Aliases: []string{"GHSA-x"}, Product: fw, Component: vuln.Ref{PURL: "pkg:generic/busybox@1.36.1"},
			Status: vuln.StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path", Impact: "ash unreachable", Timestamp: t0},
		{Vulnerability: "CVE-2023-42366", Product: fw, Component: vuln.Ref{PURL: "pkg:generic/busybox@1.36.1"},
			Status: vuln.StatusAffected, Action: "update to 1.3", Timestamp: t0},
		{Vulnerability: "CVE-2024-0001", Product: fw, Status: vuln.StatusUnderInvestigation, Timestamp: t0},
		{Vulnerability: "CVE-2024-0002", Product: fw, Status: vuln.StatusFixed, Timestamp: t0},
	}, fw
}

func TestWriteOpenVEXRoundTrip(t *testing.T) {
	stmts, _ := authored()
	doc := Document{ID: "https://example.com/vex/1", Author: "Example PSIRT", Timestamp: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	if err := WriteOpenVEX(&buf, doc, stmts); err != nil {
		t.Fatal(err)
	}
	got, err := Read(buf.Bytes(), "out.json", DefaultLimits())
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, buf.String())
	}
	want := make([]vuln.Statement, len(stmts))
	for i, s := range stmts {
		s.Source = doc.ID
		want[i] = s
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OpenVEX round trip mismatch (-want +got):\n%s", diff)
	}
	bad := []vuln.Statement{{Vulnerability: "CVE-1", Product: stmts[0].Product, Status: vuln.StatusNotAffected}}
	if err := WriteOpenVEX(&buf, doc, bad); err == nil || !strings.Contains(err.Error(), "statements[0]") {
		t.Errorf("WriteOpenVEX of a bare not_affected = %v", err)
	}
}

func TestWriteCycloneDXRoundTrip(t *testing.T) {
	stmts, fw := authored()
	doc := Document{ID: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Author: "Example PSIRT", Timestamp: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	if err := WriteCycloneDX(&buf, doc, fw, stmts); err != nil {
		t.Fatal(err)
	}
	got, err := Read(buf.Bytes(), "out.json", DefaultLimits())
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, buf.String())
	}
	top := vuln.Ref{PURL: fw.PURL, Name: fw.PURL}
	busybox := vuln.Ref{PURL: "pkg:generic/busybox@1.36.1", Name: "pkg:generic/busybox@1.36.1"}
	t0 := stmts[0].Timestamp
	want := []vuln.Statement{
		{Vulnerability: "CVE-2022-48174", Aliases: []string{"GHSA-x"}, Product: top, Component: busybox, Status: vuln.StatusNotAffected,
			Justification: "vulnerable_code_not_in_execute_path", Impact: "cyclonedx justification code_not_reachable. ash unreachable", Timestamp: t0, Source: doc.ID},
		{Vulnerability: "CVE-2023-42366", Product: top, Component: busybox, Status: vuln.StatusAffected, Action: "update to 1.3", Timestamp: t0, Source: doc.ID},
		{Vulnerability: "CVE-2024-0001", Product: top, Status: vuln.StatusUnderInvestigation, Timestamp: t0, Source: doc.ID},
		{Vulnerability: "CVE-2024-0002", Product: top, Status: vuln.StatusFixed, Timestamp: t0, Source: doc.ID},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CycloneDX round trip mismatch (-want +got):\n%s", diff)
	}
	other := []vuln.Statement{{Vulnerability: "CVE-1", Product: vuln.Ref{PURL: "pkg:generic/other@1"}, Status: vuln.StatusFixed}}
	if err := WriteCycloneDX(&buf, doc, fw, other); err == nil {
		t.Error("WriteCycloneDX of a statement about another product succeeded")
	}
}
