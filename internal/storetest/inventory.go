package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func testProducts(t *testing.T, open Opener) {
	f := setup(t, open)
	p := iotsec.Product{Name: " Doorbell ", Model: "DB-1", Class: "camera", Markets: []string{"gb", "EU", "uk", "sg"}}
	wantKind(t, "CreateProduct", f.s.CreateProduct(f.ctx, f.A, &p), nil)
	if diff := cmp.Diff([]string{"EU", "GB", "SG"}, p.Markets); diff != "" {
		t.Errorf("markets normalised (-want +got):\n%s", diff)
	}
	if p.Name != "Doorbell" || p.Sector != "consumer" || p.OrgID != f.a.ID {
		t.Errorf("CreateProduct normalised to %+v", p)
	}
	got, err := f.s.GetProduct(f.ctx, f.A, p.ID)
	wantKind(t, "GetProduct", err, nil)
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("GetProduct mismatch (-want +got):\n%s", diff)
	}
	// Model numbers are unique within an organisation, not across them.
	dup := iotsec.Product{Name: "Other", Model: "DB-1"}
	err = f.s.CreateProduct(f.ctx, f.A, &dup)
	wantKind(t, "CreateProduct(duplicate model)", err, iotsec.ErrConflict)
	wantField(t, "CreateProduct(duplicate model)", err, "model_number")
	wantKind(t, "CreateProduct(same model in B)", f.s.CreateProduct(f.ctx, f.B, &iotsec.Product{Name: "B's", Model: "DB-1"}), nil)

	for _, tt := range []struct {
		name  string
		p     iotsec.Product
		field string
	}{
		{"no name", iotsec.Product{Model: "M"}, "name"},
		{"no model", iotsec.Product{Name: "N"}, "model_number"},
		{"bad class", iotsec.Product{Name: "N", Model: "M", Class: "spaceship"}, "class"},
		{"bad sector", iotsec.Product{Name: "N", Model: "M", Sector: "mining"}, "sector"},
		{"bad market", iotsec.Product{Name: "N", Model: "M", Markets: []string{"EU", "Atlantis"}}, "markets"},
		{"newline in name", iotsec.Product{Name: "a\nb", Model: "M"}, "name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			err := f.s.CreateProduct(f.ctx, f.A, &p)
			wantKind(t, "CreateProduct", err, iotsec.ErrInvalid)
			wantField(t, "CreateProduct", err, tt.field)
		})
	}

	p.Description = "Video doorbell"
	p.Markets = []string{"US"}
	wantKind(t, "UpdateProduct", f.s.UpdateProduct(f.ctx, f.A, &p), nil)
	got, _ = f.s.GetProduct(f.ctx, f.A, p.ID)
	if got.Description != "Video doorbell" || !cmp.Equal(got.Markets, []string{"US"}) || !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("after UpdateProduct got %+v", got)
	}
	other := f.product(t, f.A, "DB-2")
	other.Model = "DB-1"
	wantKind(t, "UpdateProduct(to duplicate model)", f.s.UpdateProduct(f.ctx, f.A, &other), iotsec.ErrConflict)

	list, err := f.s.ListProducts(f.ctx, f.A)
	wantKind(t, "ListProducts", err, nil)
	if len(list) != 2 {
		t.Errorf("ListProducts(A) has %d products, want 2", len(list))
	}

	// A product with devices cannot go; without, it takes its firmware with it.
	fw := f.firmware(t, f.A, p.ID, "1.0")
	d := f.device(t, f.A, "SN1", p.ID, fw.ID)
	wantKind(t, "DeleteProduct(with devices)", f.s.DeleteProduct(f.ctx, f.A, p.ID), iotsec.ErrConflict)
	wantKind(t, "DeleteDevice", f.s.DeleteDevice(f.ctx, f.A, d.ID), nil)
	wantKind(t, "DeleteProduct", f.s.DeleteProduct(f.ctx, f.A, p.ID), nil)
	_, err = f.s.GetFirmware(f.ctx, f.A, fw.ID)
	wantKind(t, "GetFirmware(of deleted product)", err, iotsec.ErrNotFound)
	wantKind(t, "DeleteProduct(again)", f.s.DeleteProduct(f.ctx, f.A, p.ID), iotsec.ErrNotFound)
}

