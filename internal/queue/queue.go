// Package queue runs iotsec's long work (imports, scans, report builds) on
// River, which keeps its queue in the same database as everything else, on
// SQLite and PostgreSQL alike. Any replica may insert a job and any replica's
// workers may run it; a job's record (state, progress, result) lives in the
// store, so the API can show it wherever it runs.
//
// Handlers are a plain list, one per job kind. The package imports River and
// the domain; it must not import the store, server, api, ui or cli packages.
package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Args are what River carries for every iotsec job: the ID of the job's
// record in the store. Everything else is read from there, so one River
// kind serves all job kinds.
type Args struct {
	JobID string `json:"job_id"`
}

// Kind is River's name for iotsec jobs.
func (Args) Kind() string { return "iotsec" }

// Handler does one kind of job.
type Handler interface {
	Kind() string
	// Run does the job. It checkpoints progress in the store as it goes and
	// skips work a previous attempt checkpointed (job.Done), so it may be
	// interrupted at any point and run again. It returns the result to
	// record, as JSON. A handler that keeps its own count of attempts
	// returns an *iotsec.JobError to be run again after a wait it chooses,
	// or to fail for good.
	Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error)
}

// Config sets up a Queue.
type Config struct {
	Workers int           // jobs run at once on this replica; 0 means 2
	Timeout time.Duration // longest a job may run; 0 means 1 hour
	// PollInterval is how often workers look for jobs when the database
	// cannot notify them (SQLite); 0 means 500 ms.
	PollInterval time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	// Sweep, if set, runs at start and every SweepEvery (default an hour)
	// on one replica at a time (River's leader enqueues it).
	Sweep      func(ctx context.Context) error
	SweepEvery time.Duration
	// Periodic are further tasks run at start and every Every, each on one
	// replica at a time, like Sweep.
	Periodic []Periodic
}

// Periodic is a task run on a schedule.
type Periodic struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Queue runs jobs.
type Queue struct {
	client *river.Client[*sql.Tx]
}

