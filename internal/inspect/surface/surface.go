// Package surface maps the attack surface an image exposes: services
// started from inittab, rc scripts, rc.local, OpenWrt procd scripts and
// systemd units (telnet, FTP/TFTP, debug shells, bind shells, gdbserver,
// web servers), insecure UPnP, open Wi-Fi, SSH root or password login and
// default SNMP communities.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package surface

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "attack-surface"

// Rules of this family.
const (
	RuleTelnet       = "surface.telnet"
	RuleFTP          = "surface.ftp"
	RuleDebugShell   = "surface.debug-shell"
	RuleBindShell    = "surface.bind-shell"
	RuleReverseShell = "surface.reverse-shell"
	RuleDebugService = "surface.debug-service"
	RuleWebServer    = "surface.web-server"
	RuleUPnP         = "surface.upnp-insecure"
	RuleOpenWiFi     = "surface.open-wifi"
	RuleSSHRoot      = "surface.ssh-root-login"
	RuleSSHPassword  = "surface.ssh-password-auth"
	RuleSNMP         = "surface.snmp-default-community"
)

// Analyser is the attack-surface family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

// startup reports files that start services.
func startup(f check.File) bool {
	p := "/" + f.Path
	n := f.Name()
	if check.Incidental(f.Path) {
		return false
	}
	switch {
	case n == "inittab", n == "rc.local", n == "rcS", n == "rc.sysinit", strings.HasPrefix(n, "rc.") && strings.Contains(p, "/etc/"):
		return true
	case strings.Contains(p, "/etc/init.d/"), strings.Contains(p, "/etc/rc.d/"), strings.Contains(p, "/etc/rcS.d/"), strings.Contains(p, "/etc/rc") && strings.Contains(p, ".d/"):
		return true
	case strings.HasSuffix(n, ".service") && strings.Contains(p, "/systemd/"):
		return true
	case strings.Contains(p, "/etc/init/") && strings.HasSuffix(n, ".conf"): // upstart
		return true
	}
	return false
}

// service is a pattern for a command that starts a service.
type service struct {
	rule  string
	sev   check.Severity
	title string
	re    *regexp.Regexp
	prov  []string
}

func word(w string) *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[\s/'"=])(?:` + w + `)(?:$|[\s'"&;])`)
}

func services() []service {
	return []service{
		{RuleTelnet, check.Critical, "Telnet server started without login (shell for anyone)", regexp.MustCompile(`(?:^|[\s/'"=])u?telnetd\b[^\n]*\s-l\s*['"]?/bin/(?:ba|a)?sh`), []string{"5.5-4", "5.6-1"}},
		{RuleTelnet, check.High, "Telnet server started (clear-text remote login)", word(`u?telnetd|in\.telnetd`), []string{"5.5-1", "5.6-1"}},
		{RuleFTP, check.Medium, "FTP or TFTP server started (clear-text file transfer)", word(`vsftpd|proftpd|pure-ftpd|bftpd|ftpd|in\.ftpd|tftpd|in\.tftpd|atftpd|uftpd`), []string{"5.5-1", "5.6-1"}},
		{RuleDebugService, check.High, "Debugger listening on the network (gdbserver)", word(`gdbserver`), []string{"5.6-4", "5.6-1"}},
		{RuleDebugService, check.High, "Android Debug Bridge daemon started (adbd: a shell for anyone on USB or the network)", word(`adbd`), []string{"5.6-4", "5.6-1"}},
		{RuleWebServer, check.Info, "Web server started", word(`lighttpd|uhttpd|httpd|boa|goahead|webs|nginx|mini_httpd|thttpd|mongoose|civetweb|appweb|jhttpd`), []string{"5.6-1"}},
	}
}

// consoleShell matches inittab entries giving a shell without login.
var consoleShell = regexp.MustCompile(`^([^:#]*):[^:]*:(?:respawn|askfirst|once|wait):\s*-?(?:/bin/)?(?:ba|a)?sh\b`)