func testFirmware(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "R-1")
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: " 1.2.3 ", ReleasedOn: iotsec.NewDate(2025, 6, 1), SupportEnd: iotsec.NewDate(2029, 6, 1),
		ImageDigest: "SHA256:" + fmt.Sprintf("%064x", 7)}
	wantKind(t, "CreateFirmware", f.s.CreateFirmware(f.ctx, f.A, &fw), nil)
	got, err := f.s.GetFirmware(f.ctx, f.A, fw.ID)
	wantKind(t, "GetFirmware", err, nil)
	if diff := cmp.Diff(fw, got); diff != "" {
		t.Errorf("GetFirmware mismatch (-want +got):\n%s", diff)
	}
	if got.Version != "1.2.3" || got.ImageDigest[:7] != "sha256:" {
		t.Errorf("firmware not normalised: %+v", got)
	}
	err = f.s.CreateFirmware(f.ctx, f.A, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.2.3"})
	wantKind(t, "CreateFirmware(duplicate)", err, iotsec.ErrConflict)
	wantField(t, "CreateFirmware(duplicate)", err, "version")
	wantKind(t, "CreateFirmware(B's product)", f.s.CreateFirmware(f.ctx, f.B, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "9"}), iotsec.ErrNotFound)
	for _, tt := range []struct {
		name  string
		fw    iotsec.FirmwareVersion
		field string
	}{
		{"no version", iotsec.FirmwareVersion{ProductID: p.ID}, "version"},
		{"bad digest", iotsec.FirmwareVersion{ProductID: p.ID, Version: "2", ImageDigest: "md5:abc"}, "image_digest"},
		{"support ends before release", iotsec.FirmwareVersion{ProductID: p.ID, Version: "2", ReleasedOn: iotsec.NewDate(2025, 1, 2), SupportEnd: iotsec.NewDate(2025, 1, 1)}, "support_end"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fw := tt.fw
			err := f.s.CreateFirmware(f.ctx, f.A, &fw)
			wantKind(t, "CreateFirmware", err, iotsec.ErrInvalid)
			wantField(t, "CreateFirmware", err, tt.field)
		})
	}
	// Dates round-trip without a zone shift, and unset dates stay unset.
	bare := iotsec.FirmwareVersion{ProductID: p.ID, Version: "0.9"}
	wantKind(t, "CreateFirmware(bare)", f.s.CreateFirmware(f.ctx, f.A, &bare), nil)
	got, _ = f.s.GetFirmware(f.ctx, f.A, bare.ID)
	if !got.ReleasedOn.IsZero() || !got.SupportEnd.IsZero() {
		t.Errorf("unset dates came back as %v %v", got.ReleasedOn, got.SupportEnd)
	}

	fw.SupportEnd = iotsec.NewDate(2031, 1, 31)
	fw.ProductID = "prd_elsewhere" // ignored: versions stay with their product
	wantKind(t, "UpdateFirmware", f.s.UpdateFirmware(f.ctx, f.A, &fw), nil)
	got, _ = f.s.GetFirmware(f.ctx, f.A, fw.ID)
	if got.SupportEnd.String() != "2031-01-31" || got.ProductID != p.ID {
		t.Errorf("after UpdateFirmware got %+v", got)
	}
	list, err := f.s.ListFirmware(f.ctx, f.A, p.ID)
	wantKind(t, "ListFirmware", err, nil)
	if len(list) != 2 {
		t.Errorf("ListFirmware = %d versions, want 2", len(list))
	}
	_, err = f.s.ListFirmware(f.ctx, f.B, p.ID)
	wantKind(t, "ListFirmware(B, A's product)", err, iotsec.ErrNotFound)
	all, _ := f.s.ListFirmware(f.ctx, f.A, "")
	if len(all) != 2 {
		t.Errorf("ListFirmware(all) = %d versions, want 2", len(all))
	}

	d := f.device(t, f.A, "SN-9", p.ID, fw.ID)
	wantKind(t, "DeleteFirmware(in use)", f.s.DeleteFirmware(f.ctx, f.A, fw.ID), iotsec.ErrConflict)
	d.FirmwareID = ""
	wantKind(t, "UpdateDevice", f.s.UpdateDevice(f.ctx, f.A, &d), nil)
	wantKind(t, "DeleteFirmware", f.s.DeleteFirmware(f.ctx, f.A, fw.ID), nil)
}

