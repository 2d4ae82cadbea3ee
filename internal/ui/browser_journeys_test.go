package ui_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The journeys of issue 14 not covered elsewhere: a device import, an
// SBOM and a VEX statement, and revoking a certificate, each through the
// forms of a real browser on the demo data.

// demoActor is the demo manufacturer, for looking things up.
func demoActor(t *testing.T, d *apptest.Demo) iotsec.Actor {
	t.Helper()
	orgs, err := d.App.Store.ListOrgs(context.Background())
	apptest.Must(t, err)
	for _, o := range orgs {
		if o.Name == "Demo Devices" {
			return iotsec.System(o.ID, "test")
		}
	}
	t.Fatal("no organisation Demo Devices in the demo")
	return iotsec.Actor{}
}

// runQueued runs a queued job as the queue would (the test server has
// no workers).
func runQueued(t *testing.T, d *apptest.Demo, jobID string, run func(context.Context, iotsec.Job, []byte) (json.RawMessage, error)) {
	t.Helper()
	ctx := context.Background()
	job, input, err := d.App.Store.JobInput(ctx, jobID)
	apptest.Must(t, err)
	_, err = d.App.Store.StartJob(ctx, jobID, time.Now())
	apptest.Must(t, err)
	res, err := run(ctx, job, input)
	if err != nil {
		t.Fatalf("job %s: %v", jobID, err)
	}
	apptest.Must(t, d.App.Store.EndJob(ctx, jobID, iotsec.JobSucceeded, res, "", time.Now()))
}

func TestBrowserImportJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	tb.signIn(d.Link)
	ps, err := d.App.Store.ListProducts(context.Background(), demoActor(t, d))
	apptest.Must(t, err)
	if len(ps) == 0 {
		t.Fatal("the demo has no products")
	}
	csv := filepath.Join(t.TempDir(), "fleet.csv")
	apptest.Must(t, os.WriteFile(csv, []byte("uid,product,state\nJOURNEY-0001,"+ps[0].Model+",provisioned\nJOURNEY-0002,"+ps[0].Model+",operational\n"), 0o644))

	if st := tb.open("/devices/import"); st != http.StatusOK {
		t.Fatalf("GET /devices/import = %d", st)
	}
	tb.checkWidths("/devices/import")
	form := `form[action="/devices/import"]`
	st := tb.submit("import", chromedp.SetUploadFiles(chromedp.CSS(form+` input[type=file]`), []string{csv}),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	loc := value(tb, "location", chromedp.Location())
	if st != http.StatusOK || !strings.Contains(loc, "/jobs/job_") {
		tb.shot("journey-import")
		t.Fatalf("the import lands on %s (%d), want its job's page", loc, st)
	}
	tb.expectClean("import queued")
	jobPath := "/jobs/" + strings.SplitN(loc[strings.LastIndex(loc, "/jobs/")+len("/jobs/"):], "?", 2)[0]
	runQueued(t, d, strings.TrimPrefix(jobPath, "/jobs/"), d.App.Import.Run)
	if st := tb.open(jobPath); st != http.StatusOK {
		t.Fatalf("GET %s = %d", jobPath, st)
	}
	text := value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "2 devices added") {
		tb.shot("journey-import-done")
		t.Errorf("the finished import's page says %q, want 2 devices added", text)
	}
	if st := tb.open("/devices?q=JOURNEY-"); st != http.StatusOK {
		t.Fatalf("GET /devices = %d", st)
	}
	text = value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "JOURNEY-0001") || !strings.Contains(text, "JOURNEY-0002") {
		tb.shot("journey-import-devices")
		t.Errorf("the devices page does not list the imported devices")
	}
	tb.expectClean("devices")
}

func TestBrowserSBOMAndVEXJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	tb.signIn(d.Link)

	// A vulnerability the demo's firmware matches, and its VEX form.
	if st := tb.open("/supply/vulnerabilities"); st != http.StatusOK {
		t.Fatalf("GET /supply/vulnerabilities = %d", st)
	}
	vuln := value(tb, "a vulnerability link", chromedp.Evaluate[string](
		`([...document.querySelectorAll('a[href^="/supply/vulnerabilities/"]')][0] || {}).getAttribute?.('href') || ''`))
	if vuln == "" {
		tb.shot("journey-vulns")
		t.Fatal("the vulnerabilities page links to no vulnerability")
	}
	if st := tb.open(vuln); st != http.StatusOK {
		t.Fatalf("GET %s = %d", vuln, st)
	}
	form := `form.vex`
	st := tb.submit("record VEX",
		chromedp.Click(chromedp.CSS(`details:has(form.vex) summary`)),
		chromedp.SetValue(chromedp.CSS(form+` select[name=status]`), "not_affected"),
		chromedp.SetValue(chromedp.CSS(form+` select[name=justification]`), "vulnerable_code_not_present"),
		chromedp.SendKeys(chromedp.CSS(form+` textarea[name=impact]`), "The vulnerable parser is not built in."),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	if st != http.StatusOK {
		tb.shot("journey-vex")
		t.Fatalf("recording a VEX statement = %d", st)
	}
	text := value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "VEX statement recorded") || !strings.Contains(text, "The vulnerable parser is not built in.") {
		tb.shot("journey-vex-recorded")
		t.Errorf("after recording, the page does not show the statement: %.400q", text)
	}
	tb.expectClean("VEX recorded")

	// An SBOM for a firmware version of the supply chain pages.
	fw := value(tb, "a firmware link", chromedp.Evaluate[string](
		`([...document.querySelectorAll('a[href^="/supply/firmware/fw_"]')][0] || {}).getAttribute?.('href') || ''`))
	if fw == "" {
		tb.shot("journey-vuln")
		t.Fatal("the vulnerability page links to no firmware version")
	}
	fw = strings.SplitN(fw, "?", 2)[0]
	if st := tb.open(fw); st != http.StatusOK {
		t.Fatalf("GET %s = %d", fw, st)
	}
	sbom := filepath.Join(t.TempDir(), "fw.cdx.json")
	apptest.Must(t, os.WriteFile(sbom, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"Journey firmware","version":"9.9"}},
 "components":[{"bom-ref":"busybox","type":"application","name":"busybox","version":"1.29.3",
  "cpe":"cpe:2.3:a:busybox:busybox:1.29.3:*:*:*:*:*:*:*","purl":"pkg:generic/busybox@1.29.3"}]}`), 0o644))
	up := `form[action="` + fw + `/sbom"]`
	st = tb.submit("import SBOM", chromedp.SetUploadFiles(chromedp.CSS(up+` input[type=file]`), []string{sbom}),
		chromedp.Click(chromedp.CSS(up+` button[type=submit]`)))
	if st != http.StatusOK {
		tb.shot("journey-sbom")
		t.Fatalf("importing an SBOM = %d", st)
	}
	text = value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "SBOM imported") || !strings.Contains(text, "fw.cdx.json") {
		tb.shot("journey-sbom-imported")
		t.Errorf("after the import, the firmware's page does not show the SBOM: %.400q", text)
	}
	tb.checkWidths(fw + " (SBOM imported)")
	tb.expectClean("SBOM imported")
}

func TestBrowserRevokeJourney(t *testing.T) {
	tb := newTab(t, "")
	d := apptest.NewDemo(t)
	tb.base = d.Srv.URL
	tb.signIn(d.Link)

	// An active operational certificate of the demo's CA.
	if st := tb.open("/identity/certificates?status=active"); st != http.StatusOK {
		t.Fatalf("GET /identity/certificates = %d", st)
	}
	links := value(tb, "certificate links", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('a[href^="/identity/certificates/"]')].map(a => a.getAttribute('href'))`))
	var cert string
	for _, l := range links {
		if st := tb.open(l); st != http.StatusOK {
			continue
		}
		ok := value(tb, "a revoke form", chromedp.Evaluate[bool](
			`!!document.querySelector('form[action$="/revoke"]') && document.body.innerText.includes('The CRL is regenerated')`))
		if ok {
			cert = l
			break
		}
	}
	if cert == "" {
		tb.shot("journey-certs")
		t.Fatalf("none of %d certificates listed as active offers revocation of an LDevID", len(links))
	}
	pemText := value(tb, "PEM", chromedp.Text(chromedp.CSS(`pre.pem`)))
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		t.Fatalf("%s shows no PEM certificate", cert)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	apptest.Must(t, err)

	st := tb.submit("revoke",
		chromedp.SetValue(chromedp.CSS(`form[action$="/revoke"] select[name=reason]`), "keyCompromise"),
		chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button[type=submit]`)))
	if st != http.StatusOK {
		tb.shot("journey-revoke-cert")
		t.Fatalf("revoking = %d", st)
	}
	text := value(tb, "text", chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(text, "Certificate revoked") {
		tb.shot("journey-cert-revoked")
		t.Errorf("after revoking, the page says %.300q", text)
	}
	tb.checkWidths(cert + " (revoked)")
	tb.expectClean("certificate revoked")

	// The CRL its certificate names lists it at once.
	if len(c.CRLDistributionPoints) == 0 {
		t.Fatal("the certificate names no CRL")
	}
	crlURL := c.CRLDistributionPoints[0]
	if i := strings.Index(crlURL, "/pki/"); i >= 0 {
		crlURL = d.Srv.URL + crlURL[i:]
	}
	resp, err := d.Srv.Client().Get(crlURL)
	apptest.Must(t, err)
	der, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	apptest.Must(t, err)
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("GET %s: %v", crlURL, err)
	}
	var listed bool
	for _, e := range crl.RevokedCertificateEntries {
		listed = listed || e.SerialNumber.Cmp(c.SerialNumber) == 0
	}
	if !listed {
		t.Errorf("the CRL at %s does not list serial %X", crlURL, c.SerialNumber)
	}
}
