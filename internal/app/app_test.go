package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/api"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

func quietLog() *slog.Logger {
	if os.Getenv("IOTSEC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// openAPIValidator checks responses against the API's OpenAPI document.
func openAPIValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return v
}

// databases lists the configurations the app tests run on: SQLite always,
// PostgreSQL when IOTSEC_TEST_POSTGRES is set.
func databases(t *testing.T) map[string]func(t *testing.T) config.Config {
	return map[string]func(t *testing.T) config.Config{
		"sqlite": func(t *testing.T) config.Config {
			c := config.Default()
			c.Data = t.TempDir()
			c.CAKey = config.Secret(strings.Repeat("42", 32)) // seals webhook secrets
			return c
		},
		"postgres": func(t *testing.T) config.Config {
			c := config.Default()
			c.Database = storetest.PostgresDSN(t)
			c.CAKey = config.Secret(strings.Repeat("42", 32))
			return c
		},
	}
}

// serve starts an app on a loopback port and returns a stop function that
// shuts it down as SIGTERM would.
func serve(t testing.TB, a *app.App) (url string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeListener(ctx, ln, nil) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

func seed(t testing.TB, a *app.App) (iotsec.Actor, string) {
	t.Helper()
	ctx := context.Background()
	o := iotsec.Organisation{Name: "Maker", Country: "FI"}
	if err := a.Store.CreateOrg(ctx, "test", &o, ""); err != nil {
		t.Fatal(err)
	}
	actor := iotsec.System(o.ID, "test")
	p := iotsec.Product{Name: "Sensor", Model: "S-1", Class: "sensor"}
	if err := a.Store.CreateProduct(ctx, actor, &p); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.CreateFirmware(ctx, actor, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.0"}); err != nil {
		t.Fatal(err)
	}
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	if err := a.Store.CreateToken(ctx, actor, &iotsec.Token{Name: "t", Role: iotsec.RoleMaker, Hash: hash}); err != nil {
		t.Fatal(err)
	}
	return actor, secret
}

func csv(n int) string {
	var b strings.Builder
	b.WriteString("uid,product,firmware\n")
	for i := range n {
		fmt.Fprintf(&b, "S-%06d,S-1,1.0\n", i)
	}
	return b.String()
}

func getJob(t testing.TB, url, token, id string) iotsec.Job {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/jobs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var j iotsec.Job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	return j
}

func waitJob(t *testing.T, url, token, id string, done func(iotsec.Job) bool) iotsec.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j := getJob(t, url, token, id)
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not get there in 30 s: %+v", id, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImportSurvivesRestart starts a device import through the API, stops
// the server after the first batch is written, starts a new server on the
// same database, and checks the job resumes from its checkpoint and every
// device is imported exactly once.
func TestImportSurvivesRestart(t *testing.T) {
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.Workers = 1
			a1, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a1.Close() })
			actor, token := seed(t, a1)
			a1.Import.Batch = 100
			reached := make(chan int64, 10)
			a1.Import.AfterBatch = func(ctx context.Context, done, total int64) {
				reached <- done
				<-ctx.Done() // hold the job until the server stops
			}
			url1, stop1 := serve(t, a1)

			const n = 1000
			req, _ := http.NewRequest("POST", url1+"/api/v1/devices/import", strings.NewReader(csv(n)))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "text/csv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var job iotsec.Job
			json.NewDecoder(resp.Body).Decode(&job)
			resp.Body.Close()
			if resp.StatusCode != 202 || job.Total != n {
				t.Fatalf("import = %d %+v", resp.StatusCode, job)
			}
			if got := <-reached; got != 100 {
				t.Fatalf("first checkpoint at %d, want 100", got)
			}
			mid := getJob(t, url1, token, job.ID)
			if mid.State != iotsec.JobRunning || mid.Done != 100 {
				t.Errorf("mid-way job = %s %d/%d, want running 100/%d", mid.State, mid.Done, mid.Total, n)
			}
			stop1()
			j, _, err := a1.Store.JobInput(context.Background(), job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.State != iotsec.JobQueued || j.Done != 100 {
				t.Fatalf("after shutdown job = %s %d/%d, want queued at 100", j.State, j.Done, j.Total)
			}

			// A new server on the same database picks the job up.
			a2, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a2.Close() })
			a2.Import.Batch = 100
			url2, _ := serve(t, a2)
			final := waitJob(t, url2, token, job.ID, func(j iotsec.Job) bool { return j.State.Done() })
			if final.State != iotsec.JobSucceeded || final.Done != n || final.Attempts != 2 {
				t.Fatalf("final job = %+v", final)
			}
			var res inventory.Result
			if err := json.Unmarshal(final.Result, &res); err != nil {
				t.Fatal(err)
			}
			if res.Skipped != 100 || res.Created != n-100 {
				t.Errorf("second attempt result = %+v, want 100 skipped and %d created", res, n-100)
			}
			ov, err := a2.Store.Overview(context.Background(), actor, iotsec.NewDate(2026, 1, 1))
			if err != nil {
				t.Fatal(err)
			}
			if ov.Devices != n {
				t.Errorf("%d devices after the import, want %d", ov.Devices, n)
			}
		})
	}
}