// New returns a queue that runs handlers on driver's database. store is
// where job records live.
func New(driver riverdriver.Driver[*sql.Tx], store iotsec.JobStore, handlers []Handler, cfg Config) (*Queue, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Hour
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &worker{store: store, handlers: map[string]Handler{}, log: cfg.Logger, now: cfg.Now, timeout: cfg.Timeout}
	for _, h := range handlers {
		w.handlers[h.Kind()] = h
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	var periodic []*river.PeriodicJob
	if cfg.Sweep != nil {
		if cfg.SweepEvery <= 0 {
			cfg.SweepEvery = time.Hour
		}
		if err := river.AddWorkerSafely(workers, river.WorkFunc(func(ctx context.Context, _ *river.Job[sweepArgs]) error {
			return cfg.Sweep(ctx)
		})); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepEvery),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if len(cfg.Periodic) > 0 {
		tasks := map[string]Periodic{}
		for _, p := range cfg.Periodic {
			if p.Name == "" || p.Every <= 0 || p.Run == nil {
				return nil, fmt.Errorf("queue: periodic task %q needs a name, an interval and a function", p.Name)
			}
			if _, dup := tasks[p.Name]; dup {
				return nil, fmt.Errorf("queue: periodic task %q appears twice", p.Name)
			}
			tasks[p.Name] = p
			args := periodicArgs{Name: p.Name}
			periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(p.Every),
				func() (river.JobArgs, *river.InsertOpts) { return args, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
		}
		if err := river.AddWorkerSafely(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[periodicArgs]) error {
			p, ok := tasks[j.Args.Name]
			if !ok {
				return river.JobCancel(fmt.Errorf("no periodic task %q", j.Args.Name))
			}
			if err := p.Run(ctx); err != nil {
				cfg.Logger.Warn("periodic task failed", "task", p.Name, "err", err)
				return err
			}
			return nil
		})); err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
	}
	client, err := river.NewClient(driver, &river.Config{
		PeriodicJobs:      periodic,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		FetchPollInterval: cfg.PollInterval,
		// A job still running past its timeout plus this margin belonged
		// to a replica that died; River hands it to another worker.
		RescueStuckJobsAfter: cfg.Timeout + 5*time.Minute,
		Logger:               cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return &Queue{client: client}, nil
}

// sweepArgs is the periodic clean-up of expired sign-in state.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "iotsec.sweep" }

// periodicArgs names the periodic task a job runs.
type periodicArgs struct {
	Name string `json:"name"`
}

func (periodicArgs) Kind() string { return "iotsec.periodic" }

// Start starts the workers; they run until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop cancels running jobs, which checkpoint and ask to be run again at
// once, and waits for them to return.
func (q *Queue) Stop(ctx context.Context) error { return q.client.StopAndCancel(ctx) }

type worker struct {
	river.WorkerDefaults[Args]
	store    iotsec.JobStore
	handlers map[string]Handler
	log      *slog.Logger
	now      func() time.Time
	timeout  time.Duration
}

func (w *worker) Timeout(*river.Job[Args]) time.Duration { return w.timeout }

func (w *worker) Work(ctx context.Context, rj *river.Job[Args]) error {
	id := rj.Args.JobID
	job, input, err := w.store.JobInput(ctx, id)
	if errors.Is(err, iotsec.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("job %s no longer exists", id))
	}
	if err != nil {
		return err // database trouble: let River retry
	}
	if job.State.Done() {
		return nil
	}
	h, ok := w.handlers[job.Kind]
	if !ok {
		w.end(ctx, id, iotsec.JobFailed, nil, fmt.Sprintf("no handler for job kind %q", job.Kind))
		return river.JobCancel(fmt.Errorf("no handler for job kind %q", job.Kind))
	}
	if job, err = w.store.StartJob(ctx, id, w.now()); err != nil {
		return err
	}
	w.log.Info("job start", "job", id, "kind", job.Kind, "attempt", job.Attempts, "done", job.Done)
	result, err := h.Run(ctx, job, input)
	var je *iotsec.JobError
	switch {
	case err == nil:
		w.end(ctx, id, iotsec.JobSucceeded, result, "")
		w.log.Info("job done", "job", id)
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// Interrupted (shutdown or timeout): progress is checkpointed, so
		// ask to be picked up again straight away, without using up an
		// attempt.
		w.log.Info("job interrupted", "job", id, "reason", ctx.Err())
		w.end(ctx, id, iotsec.JobQueued, nil, "interrupted; resumes from the last checkpoint")
		return river.JobSnooze(0)
	case errors.As(err, &je) && je.Final:
		// A handler that counts its own attempts gave up.
		w.end(ctx, id, iotsec.JobFailed, nil, je.Error())
		w.log.Warn("job failed", "job", id, "err", err)
		return river.JobCancel(err)
	case errors.As(err, &je):
		// It chose its wait; a snooze does not use up River's attempts,
		// since the handler keeps the count.
		w.end(ctx, id, iotsec.JobQueued, nil, fmt.Sprintf("attempt failed, next in %s: %s", je.Retry.Round(time.Second), je.Error()))
		w.log.Info("job attempt failed, will retry", "job", id, "after", je.Retry, "err", err)
		return river.JobSnooze(max(je.Retry, 0))
	case iotsec.Kind(err) != nil || rj.Attempt >= rj.MaxAttempts:
		// Bad input will not get better by retrying.
		w.end(ctx, id, iotsec.JobFailed, nil, iotsec.Message(err))
		w.log.Warn("job failed", "job", id, "err", err)
		return river.JobCancel(err)
	default:
		w.log.Warn("job error, will retry", "job", id, "attempt", rj.Attempt, "err", err)
		return err
	}
}

// end records how the attempt ended, even if ctx has been cancelled.
func (w *worker) end(ctx context.Context, id string, state iotsec.JobState, result []byte, msg string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.store.EndJob(ctx, id, state, result, msg, w.now()); err != nil {
		w.log.Error("record job outcome", "job", id, "err", err)
	}
}
