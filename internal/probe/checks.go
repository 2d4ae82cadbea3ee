package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/crypto/ssh"
)

// telnet: the service itself is a finding (clear-text remote login); then
// default credentials at the login prompt.
func (p *prober) telnet(ctx context.Context, c net.Conn, s *Service) {
	first := telnetRead(c, p.lim.Timeout)
	c.Close()
	s.Banner = printable([]byte(first))
	p.find(s.Port, "tcp", s.Service, "telnet-open", "high", "Telnet server reachable (clear-text remote login)", s.Banner, "5.5-1", "5.6-1")
	if !strings.Contains(strings.ToLower(first), "login") {
		if looksLikeShell(first) {
			s.Login = "no login asked"
			p.find(s.Port, "tcp", s.Service, "telnet-no-auth", "critical", "Telnet gives a shell without logging in", s.Banner, "5.1-1", "5.5-5")
		}
		return
	}
	for _, cr := range p.creds() {
		if ctx.Err() != nil {
			return
		}
		c, err := p.dial(ctx, s.Port)
		if err != nil {
			return
		}
		p.attempt()
		ok := telnetLogin(c, cr, p.lim.Timeout)
		c.Close()
		if ok {
			s.Login = cr.User + ":" + mask(cr.Password)
			p.find(s.Port, "tcp", s.Service, "default-credentials", "critical", fmt.Sprintf("Telnet accepts the default login %q", cr.User),
				"telnet "+s.Login, "5.1-1", "5.1-2")
			return
		}
	}
}

// telnetRead reads until the server is quiet, answering option
// negotiation with refusals (WONT/DONT) so it carries on to the prompt.
func telnetRead(c net.Conn, timeout time.Duration) string {
	var out bytes.Buffer
	buf := make([]byte, 1024)
	deadline := time.Now().Add(timeout)
	for out.Len() < 4096 {
		wait := time.Now().Add(timeout / 3)
		if wait.After(deadline) {
			wait = deadline
		}
		c.SetReadDeadline(wait)
		n, err := c.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] == 255 && i+2 < n { // IAC verb option
				verb, opt := buf[i+1], buf[i+2]
				switch verb {
				case 253: // DO -> WONT
					c.Write([]byte{255, 252, opt})
				case 251: // WILL -> DONT
					c.Write([]byte{255, 254, opt})
				}
				i += 2
				continue
			}
			out.WriteByte(buf[i])
		}
		if err != nil {
			break
		}
		s := strings.ToLower(out.String())
		if strings.HasSuffix(strings.TrimSpace(s), ":") || looksLikeShell(s) {
			break
		}
	}
	return out.String()
}

func looksLikeShell(s string) bool {
	t := strings.TrimRight(s, " ")
	return strings.HasSuffix(t, "#") || strings.HasSuffix(t, "$") || strings.HasSuffix(t, ">")
}

// telnetLogin answers the login and password prompts and reports whether
// a shell prompt followed.
func telnetLogin(c net.Conn, cr Credential, timeout time.Duration) bool {
	if !strings.Contains(strings.ToLower(telnetRead(c, timeout)), "login") {
		return false
	}
	fmt.Fprintf(c, "%s\r\n", cr.User)
	if !strings.Contains(strings.ToLower(telnetRead(c, timeout)), "password") {
		return false
	}
	fmt.Fprintf(c, "%s\r\n", cr.Password)
	after := strings.ToLower(telnetRead(c, timeout))
	if strings.Contains(after, "incorrect") || strings.Contains(after, "failed") || strings.Contains(after, "denied") || strings.Contains(after, "login:") {
		return false
	}
	return looksLikeShell(strings.TrimSpace(after))
}

