package ui_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestUIWhyNotFail: a firmware version without an image says "no image
// uploaded" instead of a page of "incomplete"; once its image (root
// password admin) is scanned, UK PSTI is not met, directly, and every
// scheme still incomplete says why it is not "not met"; the printable
// report says both too.
func TestUIWhyNotFail(t *testing.T) {
	f := newFixture(t)
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	fw := "/firmware/" + f.A.Firmware.ID
	for _, page := range []string{fw, fw + "/verdicts", fw + "/report"} {
		resp, body := b.get(page)
		wantStatus(t, page, resp, body, 200)
		if !strings.Contains(body, "No image uploaded") || strings.Contains(body, ": incomplete, 0 of") {
			t.Errorf("%s without an image does not say so, or shows incomplete verdicts:\n%s", page, shorten(body))
		}
	}
	resp, body := b.upload(fw+"/image", "image", "router.bin", firmwaretest.Router())
	wantStatus(t, "upload", resp, body, 303)
	resp, body = b.get(resp.Header.Get("Location"))
	jobID := strings.TrimPrefix(regexp.MustCompile(`/jobs/job_[0-9a-z]+`).FindString(body), "/jobs/")
	ctx := context.Background()
	job, input, err := f.App.Store.JobInput(ctx, jobID)
	apptest.Must(t, err)
	_, err = f.App.Store.StartJob(ctx, jobID, time.Now())
	apptest.Must(t, err)
	res, err := f.App.Scan.Run(ctx, job, input)
	apptest.Must(t, err)
	apptest.Must(t, f.App.Store.EndJob(ctx, jobID, iotsec.JobSucceeded, res, "", time.Now()))
	for _, tt := range []struct{ page, want string }{
		{fw, "UK PSTI: not met, 1 of 3 failing (1 FAIL ← "},
		{fw, "Why not “not met”: no mandatory provision fails"},
		{fw + "/verdicts", `<span class="badge bad">direct</span>`},
		{fw + "/verdicts", "UK PSTI Schedule 1 para 1"},
		{fw + "/verdicts", "Why not FAIL: EN 303 645"},
		// the printable report says the same in its words
		{fw + "/report", "Not a FAIL because no mandatory provision fails"},
		{fw + "/report", `<td>direct</td><td>Account &#34;root&#34; has a common or default password`},
		{fw + "/report", "not a FAIL because EN 303 645 "},
	} {
		resp, body := b.get(tt.page)
		wantStatus(t, tt.page, resp, body, 200)
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s lacks %q", tt.page, tt.want)
		}
		if strings.Contains(body, "No image uploaded") {
			t.Errorf("%s says no image uploaded after the scan", tt.page)
		}
	}
}