var separators = regexp.MustCompile(`&&|\|\||;|\|`)

// segments splits a shell line into commands, dropping ones that only
// stop, test or mention a program.
func segments(line string) []string {
	var out []string
	for _, s := range separators.Split(line, -1) {
		s = strings.TrimSpace(s)
		first := strings.Fields(s)
		if len(first) == 0 {
			continue
		}
		switch path.Base(first[0]) {
		case "kill", "killall", "pidof", "pgrep", "pkill", "[", "test", "echo", "grep", "rm", "which", "type", "command", "logger", "printf", "cat", "ln", "cp", "chmod", "chown", "local", "export", "#":
			continue
		}
		if strings.Contains(s, "--stop") || strings.Contains(s, "start-stop-daemon -K") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	svcs := services()
	seen := map[string]bool{} // rule+path: one finding per rule and file
	add := func(f check.Finding) {
		k := f.Rule + "\x00" + f.Path
		if seen[k] {
			return
		}
		seen[k] = true
		r.Findings = append(r.Findings, f)
	}
	queue := t.Regular(startup)
	queued := map[string]bool{}
	for _, f := range queue {
		queued[f.Path] = true
	}
	for qi := 0; qi < len(queue); qi++ {
		f := queue[qi]
		if err := ctx.Err(); err != nil {
			return r, err
		}
		b, err := t.Read(f.Path)
		if err != nil || f.Size > 1<<20 || !check.IsText(b) {
			continue
		}
		sum := check.Hash(b)
		root := rootOf(f.Path)
		off := 0
		for i, line := range strings.Split(string(b), "\n") {
			lineOff := off
			off += len(line) + 1
			l := strings.TrimSpace(line)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			ev := check.Evidence{Offset: int64(lineOff), Line: i + 1, Text: truncate(l), SHA256: sum}
			if f.Name() == "inittab" {
				if m := consoleShell.FindStringSubmatch(l); m != nil {
					add(check.Finding{Rule: RuleDebugShell, Category: Category, Severity: check.High,
						Title: fmt.Sprintf("Console %q gives a root shell without login", strings.TrimSpace(m[1])), Path: f.Path, Evidence: ev, Provisions: []string{"5.6-4"}})
				}
			}
			if strings.HasPrefix(l, "ExecStart") {
				l = strings.TrimSpace(strings.SplitN(l, "=", 2)[len(strings.SplitN(l, "=", 2))-1])
			}
			switch shellKind(l) {
			case bindShell:
				add(check.Finding{Rule: RuleBindShell, Category: Category, Severity: check.Critical, Title: "Shell bound to a network port",
					Path: f.Path, Evidence: ev, Provisions: []string{"5.6-1", "5.5-4"}})
			case reverseShell:
				add(check.Finding{Rule: RuleReverseShell, Category: Category, Severity: check.Critical, Title: "Shell connected out to a remote host (reverse shell)",
					Path: f.Path, Evidence: ev, Provisions: []string{"5.6-1", "5.5-4"}})
			}
			for _, seg := range segments(l) {
				matched := ""
				for _, s := range svcs {
					if matched != "" && s.rule == matched {
						continue // the stronger pattern of the same rule won
					}
					if s.re.MatchString(" " + seg + " ") {
						matched = s.rule
						add(check.Finding{Rule: s.rule, Category: Category, Severity: s.sev, Title: s.title, Path: f.Path, Evidence: ev, Provisions: s.prov})
					}
				}
				if bin := a.bindShellBinary(t, root, seg); bin != "" {
					add(check.Finding{Rule: RuleBindShell, Category: Category, Severity: check.Critical,
						Title: fmt.Sprintf("%s, started at boot, binds a socket and executes a shell", path.Base(bin)), Path: f.Path, Evidence: ev, Provisions: []string{"5.6-1", "5.5-4"}})
				}
				// scripts a startup file runs are read as startup files too
				if sc, ok := calledScript(t, root, seg); ok && !queued[sc.Path] && len(queue) < maxStartupFiles {
					queued[sc.Path] = true
					queue = append(queue, sc)
				}
			}
		}
	}
	r.Findings = append(r.Findings, configs(ctx, t)...)
	return r, ctx.Err()
}

// maxStartupFiles bounds the startup files and the scripts they call
// that one scan reads.
const maxStartupFiles = 5000

// calledScript returns the script a command runs, when it is a text file
// of the image starting with #!.
func calledScript(t *check.Target, root, seg string) (check.File, bool) {
	prog, _ := program(words(seg))
	ws := words(seg)
	cands := []string{}
	for _, w := range ws {
		if strings.HasPrefix(w, "/") && !strings.ContainsAny(w, "$*?") && path.Base(w) == prog {
			cands = append(cands, path.Join(root, w[1:]))
			break
		}
	}
	if len(cands) == 0 && (strings.HasSuffix(prog, ".sh")) && !strings.Contains(prog, "$") {
		for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin"} {
			cands = append(cands, path.Join(root, d, prog))
		}
	}
	for _, c := range cands {
		b, err := t.Read(c)
		if err != nil || len(b) > 1<<20 || !bytes.HasPrefix(b, []byte("#!")) {
			continue
		}
		return check.File{Path: c, Mode: 0o755, Size: int64(len(b))}, true
	}
	return check.File{}, false
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// rootOf guesses the root of the file system holding an etc/ or lib/ file.
func rootOf(p string) string {
	for _, m := range []string{"etc/", "lib/systemd/", "usr/lib/systemd/"} {
		if strings.HasPrefix(p, m) {
			return ""
		}
		if i := strings.Index(p, "/"+m); i >= 0 {
			return p[:i]
		}
	}
	return ""
}

// bindShellBinary looks at the program a command starts: an ELF that
// binds and listens on a socket, duplicates descriptors and executes a
// shell is a bind shell (IoTGoat's shellback is one).
func (a *Analyser) bindShellBinary(t *check.Target, root, seg string) string {
	fields := strings.Fields(seg)
	if len(fields) == 0 {
		return ""
	}
	prog := strings.Trim(fields[0], `"'`)
	var cands []string
	if strings.HasPrefix(prog, "/") {
		cands = []string{path.Join(root, prog[1:])}
	} else if !strings.Contains(prog, "/") && !strings.Contains(prog, "$") {
		for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin"} {
			cands = append(cands, path.Join(root, d, prog))
		}
	}
	for _, c := range cands {
		b, err := t.Read(c)
		if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) {
			continue
		}
		if bindsShell(b) {
			return c
		}
	}
	return ""
}