func testDevices(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "C-1")
	p2 := f.product(t, f.A, "C-2")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	pb := f.product(t, f.B, "B-1")

	d := iotsec.Device{UID: " SN-1 ", ProductID: p.ID, FirmwareID: fw.ID}
	wantKind(t, "CreateDevice", f.s.CreateDevice(f.ctx, f.A, &d), nil)
	if d.UID != "SN-1" || d.State != iotsec.StateManufactured {
		t.Errorf("CreateDevice normalised to %+v", d)
	}
	got, err := f.s.GetDevice(f.ctx, f.A, d.ID)
	wantKind(t, "GetDevice", err, nil)
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("GetDevice mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name  string
		d     iotsec.Device
		kind  error
		field string
	}{
		{"duplicate uid", iotsec.Device{UID: "SN-1", ProductID: p.ID}, iotsec.ErrConflict, "uid"},
		{"no uid", iotsec.Device{ProductID: p.ID}, iotsec.ErrInvalid, "uid"},
		{"no product", iotsec.Device{UID: "x"}, iotsec.ErrInvalid, "product_id"},
		{"other org's product", iotsec.Device{UID: "x", ProductID: pb.ID}, iotsec.ErrInvalid, "product_id"},
		{"firmware of another product", iotsec.Device{UID: "x", ProductID: p2.ID, FirmwareID: fw.ID}, iotsec.ErrInvalid, "firmware_id"},
		{"bad state", iotsec.Device{UID: "x", ProductID: p.ID, State: "lost"}, iotsec.ErrInvalid, "state"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			err := f.s.CreateDevice(f.ctx, f.A, &d)
			wantKind(t, "CreateDevice", err, tt.kind)
			wantField(t, "CreateDevice", err, tt.field)
		})
	}
	// The same UID may exist in another organisation.
	f.device(t, f.B, "SN-1", pb.ID, "")

	d.ProductID, d.FirmwareID = p2.ID, ""
	wantKind(t, "UpdateDevice", f.s.UpdateDevice(f.ctx, f.A, &d), nil)
	got, _ = f.s.GetDevice(f.ctx, f.A, d.ID)
	if got.State != iotsec.StateManufactured || got.ProductID != p2.ID || got.FirmwareID != "" {
		t.Errorf("after UpdateDevice got %+v", got)
	}
	d.ProductID = pb.ID
	err = f.s.UpdateDevice(f.ctx, f.A, &d)
	wantKind(t, "UpdateDevice(to B's product)", err, iotsec.ErrInvalid)
	wantKind(t, "DeleteDevice", f.s.DeleteDevice(f.ctx, f.A, d.ID), nil)
	_, err = f.s.GetDevice(f.ctx, f.A, d.ID)
	wantKind(t, "GetDevice(deleted)", err, iotsec.ErrNotFound)
}

func testDeviceList(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "L-1")
	p2 := f.product(t, f.A, "L-2")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	var ds []iotsec.Device
	for i := range 25 {
		prod, firm := p.ID, fw.ID
		if i%5 == 0 {
			prod, firm = p2.ID, ""
		}
		ds = append(ds, iotsec.Device{UID: fmt.Sprintf("SN_%03d", i), ProductID: prod, FirmwareID: firm, State: iotsec.StateOperational})
	}
	ds[3].State = iotsec.StateDisposed
	if _, err := f.s.UpsertDevices(f.ctx, f.A, ds, nil); err != nil {
		t.Fatalf("UpsertDevices: %v", err)
	}
	uids := func(f iotsec.DeviceFilter, s iotsec.Store, a iotsec.Actor) []string {
		t.Helper()
		list, err := s.ListDevices(t.Context(), a, f)
		wantKind(t, "ListDevices", err, nil)
		out := []string{}
		for _, d := range list {
			out = append(out, d.UID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    iotsec.DeviceFilter
		want int
	}{
		{"all", iotsec.DeviceFilter{}, 25},
		{"product", iotsec.DeviceFilter{ProductID: p2.ID}, 5},
		{"firmware", iotsec.DeviceFilter{FirmwareID: fw.ID}, 20},
		{"state", iotsec.DeviceFilter{State: iotsec.StateDisposed}, 1},
		{"uid", iotsec.DeviceFilter{UID: "SN_007"}, 1},
		{"query, case and LIKE metacharacters", iotsec.DeviceFilter{Query: "n_01"}, 10},
		{"query with percent", iotsec.DeviceFilter{Query: "%"}, 0},
		{"limit", iotsec.DeviceFilter{Limit: 7}, 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := uids(tt.f, f.s, f.A); len(got) != tt.want {
				t.Errorf("ListDevices(%+v) = %d devices %v, want %d", tt.f, len(got), got, tt.want)
			}
		})
	}
	// Paging by key visits every device once.
	seen := map[string]bool{}
	after := ""
	for page := 0; ; page++ {
		list, err := f.s.ListDevices(f.ctx, f.A, iotsec.DeviceFilter{After: after, Limit: 10})
		wantKind(t, "ListDevices(page)", err, nil)
		if len(list) == 0 {
			break
		}
		for _, d := range list {
			if seen[d.UID] {
				t.Fatalf("page %d repeats %s", page, d.UID)
			}
			seen[d.UID] = true
		}
		after = list[len(list)-1].ID
	}
	if len(seen) != 25 {
		t.Errorf("paging saw %d devices, want 25", len(seen))
	}
	if got := uids(iotsec.DeviceFilter{}, f.s, f.B); len(got) != 0 {
		t.Errorf("ListDevices(B) = %v, want none", got)
	}
	if got := uids(iotsec.DeviceFilter{ProductID: p.ID}, f.s, f.B); len(got) != 0 {
		t.Errorf("ListDevices(B, A's product) = %v, want none", got)
	}
}

