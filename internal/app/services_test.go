package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/supply"
)

// TestNewServices: the one wiring the server and the CLI share builds
// every service from the store and the configuration, the offline set
// without a store, and refuses a malformed key-encryption key as invalid
// input.
func TestNewServices(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	opts := app.Options{Now: func() time.Time { return at }}
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.CAKey = config.Secret(testKEK)
			cfg.BaseURL = "https://iot.example"
			cfg.SMTPAddr, cfg.SMTPFrom, cfg.SMTPUser, cfg.SMTPPassword = "mail.example:587", "iotsec@example", "u", "p"
			s, err := app.OpenStore(ctx, cfg, sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			sv, err := app.NewServices(s, cfg, quietLog(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if sv.Catalog == nil || sv.Evaluation == nil || sv.Identity == nil || sv.Supply == nil {
				t.Fatalf("services with a store = %+v, want all of them", sv)
			}
			if len(sv.Identity.KEK) != config.KEKSize || sv.Identity.BaseURL != "https://iot.example" || !sv.Identity.Now().Equal(at) {
				t.Errorf("identity: KEK %d bytes, base URL %q, now %v", len(sv.Identity.KEK), sv.Identity.BaseURL, sv.Identity.Now())
			}
			if diff := cmp.Diff(supply.Mailer(supply.SMTP{Addr: "mail.example:587", From: "iotsec@example", User: "u", Password: "p"}), sv.Supply.Mail); diff != "" {
				t.Errorf("supply mail (-want +got):\n%s", diff)
			}
			// The documents' publisher: the base URL as namespace.
			if want := (supply.Publisher{Namespace: "https://iot.example", Category: "vendor"}); sv.Supply.Publisher != want {
				t.Errorf("supply publisher %+v, want %+v", sv.Supply.Publisher, want)
			}
			if !sv.Supply.Now().Equal(at) || !sv.Catalog.Now().Equal(at) {
				t.Errorf("clocks not injected: supply %v, catalog %v", sv.Supply.Now(), sv.Catalog.Now())
			}
			// The catalog reads the organisation's imports from the store.
			if _, err := sv.Catalog.For(ctx, iotsec.System("org_x", "test")); err != nil {
				t.Errorf("catalog for an organisation: %v", err)
			}
		})
	}
	t.Run("offline", func(t *testing.T) {
		sv, err := app.NewServices(nil, config.Config{}, nil, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sv.Catalog == nil || sv.Evaluation == nil || sv.Identity != nil || sv.Supply != nil {
			t.Fatalf("offline services = %+v, want catalog and assess only", sv)
		}
		// No store: an organisation sees the embedded catalog, and nothing
		// reaches for a database.
		v, err := sv.Catalog.For(context.Background(), iotsec.System("org_x", "test"))
		if err != nil || v != sv.Catalog.Base() {
			t.Errorf("offline catalog for an organisation = %p, %v; want the embedded one", v, err)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		cfg := config.Default()
		cfg.Data = t.TempDir()
		cfg.CAKey = "too-short"
		s, err := app.OpenStore(ctx, cfg, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := app.NewServices(s, cfg, nil, app.Options{}); iotsec.Kind(err) != iotsec.ErrInvalid {
			t.Errorf("NewServices with a malformed key = %v, want invalid input", err)
		}
		if _, err := app.New(ctx, cfg, quietLog(), app.Options{}); iotsec.Kind(err) != iotsec.ErrInvalid {
			t.Errorf("app.New with a malformed key = %v, want invalid input", err)
		}
	})
}
