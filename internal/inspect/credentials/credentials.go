// Package credentials finds accounts and passwords in an unpacked image:
// passwd and shadow files, htpasswd and BusyBox httpd.conf, Mosquitto
// password files; UID-0 and password-less accounts; hashes that match a
// built-in list of common and default IoT passwords (DES, MD5, SHA-256/512
// crypt, bcrypt, yescrypt, Apache and Mosquitto formats); and passwords
// written into configuration files and scripts.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package credentials

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "credentials"

// Rules of this family.
const (
	RuleEmptyPassword   = "credentials.empty-password"
	RuleUID0            = "credentials.uid0-account"
	RuleDefaultPassword = "credentials.default-password"
	RuleWeakHash        = "credentials.weak-hash"
	RuleHashInPasswd    = "credentials.hash-in-passwd"
	RuleHardcoded       = "credentials.hardcoded"
)

//go:embed passwords.txt
var passwordsText string

// Wordlist returns the built-in list of common and default passwords,
// most likely first.
func Wordlist() []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(passwordsText))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Analyser is the credentials family.
type Analyser struct {
	// Words are tried against every hash after the account-derived
	// guesses; nil means Wordlist().
	Words []string
}

// New returns the analyser with the built-in word list.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

// account is one login found in a password file.
type account struct {
	user  string
	hash  string // "" means no password at all
	uid   int    // -1 when unknown
	shell string
	file  string // where the hash (or the entry) was found
	line  int
	text  string // the line, for evidence (masked later)
	sum   string // SHA-256 of the file
	kind  string // passwd, shadow, htpasswd, httpd.conf, mosquitto
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	accts := a.accounts(t)
	for _, ac := range accts {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		r.Findings = append(r.Findings, a.accountFindings(ac)...)
	}
	cracked, err := a.crack(ctx, accts)
	r.Findings = append(r.Findings, cracked...)
	if err != nil {
		return r, err
	}
	hc, err := hardcoded(ctx, t)
	r.Findings = append(r.Findings, hc...)
	return r, err
}

func finding(rule string, sev check.Severity, title string, ac account, text string, prov ...string) check.Finding {
	return check.Finding{
		Rule: rule, Category: Category, Severity: sev, Title: title, Path: ac.file,
		Evidence:   check.Evidence{Line: ac.line, Text: text, SHA256: ac.sum},
		Provisions: prov,
	}
}

// maskLine hides the password field of a colon-separated line.
func maskLine(line string, field int) string {
	parts := strings.Split(line, ":")
	if field < len(parts) && parts[field] != "" {
		parts[field] = check.Mask(parts[field])
	}
	return strings.Join(parts, ":")
}

func loginShell(shell string) bool {
	return !strings.HasSuffix(shell, "/false") && !strings.HasSuffix(shell, "/nologin")
}

func (a *Analyser) accountFindings(ac account) []check.Finding {
	var out []check.Finding
	if ac.kind == "passwd" || ac.kind == "shadow" {
		if ac.uid == 0 && ac.user != "root" {
			out = append(out, finding(RuleUID0, check.High,
				fmt.Sprintf("Account %q has user ID 0 (superuser) besides root", ac.user), ac, maskLine(ac.text, 1), "5.6-7"))
		}
	}
	if ac.hash == "" {
		if ac.kind != "passwd" && ac.kind != "shadow" || loginShell(ac.shell) {
			out = append(out, finding(RuleEmptyPassword, check.Critical,
				fmt.Sprintf("Account %q has no password", ac.user), ac, ac.text, "5.1-1"))
		}
		return out
	}
	s, ok := parseHash(ac.hash)
	if !ok {
		return out
	}
	if ac.kind == "passwd" {
		out = append(out, finding(RuleHashInPasswd, check.Medium,
			fmt.Sprintf("Password hash of %q is in world-readable passwd, not shadow", ac.user), ac, maskLine(ac.text, 1), "5.4-1"))
	}
	if s.weak {
		out = append(out, finding(RuleWeakHash, check.Medium,
			fmt.Sprintf("Password of %q is stored with weak %s", ac.user, s.name), ac, maskText(ac), "5.1-3", "5.4-1"))
	}
	return out
}

