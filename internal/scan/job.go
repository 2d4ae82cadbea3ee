package scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Kind is the job kind of firmware scans.
const Kind = "firmware-scan"

// JobInput is what a scan job carries: which firmware version's image to
// scan. The image itself stays in the store.
type JobInput struct {
	FirmwareID string `json:"firmware_id"`
}

// JobStore is what the scan job reads and writes.
type JobStore interface {
	Image(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.Image, []byte, error)
	SaveScan(ctx context.Context, a iotsec.Actor, firmwareID string, rec iotsec.ScanRecord, errMsg string, p *iotsec.Progress) error
	SaveProgress(ctx context.Context, p iotsec.Progress) error
}

// Handler runs firmware scans as queued jobs, as the actor who uploaded
// the image. A scan is one unit of work: an interrupted scan starts again
// from the image, and its results replace the old ones in one
// transaction, so there is nothing half-written to resume from.
type Handler struct {
	Store  JobStore
	Engine *assess.Engine
	Limits firmware.Limits
	// After, if set, runs when a scan has been stored (the supply-chain
	// service matches the new components); its error fails the job.
	After func(ctx context.Context, a iotsec.Actor, firmwareID string) error
}

func (h *Handler) Kind() string { return Kind }

// JobResult is what a finished scan job records.
type JobResult struct {
	FirmwareID string            `json:"firmware_id"`
	Findings   int               `json:"findings"`
	Components int               `json:"components"`
	Statuses   map[string]string `json:"statuses"` // scheme slug -> met, not-met, incomplete
}

func (h *Handler) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	var in JobInput
	if err := json.Unmarshal(input, &in); err != nil || in.FirmwareID == "" {
		return nil, iotsec.Invalid("input", "scan job input must be {\"firmware_id\": ...}")
	}
	a := job.Actor
	img, data, err := h.Store.Image(ctx, a, in.FirmwareID)
	if err != nil {
		return nil, err
	}
	opts := Options{Engine: h.Engine, Limits: h.Limits, Progress: func(stage string, done, total int) {
		// Progress is shown, not resumed from: a lost write costs nothing.
		h.Store.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: int64(done), Total: int64(total), Message: stage + " done"})
	}}
	res, err := Run(ctx, img.Name, data, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := err.Error()
		if errors.Is(err, ErrNothing) && !strings.Contains(msg, ErrNothing.Error()+":") {
			msg = "no file could be read from the image: it is encrypted, compressed in a format iotsec does not read, or not firmware"
		}
		if serr := h.Store.SaveScan(ctx, a, in.FirmwareID, iotsec.ScanRecord{}, msg, nil); serr != nil {
			return nil, serr
		}
		return nil, iotsec.Errorf(iotsec.ErrInvalid, "%s", msg)
	}
	rec := Record(res)
	done := iotsec.Progress{JobID: job.ID, Done: 10, Total: 10, Message: fmt.Sprintf("scanned: %d findings, %d components", len(rec.Findings), len(rec.Components))}
	if err := h.Store.SaveScan(ctx, a, in.FirmwareID, rec, "", &done); err != nil {
		return nil, err
	}
	if h.After != nil {
		if err := h.After(ctx, a, in.FirmwareID); err != nil {
			return nil, fmt.Errorf("after the scan: %w", err)
		}
	}
	out := JobResult{FirmwareID: in.FirmwareID, Findings: len(rec.Findings), Components: len(rec.Components), Statuses: map[string]string{}}
	for _, v := range res.Schemes {
		out.Statuses[v.Scheme] = v.Status
	}
	return json.Marshal(out)
}

// Record converts a scan result into what the store keeps.
func Record(r *Result) iotsec.ScanRecord {
	rec := iotsec.ScanRecord{Formats: r.Image.Formats, Files: r.Stats.Files, Bytes: r.Stats.Bytes, Seconds: r.Stats.Seconds, Warnings: r.Warnings}
	for _, f := range r.Findings {
		rec.Findings = append(rec.Findings, iotsec.Finding{Rule: f.Rule, Category: f.Category, Severity: string(f.Severity), Title: f.Title, Path: f.Path,
			Evidence: iotsec.FindingEvidence(f.Evidence), Provisions: f.Provisions})
	}
	for _, c := range r.Components {
		rec.Components = append(rec.Components, iotsec.Component{Name: c.Name, Version: c.Version, CPE: c.CPE, PURL: c.PURL, Path: c.Path,
			Evidence: iotsec.FindingEvidence(c.Evidence)})
	}
	return rec
}

