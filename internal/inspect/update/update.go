// Package update finds how an image updates itself (OpenWrt sysupgrade,
// SWUpdate, RAUC, Mender, opkg, fwupd or a vendor update script), whether
// updates are verified (usign keys, keyrings, verification keys, signature
// checks in scripts) and whether they are fetched over plain HTTP. An
// image without any update mechanism is itself a finding.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package update

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "software-update"

// Rules of this family.
const (
	RuleMechanism  = "update.mechanism"
	RuleNone       = "update.none"
	RuleUnverified = "update.unverified"
	RulePlainHTTP  = "update.plain-http"
)

// Analyser is the software-update family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

// mechanism is an update system and how to recognise it and its
// verification.
type mechanism struct {
	name     string
	programs []string // path suffixes of its programs
	// configs are path suffixes whose content proves verification when
	// it matches verify.
	configs []string
	verify  *regexp.Regexp
	// keys are directories whose files are verification keys.
	keys []string
}

func mechanisms() []mechanism {
	return []mechanism{
		{name: "sysupgrade", programs: []string{"sbin/sysupgrade"},
			configs: []string{"lib/upgrade/common.sh", "lib/upgrade/fwtool.sh", "lib/upgrade/platform.sh", "lib/upgrade/do_stage2", "sbin/sysupgrade"},
			verify:  regexp.MustCompile(`REQUIRE_IMAGE_SIGNATURE|usign\s+-V|ucert\s+-V|fwtool_check_signature`)},
		{name: "opkg", programs: []string{"bin/opkg", "usr/bin/opkg"},
			configs: []string{"etc/opkg.conf"},
			verify:  regexp.MustCompile(`(?m)^\s*option\s+check_signature(\s+(1|true|yes))?\s*$`),
			keys:    []string{"etc/opkg/keys"}},
		{name: "swupdate", programs: []string{"usr/bin/swupdate", "usr/sbin/swupdate"},
			configs: []string{"etc/swupdate.cfg", "etc/swupdate/swupdate.cfg"},
			verify:  regexp.MustCompile(`public-key-file|ca-path|-k\s+\S+\.pem`),
			keys:    []string{"etc/swupdate"}},
		{name: "rauc", programs: []string{"usr/bin/rauc"},
			configs: []string{"etc/rauc/system.conf"},
			verify:  regexp.MustCompile(`(?m)^\[keyring\]`)},
		{name: "mender", programs: []string{"usr/bin/mender", "usr/bin/mender-update", "usr/bin/mender-auth"},
			configs: []string{"etc/mender/mender.conf"},
			verify:  regexp.MustCompile(`"ArtifactVerifyKey"\s*:\s*"[^"]+"`)},
		{name: "fwupd", programs: []string{"usr/bin/fwupdmgr", "usr/libexec/fwupd/fwupd"}},
	}
}

// vendorScript matches the names of hand-made update programs.
var (
	vendorScript = regexp.MustCompile(`(?i)(^|[_-])(fw|firmware|ota|sw)[_-]?(update|upgrade|updater|flash)|^(update|upgrade)[_-]?(fw|firmware)|^ota[_-]|^fwupgrade|^upgrade\.cgi$`)
	verifyCmd    = regexp.MustCompile(`openssl\s+(dgst|pkeyutl|rsautl|smime|cms)\b[^\n]*-verify|gpgv?\s[^\n]*--verify|\bgpgv\s|\b(?:usign|signify|minisign|ucert)\b[^\n|;&]*\s-V\b|\brsa_verify|\bverify_signature|\bcheck_signature|fwtool_check_signature`)
	httpURL      = regexp.MustCompile(`http://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{4,200}`)
)

