package vuln_test

import (
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

func ids(ms []vuln.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Vulnerability.ID)
	}
	return out
}

func TestCompareMatches(t *testing.T) {
	comps := []vuln.Component{{Ref: "busybox", Name: "busybox", Version: "1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1"}}}
	fw := vuln.Firmware{Ref: vuln.Ref{Name: "router", Version: "1.2"}}

	b := vuln.NewBuilder(cpe.DefaultAliases())
	addNVD(t, b, "testdata/labelled/nvd/CVE-2022-48174.json")
	before := b.Build().Match(fw, comps)

	// New data: another busybox CVE; and a VEX statement clears the old one.
	b = vuln.NewBuilder(cpe.DefaultAliases())
	addNVD(t, b, "testdata/labelled/nvd/CVE-2022-48174.json", "testdata/labelled/nvd/CVE-2023-42366.json")
	b.AddStatement(vuln.Statement{Vulnerability: "CVE-2022-48174", Product: fw.Ref, Status: vuln.StatusNotAffected,
		Justification: "vulnerable_code_not_in_execute_path", Timestamp: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	after := b.Build().Match(fw, comps)

	d := vuln.CompareMatches(before, after)
	if got := ids(d.New); len(got) != 1 || got[0] != "CVE-2023-42366" {
		t.Errorf("New = %v, want [CVE-2023-42366]", got)
	}
	if got := ids(d.Gone); len(got) != 1 || got[0] != "CVE-2022-48174" {
		t.Errorf("Gone = %v, want [CVE-2022-48174]", got)
	}
	if d := vuln.CompareMatches(after, after); len(d.New)+len(d.Gone) != 0 {
		t.Errorf("CompareMatches(after, after) = %+v, want empty", d)
	}
}