// maxBindShell is the largest program taken for a bind shell.
const maxBindShell = 512 << 10

func bindsShell(b []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return false
	}
	imp := map[string]bool{}
	syms, _ := f.ImportedSymbols()
	for _, s := range syms {
		imp[s.Name] = true
	}
	exec := imp["execl"] || imp["execve"] || imp["execv"] || imp["execlp"] || imp["execvp"] || imp["system"]
	shell := bytes.Contains(b, []byte("/bin/sh")) || bytes.Contains(b, []byte("/bin/busybox"))
	// A server that authenticates before it runs a shell (an SSH or
	// telnet daemon, BusyBox with its login applet) is no bind shell:
	// it checks passwords (crypt, shadow entries, PAM) or speaks SSH.
	auth := imp["crypt"] || imp["crypt_r"] || imp["getspnam"] || imp["getspnam_r"] || imp["pam_start"] || imp["pam_authenticate"]
	// Nor is a server of some protocol that runs a shell for CGI or piped
	// logs (a web server speaks HTTP, an SSH server SSH): a bind shell
	// speaks none, and is a small program.
	for _, s := range []string{"SSH-2.0-", "OpenSSH", "dropbear", "BusyBox v", "HTTP/1."} {
		auth = auth || bytes.Contains(b, []byte(s))
	}
	return imp["bind"] && imp["listen"] && imp["dup2"] && exec && shell && !auth && len(b) <= maxBindShell
}