func maskText(ac account) string {
	switch ac.kind {
	case "passwd", "shadow", "htpasswd", "mosquitto":
		return maskLine(ac.text, 1)
	case "httpd.conf":
		return maskLine(ac.text, 2)
	}
	return check.Mask(ac.text)
}

// accounts reads every password file of the target.
func (a *Analyser) accounts(t *check.Target) []account {
	type pair struct{ passwd, shadow []account }
	byDir := map[string]*pair{}
	var dirs []string
	var out []account
	for _, f := range t.Regular(nil) {
		name := f.Name()
		kind := ""
		switch {
		case check.HasSuffix(f.Path, "etc/passwd"):
			kind = "passwd"
		case check.HasSuffix(f.Path, "etc/shadow"):
			kind = "shadow"
		case name == ".htpasswd" || name == "htpasswd" || strings.HasSuffix(name, ".htpasswd"):
			kind = "htpasswd"
		case name == "httpd.conf":
			kind = "httpd.conf"
		case strings.Contains(f.Path, "mosquitto") && (strings.Contains(name, "passw") || strings.HasSuffix(name, ".pw") || name == "pwfile"):
			kind = "mosquitto"
		default:
			continue
		}
		if f.Size > 4<<20 {
			continue
		}
		b, err := t.Read(f.Path)
		if err != nil || !check.IsText(b) {
			continue
		}
		accts := parseAccounts(kind, f.Path, b)
		if kind == "passwd" || kind == "shadow" {
			d := path.Dir(f.Path)
			p := byDir[d]
			if p == nil {
				p = &pair{}
				byDir[d] = p
				dirs = append(dirs, d)
			}
			if kind == "passwd" {
				p.passwd = accts
			} else {
				p.shadow = accts
			}
			continue
		}
		out = append(out, accts...)
	}
	// passwd supplies UIDs and shells; shadow, where present, the hashes.
	for _, d := range dirs {
		p := byDir[d]
		sh := map[string]account{}
		for _, s := range p.shadow {
			sh[s.user] = s
		}
		for _, pw := range p.passwd {
			s, ok := sh[pw.user]
			switch {
			case pw.hash == "x" && ok:
				s.uid, s.shell = pw.uid, pw.shell
				out = append(out, s)
				delete(sh, pw.user)
			case pw.hash == "x":
				// shadowed, but no shadow entry: nothing to check
				if pw.uid == 0 && pw.user != "root" {
					pw.hash = "*"
					out = append(out, pw)
				}
			default:
				if ok {
					delete(sh, pw.user)
				}
				out = append(out, pw)
			}
		}
		for _, s := range p.shadow { // shadow entries without passwd lines
			if _, ok := sh[s.user]; ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// parseAccounts parses one password file.
func parseAccounts(kind, file string, b []byte) []account {
	var out []account
	sum := check.Hash(b)
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		parts := strings.Split(line, ":")
		ac := account{file: file, line: i + 1, text: line, sum: sum, kind: kind, uid: -1}
		switch kind {
		case "passwd":
			if len(parts) < 7 {
				continue
			}
			ac.user, ac.hash, ac.shell = parts[0], parts[1], parts[6]
			if uid, err := strconv.Atoi(parts[2]); err == nil {
				ac.uid = uid
			}
		case "shadow":
			if len(parts) < 2 {
				continue
			}
			ac.user, ac.hash = parts[0], parts[1]
		case "htpasswd", "mosquitto":
			if len(parts) < 2 {
				continue
			}
			ac.user, ac.hash = parts[0], strings.Join(parts[1:], ":")
		case "httpd.conf":
			// BusyBox httpd: "/path:user:password" (password may be a hash)
			if len(parts) != 3 || !strings.HasPrefix(parts[0], "/") {
				continue
			}
			ac.user, ac.hash = parts[1], parts[2]
		}
		if ac.user == "" {
			continue
		}
		if kind != "passwd" && locked(ac.hash) {
			continue // passwd's "x" and "*" are resolved against shadow
		}
		out = append(out, ac)
	}
	return out
}

// locked reports password fields that allow no password login.
func locked(h string) bool {
	return h != "" && (h[0] == '*' || h[0] == '!' || h == "x")
}

// crack tries account-derived guesses and the word list against every
// hash, each within its cost budget, on all cores.
func (a *Analyser) crack(ctx context.Context, accts []account) ([]check.Finding, error) {
	words := a.Words
	if words == nil {
		words = Wordlist()
	}
	type job struct {
		ac account
		s  scheme
	}
	var jobs []job
	for _, ac := range accts {
		if ac.hash == "" {
			continue
		}
		if s, ok := parseHash(ac.hash); ok && s.tries > 0 {
			jobs = append(jobs, job{ac, s})
		} else if !ok && ac.kind == "httpd.conf" && ac.hash != "" {
			// BusyBox httpd also accepts clear-text passwords
			pw := ac.hash
			jobs = append(jobs, job{ac, scheme{name: "clear text", weak: true, tries: 1 << 30, check: func(p string) bool { return p == pw }}})
		}
	}
	results := make([]*check.Finding, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pw, ok := tryWords(ctx, j.s, candidates(j.ac.user, words))
			if !ok {
				return
			}
			sev := check.High
			if j.ac.uid == 0 || j.ac.user == "root" || j.ac.user == "admin" {
				sev = check.Critical
			}
			title := fmt.Sprintf("Account %q has a common or default password", j.ac.user)
			if j.s.name == "clear text" {
				title = fmt.Sprintf("Account %q has a clear-text password", j.ac.user)
			}
			f := finding(RuleDefaultPassword, sev, title, j.ac,
				fmt.Sprintf("%s: %s password %s", j.ac.user, j.s.name, check.Mask(pw)), "5.1-1", "5.1-2")
			results[i] = &f
		}()
	}
	wg.Wait()
	var out []check.Finding
	for _, f := range results {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, ctx.Err()
}

// candidates puts guesses derived from the user name before the list.
func candidates(user string, words []string) []string {
	guesses := []string{user, user + "123", user + "1234", user + "12345", user + "@123", strings.ToUpper(user[:1]) + user[1:], ""}
	out := make([]string, 0, len(guesses)+len(words))
	seen := map[string]bool{}
	for _, w := range slices.Concat(guesses, words) {
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func tryWords(ctx context.Context, s scheme, words []string) (found string, ok bool) {
	defer func() {
		if recover() != nil { // a hostile hash must not crash the scan
			found, ok = "", false
		}
	}()
	for i, w := range words {
		if i >= s.tries || ctx.Err() != nil {
			return "", false
		}
		if s.check(w) {
			return w, true
		}
	}
	return "", false
}

// Hard-coded credentials: key = value pairs whose key names a secret.
// Keys that say "password" or "secret" outright may carry any prefix,
// as vendors write them (admin_password, ADMIN_PASS, http_passwd,
// adminPassword, wl0_wpa_psk, DEVICE_SECRET); the generic words pass and
// token only after a separator, and key only alone or after a word that
// makes it a secret (wpa_key, private_key), so that sort_key or monkey
// are not taken for secrets.
var (
	strongKey = `(?:[A-Za-z0-9]+[_.-]?)*?(?i:password|passwd|passphrase|pwd|secret|psk|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|credentials?)\d?`
	weakKey   = `(?:[A-Za-z0-9]+[_.-])*(?i:pass|token)|(?:(?i:wpa|wep|wifi|wlan|wl\d*|ssh|aes|enc|encryption|master|private|priv|psk|pre[_-]?shared)[_.-]?)?(?i:key)`
	secretKey = `(?:` + strongKey + `|` + weakKey + `)`
	// key=value, key: value and key "value" forms, quoted or not
	assignRe = regexp.MustCompile(`(?m)(?:^|[\s{,;("'])["']?` + secretKey + `["']?[ \t]*(?:=|:|=>)[ \t]*(?:"([^"\n]{3,128})"|'([^'\n]{3,128})'|([^\s"'<>;,)}]{3,128}))`)
	// OpenWrt UCI: option password 'x'
	uciRe = regexp.MustCompile(`(?m)^\s*option\s+` + secretKey + `\s+(?:'([^'\n]{1,128})'|"([^"\n]{1,128})"|([^\s'"]\S{0,127}))`)
	// XML elements: <Password>x</Password>, <adminPwd>x</adminPwd>
	xmlRe = regexp.MustCompile(`<(` + secretKey + `)>([^<\n]{3,128})</`)
	// scheme://user:password@host
	urlRe = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]{1,15}://([^:/@\s'"]{1,64}):([^@/\s'"]{1,128})@[\w.-]+`)
	// lighttpd's clear-text user file
	plainUserfileRe = regexp.MustCompile(`auth\.backend\.plain\.userfile\s*=\s*"([^"\n]{1,256})"`)
)

// placeholder reports values that are no secret: variables, templates,
// booleans and the like.
func placeholder(v string) bool {
	if v == "" || strings.ContainsAny(v[:1], "$%{<@*[&") || strings.Contains(v, "${") || strings.Contains(v, "$(") {
		return true
	}
	switch strings.ToLower(v) {
	case "none", "null", "nil", "true", "false", "yes", "no", "on", "off", "required", "optional",
		"string", "text", "hidden", "input", "undefined", "empty", "xxx", "xxxx", "xxxxxx", "****", "******", "********",
		"type", "function", "password", "passwd", "secret", "value", "str", "int", "bool", "0", "1":
		return true
	}
	// identifiers such as obj.password or getPassword() are code, not data
	if strings.HasSuffix(v, "()") || strings.Contains(v, "(") {
		return true
	}
	// identifiers such as e.password are code
	if dottedIdent.MatchString(v) && !strings.ContainsAny(v, "0123456789") {
		return true
	}
	// a path names where the secret is kept, not the secret
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") {
		return true
	}
	switch strings.ToLower(path.Ext(v)) {
	case ".pem", ".key", ".crt", ".der", ".p12", ".pfx", ".txt", ".conf", ".json":
		return true
	}
	// template and masked values: changeme-style words are no placeholders
	if strings.Trim(v, "*xX.-_#") == "" {
		return true
	}
	return false
}

// sourceCode reports program source, where a secret literal is quoted.
func sourceCode(p string) bool {
	switch path.Ext(p) {
	case ".js", ".lua", ".php", ".py", ".pl", ".rb", ".ts", ".mjs":
		return true
	}
	return false
}

// dottedIdent matches code such as e.password or this.form.pwd.
var dottedIdent = regexp.MustCompile(`^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$`)

// configFile reports files worth searching for hard-coded secrets.
func configFile(f check.File) bool {
	p := f.Path
	if check.Incidental(p) {
		return false
	}
	for _, skip := range []string{"/etc/ssl/", "/usr/lib/python", "/usr/lib/perl"} {
		if strings.Contains("/"+p, skip) {
			return false
		}
	}
	name := f.Name()
	if name == "passwd" || name == "shadow" || name == "passwd-" || name == "shadow-" || strings.Contains(name, "htpasswd") {
		return false
	}
	switch path.Ext(name) {
	case ".sh", ".conf", ".cfg", ".cnf", ".ini", ".json", ".xml", ".lua", ".php", ".py", ".pl", ".yaml", ".yml", ".properties", ".env", ".js", ".asp", ".htm", ".html", ".cgi", ".txt", ".rc", ".config":
		return true
	}
	for _, d := range []string{"/etc/", "/init.d/", "/www/", "/opt/", "/config/", "/conf/", "/default/", "/defaults/"} {
		if strings.Contains("/"+p, d) {
			return true
		}
	}
	return strings.Contains(strings.ToLower(name), "nvram")
}

func hardcoded(ctx context.Context, t *check.Target) ([]check.Finding, error) {
	var out []check.Finding
	for _, f := range t.Regular(configFile) {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if f.Size > 1<<20 || f.Size == 0 {
			continue
		}
		b, err := t.Read(f.Path)
		if err != nil || !check.IsText(b) {
			continue
		}
		if bytes.Contains(b, []byte("auth.backend.plain.userfile")) {
			out = append(out, plainUserfiles(t, f.Path, b)...)
		}
		if !mentionsSecret(b) {
			continue
		}
		out = append(out, scanSecrets(f.Path, b)...)
	}
	return out, nil
}

// plainUserfiles reports the clear-text password files a lighttpd
// configuration names ("user:password" lines).
func plainUserfiles(t *check.Target, conf string, b []byte) []check.Finding {
	var out []check.Finding
	root := ""
	if i := strings.Index("/"+conf, "/etc/"); i > 0 {
		root = conf[:i-1]
	}
	for _, m := range plainUserfileRe.FindAllSubmatch(b, 10) {
		p := path.Join(root, strings.TrimPrefix(string(m[1]), "/"))
		ub, err := t.Read(p)
		if err != nil || !check.IsText(ub) || len(ub) > 1<<20 {
			continue
		}
		sum := check.Hash(ub)
		for i, line := range strings.Split(string(ub), "\n") {
			user, pw, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok || user == "" || pw == "" || check.Comment(line) {
				continue
			}
			out = append(out, check.Finding{
				Rule: RuleHardcoded, Category: Category, Severity: check.High,
				Title:      fmt.Sprintf("Clear-text password of %q in lighttpd user file %s", user, path.Base(p)),
				Path:       p,
				Evidence:   check.Evidence{Line: i + 1, Text: user + ":" + check.Mask(pw) + " (named by " + conf + ")", SHA256: sum},
				Provisions: []string{"5.1-1", "5.4-1"},
			})
			if len(out) >= 10 {
				return out
			}
		}
	}
	return out
}

// mentionsSecret is a fast filter before the regular expressions: the
// words they need, in the usual cases, or a URL with user info.
func mentionsSecret(b []byte) bool {
	for _, w := range []string{"pass", "Pass", "PASS", "secret", "Secret", "SECRET", "key", "Key", "KEY", "token", "Token", "TOKEN", "pwd", "Pwd", "PWD", "psk", "PSK", "://"} {
		if bytes.Contains(b, []byte(w)) {
			return true
		}
	}
	return false
}

// scanSecrets reports at most ten secrets per file.
func scanSecrets(p string, b []byte) []check.Finding {
	var out []check.Finding
	sum := ""
	seen := map[int]bool{}
	add := func(off int, secret, what string) {
		line := check.LineAt(b, off)
		if seen[line] || len(out) >= 10 || placeholder(secret) || check.Comment(lineOf(b, off)) {
			return
		}
		seen[line] = true
		if sum == "" {
			sum = check.Hash(b)
		}
		text := strings.ReplaceAll(check.Context(b, off), secret, check.Mask(secret))
		out = append(out, check.Finding{
			Rule: RuleHardcoded, Category: Category, Severity: check.High,
			Title:      fmt.Sprintf("Hard-coded %s in %s", what, path.Base(p)),
			Path:       p,
			Evidence:   check.Evidence{Offset: int64(off), Line: line, Text: text, SHA256: sum},
			Provisions: []string{"5.1-1", "5.4-3"},
		})
	}
	group := func(m []int, first int) (string, int) {
		for g := first; 2*g+1 < len(m); g++ {
			if m[2*g] >= 0 {
				return string(b[m[2*g]:m[2*g+1]]), m[2*g]
			}
		}
		return "", -1
	}
	for _, m := range uciRe.FindAllSubmatchIndex(b, 50) {
		if v, off := group(m, 1); off >= 0 {
			add(off, v, "secret")
		}
	}
	code := sourceCode(p)
	for _, m := range assignRe.FindAllSubmatchIndex(b, 200) {
		// in program source an unquoted value is a variable, not a secret
		if code && m[6] >= 0 {
			continue
		}
		if v, off := group(m, 1); off >= 0 {
			add(off, v, "secret")
		}
	}
	for _, m := range xmlRe.FindAllSubmatchIndex(b, 50) {
		if v, off := group(m, 2); off >= 0 {
			add(off, v, "secret")
		}
	}
	for _, m := range urlRe.FindAllSubmatchIndex(b, 50) {
		v := string(b[m[4]:m[5]])
		add(m[4], v, "password in URL")
	}
	return out
}

// lineOf returns the line of b holding offset off.
func lineOf(b []byte, off int) string {
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	end := bytes.IndexByte(b[off:], '\n')
	if end < 0 {
		return string(b[start:])
	}
	return string(b[start : off+end])
}
