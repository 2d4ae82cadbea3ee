package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
)

// TestMemberGolden walks members and invitations through the command
// line: an owner invites an account holder and a stranger (the link is
// printed, and e-mailed through the loopback relay), the invitee lists
// and accepts by ID, another accepts with the link, an invitation is
// cancelled and one declined, a member is removed; the errors on the way
// (a bad role, a member invited again, an unknown member, an invitation
// used up) have their exit codes.
func TestMemberGolden(t *testing.T) {
	dir := t.TempDir()
	smtpAddr, mail := apptest.SMTPPeer(t)
	extra := map[string]string{"IOTSEC_SMTP_ADDR": smtpAddr, "IOTSEC_SMTP_FROM": "iotsec@acme.example"}
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := runCLI(t, dir, args...)
		if code != 0 {
			t.Fatalf("iotsec %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	vars := map[string]string{}
	// pending finds the pending invitations of org by address, by ID.
	pending := func(org string) map[string]string {
		t.Helper()
		var l MemberList
		if err := json.Unmarshal([]byte(must("member", "list", "--org", org, "-o", "json")), &l); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, v := range l.Invitations {
			ids[v.Email] = v.ID
		}
		return ids
	}
	mailTo := func(email string) {
		t.Helper()
		select {
		case m := <-mail:
			if !strings.Contains(m, "RCPT TO:<"+email+">") || !strings.Contains(m, "https://iotsec.acme.example/invitations/iotsec_inv_") {
				t.Errorf("mail for %s:\n%s", email, m)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no mail to %s", email)
		}
	}
	setup := func(t *testing.T) {
		must("admin", "org", "create", "Acme", "--country", "NL")
		must("admin", "org", "create", "Beta", "--country", "DE")
		must("admin", "user", "create", "ann@acme.example", "--org", "Acme", "--role", "owner")
		must("admin", "user", "create", "carol@acme.example")
	}
	steps := []goldenStep{
		{name: "member-invite", before: setup, args: []string{"member", "invite", "carol@acme.example", "--org", "Acme", "--role", "maker", "--base-url", "https://iotsec.acme.example"}},
		{name: "member-invite-stranger", before: func(*testing.T) { mailTo("carol@acme.example") },
			args: []string{"member", "invite", "dan@elsewhere.example", "--org", "Acme", "--base-url", "https://iotsec.acme.example", "-o", "json"}},
		{name: "member-invite-bad-role", before: func(*testing.T) { mailTo("dan@elsewhere.example") },
			args: []string{"member", "invite", "erin@acme.example", "--org", "Acme", "--role", "root"}, code: ExitUsage},
		{name: "member-invite-member", args: []string{"member", "invite", "ann@acme.example", "--org", "Acme"}, code: ExitConflict},
		{name: "member-list", args: []string{"member", "list", "--org", "Acme"}},
		{name: "invitation-list", args: []string{"invitation", "list", "--user", "carol@acme.example"}},
		{name: "invitation-accept", before: func(*testing.T) { vars["carol"] = pending("Acme")["carol@acme.example"] },
			args: []string{"invitation", "accept", "{carol}", "--user", "carol@acme.example"}},
		{name: "invitation-accept-again", args: []string{"invitation", "accept", "{carol}", "--user", "carol@acme.example"}, code: ExitNotFound},
		{name: "invitation-accept-link", before: func(t *testing.T) {
			// Dan signs up under another address and accepts with the link.
			must("admin", "user", "create", "daniel@dan.example")
			var inv struct{ Link string }
			if err := json.Unmarshal([]byte(must("member", "invite", "dan@elsewhere.example", "--org", "Acme", "-o", "json")), &inv); err != nil {
				t.Fatal(err)
			}
			vars["link"] = inv.Link
		}, args: []string{"invitation", "accept", "{link}", "--user", "daniel@dan.example", "-o", "json"}},
		{name: "member-cancel", before: func(t *testing.T) {
			must("member", "invite", "erin@acme.example", "--org", "Acme")
			vars["erin"] = pending("Acme")["erin@acme.example"]
		}, args: []string{"member", "cancel", "{erin}", "--org", "Acme"}},
		{name: "member-cancel-again", args: []string{"member", "cancel", "{erin}", "--org", "Acme"}, code: ExitNotFound},
		{name: "invitation-decline", before: func(t *testing.T) {
			must("member", "invite", "carol@acme.example", "--org", "Beta", "--role", "viewer")
			vars["beta"] = pending("Beta")["carol@acme.example"]
		}, args: []string{"invitation", "decline", "{beta}", "--user", "carol@acme.example"}},
		{name: "member-remove", args: []string{"member", "remove", "carol@acme.example", "--org", "Acme"}},
		{name: "member-remove-unknown", args: []string{"member", "remove", "carol@acme.example", "--org", "Acme"}, code: ExitNotFound},
		{name: "member-list-json", args: []string{"member", "list", "--org", "Acme", "-o", "json"}},
	}
	runGolden(t, dir, extra, steps, vars)
}
