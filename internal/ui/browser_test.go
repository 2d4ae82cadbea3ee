package ui_test

// Browser tests: the UI in a real Chromium (headless, through
// chromedp), on the demo data, at desktop and phone width. They skip
// with a message when no Chromium is installed; .ci/run installs
// Debian's. IOTSEC_CHROME names a browser binary; IOTSEC_BROWSER_SHOTS=1
// keeps a screenshot of every page, not only of failures.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/ui"
)

// widths are the viewports every page is checked at: a common laptop
// and a common phone.
var widths = []struct{ w, h int64 }{{1366, 900}, {390, 844}}

// chromeBinary finds a Chromium: IOTSEC_CHROME if set, else the usual
// names on PATH.
func chromeBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("IOTSEC_CHROME"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("IOTSEC_CHROME=%s is not a browser binary (%v); skipping the browser test", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (chromium, chromium-browser or google-chrome on PATH, or IOTSEC_CHROME); " +
		"skipping the browser test: apt-get install chromium")
	return ""
}

// tab is one headless browser and the console errors and exceptions its
// page reported since the last call to problems.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu     sync.Mutex
	errors []string
}

// newTab starts a headless Chromium with its own profile, closed when t
// ends.
func newTab(t *testing.T, base string) *tab {
	t.Helper()
	bin := chromeBinary(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(widths[0].w), int(widths[0].h)),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb := &tab{t: t, ctx: ctx, base: base}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("could not start %s (%v); skipping the browser test", bin, err)
	}
	// Console errors, uncaught exceptions and the browser's own errors
	// (a CSP violation, a failed load): runtime.EventConsoleAPICalled of
	// type error, runtime.EventExceptionThrown and log.EventEntryAdded.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			msg := m.String()
			if m.URL != "" {
				msg += " (" + m.URL + ")"
			}
			tb.mu.Lock()
			tb.errors = append(tb.errors, msg)
			tb.mu.Unlock()
		}
	}()
	t.Logf("started %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return tb
}

