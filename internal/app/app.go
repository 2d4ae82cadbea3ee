// Package app is the composition root: it builds the store, engines, queue
// and HTTP server from a Config, and is the only package besides cli that
// knows all of them.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/queue"
	"github.com/iotsec/iotsec/internal/server"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/ui"
)

// OpenStore opens the database the configuration names. It does not migrate.
func OpenStore(ctx context.Context, cfg config.Config, opts sqlstore.Options) (*sqlstore.Store, error) {
	if cfg.IsPostgres() {
		return postgres.Open(ctx, cfg.Database, opts)
	}
	return sqlite.Open(ctx, cfg.SQLitePath(), opts)
}

// Open opens the database the configuration names and migrates it: what
// the server and every command that uses the database start with. It
// returns the migrations it applied; on failure nothing is left open.
func Open(ctx context.Context, cfg config.Config, opts sqlstore.Options) (*sqlstore.Store, []int, error) {
	store, err := OpenStore(ctx, cfg, opts)
	if err != nil {
		return nil, nil, err
	}
	applied, err := store.Migrate(ctx)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, applied, nil
}

// App is a running iotsec server: store, services, queue and HTTP handler.
type App struct {
	Config  config.Config
	Store   *sqlstore.Store
	Auth    *auth.Service
	Handler http.Handler
	Queue   *queue.Queue // nil when Config.Workers is 0
	Log     *slog.Logger
	Metrics *prometheus.Registry
	// Services are the capability services (Catalog, Evaluation,
	// Identity, Supply), built by NewServices exactly as the command line builds them.
	*Services
	// Import is the device-import job handler; tests set its AfterBatch.
	Import *inventory.Handler
	// Scan is the firmware-scan job handler.
	Scan *evaluation.Handler
	// EST serves enrolment over TLS when Config.ESTAddr is set.
	EST *http.Server
}

// Options are the injectable parts of an App.
type Options struct {
	Now  func() time.Time
	Rand io.Reader
}

