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
	var ids []string
	if in.FirmwareID != "" {
		ids = []string{in.FirmwareID}
	} else {
		fws, err := h.Service.Store.ListFirmware(ctx, a, "")
		if err != nil {
			return nil, err
		}
		for _, f := range fws {
			ids = append(ids, f.ID)
		}
	}
	var sum Summary
	for i, id := range ids {
		res, err := h.Service.Rematch(ctx, a, id)
		if err != nil {
			return nil, err
		}
		sum.Firmware++
		sum.Matches += res.Matches
		sum.New += len(res.New)
		sum.CRADrafts += len(res.CRADrafts)
		h.Service.Store.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: int64(i + 1), Total: int64(len(ids)), Message: "matched " + id})
	}
	return json.Marshal(sum)
}
