package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestWebhookSecretsSealed: a webhook secret set through the API is
// stored sealed under the key-encryption key, and the database files hold
// it nowhere in the clear; one stored in the clear by an older version is
// sealed when the server starts, and deliveries still sign with it.
func TestWebhookSecretsSealed(t *testing.T) {
	ctx := context.Background()
	const secret = "whsec-plaintext-4a7f19c2e8"
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	cfg.CAKey = config.Secret(strings.Repeat("42", 32))
	a, err := app.New(ctx, cfg, apptest.Log(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	orgs := seedOrgs(t, a)
	set, err := a.Supply.SaveNotifySettings(ctx, iotsec.System(orgs[0], "t"), "https://hooks.example/x", "", ptr(secret))
	if err != nil {
		t.Fatal(err)
	}
	if set.WebhookSecret == "" || strings.Contains(set.WebhookSecret, secret) {
		t.Errorf("stored %q", set.WebhookSecret)
	}
	a.Close()

	dbPath := filepath.Join(cfg.Data, "iotsec.db")
	rows := func() map[string]string {
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r, err := db.Query("SELECT org_id, webhook_secret FROM notify_settings")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := map[string]string{}
		for r.Next() {
			var o, s string
			if err := r.Scan(&o, &s); err != nil {
				t.Fatal(err)
			}
			out[o] = s
		}
		return out
	}
	if s := rows()[orgs[0]]; !strings.HasPrefix(s, "iotsec-sealed:") || strings.Contains(s, secret) {
		t.Errorf("the row holds %q, want a sealed secret", s)
	}
	files, _ := filepath.Glob(dbPath + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the webhook secret in the clear", filepath.Base(f))
		}
	}

	// An older version's row, in the clear: sealed at the next start.
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO notify_settings (org_id, webhook_url, webhook_secret, email) VALUES (?, 'https://hooks.example/y', 'legacy-secret-77', '')", orgs[1]); err != nil {
		t.Fatal(err)
	}
	db.Close()
	a, err = app.New(ctx, cfg, apptest.Log(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := rows()
	if s := got[orgs[1]]; !strings.HasPrefix(s, "iotsec-sealed:") || strings.Contains(s, "legacy-secret-77") {
		t.Errorf("the legacy row holds %q after a restart, want it sealed", s)
	}
	if got[orgs[0]] != set.WebhookSecret {
		t.Errorf("the sealed secret was sealed again")
	}
}

func ptr(s string) *string { return &s }

// seedOrgs makes two organisations and returns their IDs.
func seedOrgs(t *testing.T, a *app.App) []string {
	ctx := context.Background()
	var ids []string
	for _, n := range []string{"Sealed A", "Sealed B"} {
		o := iotsec.Organisation{Name: n, Kind: iotsec.OrgManufacturer, Country: "NL"}
		if err := a.Store.CreateOrg(ctx, "test", &o, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	return ids
}
