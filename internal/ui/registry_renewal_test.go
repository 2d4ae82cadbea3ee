package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIRenewal: a label inside its scheme's renewal window is "due for
// renewal" on the maker's pages; the maker applies with the record page's
// form, the scheme owner renews it, and the new period continues the old
// one (capped at the firmware's support end).
func TestUIRenewal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.B.Org.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	f.setPassword(f.A.Owner, "maker passphrase here")
	f.setPassword(f.B.Owner, "owner passphrase here")
	maker, owner := f.browser(), f.browser()
	maker.login(f.A.Owner.Email, "maker passphrase here")
	owner.login(f.B.Owner.Email, "owner passphrase here")

	resp, body := maker.post("/registry", url.Values{"firmware_id": {f.A.Firmware.ID}, "scheme": {"sg-cls"}, "level": {"2"}})
	wantStatus(t, "application", resp, body, 303)
	record := strings.TrimPrefix(strings.SplitN(resp.Header.Get("Location"), "?", 2)[0], "/registry/")
	// Granted until 30 days from now: inside the 90-day window at once.
	until := iotsec.DateOf(f.App.Registry.Now().AddDate(0, 0, 30))
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"certified"}, "valid_until": {until.String()}, "reason": {"lab report"}})
	wantStatus(t, "grant", resp, body, 303)
	before, err := f.App.Registry.Get(ctx, f.A.Actor(), record)
	apptest.Must(t, err)

	_, body = maker.get("/registry")
	wantBody(t, "maker's list", body, []string{"due for renewal"})
	_, body = maker.get("/registry/" + record)
	wantBody(t, "maker's record", body, []string{"Due for renewal", "Apply for renewal", `action="/registry/` + record + `/renew"`})
	_, body = owner.get("/registry/" + record)
	wantBody(t, "owner's record before the application", body, []string{"Due for renewal"}, ">Renew<")
	resp, body = owner.post("/registry/"+record+"/renew", url.Values{})
	wantStatus(t, "the owner applying for the maker", resp, body, 403)

	resp, body = maker.post("/registry/"+record+"/renew", url.Values{})
	wantStatus(t, "renewal application", resp, body, 303)
	_, body = maker.get("/registry/" + record)
	wantBody(t, "maker's record after applying", body, []string{"The maker applied on"}, "Apply for renewal")
	_, body = owner.get("/registry/" + record)
	wantBody(t, "owner's record after the application", body, []string{">Renew<"})
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"certified"}, "reason": {"renewed"}})
	wantStatus(t, "renewal", resp, body, 303)
	after, err := f.App.Registry.Get(ctx, f.A.Actor(), record)
	apptest.Must(t, err)
	// 36 months from the day after the old end, capped at the support end.
	want := iotsec.DateOf(before.ValidUntil.Time().AddDate(0, 36, 0))
	if se := f.A.Firmware.SupportEnd; se.Before(want) {
		want = se
	}
	if after.ValidFrom != before.ValidFrom || after.ValidUntil != want || !after.RenewalRequestedAt.IsZero() {
		t.Errorf("renewed %s .. %s (applied %v), want %s .. %s", after.ValidFrom, after.ValidUntil, after.RenewalRequestedAt, before.ValidFrom, want)
	}
}
