package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/queue"
)

// MaxJobInput bounds what a job may carry in the database.
const MaxJobInput = 256 << 20

func (s *Store) CreateJob(ctx context.Context, a iotsec.Actor, j *iotsec.Job, input []byte) error {
	if err := a.Can(iotsec.PermRead); err != nil {
		return err
	}
	actor, err := s.newJob(a, j, &input)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return s.insertJob(ctx, tx, a, j, actor, input) })
}

// insertJob records and enqueues j inside tx.
func (s *Store) insertJob(ctx context.Context, tx *sql.Tx, a iotsec.Actor, j *iotsec.Job, actor, input []byte) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO jobs (id, org_id, kind, state, total, message, actor, created_by, created_at, input)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		j.ID, j.OrgID, j.Kind, j.State, j.Total, j.Message, string(actor), j.CreatedBy, s.t(j.CreatedAt), input)
	if err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	// Same transaction: the job is queued if and only if it is recorded.
	if _, err := s.queue.InsertTx(ctx, tx, queue.Args{JobID: j.ID}, nil); err != nil {
		return fmt.Errorf("enqueue job: %w", err)
	}
	return s.audit(ctx, tx, a.OrgID, a.Name(), "job.create", j.ID, map[string]any{"kind": j.Kind, "input_bytes": len(input)})
}

// newJob fills in a job's record fields and returns the actor as JSON.
func (s *Store) newJob(a iotsec.Actor, j *iotsec.Job, input *[]byte) ([]byte, error) {
	if len(*input) > MaxJobInput {
		return nil, iotsec.Errorf(iotsec.ErrTooLarge, "job input is larger than %d bytes", MaxJobInput)
	}
	if s.queue == nil {
		return nil, fmt.Errorf("create job: store has no queue")
	}
	actor, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	j.ID, j.OrgID, j.State, j.Actor, j.CreatedBy, j.CreatedAt = s.ids.New(iotsec.PrefixJob), a.OrgID, iotsec.JobQueued, a, a.Name(), s.now()
	if *input == nil {
		*input = []byte{}
	}
	return actor, nil
}

const jobColumns = "id, org_id, kind, state, done, total, message, result, error, attempts, actor, created_by, created_at, started_at, finished_at"

func scanJob(sc interface{ Scan(...any) error }, extra ...any) (iotsec.Job, error) {
	var j iotsec.Job
	var result, actor string
	dst := append([]any{&j.ID, &j.OrgID, &j.Kind, &j.State, &j.Done, &j.Total, &j.Message, &result, &j.Error, &j.Attempts, &actor, &j.CreatedBy,
		tscan{&j.CreatedAt}, tscan{&j.StartedAt}, tscan{&j.FinishedAt}}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return j, err
	}
	if result != "" {
		j.Result = json.RawMessage(result)
	}
	if err := json.Unmarshal([]byte(actor), &j.Actor); err != nil {
		return j, fmt.Errorf("job %s: actor: %w", j.ID, err)
	}
	return j, nil
}

func (s *Store) GetJob(ctx context.Context, a iotsec.Actor, id string) (iotsec.Job, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return iotsec.Job{}, err
	}
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q("SELECT "+jobColumns+" FROM jobs WHERE id = ? AND org_id = ?"), id, a.OrgID))
	return j, notFound(err, "job")
}

func (s *Store) ListJobs(ctx context.Context, a iotsec.Actor, n int) ([]iotsec.Job, error) {
	if err := a.Can(iotsec.PermRead); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+jobColumns+" FROM jobs WHERE org_id = ? ORDER BY id DESC LIMIT ?"), a.OrgID, limit(n, 50, 500))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	out := []iotsec.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func (s *Store) JobInput(ctx context.Context, id string) (iotsec.Job, []byte, error) {
	var input []byte
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q("SELECT "+jobColumns+", input FROM jobs WHERE id = ?"), id), &input)
	return j, input, notFound(err, "job")
}

func (s *Store) StartJob(ctx context.Context, id string, at time.Time) (iotsec.Job, error) {
	var j iotsec.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = ?, attempts = attempts + 1, message = '',
			started_at = coalesce(started_at, ?) WHERE id = ?`), iotsec.JobRunning, s.t(at), id)
		if err != nil {
			return fmt.Errorf("start job: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return iotsec.NotFound("job")
		}
		j, err = scanJob(tx.QueryRowContext(ctx, s.q("SELECT "+jobColumns+" FROM jobs WHERE id = ?"), id))
		return err
	})
	return j, err
}

// saveProgress writes a checkpoint inside tx, fenced by its attempt: the
// attempt of a job that has since started again is refused with
// iotsec.ErrSuperseded, and tx with it.
func (s *Store) saveProgress(ctx context.Context, tx *sql.Tx, p iotsec.Progress) error {
	if p.Attempt <= 0 {
		_, err := tx.ExecContext(ctx, s.q("UPDATE jobs SET done = ?, total = ?, message = ? WHERE id = ?"), p.Done, p.Total, p.Message, p.JobID)
		if err != nil {
			return fmt.Errorf("save progress: %w", err)
		}
		return nil
	}
	ok, err := affected(tx.ExecContext(ctx, s.q("UPDATE jobs SET done = ?, total = ?, message = ? WHERE id = ? AND attempts = ?"),
		p.Done, p.Total, p.Message, p.JobID, p.Attempt))
	if err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	if !ok {
		var n int
		if err := tx.QueryRowContext(ctx, s.q("SELECT count(*) FROM jobs WHERE id = ?"), p.JobID).Scan(&n); err != nil {
			return fmt.Errorf("save progress: %w", err)
		}
		if n == 0 {
			return iotsec.NotFound("job")
		}
		return iotsec.ErrSuperseded
	}
	return nil
}

func (s *Store) SaveProgress(ctx context.Context, p iotsec.Progress) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.saveProgress(ctx, tx, p) })
}

func (s *Store) EndJob(ctx context.Context, id string, state iotsec.JobState, result []byte, msg string, at time.Time) error {
	return s.EndAttempt(ctx, id, 0, state, result, msg, at)
}

func (s *Store) EndAttempt(ctx context.Context, id string, attempt int, state iotsec.JobState, result []byte, msg string, at time.Time) error {
	var finished any
	errMsg := ""
	switch state {
	case iotsec.JobSucceeded:
		finished = s.t(at)
	case iotsec.JobFailed:
		finished, errMsg, msg = s.t(at), msg, ""
	case iotsec.JobQueued:
	default:
		return fmt.Errorf("end job %s: bad state %q", id, state)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var org string
		if err := tx.QueryRowContext(ctx, s.q("SELECT org_id FROM jobs WHERE id = ?"), id).Scan(&org); err != nil {
			return notFound(err, "job")
		}
		ok, err := affected(tx.ExecContext(ctx, s.q("UPDATE jobs SET state = ?, result = ?, error = ?, message = ?, finished_at = ? WHERE id = ? AND (? = 0 OR attempts = ?)"),
			state, string(result), errMsg, msg, finished, id, attempt, attempt))
		if err != nil {
			return fmt.Errorf("end job: %w", err)
		}
		if !ok {
			return iotsec.ErrSuperseded
		}
		if state == iotsec.JobQueued {
			return nil
		}
		return s.audit(ctx, tx, org, "system:queue", "job."+string(state), id, map[string]any{"error": errMsg})
	})
}
