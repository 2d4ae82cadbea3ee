package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

var linkRE = regexp.MustCompile(`https?://[^<"\s]+/invitations/(iotsec_inv_[A-Za-z0-9_-]+)`)

// TestUIInvitations: an owner invites an address with an account and one
// without; the page reads the same for both; the first invitee accepts
// from the panel after signing in, the second signs up later and accepts
// through the one-time link; a cancelled invitation is gone.
func TestUIInvitations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.setPassword(f.A.Owner, "correct horse battery")
	carol := iotsec.User{Email: "carol@c.example", Name: "Carol Hidden"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &carol))
	f.setPassword(carol, "carol horse battery")

	owner := f.browser()
	owner.login("alice@a.example", "correct horse battery")
	owner.get("/settings/members")
	pages := map[string]string{}
	links := map[string]string{}
	for _, email := range []string{"carol@c.example", "dan@d.example", "eve@e.example"} {
		resp, body := owner.post("/settings/members", url.Values{"email": {email}, "role": {"maker"}})
		wantStatus(t, "invite "+email, resp, body, 200)
		m := linkRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no link on the page after inviting %s:\n%s", email, shorten(body))
		}
		links[email] = m[1]
		if strings.Contains(body, carol.Name) || strings.Contains(body, carol.ID) {
			t.Errorf("the page after inviting %s names Carol's account", email)
		}
		// The notice, without the address and its link, reads the same.
		notice := body[strings.Index(body, "Invitation to"):]
		notice = notice[:strings.Index(notice, "</div></div>")]
		pages[email] = strings.NewReplacer(email, "X", m[0], "LINK").Replace(notice)
	}
	if pages["carol@c.example"] != pages["dan@d.example"] {
		t.Errorf("the invitation notice differs by whether the address has an account:\n%s\n%s", pages["carol@c.example"], pages["dan@d.example"])
	}
	ms, _ := f.App.Store.ListMembers(ctx, f.A.Actor())
	if len(ms) != 1 {
		t.Fatalf("%d members before anyone accepted, want 1", len(ms))
	}
	// The owner cancels Eve's.
	invs, _ := f.App.Store.ListInvitations(ctx, f.A.Actor())
	var eve string
	for _, v := range invs {
		if v.Email == "eve@e.example" {
			eve = v.ID
		}
	}
	resp, body := owner.post("/settings/invitations/"+eve+"/cancel", url.Values{})
	wantStatus(t, "cancel", resp, body, 303)

	// Carol signs in and sees the panel on every page.
	cb := f.browser()
	cb.login("carol@c.example", "carol horse battery")
	_, body = cb.get("/account")
	if !strings.Contains(body, "invites you to join <strong>Org A</strong> as maker") {
		t.Fatalf("no pending-invitation panel for Carol:\n%s", shorten(body))
	}
	m := regexp.MustCompile(`action="/invitations/([^/"]+)/accept"`).FindStringSubmatch(body)
	resp, body = cb.post("/invitations/"+m[1]+"/accept", url.Values{})
	wantStatus(t, "accept", resp, body, 303)
	_, body = cb.get("/products")
	if !strings.Contains(body, "Camera") {
		t.Errorf("after accepting, Carol does not work in Org A:\n%s", shorten(body))
	}
	if role, _ := memberRole(f, carol.ID); role != iotsec.RoleMaker {
		t.Errorf("Carol's role = %q, want maker", role)
	}

	// Dan has no account yet: one is made for him, and he uses the link.
	dan := iotsec.User{Email: "dan@d.example"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &dan))
	f.setPassword(dan, "dan horse battery")
	db := f.browser()
	resp, _ = db.get("/invitations/" + links["dan@d.example"])
	wantStatus(t, "link signed out", resp, "", 303) // to sign in first
	db.login("dan@d.example", "dan horse battery")
	resp, body = db.get("/invitations/" + links["dan@d.example"])
	wantStatus(t, "link", resp, body, 200)
	resp, body = db.post("/invitations/accept", url.Values{"secret": {links["dan@d.example"]}})
	wantStatus(t, "accept by link", resp, body, 303)
	resp, body = db.post("/invitations/accept", url.Values{"secret": {links["dan@d.example"]}})
	wantStatus(t, "link used twice", resp, body, 404)
	resp, body = db.get("/invitations/" + links["eve@e.example"])
	wantStatus(t, "cancelled link", resp, body, 404)
	if role, _ := memberRole(f, dan.ID); role != iotsec.RoleMaker {
		t.Errorf("Dan's role = %q, want maker", role)
	}

	// Without a mail relay the notice says to send the link; with one, that
	// it is being e-mailed, and it is.
	if !strings.Contains(pages["dan@d.example"], "this server sends no e-mail") {
		t.Errorf("the notice without a mail relay does not say none is sent:\n%s", pages["dan@d.example"])
	}
	sent := make(chan string, 1)
	f.App.Auth.Mail = func(_ context.Context, to, _, body string) error { sent <- to + "\n" + body; return nil }
	t.Cleanup(func() { f.App.Auth.Mail = nil })
	resp, body = owner.post("/settings/members", url.Values{"email": {"finn@f.example"}, "role": {"viewer"}})
	wantStatus(t, "invite with a mail relay", resp, body, 200)
	if !strings.Contains(body, "this server is e-mailing to") {
		t.Errorf("the notice with a mail relay does not say the link is e-mailed:\n%s", shorten(body))
	}
	f.App.Auth.WaitMail()
	if m := linkRE.FindStringSubmatch(body); m == nil || !strings.Contains(<-sent, m[0]) {
		t.Errorf("the mail to finn@f.example does not carry the page's link")
	}
}

func memberRole(f *fixture, userID string) (iotsec.Role, error) {
	ms, err := f.App.Store.ListMembers(context.Background(), f.A.Actor())
	for _, m := range ms {
		if m.UserID == userID {
			return m.Role, err
		}
	}
	return "", err
}
