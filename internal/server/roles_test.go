package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/ui"
)

// roleTokens gives organisation A one API token of every role.
func roleTokens(t *testing.T, f *apptest.Fixture) map[iotsec.Role]string {
	t.Helper()
	toks := map[iotsec.Role]string{}
	for _, r := range iotsec.Roles() {
		secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
		tok := iotsec.Token{Name: "role " + string(r), Role: r, Hash: hash}
		apptest.Must(t, f.App.Store.CreateToken(context.Background(), f.A.Actor(), &tok))
		toks[r] = secret
	}
	return toks
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// TestRoleTable walks every route of the API with a token of every role
// and asserts the authorisation table: a role the table does not admit
// gets 403 whatever it sends (the body here is not even JSON, so a
// refusal that came after validation would be a 400), and a role it
// admits never gets 403. A route missing from the table fails.
func TestRoleTable(t *testing.T) {
	f := apptest.New(t)
	toks := roleTokens(t, f)
	for _, rt := range api.New(nil).Routes() {
		op := iotsec.Operation(rt.Method + " " + rt.Path)
		if _, ok := iotsec.Requirement(op); !ok {
			t.Errorf("%s is not in the authorisation table", op)
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "zz_missing")
		for _, role := range iotsec.Roles() {
			resp, body := f.Do(rt.Method, path, toks[role], "application/json", strings.NewReader("{not json"))
			admitted := role.Admits(op)
			switch {
			case !admitted && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s = %d, want 403 (the table admits %v)\n%s", op, role, resp.StatusCode, iotsec.MinimumRoles(op), body)
			case admitted && resp.StatusCode == http.StatusForbidden:
				t.Errorf("%s as %s = 403, but the table admits it\n%s", op, role, body)
			}
		}
	}
}

// TestRoleTableNamesOnlyRoutes keeps the table free of operations no door
// serves, so it cannot drift into describing routes that are gone.
func TestRoleTableNamesOnlyRoutes(t *testing.T) {
	served := map[iotsec.Operation]bool{}
	for _, rt := range api.New(nil).Routes() {
		served[iotsec.Operation(rt.Method+" "+rt.Path)] = true
	}
	for _, rt := range (&ui.Handler{}).Routes() {
		served[iotsec.Operation(rt.Method+" "+rt.Path)] = true
	}
	for _, op := range iotsec.Operations() {
		if !served[op] {
			t.Errorf("the authorisation table names %s, which no route serves", op)
		}
	}
}
