package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/ui"
)

// fixture is apptest's server with two organisations, and the UI tests'
// helpers.
type fixture struct{ *apptest.Fixture }

func newFixture(t testing.TB) *fixture { return &fixture{apptest.New(t)} }

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each 303.
type browser struct {
	t    testing.TB
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: f.T, f: f, c: c}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest("GET", b.f.Srv.URL+path, nil)
	return b.do(req)
}

// post submits a form as a same-origin browser would, with the CSRF token
// of the last page seen unless form sets its own.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	if !form.Has("csrf") && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.f.Srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (f *fixture) setPassword(u iotsec.User, pw string) {
	hash, err := auth.HashPassword(pw)
	apptest.Must(f.T, err)
	apptest.Must(f.T, f.App.Store.SetPassword(context.Background(), "test", u.ID, hash))
}

func (b *browser) login(email, pw string) {
	b.t.Helper()
	resp, body := b.post("/login", url.Values{"email": {email}, "password": {pw}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login = %d: %s", resp.StatusCode, body)
	}
	b.get("/") // pick up the CSRF token
}

func wantStatus(t *testing.T, what string, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s = %d, want %d\n%s", what, resp.StatusCode, want, shorten(body))
	}
}

func shorten(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

func TestUISignIn(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()

	resp, body := b.get("/devices?q=x")
	wantStatus(t, "GET /devices signed out", resp, body, 303)
	if loc := resp.Header.Get("Location"); loc != "/login?next=%2Fdevices%3Fq%3Dx" {
		t.Errorf("redirect to %q", loc)
	}
	resp, body = b.get("/login")
	wantStatus(t, "GET /login", resp, body, 200)
	resp, body = b.post("/login", url.Values{"email": {"alice@a.example"}, "password": {"wrong password"}})
	wantStatus(t, "wrong password", resp, body, 401)
	if !strings.Contains(body, "wrong email or password") {
		t.Errorf("failed sign-in page does not say why")
	}
	resp, body = b.post("/login", url.Values{"email": {"alice@a.example"}, "password": {"correct horse battery"}, "next": {"//evil.example/"}})
	wantStatus(t, "sign in", resp, body, 303)
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("sign-in redirect to %q, want / (not an off-site next)", loc)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || !strings.HasPrefix(cookie.Value, iotsec.SecretSession) {
		t.Fatalf("session cookie = %+v", cookie)
	}
	resp, body = b.get("/")
	wantStatus(t, "GET / signed in", resp, body, 200)
	if !strings.Contains(body, "Org A") || strings.Contains(body, "Org B") {
		t.Errorf("overview does not show Org A alone")
	}
	resp, body = b.post("/logout", url.Values{})
	wantStatus(t, "sign out", resp, body, 303)
	resp, body = b.get("/")
	wantStatus(t, "GET / after sign out", resp, body, 303)
	// The old cookie is dead on the server too, not just dropped.
	resp, _ = http.DefaultClient.Do(withCookie(f.Srv.URL+"/", cookie))
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/login" {
		t.Errorf("old session cookie still works: ended at %s", resp.Request.URL)
	}
}

func withCookie(u string, c *http.Cookie) *http.Request {
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(c)
	return req
}

func TestUILoginLink(t *testing.T) {
	f := newFixture(t)
	secret, err := f.App.Auth.LoginLink(context.Background(), f.A.Owner.ID, 3600e9)
	apptest.Must(t, err)
	b := f.browser()
	resp, body := b.get("/login/link/" + secret)
	wantStatus(t, "GET link", resp, body, 200)
	resp, body = b.post("/login/link", url.Values{"secret": {secret}})
	wantStatus(t, "use link", resp, body, 303)
	resp, body = b.get("/account")
	wantStatus(t, "account", resp, body, 200)
	if !strings.Contains(body, "Set a password") && !strings.Contains(body, "Set password") {
		t.Errorf("account page after a link sign-in does not offer to set a password")
	}
	resp, body = b.post("/account/password", url.Values{"password": {"short"}})
	wantStatus(t, "short password", resp, body, 400)
	resp, body = b.post("/account/password", url.Values{"password": {"a long new passphrase"}})
	wantStatus(t, "set password", resp, body, 303)
	resp, body = b.get("/account?done=password-set")
	wantStatus(t, "still signed in after setting a password", resp, body, 200)
	// The link is spent.
	b2 := f.browser()
	resp, body = b2.post("/login/link", url.Values{"secret": {secret}})
	wantStatus(t, "reuse link", resp, body, 401)
	b2.login("alice@a.example", "a long new passphrase")
}

