package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIAuditPage: the audit page says who did what to which object in
// words, links the object, shows no JSON, and numbers the organisation's
// own events 1..n without gaps although B's events interleave.
func TestUIAuditPage(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	b.get("/products/" + f.A.Product.ID + "/edit")
	resp, body := b.post("/products/"+f.A.Product.ID, url.Values{"name": {"Camera Pro"}, "model_number": {"CAM-A"}, "class": {"camera"},
		"sector": {"consumer"}, "markets": {"EU"}})
	wantStatus(t, "edit product", resp, body, 303)
	p := iotsec.Product{Name: "B's", Model: "B-2", Class: "camera", Markets: []string{"EU"}}
	if err := f.App.Store.CreateProduct(context.Background(), f.B.Actor(), &p); err != nil {
		t.Fatal(err)
	}
	resp, body = b.get("/audit")
	wantStatus(t, "audit", resp, body, 200)
	wantBody(t, "audit", body, []string{
		`<strong>alice@a.example</strong> changed`,
		`<a href="/products/` + f.A.Product.ID + `">product Camera Pro</a>`,
		`name: Camera → Camera Pro`,
		`<strong>alice@a.example</strong> signed in`,
		"created\n  organisation Org A",
	}, `{&#34;`, `{"`, `user:usr_`)
	nums := regexp.MustCompile(`<span class="num muted">#(\d+)</span>`).FindAllStringSubmatch(body, -1)
	if len(nums) == 0 {
		t.Fatal("no numbered events")
	}
	for i, m := range nums {
		if n, _ := strconv.Atoi(m[1]); n != len(nums)-i {
			t.Errorf("event %d of the page is #%d, want #%d (numbers without gaps)", i, n, len(nums)-i)
		}
	}
	if strings.Contains(body, p.ID) {
		t.Error("A's audit page shows B's product")
	}
}