// run runs actions with a time limit, failing the test on an error.
func (tb *tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.shot(what)
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and returns the HTTP status of the document.
func (tb *tab) open(path string) int {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(tb.base+path))
	if err != nil {
		tb.t.Fatalf("GET %s: %v", path, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// problems returns and forgets the console errors seen so far.
func (tb *tab) problems() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	p := tb.errors
	tb.errors = nil
	return p
}

// shotDir is where screenshots go: outside t.TempDir, so they outlive
// the test.
func shotDir() string { return filepath.Join(os.TempDir(), "iotsec-browser") }

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// shot saves a full-page screenshot named name and logs its path.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	name = strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_")
	if err := os.MkdirAll(shotDir(), 0o755); err != nil {
		tb.t.Log(err)
		return
	}
	file := filepath.Join(shotDir(), name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		tb.t.Log(err)
		return
	}
	tb.t.Logf("screenshot: %s", file)
}

// layoutJS reports what does not fit: the page's own horizontal
// overflow, every element whose right edge passes the viewport without a
// horizontally scrolling ancestor to hold it, and every element whose
// content is cut off by its own overflow (clipped text such as a CVSS
// vector) or runs out of the box around it (a fingerprint out of its
// card).
const layoutJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = {h1: (document.querySelector('h1') || {}).textContent || '',
    scrollWidth: document.documentElement.scrollWidth, viewport: vw, wide: [], clipped: [], outOfBox: []};
  const name = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) s += '.' + el.className.trim().split(/\s+/).join('.');
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ');
    return s + (text ? ' "' + text.slice(0, 50) + '"' : '');
  };
  const scrolls = el => {
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || st.position === 'fixed') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > vw + 1 && !scrolls(el)) {
      out.wide.push(name(el) + ' right=' + Math.round(r.right));
    }
    if ((st.overflowX === 'hidden' || st.overflowX === 'clip') && el.scrollWidth > el.clientWidth + 1 &&
        st.textOverflow !== 'ellipsis' && el.tagName !== 'svg') {
      out.clipped.push(name(el) + ' content ' + el.scrollWidth + 'px in ' + el.clientWidth + 'px');
    }
    const p = el.parentElement;
    if (p && p !== document.body && st.position !== 'absolute' && !scrolls(el)) {
      const pst = getComputedStyle(p);
      const pr = p.getBoundingClientRect();
      const inner = pr.right - parseFloat(pst.borderRightWidth || 0);
      if (pst.display !== 'inline' && pst.display !== 'contents' && r.right > inner + 1 && pr.width > 0) {
        out.outOfBox.push(name(el) + ' ends at ' + Math.round(r.right) + ', its ' + p.tagName.toLowerCase() + ' at ' + Math.round(inner));
      }
    }
  }
  out.scrolling = [];
  for (const el of document.querySelectorAll('.scroll')) {
    if (el.scrollWidth > el.clientWidth + 1) out.scrolling.push(name(el) + ' ' + el.scrollWidth + 'px in ' + el.clientWidth + 'px');
  }
  for (const k of ['wide', 'clipped', 'outOfBox', 'scrolling']) out[k] = out[k].slice(0, 8);
  return out;
})()`

type layout struct {
	H1          string   `json:"h1"`
	ScrollWidth int      `json:"scrollWidth"`
	Viewport    int      `json:"viewport"`
	Wide        []string `json:"wide"`
	Clipped     []string `json:"clipped"`
	OutOfBox    []string `json:"outOfBox"`
	Scrolling   []string `json:"scrolling"`
}

// check measures the page as it is laid out now and reports what does
// not fit; where is the page and width for the messages.
func (tb *tab) check(where string, desktop bool) bool {
	tb.t.Helper()
	l := value(tb, where+": measure", chromedp.Evaluate[layout](layoutJS))
	ok := true
	fail := func(format string, args ...any) {
		tb.t.Errorf(where+": "+format, args...)
		ok = false
	}
	if strings.TrimSpace(l.H1) == "" {
		fail("no h1 heading")
	}
	if l.ScrollWidth > l.Viewport {
		fail("the page scrolls sideways: %dpx wide in a %dpx viewport", l.ScrollWidth, l.Viewport)
	}
	for _, s := range l.Wide {
		fail("wider than the viewport, outside any scrolling box: %s", s)
	}
	for _, s := range l.Clipped {
		fail("clipped: %s", s)
	}
	for _, s := range l.OutOfBox {
		fail("runs out of its box: %s", s)
	}
	// A wide table may scroll in its box on a phone, not on a laptop.
	for _, s := range l.Scrolling {
		if desktop {
			fail("scrolls sideways at desktop width: %s", s)
		}
	}
	return ok
}

// checkWidths checks the page at each width, with a screenshot of each
// failure (of every page with IOTSEC_BROWSER_SHOTS set), and leaves it
// at desktop width.
func (tb *tab) checkWidths(page string) {
	tb.t.Helper()
	for _, w := range widths {
		where := fmt.Sprintf("%s at %dpx", page, w.w)
		tb.run(where, viewport(w.w, w.h))
		if !tb.check(where, w.w >= 1000) || os.Getenv("IOTSEC_BROWSER_SHOTS") != "" {
			tb.shot(fmt.Sprintf("%s-%d", page, w.w))
		}
	}
	tb.run("back to desktop width", viewport(widths[0].w, widths[0].h))
}

// viewport resizes the page; the layout follows without a reload.
func viewport(w, h int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(w, h)
}

// value runs an action that returns a value, failing the test on an
// error.
func value[T any](tb *tab, what string, a chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tb.shot(what)
		tb.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signIn signs in the demo admin with the one-time link's form.
func (tb *tab) signIn(link string) {
	tb.t.Helper()
	if st := tb.open(link); st != http.StatusOK {
		tb.t.Fatalf("GET sign-in link = %d", st)
	}
	tb.checkWidths("/login/link/…")
	st := tb.submit("sign in", chromedp.Click(chromedp.CSS(`form[action="/login/link"] button`)))
	loc := value(tb, "where sign-in lands", chromedp.Location())
	if st != http.StatusOK || strings.Contains(loc, "/login") {
		tb.shot("sign-in")
		tb.t.Fatalf("still on %s (%d) after signing in", loc, st)
	}
	tb.expectClean("sign in")
}

// demo is the demo server with the records the demo seed leaves out
// that some pages need: a scheme import and a job.
// invitation invites the demo's admin to a second organisation and
// returns the path of the invitation's one-time link.
func invitation(t *testing.T, d *apptest.Demo) string {
	ctx, s := context.Background(), d.App.Store
	orgs, err := s.ListOrgs(ctx)
	apptest.Must(t, err)
	var admin string
	for _, o := range orgs {
		if o.Name == app.DemoOrg {
			ms, err := s.ListMembers(ctx, iotsec.System(o.ID, "test"))
			apptest.Must(t, err)
			admin = ms[0].Email
		}
	}
	lab := iotsec.Organisation{Name: "Partner Test Laboratory With A Long Name", Kind: iotsec.OrgLab, Country: "DE"}
	apptest.Must(t, s.CreateOrg(ctx, "test", &lab, ""))
	inv, err := d.App.Auth.Invite(ctx, iotsec.System(lab.ID, "test"), admin, iotsec.RoleAssessor)
	apptest.Must(t, err)
	return inv.Link[strings.Index(inv.Link, "/invitations/"):]
}

func demo(t *testing.T) *apptest.Demo {
	d := apptest.NewDemo(t)
	ctx, s := context.Background(), d.App.Store
	orgs, err := s.ListOrgs(ctx)
	apptest.Must(t, err)
	var act iotsec.Actor
	for _, o := range orgs {
		if o.Name == app.DemoOrg {
			act = iotsec.System(o.ID, "test")
		}
	}
	file, err := d.App.Catalog.Export(d.App.Catalog.Base(), "uk-psti", catalog.FormatOSCAL)
	apptest.Must(t, err)
	bundle := strings.ReplaceAll(string(file.Body), `"uk-psti"`, `"demo-label"`)
	_, err = d.App.Catalog.Import(ctx, act, catalog.ImportRequest{Name: "demo-label.json", Data: []byte(bundle)})
	apptest.Must(t, err)
	// A finished job: a queued one's page refreshes itself every two
	// seconds, which would race the measurements.
	job := iotsec.Job{Kind: "device-import"}
	apptest.Must(t, s.CreateJob(ctx, act, &job, []byte("uid,product\n")))
	_, err = s.StartJob(ctx, job.ID, time.Now())
	apptest.Must(t, err)
	apptest.Must(t, s.EndJob(ctx, job.ID, iotsec.JobSucceeded, []byte(`{"created":0,"updated":0}`), "", time.Now()))
	return d
}

// notPages are the GET routes the page walk leaves out, and why.
var notPages = map[string]string{
	"/static/{file}":                 "a stylesheet or image, not a page",
	"/login":                         "signed in, it sends you on; TestBrowserTokenJourney checks it at both widths",
	"/login/link/{secret}":           "the walk signs in with it, checking it at both widths first",
	"/catalog/schemes/{slug}/export": "a download",
	"/catalog/imports/{id}/source":   "a download",
	"/firmware/{id}/ics.csv":         "a download",
	"/firmware/{id}/report.sarif":    "a download",
	"/supply/firmware/{id}/sbom":     "a download",
	"/supply/firmware/{id}/vex":      "a download",
	"/supply/products/{id}/csaf":     "a download",
	"/policy/{code}/brief":           "a generated document (its own CSP, no layout)",
	"/standards/calls":               "a generated document (its own CSP, no layout)",
}

// filledIn are pages again with a question asked: their empty state
// is one page, the answer (a heatmap, a matrix, a list) another.
var filledIn = []string{
	"/catalog/compare?a=uk-psti&b=etsi-en-303-645",
	"/catalog/compare?a=sg-cls:2&b=eu-cra",
	"/catalog/applies?class=camera&sector=consumer&markets=EU%2C+GB%2C+SG",
	"/catalog/baseline?class=camera&sector=consumer&markets=EU%2C+UK%2C+SG",
	"/catalog/gaps?sector=consumer",
	"/catalog/recognition?slug=sg-cls",
	"/devices?state=suspended",
}

// TestBrowserPages signs in and visits every page of the route table
// at both widths.
func TestBrowserPages(t *testing.T) {
	tb := newTab(t, "")
	start := time.Now()
	d := demo(t)
	tb.base = d.Srv.URL
	h, err := ui.New(nil, nil, apptest.Log(), "test")
	apptest.Must(t, err)
	tb.signIn(d.Link)

	// Pages with path parameters take the first link to such a page
	// found on a page visited before.
	type page struct{ route, path string }
	var todo []page
	pending := map[string]*regexp.Regexp{}
	for _, r := range h.Routes() {
		if r.Method != "GET" {
			continue
		}
		if _, skip := notPages[r.Path]; skip {
			continue
		}
		if !strings.Contains(r.Path, "{") || r.Path == "/{$}" {
			todo = append(todo, page{r.Path, strings.TrimSuffix(r.Path, "{$}")})
			continue
		}
		re := regexp.QuoteMeta(r.Path)
		re = regexp.MustCompile(`\\\{[a-z]+\\\}`).ReplaceAllString(re, `[^/?#"]+`)
		pending[r.Path] = regexp.MustCompile(`^` + re + `$`)
	}
	for _, p := range filledIn {
		todo = append(todo, page{p, p})
	}
	// An invitation to the demo admin from another organisation: its
	// panel is on every page of the walk, and its link's page is walked.
	todo = append(todo, page{"/invitations/{secret}", invitation(t, d)})
	delete(pending, "/invitations/{secret}")
	seen := map[string]bool{} // static pages are no IDs: /products/new is not /products/{id}
	for _, p := range todo {
		seen[p.path] = true
	}
	visited := 0
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		visited++
		status := tb.open(p.path)
		if status != http.StatusOK {
			t.Errorf("GET %s (%s) = %d", p.path, p.route, status)
		}
		tb.checkWidths(p.path)
		tb.expectClean(p.path)
		links := value(tb, p.path+": links", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('a[href^="/"]')].map(a => a.getAttribute('href').split(/[?#]/)[0])`))
		for _, l := range links {
			if seen[l] || strings.HasSuffix(l, ".json") {
				continue // a JSON document (the label's) is not a page
			}
			seen[l] = true
			for route, re := range pending {
				if re.MatchString(l) {
					todo = append(todo, page{route, l})
					delete(pending, route)
				}
			}
		}
	}
	for route := range pending {
		t.Errorf("no page links to %s, so the walk could not visit it: give the demo one, or list it in notPages", route)
	}
	t.Logf("%d pages at %d widths in %v", visited, len(widths), time.Since(start).Round(time.Millisecond))
}

// submit runs steps that submit a form and returns the HTTP status of
// the page the browser lands on (after any redirect).
func (tb *tab) submit(what string, steps ...chromedp.Action[chromedp.Void]) int {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		tb.shot(what)
		tb.t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// expectClean fails the test on console errors since the last call, with
// a screenshot.
func (tb *tab) expectClean(where string) {
	tb.t.Helper()
	if p := tb.problems(); len(p) > 0 {
		tb.shot(where)
		for _, e := range p {
			tb.t.Errorf("%s: %s", where, e)
		}
	}
}

// TestBrowserTokenJourney signs in with the login form, makes an API
// token on Settings, sees its secret once, uses it, and revokes it.
func TestBrowserTokenJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	ctx := context.Background()
	admin, err := d.App.Store.GetUserByEmail(ctx, app.DemoAdmin)
	apptest.Must(t, err)
	hash, err := auth.HashPassword("correct horse battery")
	apptest.Must(t, err)
	apptest.Must(t, d.App.Store.SetPassword(ctx, "test", admin.ID, hash))

	// Signed out, a page sends the browser to the login form.
	if st := tb.open("/settings/tokens"); st != http.StatusOK {
		t.Fatalf("GET /settings/tokens signed out = %d", st)
	}
	if loc := value(tb, "location", chromedp.Location()); !strings.Contains(loc, "/login?next=") {
		t.Fatalf("signed out, /settings/tokens lands on %s", loc)
	}
	tb.checkWidths("/login")
	st := tb.submit("sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), app.DemoAdmin),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	if loc := value(tb, "location", chromedp.Location()); st != http.StatusOK || !strings.HasSuffix(loc, "/settings/tokens") {
		tb.shot("journey-sign-in")
		t.Fatalf("signing in lands on %s (%d), want /settings/tokens", loc, st)
	}
	tb.expectClean("sign in")

	// Create a token: the page shows its secret once.
	st = tb.submit("create token",
		chromedp.SendKeys(chromedp.CSS(`form[action="/settings/tokens"] input[name=name]`), "CI pipeline"),
		chromedp.Click(chromedp.CSS(`form[action="/settings/tokens"] button[type=submit]`)))
	if st != http.StatusCreated {
		tb.shot("journey-create-token")
		t.Fatalf("creating a token = %d, want 201", st)
	}
	secret := strings.TrimSpace(value(tb, "the secret", chromedp.Text(chromedp.CSS(`.secret`))))
	if !strings.HasPrefix(secret, "iotsec_tok_") {
		t.Fatalf("the page shows %q as the new token", secret)
	}
	tb.checkWidths("/settings/tokens with a new token")
	tb.expectClean("token created")
	api := func() int {
		t.Helper()
		req, _ := http.NewRequest("GET", d.Srv.URL+"/api/v1/products", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := d.Srv.Client().Do(req)
		apptest.Must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := api(); st != http.StatusOK {
		t.Fatalf("the new token on the API = %d, want 200", st)
	}

	// Once: the page shows it no more.
	if st := tb.open("/settings/tokens"); st != http.StatusOK {
		t.Fatalf("GET /settings/tokens = %d", st)
	}
	html := value(tb, "page", chromedp.Evaluate[string](`document.body.innerHTML`))
	if strings.Contains(html, secret) {
		t.Fatal("the token's secret is on the page a second time")
	}

	// Revoke it from its row.
	row := `//tr[td[contains(., "CI pipeline")]]//form[contains(@action, "/revoke")]//button`
	st = tb.submit("revoke", chromedp.Click(chromedp.Search(row)))
	if loc := value(tb, "location", chromedp.Location()); st != http.StatusOK || !strings.Contains(loc, "/settings/tokens") {
		tb.shot("journey-revoke")
		t.Fatalf("revoking lands on %s (%d)", loc, st)
	}
	left := value(tb, "rows", chromedp.Evaluate[int](
		`[...document.querySelectorAll('tr')].filter(r => r.textContent.includes('CI pipeline') && r.querySelector('form[action$="/revoke"]')).length`))
	if left != 0 {
		tb.shot("journey-revoked")
		t.Errorf("after revoking, the token still has a Revoke button")
	}
	if st := api(); st != http.StatusUnauthorized {
		t.Errorf("the revoked token on the API = %d, want 401", st)
	}
	tb.expectClean("token revoked")
}

// TestBrowserFirmwareJourney uploads a firmware image through the form,
// runs its scan (the test server has no workers) and reads its findings,
// components and verdicts at both widths.
func TestBrowserFirmwareJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	tb.signIn(d.Link)

	// The first firmware version the Evaluation page lists.
	if st := tb.open("/evaluation"); st != http.StatusOK {
		t.Fatalf("GET /evaluation = %d", st)
	}
	fw := value(tb, "a firmware link", chromedp.Evaluate[string](
		`([...document.querySelectorAll('a[href^="/firmware/fw_"]')][0] || {}).getAttribute?.('href') || ''`))
	if fw == "" {
		tb.shot("evaluation")
		t.Fatal("the Evaluation page links to no firmware version")
	}
	fw = strings.SplitN(fw, "?", 2)[0]
	if st := tb.open(fw); st != http.StatusOK {
		t.Fatalf("GET %s = %d", fw, st)
	}
	image := filepath.Join(t.TempDir(), "router.bin")
	apptest.Must(t, os.WriteFile(image, firmwaretest.Router(), 0o644))
	form := `form[action="` + fw + `/image"]`
	st := tb.submit("upload", chromedp.SetUploadFiles(chromedp.CSS(form+` input[type=file]`), []string{image}),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	loc := value(tb, "location", chromedp.Location())
	if st != http.StatusOK || !strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], fw) {
		tb.shot("journey-upload")
		t.Fatalf("the upload lands on %s (%d), want the firmware version's page %s", loc, st, fw)
	}
	tb.expectClean("upload")
	// The page shows the scan's progress and links its job.
	jobURL := value(tb, "the job link", chromedp.Evaluate[string](
		`(document.querySelector('a[href^="/jobs/job_"]') || {}).getAttribute?.('href') || ''`))
	progress := value(tb, "a progress bar", chromedp.Evaluate[bool](`!!document.querySelector('progress')`))
	if jobURL == "" || !progress {
		tb.shot("journey-upload")
		t.Fatalf("the firmware page after the upload shows no job (%q) or progress (%v)", jobURL, progress)
	}

	// Run the queued scan here, as the queue would, then read what it found.
	runQueued(t, d, strings.TrimPrefix(jobURL, "/jobs/"), d.App.Scan.Run)
	for _, p := range []struct{ path, want string }{
		{jobURL, "The scan found"},
		{fw, "router.bin"},
		{fw, "per provision"},
		{fw + "/findings", "credentials.default-password"},
		{fw + "/components", "dnsmasq"},
		{fw + "/verdicts", "Record evidence"},
	} {
		if st := tb.open(p.path); st != http.StatusOK {
			t.Errorf("GET %s = %d", p.path, st)
			continue
		}
		text := value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
		if !strings.Contains(text, p.want) || strings.Contains(text, `"firmware_id"`) {
			tb.shot(p.path)
			t.Errorf("%s does not show %q, or shows raw JSON", p.path, p.want)
		}
		tb.checkWidths(p.path + " (scanned)")
		tb.expectClean(p.path)
	}
}
