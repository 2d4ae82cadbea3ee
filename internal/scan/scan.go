// Package scan evaluates a firmware image end to end: it unpacks it
// (package firmware), runs the check families over it (package inspect),
// decides the EN 303 645 verdicts and projects them onto every scheme
// (package assess). Its Result is the document `iotsec scan -o json`
// prints and the server stores; package report renders it. Storing,
// queueing and re-deciding stored scans is the evaluation service's
// (internal/evaluation), which runs this pipeline.
//
// It is an engine: it must not import storage (database/sql, sqlite, pgx),
// HTTP servers, services (evaluation, supply) or the top of the program
// (app, cli).
package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/inspect"
)

// Image describes the scanned input.
type Image struct {
	Name    string   `json:"name"`
	SHA256  string   `json:"sha256"`
	Size    int64    `json:"size"`
	Formats []string `json:"formats"`
}

// Stats says how much was unpacked and how long each stage took.
type Stats struct {
	Files   int                `json:"files"`
	Bytes   int64              `json:"bytes"`
	Seconds map[string]float64 `json:"seconds"` // unpack, inspect, assess, total
}

// Result is one scan: what was found and what it means for every scheme.
type Result struct {
	Image      Image                  `json:"image"`
	Findings   []inspect.Finding      `json:"findings"`
	Components []inspect.Component    `json:"components"`
	Verdicts   map[string]Verdict     `json:"verdicts"`
	Stats      Stats                  `json:"stats"`
	Warnings   []string               `json:"warnings,omitempty"` // parts of the image that could not be read
	Assessment *assess.Assessment     `json:"-"`
	Schemes    []assess.SchemeVerdict `json:"-"` // the verdicts in catalog order, for renderers
}

// Verdict is a scheme's verdict as the JSON document shows it.
type Verdict = assess.SchemeVerdict

// Stages of a scan, for progress reports.
const (
	StageUnpack  = "unpack"
	StageInspect = "inspect"
	StageAssess  = "assess"
)

// Options steer a scan.
type Options struct {
	Limits    firmware.Limits
	Analysers []inspect.Analyser // nil means inspect.Default()
	Engine    *assess.Engine     // required
	Schemes   []crosswalk.SchemeRef
	// FailAt is the lowest severity that fails a provision (default medium).
	FailAt inspect.Severity
	// Evidence, ICS and IXIT are what an assessor recorded; a command-line
	// scan has none.
	Evidence []assess.Evidence
	ICS      *assess.ICS
	// Progress, if set, is told as each step ends: done of total steps
	// (unpacking, each analyser, assessing) and the stage it was in.
	Progress func(stage string, done, total int)
	Now      func() time.Time // for stage timings; nil means time.Now
}

// ErrNothing is returned when nothing at all could be read from an image.
var ErrNothing = errors.New("no file could be read from the image")

// ErrNotFirmware is returned when no format was recognised anywhere in
// the input and so nothing was unpacked: a text file, a picture, a bare
// program. Such an input gets no findings and no verdicts, not the
// verdicts of an empty image.
var ErrNotFirmware = errors.New("not firmware: no known image format was recognised and nothing was unpacked")

