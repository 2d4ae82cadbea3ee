package probe_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/probe"
)

// FuzzDeviceReplies: a hostile device answers every connection with the
// fuzzer's bytes (then each line the probe sends with the next chunk).
// The probe's telnet, FTP, SSH, HTTP, MQTT and TLS readers must not panic,
// must keep to their limits, and must end in time.
func FuzzDeviceReplies(f *testing.F) {
	for _, seed := range []string{
		"\xff\xfd\x18\xff\xfb\x01router login: ", "220 ok\r\n331 pass\r\n230 in\r\n", "220-a\r\n220-b\r\n",
		"SSH-2.0-dropbear_2017.75\r\n", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=x\r\nServer: x\r\n\r\n",
		"\x20\x02\x00\x00", "\x16\x03\x01\x00\x05hello", "# ", "\xff\xff\xff", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Skip(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetDeadline(time.Now().Add(time.Second))
					c.Write(reply)
					buf := make([]byte, 512)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
						c.Write(reply)
					}
				}()
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		var ports []probe.Port
		for _, s := range []string{probe.Telnet, probe.FTP, probe.SSH, probe.HTTP, probe.HTTPS, probe.MQTT, probe.RTSP} {
			ports = append(ports, probe.Port{Port: port, Service: s})
		}
		start := time.Now()
		r, err := probe.Run(context.Background(), "127.0.0.1", probe.Options{Ports: ports,
			Limits: probe.Limits{Timeout: 200 * time.Millisecond, MaxTime: 3 * time.Second, Rate: 50, Concurrency: 8, MaxAttempts: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("probe took %v", d)
		}
		for _, s := range r.Services {
			if len(s.Banner) > 512 {
				t.Fatalf("banner of %d bytes", len(s.Banner))
			}
		}
		if r.Attempts > 2*len(ports)+2 {
			t.Fatalf("%d credential attempts, cap is 2 per service", r.Attempts)
		}
	})
}