func TestUICSRF(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	form := func() url.Values {
		return url.Values{"name": {"Hub"}, "model_number": {"HUB-1"}, "class": {"hub"}, "sector": {"consumer"}}
	}

	f2 := form()
	f2.Set("csrf", "forged")
	resp, body := b.post("/products", f2)
	wantStatus(t, "POST with a wrong CSRF token", resp, body, 403)

	req, _ := http.NewRequest("POST", f.Srv.URL+"/products", strings.NewReader(func() string { v := form(); v.Set("csrf", b.csrf); return v.Encode() }()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, body = b.do(req)
	wantStatus(t, "cross-site POST with the right token", resp, body, 403)

	req, _ = http.NewRequest("POST", f.Srv.URL+"/products", strings.NewReader(form().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, body = b.do(req)
	wantStatus(t, "POST from another origin", resp, body, 403)

	resp, body = b.post("/products", form())
	wantStatus(t, "same-site POST with the token", resp, body, 303)
	ps, _ := f.App.Store.ListProducts(context.Background(), iotsec.System(f.A.Org.ID, "t"))
	if len(ps) != 2 {
		t.Errorf("%d products after one accepted POST, want 2", len(ps))
	}
}

// TestUIPages renders every page for an owner and a viewer, follows the
// inventory forms, and checks another organisation's pages are 404.
func TestUIPages(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	viewer := iotsec.User{Email: "val@a.example"}
	apptest.Must(t, f.App.Store.CreateUser(context.Background(), "t", &viewer))
	apptest.Must(t, f.App.Store.AddMember(context.Background(), iotsec.System(f.A.Org.ID, "t"), viewer.ID, iotsec.RoleViewer))
	f.setPassword(viewer, "viewer passphrase here")
	// Supply-chain data, so its pages render with matches, VEX and CRA
	// reports in them.
	sup := f.supplyFixture()
	// A label each, so the registry's record pages render.
	f.RegistryRecords(&f.A)
	f.RegistryRecords(&f.B)
	wsA, wsB, _ := workspaceFixture(t, f)

	inv, err := f.App.Auth.Invite(context.Background(), f.A.Actor(), "newcomer@x.example", iotsec.RoleViewer)
	apptest.Must(t, err)
	params := map[string]string{"id": "", "file": "app.css", "pid": "1", "code": "GB", "secret": inv.Link[strings.LastIndex(inv.Link, "/")+1:]}
	pathFor := func(route string, own bool) string {
		p := route
		g := f.A
		if !own {
			g = f.B
		}
		switch {
		case strings.HasPrefix(route, "/products/{id}"):
			params["id"] = g.Product.ID
		case strings.HasPrefix(route, "/devices/{id}"):
			params["id"] = g.Device.ID
		case strings.HasPrefix(route, "/firmware/{id}"):
			params["id"] = g.Firmware.ID
		case strings.HasPrefix(route, "/jobs/{id}"):
			params["id"] = g.Job.ID
		case strings.HasPrefix(route, "/catalog/imports/{id}"):
			params["id"] = g.Import
		case strings.HasPrefix(route, "/identity/devices/{id}"):
			params["id"] = g.Device.ID
		case strings.HasPrefix(route, "/identity/certificates/{id}"):
			params["id"] = g.CertID
		case strings.HasPrefix(route, "/supply/firmware/{id}"):
			params["id"] = g.Firmware.ID
		case strings.HasPrefix(route, "/supply/products/{id}"):
			params["id"] = g.Product.ID
		case strings.HasPrefix(route, "/supply/cra/{id}"):
			params["id"] = sup.craA
			if !own {
				params["id"] = sup.craB
			}
		case strings.HasPrefix(route, "/registry/{id}"):
			params["id"] = g.Certification
		case strings.HasPrefix(route, "/supply/vulnerabilities/{id}"):
			params["id"] = "CVE-2024-1086"
		case strings.HasPrefix(route, "/workspaces/{id}"):
			params["id"] = wsA.ID
			if !own {
				params["id"] = wsB.ID
			}
		}
		// Each organisation's private imported scheme: B's is 404 to A.
		params["slug"] = g.Scheme
		for k, v := range params {
			p = strings.ReplaceAll(p, "{"+k+"}", v)
		}
		return strings.ReplaceAll(p, "{$}", "")
	}
	for _, who := range []struct{ email, pw string }{{"alice@a.example", "correct horse battery"}, {"val@a.example", "viewer passphrase here"}} {
		b := f.browser()
		b.login(who.email, who.pw)
		for _, r := range mustUI(t, f).Routes() {
			if r.Method != "GET" || strings.Contains(r.Path, "/login") || r.Path == "/l/{file}" {
				continue // the public label page has its own test, TestPublicLabelPage
			}
			path := pathFor(r.Path, true)
			resp, body := b.get(path)
			want := 200
			if who.email == "val@a.example" && (path == "/products/new" || strings.HasSuffix(path, "/edit") || path == "/devices/new" ||
				path == "/devices/import" || path == "/settings/tokens" || path == "/audit") {
				want = 403
			}
			wantStatus(t, who.email+" GET "+path, resp, body, want)
			if want == 200 && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !strings.Contains(body, "</html>") {
				t.Errorf("GET %s: page is cut off", path)
			}
			// A vulnerability is public data, not an organisation's: its page
			// shows each organisation its own matches (TestUISupplyChain).
			if (strings.Contains(r.Path, "{id}") || strings.Contains(r.Path, "{slug}")) && r.Path != "/supply/vulnerabilities/{id}" {
				other := pathFor(r.Path, false)
				resp, body := b.get(other)
				if want == 403 {
					want = 403 // refused by role before any lookup: same answer for every ID
				} else {
					want = 404
				}
				wantStatus(t, who.email+" GET B's "+other, resp, body, want)
			}
		}
	}
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	resp, body := b.get("/nowhere")
	wantStatus(t, "unknown page", resp, body, 404)
	req, _ := http.NewRequest("DELETE", f.Srv.URL+"/products", nil)
	resp, body = b.do(req)
	wantStatus(t, "wrong method", resp, body, 405)
	resp, body = b.get("/static/app.css?v=x")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func mustUI(t *testing.T, f *fixture) *ui.Handler {
	h, err := ui.New(f.App.Store, f.App.Auth, apptest.Log(), "test")
	apptest.Must(t, err)
	return h
}

func TestUIInventoryForms(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")

	resp, body := b.post("/products", url.Values{"name": {""}, "model_number": {"X"}})
	wantStatus(t, "product without a name", resp, body, 400)
	if !strings.Contains(body, "name: is required") {
		t.Errorf("form error not shown")
	}
	resp, body = b.post("/products", url.Values{"name": {"Router"}, "model_number": {"R-8"}, "support_period_months": {"many"}})
	wantStatus(t, "product with a support period in words", resp, body, 400)
	if !strings.Contains(body, "support_period_months") {
		t.Errorf("support period error not shown")
	}
	resp, body = b.post("/products", url.Values{"name": {"Router"}, "model_number": {"R-9"}, "class": {"router"}, "sector": {"consumer"}, "markets": {"EU, uk sg"},
		"support_period_months": {"60"}, "support_policy": {"Security updates for five years after each release."}})
	wantStatus(t, "create product", resp, body, 303)
	loc := resp.Header.Get("Location")
	resp, body = b.get(loc)
	wantStatus(t, "product page", resp, body, 200)
	for _, want := range []string{"Router", "United Kingdom", "Singapore", "Product created.", "60 months from each release", "Security updates for five years"} {
		if !strings.Contains(body, want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/products/")
	resp, body = b.post("/products/"+id+"/firmware", url.Values{"version": {"2.0"}, "support_end": {"2020-01-01"}, "release_date": {"2019-01-01"}})
	wantStatus(t, "add firmware", resp, body, 303)
	resp, body = b.get("/products/" + id)
	if !strings.Contains(body, "ended") {
		t.Errorf("firmware past its support end is not flagged")
	}
	resp, body = b.post("/products/"+id+"/firmware", url.Values{"version": {"2.0"}})
	wantStatus(t, "duplicate firmware", resp, body, 400)

	// Import through the upload form.
	upload := func(name, content string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", b.csrf)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", f.Srv.URL+"/devices/import", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return b.do(req)
	}
	resp, body = upload("bad.csv", "uid,product\nZ-1,NOPE\n")
	wantStatus(t, "import a bad file", resp, body, 400)
	if !strings.Contains(body, "line 2: no product") {
		t.Errorf("import error does not name the line")
	}
	var csv strings.Builder
	csv.WriteString("uid,product,firmware\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "R9-%03d,R-9,2.0\n", i)
	}
	b.get("/devices/import")
	resp, body = upload("fleet.csv", csv.String())
	wantStatus(t, "import", resp, body, 303)
	if !strings.HasPrefix(resp.Header.Get("Location"), "/jobs/job_") {
		t.Errorf("import redirects to %q, want its job", resp.Header.Get("Location"))
	}
	resp, body = b.get(resp.Header.Get("Location"))
	wantStatus(t, "job page", resp, body, 200)
	if !strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("a queued job's page does not refresh itself")
	}
	// Run the import as the queue would: the finished job says in words
	// what it did and links the devices.
	importID := strings.TrimPrefix(resp.Request.URL.Path, "/jobs/")
	job, input, err := f.App.Store.JobInput(context.Background(), importID)
	apptest.Must(t, err)
	res, err := inventory.Handler{Store: f.App.Store}.Run(context.Background(), job, input)
	apptest.Must(t, err)
	apptest.Must(t, f.App.Store.EndJob(context.Background(), importID, iotsec.JobSucceeded, res, "", time.Now()))
	resp, body = b.get("/jobs/" + importID)
	wantStatus(t, "finished import job", resp, body, 200)
	if !strings.Contains(body, "30 rows read: 30 devices added, 0 updated") || !strings.Contains(body, `href="/devices"`) ||
		strings.Contains(body, "&#34;created&#34;") || strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("the finished import's page does not say what it did in words:\n%s", shorten(body))
	}

	// Tokens: the secret is shown once.
	b.get("/settings/tokens")
	resp, body = b.post("/settings/tokens", url.Values{"name": {"ci"}, "role": {"maker"}, "expires": {"30"}})
	wantStatus(t, "create token", resp, body, 201)
	secret := regexp.MustCompile(`iotsec_tok_[0-9a-z]+`).FindString(body)
	if secret == "" {
		t.Fatal("token secret not shown")
	}
	if r, _ := f.JSON("GET", "/api/v1/me", secret, ""); r.StatusCode != 200 {
		t.Errorf("the shown token does not work: %d", r.StatusCode)
	}
	_, body = b.get("/settings/tokens")
	if strings.Contains(body, secret) {
		t.Error("token secret shown a second time")
	}
}

// TestUICatalog answers the regulator's questions through the pages, and
// imports, shares and deletes a scheme through the forms.
func TestUICatalog(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	f.setPassword(f.B.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	// The fixture's organisations each imported a private scheme (a
	// mandatory PSTI look-alike in GB): A's answers include A's only.
	pages := []struct {
		path  string
		wants []string
	}{
		{"/catalog?jurisdiction=SG", []string{"sg-cls", "Cybersecurity Labelling Scheme"}},
		{"/catalog/applies?class=camera&sector=consumer&markets=EU,UK,SG&date=2026-07-01", []string{"5 mandatory, 5 voluntary", "uk-psti", "en-18031-1", "/catalog/baseline?", f.A.Scheme}},
		// The fixture's camera is sold in the EU: its values fill the form.
		{"/catalog/applies?product=" + f.A.Product.ID + "&date=2026-07-01", []string{`value="EU"`, "eu-cra", "en-18031-1"}},
		{"/catalog/baseline?class=camera&sector=consumer&markets=EU,UK,SG&date=2026-07-01", []string{"come down to", "uk-psti 1", "shared lines of etsi-en-303-645"}},
		{"/catalog/compare?a=sg-cls:2&b=eu-cra", []string{`<svg class="heatmap`, `<desc id="hm-desc">`, "covered in part", `id="compare-table"`}},
		{"/catalog/gaps?date=2026-07-01", []string{"By sector", "Public infrastructure and smart city", "missing-standard", `class="gap gap-none"`}},
		{"/catalog/recognition?slug=sg-cls&level=3", []string{`<svg class="graph"`, "sg-uk-2025", "kr-cic"}},
		{"/catalog/schemes/sg-cls?level=2", []string{"Provisions at level 2", "33 of 36 provisions"}},
		{"/catalog/schemes/uk-psti/provisions/1", []string{"Mapped provisions", "SI 2023/1007 Schedule 2", "Through etsi-en-303-645"}},
	}
	for _, p := range pages {
		resp, body := b.get(p.path)
		wantStatus(t, "GET "+p.path, resp, body, 200)
		for _, w := range p.wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", p.path, w)
			}
		}
		if strings.Contains(body, f.B.Scheme) {
			t.Errorf("GET %s shows B's private scheme %s", p.path, f.B.Scheme)
		}
	}
	for _, p := range []string{"/catalog/compare?a=sg-clss&b=eu-cra", "/catalog/applies?markets=Atlantis", "/catalog/recognition?slug=nope"} {
		resp, body := b.get(p)
		wantStatus(t, "GET "+p, resp, body, 400)
		if !strings.Contains(body, `class="notice bad"`) {
			t.Errorf("GET %s does not show the problem on the form", p)
		}
	}
	resp, body := b.get("/catalog/schemes/uk-psti/export?format=csv")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "from,to,") {
		t.Errorf("CSV export = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	upload := func(name, content, visibility string) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", b.csrf)
		mw.WriteField("visibility", visibility)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", f.Srv.URL+"/catalog/imports", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return b.do(req)
	}
	b.get("/catalog/imports")
	resp, body = upload("bad.csv", "from,to,sources,relationship,targets,rationale,citation_url\nuk-psti,etsi-en-303-645,1,kind-of,5.1-1,x,https://x.example\nuk-psti,nope,1,equal-to,5.1-1,x,https://x.example\n", "private")
	wantStatus(t, "import a bad spreadsheet", resp, body, 400)
	if !strings.Contains(body, "line 2") || !strings.Contains(body, "kind-of") {
		t.Errorf("import page does not name each problem")
	}
	// A scheme whose title and provision IDs carry markup: the pages and
	// the heatmap escape it.
	evil := bytes.ReplaceAll(f.SchemeBundle("ui-label"), []byte(`"Passwords"`), []byte(`"<script>alert(1)</script>"`))
	resp, body = upload("ui-label.json", string(evil), "private")
	wantStatus(t, "import a scheme", resp, body, 303)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/catalog/imports/imp_") {
		t.Fatalf("import redirects to %q", loc)
	}
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/catalog/imports/")
	resp, body = b.get(loc)
	wantStatus(t, "import page", resp, body, 200)
	if !strings.Contains(body, "ui-label") || !strings.Contains(body, "Share with every organisation") {
		t.Errorf("import page lacks the scheme or the share button")
	}
	for _, p := range []string{"/catalog/schemes/ui-label", "/catalog/compare?a=ui-label&b=sg-cls:1", "/catalog/schemes/ui-label/provisions/1"} {
		resp, body := b.get(p)
		wantStatus(t, "GET "+p, resp, body, 200)
		if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("GET %s does not escape the imported title", p)
		}
	}
	// B does not see it until A shares it.
	bb := f.browser()
	bb.login("bob@b.example", "correct horse battery")
	if resp, body := bb.get("/catalog/schemes/ui-label"); resp.StatusCode != 404 {
		t.Errorf("B sees A's private scheme: %d", resp.StatusCode)
	} else if strings.Contains(body, "&lt;script&gt;") || strings.Contains(body, "Imported by Org A") {
		t.Errorf("B's 404 page shows A's scheme")
	}
	// An unknown slug is a 404 that names close slugs.
	if resp, body := b.get("/catalog/schemes/sg-clss"); resp.StatusCode != 404 || !strings.Contains(body, "did you mean sg-cls?") {
		t.Errorf("GET /catalog/schemes/sg-clss = %d, want 404 naming sg-cls", resp.StatusCode)
	}
	resp, body = b.post("/catalog/imports/"+id+"/visibility", url.Values{"visibility": {"shared"}})
	wantStatus(t, "share", resp, body, 303)
	if resp, body := bb.get("/catalog/schemes/ui-label"); resp.StatusCode != 200 || !strings.Contains(body, "Imported by Org A (shared)") {
		t.Errorf("B does not see A's shared scheme: %d", resp.StatusCode)
	}
	if resp, body := bb.get("/catalog/imports/" + id); resp.StatusCode != 200 || strings.Contains(body, "Delete import") {
		t.Errorf("B's view of A's shared import = %d, offers delete: %v", resp.StatusCode, strings.Contains(body, "Delete import"))
	}
	bb.get("/catalog/imports")
	if resp, body := bb.post("/catalog/imports/"+id+"/delete", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("B deletes A's shared import: %d %s", resp.StatusCode, shorten(body))
	}
	resp, body = b.get("/catalog/imports/" + id + "/source")
	if resp.StatusCode != 200 || !strings.Contains(body, `"catalog"`) {
		t.Errorf("download the source = %d", resp.StatusCode)
	}
	b.get(loc)
	resp, body = b.post("/catalog/imports/"+id+"/delete", url.Values{})
	wantStatus(t, "delete", resp, body, 303)
	if resp, _ := b.get("/catalog/schemes/ui-label"); resp.StatusCode != 404 {
		t.Errorf("scheme still there after delete: %d", resp.StatusCode)
	}
}

// TestUIIdentityForms works a device's identity through the pages: the CA,
// a root, lifecycle steps with and without evidence, a one-time token, a
// transfer claimed by another organisation, and a revocation.
func TestUIIdentityForms(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	f.setPassword(f.B.Owner, "another horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	resp, body := b.get("/identity")
	wantStatus(t, "identity home", resp, body, 200)
	if !strings.Contains(body, "no certificate authority yet") || !strings.Contains(body, `action="/identity/ca"`) {
		t.Errorf("identity home without a CA does not offer to create one")
	}
	resp, body = b.post("/identity/ca", url.Values{"label": {"Not A Label"}})
	wantStatus(t, "CA with a bad label", resp, body, 400)
	resp, body = b.post("/identity/ca", url.Values{"name": {"Org A Device CA"}})
	wantStatus(t, "create CA", resp, body, 303)
	resp, body = b.get("/identity?done=ca-created")
	if !strings.Contains(body, "CN=Org A Device CA") || !strings.Contains(body, "/pki/org-a/crl") {
		t.Errorf("identity home does not show the new CA")
	}
	resp, body = b.post("/identity/roots", url.Values{"kind": {"matter-paa"}, "pem": {apptest.NewRootPEM(t)}})
	wantStatus(t, "add root", resp, body, 303)
	resp, body = b.post("/identity/roots", url.Values{"kind": {"idevid-root"}, "pem": {"garbage"}})
	wantStatus(t, "add a bad root", resp, body, 400)
	_, body = b.get("/identity/roots")
	if strings.Count(body, `/delete"`) != 2 {
		t.Errorf("roots page does not list both anchors")
	}

	dev := "/identity/devices/" + f.A.Device.ID
	for _, step := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"to": {"operational"}}, 400}, // manufactured cannot jump
		{url.Values{"to": {"provisioned"}, "note": {"shipped to site 4"}}, 303},
	} {
		resp, body = b.post(dev+"/transition", step.form)
		wantStatus(t, "transition to "+step.form.Get("to"), resp, body, step.want)
	}
	resp, body = b.post(dev+"/token", url.Values{"hours": {"24"}})
	wantStatus(t, "enrolment token", resp, body, 201)
	secret := regexp.MustCompile(`iotsec_enr_[0-9a-z]+`).FindString(body)
	if secret == "" {
		t.Fatal("enrolment token not shown")
	}
	_, body = b.get(dev)
	if strings.Contains(body, secret) || !strings.Contains(body, "1 token(s)") {
		t.Error("token shown twice, or not counted")
	}
	// Issue an LDevID through the API, then revoke it in the UI.
	var cert map[string]any
	resp, got := f.JSON("POST", "/api/v1/identity/devices/"+f.A.Device.ID+"/certificates", f.A.Token, apptest.JSONString(map[string]string{"csr": apptest.CSRPEM(t, f.A.Device.UID)}))
	if resp.StatusCode != 201 || json.Unmarshal(got, &cert) != nil {
		t.Fatalf("issue = %d %s", resp.StatusCode, got)
	}
	certPage := "/identity/certificates/" + cert["id"].(string)
	resp, body = b.get(certPage)
	wantStatus(t, "certificate page", resp, body, 200)
	if !strings.Contains(body, "BEGIN CERTIFICATE") || !strings.Contains(body, "Revoke this certificate") {
		t.Error("certificate page lacks the PEM or the revoke form")
	}
	resp, body = b.post(certPage+"/revoke", url.Values{"reason": {"keyCompromise"}})
	wantStatus(t, "revoke", resp, body, 303)
	_, body = b.get(certPage)
	if !strings.Contains(body, "keyCompromise") || strings.Contains(body, "Revoke this certificate") {
		t.Error("revoked certificate page")
	}

	resp, body = b.post(dev+"/transition", url.Values{"to": {"decommissioned"}})
	wantStatus(t, "decommission without evidence", resp, body, 400)
	if !strings.Contains(body, "data-wipe record") {
		t.Error("the missing evidence is not explained")
	}
	resp, body = b.post(dev+"/transition", url.Values{"to": {"decommissioned"}, "evidence": {"factory reset + NIST 800-88 clear, ticket 4471"}})
	wantStatus(t, "decommission", resp, body, 303)
	resp, body = b.post(dev+"/transfer", url.Values{})
	wantStatus(t, "offer transfer", resp, body, 201)
	code := regexp.MustCompile(`iotsec_xfr_[0-9a-z]+`).FindString(body)
	if code == "" {
		t.Fatal("transfer code not shown")
	}
	_, body = b.get(dev)
	for _, want := range []string{"ticket 4471", "operational → decommissioned", "manufactured → provisioned", "shipped to site 4"} {
		if !strings.Contains(body, want) {
			t.Errorf("device page lacks %q in its history", want)
		}
	}

	// B claims the device with the code.
	bb := f.browser()
	bb.login("bob@b.example", "another horse battery")
	bb.get("/identity")
	resp, body = bb.post("/identity/claim", url.Values{"code": {"iotsec_xfr_wrong"}, "product_id": {f.B.Product.ID}})
	wantStatus(t, "claim with a wrong code", resp, body, 400)
	resp, body = bb.post("/identity/claim", url.Values{"code": {code}, "product_id": {f.B.Product.ID}})
	wantStatus(t, "claim", resp, body, 303)
	resp, body = bb.get(resp.Header.Get("Location"))
	wantStatus(t, "claimed device", resp, body, 200)
	if !strings.Contains(body, f.A.Device.UID) || !strings.Contains(body, "transfer-in") {
		t.Error("the claimed device's page does not show its transfer")
	}
	resp, _ = b.get(dev)
	if resp.StatusCode != 404 {
		t.Errorf("A still sees the device after the transfer: %d", resp.StatusCode)
	}
	// A keeps the revoked certificate in its history.
	resp, body = b.get(certPage)
	wantStatus(t, "A's certificate after the transfer", resp, body, 200)
	resp, body = b.get("/identity/audit")
	wantStatus(t, "audit", resp, body, 200)
}
