// Package probe checks one live device on the network, the one its user
// names: which common IoT services answer, what their banners say, how
// their TLS is set up, whether a short list of default credentials (and
// anonymous access) gets in over telnet, SSH, HTTP basic authentication,
// FTP and MQTT, and whether UPnP answers SSDP. Findings have the shape of
// package inspect's, bearing on EN 303 645 provisions.
//
// It never scans ranges: a target is one host, an IP literal or a name,
// and CIDR blocks, lists, ranges, wildcards, broadcast and multicast
// addresses are refused. Connections are bounded in rate, concurrency and
// time, and credential attempts per service are capped.
//
// It is an engine: it must not import storage (database/sql, sqlite, pgx),
// HTTP servers or internal/iotsec.
package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/iotsec/iotsec/internal/inspect"
)

// Service kinds the probe knows how to talk to.
const (
	Telnet = "telnet"
	SSH    = "ssh"
	HTTP   = "http"
	HTTPS  = "https"
	FTP    = "ftp"
	MQTT   = "mqtt"
	MQTTS  = "mqtts"
	RTSP   = "rtsp"
	TR069  = "tr-069"
	SSDP   = "ssdp" // UDP
)

// Port is a port to try and the service expected there.
type Port struct {
	Port    int    `json:"port"`
	Service string `json:"service"`
}

// DefaultPorts are the common IoT services (TCP), plus SSDP on UDP 1900.
func DefaultPorts() []Port {
	return []Port{
		{21, FTP}, {22, SSH}, {23, Telnet}, {80, HTTP}, {443, HTTPS}, {554, RTSP}, {1883, MQTT}, {2323, Telnet},
		{7547, TR069}, {8080, HTTP}, {8081, HTTP}, {8443, HTTPS}, {8883, MQTTS}, {1900, SSDP},
	}
}

// Credential is a user name and password to try.
type Credential struct{ User, Password string }

// DefaultCredentials are the pairs most often left on devices (Mirai's
// first entries and common vendor defaults); the probe tries at most
// MaxAttempts of them per service, in this order.
func DefaultCredentials() []Credential {
	return []Credential{
		{"admin", "admin"}, {"root", "root"}, {"root", "admin"}, {"admin", "password"}, {"root", ""}, {"admin", ""},
		{"admin", "1234"}, {"root", "12345"}, {"user", "user"}, {"support", "support"}, {"root", "vizxv"}, {"root", "xc3511"},
	}
}

// Limits of a probe. Zero fields take the defaults.
type Limits struct {
	Timeout     time.Duration // one connection or exchange; default 3 s
	MaxTime     time.Duration // the whole probe; default 2 min
	Concurrency int           // services probed at once; default 4, at most 16
	Rate        float64       // new connections per second; default 10, at most 50
	MaxAttempts int           // credential pairs per service; default 6, at most 20
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = 3 * time.Second
	}
	if l.MaxTime <= 0 {
		l.MaxTime = 2 * time.Minute
	}
	if l.Concurrency <= 0 {
		l.Concurrency = 4
	}
	l.Concurrency = min(l.Concurrency, 16)
	if l.Rate <= 0 {
		l.Rate = 10
	}
	l.Rate = min(l.Rate, 50)
	if l.MaxAttempts <= 0 {
		l.MaxAttempts = 6
	}
	l.MaxAttempts = min(l.MaxAttempts, 20)
	return l
}

