package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func testJobs(t *testing.T, open Opener) {
	f := setup(t, open)
	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}
	j := iotsec.Job{Kind: "device-import", Total: 10}
	wantKind(t, "CreateJob", f.s.CreateJob(f.ctx, viewer, &j, []byte("uid,product\n")), nil)
	if j.State != iotsec.JobQueued || j.ID == "" || j.CreatedBy != viewer.Name() {
		t.Errorf("CreateJob set %+v", j)
	}
	got, input, err := f.s.JobInput(f.ctx, j.ID)
	wantKind(t, "JobInput", err, nil)
	if string(input) != "uid,product\n" || got.Actor != viewer || got.Total != 10 {
		t.Errorf("JobInput = %+v, %q", got, input)
	}
	started, err := f.s.StartJob(f.ctx, j.ID, Start)
	wantKind(t, "StartJob", err, nil)
	if started.State != iotsec.JobRunning || started.Attempts != 1 || !started.StartedAt.Equal(Start) {
		t.Errorf("StartJob = %+v", started)
	}
	wantKind(t, "SaveProgress", f.s.SaveProgress(f.ctx, iotsec.Progress{JobID: j.ID, Done: 4, Total: 10, Message: "4 of 10"}), nil)
	wantKind(t, "EndJob(queued)", f.s.EndJob(f.ctx, j.ID, iotsec.JobQueued, nil, "interrupted", Start), nil)
	got, _ = f.s.GetJob(f.ctx, f.A, j.ID)
	if got.State != iotsec.JobQueued || got.Done != 4 || got.Message != "interrupted" || !got.FinishedAt.IsZero() {
		t.Errorf("after interruption job = %+v", got)
	}
	// A second attempt keeps the first start time and counts.
	started, _ = f.s.StartJob(f.ctx, j.ID, Start.Add(60e9))
	if started.Attempts != 2 || !started.StartedAt.Equal(Start) || started.Done != 4 {
		t.Errorf("second StartJob = %+v", started)
	}
	result := json.RawMessage(`{"created":10}`)
	wantKind(t, "EndJob(succeeded)", f.s.EndJob(f.ctx, j.ID, iotsec.JobSucceeded, result, "", Start.Add(61e9)), nil)
	got, _ = f.s.GetJob(f.ctx, f.A, j.ID)
	if got.State != iotsec.JobSucceeded || string(got.Result) != `{"created":10}` || got.FinishedAt.IsZero() {
		t.Errorf("finished job = %+v", got)
	}

	failed := iotsec.Job{Kind: "device-import"}
	wantKind(t, "CreateJob", f.s.CreateJob(f.ctx, f.A, &failed, nil), nil)
	wantKind(t, "EndJob(failed)", f.s.EndJob(f.ctx, failed.ID, iotsec.JobFailed, nil, "line 3: bad uid", Start), nil)
	got, _ = f.s.GetJob(f.ctx, f.A, failed.ID)
	if got.State != iotsec.JobFailed || got.Error != "line 3: bad uid" {
		t.Errorf("failed job = %+v", got)
	}
	if err := f.s.EndJob(f.ctx, failed.ID, "exploded", nil, "", Start); err == nil {
		t.Error("EndJob(bad state) succeeded")
	}
	list, err := f.s.ListJobs(f.ctx, f.A, 0)
	wantKind(t, "ListJobs", err, nil)
	if len(list) != 2 || list[0].ID != failed.ID {
		t.Errorf("ListJobs = %+v, want the newest first", list)
	}
	_, _, err = f.s.JobInput(f.ctx, "job_missing")
	wantKind(t, "JobInput(missing)", err, iotsec.ErrNotFound)
	err = f.s.CreateJob(f.ctx, iotsec.Actor{OrgID: f.a.ID, Role: "nobody"}, &iotsec.Job{Kind: "x"}, nil)
	wantKind(t, "CreateJob(no role)", err, iotsec.ErrForbidden)
}

func testOverview(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "O-1")
	old := iotsec.FirmwareVersion{ProductID: p.ID, Version: "0.9", SupportEnd: iotsec.NewDate(2025, 12, 31)}
	if err := f.s.CreateFirmware(f.ctx, f.A, &old); err != nil {
		t.Fatal(err)
	}
	cur := f.firmware(t, f.A, p.ID, "1.0")
	f.device(t, f.A, "D1", p.ID, old.ID)
	f.device(t, f.A, "D2", p.ID, old.ID)
	f.device(t, f.A, "D3", p.ID, cur.ID)
	d4 := iotsec.Device{UID: "D4", ProductID: p.ID, State: iotsec.StateDisposed}
	if err := f.s.CreateDevice(f.ctx, f.A, &d4); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.Overview(f.ctx, f.A, iotsec.NewDate(2026, 1, 1))
	wantKind(t, "Overview", err, nil)
	want := iotsec.Overview{Products: 1, FirmwareVersions: 2, Devices: 4, UnsupportedFirmware: 1, DevicesUnsupported: 2, DevicesNoFirmware: 1,
		DevicesByState: map[iotsec.State]int{iotsec.StateOperational: 3, iotsec.StateDisposed: 1}}
	if !equalJSON(want, got) {
		t.Errorf("Overview = %+v, want %+v", got, want)
	}
	// On the last day of support the version still counts as supported.
	got, _ = f.s.Overview(f.ctx, f.A, iotsec.NewDate(2025, 12, 31))
	if got.UnsupportedFirmware != 0 || got.DevicesUnsupported != 0 {
		t.Errorf("Overview on the last day of support = %+v", got)
	}
	// FleetTally is the overview and the per-version device counts in one.
	tally, byFirmware, err := f.s.FleetTally(f.ctx, f.A, iotsec.NewDate(2026, 1, 1))
	wantKind(t, "FleetTally", err, nil)
	if !equalJSON(want, tally) {
		t.Errorf("FleetTally overview = %+v, want %+v", tally, want)
	}
	counts, err := f.s.DeviceCounts(f.ctx, f.A)
	wantKind(t, "DeviceCounts", err, nil)
	wantCounts := map[string]int{old.ID: 2, cur.ID: 1}
	if !equalJSON(wantCounts, byFirmware) || !equalJSON(wantCounts, counts) {
		t.Errorf("FleetTally counts = %v, DeviceCounts = %v, want %v", byFirmware, counts, wantCounts)
	}
	// Another organisation sees none of it; an actor without a role nothing.
	tally, byFirmware, err = f.s.FleetTally(f.ctx, f.B, iotsec.NewDate(2026, 1, 1))
	wantKind(t, "FleetTally(B)", err, nil)
	if tally.Devices != 0 || tally.DevicesUnsupported != 0 || len(byFirmware) != 0 {
		t.Errorf("FleetTally(B) = %+v, %v; want nothing", tally, byFirmware)
	}
	_, _, err = f.s.FleetTally(f.ctx, iotsec.Actor{OrgID: f.a.ID, Role: "nobody"}, iotsec.NewDate(2026, 1, 1))
	wantKind(t, "FleetTally(no role)", err, iotsec.ErrForbidden)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// testJobFence: a checkpoint carries its attempt; once a newer attempt