type found struct {
	mech     string
	path     string
	verified string // file proving verification, or ""
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	byPath := map[string]check.File{}
	for _, f := range t.Files {
		byPath[f.Path] = f
	}
	var mechs []found
	for _, m := range mechanisms() {
		for _, f := range t.Files {
			if f.Mode.IsDir() {
				continue
			}
			for _, p := range m.programs {
				if check.HasSuffix(f.Path, p) {
					root := strings.TrimSuffix(strings.TrimSuffix(f.Path, p), "/")
					mechs = append(mechs, found{mech: m.name, path: f.Path, verified: verified(t, m, root)})
				}
			}
		}
	}
	known := map[string]bool{}
	for _, m := range mechs {
		known[path.Base(m.path)] = true
	}
	for _, f := range t.Regular(func(f check.File) bool {
		return vendorScript.MatchString(f.Name()) && f.Size < 4<<20 && !check.Incidental(f.Path) && !known[f.Name()]
	}) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		b, err := t.Read(f.Path)
		if err != nil || !program(f, b) {
			continue
		}
		v := ""
		if verifyCmd.Match(b) {
			v = f.Path
		}
		mechs = append(mechs, found{mech: "vendor update program " + f.Name(), path: f.Path, verified: v})
	}
	// A mechanism that does not verify by itself is verified when a
	// program that runs it verifies the image first: OpenWrt's sysupgrade
	// is often run by a vendor script or CGI after usign -V.
	for i, m := range mechs {
		if m.verified == "" {
			mechs[i].verified = verifyingCaller(ctx, t, m.path)
		}
	}
	sort.Slice(mechs, func(i, j int) bool { return mechs[i].path < mechs[j].path })
	if len(mechs) == 0 {
		r.Findings = append(r.Findings, check.Finding{Rule: RuleNone, Category: Category, Severity: check.High,
			Title: "No software update mechanism found", Path: ".",
			Evidence:   check.Evidence{Text: "none of sysupgrade, opkg, SWUpdate, RAUC, Mender, fwupd or a vendor update program"},
			Provisions: []string{"5.3-1", "5.3-2"}})
	}
	anyVerified := false
	for _, m := range mechs {
		text := m.mech + ": no signature verification found"
		if m.verified != "" {
			text = m.mech + ": verification configured in " + m.verified
			anyVerified = true
		}
		r.Findings = append(r.Findings, check.Finding{Rule: RuleMechanism, Category: Category, Severity: check.Info,
			Title: "Update mechanism: " + m.mech, Path: m.path, Evidence: check.Evidence{Text: text}, Provisions: []string{"5.3-2"}})
		if m.verified == "" && m.mech != "fwupd" {
			r.Findings = append(r.Findings, check.Finding{Rule: RuleUnverified, Category: Category, Severity: check.High,
				Title: fmt.Sprintf("%s does not verify update signatures", m.mech), Path: m.path,
				Evidence: check.Evidence{Text: text}, Provisions: []string{"5.3-9", "5.3-10"}})
		}
	}
	r.Findings = append(r.Findings, plainURLs(ctx, t, anyVerified)...)
	return r, ctx.Err()
}

// program reports a file that runs: an executable, a script or a CGI,
// not a configuration or data file that happens to be named like one.
func program(f check.File, b []byte) bool {
	switch strings.ToLower(path.Ext(f.Name())) {
	case ".conf", ".cfg", ".json", ".xml", ".txt", ".md", ".html", ".htm", ".css", ".png", ".svg", ".gif", ".jpg":
		return false
	}
	return f.Mode&0o111 != 0 || bytes.HasPrefix(b, []byte("#!")) || bytes.HasPrefix(b, []byte("\x7fELF")) ||
		strings.HasSuffix(f.Name(), ".cgi") || strings.HasSuffix(f.Name(), ".sh") || strings.HasSuffix(f.Name(), ".lua")
}

