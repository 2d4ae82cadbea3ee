package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/queue"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// block is a handler whose first run hangs, ignoring cancellation, as a
// replica that died would never return; later runs return at once.
type block struct {
	runs    atomic.Int32
	release chan struct{}
}

func (*block) Kind() string { return "test-block" }

func (b *block) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	if b.runs.Add(1) == 1 {
		<-b.release
	}
	return json.RawMessage(`{}`), nil
}

// TestRescue: a job whose heartbeat stops is run again by another
// replica's queue within seconds; a job whose heartbeat goes on is not.
func TestRescue(t *testing.T) {
	for name, st := range apptest.Stores(t, nil) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := iotsec.Organisation{Name: "Acme", Country: "NL"}
			apptest.Must(t, st.CreateOrg(ctx, "t", &o, ""))
			a := iotsec.System(o.ID, "t")
			start := func(h *block, cfg queue.Config) *queue.Queue {
				cfg.PollInterval = 100 * time.Millisecond
				q, err := queue.New(st.River(), st, []queue.Handler{h}, cfg)
				apptest.Must(t, err)
				apptest.Must(t, q.Start(ctx))
				return q
			}
			wait := func(what string, cond func() bool) {
				t.Helper()
				for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatalf("timed out waiting for %s", what)
					}
				}
			}

			// Heartbeats every 100 ms, stale after 600 ms: a job running
			// 1.5 s is left alone.
			live := &block{release: make(chan struct{})}
			q1 := start(live, queue.Config{Heartbeat: 100 * time.Millisecond, StaleAfter: 600 * time.Millisecond})
			j := iotsec.Job{Kind: "test-block", Total: 1}
			apptest.Must(t, st.CreateJob(ctx, a, &j, nil))
			wait("the first run", func() bool { return live.runs.Load() == 1 })
			time.Sleep(1500 * time.Millisecond)
			if n := live.runs.Load(); n != 1 {
				t.Fatalf("a job with a live heartbeat ran %d times", n)
			}
			close(live.release)
			wait("the job to finish", func() bool { g, _ := st.GetJob(ctx, a, j.ID); return g.State == iotsec.JobSucceeded })
			apptest.Must(t, q1.Stop(ctx))

			// A queue whose heartbeat never comes (an hour) is a dead
			// replica: another queue rescues its job.
			dead := &block{release: make(chan struct{})}
			defer close(dead.release)
			qd := start(dead, queue.Config{Heartbeat: time.Hour, StaleAfter: time.Hour})
			j2 := iotsec.Job{Kind: "test-block", Total: 1}
			apptest.Must(t, st.CreateJob(ctx, a, &j2, nil))
			wait("the doomed run", func() bool { return dead.runs.Load() == 1 })
			took := time.Now()
			q2 := start(dead, queue.Config{Heartbeat: 100 * time.Millisecond, StaleAfter: 500 * time.Millisecond})
			wait("the rescued run", func() bool { g, _ := st.GetJob(ctx, a, j2.ID); return g.State == iotsec.JobSucceeded })
			t.Logf("rescued and finished %s after the second queue started", time.Since(took).Round(time.Millisecond))
			if n := dead.runs.Load(); n != 2 {
				t.Errorf("runs = %d, want 2", n)
			}
			stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			q2.Stop(stopCtx)
			qd.Stop(stopCtx)
		})
	}
}

// stall is a handler whose first run stalls (a replica frozen past the
// rescue window) and, released, writes a checkpoint (if checkpoint) and
// returns; later runs write theirs and wait for finish.
type stall struct {
	st         iotsec.JobStore
	checkpoint bool
	runs       atomic.Int32
	release    chan struct{}
	finish     chan struct{}
	stale      chan error // what the stalled run's checkpoint answered
}

func (*stall) Kind() string { return "test-stall" }

