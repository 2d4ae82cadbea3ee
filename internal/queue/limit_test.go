package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/queue"
)

// busy is a handler that works for a while and records how many jobs of
// each organisation run at once, whichever queue runs them.
type busy struct {
	kind  string
	work  time.Duration
	mu    sync.Mutex
	now   map[string]int // organisation -> jobs running
	peak  map[string]int
	start map[string][]time.Time
	end   map[string][]time.Time
}

func newBusy(kind string, work time.Duration) *busy {
	return &busy{kind: kind, work: work, now: map[string]int{}, peak: map[string]int{}, start: map[string][]time.Time{}, end: map[string][]time.Time{}}
}

func (b *busy) Kind() string { return b.kind }

func (b *busy) Run(ctx context.Context, job iotsec.Job, input []byte) (json.RawMessage, error) {
	b.mu.Lock()
	b.now[job.OrgID]++
	b.peak[job.OrgID] = max(b.peak[job.OrgID], b.now[job.OrgID])
	b.start[job.OrgID] = append(b.start[job.OrgID], time.Now())
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.now[job.OrgID]--
		b.end[job.OrgID] = append(b.end[job.OrgID], time.Now())
		b.mu.Unlock()
	}()
	select {
	case <-time.After(b.work):
		return json.RawMessage(`{}`), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestLimitAcrossReplicas: two queues, each with its own store on one
// database (two replicas), run organisation A's flood of jobs at most
// limit at a time between them, while organisation B's jobs run in the
// meantime rather than after A's; A's jobs waiting their turn say so and
// all finish; jobs of a kind without a limit are not held back.
func TestLimitAcrossReplicas(t *testing.T) {
	for name, pair := range apptest.Replicas(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := pair[0]
			org := func(n string) iotsec.Actor {
				o := iotsec.Organisation{Name: n, Country: "NL"}
				apptest.Must(t, st.CreateOrg(ctx, "t", &o, ""))
				return iotsec.System(o.ID, "t")
			}
			a, b := org("Flood"), org("Victim")
			scans := newBusy("test-scan", 400*time.Millisecond)
			free := newBusy("test-free", 400*time.Millisecond)
			const limit = 2
			var queues []*queue.Queue
			for _, s := range pair {
				q, err := queue.New(s.River(), s, []queue.Handler{scans, free}, queue.Config{
					Workers: 4, PollInterval: 100 * time.Millisecond, AdmitWait: 100 * time.Millisecond,
					Limits: []queue.Limit{{Class: "scans", Kinds: []string{"test-scan"}, PerOrg: limit}},
				})
				apptest.Must(t, err)
				apptest.Must(t, q.Start(ctx))
				queues = append(queues, q)
			}
			defer func() {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				for _, q := range queues {
					q.Stop(sctx)
				}
			}()
			create := func(a iotsec.Actor, kind string, n int) []string {
				var ids []string
				for range n {
					j := iotsec.Job{Kind: kind, Total: 1}
					apptest.Must(t, st.CreateJob(ctx, a, &j, nil))
					ids = append(ids, j.ID)
				}
				return ids
			}
			flood := create(a, "test-scan", 8)
			time.Sleep(100 * time.Millisecond) // A's flood is queued first
			victim := create(b, "test-scan", 2)
			unlimited := create(a, "test-free", 4)

			sawWaiting := false
			done := func(ids []string, who iotsec.Actor) bool {
				for _, id := range ids {
					j, err := st.GetJob(ctx, who, id)
					apptest.Must(t, err)
					if j.State == iotsec.JobQueued && strings.HasPrefix(j.Message, "waiting: the organisation already runs 2 scans at once") {
						sawWaiting = true
					}
					if j.State == iotsec.JobFailed {
						t.Fatalf("job %s failed: %s", id, j.Error)
					}
					if j.State != iotsec.JobSucceeded {
						return false
					}
				}
				return true
			}
			for deadline := time.Now().Add(60 * time.Second); !(done(flood, a) && done(victim, b) && done(unlimited, a)); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("timed out waiting for the jobs")
				}
			}
			scans.mu.Lock()
			defer scans.mu.Unlock()
			free.mu.Lock()
			defer free.mu.Unlock()
			t.Logf("peak scans at once: A %d, B %d; jobs without a limit: %d", scans.peak[a.OrgID], scans.peak[b.OrgID], free.peak[a.OrgID])
			if p := scans.peak[a.OrgID]; p > limit || p < 1 {
				t.Errorf("A ran %d scans at once across both replicas, want at most %d", p, limit)
			}
			if got := len(scans.start[a.OrgID]); got != len(flood) {
				t.Errorf("A's scans ran %d times, want %d (once each)", got, len(flood))
			}
			if !sawWaiting {
				t.Error("no job of A's flood was seen waiting with a message saying why")
			}
			// B's scans started before A's flood was over: they did not
			// queue behind it.
			lastA := scans.end[a.OrgID][len(scans.end[a.OrgID])-1]
			for _, s := range scans.start[b.OrgID] {
				if !s.Before(lastA) {
					t.Errorf("B's scan started at %s, after A's flood ended at %s", s.Format("15:04:05.000"), lastA.Format("15:04:05.000"))
				}
			}
			if free.peak[a.OrgID] <= limit {
				t.Errorf("jobs of a kind without a limit ran at most %d at once, want more than %d", free.peak[a.OrgID], limit)
			}
		})
	}
}

