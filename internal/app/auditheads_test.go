package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestExportAuditHeads: the server's hourly export writes one signed head
// per organisation and head, which the registry's key verifies, and
// writes nothing while the chain is unchanged.
func TestExportAuditHeads(t *testing.T) {
	for name, cfgOf := range databases(t) {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" && os.Getenv("IOTSEC_TEST_POSTGRES") == "" {
				t.Skip("IOTSEC_TEST_POSTGRES is not set")
			}
			cfg := cfgOf(t)
			cfg.Workers = 0
			cfg.AuditHeadDir = filepath.Join(t.TempDir(), "heads")
			ctx := context.Background()
			a, err := app.New(ctx, cfg, apptest.Log(), app.Options{})
			apptest.Must(t, err)
			defer a.Close()
			o := iotsec.Organisation{Name: "Acme", Country: "NL"}
			apptest.Must(t, a.Store.CreateOrg(ctx, "test", &o, ""))
			actor := iotsec.System(o.ID, "test")
			apptest.Must(t, a.Store.CreateProduct(ctx, actor, &iotsec.Product{Name: "Cam", Model: "C1"}))

			heads := func() []string {
				t.Helper()
				m, err := filepath.Glob(filepath.Join(cfg.AuditHeadDir, o.ID, "*.head"))
				apptest.Must(t, err)
				return m
			}
			apptest.Must(t, a.ExportAuditHeads(ctx))
			first := heads()
			if len(first) != 1 {
				t.Fatalf("after one export: %v, want one head", first)
			}
			apptest.Must(t, a.ExportAuditHeads(ctx))
			if got := heads(); len(got) != 1 {
				t.Errorf("an unchanged chain wrote another head: %v", got)
			}
			apptest.Must(t, a.Store.CreateProduct(ctx, actor, &iotsec.Product{Name: "Cam 2", Model: "C2"}))
			apptest.Must(t, a.ExportAuditHeads(ctx))
			all := heads()
			if len(all) != 2 {
				t.Fatalf("after a new event: %v, want two heads", all)
			}
			want, err := a.Store.AuditHead(ctx, o.ID)
			apptest.Must(t, err)
			note, err := os.ReadFile(all[1])
			apptest.Must(t, err)
			got, err := a.Registry.VerifyAuditHead(ctx, o.ID, note)
			if err != nil {
				t.Fatalf("the newest exported head does not verify: %v", err)
			}
			if got.Seq != want.Seq || got.Hash != want.Hash {
				t.Errorf("exported head %d %s, chain head %d %s", got.Seq, got.Hash, want.Seq, want.Hash)
			}
			if _, err := a.Registry.VerifyAuditHead(ctx, "org_other", note); err == nil {
				t.Error("Acme's head verifies as another organisation's")
			}
		})
	}
}
