package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIFiguresMatchAPI compares the figures a page shows with the API's
// on the same data: a figure that the UI and the API both show comes from
// one service method, so they cannot disagree.
func TestUIFiguresMatchAPI(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	ctx := context.Background()

	apiJSON := func(path string, into any) {
		t.Helper()
		resp, body := f.JSON("GET", path, f.A.Token, "")
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, body)
		}
		apptest.Must(t, json.Unmarshal(body, into))
	}
	number := func(page, body string, re *regexp.Regexp) int {
		t.Helper()
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s shows no figure matching %s:\n%s", page, re, shorten(body))
		}
		n, err := strconv.Atoi(m[1])
		apptest.Must(t, err)
		return n
	}

	// Suspended devices: the identity page counts them as the overview does.
	for _, to := range []iotsec.State{iotsec.StateProvisioned, iotsec.StateOperational, iotsec.StateSuspended} {
		_, err := f.App.Identity.ChangeState(ctx, f.A.Actor(), f.A.Device.ID, identity.Move{To: to})
		apptest.Must(t, err)
	}
	var ov iotsec.Overview
	apiJSON("/api/v1/overview", &ov)
	resp, body := b.get("/identity")
	wantStatus(t, "identity", resp, body, 200)
	ui := number("/identity", body, regexp.MustCompile(`href="/devices\?state=suspended"><div class="n">(\d+)</div>`))
	if api := ov.DevicesByState[iotsec.StateSuspended]; ui != api || api != 1 {
		t.Errorf("suspended devices: identity page %d, API overview %d, want 1", ui, api)
	}
	if strings.Contains(body, "on hold (suspended devices)") {
		t.Error("the identity page still calls certificates on hold suspended devices")
	}

	// Support period: the product states none, its one version has an
	// end, so the product page does not say "not stated".
	var sup struct {
		Items []struct {
			ProductID  string      `json:"product_id"`
			SupportEnd iotsec.Date `json:"support_end"`
		} `json:"items"`
	}
	apiJSON("/api/v1/support", &sup)
	var end iotsec.Date
	for _, it := range sup.Items {
		if it.ProductID == f.A.Product.ID {
			if it.SupportEnd.IsZero() {
				t.Fatalf("the fixture's version has no support end in the API")
			}
			end = it.SupportEnd
		}
	}
	resp, body = b.get("/products/" + f.A.Product.ID)
	wantStatus(t, "product", resp, body, 200)
	if strings.Contains(body, "not stated") || !strings.Contains(body, "until "+end.String()) {
		t.Errorf("product page's support period disagrees with the API's support end %s:\n%s", end, shorten(body))
	}

	// The SBOM upload limit: the UI's form, the OpenAPI description and
	// the service state one figure.
	mib := int(f.App.Supply.MaxSBOM >> 20)
	resp, body = b.get("/supply/firmware/" + f.A.Firmware.ID)
	wantStatus(t, "supply firmware", resp, body, 200)
	if ui := number("/supply/firmware", body, regexp.MustCompile(`up to (\d+) MiB`)); ui != mib {
		t.Errorf("SBOM limit: UI %d MiB, service %d MiB", ui, mib)
	}
	resp, doc := f.JSON("GET", "/api/openapi.json", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/openapi.json = %d", resp.StatusCode)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	apptest.Must(t, json.Unmarshal(doc, &spec))
	var put struct {
		Description string `json:"description"`
	}
	apptest.Must(t, json.Unmarshal(spec.Paths["/api/v1/firmware/{id}/sbom"]["put"], &put))
	desc := put.Description
	if !strings.Contains(desc, fmt.Sprintf("at most %d MiB", mib)) {
		t.Errorf("OpenAPI's SBOM upload says %q, want at most %d MiB", desc, mib)
	}

	// The Jobs page does not promise as future what already runs there.
	resp, body = b.get("/jobs")
	wantStatus(t, "jobs", resp, body, 200)
	if strings.Contains(body, "later") || !strings.Contains(body, "firmware scans") {
		t.Errorf("the Jobs page's lead is out of date")
	}
}

