package network

import (
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

func TestAnalyse(t *testing.T) {
	inspecttest.New().
		WithFiles(inspecttest.Files{
			"etc/cloud.conf":  inspecttest.Text("# cloud\nserver=http://api.vendor-cloud.test/v1/report\nbroker=mqtt://broker.vendor-cloud.test:1883\nbackup=ftp://admin:pw@files.vendor.test/\nsecure=https://telemetry.vendor.test/\n"),
			"usr/bin/agent":   inspecttest.Text("\x7fELF\x00\x00tcp://52.1.2.3:1883\x00https://ota.vendor.test/fw\x00http://www.w3.org/2001/XMLSchema\x00"),
			"www/index.html":  inspecttest.Text(`<a href="http://192.168.1.1/">router</a> <a href="http://localhost:8080">x</a>`),
			"usr/share/doc/x": inspecttest.Text("http://docs.vendor.test/"),
			"etc/xml.conf":    inspecttest.Text(`<x xmlns="http://schemas.xmlsoap.org/soap/envelope/"/>`),
		}).
		BriefWith(inspecttest.BriefText).
		ExpectFindings(
			"network.cleartext-endpoint etc/cloud.conf medium 5.5-1 | ftp://files.vendor.test/ http://api.vendor-cloud.test/v1/report mqtt://broker.vendor-cloud.test:1883",
			"network.cleartext-endpoint usr/bin/agent medium 5.5-1 | tcp://52.1.2.3:1883",
			"network.cleartext-endpoint www/index.html medium 5.5-1 | http://192.168.1.1/",
			"network.hardcoded-host etc/cloud.conf info 5.5-1 | https://telemetry.vendor.test/",
			"network.hardcoded-host usr/bin/agent info 5.5-1 | https://ota.vendor.test/fw",
		).
		ForEachFinding(func(t testing.TB, f check.Finding) {
			if strings.Contains(f.Evidence.Text, "admin:pw") {
				t.Errorf("evidence %q repeats URL credentials", f.Evidence.Text)
			}
			if f.Path == "etc/cloud.conf" && f.Rule == RuleCleartext && f.Evidence.Line != 2 {
				t.Errorf("line = %d, want 2", f.Evidence.Line)
			}
		}).
		Test(t, New())
}

// TestPackageDoc is the example of package inspecttest's documentation,
// with an agent binary reached through a symbolic link.
func TestPackageDoc(t *testing.T) {
	agent := []byte("\x7fELF\x00\x00https://api.vendor.test/v2\x00")
	inspecttest.New().
		WithFiles(inspecttest.Files{
			"etc/cloud.conf": inspecttest.Text("server=http://api.vendor.test/\n"),
			"usr/bin/agent":  {Data: agent, Mode: 0o755},
			"bin/agent":      inspecttest.Symlink("../usr/bin/agent"),
		}).
		ExpectFindings(
			"network.cleartext-endpoint etc/cloud.conf medium 5.5-1",
			"network.hardcoded-host usr/bin/agent info 5.5-1",
		).
		Test(t, New())
}

func FuzzEndpoints(f *testing.F) {
	f.Add([]byte("http://a.b/ mqtt://x.y:1883 tcp://[::1]:80"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fileFindings("f", b)
	})
}
