package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
	"github.com/iotsec/iotsec/internal/supply"
)

// TestInviteMember: adding a member invites; the answer has the same
// fields whether or not the address has an account, names no user, and
// nobody joins until they accept.
func TestInviteMember(t *testing.T) {
	f := apptest.New(t)
	ctx := context.Background()
	carol := iotsec.User{Email: "carol@c.example", Name: "Carol Secret-Name"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &carol))

	shapes := map[string][]string{}
	for _, email := range []string{"carol@c.example", "nobody@c.example"} {
		resp, body := f.JSON("POST", "/api/v1/members", f.A.Token, `{"email":"`+email+`","role":"maker"}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("invite %s = %d %s", email, resp.StatusCode, body)
		}
		for _, leak := range []string{carol.ID, carol.Name, "user_id"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("invitation of %s shows %q: %s", email, leak, body)
			}
		}
		var m map[string]any
		apptest.Must(t, json.Unmarshal(body, &m))
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		shapes[email] = keys
		if link, _ := m["link"].(string); !strings.HasPrefix(link, f.App.Config.URL()+"/invitations/"+iotsec.SecretInvite) {
			t.Errorf("link = %q, want one under the configured base URL %s", link, f.App.Config.URL())
		}
		if m["mailed"] != false {
			t.Errorf("mailed = %v without a mail relay, want false", m["mailed"])
		}
	}
	if diff := cmp.Diff(shapes["carol@c.example"], shapes["nobody@c.example"]); diff != "" {
		t.Errorf("the answer differs by whether the address has an account:\n%s", diff)
	}
	ms, _ := f.App.Store.ListMembers(ctx, f.A.Actor())
	if len(ms) != 1 {
		t.Errorf("%d members after two invitations, want the owner alone", len(ms))
	}
	resp, body := f.JSON("GET", "/api/v1/invitations", f.A.Token, "")
	var l struct{ Items []iotsec.Invitation }
	apptest.Must(t, json.Unmarshal(body, &l))
	if resp.StatusCode != 200 || len(l.Items) != 2 {
		t.Fatalf("GET invitations = %d %s", resp.StatusCode, body)
	}
	resp, body = f.JSON("DELETE", "/api/v1/invitations/"+l.Items[1].ID, f.A.Token, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("cancel = %d %s", resp.StatusCode, body)
	}
	pend, _ := f.App.Store.PendingInvitations(ctx, "nobody@c.example")
	if len(pend) != 0 {
		t.Errorf("cancelled invitation still pending: %+v", pend)
	}
	// A malformed address is still refused by the address alone.
	resp, _ = f.JSON("POST", "/api/v1/members", f.A.Token, `{"email":"not an address","role":"maker"}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad address = %d", resp.StatusCode)
	}
}