// verifyingCaller returns a script of the image that runs the program at
// prog and verifies a signature in the same file, or "".
func verifyingCaller(ctx context.Context, t *check.Target, prog string) string {
	name := []byte(path.Base(prog))
	for _, f := range t.Regular(func(f check.File) bool {
		return f.Size > 0 && f.Size < 1<<20 && f.Path != prog && !check.Incidental(f.Path)
	}) {
		if ctx.Err() != nil {
			return ""
		}
		b, err := t.Read(f.Path)
		if err != nil || !bytes.HasPrefix(b, []byte("#!")) && !strings.HasSuffix(f.Name(), ".lua") && !strings.HasSuffix(f.Name(), ".cgi") {
			continue
		}
		if !bytes.Contains(b, name) || !callsProgram(b, string(name)) {
			continue
		}
		if verifyCmd.Match(b) {
			return f.Path
		}
	}
	return ""
}

// callsProgram reports a line of b, not a comment, that runs name.
func callsProgram(b []byte, name string) bool {
	re := regexp.MustCompile(`(?:^|[\s/"'(;&|])` + regexp.QuoteMeta(name) + `(?:$|[\s"');&|])`)
	for _, l := range strings.Split(string(b), "\n") {
		if !check.Comment(l) && re.MatchString(l) {
			return true
		}
	}
	return false
}

// verified returns the file that shows m verifies updates under root.
func verified(t *check.Target, m mechanism, root string) string {
	for _, c := range m.configs {
		p := path.Join(root, c)
		if b, err := t.Read(p); err == nil && m.verify != nil && m.verify.Match(b) {
			return p
		}
	}
	for _, k := range m.keys {
		dir := path.Join(root, k) + "/"
		for _, f := range t.Files {
			if strings.HasPrefix(f.Path, dir) && f.Mode.IsRegular() && f.Size > 0 {
				return f.Path
			}
		}
	}
	return ""
}

// updateConfig reports files that name where updates come from.
func updateConfig(f check.File) bool {
	p := "/" + f.Path
	n := f.Name()
	return strings.HasSuffix(p, "/etc/opkg.conf") || strings.Contains(p, "/etc/opkg/") && strings.HasSuffix(n, ".conf") ||
		strings.HasSuffix(p, "/etc/mender/mender.conf") || strings.HasSuffix(n, "swupdate.cfg") ||
		strings.Contains(p, "/etc/rauc/") || vendorScript.MatchString(n) ||
		strings.Contains(strings.ToLower(n), "update") && (strings.HasSuffix(n, ".conf") || strings.HasSuffix(n, ".cfg") || strings.HasSuffix(n, ".sh"))
}

// plainURLs reports update sources fetched over plain HTTP; a signed
// update over HTTP is less severe than an unsigned one.
func plainURLs(ctx context.Context, t *check.Target, signed bool) []check.Finding {
	var out []check.Finding
	for _, f := range t.Regular(updateConfig) {
		if ctx.Err() != nil || f.Size > 1<<20 || check.Incidental(f.Path) {
			continue
		}
		b, err := t.Read(f.Path)
		if err != nil || !check.IsText(b) {
			continue
		}
		for _, m := range httpURL.FindAllIndex(b, 20) {
			line := check.LineAt(b, m[0])
			ctxLine := check.Context(b, m[0])
			if strings.HasPrefix(strings.TrimSpace(ctxLine), "#") || bytes.Contains(b[m[0]:m[1]], []byte("localhost")) || bytes.Contains(b[m[0]:m[1]], []byte("127.0.0.1")) {
				continue
			}
			sev := check.High
			if signed {
				sev = check.Medium
			}
			out = append(out, check.Finding{Rule: RulePlainHTTP, Category: Category, Severity: sev,
				Title: "Updates fetched over plain HTTP: " + string(b[m[0]:m[1]]), Path: f.Path,
				Evidence:   check.Evidence{Offset: int64(m[0]), Line: line, Text: ctxLine, SHA256: check.Hash(b)},
				Provisions: []string{"5.3-7", "5.5-1"}})
			break // one per file is enough
		}
	}
	return out
}
