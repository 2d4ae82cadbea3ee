// Package check holds what every analyser of package inspect shares: the
// Finding and Component shapes, the Target an analyser reads, and the
// Analyser interface. The families (credentials, crypto-material, ...)
// live in sibling packages; inspect lists them.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Severity of a finding.
type Severity string

// Severities, from worst to mildest.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Rank orders severities: Critical is 4, Info 0, unknown -1.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// Evidence says where and what matched. Secrets in Text are masked.
type Evidence struct {
	Offset int64  `json:"offset,omitempty"` // byte offset in the file
	Line   int    `json:"line,omitempty"`   // 1-based line, for text files
	Text   string `json:"text,omitempty"`   // the matched text, secrets masked
	SHA256 string `json:"sha256,omitempty"` // of the whole file
}

// Finding is one problem found. Provisions are ETSI EN 303 645 provision
// IDs such as "5.1-1".
type Finding struct {
	Rule       string   `json:"rule"`
	Category   string   `json:"category"`
	Severity   Severity `json:"severity"`
	Title      string   `json:"title"`
	Path       string   `json:"path"`
	Evidence   Evidence `json:"evidence"`
	Provisions []string `json:"provisions"`
	// Falsifies are the provisions of other schemes ("uk-psti:1") the
	// finding falsifies directly, by their own text; package assess
	// fills them in from its table. The analysers leave it empty.
	Falsifies []string `json:"falsifies,omitempty"`
}

// Component is a piece of software identified in the image.
type Component struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	CPE      string   `json:"cpe"`  // CPE 2.3 formatted string
	PURL     string   `json:"purl"` // package URL
	Path     string   `json:"path"`
	Evidence Evidence `json:"evidence"`
}

// Report is what analysers produce.
type Report struct {
	Findings   []Finding   `json:"findings"`
	Components []Component `json:"components"`
}

// Analyser is one check family. Analyse must honour ctx and must not
// keep t after it returns.
type Analyser interface {
	Name() string // the family, which is also its findings' category
	Analyse(ctx context.Context, t *Target) (Report, error)
}

// File is one entry of the target, as listed (links not followed).
type File struct {
	Path string
	Mode fs.FileMode
	Size int64
}

// Name is the last element of the path.
func (f File) Name() string { return path.Base(f.Path) }

// Target is a file system to analyse, listed once for all analysers.
type Target struct {
	FS    fs.FS
	Files []File // sorted by path; directories included
	// MaxRead bounds the size of a file read whole (default 64 MiB).
	MaxRead int64
}

// Limits on listing a target.
const (
	DefaultMaxRead = 64 << 20
	MaxFiles       = 2_000_000
)

// NewTarget lists fsys.
func NewTarget(ctx context.Context, fsys fs.FS) (*Target, error) {
	t := &Target{FS: fsys, MaxRead: DefaultMaxRead}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable directory is skipped, not fatal
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if len(t.Files) >= MaxFiles {
			return fmt.Errorf("more than %d files", MaxFiles)
		}
		t.Files = append(t.Files, File{Path: p, Mode: info.Mode(), Size: info.Size()})
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("list target: %w", err)
	}
	return t, nil
}

// dataFS is implemented by file systems that can hand out file contents
// without copying (firmware.FS does); callers must not modify the slice.
type dataFS interface {
	Data(name string) ([]byte, error)
}

// ErrTooBig is returned by Read for files over MaxRead.
var ErrTooBig = errors.New("file too big to read whole")

// Read returns the content of a regular file, following links inside the
// target. The slice must not be modified.
func (t *Target) Read(name string) ([]byte, error) {
	max := t.MaxRead
	if max <= 0 {
		max = DefaultMaxRead
	}
	if d, ok := t.FS.(dataFS); ok {
		b, err := d.Data(name)
		if err == nil && int64(len(b)) > max {
			return nil, fmt.Errorf("read %s: %w", name, ErrTooBig)
		}
		return b, err
	}
	f, err := t.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read %s: %w", name, ErrTooBig)
	}
	return b, nil
}

// Regular lists the regular files whose path satisfies match (all when
// match is nil).
func (t *Target) Regular(match func(File) bool) []File {
	var out []File
	for _, f := range t.Files {
		if f.Mode.IsRegular() && (match == nil || match(f)) {
			out = append(out, f)
		}
	}
	return out
}

// HasSuffix reports whether p is s or ends in "/"+s; it lets analysers
// find etc/shadow wherever the unpacker put the root file system.
func HasSuffix(p, s string) bool {
	return p == s || strings.HasSuffix(p, "/"+s)
}

// Hash is the hex SHA-256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Mask hides a secret, keeping its first character and length hint:
// "admin" becomes "a****". Secrets of up to two characters are hidden
// whole.
func Mask(s string) string {
	r := []rune(s)
	if len(r) <= 2 {
		return strings.Repeat("*", len(r))
	}
	n := min(len(r)-1, 12)
	return string(r[0]) + strings.Repeat("*", n)
}

// LineAt returns the 1-based line number of byte offset off in b.
func LineAt(b []byte, off int) int {
	if off > len(b) {
		off = len(b)
	}
	return strings.Count(string(b[:off]), "\n") + 1
}

// IsText reports whether b looks like text: no NUL in its first 8 KiB.
func IsText(b []byte) bool {
	n := min(len(b), 8192)
	for _, c := range b[:n] {
		if c == 0 {
			return false
		}
	}
	return true
}

// Context returns the line of b around offset off, trimmed, at most 200
// bytes; callers mask secrets in it themselves.
func Context(b []byte, off int) string {
	start := strings.LastIndexByte(string(b[:off]), '\n') + 1
	end := off
	for end < len(b) && b[end] != '\n' && end-start < 200 {
		end++
	}
	return strings.TrimSpace(string(b[start:end]))
}

// incidentalDirs are directories whose files ship with a package but are
// not what the device runs or reads: documentation, manual pages,
// examples and the packages' own tests and fixtures.
var incidentalDirs = []string{
	"/share/doc/", "/share/man/", "/share/info/", "/share/locale/", "/share/licenses/", "/share/zoneinfo/",
	"/include/", "/examples/", "/example/", "/test/", "/tests/", "/testdata/", "/testing/", "/fixtures/", "/__tests__/", "/spec/",
}

// Incidental reports a path whose content a check must not take for the
// device's own configuration: documentation, examples and the test
// fixtures packages carry.
func Incidental(p string) bool {
	p = "/" + p
	for _, d := range incidentalDirs {
		if strings.Contains(p, d) {
			return true
		}
	}
	return false
}

// Comment reports a line of a configuration file or script that is a
// comment: #, ;, // and <!-- lines.
func Comment(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "//") || strings.HasPrefix(l, "<!--") || strings.HasPrefix(l, "--") && !strings.HasPrefix(l, "---")
}