// Options steer a probe.
type Options struct {
	Ports       []Port       // nil means DefaultPorts
	Credentials []Credential // nil means DefaultCredentials; empty (non-nil) tries none
	Limits      Limits
	Now         func() time.Time // for certificate expiry; nil means time.Now
	// Resolve looks a host name up; nil means net.DefaultResolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// TLSInfo is what the TLS checks saw.
type TLSInfo struct {
	Versions  []string `json:"versions"` // accepted, e.g. TLS 1.2, TLS 1.3
	Cipher    string   `json:"cipher"`   // negotiated with Go's defaults
	Weak      []string `json:"weak_ciphers,omitempty"`
	Subject   string   `json:"subject"`
	Issuer    string   `json:"issuer"`
	NotAfter  string   `json:"not_after"`
	KeyBits   int      `json:"key_bits"`
	Algorithm string   `json:"signature_algorithm"`
}

// Service is one port that answered.
type Service struct {
	Port    int      `json:"port"`
	Proto   string   `json:"proto"` // tcp, udp
	Service string   `json:"service"`
	Banner  string   `json:"banner,omitempty"`
	TLS     *TLSInfo `json:"tls,omitempty"`
	Login   string   `json:"login,omitempty"` // how a default credential got in, e.g. "admin:a****" or "anonymous"
}

// Result is what a probe found.
type Result struct {
	Host     string            `json:"host"`
	Addr     string            `json:"addr"`
	Services []Service         `json:"services"`
	Findings []inspect.Finding `json:"findings"`
	Closed   []int             `json:"closed"` // ports that did not answer
	Attempts int               `json:"credential_attempts"`
	Seconds  float64           `json:"seconds"`
	Errors   []string          `json:"errors,omitempty"`
}

// ErrTarget is wrapped by errors about a target the probe refuses.
var ErrTarget = errors.New("refused target")

// CheckTarget accepts one host: an IP literal or a host name. It refuses
// what would reach more than one device: CIDR blocks, ranges, lists,
// wildcards, and unspecified, broadcast and multicast addresses.
func CheckTarget(host string) error {
	h := strings.TrimSpace(host)
	bad := func(why string) error { return fmt.Errorf("%w %q: %s; name one device", ErrTarget, host, why) }
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	switch {
	case h == "":
		return bad("empty")
	case strings.ContainsAny(h, "/"):
		return bad("a network block (CIDR) is many devices")
	case strings.ContainsAny(h, ",; \t"):
		return bad("a list of targets")
	case strings.ContainsAny(h, "*?[]"):
		return bad("a wildcard")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		switch {
		case a.IsUnspecified():
			return bad("the unspecified address")
		case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
			return bad("a multicast address reaches many devices")
		case a.Is4() && a.As4()[3] == 255 && a.As4() == [4]byte{255, 255, 255, 255}:
			return bad("the broadcast address")
		}
		return nil
	}
	if strings.Count(h, "-") > 0 && strings.Count(h, ".") == 3 {
		if _, err := netip.ParseAddr(strings.Split(h, "-")[0]); err == nil {
			return bad("an address range")
		}
	}
	if len(h) > 253 {
		return bad("too long for a host name")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return bad("not a host name")
		}
		for _, c := range label {
			if !(c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z') {
				return bad("not a host name")
			}
		}
	}
	return nil
}

// prober carries one probe's state.
type prober struct {
	addr    netip.Addr
	opts    Options
	lim     Limits
	limiter *rate.Limiter
	now     func() time.Time

	mu       sync.Mutex
	res      *Result
	attempts int
}

// Run probes host. It returns what it found within the limits; an error
// means the target was refused or could not be resolved.
func Run(ctx context.Context, host string, opts Options) (*Result, error) {
	if err := CheckTarget(host); err != nil {
		return nil, err
	}
	lim := opts.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, lim.MaxTime)
	defer cancel()
	start := time.Now()
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(host), "["), "]")
	addr, err := netip.ParseAddr(h)
	if err != nil {
		resolve := opts.Resolve
		if resolve == nil {
			resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		addrs, err := resolve(ctx, h)
		if err != nil || len(addrs) == 0 {
			return nil, fmt.Errorf("resolve %s: %v", h, err)
		}
		// One device: the first address only, never every address a name has.
		addr = addrs[0].Unmap()
		if err := CheckTarget(addr.String()); err != nil {
			return nil, err
		}
	}
	ports := opts.Ports
	if ports == nil {
		ports = DefaultPorts()
	}
	if opts.Credentials == nil {
		opts.Credentials = DefaultCredentials()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	p := &prober{addr: addr, opts: opts, lim: lim, now: now, res: &Result{Host: host, Addr: addr.String(), Services: []Service{}, Findings: []inspect.Finding{}, Closed: []int{}},
		limiter: rate.NewLimiter(rate.Limit(lim.Rate), 1)}
	sem := make(chan struct{}, lim.Concurrency)
	var wg sync.WaitGroup
	for _, pt := range ports {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p.probe(ctx, pt)
		}()
	}
	wg.Wait()
	r := p.res
	slices.SortFunc(r.Services, func(a, b Service) int { return a.Port - b.Port })
	slices.Sort(r.Closed)
	slices.SortStableFunc(r.Findings, func(a, b inspect.Finding) int {
		if d := b.Severity.Rank() - a.Severity.Rank(); d != 0 {
			return d
		}
		return strings.Compare(a.Path, b.Path)
	})
	r.Attempts = p.attempts
	r.Seconds = time.Since(start).Seconds()
	if ctx.Err() != nil {
		r.Errors = append(r.Errors, fmt.Sprintf("stopped at the time limit (%s)", lim.MaxTime))
	}
	return r, nil
}

