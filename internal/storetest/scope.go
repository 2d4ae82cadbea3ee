package storetest

import (
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testRoles checks every write against every role: what the role matrix
// forbids, the store refuses.
func testRoles(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	d := f.device(t, f.A, "SN-1", p.ID, fw.ID)
	writes := []struct {
		name string
		perm iotsec.Permission
		do   func(a iotsec.Actor) error
	}{
		{"CreateProduct", iotsec.PermWriteProducts, func(a iotsec.Actor) error {
			return f.s.CreateProduct(f.ctx, a, &iotsec.Product{Name: "n", Model: "m-" + string(a.Role)})
		}},
		{"UpdateProduct", iotsec.PermWriteProducts, func(a iotsec.Actor) error { q := p; return f.s.UpdateProduct(f.ctx, a, &q) }},
		{"CreateFirmware", iotsec.PermWriteProducts, func(a iotsec.Actor) error {
			return f.s.CreateFirmware(f.ctx, a, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "v-" + string(a.Role)})
		}},
		{"UpdateFirmware", iotsec.PermWriteProducts, func(a iotsec.Actor) error { g := fw; return f.s.UpdateFirmware(f.ctx, a, &g) }},
		{"CreateDevice", iotsec.PermWriteProducts, func(a iotsec.Actor) error {
			return f.s.CreateDevice(f.ctx, a, &iotsec.Device{UID: "u-" + string(a.Role), ProductID: p.ID})
		}},
		{"UpdateDevice", iotsec.PermWriteProducts, func(a iotsec.Actor) error { e := d; return f.s.UpdateDevice(f.ctx, a, &e) }},
		{"UpsertDevices", iotsec.PermWriteProducts, func(a iotsec.Actor) error {
			_, err := f.s.UpsertDevices(f.ctx, a, []iotsec.Device{{UID: "x-" + string(a.Role), ProductID: p.ID}}, nil)
			return err
		}},
		{"CreateToken", iotsec.PermManageTokens, func(a iotsec.Actor) error {
			_, h := iotsec.NewSecret(nil, iotsec.SecretToken)
			return f.s.CreateToken(f.ctx, a, &iotsec.Token{Name: "t", Role: iotsec.RoleViewer, Hash: h})
		}},
		{"ListTokens", iotsec.PermManageTokens, func(a iotsec.Actor) error { _, err := f.s.ListTokens(f.ctx, a); return err }},
		{"ListAudit", iotsec.PermReadAudit, func(a iotsec.Actor) error { _, err := f.s.ListAudit(f.ctx, a, iotsec.AuditFilter{}); return err }},
		{"DeleteDevice", iotsec.PermWriteProducts, func(a iotsec.Actor) error { return f.s.DeleteDevice(f.ctx, a, "dev_missing") }},
		{"DeleteFirmware", iotsec.PermWriteProducts, func(a iotsec.Actor) error { return f.s.DeleteFirmware(f.ctx, a, "fw_missing") }},
		{"DeleteProduct", iotsec.PermWriteProducts, func(a iotsec.Actor) error { return f.s.DeleteProduct(f.ctx, a, "prd_missing") }},
	}
	for _, role := range iotsec.Roles() {
		a := iotsec.Actor{OrgID: f.a.ID, Role: role, Label: string(role)}
		for _, w := range writes {
			t.Run(string(role)+"/"+w.name, func(t *testing.T) {
				err := w.do(a)
				if role.Allows(w.perm) {
					if iotsec.Kind(err) == iotsec.ErrForbidden {
						t.Errorf("%s as %s: %v, want allowed", w.name, role, err)
					}
				} else {
					wantKind(t, w.name+" as "+string(role), err, iotsec.ErrForbidden)
				}
			})
		}
	}
	// An actor with no organisation can do nothing.
	_, err := f.s.ListProducts(f.ctx, iotsec.Actor{Role: iotsec.RoleOwner})
	wantKind(t, "ListProducts without org", err, iotsec.ErrForbidden)
}

