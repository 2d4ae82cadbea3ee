package inventory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

func TestParse(t *testing.T) {
	ignoreAt := cmpopts.IgnoreFields(inventory.Row{}, "At")
	for _, tt := range []struct {
		name string
		in   string
		want []inventory.Row
	}{
		{"csv", "uid,product,firmware,state\nSN1,CAM-1,1.0,operational\nSN2,CAM-1,,\n",
			[]inventory.Row{{UID: "SN1", Product: "CAM-1", Firmware: "1.0", State: "operational"}, {UID: "SN2", Product: "CAM-1"}}},
		{"csv, other column order and names, BOM, CRLF, blank lines", "\ufeffModel_Number , Serial\r\nCAM-1, SN1\r\n\r\nCAM-2,SN2\r\n",
			[]inventory.Row{{UID: "SN1", Product: "CAM-1"}, {UID: "SN2", Product: "CAM-2"}}},
		{"csv, quoted comma", "uid,product\n\"SN,1\",CAM-1\n", []inventory.Row{{UID: "SN,1", Product: "CAM-1"}}},
		{"json array", `[{"uid":"SN1","product":"CAM-1","firmware":"1.0"}]`, []inventory.Row{{UID: "SN1", Product: "CAM-1", Firmware: "1.0"}}},
		{"json object", ` {"devices":[{"uid":" SN1 ","product":"CAM-1","state":"suspended"}]}`, []inventory.Row{{UID: "SN1", Product: "CAM-1", State: "suspended"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inventory.Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreAt); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		kind           error
	}{
		{"empty", "  \n", "file: is empty", iotsec.ErrInvalid},
		{"header only", "uid,product\n", "has a header but no rows", iotsec.ErrInvalid},
		{"unknown column", "uid,product,colour\nA,B,red\n", `line 1: unknown column "colour"`, iotsec.ErrInvalid},
		{"missing column", "uid,state\nA,operational\n", `line 1: missing column "product"`, iotsec.ErrInvalid},
		{"duplicate column", "uid,serial,product\n", `column "uid" appears twice`, iotsec.ErrInvalid},
		{"empty uid on line 3", "uid,product\nA,P\n,P\n", "line 3: uid is empty", iotsec.ErrInvalid},
		{"bad state", "uid,product,state\nA,P,lost\n", `line 2: state "lost" is not one of`, iotsec.ErrInvalid},
		{"bad quote", "uid,product\n\"A,P\nB,P\n", "line 2: extraneous or missing \" in quoted-field (noticed at line 3", iotsec.ErrInvalid},
		{"json unknown field", `[{"uid":"A","product":"P","colour":"red"}]`, `device 1: json: unknown field "colour"`, iotsec.ErrInvalid},
		{"json wrong type", `[{"uid":"A","product":"P"},{"uid":7,"product":"P"}]`, "device 2: uid must be a string", iotsec.ErrInvalid},
		{"json truncated", `[{"uid":"A","product":"P"},{"uid":"B"`, "device 2", iotsec.ErrInvalid},
		{"json not an array", `{"things":[]}`, `one key, "devices"`, iotsec.ErrInvalid},
		{"json empty", `[]`, "holds no devices", iotsec.ErrInvalid},
		{"control characters", "uid,product\n\"A\x00\",P\n", "line 2: uid contains control characters", iotsec.ErrInvalid},
		{"field too long", "uid,product\n" + strings.Repeat("x", 201) + ",P\n", "line 2: uid is longer than 200", iotsec.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inventory.Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(iotsec.Message(err), tt.want) || iotsec.Kind(err) != tt.kind {
				t.Errorf("Parse(%q) error = %v (kind %v), want kind %v containing %q", tt.in, err, iotsec.Kind(err), tt.kind, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"uid,product\nA,B\n", `[{"uid":"A","product":"B"}]`, `{"devices":[{"uid":"A","product":"B","firmware":"1"}]}`,
		"\ufeffserial,model,state\n1,2,operational\n", "uid,product\n\"a\"\"b\",c\n", `[{"uid":"A","product":"B"},`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := inventory.Parse(strings.NewReader(string(in)))
		if err != nil {
			if iotsec.Kind(err) == nil {
				t.Fatalf("Parse error without a domain kind: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.UID == "" || r.Product == "" || r.At == "" {
				t.Fatalf("Parse accepted a row without uid, product or position: %+v", r)
			}
		}
	})
}

// fixture opens a store with one organisation, two products and firmware.
func fixture(t *testing.T) (*sqlstore.Store, iotsec.Actor, iotsec.Product, iotsec.FirmwareVersion) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := iotsec.Organisation{Name: "Maker", Country: "DE"}
	if err := s.CreateOrg(ctx, "t", &o, ""); err != nil {
		t.Fatal(err)
	}
	a := iotsec.System(o.ID, "test")
	p := iotsec.Product{Name: "Cam", Model: "CAM-1"}
	if err := s.CreateProduct(ctx, a, &p); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProduct(ctx, a, &iotsec.Product{Name: "Hub", Model: "HUB-1"}); err != nil {
		t.Fatal(err)
	}
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.0"}
	if err := s.CreateFirmware(ctx, a, &fw); err != nil {
		t.Fatal(err)
	}
	return s, a, p, fw
}

func TestResolveErrors(t *testing.T) {
	s, a, p, _ := fixture(t)
	for _, tt := range []struct{ in, want string }{
		{"uid,product\nA,CAM-9\n", `line 2: no product with ID or model number "CAM-9"`},
		{"uid,product,firmware\nA,CAM-1,1.0\nB,HUB-1,1.0\n", `line 3: product "HUB-1" has no firmware version "1.0"`},
		{`[{"uid":"A","product":"` + p.ID + `","firmware":"2.0"}]`, `device 1: product "` + p.ID + `" has no firmware version "2.0"`},
	} {
		rows, err := inventory.Parse(strings.NewReader(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		_, err = inventory.Resolve(context.Background(), s, a, rows, nil)
		if err == nil || !strings.Contains(iotsec.Message(err), tt.want) {
			t.Errorf("Resolve(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestImport(t *testing.T) {
	s, a, p, fw := fixture(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("uid,product,firmware\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "SN%05d,CAM-1,1.0\n", i)
	}
	job := iotsec.Job{Kind: inventory.Kind}
	if err := s.CreateJob(ctx, a, &job, nil); err != nil {
		t.Fatal(err)
	}
	var calls [][2]int64
	res, err := inventory.Import(ctx, s, a, strings.NewReader(b.String()), inventory.JobRef{ID: job.ID}, 0, 1000, func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inventory.Result{Rows: 2500, Created: 2500}, res); diff != "" {
		t.Errorf("Import result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][2]int64{{1000, 2500}, {2000, 2500}, {2500, 2500}}, calls); diff != "" {
		t.Errorf("progress calls (-want +got):\n%s", diff)
	}
	j, _ := s.GetJob(ctx, a, job.ID)
	if j.Done != 2500 || j.Total != 2500 {
		t.Errorf("job checkpoint %d/%d, want 2500/2500", j.Done, j.Total)
	}
	devs, _ := s.ListDevices(ctx, a, iotsec.DeviceFilter{UID: "SN02499"})
	if len(devs) != 1 || devs[0].ProductID != p.ID || devs[0].FirmwareID != fw.ID || devs[0].State != iotsec.StateOperational {
		t.Errorf("imported device = %+v", devs)
	}
	// Resuming after 2000 rows writes only the last 500.
	res, err = inventory.Import(ctx, s, a, strings.NewReader(b.String()), inventory.JobRef{ID: job.ID}, 2000, 1000, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inventory.Result{Rows: 2500, Updated: 500, Skipped: 2000}, res); diff != "" {
		t.Errorf("resumed Import (-want +got):\n%s", diff)
	}
	// A file with one bad row at the end writes nothing.
	bad := "uid,product\nNEW-1,CAM-1\nNEW-2,NOPE\n"
	if _, err := inventory.Import(ctx, s, a, strings.NewReader(bad), inventory.JobRef{}, 0, 1, nil, nil); err == nil {
		t.Fatal("Import of a file with a bad row succeeded")
	}
	if devs, _ := s.ListDevices(ctx, a, iotsec.DeviceFilter{UID: "NEW-1"}); len(devs) != 0 {
		t.Errorf("a rejected file wrote device NEW-1")
	}
}
