package network

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/check"
)

func run(t *testing.T, fsys fstest.MapFS) []check.Finding {
	t.Helper()
	tg, err := check.NewTarget(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New().Analyse(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	return r.Findings
}

func TestAnalyse(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/cloud.conf":  {Data: []byte("# cloud\nserver=http://api.vendor-cloud.test/v1/report\nbroker=mqtt://broker.vendor-cloud.test:1883\nbackup=ftp://admin:pw@files.vendor.test/\nsecure=https://telemetry.vendor.test/\n")},
		"usr/bin/agent":   {Data: []byte("\x7fELF\x00\x00tcp://52.1.2.3:1883\x00https://ota.vendor.test/fw\x00http://www.w3.org/2001/XMLSchema\x00")},
		"www/index.html":  {Data: []byte(`<a href="http://192.168.1.1/">router</a> <a href="http://localhost:8080">x</a>`)},
		"usr/share/doc/x": {Data: []byte("http://docs.vendor.test/")},
		"etc/xml.conf":    {Data: []byte(`<x xmlns="http://schemas.xmlsoap.org/soap/envelope/"/>`)},
	}
	got := run(t, fsys)
	var brief []string
	for _, f := range got {
		brief = append(brief, fmt.Sprintf("%s %s %s %s | %s", f.Rule, f.Path, f.Severity, strings.Join(f.Provisions, ","), f.Evidence.Text))
	}
	sort.Strings(brief)
	want := []string{
		"network.cleartext-endpoint etc/cloud.conf medium 5.5-1 | ftp://files.vendor.test/ http://api.vendor-cloud.test/v1/report mqtt://broker.vendor-cloud.test:1883",
		"network.cleartext-endpoint usr/bin/agent medium 5.5-1 | tcp://52.1.2.3:1883",
		"network.cleartext-endpoint www/index.html medium 5.5-1 | http://192.168.1.1/",
		"network.hardcoded-host etc/cloud.conf info 5.5-1 | https://telemetry.vendor.test/",
		"network.hardcoded-host usr/bin/agent info 5.5-1 | https://ota.vendor.test/fw",
	}
	if diff := cmp.Diff(want, brief); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, f := range got {
		if strings.Contains(f.Evidence.Text, "admin:pw") {
			t.Errorf("evidence %q repeats URL credentials", f.Evidence.Text)
		}
		if f.Path == "etc/cloud.conf" && f.Rule == RuleCleartext && f.Evidence.Line != 2 {
			t.Errorf("line = %d, want 2", f.Evidence.Line)
		}
	}
}

func FuzzEndpoints(f *testing.F) {
	f.Add([]byte("http://a.b/ mqtt://x.y:1883 tcp://[::1]:80"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fileFindings("f", b)
	})
}
