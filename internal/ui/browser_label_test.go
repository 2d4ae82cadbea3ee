package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// demoLabel returns a certified label of the demo seed.
func demoLabel(t *testing.T, d *apptest.Demo) string {
	t.Helper()
	ctx := context.Background()
	orgs, err := d.App.Store.ListOrgs(ctx)
	apptest.Must(t, err)
	for _, o := range orgs {
		ls, err := d.App.Registry.Labels(ctx, iotsec.System(o.ID, "test"), iotsec.CertificationFilter{Status: iotsec.StatusCertified})
		apptest.Must(t, err)
		if len(ls) > 0 {
			return ls[0].LabelID
		}
	}
	t.Fatal("the demo seed granted no label")
	return ""
}

// TestBrowserLabelQR opens a demo label's public page in Chromium, takes
// the QR code the page shows (its <img>, drawn onto a canvas by the
// browser as it renders it), decodes it and checks that it leads back to
// this very page. zbarimg, when installed, reads the same image too.
func TestBrowserLabelQR(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	id := demoLabel(t, d)
	if st := tb.open("/l/" + id); st != http.StatusOK {
		t.Fatalf("GET /l/%s = %d", id, st)
	}
	tb.checkWidths("/l/{id}")
	tb.expectClean("/l/" + id)
	page := value(tb, "location", chromedp.Location())
	got := value(tb, "the QR image", chromedp.Evaluate[[]string](`(async () => {
		const img = document.querySelector('img[src*="/qr."]');
		if (!img) { return []; }
		await img.decode();
		const c = document.createElement('canvas');
		c.width = 480; c.height = 480;
		const g = c.getContext('2d');
		g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
		g.imageSmoothingEnabled = false;
		g.drawImage(img, 40, 40, 400, 400);
		return [img.getAttribute('src'), c.toDataURL('image/png')];
	})()`, chromedp.EvalAwaitPromise))
	if len(got) != 2 {
		t.Fatalf("no QR image on %s", page)
	}
	if got[0] != "/l/"+id+"/qr.svg" {
		t.Errorf("the QR image is %s, want /l/%s/qr.svg", got[0], id)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got[1], "data:image/png;base64,"))
	apptest.Must(t, err)
	img, err := png.Decode(bytes.NewReader(raw))
	apptest.Must(t, err)
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	apptest.Must(t, err)
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		os.WriteFile(filepath.Join(t.TempDir(), "qr.png"), raw, 0o600)
		t.Fatalf("the page's QR code does not decode: %v", err)
	}
	if res.GetText() != page {
		t.Errorf("the QR code says %q; the page is %q", res.GetText(), page)
	}

	// The same image through zbarimg (zbar-tools), when installed.
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Log("zbarimg not installed (apt-get install zbar-tools): checked with gozxing only")
		return
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	apptest.Must(t, os.WriteFile(file, raw, 0o600))
	out, err := exec.Command(zbar, "--quiet", "--raw", file).Output()
	if err != nil {
		t.Fatalf("zbarimg %s: %v", file, err)
	}
	if text := strings.TrimSpace(string(out)); text != page {
		t.Errorf("zbarimg reads %q; the page is %q", text, page)
	}
}

// TestBrowserLabelJourney: a maker applies for a CLS level 2 label
// through the Registry page's form, the scheme owner (the demo admin is a
// member of both) grants it on the record's page, and the public page the
// label's QR code leads to says the label is valid.
func TestBrowserLabelJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	ctx, s := context.Background(), d.App.Store
	admin, err := s.GetUserByEmail(ctx, app.DemoAdmin)
	apptest.Must(t, err)
	orgs, err := s.ListOrgs(ctx)
	apptest.Must(t, err)
	var maker, csa string
	for _, o := range orgs {
		switch o.Name {
		case app.DemoOrg:
			maker = o.ID
		case app.DemoAuthority:
			csa = o.ID
		}
	}
	apptest.Must(t, s.AddMember(ctx, iotsec.System(csa, "test"), admin.ID, iotsec.RoleOwner))
	// A firmware version without a CLS label yet.
	fws, err := s.ListFirmware(ctx, iotsec.System(maker, "test"), "")
	apptest.Must(t, err)
	var fw iotsec.FirmwareVersion
	for _, f := range fws {
		if cs, err := s.CertificationsForFirmware(ctx, iotsec.System(maker, "test"), f.ID); err == nil && len(cs) == 0 && f.Supported(iotsec.DateOf(time.Now())) {
			fw = f
			break
		}
	}
	if fw.ID == "" {
		t.Fatal("every demo firmware version has a label, or none is supported")
	}
	tb.signIn(d.Link)
	switchOrg := func(org string) {
		t.Helper()
		st := tb.submit("switch to "+org, chromedp.SetValue(chromedp.CSS(`form[action="/session/org"] select`), org),
			chromedp.Click(chromedp.CSS(`form[action="/session/org"] button`)))
		if st != http.StatusOK {
			t.Fatalf("switching to %s = %d", org, st)
		}
	}
	switchOrg(maker)

	// The maker applies.
	if st := tb.open("/registry"); st != http.StatusOK {
		t.Fatalf("GET /registry = %d", st)
	}
	form := `form[action="/registry"]`
	st := tb.submit("apply", chromedp.SetValue(chromedp.CSS(form+` select[name=firmware_id]`), fw.ID),
		chromedp.SetValue(chromedp.CSS(form+` select[name=scheme]`), "sg-cls"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=level]`), "2"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	loc := value(tb, "location", chromedp.Location())
	record := strings.SplitN(strings.TrimPrefix(loc, d.Srv.URL), "?", 2)[0]
	if st != http.StatusOK || !strings.HasPrefix(record, "/registry/cer_") {
		tb.shot("journey-apply")
		t.Fatalf("the application lands on %s (%d), want its record's page", loc, st)
	}
	tb.expectClean("apply")

	// The scheme owner grants it.
	switchOrg(csa)
	if st := tb.open(record); st != http.StatusOK {
		t.Fatalf("GET %s as the scheme owner = %d", record, st)
	}
	tb.checkWidths("/registry/{id} (applied)")
	grant := `form[action="` + record + `/move"]:has(input[name=to][value=certified])`
	st = tb.submit("grant", chromedp.SendKeys(chromedp.CSS(grant+` textarea[name=reason]`), "tested by the demo lab"),
		chromedp.Click(chromedp.CSS(grant+` button[type=submit]`)))
	if st != http.StatusOK {
		t.Fatalf("grant = %d", st)
	}
	tb.expectClean("grant")
	page := value(tb, "the public page link", chromedp.Evaluate[string](
		`(document.querySelector('a[href^="/l/"]:not([href$=".json"]):not([href*="/qr."])') || {}).getAttribute?.('href') || ''`))
	if page == "" {
		tb.shot("journey-granted")
		t.Fatal("the granted record's page links no public label page")
	}

	// Anyone opens the public page: it says the label is valid.
	if st := tb.open(page); st != http.StatusOK {
		t.Fatalf("GET %s = %d", page, st)
	}
	text := value(tb, "the page's text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "This label is valid.") || !strings.Contains(text, fw.Version) {
		tb.shot("journey-public")
		t.Errorf("the public page of the new label says:\n%s", text[:min(len(text), 600)])
	}
}
