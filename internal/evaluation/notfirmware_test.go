package evaluation_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// runQueued runs a queued job as the queue's worker would: start it, hand
// it to the handler, end it with the handler's result or its error's
// message. It returns the handler's error.
func runQueued(t *testing.T, f *apptest.Fixture, jobID string) error {
	t.Helper()
	ctx := context.Background()
	job, input, err := f.App.Store.JobInput(ctx, jobID)
	apptest.Must(t, err)
	_, err = f.App.Store.StartJob(ctx, jobID, time.Now())
	apptest.Must(t, err)
	res, err := f.App.Scan.Run(ctx, job, input)
	if err != nil {
		apptest.Must(t, f.App.Store.EndJob(ctx, jobID, iotsec.JobFailed, nil, iotsec.Message(err), time.Now()))
		return err
	}
	apptest.Must(t, f.App.Store.EndJob(ctx, jobID, iotsec.JobSucceeded, res, "", time.Now()))
	return nil
}

// upload posts an image through the API and returns the scan job's ID.
func upload(t *testing.T, f *apptest.Fixture, g *apptest.Tenant, name string, img []byte) string {
	t.Helper()
	resp, body := f.Do("POST", "/api/v1/firmware/"+g.Firmware.ID+"/image?name="+name, g.Token, "application/octet-stream", strings.NewReader(string(img)))
	if resp.StatusCode != 202 {
		t.Fatalf("upload %s: %d %s", name, resp.StatusCode, body)
	}
	var job struct{ ID string }
	apptest.Must(t, json.Unmarshal(body, &job))
	return job.ID
}

// TestNotFirmwareUpload: a text file uploaded as firmware is refused by
// its scan job, which fails naming the reason; the firmware's scan says
// so, and no scheme is given a status from it: the verdicts and the
// report say the image could not be scanned.
func TestNotFirmwareUpload(t *testing.T) {
	f := apptest.New(t)
	g := &f.A
	jobID := upload(t, f, g, "notes.txt", []byte("this is not a router image\n")) // 27 bytes
	err := runQueued(t, f, jobID)
	if err == nil || iotsec.Kind(err) != iotsec.ErrInvalid || !strings.Contains(err.Error(), "not firmware") {
		t.Fatalf("scan job error = %v, want invalid input saying it is not firmware", err)
	}
	resp, body := f.Do("GET", "/api/v1/jobs/"+jobID, g.Token, "", nil)
	var job struct {
		State  string          `json:"state"`
		Error  string          `json:"error"`
		Result json.RawMessage `json:"result"`
	}
	apptest.Must(t, json.Unmarshal(body, &job))
	if resp.StatusCode != 200 || job.State != string(iotsec.JobFailed) || !strings.Contains(job.Error, "not firmware") ||
		!strings.Contains(job.Error, "27 bytes of text") || strings.Contains(string(job.Result), "statuses") {
		t.Errorf("job after a text upload: %d %s", resp.StatusCode, body)
	}
	resp, body = f.Do("GET", "/api/v1/firmware/"+g.Firmware.ID+"/scan", g.Token, "", nil)
	var sc struct {
		State string `json:"state"`
		Error string `json:"error"`
	}
	apptest.Must(t, json.Unmarshal(body, &sc))
	if resp.StatusCode != 200 || sc.State != string(iotsec.ScanFailed) || !strings.Contains(sc.Error, "no known image format was recognised") {
		t.Errorf("scan after a text upload: %d %s", resp.StatusCode, body)
	}
	// No verdicts either: the verdicts and the report say why, instead
	// of a page of "incomplete" resting on nothing.
	resp, body = f.Do("GET", "/api/v1/firmware/"+g.Firmware.ID+"/verdicts", g.Token, "", nil)
	var vs struct {
		Verdicts   map[string]any `json:"verdicts"`
		NoVerdicts string         `json:"no_verdicts"`
	}
	apptest.Must(t, json.Unmarshal(body, &vs))
	if resp.StatusCode != 200 || len(vs.Verdicts) != 0 || !strings.Contains(vs.NoVerdicts, "could not be scanned") ||
		!strings.Contains(vs.NoVerdicts, "27 bytes of text") {
		t.Errorf("verdicts after a text upload: %d %.400s", resp.StatusCode, body)
	}
	for _, format := range []string{"json", "html"} {
		resp, body = f.Do("GET", "/api/v1/firmware/"+g.Firmware.ID+"/report?format="+format, g.Token, "", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "could not be scanned") || strings.Contains(string(body), "incomplete") {
			t.Errorf("%s report after a text upload: %d %.400s", format, resp.StatusCode, body)
		}
	}
}