// ssh records the version banner and tries password logins with
// golang.org/x/crypto/ssh. Host keys are not checked: the probe only
// wants to know whether the password works.
func (p *prober) ssh(ctx context.Context, c net.Conn, s *Service) {
	s.Banner = readBanner(c, p.lim.Timeout)
	c.Close()
	if !strings.HasPrefix(s.Banner, "SSH-") {
		return
	}
	for _, cr := range p.creds() {
		if ctx.Err() != nil {
			return
		}
		c, err := p.dial(ctx, s.Port)
		if err != nil {
			return
		}
		p.attempt()
		cfg := &ssh.ClientConfig{User: cr.User, Auth: []ssh.AuthMethod{ssh.Password(cr.Password)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: p.lim.Timeout}
		sc, _, _, err := ssh.NewClientConn(c, p.hostPort(s.Port), cfg)
		if err == nil {
			sc.Close()
			s.Login = cr.User + ":" + mask(cr.Password)
			p.find(s.Port, "tcp", s.Service, "default-credentials", "critical", fmt.Sprintf("SSH accepts the default login %q", cr.User),
				"ssh "+s.Login, "5.1-1", "5.1-2")
			return
		}
		c.Close()
		if !strings.Contains(err.Error(), "unable to authenticate") {
			return // no password authentication, or not SSH after all
		}
	}
}

// http reads the Server header and, behind basic authentication, tries
// default credentials.
func (p *prober) http(ctx context.Context, s *Service, secure bool) {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	client := &http.Client{Timeout: p.lim.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return p.dial(ctx, s.Port) }}}
	get := func(cr *Credential) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", scheme+"://"+p.hostPort(s.Port)+"/", nil)
		if err != nil {
			return nil, err
		}
		if cr != nil {
			req.SetBasicAuth(cr.User, cr.Password)
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		return resp, err
	}
	resp, err := get(nil)
	if err != nil {
		return
	}
	s.Banner = strings.TrimSpace(resp.Header.Get("Server"))
	if s.Banner == "" {
		s.Banner = resp.Status
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
		return
	}
	if !secure {
		p.find(s.Port, "tcp", s.Service, "http-cleartext-auth", "medium", "HTTP asks for a password without TLS", resp.Header.Get("WWW-Authenticate"), "5.5-1")
	}
	for _, cr := range p.creds() {
		if ctx.Err() != nil {
			return
		}
		p.attempt()
		resp, err := get(&cr)
		if err != nil {
			return
		}
		if resp.StatusCode < 400 {
			s.Login = cr.User + ":" + mask(cr.Password)
			p.find(s.Port, "tcp", s.Service, "default-credentials", "critical", fmt.Sprintf("HTTP basic authentication accepts the default login %q", cr.User),
				scheme+" "+s.Login, "5.1-1", "5.1-2")
			return
		}
	}
}

// tlsVersions are tried one at a time, oldest first.
var tlsVersions = []struct {
	v    uint16
	name string
}{{tls.VersionTLS10, "TLS 1.0"}, {tls.VersionTLS11, "TLS 1.1"}, {tls.VersionTLS12, "TLS 1.2"}, {tls.VersionTLS13, "TLS 1.3"}}