// TestUICRAClocksMatchAPI checks the CRA report rule on the demo data,
// the UI against the API: every firmware version with an open
// known-exploited match in the API is covered by a report the API lists
// (one per product and vulnerability), and its supply-chain page links
// that report; a version without one says why it has no clock.
func TestUICRAClocksMatchAPI(t *testing.T) {
	d := apptest.NewDemo(t)
	ctx := context.Background()
	orgs, err := d.App.Store.ListOrgs(ctx)
	apptest.Must(t, err)
	var org iotsec.Organisation
	for _, o := range orgs {
		if o.Name == "Demo Devices" {
			org = o
		}
	}
	if org.ID == "" {
		t.Fatal("no demo organisation")
	}
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	apptest.Must(t, d.App.Store.CreateToken(ctx, iotsec.System(org.ID, "test"), &iotsec.Token{Name: "figures", Role: iotsec.RoleViewer, Hash: hash}))
	api := func(path string, into any) {
		t.Helper()
		req, _ := http.NewRequest("GET", d.Srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		apptest.Must(t, err)
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		apptest.Must(t, json.NewDecoder(resp.Body).Decode(into))
	}
	var reports struct {
		Items []struct {
			ID        string `json:"id"`
			ProductID string `json:"product_id"`
			VulnID    string `json:"vulnerability"`
		} `json:"items"`
	}
	api("/api/v1/cra-reports", &reports)
	var matches struct {
		Items []struct {
			FirmwareID    string `json:"firmware_id"`
			ProductID     string `json:"product_id"`
			Vulnerability struct {
				ID string `json:"id"`
			} `json:"vulnerability"`
		} `json:"items"`
	}
	var products struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	api("/api/v1/products", &products)
	kev := map[string][]string{} // firmware ID -> open KEV vulnerabilities
	covered := 0
	for _, p := range products.Items {
		matches.Items = nil
		api("/api/v1/products/"+p.ID+"/vulnerabilities?kev=true&limit=1000", &matches)
		for _, m := range matches.Items {
			id := m.Vulnerability.ID
			kev[m.FirmwareID] = append(kev[m.FirmwareID], id)
			found := ""
			for _, r := range reports.Items {
				if r.ProductID == m.ProductID && r.VulnID == id {
					found = r.ID
				}
			}
			if found == "" {
				t.Errorf("%s in firmware %s has no CRA report in the API", id, m.FirmwareID)
				continue
			}
			covered++
		}
	}
	if covered == 0 {
		t.Fatal("the demo has no open known-exploited match: nothing compared")
	}

	b := &browser{t: t, f: &fixture{&apptest.Fixture{T: t, Srv: d.Srv}}}
	jar, _ := cookiejar.New(nil)
	b.c = &http.Client{Jar: jar}
	resp, body := b.get(d.Link)
	wantStatus(t, "sign-in link", resp, body, 200)
	form := url.Values{"csrf": {b.csrf}}
	for _, m := range regexp.MustCompile(`name="(secret|next)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		form.Set(m[1], m[2])
	}
	resp, body = b.post("/login/link", form)
	if resp.StatusCode != 200 {
		t.Fatalf("sign in with the demo link: %d", resp.StatusCode)
	}
	fws := 0
	for _, p := range products.Items {
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		api("/api/v1/products/"+p.ID+"/firmware", &list)
		for _, fw := range list.Items {
			fws++
			resp, body := b.get("/supply/firmware/" + fw.ID)
			wantStatus(t, "supply firmware", resp, body, 200)
			if len(kev[fw.ID]) == 0 {
				if !strings.Contains(body, "No clock") {
					t.Errorf("firmware %s has no open KEV match in the API, and its page does not say why it has no clock", fw.ID)
				}
				continue
			}
			for _, id := range kev[fw.ID] {
				for _, r := range reports.Items {
					if r.ProductID == p.ID && r.VulnID == id && !strings.Contains(body, `href="/supply/cra/`+r.ID+`"`) {
						t.Errorf("firmware %s: the page does not link the report %s that covers %s", fw.ID, r.ID, id)
					}
				}
			}
		}
	}
	if fws == 0 {
		t.Fatal("the demo has no firmware versions")
	}
	t.Logf("%d open known-exploited matches over %d firmware versions, %d CRA reports", covered, fws, len(reports.Items))
}

// TestUIJobsNameTheirActor: a job started with an API token shows the
// token's name, not its ID.
func TestUIJobsNameTheirActor(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	tok := iotsec.Actor{OrgID: f.A.Org.ID, TokenID: f.A.TokenID, Role: iotsec.RoleOwner, Label: "test"}
	job := iotsec.Job{Kind: "device-import"}
	apptest.Must(t, f.App.Store.CreateJob(context.Background(), tok, &job, []byte("uid,product\n")))
	for _, path := range []string{"/jobs", "/jobs/" + job.ID} {
		resp, body := b.get(path)
		wantStatus(t, path, resp, body, 200)
		if !strings.Contains(body, "API token “test”") || strings.Contains(body, "token:"+f.A.TokenID) {
			t.Errorf("%s does not name the token by its name:\n%s", path, shorten(body))
		}
		if !strings.Contains(body, "alice@a.example") && path == "/jobs" {
			t.Errorf("%s does not name the fixture's user by e-mail", path)
		}
	}
}
