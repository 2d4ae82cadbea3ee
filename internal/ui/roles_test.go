package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/ui"
)

var uiParam = regexp.MustCompile(`\{[a-z_$]+\}`)

// TestUIRoleTable signs in a member of every role and walks every route
// of the web UI, forms included, asserting the authorisation table: a
// role the table does not admit gets 403 (before its form is read; the
// forms here are empty), a role it admits never does. A route missing
// from the table fails.
func TestUIRoleTable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	browsers := map[iotsec.Role]*browser{}
	for _, role := range iotsec.Roles() {
		u := iotsec.User{Email: string(role) + "@a.example"}
		apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &u))
		apptest.Must(t, f.App.Store.AddMember(ctx, f.A.Actor(), u.ID, role))
		f.setPassword(u, "correct horse battery "+string(role))
		b := f.browser()
		b.login(u.Email, "correct horse battery "+string(role))
		browsers[role] = b
	}
	routes := mustUI(t, f).Routes()
	// Signing out ends the session the walk uses: last.
	slices.SortStableFunc(routes, func(x, y ui.Route) int {
		if x.Path == "/logout" {
			return 1
		}
		if y.Path == "/logout" {
			return -1
		}
		return 0
	})
	for _, rt := range routes {
		op := iotsec.Operation(rt.Method + " " + rt.Path)
		need, ok := iotsec.Requirement(op)
		if !ok {
			t.Errorf("%s is not in the authorisation table", op)
			continue
		}
		if slices.Contains(need, iotsec.Public) {
			continue
		}
		path := uiParam.ReplaceAllString(rt.Path, "zz_missing")
		if rt.Path == "/{$}" {
			path = "/"
		}
		for _, role := range iotsec.Roles() {
			b := browsers[role]
			var resp *http.Response
			var body string
			if rt.Method == "GET" {
				resp, body = b.get(path)
			} else {
				resp, body = b.post(path, url.Values{})
			}
			admitted := role.Admits(op)
			switch {
			case !admitted && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s = %d, want 403 (the table admits %v)\n%s", op, role, resp.StatusCode, iotsec.MinimumRoles(op), shorten(body))
			case admitted && resp.StatusCode == http.StatusForbidden:
				t.Errorf("%s as %s = 403, but the table admits it\n%s", op, role, shorten(body))
			}
		}
	}
}
