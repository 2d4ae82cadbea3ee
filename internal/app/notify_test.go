package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// deadPeer is a webhook receiver that accepts connections and never
// answers; the test gets each connection and decides when it breaks.
func deadPeer(t *testing.T) (url string, conns <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 8)
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			ch <- c
		}
	}()
	return "http://" + ln.Addr().String() + "/hook", ch
}

// TestNotifyDeliveryJobs: notifications go out through jobs. A webhook
// that never answers does not hold up the request that made the
// notifications; its delivery is shown retrying, then failed, with the
// reason. A healthy webhook gets the signed batch exactly once, and the
// e-mail reaches the relay, both through their jobs.
func TestNotifyDeliveryJobs(t *testing.T) {
	v := openAPIValidator(t)
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			smtpAddr, mail := apptest.SMTPPeer(t)
			cfg := cfgFor(t)
			cfg.Workers = 1
			cfg.SMTPAddr, cfg.SMTPFrom = smtpAddr, "iotsec@maker.example"
			a, err := app.New(ctx, cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			// Two attempts, the second right after the first: the peer,
			// not a clock, decides when each attempt ends.
			a.Supply.Delivery = supply.DeliveryPolicy{Backoff: []time.Duration{time.Millisecond}, WebhookTimeout: 10 * time.Minute}
			actor, token := seed(t, a)
			url, _ := serve(t, a)
			fw := firmwareID(t, a, actor)
			viewer := newToken(t, a, actor, iotsec.RoleViewer)
			if _, err := a.Supply.Import(ctx, "test", filepath.Join("testdata", "supply", "nvd"), ""); err != nil {
				t.Fatal(err)
			}
			deliveries := func() []iotsec.Delivery {
				t.Helper()
				resp, body := call(t, "GET", url+"/api/v1/notifications/deliveries", viewer, "", nil)
				if resp.StatusCode != 200 {
					t.Fatalf("GET deliveries = %d %s", resp.StatusCode, body)
				}
				req, _ := http.NewRequest("GET", url+"/api/v1/notifications/deliveries", nil)
				if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
					for _, e := range verrs {
						t.Errorf("GET deliveries: response does not match openapi.json: %s: %s %v", e.Message, e.Reason, e.SchemaValidationErrors)
					}
				}
				var l api.List[iotsec.Delivery]
				must(t, json.Unmarshal(body, &l))
				return l.Items
			}
			// waitFor polls the deliveries until ok holds for them.
			waitFor := func(what string, ok func([]iotsec.Delivery) bool) []iotsec.Delivery {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for {
					ds := deliveries()
					if ok(ds) {
						return ds
					}
					if time.Now().After(deadline) {
						t.Fatalf("deliveries did not get to %s in 30 s: %+v", what, ds)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			// putSBOM imports the router SBOM for a firmware version,
			// failing unless the request returns on its own.
			putSBOM := func(fw string) <-chan error {
				errc := make(chan error, 1)
				go func() {
					rctx, cancel := context.WithTimeout(ctx, time.Minute)
					defer cancel()
					req, _ := http.NewRequestWithContext(rctx, "PUT", url+"/api/v1/firmware/"+fw+"/sbom?name=router.cdx.json", strings.NewReader(routerSBOM))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/vnd.cyclonedx+json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errc <- err
						return
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != 200 || !bytes.Contains(body, []byte("CVE-2023-28450")) {
						errc <- fmt.Errorf("%s %s, want 200 with new matches", resp.Status, body)
						return
					}
					errc <- nil
				}()
				return errc
			}
			next := func(conns <-chan net.Conn) net.Conn {
				t.Helper()
				select {
				case c := <-conns:
					return c
				case <-time.After(30 * time.Second):
					t.Fatal("no delivery attempt reached the webhook peer in 30 s")
					return nil
				}
			}

			// A webhook that accepts and never answers.
			dead, conns := deadPeer(t)
			must(t, a.Store.SetNotifySettings(ctx, actor, iotsec.NotifySettings{WebhookURL: dead, WebhookSecret: "hook-secret"}))
			if err := <-putSBOM(fw); err != nil {
				t.Fatalf("SBOM import while the webhook peer does not answer: %v", err)
			}
			first := next(conns)
			// The request has returned and the peer holds the first
			// attempt: the delivery is queued, its job running.
			ds := deliveries()
			if len(ds) != 1 || ds[0].Channel != iotsec.ChannelWebhook || ds[0].Target != dead || ds[0].State != iotsec.DeliveryQueued || ds[0].Attempts != 0 {
				t.Fatalf("deliveries while the first attempt is held = %+v, want one queued webhook delivery", ds)
			}
			dead1 := ds[0]
			if j := getJob(t, url, token, dead1.JobID); j.Kind != iotsec.JobDeliver || j.State != iotsec.JobRunning {
				t.Errorf("delivery job while the peer holds it = %+v", j)
			}
			// The peer hangs up (EOF or a reset, as the kernel has it): the
			// attempt fails, and the second comes.
			first.Close()
			second := next(conns)
			ds = deliveries()
			if len(ds) != 1 || ds[0].State != iotsec.DeliveryRetrying || ds[0].Attempts != 1 || ds[0].LastError == "" || ds[0].NextAttemptAt.IsZero() {
				t.Fatalf("deliveries during the second attempt = %+v, want it retrying after one attempt, with the reason", ds)
			}
			reason := ds[0].LastError
			second.Close()
			ds = waitFor("failed", func(ds []iotsec.Delivery) bool { return len(ds) == 1 && ds[0].State == iotsec.DeliveryFailed })
			if ds[0].Attempts != 2 || !strings.Contains(ds[0].LastError, `Post "`+dead+`"`) || !ds[0].NextAttemptAt.IsZero() || !ds[0].SentAt.IsZero() {
				t.Errorf("failed delivery = %+v (first reason %q), want two attempts and the reason", ds[0], reason)
			}
			j := waitJob(t, url, token, dead1.JobID, func(j iotsec.Job) bool { return j.State.Done() })
			if j.State != iotsec.JobFailed || !strings.Contains(j.Error, "after 2 attempt(s)") {
				t.Errorf("delivery job after the last attempt = %+v, want failed saying why", j)
			}

			// A healthy webhook and an e-mail address, for a new batch.
			hook := &webhook{}
			hookSrv := httptest.NewServer(hook)
			t.Cleanup(hookSrv.Close)
			must(t, a.Store.SetNotifySettings(ctx, actor, iotsec.NotifySettings{WebhookURL: hookSrv.URL, WebhookSecret: "hook-secret", Email: "psirt@maker.example"}))
			ps, err := a.Store.ListProducts(ctx, actor)
			must(t, err)
			fw2 := iotsec.FirmwareVersion{ProductID: ps[0].ID, Version: "1.1"}
			must(t, a.Store.CreateFirmware(ctx, actor, &fw2))
			if err := <-putSBOM(fw2.ID); err != nil {
				t.Fatal(err)
			}
			ds = waitFor("sent", func(ds []iotsec.Delivery) bool {
				return len(ds) == 3 && ds[0].State == iotsec.DeliverySent && ds[1].State == iotsec.DeliverySent
			})
			byChannel := map[string]iotsec.Delivery{ds[0].Channel: ds[0], ds[1].Channel: ds[1]}
			wh, em := byChannel[iotsec.ChannelWebhook], byChannel[iotsec.ChannelEmail]
			if wh.Attempts != 1 || em.Attempts != 1 || em.Target != "psirt@maker.example" || !cmp.Equal(wh.Notifications, em.Notifications) {
				t.Errorf("sent deliveries = %+v", ds[:2])
			}
			for _, d := range ds[:2] {
				waitJob(t, url, token, d.JobID, func(j iotsec.Job) bool { return j.State == iotsec.JobSucceeded })
			}
			hook.mu.Lock()
			if len(hook.bodies) != 1 || len(hook.bad) > 0 {
				t.Errorf("the webhook got %d posts (problems %v), want exactly one, signed", len(hook.bodies), hook.bad)
			} else {
				var ids []string
				for _, n := range hook.bodies[0].Notifications {
					ids = append(ids, n.ID)
				}
				if hook.bodies[0].Org != actor.OrgID || !cmp.Equal(ids, wh.Notifications) {
					t.Errorf("webhook body for %s with notifications %v, want %s with %v", hook.bodies[0].Org, ids, actor.OrgID, wh.Notifications)
				}
			}
			hook.mu.Unlock()
			select {
			case msg := <-mail:
				for _, want := range []string{"RCPT TO:<psirt@maker.example>", "Subject: iotsec: 2 new supply-chain notifications", "CVE-2023-28450"} {
					if !strings.Contains(msg, want) {
						t.Errorf("mail lacks %q:\n%s", want, msg)
					}
				}
			case <-time.After(30 * time.Second):
				t.Error("no mail reached the relay in 30 s")
			}
		})
	}
}