// hostPort is addr:port for dialling.
func (p *prober) hostPort(port int) string {
	return net.JoinHostPort(p.addr.String(), strconv.Itoa(port))
}

// dial opens a TCP connection within the rate and time limits.
func (p *prober) dial(ctx context.Context, port int) (net.Conn, error) {
	if err := p.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: p.lim.Timeout}
	c, err := d.DialContext(ctx, "tcp", p.hostPort(port))
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(p.lim.Timeout))
	// The time limit interrupts reads in progress, not only new dials.
	context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	return c, nil
}

// attempt counts one credential try (creds caps how many there are).
func (p *prober) attempt() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts++
}

// creds returns the pairs to try on one service.
func (p *prober) creds() []Credential {
	return p.opts.Credentials[:min(len(p.opts.Credentials), p.lim.MaxAttempts)]
}

func (p *prober) addService(s Service) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Services = append(p.res.Services, s)
}

func (p *prober) closed(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Closed = append(p.res.Closed, port)
}

func (p *prober) errorf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Errors = append(p.res.Errors, fmt.Sprintf(format, args...))
}

// find records a finding about the service on port.
func (p *prober) find(port int, proto, service, rule, sev, title, text string, provisions ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Findings = append(p.res.Findings, inspect.Finding{
		Rule: "probe." + rule, Category: "network-service", Severity: inspect.Severity(sev), Title: title,
		Path: fmt.Sprintf("%s/%d %s", proto, port, service), Evidence: inspect.Evidence{Text: text}, Provisions: provisions,
	})
}

// mask hides all but the first character of a password.
func mask(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s[:1] + strings.Repeat("*", 4)
}

// probe checks one port.
func (p *prober) probe(ctx context.Context, pt Port) {
	if ctx.Err() != nil {
		return
	}
	switch pt.Service {
	case SSDP:
		p.ssdp(ctx, pt.Port)
		return
	}
	c, err := p.dial(ctx, pt.Port)
	if err != nil {
		p.closed(pt.Port)
		return
	}
	s := Service{Port: pt.Port, Proto: "tcp", Service: pt.Service}
	switch pt.Service {
	case Telnet:
		p.telnet(ctx, c, &s)
	case SSH:
		p.ssh(ctx, c, &s)
	case HTTP:
		c.Close()
		p.http(ctx, &s, false)
	case HTTPS:
		c.Close()
		p.tls(ctx, &s)
		p.http(ctx, &s, true)
	case FTP:
		p.ftp(ctx, c, &s)
	case MQTT:
		c.Close()
		p.mqtt(ctx, &s, false)
	case MQTTS:
		c.Close()
		p.tls(ctx, &s)
		p.mqtt(ctx, &s, true)
	default:
		s.Banner = readBanner(c, p.lim.Timeout/3)
		c.Close()
		if pt.Service == TR069 {
			p.find(pt.Port, "tcp", pt.Service, "tr069-open", "medium", "TR-069 (CWMP) management port reachable", s.Banner, "5.6-1")
		}
	}
	p.addService(s)
}

// readBanner reads what a server says first, up to 512 bytes.
func readBanner(c net.Conn, wait time.Duration) string {
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	return printable(buf[:n])
}

// printable keeps the first line of text, without control characters.
func printable(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c == '\n' || c == '\r' {
			if s.Len() > 0 {
				break
			}
			continue
		}
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		}
	}
	return strings.TrimSpace(s.String())
}
