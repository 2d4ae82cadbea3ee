package ui_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// upload posts a file through a multipart form with the browser's CSRF
// token.
func (b *browser) upload(path, field, name string, content []byte) (*http.Response, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.f.Srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// TestUIEvaluation walks the evaluation pages: upload an image through
// the form, run its scan job, read findings, components and verdicts,
// record evidence as an assessor, upload an ICS, add IXIT, and fetch the
// printable report and SARIF.
func TestUIEvaluation(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	fw := "/firmware/" + f.A.Firmware.ID

	resp, body := b.get(fw)
	wantStatus(t, "firmware page", resp, body, 200)
	if !strings.Contains(body, `action="`+fw+`/image"`) {
		t.Errorf("firmware page has no upload form for an owner")
	}
	resp, body = b.upload(fw+"/image", "image", "", nil)
	wantStatus(t, "upload nothing", resp, body, 400)
	resp, body = b.upload(fw+"/image", "image", "router.bin", firmwaretest.Router())
	wantStatus(t, "upload", resp, body, 303)
	// The upload ends on the firmware version's page, which shows the
	// scan's job and reloads itself while it runs.
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, fw+"?") && loc != fw {
		t.Fatalf("upload redirects to %q, want the firmware version's page %s", loc, fw)
	}
	resp, body = b.get(resp.Header.Get("Location"))
	wantStatus(t, "firmware page after the upload", resp, body, 200)
	jobURL := regexp.MustCompile(`/jobs/job_[0-9a-z]+`).FindString(body)
	if jobURL == "" || !strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, "<progress") ||
		!strings.Contains(body, "Image uploaded") {
		t.Fatalf("the firmware page during the scan shows no job, progress or refresh:\n%s", shorten(body))
	}
	resp, body = b.get(jobURL)
	wantStatus(t, "scan job page", resp, body, 200)
	if !strings.Contains(body, `href="`+fw+`"`) || !strings.Contains(body, "Firmware scan") {
		t.Errorf("the queued scan's job page does not link its firmware version:\n%s", shorten(body))
	}
	// Run the queued scan here, as the queue would: the fixture has no workers.
	jobID := strings.TrimPrefix(jobURL, "/jobs/")
	job, input, err := f.App.Store.JobInput(context.Background(), jobID)
	apptest.Must(t, err)
	_, err = f.App.Store.StartJob(context.Background(), jobID, time.Now())
	apptest.Must(t, err)
	res, err := f.App.Scan.Run(context.Background(), job, input)
	if err != nil {
		t.Fatalf("scan job: %v", err)
	}
	apptest.Must(t, f.App.Store.EndJob(context.Background(), jobID, iotsec.JobSucceeded, res, "", time.Now()))
	resp, body = b.get(fw)
	wantStatus(t, "firmware page after the scan", resp, body, 200)
	if strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, `href="`+fw+`/findings"`) || !strings.Contains(body, `href="`+fw+`/verdicts"`) {
		t.Errorf("the scanned firmware page refreshes or does not link its findings and verdicts")
	}
	resp, body = b.get(jobURL)
	wantStatus(t, "finished scan job page", resp, body, 200)
	for _, want := range []string{`href="` + fw + `/findings"`, `href="` + fw + `/verdicts"`, `href="` + fw + `"`, "finding"} {
		if !strings.Contains(body, want) {
			t.Errorf("the finished scan's job page lacks %s", want)
		}
	}
	if strings.Contains(body, `"firmware_id"`) || strings.Contains(body, "{&#34;") || strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("the finished scan's job page shows raw JSON or still refreshes:\n%s", shorten(body))
	}
	for _, tt := range []struct{ path, want string }{
		{fw, "router.bin"},
		{fw, "SG CLS level 1: not met"},
		{fw + "/findings", "credentials.default-password"},
		{fw + "/components", "cpe:2.3:a:thekelleys:dnsmasq:2.73"},
		{fw + "/verdicts", "Record evidence"},
		{"/evaluation", "router.bin"},
	} {
		resp, body := b.get(tt.path)
		wantStatus(t, "GET "+tt.path, resp, body, 200)
		if !strings.Contains(body, tt.want) {
			t.Errorf("GET %s lacks %q", tt.path, tt.want)
		}
	}
	resp, body = b.post(fw+"/evidence", url.Values{"provision": {"5.2-1"}, "verdict": {"PASS"}, "rationale": {""}})
	wantStatus(t, "evidence without a rationale", resp, body, 400)
	if !strings.Contains(body, "rationale") {
		t.Errorf("form error does not name the rationale")
	}
	resp, body = b.post(fw+"/evidence", url.Values{"provision": {"5.2-1"}, "test_case": {"5.2-1-1"}, "verdict": {"PASS"}, "rationale": {"policy published at /security.txt"}})
	wantStatus(t, "record evidence", resp, body, 303)
	_, body = b.get(fw + "/verdicts")
	if !strings.Contains(body, "policy published at /security.txt") {
		t.Errorf("verdicts page does not list the recorded evidence")
	}
	resp, body = b.upload(fw+"/ics", "ics", "ics.csv", []byte("provision,support,detail\n5.3-13,N/A,no support period\n"))
	wantStatus(t, "upload ICS", resp, body, 303)
	resp, body = b.get(fw + "/ics.csv")
	wantStatus(t, "ICS CSV", resp, body, 200)
	if !strings.Contains(body, "5.3-13,") || !strings.Contains(body, ",N/A,no support period") {
		t.Errorf("ICS CSV lacks the uploaded entry:\n%s", shorten(body))
	}
	resp, body = b.upload(fw+"/ics", "ics", "ics.csv", []byte("provision,support\n5.3-13,perhaps\n"))
	wantStatus(t, "upload a bad ICS", resp, body, 400)
	if !strings.Contains(body, "line 2") {
		t.Errorf("ICS error does not name the line")
	}
	b.get(fw + "/verdicts")
	resp, body = b.post(fw+"/ixit", url.Values{"category": {"1-AuthMech"}, "text": {"password per device"}})
	wantStatus(t, "add IXIT", resp, body, 303)
	resp, body = b.get(fw + "/report")
	wantStatus(t, "report", resp, body, 200)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "unsafe") {
		t.Errorf("report CSP = %q", csp)
	}
	if !strings.Contains(body, "<svg") || !strings.Contains(body, "CAM-A") {
		t.Errorf("report lacks its charts or product")
	}
	resp, body = b.get(fw + "/report.sarif")
	wantStatus(t, "SARIF", resp, body, 200)
	if resp.Header.Get("Content-Type") != "application/sarif+json" || !strings.Contains(body, `"version": "2.1.0"`) {
		t.Errorf("SARIF download: %s", resp.Header.Get("Content-Type"))
	}

	// A viewer reads but may not record evidence or upload.
	viewer := iotsec.User{Email: "val@a.example"}
	apptest.Must(t, f.App.Store.CreateUser(context.Background(), "t", &viewer))
	apptest.Must(t, f.App.Store.AddMember(context.Background(), iotsec.System(f.A.Org.ID, "t"), viewer.ID, iotsec.RoleViewer))
	f.setPassword(viewer, "viewer passphrase here")
	v := f.browser()
	v.login("val@a.example", "viewer passphrase here")
	resp, body = v.get(fw + "/verdicts")
	wantStatus(t, "viewer verdicts", resp, body, 200)
	if strings.Contains(body, "Record evidence") {
		t.Error("viewer is offered the evidence form")
	}
	resp, body = v.post(fw+"/evidence", url.Values{"provision": {"5.2-1"}, "verdict": {"PASS"}, "rationale": {"x"}})
	wantStatus(t, "viewer records evidence", resp, body, 403)
	resp, body = v.upload(fw+"/image", "image", "x.bin", []byte("x"))
	wantStatus(t, "viewer uploads", resp, body, 403)
	// Another organisation's firmware is not found.
	resp, body = b.get("/firmware/" + f.B.Firmware.ID + "/findings")
	wantStatus(t, "B's findings", resp, body, 404)
}
