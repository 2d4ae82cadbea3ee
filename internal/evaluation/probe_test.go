package evaluation_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/evaluation"
)

// Probe checks one device (here a telnet-like listener on loopback) and
// refuses anything wider, with ErrProbeTarget.
func TestProbe(t *testing.T) {
	svc := evaluation.New(nil, newEngine(t))
	ctx := context.Background()
	for _, host := range []string{"192.168.0.0/16", "10.0.0.1,10.0.0.2", "255.255.255.255"} {
		if _, err := svc.Probe(ctx, host, evaluation.ProbeOptions{}); !errors.Is(err, evaluation.ErrProbeTarget) {
			t.Errorf("Probe(%q) = %v, want ErrProbeTarget", host, err)
		}
	}

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
	port := ln.Addr().(*net.TCPAddr).Port
	res, err := svc.Probe(ctx, "127.0.0.1", evaluation.ProbeOptions{
		Ports:       []evaluation.ProbePort{{Port: port, Service: "telnet"}},
		Credentials: []evaluation.ProbeCredential{},
		Limits:      evaluation.ProbeLimits{Timeout: 2 * time.Second, MaxTime: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "probe.telnet-open" || res.Findings[0].Path != "tcp/"+strconv.Itoa(port)+" telnet" {
		t.Errorf("findings = %+v", res.Findings)
	}
	if len(evaluation.ProbePorts()) == 0 {
		t.Error("ProbePorts is empty")
	}
}