// tls checks which protocol versions and weak cipher suites the service
// accepts, and its certificate.
func (p *prober) tls(ctx context.Context, s *Service) {
	info := &TLSInfo{}
	var cert *x509.Certificate
	hs := func(cfg *tls.Config) (*tls.ConnectionState, error) {
		c, err := p.dial(ctx, s.Port)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		cfg.InsecureSkipVerify = true
		tc := tls.Client(c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		st := tc.ConnectionState()
		return &st, nil
	}
	for _, v := range tlsVersions {
		st, err := hs(&tls.Config{MinVersion: v.v, MaxVersion: v.v})
		if err != nil {
			continue
		}
		info.Versions = append(info.Versions, v.name)
		if len(st.PeerCertificates) > 0 {
			cert = st.PeerCertificates[0]
		}
	}
	if len(info.Versions) == 0 {
		return
	}
	s.TLS = info
	if st, err := hs(&tls.Config{}); err == nil {
		info.Cipher = tls.CipherSuiteName(st.CipherSuite)
	}
	var weakIDs []uint16
	for _, cs := range tls.InsecureCipherSuites() {
		weakIDs = append(weakIDs, cs.ID)
	}
	if st, err := hs(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: weakIDs}); err == nil {
		info.Weak = append(info.Weak, tls.CipherSuiteName(st.CipherSuite))
		p.find(s.Port, "tcp", s.Service, "tls-weak-cipher", "medium", "TLS accepts an insecure cipher suite", tls.CipherSuiteName(st.CipherSuite), "5.5-1")
	}
	for _, v := range info.Versions {
		if v == "TLS 1.0" || v == "TLS 1.1" {
			p.find(s.Port, "tcp", s.Service, "tls-old-version", "medium", "TLS accepts "+v+", which is deprecated (RFC 8996)", strings.Join(info.Versions, ", "), "5.5-1")
		}
	}
	if cert == nil {
		return
	}
	info.Subject, info.Issuer = cert.Subject.String(), cert.Issuer.String()
	info.NotAfter, info.Algorithm = cert.NotAfter.UTC().Format(time.RFC3339), cert.SignatureAlgorithm.String()
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		info.KeyBits = k.N.BitLen()
		if info.KeyBits < 2048 {
			p.find(s.Port, "tcp", s.Service, "tls-cert-short-key", "high", fmt.Sprintf("TLS certificate has a %d-bit RSA key", info.KeyBits), info.Subject, "5.5-1")
		}
	case *ecdsa.PublicKey:
		info.KeyBits = k.Curve.Params().BitSize
		if info.KeyBits < 224 {
			p.find(s.Port, "tcp", s.Service, "tls-cert-short-key", "high", fmt.Sprintf("TLS certificate has a %d-bit EC key", info.KeyBits), info.Subject, "5.5-1")
		}
	}
	if p.now().After(cert.NotAfter) {
		p.find(s.Port, "tcp", s.Service, "tls-cert-expired", "medium", "TLS certificate expired", "notAfter "+info.NotAfter, "5.5-1")
	}
	switch cert.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		p.find(s.Port, "tcp", s.Service, "tls-cert-weak-signature", "medium", "TLS certificate signed with "+info.Algorithm, info.Subject, "5.5-1")
	}
	if selfSigned(cert) {
		p.find(s.Port, "tcp", s.Service, "tls-cert-self-signed", "low", "TLS certificate is self-signed", info.Subject, "5.5-1")
	}
}

// ftp: clear-text file transfer, anonymous access, default logins.
func (p *prober) ftp(ctx context.Context, c net.Conn, s *Service) {
	br := bufio.NewReader(c)
	line, _ := readFTP(br)
	c.Close()
	s.Banner = line
	if !strings.HasPrefix(line, "220") {
		return
	}
	p.find(s.Port, "tcp", s.Service, "ftp-open", "medium", "FTP server reachable (clear-text file transfer)", s.Banner, "5.5-1", "5.6-1")
	try := func(cr Credential) bool {
		c, err := p.dial(ctx, s.Port)
		if err != nil {
			return false
		}
		defer c.Close()
		br := bufio.NewReader(c)
		if l, _ := readFTP(br); !strings.HasPrefix(l, "220") {
			return false
		}
		fmt.Fprintf(c, "USER %s\r\n", cr.User)
		l, _ := readFTP(br)
		if strings.HasPrefix(l, "230") {
			return true
		}
		if !strings.HasPrefix(l, "331") {
			return false
		}
		fmt.Fprintf(c, "PASS %s\r\n", cr.Password)
		l, _ = readFTP(br)
		fmt.Fprintf(c, "QUIT\r\n")
		return strings.HasPrefix(l, "230")
	}
	p.attempt()
	if try(Credential{"anonymous", "probe@iotsec.invalid"}) {
		s.Login = "anonymous"
		p.find(s.Port, "tcp", s.Service, "ftp-anonymous", "high", "FTP accepts anonymous logins", "USER anonymous", "5.5-5", "5.6-1")
		return
	}
	for _, cr := range p.creds() {
		if ctx.Err() != nil {
			return
		}
		p.attempt()
		if try(cr) {
			s.Login = cr.User + ":" + mask(cr.Password)
			p.find(s.Port, "tcp", s.Service, "default-credentials", "critical", fmt.Sprintf("FTP accepts the default login %q", cr.User), "ftp "+s.Login, "5.1-1", "5.1-2")
			return
		}
	}
}