// testIsolation proves organisation B can neither read nor change anything
// of organisation A, and is told "not found", never "forbidden".
func testIsolation(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "P-1")
	fw := f.firmware(t, f.A, p.ID, "1.0")
	d := f.device(t, f.A, "SN-1", p.ID, fw.ID)
	job := iotsec.Job{Kind: "device-import"}
	if err := f.s.CreateJob(f.ctx, f.A, &job, nil); err != nil {
		t.Fatal(err)
	}
	_, h := iotsec.NewSecret(nil, iotsec.SecretToken)
	tok := iotsec.Token{Name: "t", Role: iotsec.RoleViewer, Hash: h}
	if err := f.s.CreateToken(f.ctx, f.A, &tok); err != nil {
		t.Fatal(err)
	}
	pb := f.product(t, f.B, "P-B")
	calls := []struct {
		name string
		do   func() error
	}{
		{"GetProduct", func() error { _, err := f.s.GetProduct(f.ctx, f.B, p.ID); return err }},
		{"UpdateProduct", func() error { q := p; q.Name = "pwned"; return f.s.UpdateProduct(f.ctx, f.B, &q) }},
		{"DeleteProduct", func() error { return f.s.DeleteProduct(f.ctx, f.B, p.ID) }},
		{"GetFirmware", func() error { _, err := f.s.GetFirmware(f.ctx, f.B, fw.ID); return err }},
		{"ListFirmware", func() error { _, err := f.s.ListFirmware(f.ctx, f.B, p.ID); return err }},
		{"CreateFirmware", func() error {
			return f.s.CreateFirmware(f.ctx, f.B, &iotsec.FirmwareVersion{ProductID: p.ID, Version: "evil"})
		}},
		{"UpdateFirmware", func() error { g := fw; g.Version = "pwned"; return f.s.UpdateFirmware(f.ctx, f.B, &g) }},
		{"DeleteFirmware", func() error { return f.s.DeleteFirmware(f.ctx, f.B, fw.ID) }},
		{"GetDevice", func() error { _, err := f.s.GetDevice(f.ctx, f.B, d.ID); return err }},
		{"UpdateDevice", func() error {
			e := d
			e.ProductID, e.FirmwareID = pb.ID, ""
			return f.s.UpdateDevice(f.ctx, f.B, &e)
		}},
		{"DeleteDevice", func() error { return f.s.DeleteDevice(f.ctx, f.B, d.ID) }},
		{"GetJob", func() error { _, err := f.s.GetJob(f.ctx, f.B, job.ID); return err }},
		{"RevokeToken", func() error { return f.s.RevokeToken(f.ctx, f.B, tok.ID) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) { wantKind(t, c.name, c.do(), iotsec.ErrNotFound) })
	}
	// Devices of B cannot point into A.
	_, err := f.s.UpsertDevices(f.ctx, f.B, []iotsec.Device{{UID: "x", ProductID: p.ID}}, nil)
	wantKind(t, "UpsertDevices(B onto A's product)", err, iotsec.ErrInvalid)
	_, err = f.s.UpsertDevices(f.ctx, f.B, []iotsec.Device{{UID: "x", ProductID: pb.ID, FirmwareID: fw.ID}}, nil)
	wantKind(t, "UpsertDevices(B onto A's firmware)", err, iotsec.ErrInvalid)
	// An upsert in B with A's device UID makes B's own device, leaving A's.
	if _, err := f.s.UpsertDevices(f.ctx, f.B, []iotsec.Device{{UID: "SN-1", ProductID: pb.ID}}, nil); err != nil {
		t.Fatalf("UpsertDevices(B, same uid): %v", err)
	}
	// Lists in B show nothing of A.
	prods, _ := f.s.ListProducts(f.ctx, f.B)
	devs, _ := f.s.ListDevices(f.ctx, f.B, iotsec.DeviceFilter{})
	jobs, _ := f.s.ListJobs(f.ctx, f.B, 0)
	toks, _ := f.s.ListTokens(f.ctx, f.B)
	fws, _ := f.s.ListFirmware(f.ctx, f.B, "")
	audit, _ := f.s.ListAudit(f.ctx, f.B, iotsec.AuditFilter{})
	members, _ := f.s.ListMembers(f.ctx, f.B)
	if len(prods) != 1 || len(devs) != 1 || len(jobs) != 0 || len(toks) != 0 || len(fws) != 0 || len(members) != 1 {
		t.Errorf("B's lists: %d products, %d devices, %d jobs, %d tokens, %d firmware, %d members; want 1 1 0 0 0 1",
			len(prods), len(devs), len(jobs), len(toks), len(fws), len(members))
	}
	for _, e := range audit {
		if e.OrgID != f.b.ID {
			t.Errorf("B's audit log shows event %d of org %s", e.Seq, e.OrgID)
		}
	}
	// And A's things are untouched.
	gotP, _ := f.s.GetProduct(f.ctx, f.A, p.ID)
	gotD, _ := f.s.GetDevice(f.ctx, f.A, d.ID)
	gotF, _ := f.s.GetFirmware(f.ctx, f.A, fw.ID)
	if gotP.Name != p.Name || gotD.ProductID != p.ID || gotF.Version != fw.Version {
		t.Errorf("A's data changed: %+v %+v %+v", gotP, gotD, gotF)
	}
	ov, _ := f.s.Overview(f.ctx, f.B, iotsec.NewDate(2026, 1, 1))
	if ov.Products != 1 || ov.Devices != 1 || ov.FirmwareVersions != 0 {
		t.Errorf("Overview(B) = %+v", ov)
	}
}
