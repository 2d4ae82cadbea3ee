package ui_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestPublicLabelPage: the page a label's QR code leads to opens without
// signing in, says first whether the label stands, shows what was
// certified and where the label is recognised, links its signed document
// (which verifies offline), and says so at once when the label is revoked.
func TestPublicLabelPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reg := f.App.Registry
	apptest.Must(t, reg.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: f.B.Org.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	c, err := reg.Apply(ctx, f.A.Actor(), f.A.Firmware.ID, "sg-cls", "2", "")
	apptest.Must(t, err)
	judge := iotsec.System(f.B.Org.ID, "csa")
	judge.Role = iotsec.RoleAssessor
	c, err = reg.Grant(ctx, judge, c.ID, registry.GrantInput{Reason: "tested"})
	apptest.Must(t, err)

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(f.Srv.URL + path)
		apptest.Must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		apptest.Must(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/l/" + c.LabelID)
	if code != http.StatusOK {
		t.Fatalf("public page = %d\n%s", code, shorten(body))
	}
	wantBody(t, "public page", body, []string{"This label is valid.", "Camera", f.A.Product.Model, f.A.Firmware.Version,
		"Cybersecurity Labelling Scheme", "level 2", f.B.Org.Name, "1 Jan 2030", `src="/l/` + c.LabelID + `/qr.svg"`,
		`href="/l/` + c.LabelID + `.json"`}, "Sign out")
	if i, j := strings.Index(body, "This label is valid."), strings.Index(body, "<h1>"); i < 0 || i > j {
		t.Errorf("the label's standing is not above the heading")
	}

	code, doc := get("/l/" + c.LabelID + ".json")
	if code != http.StatusOK {
		t.Fatalf("label document = %d %s", code, doc)
	}
	if r := registry.VerifyLabel([]byte(doc), registry.VerifyOptions{}); !r.Valid {
		t.Errorf("served label document does not verify: %+v", r.Problems)
	}

	// Under review: the page and the document say why, at the top.
	why := "CVE-2023-28450 in dnsmasq 2.89 is known to be exploited (CISA KEV)"
	_, err = reg.Review(ctx, judge, c.ID, []string{why})
	apptest.Must(t, err)
	_, body = get("/l/" + c.LabelID)
	wantBody(t, "page under review", body, []string{"This label is under review.", `<p id="why"><strong>Why:</strong> ` + why + `.</p>`}, "This label is valid.")
	if i, j := strings.Index(body, `id="why"`), strings.Index(body, "<h1>"); i < 0 || i > j {
		t.Errorf("the reason is not above the heading")
	}
	_, doc = get("/l/" + c.LabelID + ".json")
	if r := registry.VerifyLabel([]byte(doc), registry.VerifyOptions{}); r.Valid || string(r.Status) != "under_review" || len(r.Reasons) != 1 || r.Reasons[0] != why {
		t.Errorf("document under review verifies as %+v", r)
	}
	_, err = reg.Revoke(ctx, judge, c.ID, "breach")
	apptest.Must(t, err)
	_, body = get("/l/" + c.LabelID)
	wantBody(t, "revoked page", body, []string{"This label has been revoked."}, "This label is valid.")
	if _, doc = get("/l/" + c.LabelID + ".json"); registry.VerifyLabel([]byte(doc), registry.VerifyOptions{}).Valid {
		t.Error("a revoked label's document still verifies as valid")
	}
	for _, path := range []string{"/l/nope", "/l/nope.json"} {
		if code, _ := get(path); code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", path, code)
		}
	}
}