// TestInvitationMail: with a mail relay configured, an invitation's
// one-time link, under the configured base URL, is e-mailed to the
// address whether or not it has an account; the answer has the same
// shape either way and does not wait for the relay (a relay that never
// answers leaves the request answered and the mail still under way); how
// each sending went is in the organisation's audit log.
func TestInvitationMail(t *testing.T) {
	dbs := map[string]func(*config.Config){"sqlite": nil}
	if os.Getenv("IOTSEC_TEST_POSTGRES") != "" {
		dbs["postgres"] = func(c *config.Config) { c.Database = storetest.PostgresDSN(t) }
	} else {
		t.Log("IOTSEC_TEST_POSTGRES is not set; PostgreSQL is not tested")
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			smtpAddr, got := apptest.SMTPPeer(t)
			f := apptest.NewWith(t, func(c *config.Config) {
				if db != nil {
					db(c)
				}
				c.SMTPAddr, c.SMTPFrom = smtpAddr, "iotsec@a.example"
				c.BaseURL = "https://iotsec.a.example"
			})
			carol := iotsec.User{Email: "carol@c.example", Name: "Carol"}
			apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &carol))
			mailEvents := func() []iotsec.AuditEvent {
				t.Helper()
				evs, err := f.App.Store.ListAudit(ctx, f.A.Actor(), iotsec.AuditFilter{Limit: 1000})
				apptest.Must(t, err)
				var out []iotsec.AuditEvent
				for _, e := range evs {
					if e.Action == "invitation.mail" {
						out = append(out, e)
					}
				}
				return out
			}
			for _, email := range []string{"carol@c.example", "nobody@c.example"} {
				resp, body := f.JSON("POST", "/api/v1/members", f.A.Token, `{"email":"`+email+`","role":"maker"}`)
				if resp.StatusCode != http.StatusCreated {
					t.Fatalf("invite %s = %d %s", email, resp.StatusCode, body)
				}
				var inv struct {
					ID, Link string
					Mailed   bool
				}
				apptest.Must(t, json.Unmarshal(body, &inv))
				if !inv.Mailed {
					t.Errorf("invitation of %s says mailed false with a mail relay", email)
				}
				if !strings.HasPrefix(inv.Link, "https://iotsec.a.example/invitations/"+iotsec.SecretInvite) {
					t.Errorf("link = %q, want one under the configured base URL", inv.Link)
				}
				var msg string
				select {
				case msg = <-got:
				case <-time.After(30 * time.Second):
					t.Fatalf("no mail for %s within 30 s", email)
				}
				// The peer passes the data on as sent, lines ending in CRLF.
				msg = strings.ReplaceAll(msg, "\r\n", "\n")
				for _, want := range []string{"RCPT TO:<" + email + ">", "To: " + email, "Subject: iotsec: invitation to join Org A",
					"Someone at Org A invites you to join Org A on iotsec as maker.", "\n  " + inv.Link + "\n"} {
					if !strings.Contains(msg, want) {
						t.Errorf("mail to %s lacks %q:\n%s", email, want, msg)
					}
				}
			}
			f.App.Auth.WaitMail()
			evs := mailEvents()
			if len(evs) != 2 {
				t.Fatalf("%d invitation.mail events, want 2: %+v", len(evs), evs)
			}
			for _, e := range evs {
				if !strings.Contains(e.Details, `"result":"sent"`) || e.OrgID != f.A.Org.ID {
					t.Errorf("mail event %+v, want sent, in org A", e)
				}
			}

			// A relay that accepts connections and never answers.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			apptest.Must(t, err)
			defer ln.Close()
			accepted := make(chan net.Conn, 2)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted <- c
				}
			}()
			f.App.Auth.Mail = supply.SMTP{Addr: ln.Addr().String(), From: "iotsec@a.example"}.Send
			resp, body := f.JSON("POST", "/api/v1/members", f.A.Token, `{"email":"dave@d.example","role":"viewer"}`)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("invite with a stalled relay = %d %s", resp.StatusCode, body)
			}
			var c net.Conn
			select {
			case c = <-accepted:
			case <-time.After(30 * time.Second):
				t.Fatal("the stalled relay was never called")
			}
			// Answered while the relay still holds the message: the
			// request did not wait for it.
			if n := len(mailEvents()); n != 2 {
				t.Errorf("%d invitation.mail events while the relay holds the message, want 2", n)
			}
			c.Close()
			f.App.Auth.WaitMail()
			evs = mailEvents()
			if len(evs) != 3 || !strings.Contains(evs[0].Details, `"result":"failed: `) {
				t.Errorf("after the relay hung up: %+v, want a third event, failed", evs)
			}
			// A relay that holds the message past the time allowed: the
			// failure is still recorded.
			f.App.Auth.MailTimeout = 200 * time.Millisecond
			resp, body = f.JSON("POST", "/api/v1/members", f.A.Token, `{"email":"erin@e.example","role":"viewer"}`)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("invite with a relay that times out = %d %s", resp.StatusCode, body)
			}
			f.App.Auth.WaitMail()
			evs = mailEvents()
			if len(evs) != 4 || !strings.Contains(evs[0].Details, "deadline exceeded") {
				t.Errorf("after the relay timed out: %+v, want a fourth event, failed for the time", evs)
			}
		})
	}
}
