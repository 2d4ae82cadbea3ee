// Package dataprotection looks at how an image stores data: personal data
// (names, e-mail addresses, phone numbers, birth dates) in databases and
// data files shipped in the clear, world-writable files and directories,
// SUID/SGID programs, and secrets (shadow files, private keys) readable by
// every user.
//
// It must not open databases through database/sql (engines import no
// storage), so SQLite files are read as bytes: their schema text and
// records are plain in the file.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package dataprotection

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/inspect/check"
)

// Category is the category of this family's findings.
const Category = "data-protection"

// Rules of this family.
const (
	RulePersonalData   = "data.personal-data"
	RuleWorldWritable  = "data.world-writable"
	RuleSUID           = "data.suid"
	RuleSecretReadable = "data.secret-readable"
)

// Analyser is the data-protection family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,12}`)
	// column names that hold personal data, in CREATE TABLE statements
	piiColumn = regexp.MustCompile(`(?i)\b(e_?mail|first_?name|last_?name|full_?name|surname|birth_?date|date_?of_?birth|dob|birthday|phone|mobile|address|street|zip_?code|postcode|ssn|social_security|passport|iban|credit_?card|gender|latitude|longitude)\b`)
	createRe  = regexp.MustCompile(`(?is)CREATE\s+TABLE[^(]{0,200}\(([^;]{0,1000})\)`)
)

// dataFile reports files that may hold records.
func dataFile(f check.File) bool {
	switch strings.ToLower(path.Ext(f.Name())) {
	case ".db", ".sqlite", ".sqlite3", ".db3", ".csv", ".json", ".xml", ".dat", ".tsv", ".bak", ".sql":
		return !strings.Contains("/"+f.Path, "/share/doc/")
	}
	return false
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	for _, f := range t.Files {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		r.Findings = append(r.Findings, modeFindings(t, f)...)
	}
	for _, f := range t.Regular(func(f check.File) bool { return f.Size >= 16 && f.Size <= 32<<20 }) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		sqlite := false
		if !dataFile(f) {
			// SQLite databases hide behind any name
			b, err := t.Read(f.Path)
			if err != nil || !bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
				continue
			}
			sqlite = true
		}
		b, err := t.Read(f.Path)
		if err != nil {
			continue
		}
		sqlite = sqlite || bytes.HasPrefix(b, []byte("SQLite format 3\x00"))
		if fd, ok := personal(f.Path, b, sqlite); ok {
			r.Findings = append(r.Findings, fd)
		}
	}
	return r, nil
}

// personal reports a file holding personal data: a table schema with
// personal-data columns and records, or several distinct e-mail addresses.
func personal(p string, b []byte, sqlite bool) (check.Finding, bool) {
	var cols []string
	seen := map[string]bool{}
	for _, m := range createRe.FindAllSubmatch(b, 50) {
		for _, c := range piiColumn.FindAll(m[1], 50) {
			k := strings.ToLower(string(c))
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	emails := map[string]bool{}
	first := -1
	for _, m := range emailRe.FindAllIndex(b, 1000) {
		e := strings.ToLower(string(b[m[0]:m[1]]))
		if strings.HasSuffix(e, "example.com") && !sqlite {
			continue
		}
		if first < 0 {
			first = m[0]
		}
		emails[e] = true
	}
	kind := "data file"
	if sqlite {
		kind = "SQLite database"
	}
	var what []string
	if len(cols) > 0 && (sqlite || len(emails) > 0) {
		sort.Strings(cols)
		what = append(what, "columns "+strings.Join(cols, ", "))
	}
	if len(emails) >= 3 {
		what = append(what, fmt.Sprintf("%d e-mail addresses", len(emails)))
	}
	if len(what) == 0 {
		return check.Finding{}, false
	}
	ev := check.Evidence{Text: strings.Join(what, "; "), SHA256: check.Hash(b)}
	if first >= 0 {
		ev.Offset = int64(first)
		ev.Text += " (first " + maskEmail(string(b[first:first+len(emailRe.Find(b[first:]))])) + ")"
	}
	return check.Finding{Rule: RulePersonalData, Category: Category, Severity: check.Medium,
		Title: fmt.Sprintf("Personal data stored in the clear in %s %s", kind, path.Base(p)), Path: p,
		Evidence: ev, Provisions: []string{"5.8-1"}}, true
}

func maskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok {
		return check.Mask(e)
	}
	return check.Mask(local) + "@" + domain
}

// secretFile reports files whose content must stay private.
func secretFile(t *check.Target, f check.File) (string, bool) {
	switch {
	case check.Incidental(f.Path): // a package's test key is not the device's secret
		return "", false
	case check.HasSuffix(f.Path, "etc/shadow"), check.HasSuffix(f.Path, "etc/gshadow"):
		return "password hashes", true
	case strings.HasSuffix(f.Name(), ".key") || strings.Contains(f.Path, "/private/") || strings.HasPrefix(f.Name(), "dropbear_") && strings.HasSuffix(f.Name(), "_host_key") || strings.HasPrefix(f.Name(), "ssh_host_") && strings.HasSuffix(f.Name(), "_key"):
		if f.Size > 1<<20 {
			return "", false
		}
		if b, err := t.Read(f.Path); err == nil && (bytes.Contains(b, []byte("PRIVATE KEY-----")) || strings.Contains(f.Name(), "host_key")) {
			return "a private key", true
		}
	}
	return "", false
}

func modeFindings(t *check.Target, f check.File) []check.Finding {
	var out []check.Finding
	m := f.Mode
	if m&fs.ModeSymlink != 0 || m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
		return nil
	}
	ev := check.Evidence{Text: fmt.Sprintf("mode %v", m)}
	add := func(rule string, sev check.Severity, title string, prov ...string) {
		out = append(out, check.Finding{Rule: rule, Category: Category, Severity: sev, Title: title, Path: f.Path, Evidence: ev, Provisions: prov})
	}
	if m.IsRegular() && m&0o002 != 0 {
		add(RuleWorldWritable, check.Medium, "File writable by every user", "5.6-7")
	}
	if m.IsDir() && m&0o002 != 0 && m&fs.ModeSticky == 0 {
		add(RuleWorldWritable, check.Low, "Directory writable by every user without the sticky bit", "5.6-7")
	}
	if m.IsRegular() && m&(fs.ModeSetuid|fs.ModeSetgid) != 0 && m&0o111 != 0 {
		sev, bit := check.Low, "SUID"
		if m&fs.ModeSetuid == 0 {
			bit = "SGID"
		}
		if f.Name() == "busybox" || m&0o002 != 0 {
			sev = check.High // every applet, or anyone may replace it
		}
		add(RuleSUID, sev, fmt.Sprintf("%s program %s", bit, f.Name()), "5.6-7")
	}
	if m.IsRegular() && m&0o004 != 0 {
		if what, ok := secretFile(t, f); ok {
			add(RuleSecretReadable, check.High, fmt.Sprintf("File with %s is readable by every user", what), "5.4-1")
		}
	}
	return out
}