// Run scans data, an image called name. An image that was partly
// unreadable still gives a result, with Warnings saying what was lost; an
// error means no result.
func Run(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	if opts.Engine == nil {
		return nil, fmt.Errorf("scan %s: no assessment engine", name)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("scan %s: the image is empty: %w", name, ErrNothing)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	analysers := opts.Analysers
	if analysers == nil {
		analysers = inspect.Default()
	}
	total := len(analysers) + 2
	var done atomic.Int32
	step := func(stage string) {
		if opts.Progress != nil {
			opts.Progress(stage, int(done.Add(1)), total)
		}
	}
	res := &Result{Stats: Stats{Seconds: map[string]float64{}}}
	start := now()
	t := start
	lap := func(stage string) {
		n := now()
		res.Stats.Seconds[stage] = n.Sub(t).Seconds()
		t = n
	}

	im, err := firmware.Unpack(ctx, name, data, opts.Limits)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, e := range unjoin(err) {
			res.Warnings = append(res.Warnings, e.Error())
		}
	}
	lap(StageUnpack)
	step(StageUnpack)
	res.Image = Image{Name: im.Name, SHA256: im.SHA256, Size: im.Size, Formats: im.Formats()}
	if res.Image.Formats == nil {
		res.Image.Formats = []string{}
	}
	res.Stats.Files, res.Stats.Bytes = im.Files, im.Bytes
	if len(im.Parts) == 0 && len(res.Warnings) == 0 {
		return nil, fmt.Errorf("scan %s: %w (the input is %d bytes of %s)", name, ErrNotFirmware, len(data), sniff(data))
	}
	if im.Files == 0 {
		if len(res.Warnings) > 0 {
			return nil, fmt.Errorf("scan %s: %w: %s", name, ErrNothing, res.Warnings[0])
		}
		return nil, fmt.Errorf("scan %s: %w", name, ErrNothing)
	}

	wrapped := make([]inspect.Analyser, len(analysers))
	for i, a := range analysers {
		wrapped[i] = stepAnalyser{Analyser: a, step: func() { step(StageInspect) }}
	}
	rep, err := inspect.Run(ctx, im.FS, wrapped)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for _, e := range unjoin(err) {
			res.Warnings = append(res.Warnings, e.Error())
		}
	}
	lap(StageInspect)
	res.Findings, res.Components = rep.Findings, rep.Components
	if res.Findings == nil {
		res.Findings = []inspect.Finding{}
	}
	if res.Components == nil {
		res.Components = []inspect.Component{}
	}
	for i := range res.Findings {
		res.Findings[i].Falsifies = assess.Falsifies(res.Findings[i])
	}
	// Worst first; the families' own order within a severity.
	slices.SortStableFunc(res.Findings, func(a, b inspect.Finding) int { return b.Severity.Rank() - a.Severity.Rank() })

	if err := res.Assess(opts.Engine, AssessInput{FailAt: opts.FailAt, Evidence: opts.Evidence, ICS: opts.ICS}, opts.Schemes); err != nil {
		return nil, fmt.Errorf("scan %s: %w", name, err)
	}
	lap(StageAssess)
	step(StageAssess)
	res.Stats.Seconds["total"] = now().Sub(start).Seconds()
	return res, nil
}

// AssessInput is what an assessment adds to the findings.
type AssessInput struct {
	FailAt   inspect.Severity
	Evidence []assess.Evidence
	ICS      *assess.ICS
	IXIT     []assess.IXITEntry
}

// Assess (re)computes the assessment and the scheme verdicts from the
// result's findings and in, for the schemes refs name (every scheme when
// empty).
func (r *Result) Assess(e *assess.Engine, in AssessInput, refs []crosswalk.SchemeRef) error {
	a, err := e.Evaluate(assess.Input{Findings: r.Findings, Evidence: in.Evidence, ICS: in.ICS, IXIT: in.IXIT, FailAt: in.FailAt})
	if err != nil {
		return err
	}
	vs, err := e.Project(a, refs...)
	if err != nil {
		return err
	}
	r.Assessment, r.Schemes = a, vs
	r.Verdicts = map[string]Verdict{}
	for _, v := range vs {
		r.Verdicts[v.Scheme] = v
	}
	return nil
}

// Reaches reports whether any finding is at least as severe as sev.
func (r *Result) Reaches(sev inspect.Severity) bool {
	return slices.ContainsFunc(r.Findings, func(f inspect.Finding) bool { return f.Severity.Rank() >= sev.Rank() })
}

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (inspect.Severity, error) {
	sev := inspect.Severity(strings.ToLower(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return "", fmt.Errorf("severity %q is not one of critical, high, medium, low, info", s)
	}
	return sev, nil
}

// stepAnalyser reports when its analyser is done.
type stepAnalyser struct {
	inspect.Analyser
	step func()
}

func (s stepAnalyser) Analyse(ctx context.Context, t *inspect.Target) (inspect.Report, error) {
	defer s.step()
	return s.Analyser.Analyse(ctx, t)
}

// sniff names what an unrecognised input looks like.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "an ELF program"
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "a PDF document"
	case bytes.HasPrefix(b, []byte("\x89PNG")), bytes.HasPrefix(b, []byte("\xff\xd8\xff")), bytes.HasPrefix(b, []byte("GIF8")):
		return "a picture"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a ZIP archive"
	case utf8.Valid(b[:min(len(b), 4096)]) && !bytes.ContainsRune(b[:min(len(b), 4096)], 0):
		return "text"
	}
	return "data in no known format"
}

// unjoin flattens errors.Join trees.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
