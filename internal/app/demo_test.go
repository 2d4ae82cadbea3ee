package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The demo's old router firmware is scanned at seed time: its findings are
// there on first start, and the default root password fails UK PSTI
// directly, with the requirement cited.
func TestDemoScan(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	a, err := app.New(ctx, cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	orgs, err := a.Store.ListOrgs(ctx)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs = %+v (%v)", orgs, err)
	}
	act := iotsec.System(orgs[0].ID, "t")
	fws, err := a.Store.ListFirmware(ctx, act, "")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := a.Store.ListProducts(ctx, act)
	if err != nil {
		t.Fatal(err)
	}
	model := map[string]string{}
	for _, p := range ps {
		model[p.ID] = p.Model
	}
	scanned := map[string]string{} // model version -> scan state
	var target string
	for _, f := range fws {
		st, err := a.Evaluation.Load(ctx, act, f.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Scan.State != "" {
			scanned[model[f.ProductID]+" "+f.Version] = string(st.Scan.State)
		}
		if model[f.ProductID] == app.DemoScannedModel && f.Version == app.DemoScannedVersion {
			target = f.ID
		}
	}
	if len(scanned) != 1 || scanned[app.DemoScannedModel+" "+app.DemoScannedVersion] != string(iotsec.ScanSucceeded) {
		t.Fatalf("scanned demo versions = %v, want only %s %s, succeeded", scanned, app.DemoScannedModel, app.DemoScannedVersion)
	}
	st, err := a.Evaluation.Load(ctx, act, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, f := range st.Result.Findings {
		rules[f.Rule] = true
	}
	for _, r := range []string{"credentials.default-password", "surface.telnet", "crypto.short-private-key", "binary.dangerous-functions"} {
		if !rules[r] {
			t.Errorf("demo scan has no %s finding; rules: %v", r, rules)
		}
	}
	var psti *assess.SchemeVerdict
	for i, v := range st.Result.Schemes {
		if v.Scheme == "uk-psti" {
			psti = &st.Result.Schemes[i]
		}
	}
	if psti == nil {
		t.Fatal("no UK PSTI verdict for the demo scan")
	}
	if psti.Status != assess.StatusNotMet {
		t.Errorf("UK PSTI = %s (%s), want %s", psti.Status, psti.Summary, assess.StatusNotMet)
	}
	found := false
	for _, p := range psti.Provisions {
		if p.ID != "1" {
			continue
		}
		found = true
		if p.Verdict != assess.Fail || p.Basis != assess.BasisDirect || !strings.Contains(p.Reason, "Schedule 1 para 1") ||
			!strings.Contains(p.Reason, "etc/shadow") {
			t.Errorf("UK PSTI 1 = %s (%s): %q, want FAIL, directly, citing Schedule 1 para 1 and etc/shadow", p.Verdict, p.Basis, p.Reason)
		}
	}
	if !found {
		t.Error("UK PSTI verdict has no provision 1")
	}
	// The job ended succeeded, so a worker leaves it alone.
	jobs, err := a.Store.ListJobs(ctx, act, 10)
	if err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, j := range jobs {
		if j.ID == st.Scan.JobID {
			ok = j.State == iotsec.JobSucceeded
		}
	}
	if !ok {
		t.Errorf("demo scan job %s not recorded as succeeded: %+v", st.Scan.JobID, jobs)
	}
}
