// Package app is the composition root: it builds the store, engines, queue
// and HTTP server from a Config, and is the only package besides cli that
// knows all of them.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/catalog/library"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/queue"
	"github.com/iotsec/iotsec/internal/server"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/ui"
)

// OpenStore opens the database the configuration names. It does not migrate.
func OpenStore(ctx context.Context, cfg config.Config, opts sqlstore.Options) (*sqlstore.Store, error) {
	if cfg.IsPostgres() {
		return postgres.Open(ctx, cfg.Database, opts)
	}
	return sqlite.Open(ctx, cfg.SQLitePath(), opts)
}

// App is a running iotsec server: store, queue and HTTP handler.
type App struct {
	Config  config.Config
	Store   *sqlstore.Store
	Auth    *auth.Service
	Handler http.Handler
	Queue   *queue.Queue // nil when Config.Workers is 0
	Log     *slog.Logger
	Metrics *prometheus.Registry
	// Import is the device-import job handler; tests set its AfterBatch.
	Import *inventory.Handler
	// Schemes is the catalog: the embedded schemes, loaded once, and each
	// organisation's imports, merged per organisation and cached.
	Schemes *library.Library
}

// Options are the injectable parts of an App.
type Options struct {
	Now  func() time.Time
	Rand io.Reader
}

// New opens the database, migrates it and builds the server.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store, err := OpenStore(ctx, cfg, sqlstore.Options{Now: opts.Now, Rand: opts.Rand})
	if err != nil {
		return nil, err
	}
	if applied, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	} else if len(applied) > 0 {
		log.Info("migrated database", "database", cfg.Redacted(), "applied", applied)
	}
	a := &App{Config: cfg, Store: store, Log: log, Metrics: prometheus.NewRegistry()}
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(store.DB(), store.Dialect().Name))

	a.Auth = auth.New(store)
	a.Auth.Now, a.Auth.Rand, a.Auth.SessionTTL = opts.Now, opts.Rand, cfg.SessionTTL

	base, err := catalog.Load()
	if err != nil {
		store.Close()
		return nil, err
	}
	a.Schemes = library.New(store, base)
	a.Schemes.Now = opts.Now

	apiH := api.New(store)
	apiH.MaxBody, apiH.Now, apiH.Schemes = cfg.MaxBody, opts.Now, a.Schemes
	uiH, err := ui.New(store, a.Auth, log, Version())
	if err != nil {
		store.Close()
		return nil, err
	}
	uiH.Now, uiH.SecureCookies, uiH.TrustProxy, uiH.Schemes = opts.Now, cfg.SecureCookies, cfg.TrustProxy, a.Schemes
	a.Handler = server.New(server.Options{API: apiH, UI: uiH, Auth: a.Auth, Log: log, Metrics: a.Metrics, Ready: store.Ping})

	a.Import = &inventory.Handler{Store: store}
	if cfg.Workers > 0 {
		sweep := func(ctx context.Context) error {
			n, err := store.Sweep(ctx, opts.Now())
			log.Debug("swept expired sessions, links and sign-in attempts", "rows", n)
			return err
		}
		a.Queue, err = queue.New(store.River(), store, []queue.Handler{a.Import},
			queue.Config{Workers: cfg.Workers, Logger: log, Now: opts.Now, Sweep: sweep})
		if err != nil {
			store.Close()
			return nil, err
		}
	}
	return a, nil
}

// Serve listens on the configured address and serves until ctx ends, then
// shuts down: it stops taking requests, lets running ones finish, and
// interrupts jobs, which checkpoint and resume on the next start.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Config.Addr, err)
	}
	return a.ServeListener(ctx, ln, ready)
}

// ServeListener is Serve on an existing listener.
func (a *App) ServeListener(ctx context.Context, ln net.Listener, ready func(addr string)) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of big imports
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if a.Queue != nil {
		if err := a.Queue.Start(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("start workers: %w", err)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		a.stopQueue()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	a.stopQueue()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
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
