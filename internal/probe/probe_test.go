package probe_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	stdio "io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/probe"
)

// listen starts a TCP listener on loopback and serves each connection
// with handle until the test ends.
func listen(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// telnetServer negotiates an option, then asks for a login; user/pass
// gets a root shell prompt.
func telnetServer(user, pass string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte{255, 253, 24, 255, 251, 1}) // DO TTYPE, WILL ECHO
		c.Write([]byte("\r\nBusyBox v1.28.4 (2019-01-28) built-in shell\r\nrouter login: "))
		br := bufio.NewReader(c)
		// readLine reads one line, dropping telnet commands (IAC x y).
		readLine := func() string {
			var line []byte
			for {
				b, err := br.ReadByte()
				switch {
				case err != nil:
					return string(line)
				case b == 255:
					br.ReadByte()
					br.ReadByte()
				case b == '\n':
					if l := strings.TrimSpace(string(line)); l != "" {
						return l
					}
				default:
					line = append(line, b)
				}
			}
		}
		u := readLine()
		c.Write([]byte("Password: "))
		p := readLine()
		if u == user && p == pass {
			c.Write([]byte("\r\n\r\nBusyBox v1.28.4 built-in shell (ash)\r\n\r\nroot@router:~# "))
			time.Sleep(100 * time.Millisecond)
			return
		}
		c.Write([]byte("\r\nLogin incorrect\r\nrouter login: "))
	}
}

func ftpServer(anonymous bool, user, pass string) func(net.Conn) {
	return func(c net.Conn) {
		fmt.Fprintf(c, "220-Welcome\r\n220 (vsFTPd 3.0.3)\r\n")
		br := bufio.NewReader(c)
		var u string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(l), " ")
			switch strings.ToUpper(cmd) {
			case "USER":
				u = arg
				fmt.Fprintf(c, "331 Please specify the password.\r\n")
			case "PASS":
				if u == "anonymous" && anonymous || u == user && arg == pass {
					fmt.Fprintf(c, "230 Login successful.\r\n")
				} else {
					fmt.Fprintf(c, "530 Login incorrect.\r\n")
				}
			case "QUIT":
				fmt.Fprintf(c, "221 Goodbye.\r\n")
				return
			default:
				fmt.Fprintf(c, "500 Unknown command.\r\n")
			}
		}
	}
}

// mqttServer answers a CONNECT with a CONNACK: accepted (0) when the
// client sent no user name and anonymous is allowed, else 5 (not
// authorised).
func mqttServer(anonymous bool) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		if b, err := br.ReadByte(); err != nil || b != 0x10 {
			return
		}
		n, mult := 0, 1
		for {
			b, err := br.ReadByte()
			if err != nil {
				return
			}
			n += int(b&0x7f) * mult
			mult *= 128
			if b&0x80 == 0 {
				break
			}
		}
		body := make([]byte, n)
		if _, err := io(br, body); err != nil || n < 10 {
			return
		}
		flags := body[7] // after protocol name (2+4), level (1)
		rc := byte(5)
		if anonymous && flags&0x80 == 0 {
			rc = 0
		}
		c.Write([]byte{0x20, 2, 0, rc})
		br.ReadByte() // wait for DISCONNECT or close
	}
}

func io(br *bufio.Reader, b []byte) (int, error) {
	for i := range b {
		c, err := br.ReadByte()
		if err != nil {
			return i, err
		}
		b[i] = c
	}
	return len(b), nil
}

func sshServer(t *testing.T, user, pass string) int {
	_, key, _ := ed25519Key(t)
	cfg := &ssh.ServerConfig{PasswordCallback: func(m ssh.ConnMetadata, p []byte) (*ssh.Permissions, error) {
		if m.User() == user && string(p) == pass {
			return nil, nil
		}
		return nil, errors.New("no")
	}, ServerVersion: "SSH-2.0-dropbear_2017.75"}
	cfg.AddHostKey(key)
	return listen(t, func(c net.Conn) {
		sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		defer sc.Close()
		go ssh.DiscardRequests(reqs)
		for ch := range chans {
			ch.Reject(ssh.Prohibited, "no")
		}
	})
}

func ed25519Key(t *testing.T) (any, ssh.Signer, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, s, nil
}

// weakTLS is a TLS 1.0-1.3 server with an expired, self-signed SHA-1
// certificate on a 1024-bit RSA key, behind HTTP basic authentication.
func weakTLS(t *testing.T) int {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "camera.local"},
		NotBefore: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		SignatureAlgorithm: x509.SHA1WithRSA}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Skipf("cannot make a SHA-1 certificate here: %v", err)
	}
	srv := httptest.NewUnstartedServer(basicAuth("admin", "admin", "GoAhead-Webs"))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}},
		CipherSuites: append([]uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}, cipherIDs(tls.CipherSuites())...)}
	srv.Config.ErrorLog = log.New(stdio.Discard, "", 0) // the probe's refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func cipherIDs(cs []*tls.CipherSuite) []uint16 {
	var out []uint16
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func basicAuth(user, pass, server string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", server)
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="router"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "status page")
	})
}

