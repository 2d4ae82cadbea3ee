package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func testEvaluation(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "CAM-1")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	fw2 := f.firmware(t, f.A, p.ID, "1.1")
	// Over 2 MiB, so the image spans several stored chunks.
	data := bytes.Repeat([]byte("firmware image bytes "), 120_000)
	img := iotsec.Image{Digest: digest(data), Name: "cam.bin", Size: int64(len(data))}

	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}
	assessor := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleAssessor, Label: "assessor"}
	wantKind(t, "SaveImage as viewer", f.s.SaveImage(f.ctx, viewer, fw.ID, img, bytes.NewReader(data), &iotsec.Job{Kind: "firmware-scan"}, nil), iotsec.ErrForbidden)
	wantKind(t, "SaveImage of B's firmware", f.s.SaveImage(f.ctx, f.B, fw.ID, img, bytes.NewReader(data), &iotsec.Job{Kind: "firmware-scan"}, nil), iotsec.ErrNotFound)
	bad := img
	bad.Digest = digest([]byte("other"))
	if err := f.s.SaveImage(f.ctx, f.A, fw.ID, bad, bytes.NewReader(data), &iotsec.Job{Kind: "firmware-scan"}, nil); err == nil {
		t.Error("SaveImage with a digest that does not match the bytes: no error")
	}
	job := iotsec.Job{Kind: "firmware-scan"}
	wantKind(t, "SaveImage", f.s.SaveImage(f.ctx, f.A, fw.ID, img, bytes.NewReader(data), &job, []byte(`{"firmware_id":"`+fw.ID+`"}`)), nil)
	if job.ID == "" || job.State != iotsec.JobQueued {
		t.Errorf("SaveImage job = %+v", job)
	}
	// The same bytes for a second version are stored once.
	job2 := iotsec.Job{Kind: "firmware-scan"}
	wantKind(t, "SaveImage again", f.s.SaveImage(f.ctx, f.A, fw2.ID, img, bytes.NewReader(data), &job2, nil), nil)
	got, err := f.s.GetFirmware(f.ctx, f.A, fw.ID)
	wantKind(t, "GetFirmware", err, nil)
	if got.ImageDigest != img.Digest {
		t.Errorf("image digest = %q, want %q", got.ImageDigest, img.Digest)
	}
	gotImg, gotData, err := f.s.Image(f.ctx, viewer, fw.ID)
	wantKind(t, "Image", err, nil)
	if gotImg != img || !bytes.Equal(gotData, data) {
		t.Errorf("Image = %+v, %d bytes; want %+v, %d bytes", gotImg, len(gotData), img, len(data))
	}
	_, _, err = f.s.Image(f.ctx, f.B, fw.ID)
	wantKind(t, "Image of A's firmware as B", err, iotsec.ErrNotFound)

	s, err := f.s.GetScan(f.ctx, viewer, fw.ID)
	wantKind(t, "GetScan", err, nil)
	if s.State != iotsec.ScanQueued || s.JobID != job.ID || s.Image != img || s.Version != "1.0" {
		t.Errorf("queued scan = %+v", s)
	}
	rec := iotsec.ScanRecord{Formats: []string{"uimage", "squashfs"}, Files: 12, Bytes: 4096, Seconds: map[string]float64{"total": 0.5},
		Findings: []iotsec.Finding{
			{Rule: "credentials.default-password", Category: "credentials", Severity: "critical", Title: "root has admin", Path: "etc/shadow",
				Evidence: iotsec.FindingEvidence{Line: 1, Text: "root:a****"}, Provisions: []string{"5.1-1", "5.1-2"}},
			{Rule: "surface.telnet", Category: "surface", Severity: "high", Title: "telnetd", Path: "etc/init.d/rcS", Provisions: []string{"5.6-1"}},
		},
		Components: []iotsec.Component{{Name: "busybox", Version: "1.28.4", CPE: "cpe:2.3:a:busybox:busybox:1.28.4:*:*:*:*:*:*:*", PURL: "pkg:generic/busybox@1.28.4", Path: "bin/busybox"}},
	}
	wantKind(t, "SaveScan as viewer", f.s.SaveScan(f.ctx, viewer, fw.ID, rec, "", nil), iotsec.ErrForbidden)
	wantKind(t, "SaveScan as B", f.s.SaveScan(f.ctx, f.B, fw.ID, rec, "", nil), iotsec.ErrNotFound)
	wantKind(t, "SaveScan", f.s.SaveScan(f.ctx, f.A, fw.ID, rec, "", &iotsec.Progress{JobID: job.ID, Done: 10, Total: 10, Message: "done"}), nil)
	// Saving twice replaces, not appends.
	wantKind(t, "SaveScan again", f.s.SaveScan(f.ctx, f.A, fw.ID, rec, "", nil), nil)
	s, _ = f.s.GetScan(f.ctx, f.A, fw.ID)
	if s.State != iotsec.ScanSucceeded || s.Findings != 2 || s.Components != 1 || s.Severities["critical"] != 1 || s.Files != 12 ||
		!cmp.Equal(s.Formats, rec.Formats) || s.ScannedAt.IsZero() {
		t.Errorf("scan = %+v", s)
	}
	fs, err := f.s.ListFindings(f.ctx, viewer, fw.ID)
	wantKind(t, "ListFindings", err, nil)
	if diff := cmp.Diff(rec.Findings, fs); diff != "" {
		t.Errorf("findings (-saved +listed):\n%s", diff)
	}
	cs, err := f.s.ListComponents(f.ctx, viewer, fw.ID)
	wantKind(t, "ListComponents", err, nil)
	if diff := cmp.Diff(rec.Components, cs); diff != "" {
		t.Errorf("components (-saved +listed):\n%s", diff)
	}
	_, err = f.s.ListFindings(f.ctx, f.B, fw.ID)
	wantKind(t, "ListFindings as B", err, iotsec.ErrNotFound)
	if j, _ := f.s.GetJob(f.ctx, f.A, job.ID); j.Done != 10 {
		t.Errorf("job progress after SaveScan = %d, want 10", j.Done)
	}
	scans, err := f.s.ListScans(f.ctx, viewer)
	wantKind(t, "ListScans", err, nil)
	if len(scans) != 2 {
		t.Errorf("%d scans, want 2", len(scans))
	}
	if bs, _ := f.s.ListScans(f.ctx, f.B); len(bs) != 0 {
		t.Errorf("B sees %d of A's scans", len(bs))
	}
	wantKind(t, "SaveScan failure", f.s.SaveScan(f.ctx, f.A, fw2.ID, iotsec.ScanRecord{}, "no file could be read", nil), nil)
	if s, _ := f.s.GetScan(f.ctx, f.A, fw2.ID); s.State != iotsec.ScanFailed || s.Error != "no file could be read" {
		t.Errorf("failed scan = %+v", s)
	}

	// Evidence: assessors record, makers and viewers do not.
	ev := iotsec.Evidence{FirmwareID: fw.ID, Provision: "5.1-1", TestCase: "5.1-1-2", Verdict: "FAIL", Rationale: "admin/admin works on the web UI"}
	maker := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleMaker, Label: "maker"}
	wantKind(t, "AddEvidence as maker", f.s.AddEvidence(f.ctx, maker, &ev), iotsec.ErrForbidden)
	bev := ev
	wantKind(t, "AddEvidence as B", f.s.AddEvidence(f.ctx, f.B, &bev), iotsec.ErrNotFound)
	wantKind(t, "AddEvidence", f.s.AddEvidence(f.ctx, assessor, &ev), nil)
	ev2 := iotsec.Evidence{FirmwareID: fw.ID, Provision: "5.1-1", Verdict: "PASS", Override: true, Rationale: "false positive"}
	wantKind(t, "AddEvidence 2", f.s.AddEvidence(f.ctx, assessor, &ev2), nil)
	evs, err := f.s.ListEvidence(f.ctx, viewer, fw.ID)
	wantKind(t, "ListEvidence", err, nil)
	if len(evs) != 2 || evs[0] != ev || evs[1] != ev2 || ev.Assessor != assessor.Name() || !evs[1].Override {
		t.Errorf("evidence = %+v\nwant %+v and %+v", evs, ev, ev2)
	}

	// ICS and IXIT.
	in, err := f.s.AssessmentInputs(f.ctx, viewer, fw.ID)
	wantKind(t, "AssessmentInputs (none)", err, nil)
	if in.ICS != nil || in.IXIT != nil {
		t.Errorf("inputs before any = %+v", in)
	}
	wantKind(t, "SetAssessmentInputs as viewer", f.s.SetAssessmentInputs(f.ctx, viewer, fw.ID, iotsec.AssessmentInputs{ICS: []byte(`{}`)}), iotsec.ErrForbidden)
	wantKind(t, "SetAssessmentInputs ICS", f.s.SetAssessmentInputs(f.ctx, maker, fw.ID, iotsec.AssessmentInputs{ICS: []byte(`{"entries":[]}`)}), nil)
	wantKind(t, "SetAssessmentInputs IXIT", f.s.SetAssessmentInputs(f.ctx, assessor, fw.ID, iotsec.AssessmentInputs{IXIT: []byte(`[]`)}), nil)
	in, _ = f.s.AssessmentInputs(f.ctx, viewer, fw.ID)
	if string(in.ICS) != `{"entries":[]}` || string(in.IXIT) != `[]` || in.UpdatedAt.IsZero() {
		t.Errorf("inputs = %q %q %v", in.ICS, in.IXIT, in.UpdatedAt)
	}
	_, err = f.s.AssessmentInputs(f.ctx, f.B, fw.ID)
	wantKind(t, "AssessmentInputs as B", err, iotsec.ErrNotFound)

	// Deleting the firmware versions takes their scans, evidence and, once
	// no version points at it, the image.
	wantKind(t, "DeleteFirmware", f.s.DeleteFirmware(f.ctx, f.A, fw.ID), nil)
	_, err = f.s.GetScan(f.ctx, f.A, fw.ID)
	wantKind(t, "GetScan after delete", err, iotsec.ErrNotFound)
	if _, data2, err := f.s.Image(f.ctx, f.A, fw2.ID); err != nil || len(data2) != len(data) {
		t.Errorf("the image still used by 1.1 went with 1.0: %v", err)
	}
	wantKind(t, "DeleteProduct", f.s.DeleteProduct(f.ctx, f.A, p.ID), nil)
	// A fresh upload of the same bytes stores them again from scratch.
	p2 := f.product(t, f.A, "CAM-2")
	fw3 := f.firmware(t, f.A, p2.ID, "2.0")
	wantKind(t, "SaveImage after delete", f.s.SaveImage(f.ctx, f.A, fw3.ID, img, bytes.NewReader(data), &iotsec.Job{Kind: "firmware-scan"}, nil), nil)
	if _, d3, err := f.s.Image(f.ctx, f.A, fw3.ID); err != nil || !bytes.Equal(d3, data) {
		t.Errorf("image after re-upload: %v", err)
	}
}