// New opens the database, migrates it and builds the server. On failure
// it closes the store it opened, in one place.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *App, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store, applied, err := Open(ctx, cfg, sqlstore.Options{Now: opts.Now, Rand: opts.Rand})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			store.Close()
		}
	}()
	if len(applied) > 0 {
		log.Info("migrated database", "database", cfg.Redacted(), "applied", applied)
	}
	a := &App{Config: cfg, Store: store, Log: log, Metrics: prometheus.NewRegistry()}
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(store.DB(), store.Dialect().Name))

	a.Auth = auth.New(store)
	a.Auth.Now, a.Auth.Rand, a.Auth.SessionTTL = opts.Now, opts.Rand, cfg.SessionTTL
	a.Auth.BaseURL = cfg.URL()

	if a.Services, err = NewServices(store, cfg, log, opts); err != nil {
		return nil, err
	}
	// Repeated failed sign-ins are told to the account's owner, and
	// invitations their link, by the same mail relay the notifications use.
	if a.Supply.Mail != nil {
		a.Auth.Mail = a.Supply.Mail.Send
	}
	// Webhook secrets stored in the clear by versions before migration
	// 0010 are sealed under the key-encryption key now.
	if n, err := a.Supply.SealWebhookSecrets(ctx); iotsec.Kind(err) == iotsec.ErrUnavailable {
		log.Warn("webhook secrets stay in the clear until a key-encryption key is configured", "err", err)
	} else if err != nil {
		return nil, fmt.Errorf("seal webhook secrets: %w", err)
	} else if n > 0 {
		log.Info("sealed webhook secrets stored in the clear", "count", n)
	}
	if len(a.Identity.KEK) == 0 {
		log.Info("no CA key-encryption key configured (IOTSEC_CA_KEY or --ca-key-file): device certificates cannot be issued")
	}
	// A server matches often: it keeps all vulnerability data indexed in
	// memory up to this many advisories (about 600 bytes each; the NVD
	// holds some 300,000), and loads candidates per SBOM beyond.
	a.Supply.IndexLimit = 500_000

	apiH := api.New(store)
	apiH.MaxBody, apiH.Now, apiH.Schemes, apiH.Identity = cfg.MaxBody, opts.Now, a.Catalog, a.Identity
	apiH.Evaluation, apiH.Tool = a.Evaluation, "iotsec "+Version()
	apiH.Supply, apiH.Registry, apiH.Policy, apiH.Workspace = a.Supply, a.Registry, a.Policy, a.Workspace
	apiH.Auth = a.Auth
	apiH.Dashboard = a.Dashboard
	uiH, err := ui.New(store, a.Auth, log, Version())
	if err != nil {
		return nil, err
	}
	uiH.Now, uiH.SecureCookies, uiH.TrustProxy, uiH.Schemes, uiH.Identity = opts.Now, cfg.SecureCookies, cfg.TrustProxy, a.Catalog, a.Identity
	uiH.Evaluation, uiH.Registry = a.Evaluation, a.Registry
	uiH.Supply, uiH.Policy, uiH.Workspace = a.Supply, a.Policy, a.Workspace
	uiH.Dashboard = a.Dashboard
	var public []server.Route
	for _, r := range a.Identity.Routes() {
		public = append(public, server.Route{Method: r.Method, Path: r.Path, Handler: r.Handler})
	}
	for _, r := range a.Registry.Routes() {
		public = append(public, server.Route{Method: r.Method, Path: r.Path, Handler: r.Handler})
	}
	// Each organisation's share of the expensive requests, API and forms.
	fair := server.Fairness{Rate: rate.Limit(cfg.FairRate), Burst: cfg.FairBurst, InFlight: cfg.FairInFlight}
	a.Handler = server.New(server.Options{API: apiH, UI: uiH, Auth: a.Auth, Log: log, Metrics: a.Metrics, Ready: store.Ping, Public: public, Fair: &fair})
	if cfg.ESTAddr != "" {
		if a.EST, err = a.estServer(); err != nil {
			return nil, err
		}
	}

	a.Import = &inventory.Handler{Store: store, Next: identity.Next}
	// A server runs several scans at once next to everything else: one
	// scan may unpack what the command line allows (20 times the image, at
	// least 64 MiB) but never more than the configured cap; the queue
	// lets each organisation run at most ScansPerOrg scans at once.
	a.Evaluation.Limits = firmware.Limits{Cap: cfg.ScanMaxBytes}
	a.Evaluation.FreeMemory = true
	a.Scan = &evaluation.Handler{Service: a.Evaluation}
	a.Evaluation.AfterScan = func(ctx context.Context, actor iotsec.Actor, firmwareID string) error {
		// The scan job's own match: it waited its turn in the queue.
		_, err := a.Supply.Rematch(supply.Queued(ctx), actor, firmwareID)
		return err
	}
	// A re-match asked for in a request counts against the organisation's
	// match share like its queued re-match jobs, across replicas.
	a.Supply.MatchSlot = matchSlot(store, cfg.MatchesPerOrg, opts.Now, log)
	if cfg.Workers > 0 {
		sweep := func(ctx context.Context) error {
			n, err := store.Sweep(ctx, opts.Now())
			log.Debug("swept expired sessions, links and sign-in attempts", "rows", n)
			return err
		}
		// CRLs are regenerated on every revocation; the schedule keeps
		// them from passing their nextUpdate when nothing changes.
		crls := queue.Periodic{Name: "crl-refresh", Every: time.Hour, Run: a.Identity.RefreshCRLs}
		// Labels expire and lapse by the clock: the day a period or a
		// firmware version's support ends, within the hour.
		expiry := queue.Periodic{Name: "registry-expiry", Every: time.Hour, Run: a.expireLabels}
		// Each organisation's dashboard figures once a day (the first run
		// of the day takes them; the others find them taken).
		snapshots := queue.Periodic{Name: "dashboard-snapshots", Every: time.Hour, Run: a.snapshotDashboards("job")}
		periodic := []queue.Periodic{crls, expiry, snapshots}
		if cfg.AuditHeadDir != "" {
			// Signed heads kept away from the database: deleting the
			// newest audit events is found against the last one.
			periodic = append(periodic, queue.Periodic{Name: "audit-heads", Every: time.Hour, Run: a.ExportAuditHeads})
		}
		a.Queue, err = queue.New(store.River(), store, []queue.Handler{a.Import, a.Scan, &supply.Handler{Service: a.Supply}, &supply.DeliveryHandler{Service: a.Supply}},
			queue.Config{Workers: cfg.Workers, Logger: log, Now: opts.Now, Sweep: sweep, Periodic: periodic, Limits: Limits(cfg)})
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Limits are the per-organisation limits on concurrent jobs the queue
// enforces across replicas: scans, device imports and re-matches, each
// its own class. Deliveries are not limited: they wait on other servers,
// not on this one.
func Limits(cfg config.Config) []queue.Limit {
	return []queue.Limit{
		{Class: "scans", Kinds: []string{evaluation.JobKind}, PerOrg: cfg.ScansPerOrg},
		{Class: "imports", Kinds: []string{inventory.Kind}, PerOrg: cfg.ImportsPerOrg},
		{Class: "matches", Kinds: []string{supply.JobKind}, PerOrg: cfg.MatchesPerOrg},
	}
}

// slotTable is the queue's table of per-organisation slots.
type slotTable interface {
	TakeSlot(ctx context.Context, org, class, job string, limit int, until, now time.Time) (bool, error)
	FreeSlot(ctx context.Context, job string) error
}

// matchSlot takes one of an organisation's "matches" slots, the class its
// queued re-match jobs count in (Limits), for a re-match asked for in a
// request, and gives it back when the match is done. A replica that dies
// mid-match leaves the slot to expire after matchSlotHold.
func matchSlot(slots slotTable, perOrg int, now func() time.Time, log *slog.Logger) func(ctx context.Context, org string) (func(), error) {
	return func(ctx context.Context, org string) (func(), error) {
		id := "request-" + rand.Text()
		t := now()
		took, err := slots.TakeSlot(ctx, org, "matches", id, perOrg, t.Add(matchSlotHold), t)
		if err != nil {
			return nil, err
		}
		if !took {
			return nil, iotsec.Errorf(iotsec.ErrRateLimited, "your organisation already runs %d vulnerability match(es) at once, its share of this server; try again in a few seconds", perOrg)
		}
		return func() {
			if err := slots.FreeSlot(context.WithoutCancel(ctx), id); err != nil {
				log.Warn("free a match slot", "err", err)
			}
		}, nil
	}
}

// matchSlotHold bounds how long a request's match slot outlives a replica
// that died holding it; a match takes well under a second.
const matchSlotHold = 2 * time.Minute

// expireLabels expires and lapses the registry's records as of now.
// ExportAuditHeads writes each organisation's signed audit head to
// Config.AuditHeadDir as ORG-ID/SEQ.head (zero-padded, so the newest sorts
// last), once per head: an unchanged chain writes nothing. `iotsec audit
// verify --org ORG --head FILE` then finds events deleted since.
func (a *App) ExportAuditHeads(ctx context.Context) error {
	dir := a.Config.AuditHeadDir
	if dir == "" {
		return nil
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range orgs {
		h, err := a.Store.AuditHead(ctx, o.ID)
		if err != nil || h.Seq == 0 {
			errs = append(errs, err)
			continue
		}
		od := filepath.Join(dir, o.ID)
		name := filepath.Join(od, fmt.Sprintf("%020d.head", h.Seq))
		if _, err := os.Stat(name); err == nil {
			continue
		}
		note, _, err := a.Registry.SignAuditHead(ctx, h)
		if err != nil {
			errs = append(errs, fmt.Errorf("audit head of %s: %w", o.Name, err))
			continue
		}
		if err := os.MkdirAll(od, 0o700); err != nil {
			errs = append(errs, err)
			continue
		}
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, note, 0o600); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Rename(tmp, name))
	}
	return errors.Join(errs...)
}

