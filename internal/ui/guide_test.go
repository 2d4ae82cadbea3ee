package ui_test

import (
	"strings"
	"testing"
)

// TestUIGuide: the good practice guide's form, the guide it generates
// (HTML with its own CSP, Markdown as a download), a bad class answered on
// the form, and the calls for missing standards.
func TestUIGuide(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	for _, tt := range []struct {
		path, want, ctype string
		status            int
	}{
		{"/guides", "Generate", "text/html", 200},
		{"/policy", `href="/guides"`, "text/html", 200},
		{"/policy?date=2026-12-07", `<svg class="timeline" viewBox="0 0 720`, "text/html", 200},
		{"/guides?class=camera&sector=consumer&market=EU%2C+UK%2C+SG", "credentials.default-password", "text/html", 200},
		{"/guides?class=camera&sector=consumer&market=SG&format=md", "## 4. Sources", "text/markdown", 200},
		{"/guides?class=toaster-oven&sector=consumer&market=EU", "toaster-oven", "text/html", 400},
		{"/guides?class=camera&sector=consumer&market=", "market", "text/html", 400},
		{"/standards/calls", "Calls for missing standards", "text/html", 200},
		{"/standards/calls?format=md", "| sector | product class |", "text/markdown", 200},
		{"/standards/calls?format=pdf", "%PDF-", "application/pdf", 200},
		{"/policy/SG/brief?format=pdf", "%PDF-", "application/pdf", 200},
		{"/policy/SG", "format=pdf", "text/html", 200},
	} {
		resp, body := b.get(tt.path)
		wantStatus(t, "GET "+tt.path, resp, body, tt.status)
		if !strings.Contains(body, tt.want) {
			t.Errorf("GET %s lacks %q", tt.path, tt.want)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tt.path, ct, tt.ctype)
		}
	}
	// The timeline has a dot per dated entry, the same as its list.
	_, body := b.get("/policy?date=2026-12-07")
	svg := body[strings.Index(body, `<svg class="timeline"`):]
	svg = svg[:strings.Index(svg, "</svg>")]
	dots := strings.Count(svg, "<circle")
	list := body[strings.Index(body, "dates as a list"):]
	items := strings.Count(list[:strings.Index(list, "</details>")], "<li>")
	if dots < 50 || dots != items {
		t.Errorf("timeline: %d dots, %d list items", dots, items)
	}
	if !strings.Contains(svg, "GB UDP_BAN: ") {
		t.Error("timeline lacks GB's ban of universal default passwords")
	}
}