// TestSlots: the store's slots, as the queue uses them. A job takes one
// of its organisation's slots of a class, or none when they are taken; a
// job that holds one takes it again; another organisation or class has
// its own; an expired slot goes to the next job; a freed one too. Many
// jobs asking at once on two replicas get exactly limit slots.
func TestSlots(t *testing.T) {
	for name, pair := range apptest.Replicas(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := pair[0]
			t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			until := t0.Add(30 * time.Second)
			for i, tt := range []struct {
				org, class, job string
				limit           int
				now             time.Time
				want            bool
			}{
				{"org_a", "scans", "job_1", 1, t0, true},
				{"org_a", "scans", "job_2", 1, t0, false},
				{"org_a", "scans", "job_1", 1, t0, true}, // held already
				{"org_b", "scans", "job_3", 1, t0, true},
				{"org_a", "imports", "job_4", 1, t0, true},
				{"org_a", "scans", "job_2", 2, t0, true}, // a second slot
				{"org_a", "scans", "job_5", 2, t0, false},
				{"org_a", "scans", "job_5", 2, until.Add(time.Second), true}, // job_1's slot expired
			} {
				got, err := s.TakeSlot(ctx, tt.org, tt.class, tt.job, tt.limit, until, tt.now)
				apptest.Must(t, err)
				if got != tt.want {
					t.Errorf("%d: TakeSlot(%s, %s, %s, %d) = %v, want %v", i, tt.org, tt.class, tt.job, tt.limit, got, tt.want)
				}
			}
			apptest.Must(t, s.FreeSlot(ctx, "job_5"))
			if ok, _ := s.TakeSlot(ctx, "org_a", "scans", "job_6", 2, until, t0); !ok {
				t.Error("a freed slot was not taken")
			}
			apptest.Must(t, s.KeepSlot(ctx, "job_6", until.Add(time.Hour)))
			later := until.Add(time.Minute)
			if ok, _ := s.TakeSlot(ctx, "org_a", "scans", "job_7", 2, later.Add(30*time.Second), later); !ok {
				t.Error("job_2's expired slot was not taken") // job_6 kept its own
			}
			if ok, _ := s.TakeSlot(ctx, "org_a", "scans", "job_8", 2, later.Add(30*time.Second), later); ok {
				t.Error("a kept slot was taken")
			}

			// A race: 40 jobs, half on each replica, for 3 slots.
			const limit = 3
			var mu sync.Mutex
			var wg sync.WaitGroup
			took := 0
			for i := range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := pair[i%2].TakeSlot(ctx, "org_r", "scans", fmt.Sprintf("race_%d", i), limit, until, t0)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						took++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if took != limit {
				t.Errorf("40 jobs asking at once took %d slots, want %d", took, limit)
			}
		})
	}
}

// TestLimitSettings: limits that cannot be applied are refused when the
// queue is built, with what is wrong.
func TestLimitSettings(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	for _, tt := range []struct {
		name   string
		limits []queue.Limit
		want   string
	}{
		{"no class", []queue.Limit{{Kinds: []string{"a"}, PerOrg: 1}}, "a limit needs a class and job kinds"},
		{"no kinds", []queue.Limit{{Class: "scans", PerOrg: 1}}, "a limit needs a class and job kinds"},
		{"kind twice", []queue.Limit{{Class: "scans", Kinds: []string{"a"}, PerOrg: 1}, {Class: "imports", Kinds: []string{"a"}, PerOrg: 2}},
			`job kind "a" is limited as scans and as imports`},
		{"fine", []queue.Limit{{Class: "scans", Kinds: []string{"a"}, PerOrg: 1}, {Class: "imports", Kinds: []string{"b"}, PerOrg: 0}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := queue.New(st.River(), st, nil, queue.Config{Limits: tt.limits})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
