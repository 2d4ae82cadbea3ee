package evaluation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/scan"
)

// Report is a firmware version's evaluation with the version and its
// product: what the version's pages and its reports show.
type Report struct {
	*Stored
	Firmware iotsec.FirmwareVersion
	Product  iotsec.Product
	// Job is the scan's job while the scan is queued or running, so a
	// page can show its progress; nil otherwise.
	Job *iotsec.Job
}

// Report reads a firmware version, its product and its evaluation, with
// the verdicts of the schemes refs name (every scheme when empty).
func (s *Service) Report(ctx context.Context, a iotsec.Actor, firmwareID string, refs []SchemeRef) (*Report, error) {
	fw, err := s.store.GetFirmware(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.GetProduct(ctx, a, fw.ProductID)
	if err != nil {
		return nil, err
	}
	st, err := s.Load(ctx, a, fw.ID, refs)
	if err != nil {
		return nil, err
	}
	rep := &Report{Stored: st, Firmware: fw, Product: p}
	if st.Scan.State == iotsec.ScanQueued && st.Scan.JobID != "" {
		switch job, err := s.store.GetJob(ctx, a, st.Scan.JobID); {
		case err == nil:
			rep.Job = &job
		case iotsec.Kind(err) != iotsec.ErrNotFound:
			return nil, err
		}
	}
	return rep, nil
}

// Meta is what the renderers of package report print about the report:
// the tool (e.g. "iotsec v1.2.0"), the product, the version and when it
// was scanned.
func (r *Report) Meta(tool string) report.Meta {
	return report.Meta{Tool: tool, Product: r.Product.Name + " " + r.Product.Model, Version: r.Firmware.Version, Generated: r.Scan.ScannedAt,
		NoVerdicts: r.NoVerdicts()}
}

// Stored is a firmware version's evaluation as stored, with its verdicts
// decided now from the stored findings, evidence, ICS and IXIT.
type Stored struct {
	Scan    iotsec.Scan
	Scanned bool // a scan has finished and its findings count
	// Result is the evaluation as a scan's result, which the renderers of
	// package report take; its Assessment and Schemes hold the verdicts.
	Result   *Result
	Evidence []iotsec.Evidence
	ICS      *ICS
	IXIT     []IXITEntry
}

// NoVerdicts says why a version has no verdicts to show, or "" when it
// has some: no image was uploaded, its scan has not ended yet, or its
// image could not be scanned (not firmware, nothing readable within the
// bounds), and no assessor has recorded anything. Verdicts resting on nothing would be a page of
// "incomplete".
func (s *Stored) NoVerdicts() string {
	if len(s.Evidence) > 0 || s.ICS != nil || len(s.IXIT) > 0 {
		return ""
	}
	switch s.Scan.State {
	case "":
		return report.NoImageNote
	case iotsec.ScanQueued:
		return "The image is being scanned; its verdicts come when the scan ends."
	case iotsec.ScanFailed:
		return "The image could not be scanned (" + s.Scan.Error + ") and no assessor has recorded evidence, so there are no verdicts. Upload a firmware image to scan it."
	}
	return ""
}

// Load reads a firmware version's evaluation and decides its verdicts for
// the schemes refs name (every scheme when empty). A version without a
// scan still gets verdicts from what assessors recorded.
func (s *Service) Load(ctx context.Context, a iotsec.Actor, firmwareID string, refs []SchemeRef) (*Stored, error) {
	st := &Stored{Result: &scan.Result{Findings: []inspect.Finding{}, Components: []inspect.Component{}, Stats: scan.Stats{Seconds: map[string]float64{}}}}
	sc, err := s.store.GetScan(ctx, a, firmwareID)
	switch {
	case err == nil:
		st.Scan = sc
		st.Scanned = sc.State == iotsec.ScanSucceeded
		st.Result.Image = scan.Image{Name: sc.Image.Name, SHA256: trimDigest(sc.Image.Digest), Size: sc.Image.Size, Formats: sc.Formats}
		st.Result.Stats = scan.Stats{Files: sc.Files, Bytes: sc.Bytes, Seconds: sc.Seconds}
		st.Result.Warnings = sc.Warnings
	case iotsec.Kind(err) != iotsec.ErrNotFound:
		return nil, err
	}
	if st.Result.Image.Formats == nil {
		st.Result.Image.Formats = []string{}
	}
	fs, err := s.store.ListFindings(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		fd := inspect.Finding{Rule: f.Rule, Category: f.Category, Severity: inspect.Severity(f.Severity),
			Title: f.Title, Path: f.Path, Evidence: inspect.Evidence(f.Evidence), Provisions: f.Provisions}
		fd.Falsifies = assess.Falsifies(fd)
		st.Result.Findings = append(st.Result.Findings, fd)
	}
	cs, err := s.store.ListComponents(ctx, a, firmwareID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		st.Result.Components = append(st.Result.Components, inspect.Component{Name: c.Name, Version: c.Version, CPE: c.CPE, PURL: c.PURL,
			Path: c.Path, Evidence: inspect.Evidence(c.Evidence)})
	}
	if st.Evidence, err = s.store.ListEvidence(ctx, a, firmwareID); err != nil {
		return nil, err
	}
	in, err := s.store.AssessmentInputs(ctx, a, firmwareID)
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
	if err := st.Result.Assess(s.engine, scan.AssessInput{Evidence: evs, ICS: st.ICS, IXIT: st.IXIT}, refs); err != nil {
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
