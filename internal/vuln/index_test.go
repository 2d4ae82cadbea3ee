package vuln_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
	"github.com/iotsec/iotsec/internal/vuln/nvd"
	"github.com/iotsec/iotsec/internal/vuln/osv"
)

func addNVD(t testing.TB, b *vuln.Builder, files ...string) {
	t.Helper()
	for _, f := range files {
		if _, err := nvd.ReadFile(f, nvd.DefaultLimits(), func(a *vuln.Advisory) error {
			b.AddAdvisory(a)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func addOSV(t testing.TB, b *vuln.Builder, files ...string) {
	t.Helper()
	for _, f := range files {
		if _, err := osv.ReadFile(f, osv.DefaultLimits(), func(a *vuln.Advisory) error {
			b.AddAdvisory(a)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func byID(ms []vuln.Match) map[string]vuln.Match {
	out := map[string]vuln.Match{}
	for _, m := range ms {
		out[m.Vulnerability.ID] = m
	}
	return out
}

func TestMatchKEVEPSS(t *testing.T) {
	b := vuln.NewBuilder(cpe.DefaultAliases())
	addNVD(t, b, "testdata/labelled/nvd/CVE-2024-1086.json")
	date := time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC)
	b.AddKEV(vuln.KEV{CVE: "CVE-2024-1086", VendorProject: "Linux", Product: "Kernel", DateAdded: date})
	b.AddEPSS(vuln.EPSS{CVE: "CVE-2024-1086", Score: 0.8, Percentile: 0.99})
	ix := b.Build()
	kernel := vuln.Component{Name: "linux", Version: "6.1.50", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:6.1.50:*:*:*:*:*:*:*"}}
	m, ok := byID(ix.Match(vuln.Firmware{}, []vuln.Component{kernel}))["CVE-2024-1086"]
	if !ok {
		t.Fatal("kernel 6.1.50 not matched to CVE-2024-1086")
	}
	if m.FixedVersion != "6.1.76" || m.Vulnerability.KEV == nil || m.Vulnerability.KEV.Product != "Kernel" ||
		m.Vulnerability.EPSS == nil || m.Vulnerability.EPSS.Score != 0.8 || m.Vulnerability.CVSS == nil ||
		m.Vulnerability.CVSS.Score != 7.8 || m.Vulnerability.Severity != "HIGH" || m.Via != "cpe" {
		t.Errorf("match = %+v, vulnerability %+v", m, m.Vulnerability)
	}
	if !strings.Contains(m.Reason, "versions >= 6.1, < 6.1.76 matched 6.1.50") {
		t.Errorf("reason %q", m.Reason)
	}
	// Fixed kernels and rc kernels outside the ranges do not match.
	for _, v := range []string{"6.1.76", "6.8", "3.14"} {
		c := vuln.Component{Name: "linux", Version: v, CPEs: []string{"cpe:2.3:o:linux:linux_kernel:" + v}}
		if ms := ix.Match(vuln.Firmware{}, []vuln.Component{c}); len(ms) != 0 {
			t.Errorf("kernel %s matched %s: %s", v, ms[0].Vulnerability.ID, ms[0].Reason)
		}
	}
	// NVD's own KEV copy (cisaExploitAdd) flags KEV when the catalogue is absent.
	b = vuln.NewBuilder(nil)
	addNVD(t, b, "testdata/labelled/nvd/CVE-2024-1086.json")
	m = byID(b.Build().Match(vuln.Firmware{}, []vuln.Component{kernel}))["CVE-2024-1086"]
	if m.Vulnerability.KEV == nil || !m.Vulnerability.KEV.DateAdded.Equal(date) {
		t.Errorf("KEV from NVD cisaExploitAdd = %+v", m.Vulnerability.KEV)
	}
}

func TestMatchPURL(t *testing.T) {
	b := vuln.NewBuilder(nil)
	addOSV(t, b, "testdata/osv/ALSA-2022-7288.json", "testdata/osv/OSV-2021-1807.json")
	b.AddKEV(vuln.KEV{CVE: "CVE-2022-3602"})
	ix := b.Build()
	tests := []struct {
		purl  string
		want  string
		fixed string
	}{
		{"pkg:rpm/almalinux/openssl@3.0.1-41.el9_0?distro=almalinux-9.0&epoch=1", "ALSA-2022:7288", "1:3.0.1-43.el9_0"},
		{"pkg:rpm/almalinux/openssl-libs@1:3.0.1-20.el9", "ALSA-2022:7288", "1:3.0.1-43.el9_0"},
		{"pkg:rpm/almalinux/openssl@3.0.1-43.el9_0?distro=almalinux-9&epoch=1", "", ""},
		{"pkg:rpm/almalinux/openssl@3.0.1-41.el9_0?distro=almalinux-8&epoch=1", "", ""},
		// Without its epoch qualifier the RPM version has epoch 0, below every 1:... fix.
		{"pkg:rpm/almalinux/openssl@3.0.1-99.el9_0?distro=almalinux-9", "ALSA-2022:7288", "1:3.0.1-43.el9_0"},
		{"pkg:generic/dnsmasq@2.86", "OSV-2021-1807", "03345ecefeb0d82e3c3a4c28f27c3554f0611b39"},
		{"pkg:generic/dnsmasq@2.85", "", ""},
		{"pkg:deb/debian/openssl@3.0.1", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.purl, func(t *testing.T) {
			ms := ix.Match(vuln.Firmware{}, []vuln.Component{{Name: "x", PURL: tt.purl}})
			got := ""
			if len(ms) > 0 {
				got = ms[0].Vulnerability.ID
			}
			if got != tt.want {
				t.Fatalf("Match(%s) = %q, want %q", tt.purl, got, tt.want)
			}
			if got == "" {
				return
			}
			m := ms[0]
			if m.FixedVersion != tt.fixed || m.Via != "purl" || m.Reason == "" {
				t.Errorf("Match(%s) fixed %q via %q reason %q, want fixed %q", tt.purl, m.FixedVersion, m.Via, m.Reason, tt.fixed)
			}
			if got == "ALSA-2022:7288" && m.Vulnerability.KEV == nil {
				t.Error("KEV not found through the related CVE")
			}
		})
	}
}

func TestMatchVEX(t *testing.T) {
	b := vuln.NewBuilder(nil)
	addNVD(t, b, "testdata/labelled/nvd/CVE-2022-48174.json", "testdata/labelled/nvd/CVE-2023-42366.json")
	fw12 := vuln.Ref{PURL: "pkg:generic/example/router-firmware@1.2"}
	fw13 := vuln.Ref{PURL: "pkg:generic/example/router-firmware@1.3"}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b.AddStatement(vuln.Statement{Vulnerability: "CVE-2022-48174", Product: fw12, Component: vuln.Ref{PURL: "pkg:generic/busybox"},
		Status: vuln.StatusNotAffected, Justification: "vulnerable_code_not_in_execute_path", Timestamp: t0})
	// A product-wide statement for another CVE on another firmware.
	b.AddStatement(vuln.Statement{Vulnerability: "CVE-2023-42366", Product: fw13, Status: vuln.StatusFixed, Timestamp: t0})
	// A later statement overrides an earlier one for the same scope.
	b.AddStatement(vuln.Statement{Vulnerability: "CVE-2023-42366", Product: vuln.Ref{PURL: "pkg:generic/example/router-firmware"},
		Component: vuln.Ref{CPE: "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*"}, Status: vuln.StatusUnderInvestigation, Timestamp: t0.Add(time.Hour)})
	ix := b.Build()
	busybox := vuln.Component{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}}
	tests := []struct {
		fw         vuln.Ref
		cve        string
		status     string
		suppressed bool
	}{
		{fw12, "CVE-2022-48174", vuln.StatusNotAffected, true},
		{fw13, "CVE-2022-48174", "", false},
		{fw12, "CVE-2023-42366", vuln.StatusUnderInvestigation, false},
		{fw13, "CVE-2023-42366", vuln.StatusUnderInvestigation, false},
	}
	for _, tt := range tests {
		t.Run(tt.fw.PURL+"/"+tt.cve, func(t *testing.T) {
			m, ok := byID(ix.Match(vuln.Firmware{Ref: tt.fw}, []vuln.Component{busybox}))[tt.cve]
			if !ok {
				t.Fatalf("%s not matched", tt.cve)
			}
			got := ""
			if m.VEX != nil {
				got = m.VEX.Status
			}
			if got != tt.status || m.Suppressed() != tt.suppressed {
				t.Errorf("VEX status %q suppressed %v, want %q %v", got, m.Suppressed(), tt.status, tt.suppressed)
			}
		})
	}
}

func TestMatchPlatform(t *testing.T) {
	b := vuln.NewBuilder(nil)
	addNVD(t, b, "testdata/labelled/nvd-overrides/2025/CVE-2025-8058.json")
	ix := b.Build()
	glibc := vuln.Component{Name: "glibc", Version: "2.40", CPEs: []string{"cpe:2.3:a:gnu:glibc:2.40"}}
	kernel := vuln.Component{Name: "linux", Version: "6.6.1", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:6.6.1"}}
	hw := []string{"cpe:2.3:h:example:r100:-"}
	tests := []struct {
		name    string
		fw      vuln.Firmware
		comps   []vuln.Component
		want    bool
		assumed bool
	}{
		{"unknown platform", vuln.Firmware{}, []vuln.Component{glibc}, true, true},
		{"known platform without the kernel", vuln.Firmware{Platform: hw}, []vuln.Component{glibc}, false, false},
		// The override's platform node is linux_kernel:- (no version), which a
		// versioned kernel does not match (NA); stated as such.
		{"known platform with a versioned kernel", vuln.Firmware{Platform: hw}, []vuln.Component{glibc, kernel}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := byID(ix.Match(tt.fw, tt.comps))["CVE-2025-8058"]
			if ok != tt.want {
				t.Fatalf("matched %v, want %v", ok, tt.want)
			}
			if ok && strings.Contains(m.Reason, "platform condition assumed") != tt.assumed {
				t.Errorf("reason %q, want assumed=%v", m.Reason, tt.assumed)
			}
		})
	}
}

func TestOverrideOrder(t *testing.T) {
	// The override for CVE-2023-0216 names openssl 3.0.0 to 3.0.8; without
	// any NVD record it still becomes an advisory, and added before or
	// after an NVD record of the same ID it replaces its configurations.
	comp := vuln.Component{Name: "openssl", Version: "3.0.7", CPEs: []string{"cpe:2.3:a:openssl:openssl:3.0.7"}}
	stub := &vuln.Advisory{ID: "CVE-2023-0216", Source: vuln.SourceNVD, CVSS: []vuln.CVSS{{Version: "3.1", Score: 7.5, Severity: "HIGH", Primary: true}}}
	for _, order := range []string{"override only", "override first", "nvd first"} {
		t.Run(order, func(t *testing.T) {
			b := vuln.NewBuilder(nil)
			if order == "nvd first" {
				b.AddAdvisory(stub)
			}
			addNVD(t, b, "testdata/labelled/nvd-overrides/2023/CVE-2023-0216.json")
			if order == "override first" {
				b.AddAdvisory(stub)
			}
			m, ok := byID(b.Build().Match(vuln.Firmware{}, []vuln.Component{comp}))["CVE-2023-0216"]
			if !ok {
				t.Fatal("not matched")
			}
			if order != "override only" && (m.Vulnerability.CVSS == nil || m.Vulnerability.CVSS.Score != 7.5) {
				t.Errorf("CVSS of the NVD record lost: %+v", m.Vulnerability.CVSS)
			}
		})
	}
}

func TestMatchRefusals(t *testing.T) {
	b := vuln.NewBuilder(cpe.DefaultAliases())
	addNVD(t, b, "testdata/labelled/nvd/CVE-2023-28450.json", "testdata/labelled/nvd-overrides/2023/CVE-2023-0216.json")
	ix := b.Build()
	tests := []struct {
		name string
		comp vuln.Component
		want int
	}{
		{"any vendor is not expanded", vuln.Component{Name: "dnsmasq", CPEs: []string{"cpe:2.3:a:*:dnsmasq:2.80"}}, 0},
		{"alias spelling", vuln.Component{Name: "dnsmasq", CPEs: []string{"cpe:2.3:a:dnsmasq:dnsmasq:2.80"}}, 1},
		{"two CPEs, one match", vuln.Component{Name: "dnsmasq", CPEs: []string{"cpe:2.3:a:dnsmasq:dnsmasq:2.80", "cpe:2.3:a:thekelleys:dnsmasq:2.80"}}, 1},
		{"any part tries a, o and h", vuln.Component{Name: "dnsmasq", CPEs: []string{"cpe:2.3:*:thekelleys:dnsmasq:2.80"}}, 1},
		{"rust crate of the same name", vuln.Component{Name: "openssl-src", CPEs: []string{"cpe:2.3:a:alexcrichton:openssl-src-rs:300.0.5"}}, 0},
		{"rust crate stated", vuln.Component{Name: "openssl-src", CPEs: []string{"cpe:2.3:a:alexcrichton:openssl-src-rs:300.0.5:*:*:*:*:rust:*:*"}}, 1},
		{"CPE 2.2 URI", vuln.Component{Name: "x", CPEs: []string{"cpe:/a:thekelleys:dnsmasq:2.80"}}, 1},
		{"bad CPE ignored", vuln.Component{Name: "x", CPEs: []string{"cpe:2.3:q:thekelleys:dnsmasq:2.80"}}, 0},
		{"bad purl ignored", vuln.Component{Name: "x", PURL: "pkg:"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := ix.Match(vuln.Firmware{}, []vuln.Component{tt.comp})
			if len(ms) != tt.want {
				t.Errorf("%d matches, want %d: %+v", len(ms), tt.want, ms)
			}
		})
	}
}

func TestMatchJSON(t *testing.T) {
	b := vuln.NewBuilder(cpe.DefaultAliases())
	addNVD(t, b, "testdata/labelled/nvd/CVE-2024-1086.json")
	b.AddEPSS(vuln.EPSS{CVE: "CVE-2024-1086", Score: 0.5, Percentile: 0.9})
	ms := b.Build().Match(vuln.Firmware{}, []vuln.Component{{Name: "linux", Version: "6.1.50", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:6.1.50"}}})
	if len(ms) != 1 {
		t.Fatalf("%d matches", len(ms))
	}
	data, err := json.Marshal(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(data, &got)
	for _, k := range []string{"component", "vulnerability", "fixed_version", "reason"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, data)
		}
	}
	v := got["vulnerability"].(map[string]any)
	for _, k := range []string{"id", "severity", "cvss", "kev", "epss"} {
		if _, ok := v[k]; !ok {
			t.Errorf("vulnerability JSON lacks %q: %s", k, data)
		}
	}
	c := got["component"].(map[string]any)
	if c["name"] != "linux" || c["version"] != "6.1.50" || c["cpe"] == nil {
		t.Errorf("component JSON = %v", c)
	}
}

// ApplyVEX over an index without the statements gives what an index built
// with them gives, whichever way the statements are split between the two.
func TestApplyVEX(t *testing.T) {
	files := []string{"testdata/labelled/nvd/CVE-2022-48174.json", "testdata/labelled/nvd/CVE-2023-42366.json"}
	fw12 := vuln.Ref{PURL: "pkg:generic/example/router-firmware@1.2"}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	stmts := []vuln.Statement{
		{Vulnerability: "CVE-2022-48174", Product: fw12, Component: vuln.Ref{PURL: "pkg:generic/busybox"}, Status: vuln.StatusNotAffected,
			Justification: "vulnerable_code_not_in_execute_path", Timestamp: t0},
		{Vulnerability: "CVE-2022-48174", Product: fw12, Status: vuln.StatusAffected, Action: "update", Timestamp: t0}, // product-wide, same time: loses
		{Vulnerability: "CVE-2023-42366", Product: fw12, Status: vuln.StatusFixed, Timestamp: t0},
		{Vulnerability: "CVE-2023-42366", Product: fw12, Status: vuln.StatusUnderInvestigation, Timestamp: t0.Add(time.Hour)}, // later: wins
	}
	busybox := vuln.Component{Name: "busybox", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}}
	status := func(ms []vuln.Match) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			out[m.Vulnerability.ID] = ""
			if m.VEX != nil {
				out[m.Vulnerability.ID] = m.VEX.Status
			}
		}
		return out
	}
	full := vuln.NewBuilder(nil)
	addNVD(t, full, files...)
	for _, s := range stmts {
		full.AddStatement(s)
	}
	want := status(full.Build().Match(vuln.Firmware{Ref: fw12}, []vuln.Component{busybox}))
	if want["CVE-2022-48174"] != vuln.StatusNotAffected || want["CVE-2023-42366"] != vuln.StatusUnderInvestigation {
		t.Fatalf("reference statuses %v", want)
	}
	for split := 0; split <= len(stmts); split++ {
		b := vuln.NewBuilder(nil)
		addNVD(t, b, files...)
		for _, s := range stmts[:split] {
			b.AddStatement(s)
		}
		ms := vuln.ApplyVEX(fw12, b.Build().Match(vuln.Firmware{Ref: fw12}, []vuln.Component{busybox}), stmts[split:])
		if got := status(ms); got["CVE-2022-48174"] != want["CVE-2022-48174"] || got["CVE-2023-42366"] != want["CVE-2023-42366"] {
			t.Errorf("split at %d: %v, want %v", split, got, want)
		}
	}
}
