package cli

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
)

// TestProbeCommand probes a telnet-like server on loopback: the finding
// comes out as JSON, --fail-on high makes exit code 3, and wide targets
// are refused as usage errors.
func TestProbeCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("router login: "))
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	out, errOut, code := runCLI(t, t.TempDir(), "probe", "127.0.0.1", "--port", port+"=telnet", "--no-credentials", "-o", "json")
	if code != ExitOK {
		t.Fatalf("probe = %d: %s", code, errOut)
	}
	var res struct {
		Findings []struct{ Rule, Path string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "probe.telnet-open" || res.Findings[0].Path != "tcp/"+port+" telnet" {
		t.Errorf("findings = %+v", res.Findings)
	}
	out, _, code = runCLI(t, t.TempDir(), "probe", "127.0.0.1", "--port", port+"=telnet", "--no-credentials", "--fail-on", "high")
	if code != ExitFindings || !strings.Contains(out, "probe.telnet-open") {
		t.Errorf("probe --fail-on high = %d:\n%s", code, out)
	}
	for _, args := range [][]string{
		{"probe", "192.168.0.0/16"}, {"probe", "10.0.0.1,10.0.0.2"}, {"probe", "255.255.255.255"},
		{"probe", "127.0.0.1", "--port", "99999"}, {"probe", "127.0.0.1", "--port", "4444"}, {"probe", "127.0.0.1", "-o", "xml"},
	} {
		if _, errOut, code := runCLI(t, t.TempDir(), args...); code != ExitUsage {
			t.Errorf("%v = %d (%s), want %d", args, code, errOut, ExitUsage)
		}
	}
}
