package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIRegistry is a label's life through the pages: the maker applies,
// the scheme owner finds the application and grants it, puts it under
// review (the queue shows why), and revokes it; the history shows each
// change with its log entry; a viewer sees the record but no form, and a
// third party gets 404.
func TestUIRegistry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	apptest.Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.B.Org.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	f.setPassword(f.A.Owner, "maker passphrase here")
	f.setPassword(f.B.Owner, "owner passphrase here")
	maker, owner := f.browser(), f.browser()
	maker.login(f.A.Owner.Email, "maker passphrase here")
	owner.login(f.B.Owner.Email, "owner passphrase here")

	resp, body := maker.get("/registry")
	wantStatus(t, "maker's registry page", resp, body, 200)
	wantBody(t, "maker's registry page", body, []string{"Apply for a label", f.A.Firmware.ID, "sg-cls"}, "Review queue")
	resp, body = maker.post("/registry", url.Values{"firmware_id": {f.A.Firmware.ID}, "scheme": {"no-such-scheme"}})
	wantStatus(t, "application for an unknown scheme", resp, body, 400)
	resp, body = maker.post("/registry", url.Values{"firmware_id": {f.A.Firmware.ID}, "scheme": {"sg-cls"}, "level": {"2"}})
	wantStatus(t, "application", resp, body, 303)
	record := strings.TrimPrefix(strings.SplitN(resp.Header.Get("Location"), "?", 2)[0], "/registry/")
	_, body = maker.get("/registry/" + record)
	wantBody(t, "applied record, maker", body, []string{"applied", "issued when granted", "Withdraw"}, `value="certified"`)

	resp, body = owner.get("/registry")
	wantStatus(t, "owner's registry page", resp, body, 200)
	wantBody(t, "owner's registry page", body, []string{"Applications", "/registry/" + record, f.A.Product.Model, "sg-cls (owner)"})
	_, body = owner.get("/registry/" + record)
	wantBody(t, "applied record, owner", body, []string{"Grant", `value="certified"`}, "Withdraw")
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"certified"}, "valid_until": {"not a date"}})
	wantStatus(t, "grant with a bad date", resp, body, 400)
	wantBody(t, "grant with a bad date", body, []string{"valid_until"})
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"certified"}, "reason": {"lab report 42"}})
	wantStatus(t, "grant", resp, body, 303)
	c, err := f.App.Registry.Get(ctx, f.A.Actor(), record)
	apptest.Must(t, err)
	if c.Status != iotsec.StatusCertified || c.Label == "" {
		t.Fatalf("after the grant form: %+v", c)
	}
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"under-review"},
		"reason": {"CVE-2026-0001 reported by a researcher\nsecond opinion asked"}})
	wantStatus(t, "review", resp, body, 303)
	_, body = owner.get("/registry")
	wantBody(t, "review queue", body, []string{"Review queue", "CVE-2026-0001 reported by a researcher", "second opinion asked"})
	_, body = maker.get("/registry/" + record)
	wantBody(t, "record under review, maker", body, []string{"under-review", "CVE-2026-0001", "/l/" + c.LabelID}, "Clear the review")
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"revoked"}})
	wantStatus(t, "revoke without a reason", resp, body, 400)
	resp, body = owner.post("/registry/"+record+"/move", url.Values{"to": {"revoked"}, "reason": {"not fixed in time"}})
	wantStatus(t, "revoke", resp, body, 303)
	_, body = owner.get("/registry/" + record)
	wantBody(t, "revoked record", body, []string{"revoked", "applied → certified", "certified → under-review",
		"under-review → revoked", "not fixed in time", `<td class="num">2</td>`}, `value="certified"`)

	// A viewer of the maker reads but gets no form; a third party sees
	// nothing.
	viewer := iotsec.User{Email: "val@a.example"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "t", &viewer))
	apptest.Must(t, f.App.Store.AddMember(ctx, iotsec.System(f.A.Org.ID, "t"), viewer.ID, iotsec.RoleViewer))
	f.setPassword(viewer, "viewer passphrase here")
	v := f.browser()
	v.login(viewer.Email, "viewer passphrase here")
	_, body = v.get("/registry")
	wantBody(t, "viewer's registry page", body, []string{"/registry/" + record}, "Apply for a label")
	third := iotsec.Organisation{Name: "Org C", Country: "FR"}
	stranger := iotsec.User{Email: "carol@c.example"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "t", &stranger))
	apptest.Must(t, f.App.Store.CreateOrg(ctx, "t", &third, stranger.ID))
	f.setPassword(stranger, "stranger passphrase")
	s := f.browser()
	s.login(stranger.Email, "stranger passphrase")
	if resp, _ := s.get("/registry/" + record); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a third party's GET of the record = %d, want 404", resp.StatusCode)
	}
	if resp, _ := s.post("/registry/"+record+"/move", url.Values{"to": {"certified"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a third party's move = %d, want 404", resp.StatusCode)
	}
}
