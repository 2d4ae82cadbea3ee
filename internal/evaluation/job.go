package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/scan"
)

// JobKind is the job kind of firmware scans.
const JobKind = "firmware-scan"

// JobInput is what a scan job carries: which firmware version's image to
// scan. The image itself stays in the store.
type JobInput struct {
	FirmwareID string `json:"firmware_id"`
}

// JobResult is what a finished scan job records.
type JobResult struct {
	FirmwareID string            `json:"firmware_id"`
	Findings   int               `json:"findings"`
	Components int               `json:"components"`
	Statuses   map[string]string `json:"statuses"` // scheme slug -> met, not-met, incomplete
}

// Handler runs the service's scans as queued jobs.
type Handler struct{ Service *Service }

func (h *Handler) Kind() string { return JobKind }

func (h *Handler) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	var in JobInput
	if err := json.Unmarshal(input, &in); err != nil || in.FirmwareID == "" {
		return nil, iotsec.Invalid("input", "scan job input must be {\"firmware_id\": ...}")
	}
	res, err := h.Service.ScanStored(ctx, job, in.FirmwareID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}

// ScanStored scans a firmware version's stored image as the job's actor
// (the one who uploaded it) and stores the findings and components, with
// the job's progress. A scan is one unit of work: an interrupted scan
// starts again from the image, and its results replace the old ones in
// one transaction, so there is nothing half-written to resume from. An
// image nothing can be read from is recorded as the scan's failure and
// is an invalid input, so the job is not retried. How many scans one
// organisation runs at once is the queue's to bound (queue.Limit), in the
// database, so that the bound holds across replicas.
func (s *Service) ScanStored(ctx context.Context, job iotsec.Job, firmwareID string) (JobResult, error) {
	a := job.Actor
	if s.FreeMemory {
		// A scan holds its unpacked image in memory; give it back to the
		// system when the job ends rather than keep the peak of the
		// largest scan for the life of the process.
		defer debug.FreeOSMemory()
	}
	img, data, err := s.store.Image(ctx, a, firmwareID)
	if err != nil {
		return JobResult{}, err
	}
	opts := scan.Options{Engine: s.engine, Limits: s.Limits, Progress: func(stage string, done, total int) {
		// Progress is shown, not resumed from: a lost write costs nothing.
		s.store.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: int64(done), Total: int64(total), Message: stage + " done", Attempt: job.Attempts})
	}}
	res, err := scan.Run(ctx, img.Name, data, opts)
	if err != nil {
		if ctx.Err() != nil {
			return JobResult{}, ctx.Err()
		}
		msg := err.Error()
		if errors.Is(err, scan.ErrNothing) && !strings.Contains(msg, scan.ErrNothing.Error()+":") {
			msg = "no file could be read from the image: it is encrypted, compressed in a format iotsec does not read, or not firmware"
		}
		failed := iotsec.Progress{JobID: job.ID, Done: 10, Total: 10, Message: "scan failed", Attempt: job.Attempts}
		if serr := s.store.SaveScan(ctx, a, firmwareID, iotsec.ScanRecord{}, msg, &failed); serr != nil {
			return JobResult{}, serr
		}
		return JobResult{}, iotsec.Errorf(iotsec.ErrInvalid, "%s", msg)
	}
	rec := record(res)
	done := iotsec.Progress{JobID: job.ID, Done: 10, Total: 10, Message: fmt.Sprintf("scanned: %d findings, %d components", len(rec.Findings), len(rec.Components)),
		Attempt: job.Attempts}
	if err := s.store.SaveScan(ctx, a, firmwareID, rec, "", &done); err != nil {
		return JobResult{}, err
	}
	if s.AfterScan != nil {
		if err := s.AfterScan(ctx, a, firmwareID); err != nil {
			return JobResult{}, fmt.Errorf("after the scan: %w", err)
		}
	}
	if s.AfterEvaluate != nil {
		if err := s.AfterEvaluate(ctx, a, firmwareID); err != nil {
			return JobResult{}, fmt.Errorf("after the scan: %w", err)
		}
	}
	out := JobResult{FirmwareID: firmwareID, Findings: len(rec.Findings), Components: len(rec.Components), Statuses: map[string]string{}}
	for _, v := range res.Schemes {
		out.Statuses[v.Scheme] = v.Status
	}
	return out, nil
}

// record converts a scan result into what the store keeps.
func record(r *scan.Result) iotsec.ScanRecord {
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

// ScanJob is a scan job as its pages show it: the firmware version it
// scans, with its product and scan, and, once it has finished, what it
// found.
type ScanJob struct {
	Firmware iotsec.FirmwareVersion
	Product  iotsec.Product
	Scan     iotsec.Scan
	// Result is the finished job's result; nil while it runs or when it
	// failed.
	Result *JobResult
}

// ScanJob reads what a scan job is about. The job's own record names no
// firmware version until it has finished, so the version is the one whose
// scan the job is (or, for a finished job, the one its result names). A
// job that is not a scan, or whose version is gone, is not found.
func (s *Service) ScanJob(ctx context.Context, a iotsec.Actor, job iotsec.Job) (*ScanJob, error) {
	if job.Kind != JobKind {
		return nil, iotsec.NotFound("job")
	}
	out := &ScanJob{}
	var res JobResult
	if len(job.Result) > 0 && json.Unmarshal(job.Result, &res) == nil && res.FirmwareID != "" {
		out.Result = &res
	}
	scans, err := s.store.ListScans(ctx, a)
	if err != nil {
		return nil, err
	}
	for _, sc := range scans {
		if sc.JobID == job.ID || (out.Result != nil && sc.FirmwareID == out.Result.FirmwareID) {
			out.Scan = sc
			break
		}
	}
	if out.Scan.FirmwareID == "" {
		return nil, iotsec.NotFound("firmware version")
	}
	if out.Firmware, err = s.store.GetFirmware(ctx, a, out.Scan.FirmwareID); err != nil {
		return nil, err
	}
	if out.Product, err = s.store.GetProduct(ctx, a, out.Firmware.ProductID); err != nil {
		return nil, err
	}
	return out, nil
}