// TestReplicas runs two servers on one PostgreSQL database: a session made
// on one works on the other, and a job queued through one is run by the
// other's workers.
func TestReplicas(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	cfg := config.Default()
	cfg.Database = dsn
	cfg.Workers = 0 // the web-only replica
	web, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	cfg.Workers = 2
	worker, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { worker.Close() })
	_, token := seed(t, web)
	urlWeb, _ := serve(t, web)
	urlWorker, _ := serve(t, worker)

	req, _ := http.NewRequest("POST", urlWeb+"/api/v1/devices/import", strings.NewReader(csv(250)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job iotsec.Job
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	final := waitJob(t, urlWeb, token, job.ID, func(j iotsec.Job) bool { return j.State.Done() })
	if final.State != iotsec.JobSucceeded || final.Done != 250 {
		t.Fatalf("job queued on the web replica = %+v", final)
	}

	// A browser session made on one replica works on the other.
	u := iotsec.User{Email: "ann@example.org"}
	if err := web.Store.CreateUser(context.Background(), "t", &u); err != nil {
		t.Fatal(err)
	}
	link, err := web.Auth.LoginLink(context.Background(), u.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := web.Auth.UseLink(context.Background(), link, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("GET", urlWorker+"/account", nil)
	req.AddCookie(&http.Cookie{Name: "iotsec_session", Value: secret})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/account" {
		t.Errorf("session from the web replica on the worker replica: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

func TestDemo(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	link1, err := a.SeedDemo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	link2, err := a.SeedDemo(context.Background()) // a second start seeds nothing new
	if err != nil {
		t.Fatal(err)
	}
	if link1 == link2 || !strings.HasPrefix(link1, "http://localhost:8080/login/link/iotsec_lnk_") {
		t.Errorf("links %q %q", link1, link2)
	}
	orgs, _ := a.Store.ListOrgs(context.Background())
	if len(orgs) != 1 || orgs[0].Name != app.DemoOrg {
		t.Fatalf("orgs after two seeds = %+v", orgs)
	}
	ov, err := a.Store.Overview(context.Background(), iotsec.System(orgs[0].ID, "t"), iotsec.DateOf(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if ov.Products != 4 || ov.Devices != 80 || ov.FirmwareVersions != 6 || ov.UnsupportedFirmware == 0 {
		t.Errorf("demo overview = %+v", ov)
	}
	// Supply chain: the kernel CVE in KEV drafts a CRA report for the
	// camera; the VEX statement suppresses dnsmasq's CVE in 2.4.3 only.
	demo := iotsec.System(orgs[0].ID, "t")
	reps, err := a.Store.ListCRAReports(context.Background(), demo)
	if err != nil || len(reps) != 2 || reps[0].VulnID != "CVE-2024-1086" {
		t.Errorf("demo CRA reports = %+v (%v), want CVE-2024-1086 for the camera and the router", reps, err)
	}
	ms, err := a.Store.ListMatches(context.Background(), demo, iotsec.MatchFilter{VulnID: "CVE-2023-28450", Suppressed: true})
	if err != nil {
		t.Fatal(err)
	}
	suppressed := map[string]bool{}
	for _, m := range ms {
		suppressed[m.Version] = m.Suppressed
	}
	if diff := cmp.Diff(map[string]bool{"2.1.0": false, "2.4.3": true, "1.0.7": false}, suppressed); diff != "" {
		t.Errorf("demo CVE-2023-28450 suppression by version (-want +got):\n%s", diff)
	}
	// The link signs the demo admin in, once.
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	secret := link1[strings.LastIndex(link1, "/")+1:]
	if _, _, err := a.Auth.UseLink(context.Background(), secret, "127.0.0.1"); err != nil {
		t.Errorf("demo link: %v", err)
	}
}

// The periodic sweep runs when workers start and removes expired sessions.
func TestSweepRuns(t *testing.T) {
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 1
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	u := iotsec.User{Email: "ann@example.org"}
	if err := a.Store.CreateUser(context.Background(), "t", &u); err != nil {
		t.Fatal(err)
	}
	ses := iotsec.Session{Hash: []byte("old"), UserID: u.ID, CSRF: "c", ExpiresAt: time.Now().Add(-time.Hour)}
	if err := a.Store.CreateSession(context.Background(), &ses); err != nil {
		t.Fatal(err)
	}
	serve(t, a)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := a.Store.DB().QueryRow("SELECT count(*) FROM sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was not swept within 20 s of start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The dashboard snapshots are taken when the server starts: by the
// workers' periodic job, or by the server itself when it has no workers.
func TestDashboardSnapshotsAtStart(t *testing.T) {
	for _, c := range []struct {
		workers int
		source  string
	}{{1, "job"}, {0, "start"}} {
		t.Run(c.source, func(t *testing.T) {
			cfg := config.Default()
			cfg.Data = t.TempDir()
			cfg.Workers = c.workers
			a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			o := iotsec.Organisation{Name: "Acme", Country: "NL"}
			if err := a.Store.CreateOrg(context.Background(), "t", &o, ""); err != nil {
				t.Fatal(err)
			}
			serve(t, a)
			deadline := time.Now().Add(20 * time.Second)
			for {
				snaps, err := a.Store.DashboardSnapshots(context.Background(), iotsec.System(o.ID, "t"), iotsec.Date{})
				if err != nil {
					t.Fatal(err)
				}
				if len(snaps) == 1 && snaps[0].Source == c.source && snaps[0].Day == iotsec.DateOf(time.Now()) {
					return
				}
				if len(snaps) > 1 || time.Now().After(deadline) {
					t.Fatalf("snapshots = %+v, want today's of source %s within 20 s of start", snaps, c.source)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