// rendezvous is a reader whose first Read waits, up to a second, until
// every other reader of its group has begun reading too: two uploads of
// the same image hold their transactions open together, as two requests
// at once do, while each stores the bytes (if it stores them at all).
type rendezvous struct {
	r      io.Reader
	group  *sync.WaitGroup
	joined bool
}

func (z *rendezvous) Read(p []byte) (int, error) {
	if !z.joined {
		z.joined = true
		z.group.Done()
		done := make(chan struct{})
		go func() { z.group.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	return z.r.Read(p)
}

// testConcurrentImages: two uploads of the same bytes at once, to one
// firmware version (a double submit) or to two, both succeed; the image
// is stored once, reads back whole, and each upload queued its scan.
func testConcurrentImages(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "CC-1")
	for _, tt := range []struct {
		name     string
		versions []string
	}{
		{"one version", []string{"1.0", "1.0"}},
		{"two versions", []string{"2.0", "2.1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Over 2 MiB, so the image spans several stored chunks.
			data := bytes.Repeat([]byte("concurrent image "+tt.name+" "), 100_000)
			img := iotsec.Image{Digest: digest(data), Name: "cc.bin", Size: int64(len(data))}
			ids := map[string]string{}
			for _, v := range tt.versions {
				if ids[v] == "" {
					ids[v] = f.firmware(t, f.A, p.ID, v).ID
				}
			}
			var group sync.WaitGroup
			group.Add(len(tt.versions))
			errs := make([]error, len(tt.versions))
			jobs := make([]iotsec.Job, len(tt.versions))
			var wg sync.WaitGroup
			for i, v := range tt.versions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					jobs[i] = iotsec.Job{Kind: "firmware-scan"}
					r := &rendezvous{r: bytes.NewReader(data), group: &group}
					errs[i] = f.s.SaveImage(f.ctx, f.A, ids[v], img, r, &jobs[i], nil)
					if !r.joined { // it found the image stored and read nothing
						group.Done()
					}
				}()
			}
			wg.Wait()
			for i, err := range errs {
				wantKind(t, fmt.Sprintf("SaveImage %d of %d at once", i+1, len(errs)), err, nil)
				if err == nil && jobs[i].ID == "" {
					t.Errorf("upload %d queued no scan", i+1)
				}
			}
			for v, id := range ids {
				gotImg, gotData, err := f.s.Image(f.ctx, f.A, id)
				wantKind(t, "Image of "+v, err, nil)
				if gotImg.Digest != img.Digest || !bytes.Equal(gotData, data) {
					t.Errorf("Image of %s = %+v, %d bytes; want %s, %d bytes", v, gotImg, len(gotData), img.Digest, len(data))
				}
			}
		})
	}
}
