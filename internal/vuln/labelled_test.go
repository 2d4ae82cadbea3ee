package vuln_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
	"github.com/iotsec/iotsec/internal/vuln/nvd"
)

// labelledFirmware are the two Buildroot builds of testdata/labelled: the
// component versions come from the Buildroot manifest (som60) and
// pkg-stats (pkgstats) fixtures, the CPEs from Buildroot's CPE IDs.
var labelledFirmware = map[string][]vuln.Component{
	"som60": {
		{Name: "busybox", Version: "1.29.3", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.29.3:*:*:*:*:*:*:*"}},
		{Name: "libopenssl", Version: "1.1.1i", CPEs: []string{"cpe:2.3:a:openssl:openssl:1.1.1i:*:*:*:*:*:*:*"}},
		{Name: "libcurl", Version: "7.74.0", CPEs: []string{"cpe:2.3:a:haxx:libcurl:7.74.0:*:*:*:*:*:*:*"}},
		{Name: "dnsmasq", Version: "2.84", CPEs: []string{"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*"}},
		{Name: "dropbear", Version: "2018.76", CPEs: []string{"cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2018.76:*:*:*:*:*:*:*"}},
		{Name: "libzlib", Version: "1.2.11", CPEs: []string{"cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*"}},
		{Name: "linux", Version: "custom", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:custom:*:*:*:*:*:*:*"}},
	},
	"pkgstats": {
		{Name: "busybox", Version: "1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}},
		{Name: "libopenssl", Version: "3.3.2", CPEs: []string{"cpe:2.3:a:openssl:openssl:3.3.2:*:*:*:*:*:*:*"}},
		{Name: "libzlib", Version: "1.3.1", CPEs: []string{"cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*"}},
		{Name: "xz", Version: "5.6.2", CPEs: []string{"cpe:2.3:a:tukaani:xz:5.6.2:*:*:*:*:*:*:*"}},
		{Name: "glibc", Version: "2.40", CPEs: []string{"cpe:2.3:a:gnu:glibc:2.40:*:*:*:*:*:*:*"}},
		{Name: "linux", Version: "custom", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:custom:*:*:*:*:*:*:*"}},
	},
}

// explained lists every error the matcher is known to make on the set,
// with the reason; an error not listed here fails the test.
var explained = map[string]string{
	"som60/libopenssl/CVE-2023-5678": "false negative: the NVD record has no configurations (Awaiting Analysis) and no override covers it; no CPE data, nothing to match",
	"som60/libopenssl/CVE-2024-0727": "false negative: the NVD record has no configurations (Awaiting Analysis) and no override covers it",
}

func loadLabelledIndex(t testing.TB) *vuln.Index {
	t.Helper()
	b := vuln.NewBuilder(cpe.DefaultAliases())
	var files []string
	for _, pat := range []string{"testdata/labelled/nvd/*.json", "testdata/labelled/nvd-overrides/*/*.json"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 200 {
		t.Fatalf("only %d corpus files", len(files))
	}
	for _, f := range files {
		if _, err := nvd.ReadFile(f, nvd.DefaultLimits(), func(a *vuln.Advisory) error {
			b.AddAdvisory(a)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

type label struct {
	affected bool
	note     string
}

func readLabels(t testing.TB) map[string]label {
	t.Helper()
	f, err := os.Open("testdata/labelled/labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]label{}
	for i, r := range rows[1:] {
		if len(r) != 6 || (r[4] != "affected" && r[4] != "not_affected") || r[5] == "" {
			t.Fatalf("labels.csv:%d: bad row %q", i+2, r)
		}
		out[r[0]+"/"+r[1]+"/"+r[3]] = label{r[4] == "affected", r[5]}
	}
	return out
}

func TestLabelledSet(t *testing.T) {
	ix := loadLabelledIndex(t)
	labels := readLabels(t)
	predicted := map[string]vuln.Match{}
	for fw, comps := range labelledFirmware {
		for _, m := range ix.Match(vuln.Firmware{Ref: vuln.Ref{Name: fw}}, comps) {
			predicted[fw+"/"+m.Component.Name+"/"+m.Vulnerability.ID] = m
		}
	}
	var tp, fp, fn int
	var errs []string
	for k, m := range predicted {
		if l, ok := labels[k]; ok && l.affected {
			tp++
			continue
		}
		fp++
		errs = append(errs, "FP "+k+": "+m.Reason+" / label: "+labels[k].note)
	}
	for k, l := range labels {
		if _, ok := predicted[k]; l.affected && !ok {
			fn++
			errs = append(errs, "FN "+k+": "+l.note)
		}
	}
	sort.Strings(errs)
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("labelled set: %d labels, TP %d FP %d FN %d, precision %.3f recall %.3f", len(labels), tp, fp, fn, precision, recall)
	for _, e := range errs {
		key := strings.Fields(e)[1]
		key = strings.TrimSuffix(key, ":")
		why, ok := explained[key]
		if !ok {
			t.Errorf("unexplained %s", e)
			continue
		}
		t.Logf("%s (explained: %s)", e, why)
	}
	if precision < 0.95 || recall < 0.95 {
		t.Errorf("precision %.3f recall %.3f, want both >= 0.95", precision, recall)
	}
	if tp < 100 {
		t.Errorf("only %d true positives; the set should hold over 100", tp)
	}
	// Every explained error must still occur, so the list cannot go stale.
	for k := range explained {
		found := false
		for _, e := range errs {
			if strings.Contains(e, " "+k+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("explained error %s no longer occurs; remove it from the list", k)
		}
	}
}

// TestLabelledReasons checks the reasons name the configuration, range and
// alias, and the fixed versions, for a few cases read off the records.
func TestLabelledReasons(t *testing.T) {
	ix := loadLabelledIndex(t)
	got := map[string]vuln.Match{}
	for _, m := range ix.Match(vuln.Firmware{}, labelledFirmware["som60"]) {
		got[m.Vulnerability.ID+"/"+m.Component.Name] = m
	}
	tests := []struct {
		key, reason, fixed string
	}{
		{"CVE-2023-28450/dnsmasq", "versions < 2.90 matched 2.84", "2.90"},
		{"CVE-2026-2291/dnsmasq", "via alias a:thekelleys:dnsmasq -> a:dnsmasq:dnsmasq", "2.93rc1"},
		{"CVE-2021-22897/libcurl", "via alias a:haxx:libcurl -> a:haxx:curl", "7.77.0"},
		{"CVE-2018-15599/dropbear", "configuration 2 node 1", ""},
		{"CVE-2024-5535/libopenssl", "versions >= 1.1.1, < 1.1.1za matched 1.1.1i", "1.1.1za"},
		{"CVE-2021-42374/busybox", "versions >= 1.27.0, <= 1.33.1", ""},
	}
	for _, tt := range tests {
		m, ok := got[tt.key]
		if !ok {
			t.Errorf("%s not matched", tt.key)
			continue
		}
		if !strings.Contains(m.Reason, tt.reason) || m.FixedVersion != tt.fixed {
			t.Errorf("%s: reason %q fixed %q, want reason containing %q fixed %q", tt.key, m.Reason, m.FixedVersion, tt.reason, tt.fixed)
		}
	}
}
