package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
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
