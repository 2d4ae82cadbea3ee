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

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

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