func httpServer(t *testing.T, h http.Handler) int {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func ssdpServer(t *testing.T) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if strings.HasPrefix(string(buf[:n]), "M-SEARCH") {
				c.WriteTo([]byte("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: upnp:rootdevice\r\nLOCATION: http://127.0.0.1:5000/rootDesc.xml\r\nSERVER: OpenWRT/18.06 UPnP/1.1 MiniUPnPd/2.1\r\n\r\n"), addr)
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// closedPort returns a port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

type want struct {
	rule, path string
}

func TestProbe(t *testing.T) {
	ports := map[string]int{
		"telnet": listen(t, telnetServer("root", "vizxv")),
		"ssh":    sshServer(t, "admin", "password"),
		"http":   httpServer(t, basicAuth("admin", "1234", "lighttpd/1.4.45")),
		"https":  weakTLS(t),
		"ftp":    listen(t, ftpServer(true, "", "")),
		"ftp2":   listen(t, ftpServer(false, "support", "support")),
		"mqtt":   listen(t, mqttServer(true)),
		"mqtt2":  listen(t, mqttServer(false)),
		"ssdp":   ssdpServer(t),
		"closed": closedPort(t),
	}
	opts := probe.Options{
		Ports: []probe.Port{{ports["telnet"], probe.Telnet}, {ports["ssh"], probe.SSH}, {ports["http"], probe.HTTP}, {ports["https"], probe.HTTPS},
			{ports["ftp"], probe.FTP}, {ports["ftp2"], probe.FTP}, {ports["mqtt"], probe.MQTT}, {ports["mqtt2"], probe.MQTT},
			{ports["ssdp"], probe.SSDP}, {ports["closed"], probe.Telnet}},
		Limits: probe.Limits{Timeout: 2 * time.Second, Rate: 50, Concurrency: 8, MaxAttempts: 12},
		Now:    func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	r, err := probe.Run(context.Background(), "127.0.0.1", opts)
	if err != nil {
		t.Fatal(err)
	}
	p := func(name, svc string) string { return fmt.Sprintf("tcp/%d %s", ports[name], svc) }
	wants := []want{
		{"probe.telnet-open", p("telnet", "telnet")},
		{"probe.default-credentials", p("telnet", "telnet")},
		{"probe.default-credentials", p("ssh", "ssh")},
		{"probe.default-credentials", p("http", "http")},
		{"probe.http-cleartext-auth", p("http", "http")},
		{"probe.default-credentials", p("https", "https")},
		{"probe.tls-old-version", p("https", "https")},
		{"probe.tls-weak-cipher", p("https", "https")},
		{"probe.tls-cert-short-key", p("https", "https")},
		{"probe.tls-cert-expired", p("https", "https")},
		{"probe.tls-cert-weak-signature", p("https", "https")},
		{"probe.tls-cert-self-signed", p("https", "https")},
		{"probe.ftp-open", p("ftp", "ftp")},
		{"probe.ftp-anonymous", p("ftp", "ftp")},
		{"probe.default-credentials", p("ftp2", "ftp")},
		{"probe.mqtt-anonymous", p("mqtt", "mqtt")},
		{"probe.mqtt-cleartext", p("mqtt2", "mqtt")},
		{"probe.upnp-ssdp", fmt.Sprintf("udp/%d ssdp", ports["ssdp"])},
	}
	var got []want
	for _, f := range r.Findings {
		got = append(got, want{f.Rule, f.Path})
		if len(f.Provisions) == 0 || f.Severity.Rank() < 0 {
			t.Errorf("%s at %s: provisions %v, severity %q", f.Rule, f.Path, f.Provisions, f.Severity)
		}
		for _, secret := range []string{"vizxv", "password", "1234", "support:support"} {
			if strings.Contains(f.Evidence.Text, secret) {
				t.Errorf("%s evidence %q shows a password", f.Rule, f.Evidence.Text)
			}
		}
	}
	for _, w := range wants {
		if !slices.Contains(got, w) {
			t.Errorf("no %s at %s", w.rule, w.path)
		}
	}
	// No false alarms: the refusing broker is not anonymous, the closed
	// port is closed.
	for _, bad := range []want{{"probe.mqtt-anonymous", p("mqtt2", "mqtt")}, {"probe.ftp-anonymous", p("ftp2", "ftp")}, {"probe.telnet-open", p("closed", "telnet")}} {
		if slices.Contains(got, bad) {
			t.Errorf("false %s at %s", bad.rule, bad.path)
		}
	}
	if !slices.Contains(r.Closed, ports["closed"]) {
		t.Errorf("closed ports %v lack %d", r.Closed, ports["closed"])
	}
	banners := map[int]string{}
	for _, s := range r.Services {
		banners[s.Port] = s.Banner
		if s.Port == ports["https"] && (s.TLS == nil || !slices.Contains(s.TLS.Versions, "TLS 1.0") || s.TLS.KeyBits != 1024) {
			t.Errorf("TLS info = %+v", s.TLS)
		}
	}
	for port, want := range map[int]string{ports["ssh"]: "SSH-2.0-dropbear_2017.75", ports["http"]: "lighttpd/1.4.45", ports["https"]: "GoAhead-Webs",
		ports["ftp"]: "220 (vsFTPd 3.0.3)", ports["ssdp"]: "OpenWRT/18.06 UPnP/1.1 MiniUPnPd/2.1"} {
		if banners[port] != want {
			t.Errorf("banner on %d = %q, want %q", port, banners[port], want)
		}
	}
	if r.Attempts == 0 || r.Attempts > 12*10 {
		t.Errorf("%d credential attempts", r.Attempts)
	}
}

// A wrong-password-only telnet is open but not logged into.
func TestProbeNoDefaultLogin(t *testing.T) {
	port := listen(t, telnetServer("root", "a long unique password"))
	r, err := probe.Run(context.Background(), "127.0.0.1", probe.Options{Ports: []probe.Port{{port, probe.Telnet}}, Limits: probe.Limits{Timeout: time.Second, Rate: 50}})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, f.Rule)
	}
	if !slices.Equal(rules, []string{"probe.telnet-open"}) || r.Attempts != 6 {
		t.Errorf("findings %v after %d attempts, want only telnet-open after 6 (the default cap)", rules, r.Attempts)
	}
}

// TestMosquitto probes the local Mosquitto broker, when there is one: the
// verdict must agree with what a plain MQTT CONNECT gets.
func TestMosquitto(t *testing.T) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:1883", time.Second)
	if err != nil {
		t.Skip("no MQTT broker at 127.0.0.1:1883 (Debian package mosquitto)")
	}
	// MQTT 3.1.1 CONNECT, clean session, no user name, client "iotsec-t".
	c.SetDeadline(time.Now().Add(3 * time.Second))
	c.Write([]byte{0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 8, 'i', 'o', 't', 's', 'e', 'c', '-', 't'})
	ack := make([]byte, 4)
	_, err = c.Read(ack)
	c.Close()
	if err != nil {
		t.Fatalf("no CONNACK from 127.0.0.1:1883: %v", err)
	}
	anonymous := ack[3] == 0
	r, err := probe.Run(context.Background(), "127.0.0.1", probe.Options{Ports: []probe.Port{{1883, probe.MQTT}}})
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(r.Findings, func(f inspect.Finding) bool { return f.Rule == "probe.mqtt-anonymous" })
	if found != anonymous {
		t.Errorf("probe says anonymous = %v; the broker's CONNACK code %d says %v", found, ack[3], anonymous)
	}
	t.Logf("local Mosquitto accepts anonymous clients: %v", anonymous)
}

