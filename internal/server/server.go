// Package server is iotsec's HTTP front: it mounts the JSON API and the web
// UI on one mux with Go method patterns, wraps them in the middleware every
// request gets (request IDs, logs, metrics, panics, security headers,
// authentication of API tokens), serves /healthz, /readyz, /metrics and
// the OpenAPI document, and turns errors into HTTP status in one place.
//
// It must not import the store implementations, cli or app packages.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/ui"
)

// Options are what the server is built from.
type Options struct {
	API     *api.Handler
	UI      *ui.Handler
	Auth    *auth.Service
	Log     *slog.Logger
	Metrics *prometheus.Registry
	// Ready reports whether this replica can serve: database reachable
	// and migrated.
	Ready func(context.Context) error
	// Public are protocol endpoints anyone may call (CRLs, OCSP): no
	// authentication, their own content types and plain-text errors.
	Public []Route
	// Fair bounds each organisation's share of the expensive API routes
	// and web forms; nil means DefaultFairness. New sets UI.Share, so that
	// an organisation's API requests and forms draw on one share.
	Fair *Fairness
}

// Route is a public endpoint.
type Route struct {
	Method, Path string
	Handler      http.Handler
}

// Server is the http.Handler of iotsec.
type Server struct {
	opts     Options
	mux      *http.ServeMux
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New builds the handler.
func New(o Options) *Server {
	s := &Server{opts: o, mux: http.NewServeMux()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "iotsec_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
	}, []string{"route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "iotsec_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	o.Metrics.MustRegister(s.requests, s.duration)

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{Registry: o.Metrics}))
	s.mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(api.OpenAPI())
	})
	fc := DefaultFairness()
	if o.Fair != nil {
		fc = *o.Fair
	}
	share := newFair(fc)
	if o.UI != nil {
		o.UI.Share = func(org string) (func(), time.Duration) { return share.admit(org, time.Now()) }
	}
	for _, rt := range o.API.Routes() {
		h := rt.Handler
		if slices.Contains(Expensive(), rt.Method+" "+rt.Path) {
			h = share.limit(h)
		}
		s.mux.Handle(rt.Method+" "+rt.Path, s.apiHandler(h))
	}
	for _, rt := range o.UI.Routes() {
		s.mux.Handle(rt.Method+" "+rt.Path, s.pageHandler(rt.Handler))
	}
	for _, rt := range o.Public {
		s.mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	return s
}

// ServeHTTP runs every request through the common middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	h := sw.Header()
	h.Set("X-Request-Id", id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	r = r.WithContext(withRequestID(r.Context(), id))
	defer func() {
		if p := recover(); p != nil {
			s.opts.Log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
			if !sw.wrote {
				s.writeError(sw, r, errors.New("panic"))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		s.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		level := slog.LevelInfo
		if sw.code >= 500 {
			level = slog.LevelError
		} else if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/static/") {
			level = slog.LevelDebug
		}
		s.opts.Log.Log(r.Context(), level, "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
			"route", route, "status", sw.code, "bytes", sw.n, "duration", time.Since(start))
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.unrouted(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// unrouted answers a request no route matches: 405 with Allow when the
// path exists for other methods, else 404; as a problem document under
// /api/ and as a page elsewhere.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	var err error = iotsec.NotFound("route " + r.Method + " " + r.URL.Path)
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		err = &statusError{code: http.StatusMethodNotAllowed, msg: "method " + r.Method + " is not allowed here; allowed: " + strings.Join(allow, ", ")}
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	status := Status(err)
	s.opts.UI.Error(w, r, status, safeMessage(status, err))
}

// statusError carries a status that is about HTTP itself, not the domain.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.opts.Ready(ctx); err != nil {
		s.opts.Log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready:", err)
		return
	}
	fmt.Fprintln(w, "ready")
}

type handlerFunc = func(http.ResponseWriter, *http.Request) error

// apiHandler authenticates the bearer token, then runs h; an error becomes
// a problem document.
func (s *Server) apiHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := s.authenticate(r)
		if err == nil {
			// The authorisation table decides before the handler reads
			// anything.
			err = a.May(iotsec.Operation(r.Pattern))
		}
		if err == nil {
			err = h(w, r.WithContext(iotsec.WithActor(r.Context(), a)))
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate returns the actor of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (iotsec.Actor, error) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return iotsec.Actor{}, auth.ErrNoCredentials
	}
	return s.opts.Auth.Token(r.Context(), strings.TrimSpace(secret))
}

// pageHandler runs a UI handler; an error becomes an HTML page.
func (s *Server) pageHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status := Status(err)
			s.logError(r, status, err)
			s.opts.UI.Error(w, r, status, safeMessage(status, err))
		}
	})
}

// Status is the HTTP status of err: one about HTTP itself (a method the
// route does not allow) or else the domain's mapping, iotsec.HTTPStatus,
// the one place error kinds become statuses.
func Status(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return iotsec.HTTPStatus(err)
}

func safeMessage(status int, err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.msg
	}
	if status == http.StatusRequestEntityTooLarge && iotsec.Kind(err) == nil {
		return "request body is too large"
	}
	return iotsec.Message(err)
}

func (s *Server) logError(r *http.Request, status int, err error) {
	if status >= 500 {
		s.opts.Log.Error("request failed", "request_id", requestID(r.Context()), "path", r.URL.Path, "err", err)
	} else {
		s.opts.Log.Debug("request refused", "request_id", requestID(r.Context()), "path", r.URL.Path, "status", status, "err", err)
	}
}

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Errors   []ProblemField `json:"errors,omitempty"`
}

// ProblemField names the request field a problem is about.
type ProblemField struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	s.logError(r, status, err)
	p := Problem{
		Type:     "tag:iotsec,2026:problem/" + strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "-"),
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   safeMessage(status, err),
		Instance: "urn:request:" + requestID(r.Context()),
	}
	if status == iotsec.StatusClientClosed {
		p.Title = "Client Closed Request"
	}
	if f := iotsec.FieldOf(err); f != "" {
		var e *iotsec.Error
		errors.As(err, &e)
		p.Errors = []ProblemField{{Field: f, Detail: e.Message}}
		// An input with several problems (an imported file) names each.
		if len(e.Details) > 0 {
			p.Errors = p.Errors[:0]
			for _, d := range e.Details {
				p.Errors = append(p.Errors, ProblemField{Field: f, Detail: d})
			}
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="iotsec"`)
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		// A service's refusal (every match slot of the organisation
		// taken) says no time of its own.
		w.Header().Set("Retry-After", strconv.Itoa(ui.RetryAfter))
	}
	writeJSON(w, status, "application/problem+json", p)
}

type ctxKey int

const requestIDKey ctxKey = 0

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter records what was written, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	code  int
	n     int64
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