func testUpsert(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "U-1")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	fw2 := f.firmware(t, f.A, p.ID, "2.0")
	existing := f.device(t, f.A, "E-1", p.ID, fw.ID)

	job := iotsec.Job{Kind: "device-import", Total: 3}
	if err := f.s.CreateJob(f.ctx, f.A, &job, []byte("x")); err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	ds := []iotsec.Device{
		{UID: "N-1", ProductID: p.ID, FirmwareID: fw.ID},
		{UID: "E-1", ProductID: p.ID, FirmwareID: fw2.ID, State: iotsec.StateOperational},
		{UID: "N-1", ProductID: p.ID, FirmwareID: fw2.ID}, // the later row wins
	}
	res, err := f.s.UpsertDevices(f.ctx, f.A, ds, &iotsec.Progress{JobID: job.ID, Done: 3, Total: 3, Message: "batch 1"})
	wantKind(t, "UpsertDevices", err, nil)
	if diff := cmp.Diff(iotsec.BulkResult{Created: 1, Updated: 1}, res); diff != "" {
		t.Errorf("UpsertDevices result (-want +got):\n%s", diff)
	}
	got, _ := f.s.GetDevice(f.ctx, f.A, existing.ID)
	if got.FirmwareID != fw2.ID || got.State != iotsec.StateOperational || !got.CreatedAt.Equal(existing.CreatedAt) {
		t.Errorf("updated device = %+v", got)
	}
	list, _ := f.s.ListDevices(f.ctx, f.A, iotsec.DeviceFilter{UID: "N-1"})
	if len(list) != 1 || list[0].FirmwareID != fw2.ID {
		t.Errorf("new device = %+v, want one on firmware 2.0", list)
	}
	// An upsert never moves an existing device through its lifecycle:
	// that is TransitionDevice's, with its certificate changes.
	if _, err := f.s.UpsertDevices(f.ctx, f.A, []iotsec.Device{{UID: "E-1", ProductID: p.ID, FirmwareID: fw2.ID, State: iotsec.StateDisposed}}, nil); err != nil {
		t.Fatalf("UpsertDevices(state): %v", err)
	}
	if got, _ := f.s.GetDevice(f.ctx, f.A, existing.ID); got.State != iotsec.StateOperational {
		t.Errorf("upsert moved an existing device to %s", got.State)
	}
	j, _ := f.s.GetJob(f.ctx, f.A, job.ID)
	if j.Done != 3 || j.Total != 3 || j.Message != "batch 1" {
		t.Errorf("job progress = %d/%d %q, want 3/3 batch 1", j.Done, j.Total, j.Message)
	}

	// A bad row rolls back the whole batch and its checkpoint.
	pb := f.product(t, f.B, "B-1")
	bad := []iotsec.Device{
		{UID: "N-2", ProductID: p.ID},
		{UID: "N-3", ProductID: pb.ID},
	}
	_, err = f.s.UpsertDevices(f.ctx, f.A, bad, &iotsec.Progress{JobID: job.ID, Done: 5, Total: 5})
	wantKind(t, "UpsertDevices(other org's product)", err, iotsec.ErrInvalid)
	if list, _ := f.s.ListDevices(f.ctx, f.A, iotsec.DeviceFilter{UID: "N-2"}); len(list) != 0 {
		t.Errorf("a failed batch left device N-2 behind")
	}
	if j, _ := f.s.GetJob(f.ctx, f.A, job.ID); j.Done != 3 {
		t.Errorf("a failed batch moved the checkpoint to %d", j.Done)
	}
	_, err = f.s.UpsertDevices(f.ctx, f.A, []iotsec.Device{{UID: "N-4", ProductID: p.ID, FirmwareID: "fw_other"}}, nil)
	wantKind(t, "UpsertDevices(unknown firmware)", err, iotsec.ErrInvalid)
	_, err = f.s.UpsertDevices(f.ctx, f.A, []iotsec.Device{{UID: "", ProductID: p.ID}}, nil)
	wantKind(t, "UpsertDevices(no uid)", err, iotsec.ErrInvalid)

	// Large batches cross the store's internal chunk sizes.
	big := make([]iotsec.Device, 1234)
	for i := range big {
		big[i] = iotsec.Device{UID: fmt.Sprintf("BIG-%05d", i), ProductID: p.ID, FirmwareID: fw.ID}
	}
	res, err = f.s.UpsertDevices(f.ctx, f.A, big, nil)
	wantKind(t, "UpsertDevices(big)", err, nil)
	if res.Created != 1234 {
		t.Errorf("UpsertDevices(big) created %d, want 1234", res.Created)
	}
	res, _ = f.s.UpsertDevices(f.ctx, f.A, big, nil)
	if res.Updated != 1234 || res.Created != 0 {
		t.Errorf("UpsertDevices(big, again) = %+v, want 1234 updated", res)
	}
}

