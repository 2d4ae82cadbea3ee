package server

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Fairness bounds what one organisation may ask of the expensive API
// endpoints and their web forms (firmware uploads that start scans, SBOM
// uploads and re-matches, device and scheme imports: Expensive and
// ui.ExpensiveForms), so that on a shared server one organisation's flood
// answers 429 with Retry-After while the others' requests go on as usual.
// Each organisation has its own token bucket and its own count of such
// requests in flight, per replica (the config's fair-rate, fair-burst and
// fair-in-flight). The work those requests queue is bounded across
// replicas by the queue's per-organisation limits.
type Fairness struct {
	Rate     rate.Limit // expensive requests per second per organisation
	Burst    int        // and the bucket's size
	InFlight int        // expensive requests of one organisation at once
}

// DefaultFairness leaves a person or a CI job ample room (a burst of 60,
// then 5 a second, 8 at once) and stops a loop.
func DefaultFairness() Fairness { return Fairness{Rate: 5, Burst: 60, InFlight: 8} }

// Expensive lists the API routes Fairness applies to.
func Expensive() []string {
	return []string{
		"POST /api/v1/firmware/{id}/image",
		"PUT /api/v1/firmware/{id}/sbom",
		"POST /api/v1/firmware/{id}/rematch",
		"POST /api/v1/devices/import",
		"POST /api/v1/schemes/imports",
	}
}

type fair struct {
	cfg  Fairness
	mu   sync.Mutex
	orgs map[string]*orgShare
}

type orgShare struct {
	lim      *rate.Limiter
	inFlight int
}

func newFair(cfg Fairness) *fair {
	return &fair{cfg: cfg, orgs: map[string]*orgShare{}}
}

// admit takes a share for org, or says how long to wait. done gives the
// share back.
func (f *fair) admit(org string, now time.Time) (done func(), wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.orgs[org]
	if s == nil {
		s = &orgShare{lim: rate.NewLimiter(f.cfg.Rate, f.cfg.Burst)}
		f.orgs[org] = s
	}
	if s.inFlight >= f.cfg.InFlight {
		return nil, time.Second
	}
	r := s.lim.ReserveN(now, 1)
	if !r.OK() {
		return nil, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, d
	}
	s.inFlight++
	return func() {
		f.mu.Lock()
		s.inFlight--
		f.mu.Unlock()
	}, 0
}

// limit wraps an expensive route's handler.
func (f *fair) limit(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, ok := iotsec.ActorFrom(r.Context())
		if !ok {
			return h(w, r)
		}
		done, wait := f.admit(a.OrgID, time.Now())
		if done == nil {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			// The upload is not read: closing the connection spares the
			// server reading and discarding it to keep the connection.
			w.Header().Set("Connection", "close")
			return iotsec.Errorf(iotsec.ErrRateLimited, "your organisation has sent more uploads, imports and matches than its share of this server; try again in %d s", max(secs, 1))
		}
		defer done()
		return h(w, r)
	}
}
