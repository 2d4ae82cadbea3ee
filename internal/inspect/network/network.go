// Package network finds the endpoints an image talks to: hosts and IP
// addresses written into configuration, scripts and programs, and
// endpoints reached without transport security (http, ftp, tftp, telnet,
// ws, coap, and MQTT on its clear-text port or scheme).
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package network

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "network"

// Rules of this family.
const (
	RuleCleartext = "network.cleartext-endpoint"
	RuleHost      = "network.hardcoded-host"
)

// Analyser is the network family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

var (
	urlRe  = regexp.MustCompile(`\b(?i:https?|ftps?|tftp|telnet|wss?|mqtts?|coaps?|tcp|ssl|tls)://[A-Za-z0-9._~:/?#@!$&'()*+,;=%\[\]-]{3,300}`)
	ipv4Re = regexp.MustCompile(`\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b`)
)

// cleartext schemes and what they carry.
func cleartext(scheme, port string) bool {
	switch scheme {
	case "http", "ftp", "tftp", "telnet", "ws", "mqtt", "coap":
		return true
	case "tcp":
		return port == "1883" || port == "80" || port == "21" || port == "23"
	}
	return false
}

// ignoredHost reports namespace and documentation hosts that appear in
// every image (XML namespaces, licences, project home pages).
func ignoredHost(h string) bool {
	h = strings.ToLower(h)
	for _, s := range []string{"w3.org", "xmlsoap.org", "xml.org", "purl.org", "openssl.org", "gnu.org", "fsf.org", "apache.org",
		"example.com", "example.org", "example.net", "mozilla.org", "json-schema.org", "busybox.net", "kernel.org", "openwrt.org",
		"schemas.microsoft.com", "ietf.org", "iana.org", "github.com", "sourceforge.net", "freedesktop.org", "debian.org",
		"opensource.org", "creativecommons.org", "adobe.com", "upnp.org", "dlna.org", "ns.adobe.com", "www.lua.org", "curl.se", "haxx.se"} {
		if h == s || strings.HasSuffix(h, "."+s) {
			return true
		}
	}
	return false
}

// local reports loopback, unspecified and link-local hosts.
func local(h string) bool {
	if h == "localhost" || h == "" || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".lan") {
		return true
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return a.IsLoopback() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsMulticast()
	}
	return false
}

// scanned reports files whose endpoints matter: configuration, scripts,
// web content and programs, not documentation.
func scanned(f check.File) bool {
	p := "/" + f.Path
	if check.Incidental(f.Path) {
		return false
	}
	for _, s := range []string{"/usr/lib/python", "/usr/lib/perl", "/etc/ssl/certs/"} {
		if strings.Contains(p, s) {
			return false
		}
	}
	n := strings.ToLower(f.Name())
	if strings.HasPrefix(n, "license") || strings.HasPrefix(n, "copying") || strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".txt") || strings.HasSuffix(n, ".ko") {
		return false
	}
	return f.Size > 0 && f.Size <= 32<<20
}

type endpoint struct {
	url  string
	host string
	off  int
	open bool // clear text
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	for _, f := range t.Regular(scanned) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		b, err := t.Read(f.Path)
		if err != nil {
			continue
		}
		if !bytes.Contains(b, []byte("://")) {
			continue
		}
		r.Findings = append(r.Findings, fileFindings(f.Path, b)...)
	}
	return r, nil
}

func endpoints(b []byte) []endpoint {
	var out []endpoint
	text := check.IsText(b)
	seen := map[string]bool{}
	// find "://" with bytes.Index (fast) and run the pattern only around it
	var ms [][2]int
	for from := 0; len(ms) < 500; {
		i := bytes.Index(b[from:], []byte("://"))
		if i < 0 {
			break
		}
		at := from + i
		from = at + 3
		start := max(0, at-16)
		w := b[start:min(len(b), at+300)]
		for _, m := range urlRe.FindAllIndex(w, -1) {
			if start+m[0] <= at && at < start+m[1] {
				ms = append(ms, [2]int{start + m[0], start + m[1]})
				from = max(from, start+m[1])
				break
			}
		}
	}
	for _, m := range ms {
		if text && check.Comment(lineAt(b, m[0])) {
			continue // a commented-out endpoint is not reached
		}
		raw := strings.TrimRight(string(b[m[0]:m[1]]), `.,;:'")]}`)
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			continue
		}
		host := u.Hostname()
		if strings.ContainsAny(host, "%$<>{}") || local(host) || ignoredHost(host) || !strings.Contains(host, ".") && !strings.Contains(host, ":") {
			continue
		}
		key := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
		if seen[key] {
			continue
		}
		seen[key] = true
		// userinfo is a secret: credentials reports it; do not repeat it
		u.User = nil
		out = append(out, endpoint{url: u.String(), host: host, off: m[0], open: cleartext(strings.ToLower(u.Scheme), u.Port())})
	}
	return out
}

// fileFindings reports at most one finding per rule and file.
func fileFindings(p string, b []byte) []check.Finding {
	eps := endpoints(b)
	if len(eps) == 0 {
		return nil
	}
	sum := check.Hash(b)
	var open, hosts []string
	openOff, hostOff := -1, -1
	for _, e := range eps {
		if e.open {
			open = append(open, e.url)
			if openOff < 0 {
				openOff = e.off
			}
		} else {
			hosts = append(hosts, e.url)
			if hostOff < 0 {
				hostOff = e.off
			}
		}
	}
	var out []check.Finding
	text := check.IsText(b)
	ev := func(off int, list []string) check.Evidence {
		sort.Strings(list)
		if len(list) > 10 {
			list = append(list[:10], fmt.Sprintf("and %d more", len(list)-10))
		}
		e := check.Evidence{Offset: int64(off), Text: strings.Join(list, " "), SHA256: sum}
		if text {
			e.Line = check.LineAt(b, off)
		}
		return e
	}
	if len(open) > 0 {
		out = append(out, check.Finding{Rule: RuleCleartext, Category: Category, Severity: check.Medium,
			Title: fmt.Sprintf("%s reaches %d endpoint(s) without TLS", path.Base(p), len(open)), Path: p,
			Evidence: ev(openOff, open), Provisions: []string{"5.5-1"}})
	}
	if len(hosts) > 0 {
		out = append(out, check.Finding{Rule: RuleHost, Category: Category, Severity: check.Info,
			Title: fmt.Sprintf("%s names %d remote endpoint(s)", path.Base(p), len(hosts)), Path: p,
			Evidence: ev(hostOff, hosts), Provisions: []string{"5.5-1"}})
	}
	return out
}

// lineAt returns the line of b holding offset off.
func lineAt(b []byte, off int) string {
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	end := bytes.IndexByte(b[off:], '\n')
	if end < 0 {
		return string(b[start:])
	}
	return string(b[start : off+end])
}
