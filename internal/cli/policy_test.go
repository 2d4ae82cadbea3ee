package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

// cells is a country × measure matrix as code -> measure -> status.
type cells map[string]map[string]string

func matrixCells(m policy.Matrix) cells {
	out := cells{}
	for _, r := range m.Rows {
		out[r.Code] = map[string]string{}
		for _, c := range r.Cells {
			out[r.Code][c.Measure] = c.Status
		}
	}
	return out
}

var (
	rowRE  = regexp.MustCompile(`<tr data-code="([^"]+)">`)
	cellRE = regexp.MustCompile(`data-measure="([^"]+)"\s+data-status="([^"]+)"`)
)

// uiCells reads the world table of the /policy page.
func uiCells(t *testing.T, html string) cells {
	t.Helper()
	out := cells{}
	locs := rowRE.FindAllStringSubmatchIndex(html, -1)
	for i, l := range locs {
		end := len(html)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		code := html[l[2]:l[3]]
		out[code] = map[string]string{}
		for _, m := range cellRE.FindAllStringSubmatch(html[l[1]:end], -1) {
			out[code][m[1]] = m[2]
		}
	}
	return out
}

// tableCells reads `policy matrix -o table`.
func tableCells(t *testing.T, out string) cells {
	t.Helper()
	back := map[string]string{}
	for st, l := range statusLetter {
		back[l] = st
	}
	res := cells{}
	var measures []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "CODE":
			measures = f[1:]
		case measures != nil && len(f) == len(measures)+1:
			res[f[0]] = map[string]string{}
			for i, l := range f[1:] {
				res[f[0]][measures[i]] = back[l]
			}
		}
	}
	return res
}

// TestPolicyMatrixAgrees: the country × measure matrix from the command
// line (JSON and table), the API and the UI's world table is the same,
// before and after a government's accepted change.
func TestPolicyMatrixAgrees(t *testing.T) {
	f := apptest.New(t)
	ctx := context.Background()
	hash, err := auth.HashPassword("correct horse battery")
	apptest.Must(t, err)
	apptest.Must(t, f.App.Store.SetPassword(ctx, "test", f.A.Owner.ID, hash))
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(f.Srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return string(b)
	}
	req, _ := http.NewRequest("POST", f.Srv.URL+"/login", strings.NewReader(url.Values{"email": {f.A.Owner.Email},
		"password": {"correct horse battery"}, "next": {"/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", resp, err)
	}

	compare := func(stage string, cliArgs ...string) cells {
		t.Helper()
		const day = "2026-12-07"
		args := append([]string{"policy", "matrix", "--date", day}, cliArgs...)
		out, errOut, code := runCLI(t, f.App.Config.Data, append(args, "-o", "json")...)
		if code != 0 {
			t.Fatalf("policy matrix: exit %d: %s", code, errOut)
		}
		var cm policy.Matrix
		apptest.Must(t, json.Unmarshal([]byte(out), &cm))
		table, errOut, code := runCLI(t, f.App.Config.Data, append(args, "-o", "table")...)
		if code != 0 {
			t.Fatalf("policy matrix -o table: exit %d: %s", code, errOut)
		}
		resp, body := f.JSON("GET", "/api/v1/policy/matrix?date="+day, f.A.Token, "")
		if resp.StatusCode != 200 {
			t.Fatalf("API matrix = %d %s", resp.StatusCode, body)
		}
		var am policy.Matrix
		apptest.Must(t, json.Unmarshal(body, &am))
		want := matrixCells(cm)
		if len(want) < 25 {
			t.Fatalf("%s: CLI matrix has %d rows", stage, len(want))
		}
		for name, got := range map[string]cells{"CLI table": tableCells(t, table), "API": matrixCells(am), "UI": uiCells(t, get("/policy?date="+day))} {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: CLI JSON (-) and %s (+) differ:\n%s", stage, name, diff)
			}
		}
		return want
	}
	before := compare("embedded data")
	if before["GB"]["SBOM"] != policy.None {
		t.Fatalf("GB SBOM = %s before any change", before["GB"]["SBOM"])
	}

	// A government's accepted change shows in all three (the command line
	// reads it from the same database with --changes).
	gov := iotsec.Organisation{Name: "DSIT", Kind: iotsec.OrgGovernment, Country: "GB"}
	apptest.Must(t, f.App.Store.CreateOrg(ctx, "test", &gov, f.A.Owner.ID))
	bob := iotsec.User{Email: "bob@dsit.example"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "test", &bob))
	alice := iotsec.Actor{OrgID: gov.ID, UserID: f.A.Owner.ID, Role: iotsec.RoleOwner, Label: "alice"}
	apptest.Must(t, f.App.Store.AddMember(ctx, alice, bob.ID, iotsec.RoleAdmin))
	e := policy.Entry{ID: "gb-test-sbom", Jurisdiction: "GB", Measure: "SBOM", Status: policy.InForce,
		Instrument: policy.Instrument{Name: "Test", Number: "SI 2026/1", URL: "https://www.legislation.gov.uk/"},
		Scope:      policy.Scope{Text: "Consumer connectable products."}, Dates: policy.Dates{InForce: "2026-06-01"},
		Source: policy.Source{Title: "legislation.gov.uk", URL: "https://www.legislation.gov.uk/"}, Confidence: "high"}
	p, err := f.App.Policy.Propose(ctx, alice, policy.Proposal{Action: iotsec.PolicyAdd, Entry: &e, Rationale: "test"})
	apptest.Must(t, err)
	_, err = f.App.Policy.Review(ctx, iotsec.Actor{OrgID: gov.ID, UserID: bob.ID, Role: iotsec.RoleAdmin, Label: "bob"}, p.ID, true, "")
	apptest.Must(t, err)
	after := compare("after an accepted change", "--changes")
	if after["GB"]["SBOM"] != policy.InForce {
		t.Errorf("GB SBOM after the change = %s, want in force", after["GB"]["SBOM"])
	}
	if !strings.Contains(get("/policy/GB"), "gb-test-sbom") {
		t.Error("the GB page does not show the accepted entry")
	}
	if il := get("/policy/IL"); !strings.Contains(il, "No national measure found.") {
		t.Error("the IL page does not say no national measure was found")
	}
}
