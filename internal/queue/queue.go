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
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

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
	// Heartbeat is how often a running job tells the database it is alive
	// (River's attempted_at); 0 means 5 s. A job whose heartbeat is older
	// than StaleAfter (0 means 30 s) belonged to a replica that died
	// (kill -9, power loss) and is handed to a worker again, checked every
	// Heartbeat: a crashed import resumes within a minute of the restart,
	// not after River's hour-long rescue window.
	Heartbeat  time.Duration
	StaleAfter time.Duration
	// Limits bound how many jobs of a class one organisation runs at
	// once, across every replica on the database: a job over its
	// organisation's limit is not started but waits (a River snooze, no
	// attempt used up) and asks again, while other organisations' jobs
	// run. Slots keeps the count in the database; nil means the store,
	// which must then be a Slots.
	Limits []Limit
	Slots  Slots
	// AdmitWait is how long a job over its limit first waits before it
	// asks again; each further wait is one AdmitWait longer, up to eight
	// (jitter of a quarter either way). 0 means 1 s.
	AdmitWait time.Duration
}

// Limit is one class of job (scans, imports, matches) and how many of
// them one organisation may run at once.
type Limit struct {
	Class  string   // a name for people: "scans"
	Kinds  []string // the job kinds in the class
	PerOrg int      // 0 or less: no limit
}

// Slots hands out each organisation's places to run a class of job. It
// keeps them in the database the replicas share, so that a limit holds
// however many replicas run workers; a slot lasts until a given time and
// is renewed with the job's heartbeat, so that a replica that dies leaves
// none behind for longer than StaleAfter.
type Slots interface {
	// TakeSlot gives job one of org's limit slots of class until the
	// given time and reports whether there was one: one it already holds,
	// a free one, or one that expired before now.
	TakeSlot(ctx context.Context, org, class, job string, limit int, until, now time.Time) (bool, error)
	// KeepSlot renews the slot job holds, if any.
	KeepSlot(ctx context.Context, job string, until time.Time) error
	// FreeSlot gives back the slot job holds, if any.
	FreeSlot(ctx context.Context, job string) error
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
	exec   riverdriver.Executor
	cfg    Config
	stop   context.CancelFunc
	done   chan struct{}
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
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = 30 * time.Second
	}
	if cfg.AdmitWait <= 0 {
		cfg.AdmitWait = time.Second
	}
	w := &worker{store: store, handlers: map[string]Handler{}, log: cfg.Logger, now: cfg.Now, timeout: cfg.Timeout,
		exec: driver.GetExecutor(), heartbeat: cfg.Heartbeat, stale: cfg.StaleAfter, admitWait: cfg.AdmitWait, limits: map[string]Limit{}}
	for _, h := range handlers {
		w.handlers[h.Kind()] = h
	}
	for _, l := range cfg.Limits {
		if l.Class == "" || len(l.Kinds) == 0 {
			return nil, fmt.Errorf("queue: a limit needs a class and job kinds")
		}
		if l.PerOrg <= 0 {
			continue
		}
		for _, k := range l.Kinds {
			if prev, dup := w.limits[k]; dup {
				return nil, fmt.Errorf("queue: job kind %q is limited as %s and as %s", k, prev.Class, l.Class)
			}
			w.limits[k] = l
		}
	}
	if len(w.limits) > 0 {
		w.slots = cfg.Slots
		if w.slots == nil {
			s, ok := store.(Slots)
			if !ok {
				return nil, fmt.Errorf("queue: per-organisation limits need a store that keeps job slots")
			}
			w.slots = s
		}
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
	return &Queue{client: client, exec: driver.GetExecutor(), cfg: cfg}, nil
}

// sweepArgs is the periodic clean-up of expired sign-in state.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "iotsec.sweep" }

// periodicArgs names the periodic task a job runs.
type periodicArgs struct {
	Name string `json:"name"`
}

func (periodicArgs) Kind() string { return "iotsec.periodic" }