// snapshotDashboards stores today's dashboard snapshot of every
// organisation that has none yet.
func (a *App) snapshotDashboards(source string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n, err := a.Dashboard.SnapshotAll(ctx, source, false)
		if n > 0 {
			a.Log.Debug("dashboard snapshots", "organisations", n, "source", source)
		}
		return err
	}
}

func (a *App) expireLabels(ctx context.Context) error {
	_, err := a.Registry.Expire(ctx, a.Registry.Now())
	return err
}

// Serve listens on the configured addresses and serves until ctx ends,
// then shuts down: it stops taking requests, lets running ones finish, and
// interrupts jobs, which checkpoint and resume on the next start.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Config.Addr, err)
	}
	var estLn net.Listener
	if a.EST != nil {
		if estLn, err = net.Listen("tcp", a.Config.ESTAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen %s (EST): %w", a.Config.ESTAddr, err)
		}
	}
	return a.ServeListeners(ctx, ln, estLn, ready)
}

// ServeListener is Serve on an existing listener, without EST.
func (a *App) ServeListener(ctx context.Context, ln net.Listener, ready func(addr string)) error {
	return a.ServeListeners(ctx, ln, nil, ready)
}

// ServeListeners is Serve on existing listeners; estLn (TLS is added)
// may be nil.
func (a *App) ServeListeners(ctx context.Context, ln, estLn net.Listener, ready func(addr string)) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Minute, // firmware images up to max-image (512 MiB) on slow links; ReadHeaderTimeout stops slow clients
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Records whose period or support ended while the server was down
	// expire before the first request.
	if err := a.expireLabels(ctx); err != nil {
		a.Log.Error("registry expiry at start", "err", err)
	}
	// Today's dashboard snapshots, when the day has none yet: the workers'
	// periodic job takes them when they start; a server without workers
	// takes them here, once.
	if a.Queue == nil {
		if err := a.snapshotDashboards("start")(ctx); err != nil {
			a.Log.Error("dashboard snapshots at start", "err", err)
		}
	}
	if a.Queue != nil {
		if err := a.Queue.Start(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("start workers: %w", err)
		}
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if estLn != nil && a.EST != nil {
		a.EST.BaseContext = srv.BaseContext
		go func() { errc <- a.EST.ServeTLS(estLn, "", "") }()
		a.Log.Info("EST enrolment server", "addr", estLn.Addr().String(), "path", "/.well-known/est/")
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		a.Log.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if estLn != nil && a.EST != nil {
		serr = errors.Join(serr, a.EST.Shutdown(sctx))
	}
	a.stopQueue()
	if err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// estServer builds the EST server: TLS 1.2 or later, client certificates
// requested but verified by the backend (IDevID roots are per
// organisation), with the configured certificate or one from the only CA.
func (a *App) estServer() (*http.Server, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert}
	if a.Config.ESTCert != "" {
		c, err := tls.LoadX509KeyPair(a.Config.ESTCert, a.Config.ESTKey)
		if err != nil {
			return nil, fmt.Errorf("EST server certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	} else {
		cfg.GetCertificate = a.Identity.ServerCertificate(estHosts(a.Config))
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "iotsec_est_requests_total", Help: "EST requests by operation and status code.",
	}, []string{"op", "code"})
	a.Metrics.MustRegister(requests)
	mux := http.NewServeMux()
	mux.Handle("/.well-known/est/", a.Identity.EST(a.Log))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(sw, r)
		op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if !strings.HasPrefix(r.URL.Path, "/.well-known/est/") {
			op = "other"
		}
		requests.WithLabelValues(op, fmt.Sprint(sw.code)).Inc()
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelError
		}
		a.Log.Log(r.Context(), level, "est request", "method", r.Method, "path", r.URL.Path, "status", sw.code,
			"client_cert", len(r.TLS.PeerCertificates) > 0, "duration", time.Since(start))
	})
	return &http.Server{
		Handler:           h,
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}, nil
}

// estHosts are the names the EST server's certificate is issued for.
func estHosts(c config.Config) []string {
	hosts := []string{}
	add := func(h string) {
		if h != "" && h != "0.0.0.0" && h != "::" {
			for _, x := range hosts {
				if x == h {
					return
				}
			}
			hosts = append(hosts, h)
		}
	}
	if h, _, err := net.SplitHostPort(c.ESTAddr); err == nil {
		add(h)
	}
	if u, err := url.Parse(c.URL()); err == nil {
		add(u.Hostname())
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		add(h)
	}
	return hosts
}

type statusWriter struct {
	http.ResponseWriter
	code  int
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
	return w.ResponseWriter.Write(b)
}

func (a *App) stopQueue() {
	if a.Queue == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Queue.Stop(ctx); err != nil {
		a.Log.Warn("stop workers", "err", err)
	}
}

// Close closes the database.
func (a *App) Close() error { return a.Store.Close() }

// Version describes this build.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " (" + rev[:min(12, len(rev))] + modified + ")"
	}
	return strings.TrimSpace(v)
}