func TestCheckTarget(t *testing.T) {
	for _, ok := range []string{"127.0.0.1", "::1", "[::1]", "192.168.1.1", "router.local", "cam-01.example.com", "fe80::1"} {
		if err := probe.CheckTarget(ok); err != nil {
			t.Errorf("CheckTarget(%q) = %v, want accepted", ok, err)
		}
	}
	for _, bad := range []string{"", "192.168.1.0/24", "10.0.0.1,10.0.0.2", "10.0.0.1 10.0.0.2", "192.168.1.1-254", "*.local", "0.0.0.0", "::",
		"255.255.255.255", "224.0.0.1", "ff02::1", "239.255.255.250", "a..b", strings.Repeat("a", 64) + ".com"} {
		err := probe.CheckTarget(bad)
		if !errors.Is(err, probe.ErrTarget) {
			t.Errorf("CheckTarget(%q) = %v, want refused", bad, err)
		}
	}
	// A name that resolves to a multicast address is refused too.
	_, err := probe.Run(context.Background(), "all-hosts.example", probe.Options{Resolve: func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("224.0.0.1")}, nil
	}})
	if !errors.Is(err, probe.ErrTarget) {
		t.Errorf("name resolving to multicast: %v", err)
	}
}

// The whole probe ends at MaxTime even when a service never answers.
func TestProbeTimeLimit(t *testing.T) {
	port := listen(t, func(c net.Conn) { time.Sleep(5 * time.Second) })
	start := time.Now()
	r, err := probe.Run(context.Background(), "127.0.0.1", probe.Options{Ports: []probe.Port{{port, probe.Telnet}, {port, probe.SSH}, {port, probe.FTP}},
		Limits: probe.Limits{Timeout: 3 * time.Second, MaxTime: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("probe took %v with a 500 ms limit", d)
	}
	_ = r
}