func (h *stall) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	if h.runs.Add(1) == 1 {
		<-h.release
		var err error
		if h.checkpoint {
			err = h.st.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: 1, Total: 10, Message: "stalled attempt", Attempt: job.Attempts})
		}
		h.stale <- err
		if err != nil {
			return nil, err
		}
		return json.RawMessage(`{"by":"stalled"}`), nil
	}
	if err := h.st.SaveProgress(ctx, iotsec.Progress{JobID: job.ID, Done: 5, Total: 10, Message: "newer attempt", Attempt: job.Attempts}); err != nil {
		return nil, err
	}
	<-h.finish
	return json.RawMessage(`{"by":"newer"}`), nil
}

// TestStalledAttemptFenced: a replica that stalls past StaleAfter sees its
// job rescued and run by a newer attempt; when it wakes, its checkpoint is
// refused (ErrSuperseded), or, if it finishes without one, its outcome
// is, and it records nothing, so the newer attempt's checkpoint and
// outcome stand.
func TestStalledAttemptFenced(t *testing.T) {
	for name, st := range apptest.Stores(t, nil) {
		for _, checkpoint := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/checkpoint=%v", name, checkpoint), func(t *testing.T) {
				stalledAttemptFenced(t, st, checkpoint)
			})
		}
	}
}

func stalledAttemptFenced(t *testing.T, st *sqlstore.Store, checkpoint bool) {
	ctx := context.Background()
	o := iotsec.Organisation{Name: fmt.Sprintf("Acme %v", checkpoint), Country: "NL"}
	apptest.Must(t, st.CreateOrg(ctx, "t", &o, ""))
	a := iotsec.System(o.ID, "t")
	h := &stall{st: st, checkpoint: checkpoint, release: make(chan struct{}), finish: make(chan struct{}), stale: make(chan error, 1)}
	start := func(cfg queue.Config) *queue.Queue {
		cfg.PollInterval = 100 * time.Millisecond
		q, err := queue.New(st.River(), st, []queue.Handler{h}, cfg)
		apptest.Must(t, err)
		apptest.Must(t, q.Start(ctx))
		return q
	}
	get := func(id string) iotsec.Job {
		t.Helper()
		g, err := st.GetJob(ctx, a, id)
		apptest.Must(t, err)
		return g
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	// The stalled replica: no heartbeat for an hour.
	qs := start(queue.Config{Heartbeat: time.Hour, StaleAfter: time.Hour})
	j := iotsec.Job{Kind: "test-stall", Total: 10}
	apptest.Must(t, st.CreateJob(ctx, a, &j, nil))
	wait("the stalled run", func() bool { return h.runs.Load() == 1 })
	q2 := start(queue.Config{Heartbeat: 100 * time.Millisecond, StaleAfter: 500 * time.Millisecond})
	wait("the newer attempt's checkpoint", func() bool { return get(j.ID).Done == 5 })

	close(h.release) // the stalled replica wakes
	if err := <-h.stale; checkpoint && !errors.Is(err, iotsec.ErrSuperseded) {
		t.Errorf("the stalled attempt's checkpoint = %v, want ErrSuperseded", err)
	}
	time.Sleep(300 * time.Millisecond) // the stalled worker records its outcome, if it does
	if g := get(j.ID); g.Done != 5 || g.Message != "newer attempt" || g.State != iotsec.JobRunning || g.Attempts != 2 {
		t.Errorf("after the stalled attempt woke: %+v, want the newer attempt's checkpoint (5, running, attempt 2)", g)
	}
	close(h.finish)
	wait("the newer attempt to finish", func() bool { return get(j.ID).State == iotsec.JobSucceeded })
	if g := get(j.ID); g.Done != 5 || string(g.Result) != `{"by":"newer"}` {
		t.Errorf("finished job %+v, want the newer attempt's checkpoint and result", g)
	}
	if n := h.runs.Load(); n != 2 {
		t.Errorf("runs = %d, want 2", n)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	q2.Stop(stopCtx)
	qs.Stop(stopCtx)
}