// of the job started (a rescue after the replica stalled), the older
// attempt's checkpoint is refused with ErrSuperseded and the batch
// written with it is rolled back; the newer attempt's checkpoint lands.
func testJobFence(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "FN-1")
	j := iotsec.Job{Kind: "device-import", Total: 4}
	wantKind(t, "CreateJob", f.s.CreateJob(f.ctx, f.A, &j, nil), nil)
	first, err := f.s.StartJob(f.ctx, j.ID, Start)
	wantKind(t, "StartJob", err, nil)
	second, err := f.s.StartJob(f.ctx, j.ID, Start.Add(40e9)) // rescued
	wantKind(t, "StartJob(rescued)", err, nil)
	if first.Attempts != 1 || second.Attempts != 2 {
		t.Fatalf("attempts %d, %d; want 1, 2", first.Attempts, second.Attempts)
	}
	batch := func(uids ...string) []iotsec.Device {
		var ds []iotsec.Device
		for _, u := range uids {
			ds = append(ds, iotsec.Device{UID: u, ProductID: p.ID})
		}
		return ds
	}
	_, err = f.s.UpsertDevices(f.ctx, f.A, batch("FN-A", "FN-B"), &iotsec.Progress{JobID: j.ID, Done: 2, Total: 4, Attempt: first.Attempts})
	if !errors.Is(err, iotsec.ErrSuperseded) {
		t.Errorf("UpsertDevices with the stale attempt's checkpoint = %v, want ErrSuperseded", err)
	}
	if ds, _ := f.s.ListDevices(f.ctx, f.A, iotsec.DeviceFilter{ProductID: p.ID}); len(ds) != 0 {
		t.Errorf("the stale attempt's batch was written: %d devices", len(ds))
	}
	if err := f.s.SaveProgress(f.ctx, iotsec.Progress{JobID: j.ID, Done: 3, Total: 4, Attempt: first.Attempts}); !errors.Is(err, iotsec.ErrSuperseded) {
		t.Errorf("SaveProgress of the stale attempt = %v, want ErrSuperseded", err)
	}
	_, err = f.s.UpsertDevices(f.ctx, f.A, batch("FN-A", "FN-B"), &iotsec.Progress{JobID: j.ID, Done: 2, Total: 4, Message: "newer", Attempt: second.Attempts})
	wantKind(t, "UpsertDevices(newer attempt)", err, nil)
	got, _ := f.s.GetJob(f.ctx, f.A, j.ID)
	if got.Done != 2 || got.Message != "newer" {
		t.Errorf("job after the newer attempt's batch = %+v", got)
	}
	if ds, _ := f.s.ListDevices(f.ctx, f.A, iotsec.DeviceFilter{ProductID: p.ID}); len(ds) != 2 {
		t.Errorf("the newer attempt's batch: %d devices, want 2", len(ds))
	}
	err = f.s.SaveProgress(f.ctx, iotsec.Progress{JobID: "job_missing", Done: 1, Attempt: 1})
	wantKind(t, "SaveProgress(missing job)", err, iotsec.ErrNotFound)
	// The outcome is fenced too: the stale attempt's is refused.
	if err := f.s.EndAttempt(f.ctx, j.ID, first.Attempts, iotsec.JobSucceeded, []byte(`{"by":"stale"}`), "", Start.Add(50e9)); !errors.Is(err, iotsec.ErrSuperseded) {
		t.Errorf("EndAttempt of the stale attempt = %v, want ErrSuperseded", err)
	}
	if got, _ := f.s.GetJob(f.ctx, f.A, j.ID); got.State != iotsec.JobRunning || len(got.Result) != 0 {
		t.Errorf("job after the stale attempt's outcome = %+v, want still running", got)
	}
	wantKind(t, "EndAttempt(newer)", f.s.EndAttempt(f.ctx, j.ID, second.Attempts, iotsec.JobSucceeded, []byte(`{"by":"newer"}`), "", Start.Add(60e9)), nil)
	if got, _ := f.s.GetJob(f.ctx, f.A, j.ID); got.State != iotsec.JobSucceeded || string(got.Result) != `{"by":"newer"}` {
		t.Errorf("job after the newer attempt's outcome = %+v", got)
	}
}