// readFTP reads one reply (the last line of a multi-line one).
func readFTP(br *bufio.Reader) (string, error) {
	for i := 0; i < 50; i++ {
		l, err := br.ReadString('\n')
		l = strings.TrimRight(l, "\r\n")
		if err != nil || len(l) < 4 || l[3] != '-' {
			return printable([]byte(l)), err
		}
	}
	return "", fmt.Errorf("ftp reply too long")
}

// mqtt connects without credentials using the Eclipse Paho client: a
// broker that accepts lets anyone publish and subscribe.
func (p *prober) mqtt(ctx context.Context, s *Service, secure bool) {
	if err := p.limiter.Wait(ctx); err != nil {
		return
	}
	scheme := "tcp"
	if secure {
		scheme = "ssl"
	}
	o := mqtt.NewClientOptions().AddBroker(scheme + "://" + p.hostPort(s.Port)).SetClientID("iotsec-probe").
		SetConnectTimeout(p.lim.Timeout).SetAutoReconnect(false).SetConnectRetry(false).SetCleanSession(true).
		SetTLSConfig(&tls.Config{InsecureSkipVerify: true})
	cl := mqtt.NewClient(o)
	tok := cl.Connect()
	p.attempt()
	if !tok.WaitTimeout(p.lim.Timeout) {
		s.Banner = "no CONNACK"
		return
	}
	if err := tok.Error(); err != nil {
		s.Banner = "CONNECT refused: " + err.Error()
		if !secure {
			p.find(s.Port, "tcp", s.Service, "mqtt-cleartext", "medium", "MQTT broker reachable without TLS", s.Banner, "5.5-1")
		}
		return
	}
	cl.Disconnect(50)
	s.Banner, s.Login = "CONNACK accepted", "anonymous"
	p.find(s.Port, "tcp", s.Service, "mqtt-anonymous", "high", "MQTT broker accepts clients without credentials", "CONNECT without username: accepted", "5.5-5", "5.1-1")
	if !secure {
		p.find(s.Port, "tcp", s.Service, "mqtt-cleartext", "medium", "MQTT broker reachable without TLS", s.Banner, "5.5-1")
	}
}

// ssdp sends one unicast M-SEARCH to UDP port and reads the answer.
func (p *prober) ssdp(ctx context.Context, port int) {
	if err := p.limiter.Wait(ctx); err != nil {
		return
	}
	c, err := net.DialTimeout("udp", p.hostPort(port), p.lim.Timeout)
	if err != nil {
		p.closed(port)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(p.lim.Timeout))
	msg := "M-SEARCH * HTTP/1.1\r\nHOST: " + p.hostPort(port) + "\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		p.closed(port)
		return
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil || !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 200")) {
		p.closed(port)
		return
	}
	s := Service{Port: port, Proto: "udp", Service: SSDP}
	var location string
	for _, l := range strings.Split(string(buf[:n]), "\r\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "SERVER":
			s.Banner = printable([]byte(strings.TrimSpace(v)))
		case "LOCATION":
			location = printable([]byte(strings.TrimSpace(v)))
		}
	}
	p.addService(s)
	p.find(port, "udp", SSDP, "upnp-ssdp", "low", "UPnP answers SSDP discovery", strings.TrimSpace(s.Banner+" "+location), "5.6-1")
}

// selfSigned reports whether cert names itself as issuer and its own key
// verifies its signature. Go refuses SHA-1 signatures, which old devices
// still use, so RSA with SHA-1 is verified here directly.
func selfSigned(cert *x509.Certificate) bool {
	if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		return false
	}
	if cert.CheckSignatureFrom(cert) == nil {
		return true
	}
	if k, ok := cert.PublicKey.(*rsa.PublicKey); ok && cert.SignatureAlgorithm == x509.SHA1WithRSA {
		sum := sha1.Sum(cert.RawTBSCertificate)
		return rsa.VerifyPKCS1v15(k, crypto.SHA1, sum[:], cert.Signature) == nil
	}
	return false
}
