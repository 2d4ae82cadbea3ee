package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
)

func newServe(e *env) *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web UI, the JSON API and background workers",
		Long: `Serve runs the iotsec server: the web UI, the JSON API under /api/v1 and the
workers that run background jobs. It migrates the database first. Any number of
replicas may share one PostgreSQL database.

With --demo it seeds an empty database with a demo manufacturer, its products,
firmware versions and devices, and prints a one-time sign-in link for the demo
admin.`,
		Example: `  iotsec serve --demo
  iotsec serve --addr :8080 --data /var/lib/iotsec
  iotsec serve --database postgres://iotsec@db.internal:5432/iotsec --workers 4`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), e.getenv)
			if err != nil {
				return usageError{err}
			}
			if demo {
				if err := demoKEK(&cfg, e); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			log := logger(cfg, e.stderr)
			a, err := app.New(ctx, cfg, log, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			var link string
			if demo {
				if link, err = a.SeedDemo(ctx); err != nil {
					return err
				}
			}
			return a.Serve(ctx, func(addr string) {
				fmt.Fprintf(e.stdout, "iotsec %s serving on %s (database: %s)\n", app.Version(), cfg.URL(), cfg.Redacted())
				if a.EST != nil {
					fmt.Fprintf(e.stdout, "EST enrolment over TLS on %s at /.well-known/est/\n", cfg.ESTAddr)
				}
				if link != "" {
					fmt.Fprintf(e.stdout, "\nDemo admin %s: sign in once with this link (valid 24 h), then set a password:\n  %s\n\n", app.DemoAdmin, link)
				}
				if e.serveReady != nil {
					e.serveReady(addr)
				}
			})
		},
	}
	config.Flags(cmd.Flags(), true)
	cmd.Flags().BoolVar(&demo, "demo", false, "seed demo data and print a one-time sign-in link for the demo admin")
	return cmd
}

// demoKEK gives a demo without a configured CA key-encryption key one in
// the data directory, so the Identity pages work out of the box. Real
// deployments set IOTSEC_CA_KEY or --ca-key-file and keep the key apart
// from the database.
func demoKEK(cfg *config.Config, e *env) error {
	if k, err := cfg.KEK(); err != nil || k != nil || cfg.IsPostgres() {
		return err
	}
	path := filepath.Join(cfg.Data, "demo-ca.key")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return err
		}
		key := make([]byte, config.KEKSize)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return err
		}
	}
	cfg.CAKeyFile = path
	fmt.Fprintf(e.stderr, "demo: CA key-encryption key in %s; outside a demo, set IOTSEC_CA_KEY or --ca-key-file and keep the key apart from the database\n", path)
	return nil
}
