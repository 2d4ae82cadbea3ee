package surface

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// uciSection is one "config type 'name'" block of an OpenWrt UCI file.
type uciSection struct {
	typ, name string
	line      int
	opts      map[string]string
	lines     map[string]int
}

var uciLine = regexp.MustCompile(`^\s*(config|option|list)\s+(\S+)(?:\s+(?:'([^']*)'|"([^"]*)"|(\S+)))?`)

// parseUCI reads OpenWrt's UCI configuration syntax.
func parseUCI(b []byte) []uciSection {
	var out []uciSection
	for i, l := range strings.Split(string(b), "\n") {
		m := uciLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v := m[3] + m[4] + m[5]
		switch m[1] {
		case "config":
			out = append(out, uciSection{typ: strings.Trim(m[2], `'"`), name: v, line: i + 1, opts: map[string]string{}, lines: map[string]int{}})
		case "option", "list":
			if len(out) == 0 {
				continue
			}
			s := &out[len(out)-1]
			k := strings.Trim(m[2], `'"`)
			s.opts[k] = v
			s.lines[k] = i + 1
		}
	}
	return out
}

// keyValues reads "key value" or "key=value" configuration files.
func keyValues(b []byte) []kv {
	var out []kv
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || strings.ContainsAny(k, " \t") {
			f := strings.Fields(l)
			k, v = f[0], strings.Join(f[1:], " ")
		}
		out = append(out, kv{strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v), i + 1, l})
	}
	return out
}

type kv struct {
	key, value string
	line       int
	text       string
}

func on(v string) bool {
	switch strings.ToLower(strings.Trim(v, `'" `)) {
	case "1", "yes", "on", "true", "enabled":
		return true
	}
	return false
}

// configs checks service configuration files.
func configs(ctx context.Context, t *check.Target) []check.Finding {
	var out []check.Finding
	for _, f := range t.Regular(nil) {
		if ctx.Err() != nil {
			return out
		}
		p, n := f.Path, f.Name()
		kind := ""
		switch {
		case check.HasSuffix(p, "etc/config/upnpd"), check.HasSuffix(p, "etc/config/wireless"), check.HasSuffix(p, "etc/config/dropbear"), check.HasSuffix(p, "etc/config/snmpd"):
			kind = "uci"
		case n == "miniupnpd.conf", n == "sshd_config", n == "snmpd.conf", strings.HasPrefix(n, "hostapd") && strings.HasSuffix(n, ".conf"):
			kind = n
		default:
			continue
		}
		if f.Size > 1<<20 {
			continue
		}
		b, err := t.Read(p)
		if err != nil || !check.IsText(b) {
			continue
		}
		sum := check.Hash(b)
		add := func(rule string, sev check.Severity, title string, line int, text string, prov ...string) {
			out = append(out, check.Finding{Rule: rule, Category: Category, Severity: sev, Title: title, Path: p,
				Evidence: check.Evidence{Line: line, Text: truncate(strings.TrimSpace(text)), SHA256: sum}, Provisions: prov})
		}
		lines := strings.Split(string(b), "\n")
		lineText := func(n int) string {
			if n >= 1 && n <= len(lines) {
				return lines[n-1]
			}
			return ""
		}
		if kind == "uci" {
			for _, s := range parseUCI(b) {
				switch {
				case check.HasSuffix(p, "etc/config/upnpd") && s.typ == "upnpd":
					if on(s.opts["enabled"]) || s.opts["enabled"] == "" && s.opts["enable_upnp"] != "0" {
						if v, ok := s.opts["secure_mode"]; ok && !on(v) {
							add(RuleUPnP, check.Medium, "UPnP IGD enabled with secure mode off (any LAN host may map ports for any address)", s.lines["secure_mode"], lineText(s.lines["secure_mode"]), "5.5-5", "5.6-1")
						}
					}
				case check.HasSuffix(p, "etc/config/wireless") && s.typ == "wifi-iface":
					if e, ok := s.opts["encryption"]; ok && (e == "none" || e == "open" || e == "") && s.opts["mode"] != "sta" && !on(s.opts["disabled"]) {
						add(RuleOpenWiFi, check.High, fmt.Sprintf("Open Wi-Fi network %q (no encryption)", s.opts["ssid"]), s.lines["encryption"], lineText(s.lines["encryption"]), "5.5-1")
					}
				case check.HasSuffix(p, "etc/config/dropbear") && s.typ == "dropbear":
					if v, ok := s.opts["RootPasswordAuth"]; !ok || on(v) {
						add(RuleSSHRoot, check.Medium, "Dropbear allows root to log in with a password", s.line, lineText(s.line), "5.1-5", "5.6-7")
					}
				case check.HasSuffix(p, "etc/config/snmpd") && (s.typ == "com2sec" || s.typ == "community"):
					if c := s.opts["community"]; c == "public" || c == "private" {
						add(RuleSNMP, check.High, fmt.Sprintf("SNMP community %q is a well-known default", c), s.lines["community"], lineText(s.lines["community"]), "5.1-1", "5.5-1")
					}
				}
			}
			continue
		}
		for _, e := range keyValues(b) {
			switch {
			case kind == "miniupnpd.conf" && e.key == "secure_mode" && !on(e.value):
				add(RuleUPnP, check.Medium, "UPnP IGD with secure mode off (any LAN host may map ports for any address)", e.line, e.text, "5.5-5", "5.6-1")
			case kind == "sshd_config" && e.key == "permitrootlogin" && strings.EqualFold(e.value, "yes"):
				add(RuleSSHRoot, check.Medium, "SSH server allows root login with a password", e.line, e.text, "5.1-5", "5.6-7")
			case kind == "sshd_config" && e.key == "passwordauthentication" && strings.EqualFold(e.value, "yes"):
				add(RuleSSHPassword, check.Low, "SSH server accepts password authentication", e.line, e.text, "5.1-5")
			case kind == "sshd_config" && e.key == "permitemptypasswords" && strings.EqualFold(e.value, "yes"):
				add(RuleSSHPassword, check.High, "SSH server accepts empty passwords", e.line, e.text, "5.1-1")
			case kind == "snmpd.conf" && (e.key == "rocommunity" || e.key == "rwcommunity" || e.key == "com2sec"):
				f := strings.Fields(e.value)
				if len(f) > 0 && (f[len(f)-1] == "public" || f[len(f)-1] == "private" || f[0] == "public" || f[0] == "private") {
					sev := check.Medium
					if e.key == "rwcommunity" || strings.Contains(e.value, "private") {
						sev = check.High
					}
					add(RuleSNMP, sev, "SNMP uses a well-known default community", e.line, e.text, "5.1-1", "5.5-1")
				}
			case strings.HasPrefix(kind, "hostapd") && e.key == "wpa" && e.value == "0":
				add(RuleOpenWiFi, check.High, "hostapd network without WPA", e.line, e.text, "5.5-1")
			}
		}
		if strings.HasPrefix(kind, "hostapd") && !strings.Contains(string(b), "\nwpa=") && !strings.HasPrefix(string(b), "wpa=") && !strings.Contains(string(b), "wep_key") {
			add(RuleOpenWiFi, check.High, "hostapd network without WPA or WEP (open)", 0, "no wpa= setting", "5.5-1")
		}
	}
	return out
}