// testDeviceStateByTransitionOnly: UpdateDevice never changes a device's
// lifecycle state, which moves only by TransitionDevice (the identity
// service's rules, with their certificate actions and evidence). Another
// state is refused naming the stored one and changes nothing; an empty
// or the same state updates the other fields and keeps the stored state,
// also when the caller read the device before a transition.
func testDeviceStateByTransitionOnly(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "S-1")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	for _, to := range iotsec.States() {
		t.Run(string(to), func(t *testing.T) {
			d := f.device(t, f.A, "ST-"+string(to), p.ID, "")
			if to == d.State {
				return
			}
			before, _ := f.s.GetDevice(f.ctx, f.A, d.ID)
			e := d
			e.State, e.FirmwareID = to, fw.ID
			err := f.s.UpdateDevice(f.ctx, f.A, &e)
			wantKind(t, "UpdateDevice(state "+string(to)+")", err, iotsec.ErrInvalid)
			wantField(t, "UpdateDevice(state "+string(to)+")", err, "state")
			if err != nil && !strings.Contains(err.Error(), string(iotsec.StateOperational)) {
				t.Errorf("refusal %q does not name the stored state", err)
			}
			if got, _ := f.s.GetDevice(f.ctx, f.A, d.ID); !cmp.Equal(before, got) {
				t.Errorf("a refused update changed the device: %s", cmp.Diff(before, got))
			}
		})
	}
	// Read, then someone suspends it; the update of the firmware with
	// the state left empty keeps it suspended.
	d := f.device(t, f.A, "ST-stale", p.ID, "")
	move(t, f, f.A, d.ID, iotsec.StateOperational, iotsec.StateSuspended, iotsec.KeepCredentials)
	d.State, d.FirmwareID = "", fw.ID
	wantKind(t, "UpdateDevice(no state)", f.s.UpdateDevice(f.ctx, f.A, &d), nil)
	got, _ := f.s.GetDevice(f.ctx, f.A, d.ID)
	if got.State != iotsec.StateSuspended || got.FirmwareID != fw.ID || d.State != iotsec.StateSuspended {
		t.Errorf("after UpdateDevice without a state: stored %s with firmware %q, returned %s; want suspended, %s", got.State, got.FirmwareID, d.State, fw.ID)
	}
	// The same state as stored is no change.
	d.FirmwareID = ""
	wantKind(t, "UpdateDevice(same state)", f.s.UpdateDevice(f.ctx, f.A, &d), nil)
	if got, _ := f.s.GetDevice(f.ctx, f.A, d.ID); got.State != iotsec.StateSuspended || got.FirmwareID != "" {
		t.Errorf("after UpdateDevice with the same state: %+v", got)
	}
	// Every change of state is in the device's transitions, none by update.
	ts, err := f.s.ListTransitions(f.ctx, f.A, d.ID)
	wantKind(t, "ListTransitions", err, nil)
	if len(ts) != 1 || ts[0].To != iotsec.StateSuspended {
		t.Errorf("transitions = %+v, want the one suspension", ts)
	}
}