// Start starts the workers and the rescue of stale jobs; they run until
// Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.stop, q.done = cancel, make(chan struct{})
	go func() {
		defer close(q.done)
		t := time.NewTicker(q.cfg.Heartbeat)
		defer t.Stop()
		for {
			if err := q.rescue(rctx); err != nil && rctx.Err() == nil {
				q.cfg.Logger.Warn("rescue stale jobs", "err", err)
			}
			select {
			case <-rctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop cancels running jobs, which checkpoint and ask to be run again at
// once, and waits for them to return.
func (q *Queue) Stop(ctx context.Context) error {
	if q.stop != nil {
		q.stop()
		<-q.done
	}
	return q.client.StopAndCancel(ctx)
}

// rescue makes iotsec jobs whose heartbeat stopped available again. Any
// replica may do it: River's update is guarded by the same horizon, and
// its fetch locks a job for one worker.
func (q *Queue) rescue(ctx context.Context) error {
	horizon := time.Now().Add(-q.cfg.StaleAfter)
	stuck, err := q.exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 100, StuckHorizon: horizon})
	if err != nil {
		return err
	}
	p := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
	now := time.Now().UTC()
	for _, j := range stuck {
		if j.Kind != (Args{}).Kind() {
			continue // River's own tasks keep River's rescue window
		}
		msg, _ := json.Marshal(map[string]any{"at": now, "attempt": j.Attempt,
			"error": fmt.Sprintf("no heartbeat for %s: the replica running it stopped; rescued", q.cfg.StaleAfter)})
		p.ID = append(p.ID, j.ID)
		p.Error = append(p.Error, msg)
		p.FinalizedAt = append(p.FinalizedAt, nil)
		p.ScheduledAt = append(p.ScheduledAt, now)
		p.State = append(p.State, string(rivertype.JobStateAvailable))
		q.cfg.Logger.Info("job rescued", "river_job", j.ID, "attempted_at", j.AttemptedAt)
	}
	if len(p.ID) == 0 {
		return nil
	}
	_, err = q.exec.JobRescueMany(ctx, p)
	return err
}

type worker struct {
	river.WorkerDefaults[Args]
	store     iotsec.JobStore
	handlers  map[string]Handler
	log       *slog.Logger
	now       func() time.Time
	timeout   time.Duration
	exec      riverdriver.Executor
	heartbeat time.Duration
	stale     time.Duration
	limits    map[string]Limit // by job kind
	slots     Slots
	admitWait time.Duration
}

// beat keeps the job's attempted_at fresh until ctx ends, so that only a
// job whose replica died looks stale to rescue, and renews its slot, if it
// holds one.
func (w *worker) beat(ctx context.Context, id int64, jobID string, slot bool) {
	t := time.NewTicker(w.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now().UTC()
			if _, err := w.exec.JobUpdateFull(ctx, &riverdriver.JobUpdateFullParams{ID: id, AttemptedAtDoUpdate: true, AttemptedAt: &now}); err != nil && ctx.Err() == nil {
				w.log.Warn("job heartbeat", "river_job", id, "err", err)
			}
			if slot {
				if err := w.slots.KeepSlot(ctx, jobID, now.Add(w.stale)); err != nil && ctx.Err() == nil {
					w.log.Warn("job slot heartbeat", "job", jobID, "err", err)
				}
			}
		}
	}
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
	lim, limited := w.limits[job.Kind]
	superseded := false
	if limited {
		now := time.Now()
		took, err := w.slots.TakeSlot(ctx, job.OrgID, lim.Class, id, lim.PerOrg, now.Add(w.stale), now)
		if err != nil {
			return err // database trouble: let River retry
		}
		if !took {
			msg := fmt.Sprintf("waiting: the organisation already runs %d %s at once, its share of this server; this job starts when one ends", lim.PerOrg, lim.Class)
			if job.Message != msg || job.State != iotsec.JobQueued {
				w.end(ctx, id, iotsec.JobQueued, nil, msg)
			}
			wait := w.admitDelay(rj.Metadata)
			w.log.Debug("job waits for its organisation's share", "job", id, "class", lim.Class, "after", wait)
			return river.JobSnooze(wait)
		}
		defer func() {
			if superseded {
				return // the slot is the newer attempt's now
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := w.slots.FreeSlot(fctx, id); err != nil {
				w.log.Warn("free job slot", "job", id, "err", err) // it expires
			}
		}()
	}
	if job, err = w.store.StartJob(ctx, id, w.now()); err != nil {
		return err
	}
	w.log.Info("job start", "job", id, "kind", job.Kind, "attempt", job.Attempts, "done", job.Done)
	bctx, stopBeat := context.WithCancel(ctx)
	beaten := make(chan struct{})
	go func() { defer close(beaten); w.beat(bctx, rj.ID, id, limited) }()
	result, err := h.Run(ctx, job, input)
	stopBeat()
	<-beaten
	// The attempt's outcome is recorded fenced by the attempt, like its
	// checkpoints: an attempt that finished while a newer one runs
	// records nothing either.
	attempt := job.Attempts
	end := func(state iotsec.JobState, result []byte, msg string) bool {
		return errors.Is(w.endAttempt(ctx, id, attempt, state, result, msg), iotsec.ErrSuperseded)
	}
	var je *iotsec.JobError
	var ret error
	switch {
	case errors.Is(err, iotsec.ErrSuperseded):
		superseded = true
	case err == nil:
		if superseded = end(iotsec.JobSucceeded, result, ""); !superseded {
			w.log.Info("job done", "job", id)
		}
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// Interrupted (shutdown or timeout): progress is checkpointed, so
		// ask to be picked up again straight away, without using up an
		// attempt.
		w.log.Info("job interrupted", "job", id, "reason", ctx.Err())
		superseded, ret = end(iotsec.JobQueued, nil, "interrupted; resumes from the last checkpoint"), river.JobSnooze(0)
	case errors.As(err, &je) && je.Final:
		// A handler that counts its own attempts gave up.
		w.log.Warn("job failed", "job", id, "err", err)
		superseded, ret = end(iotsec.JobFailed, nil, je.Error()), river.JobCancel(err)
	case errors.As(err, &je):
		// It chose its wait; a snooze does not use up River's attempts,
		// since the handler keeps the count.
		w.log.Info("job attempt failed, will retry", "job", id, "after", je.Retry, "err", err)
		superseded = end(iotsec.JobQueued, nil, fmt.Sprintf("attempt failed, next in %s: %s", je.Retry.Round(time.Second), je.Error()))
		ret = river.JobSnooze(max(je.Retry, 0))
	case iotsec.Kind(err) != nil || rj.Attempt >= rj.MaxAttempts:
		// Bad input will not get better by retrying.
		w.log.Warn("job failed", "job", id, "err", err)
		superseded, ret = end(iotsec.JobFailed, nil, iotsec.Message(err)), river.JobCancel(err)
	default:
		w.log.Warn("job error, will retry", "job", id, "attempt", rj.Attempt, "err", err)
		ret = err
	}
	if superseded {
		// This replica stalled past StaleAfter, the job was rescued and a
		// newer attempt carries on from the last checkpoint; this one's
		// last batch (if any) was refused and rolled back. It records
		// nothing and leaves the job's slot to the newer attempt. River's
		// row is the newer attempt's too, and any outcome set here is set
		// on it: snoozing for the longest an attempt may run leaves it to
		// the newer attempt, which ends (or times out) before the row is
		// looked at again; if that replica dies meanwhile, the job
		// resumes then.
		w.log.Warn("job attempt superseded by a newer one; it stops without recording", "job", id, "attempt", attempt, "err", err)
		return river.JobSnooze(w.timeout)
	}
	return ret
}

// admitDelay is how long a job over its organisation's limit waits before
// it asks again: one AdmitWait more for each time it has waited (River
// counts snoozes in the job's metadata), up to eight, with a quarter of
// jitter either way, so that many waiting jobs neither ask in step nor
// keep the database busy asking.
func (w *worker) admitDelay(metadata []byte) time.Duration {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	json.Unmarshal(metadata, &m)
	d := w.admitWait * time.Duration(min(max(m.Snoozes, 0)+1, 8))
	return d*3/4 + rand.N(d/2+1)
}

// end records how the job stands before an attempt started, even if ctx
// has been cancelled.
func (w *worker) end(ctx context.Context, id string, state iotsec.JobState, result []byte, msg string) {
	w.endAttempt(ctx, id, 0, state, result, msg)
}

// endAttempt records how the attempt ended, even if ctx has been
// cancelled; it is refused (iotsec.ErrSuperseded) once a newer attempt
// started.
func (w *worker) endAttempt(ctx context.Context, id string, attempt int, state iotsec.JobState, result []byte, msg string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := w.store.EndAttempt(ctx, id, attempt, state, result, msg, w.now())
	if err != nil && !errors.Is(err, iotsec.ErrSuperseded) {
		w.log.Error("record job outcome", "job", id, "err", err)
	}
	return err
}
