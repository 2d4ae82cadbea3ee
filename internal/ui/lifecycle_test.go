package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUILifecycle: the device page's state select is a lifecycle
// transition: an allowed move is recorded in the device's history, a
// forbidden one is refused naming the states allowed, and the new-device
// form offers only the initial states.
func TestUILifecycle(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	ctx := context.Background()
	a := f.A.Actor()
	d := iotsec.Device{UID: "UI-LC-1", ProductID: f.A.Product.ID, State: iotsec.StateOperational}
	if err := f.App.Store.CreateDevice(ctx, a, &d); err != nil {
		t.Fatal(err)
	}
	b.get("/devices/" + d.ID) // for the form's CSRF token
	resp, body := b.post("/devices/"+d.ID, url.Values{"state": {"disposed"}, "firmware_id": {""}})
	wantStatus(t, "operational to disposed", resp, body, 400)
	if !strings.Contains(body, "it may become suspended, provisioned, decommissioned") {
		t.Errorf("refusal does not name the allowed states: %s", shorten(body))
	}
	resp, body = b.post("/devices/"+d.ID, url.Values{"state": {"suspended"}, "firmware_id": {""}})
	wantStatus(t, "operational to suspended", resp, body, 303)
	hist, err := f.App.Store.ListTransitions(ctx, a, d.ID)
	if err != nil || len(hist) != 1 || hist[0].To != iotsec.StateSuspended {
		t.Errorf("history %+v %v, want one move to suspended", hist, err)
	}
	_, body = b.get("/devices/new")
	if strings.Contains(body, "<option>disposed</option>") || !strings.Contains(body, "<option>manufactured</option>") {
		t.Errorf("new-device form offers %s", shorten(body))
	}
}
