package supply_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

func TestSMTP(t *testing.T) {
	addr, got := apptest.SMTPPeer(t)
	m := supply.SMTP{Addr: addr, From: "iotsec@maker.example"}
	if err := m.Send(context.Background(), "psirt@maker.example", "Router R100 1.2 is affected by CVE-2023-28450", "line one\nline two"); err != nil {
		t.Fatal(err)
	}
	msg := <-got
	for _, want := range []string{"MAIL FROM:<iotsec@maker.example>", "RCPT TO:<psirt@maker.example>",
		"Subject: Router R100 1.2 is affected by CVE-2023-28450\r\n", "To: psirt@maker.example\r\n", "\r\nline one\r\nline two\r\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// Header injection is refused before anything is sent.
	if err := m.Send(context.Background(), "a@b.example\r\nBcc: x@y.example", "s", "b"); err == nil {
		t.Error("a recipient with a line break was accepted")
	}
}

// blockedPeer accepts connections and never answers until the test ends.
func blockedPeer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return "http://" + ln.Addr().String() + "/hook"
}

// TestDeliver makes the attempts of a delivery job one by one: each is
// recorded (sent; retrying with the reason and the next time; failed with
// the reason after the last), and a sent delivery is not sent again.
func TestDeliver(t *testing.T) {
	clock := apptest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	for name, st := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := iotsec.Organisation{Name: "Acme", Country: "NL"}
			must(t, st.CreateOrg(ctx, "t", &o, ""))
			a := iotsec.System(o.ID, "t")
			h := &hook{}
			healthy := httptest.NewServer(h)
			defer healthy.Close()
			broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "down", http.StatusServiceUnavailable)
			}))
			defer broken.Close()
			smtpAddr, mail := apptest.SMTPPeer(t)
			blocked := blockedPeer(t)

			type step struct {
				state    iotsec.DeliveryState
				attempts int
				reason   string // in LastError and the job error; "" for none
			}
			tests := []struct {
				name     string
				settings iotsec.NotifySettings
				channel  string
				mailer   bool
				steps    []step
			}{
				{"webhook sent", iotsec.NotifySettings{WebhookURL: healthy.URL, WebhookSecret: "s3cret"}, iotsec.ChannelWebhook, false,
					[]step{{iotsec.DeliverySent, 1, ""}, {iotsec.DeliverySent, 1, ""}}},
				{"webhook failing", iotsec.NotifySettings{WebhookURL: broken.URL}, iotsec.ChannelWebhook, false,
					[]step{{iotsec.DeliveryRetrying, 1, "503 Service Unavailable"}, {iotsec.DeliveryRetrying, 2, "503 Service Unavailable"},
						{iotsec.DeliveryFailed, 3, "503 Service Unavailable"}, {iotsec.DeliveryFailed, 3, ""}}},
				{"webhook blocked", iotsec.NotifySettings{WebhookURL: blocked}, iotsec.ChannelWebhook, false,
					[]step{{iotsec.DeliveryRetrying, 1, "deadline exceeded"}}},
				{"webhook removed", iotsec.NotifySettings{}, iotsec.ChannelWebhook, false,
					[]step{{iotsec.DeliveryFailed, 1, "no webhook URL is set any more"}}},
				{"e-mail sent", iotsec.NotifySettings{Email: "psirt@maker.example"}, iotsec.ChannelEmail, true,
					[]step{{iotsec.DeliverySent, 1, ""}}},
				{"e-mail without a relay", iotsec.NotifySettings{Email: "psirt@maker.example"}, iotsec.ChannelEmail, false,
					[]step{{iotsec.DeliveryFailed, 1, "no mail relay"}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					svc := supply.New(st, nil)
					svc.Now = clock.Now
					svc.Delivery = supply.DeliveryPolicy{Backoff: []time.Duration{time.Minute, 2 * time.Minute}, WebhookTimeout: 100 * time.Millisecond}
					if tt.mailer {
						svc.Mail = supply.SMTP{Addr: smtpAddr, From: "iotsec@maker.example"}
					}
					must(t, st.SetNotifySettings(ctx, a, tt.settings))
					ns := []iotsec.Notification{{Kind: "newly-affected", Title: "R100 1.2 is affected by CVE-1", Body: "b"}}
					ds := []iotsec.Delivery{{Channel: tt.channel, Target: "as set"}}
					must(t, st.AddNotifications(ctx, a, ns, ds))
					h.mu.Lock()
					before := len(h.bodies)
					h.mu.Unlock()
					for i, want := range tt.steps {
						_, err := svc.Deliver(ctx, a, ds[0].JobID)
						var je *iotsec.JobError
						switch {
						case want.reason == "" && err != nil:
							t.Errorf("attempt %d: %v, want none", i+1, err)
						case want.reason != "" && (!errors.As(err, &je) || !strings.Contains(err.Error(), want.reason)):
							t.Errorf("attempt %d: error %v, want a job error saying %q", i+1, err, want.reason)
						case je != nil && je.Final != (want.state == iotsec.DeliveryFailed):
							t.Errorf("attempt %d: final %v in state %s", i+1, je.Final, want.state)
						case je != nil && !je.Final && je.Retry != svc.Delivery.Backoff[want.attempts-1]:
							t.Errorf("attempt %d: retry after %v, want %v", i+1, je.Retry, svc.Delivery.Backoff[want.attempts-1])
						}
						got, _, err := st.JobDelivery(ctx, a, ds[0].JobID)
						must(t, err)
						if got.State != want.state || got.Attempts != want.attempts || !strings.Contains(got.LastError, want.reason) {
							t.Errorf("attempt %d: delivery %s after %d attempts (%q), want %s after %d (%q)", i+1,
								got.State, got.Attempts, got.LastError, want.state, want.attempts, want.reason)
						}
						if retrying := got.State == iotsec.DeliveryRetrying; retrying != !got.NextAttemptAt.IsZero() ||
							retrying && !got.NextAttemptAt.Equal(clock.Now().Add(svc.Delivery.Backoff[got.Attempts-1])) {
							t.Errorf("attempt %d: next attempt at %v in state %s", i+1, got.NextAttemptAt, got.State)
						}
						if (got.State == iotsec.DeliverySent) == got.SentAt.IsZero() {
							t.Errorf("attempt %d: sent at %v in state %s", i+1, got.SentAt, got.State)
						}
					}
					switch tt.name {
					case "webhook sent":
						h.mu.Lock()
						defer h.mu.Unlock()
						if len(h.bodies) != before+1 {
							t.Fatalf("the webhook got %d posts, want 1", len(h.bodies)-before)
						}
						body := h.bodies[before]
						var wb supply.WebhookBody
						must(t, json.Unmarshal(body, &wb))
						if h.sigs[before] != supply.Sign("s3cret", body) || wb.Org != o.ID || len(wb.Notifications) != 1 || wb.Notifications[0].ID != ns[0].ID {
							t.Errorf("webhook body %s signed %q", body, h.sigs[before])
						}
					case "e-mail sent":
						if msg := <-mail; !strings.Contains(msg, "RCPT TO:<psirt@maker.example>") || !strings.Contains(msg, "Subject: R100 1.2 is affected by CVE-1") {
							t.Errorf("mail %q", msg)
						}
					}
				})
			}

			// A shutdown during an attempt is not an attempt.
			t.Run("interrupted", func(t *testing.T) {
				svc := supply.New(st, nil)
				svc.Now = clock.Now
				must(t, st.SetNotifySettings(ctx, a, iotsec.NotifySettings{WebhookURL: blocked}))
				ds := []iotsec.Delivery{{Channel: iotsec.ChannelWebhook, Target: blocked}}
				must(t, st.AddNotifications(ctx, a, []iotsec.Notification{{Kind: "newly-affected", Title: "x"}}, ds))
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				if _, err := svc.Deliver(cctx, a, ds[0].JobID); !errors.Is(err, context.Canceled) {
					t.Errorf("interrupted attempt: %v, want context.Canceled", err)
				}
				got, _, err := st.JobDelivery(ctx, a, ds[0].JobID)
				must(t, err)
				if got.State != iotsec.DeliveryQueued || got.Attempts != 0 {
					t.Errorf("after an interrupted attempt: %s after %d attempts", got.State, got.Attempts)
				}
			})
		})
	}
}
