package ui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/ui"
)

// TestUIFairShare: the forms that upload, import or match draw on the
// organisation's fair share of the server, the same share as its API
// requests. A cross-site form does not use it up; once A's API request has
// (a share of one, renewed every 100 s), each such form answers 429 with
// Retry-After and a page that says to wait, while B's forms go on.
func TestUIFairShare(t *testing.T) {
	f := &fixture{apptest.NewWith(t, func(c *config.Config) { c.FairBurst, c.FairRate = 1, 0.01 })}
	routes := map[string]bool{}
	for _, rt := range mustUI(t, f).Routes() {
		routes[rt.Method+" "+rt.Path] = true
	}
	form := func(pattern, fw string) string {
		if !routes[pattern] {
			t.Fatalf("expensive form %q is not a route", pattern)
		}
		return strings.Replace(strings.TrimPrefix(pattern, "POST "), "{id}", fw, 1)
	}
	f.setPassword(f.A.Owner, "correct horse battery")
	a := f.browser()
	a.login("alice@a.example", "correct horse battery")

	// A form from another site is refused before it takes a share.
	req, _ := http.NewRequest("POST", f.Srv.URL+"/supply/firmware/"+f.A.Firmware.ID+"/rematch", strings.NewReader(url.Values{"csrf": {a.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, body := a.do(req)
	wantStatus(t, "cross-site re-match form", resp, body, http.StatusForbidden)

	resp, b := f.Do("POST", "/api/v1/firmware/"+f.A.Firmware.ID+"/rematch", f.A.Token, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("A's re-match by the API = %d, want 200 (its share's one request): %s", resp.StatusCode, b)
	}
	for _, pattern := range ui.ExpensiveForms() {
		resp, body := a.post(form(pattern, f.A.Firmware.ID), url.Values{})
		wantStatus(t, "A's "+pattern+" past its share", resp, body, http.StatusTooManyRequests)
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("%s: Retry-After %q, want whole seconds", pattern, resp.Header.Get("Retry-After"))
		}
		for _, want := range []string{"Please wait a moment", "than its share of this server", "then send the form again"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page does not say %q", pattern, want)
			}
		}
	}

	f.setPassword(f.B.Owner, "battery staple horse")
	bb := f.browser()
	bb.login("bob@b.example", "battery staple horse")
	resp, body = bb.post(form("POST /supply/firmware/{id}/rematch", f.B.Firmware.ID), url.Values{})
	wantStatus(t, "B's re-match form while A waits", resp, body, http.StatusSeeOther)
}
