package iotsec

import (
	"encoding/json"
	"time"
)

// JobState is where a background job is.
type JobState string

const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
)

// Done reports whether the job has finished, one way or the other.
func (s JobState) Done() bool { return s == JobSucceeded || s == JobFailed }

// Job is long work (an import, a scan, a report build) run by whichever
// worker picks it from the queue. Progress is checkpointed in the store in
// the same transaction as the work it counts, so a worker that stops half
// way leaves a job the next worker resumes from Done.
type Job struct {
	ID         string          `json:"id"`
	OrgID      string          `json:"org_id"`
	Kind       string          `json:"kind"` // e.g. "device-import"
	State      JobState        `json:"state"`
	Done       int64           `json:"done"`  // units finished (rows, files, ...)
	Total      int64           `json:"total"` // units expected, 0 if unknown
	Message    string          `json:"message,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      string          `json:"error,omitempty"`
	Attempts   int             `json:"attempts"`
	Actor      Actor           `json:"-"` // who asked; the worker acts as them
	CreatedBy  string          `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  time.Time       `json:"started_at,omitzero"`
	FinishedAt time.Time       `json:"finished_at,omitzero"`
}

// Progress is a checkpoint written together with a unit of work.
//
// Attempt fences it: the job's attempt writing it (Job.Attempts as
// StartJob returned it). A replica that stalled past the queue's rescue
// window finds its job handed to another worker, which started a newer
// attempt; the stalled attempt's next checkpoint is then refused with
// ErrSuperseded, and the unit of work written with it is rolled back, so
// only the newest attempt writes. 0 writes without a fence (work outside
// the queue: tests, the demo).
type Progress struct {
	JobID   string
	Done    int64
	Total   int64
	Message string
	Attempt int
}

// ErrSuperseded refuses the checkpoint of a job's attempt after a newer
// attempt of the job started: the attempt must stop without recording
// anything more, since the newer one carries on from the last checkpoint.
var ErrSuperseded = &Error{Kind: ErrConflict, Message: "a newer attempt of this job has started; this one stops"}

// JobError is what a handler that keeps its own count of attempts returns
// when an attempt failed, to say how the job goes on: run again after
// Retry, or, when Final, fail now. Outbound deliveries work this way: the
// receiving end, not the input, decides whether an attempt works, so they
// choose their own waits and limit. Its message is shown to the job's
// organisation.
type JobError struct {
	Err   error
	Retry time.Duration // wait before the next attempt
	Final bool          // no further attempt
}

func (e *JobError) Error() string { return e.Err.Error() }

func (e *JobError) Unwrap() error { return e.Err }
