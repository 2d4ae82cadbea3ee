package supply

import (
	"context"
	"encoding/json"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// JobKind is the job kind of re-matching.
const JobKind = "supply-rematch"

// JobInput names the firmware version to match again; empty means every
// firmware version of the job's organisation.
type JobInput struct {
	FirmwareID string `json:"firmware_id,omitempty"`
}

// Handler runs re-matching as a queued job.
type Handler struct{ Service *Service }

func (h *Handler) Kind() string { return JobKind }

func (h *Handler) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	var in JobInput
	if len(input) > 0 {
		if err := json.Unmarshal(input, &in); err != nil {
			return nil, iotsec.Invalid("input", "re-match job input must be {\"firmware_id\": ...}")
		}
	}
	a := job.Actor
	// The queue gave this job one of the organisation's match slots.
	ctx = Queued(ctx)
	progress := func(done, total int, id string) {
		// Progress is shown, not resumed from: a lost write costs nothing.
		h.Service.Store.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: int64(done), Total: int64(total), Message: "matched " + id, Attempt: job.Attempts})
	}
	var sum Summary
	if in.FirmwareID != "" {
		res, err := h.Service.Rematch(ctx, a, in.FirmwareID)
		if err != nil {
			return nil, err
		}
		sum = Summary{Firmware: 1, Matches: res.Matches, New: len(res.New), CRADrafts: len(res.CRADrafts)}
		progress(1, 1, in.FirmwareID)
	} else {
		var err error
		if sum, err = h.Service.RematchOrg(ctx, a, progress); err != nil {
			return nil, err
		}
	}
	return json.Marshal(sum)
}

// SummaryOf is what a finished re-match job did; false for another kind
// of job, or one that has not finished.
func SummaryOf(job iotsec.Job) (Summary, bool) {
	var sum Summary
	if job.Kind != JobKind || len(job.Result) == 0 || json.Unmarshal(job.Result, &sum) != nil {
		return Summary{}, false
	}
	return sum, true
}

// DeliveryOf is how a finished delivery job went; false for another kind
// of job, or one that has not finished.
func DeliveryOf(job iotsec.Job) (DeliveryResult, bool) {
	var d DeliveryResult
	if job.Kind != iotsec.JobDeliver || len(job.Result) == 0 || json.Unmarshal(job.Result, &d) != nil {
		return DeliveryResult{}, false
	}
	return d, true
}

// Queued marks ctx as the work of a queued job, which waited for its
// organisation's share in the queue: its re-matches take no MatchSlot.
func Queued(ctx context.Context) context.Context { return context.WithValue(ctx, slotHeld{}, true) }