// Reader is what Load reads.
type Reader interface {
	GetScan(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.Scan, error)
	ListFindings(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Finding, error)
	ListComponents(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Component, error)
	ListEvidence(ctx context.Context, a iotsec.Actor, firmwareID string) ([]iotsec.Evidence, error)
	AssessmentInputs(ctx context.Context, a iotsec.Actor, firmwareID string) (iotsec.AssessmentInputs, error)
}

// Stored is a firmware version's evaluation as stored, with its verdicts
// computed now from the stored findings, evidence, ICS and IXIT.
type Stored struct {
	Scan     iotsec.Scan
	Scanned  bool // a scan has finished and its findings count
	Result   *Result
	Evidence []iotsec.Evidence
	ICS      *assess.ICS
	IXIT     []assess.IXITEntry
}

// Load reads a firmware version's evaluation and decides its verdicts for
// the schemes refs name (every scheme when empty). A version without a
// scan still gets verdicts from what assessors recorded.
func Load(ctx context.Context, s Reader, a iotsec.Actor, firmwareID string, e *assess.Engine, refs []crosswalk.SchemeRef) (*Stored, error) {
	st := &Stored{Result: &Result{Findings: []inspect.Finding{}, Components: []inspect.Component{}, Stats: Stats{Seconds: map[string]float64{}}}}
	sc, err := s.GetScan(ctx, a, firmwareID)
	switch {
	case err == nil:
		st.Scan = sc
		st.Scanned = sc.State == iotsec.ScanSucceeded
		st.Result.Image = Image{Name: sc.Image.Name, SHA256: trimDigest(sc.Image.Digest), Size: sc.Image.Size, Formats: sc.Formats}
		st.Result.Stats = Stats{Files: sc.Files, Bytes: sc.Bytes, Seconds: sc.Seconds}
		st.Result.Warnings = sc.Warnings
	case iotsec.Kind(err) != iotsec.ErrNotFound:
		return nil, err
	}
	if st.Result.Image.Formats == nil {
		st.Result.Image.Formats = []string{}
	}
	fs, err := s.ListFindings(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		st.Result.Findings = append(st.Result.Findings, inspect.Finding{Rule: f.Rule, Category: f.Category, Severity: inspect.Severity(f.Severity),
			Title: f.Title, Path: f.Path, Evidence: inspect.Evidence(f.Evidence), Provisions: f.Provisions})
	}
	cs, err := s.ListComponents(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		st.Result.Components = append(st.Result.Components, inspect.Component{Name: c.Name, Version: c.Version, CPE: c.CPE, PURL: c.PURL,
			Path: c.Path, Evidence: inspect.Evidence(c.Evidence)})
	}
	if st.Evidence, err = s.ListEvidence(ctx, a, firmwareID); err != nil {
		return nil, err
	}
	in, err := s.AssessmentInputs(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	if in.ICS != nil {
		st.ICS = &assess.ICS{}
		if err := json.Unmarshal(in.ICS, st.ICS); err != nil {
			return nil, fmt.Errorf("stored ICS of %s: %w", firmwareID, err)
		}
	}
	if in.IXIT != nil {
		if err := json.Unmarshal(in.IXIT, &st.IXIT); err != nil {
			return nil, fmt.Errorf("stored IXIT of %s: %w", firmwareID, err)
		}
	}
	var evs []assess.Evidence
	for _, ev := range st.Evidence {
		evs = append(evs, assess.Evidence{Provision: ev.Provision, TestCase: ev.TestCase, Verdict: assess.Verdict(ev.Verdict),
			Rationale: ev.Rationale, Override: ev.Override, Assessor: ev.Assessor, At: ev.CreatedAt})
	}
	if err := st.Result.Assess(e, AssessInput{Evidence: evs, ICS: st.ICS, IXIT: st.IXIT}, refs); err != nil {
		return nil, err
	}
	return st, nil
}

func trimDigest(d string) string {
	if len(d) > 7 && d[:7] == "sha256:" {
		return d[7:]
	}
	return d
}
