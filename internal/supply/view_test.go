package supply_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
	"github.com/iotsec/iotsec/internal/supply"
)

// The views the API and the UI both show are tested here once, on both
// databases; the doors' tests (internal/app, internal/server) check that
// each shows what the method answers.

// kevCatalogue names CVE-2023-28450 (dnsmasq) as known exploited.
const kevCatalogue = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.20","dateReleased":"2026-11-20T10:00:00.000Z","count":1,
 "vulnerabilities":[{"cveID":"CVE-2023-28450","vendorProject":"Thekelleys","product":"dnsmasq","vulnerabilityName":"dnsmasq EDNS0 UDP packet size","dateAdded":"2026-11-20","shortDescription":"x","requiredAction":"Apply updates per vendor instructions.","dueDate":"2026-12-11","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":[]}]}`

// viewFixture is an organisation A with a router product whose versions
// 1.2 (support ended, two devices) and 1.3 (supported, one device) carry
// fwSBOM, an organisation B with the same SBOM on its own version, the
// labelled NVD data, EPSS, and a KEV catalogue naming CVE-2023-28450.
type viewFixture struct {
	ctx          context.Context
	st           *sqlstore.Store
	svc          *supply.Service
	clock        *apptest.Clock
	a, b, viewer iotsec.Actor
	product      iotsec.Product
	fw12, fw13   iotsec.FirmwareVersion
	fwB          iotsec.FirmwareVersion
	devices12    []iotsec.Device
}

func newViewFixture(t *testing.T, st *sqlstore.Store, clock *apptest.Clock) *viewFixture {
	t.Helper()
	ctx := context.Background()
	svc := supply.New(st, nil)
	svc.KEK = bytes.Repeat([]byte{42}, 32)
	svc.Now = clock.Now
	f := &viewFixture{ctx: ctx, st: st, svc: svc, clock: clock}
	oa, ob := iotsec.Organisation{Name: "Acme", Country: "NL"}, iotsec.Organisation{Name: "Beta", Country: "DE"}
	must(t, st.CreateOrg(ctx, "t", &oa, ""))
	must(t, st.CreateOrg(ctx, "t", &ob, ""))
	f.a, f.b = iotsec.System(oa.ID, "t"), iotsec.System(ob.ID, "t")
	f.viewer = iotsec.Actor{OrgID: oa.ID, Role: iotsec.RoleViewer, Label: "viewer"}
	f.product = iotsec.Product{Name: "Router R100", Model: "R100", SupportMonths: 24}
	must(t, st.CreateProduct(ctx, f.a, &f.product))
	f.fw12 = iotsec.FirmwareVersion{ProductID: f.product.ID, Version: "1.2", ReleasedOn: iotsec.NewDate(2024, 1, 1), SupportEnd: iotsec.NewDate(2026, 1, 1)}
	f.fw13 = iotsec.FirmwareVersion{ProductID: f.product.ID, Version: "1.3", SupportEnd: iotsec.NewDate(2026, 11, 30)}
	must(t, st.CreateFirmware(ctx, f.a, &f.fw12))
	must(t, st.CreateFirmware(ctx, f.a, &f.fw13))
	for _, uid := range []string{"r-1", "r-2"} {
		d := iotsec.Device{UID: uid, ProductID: f.product.ID, FirmwareID: f.fw12.ID}
		must(t, st.CreateDevice(ctx, f.a, &d))
		f.devices12 = append(f.devices12, d)
	}
	must(t, st.CreateDevice(ctx, f.a, &iotsec.Device{UID: "r-3", ProductID: f.product.ID, FirmwareID: f.fw13.ID}))
	pb := iotsec.Product{Name: "Beta box", Model: "BB1"}
	must(t, st.CreateProduct(ctx, f.b, &pb))
	f.fwB = iotsec.FirmwareVersion{ProductID: pb.ID, Version: "9.0"}
	must(t, st.CreateFirmware(ctx, f.b, &f.fwB))
	must(t, st.CreateDevice(ctx, f.b, &iotsec.Device{UID: "b-1", ProductID: pb.ID, FirmwareID: f.fwB.ID}))

	kev := filepath.Join(t.TempDir(), "kev.json")
	must(t, os.WriteFile(kev, []byte(kevCatalogue), 0o600))
	for _, path := range []string{nvdDir, overridesDir, epssFile, kev} {
		if _, err := svc.Import(ctx, "t", path, ""); err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
	}
	for _, x := range []struct {
		a  iotsec.Actor
		fw string
	}{{f.a, f.fw12.ID}, {f.a, f.fw13.ID}, {f.b, f.fwB.ID}} {
		if _, _, err := svc.ImportSBOM(ctx, x.a, x.fw, "fw.cdx.json", []byte(fwSBOM)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// eachStore runs fn on a fresh fixture in each database.
func eachStore(t *testing.T, fn func(t *testing.T, f *viewFixture)) {
	clock := apptest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	for name, st := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			clock.Set(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
			fn(t, newViewFixture(t, st, clock))
		})
	}
}

func wantErr(t *testing.T, what string, err, kind error, field string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: %v, want %v", what, err, kind)
		return
	}
	var e *iotsec.Error
	if field != "" && (!errors.As(err, &e) || e.Field != field) {
		t.Errorf("%s: %v, want it about %q", what, err, field)
	}
}

// Per firmware version the SBOM matches 38 vulnerabilities: dnsmasq 9
// (CVE-2023-28450 known exploited), BusyBox 6 (one critical), OpenSSL 23
// (none scored); high are CVE-2023-28450, CVE-2022-0934, CVE-2022-28391
// and CVE-2018-1000500, medium CVE-2021-42374.
const perVersion = 38

func TestOverview(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		ov, err := f.svc.Overview(f.ctx, f.a)
		must(t, err)
		if diff := cmp.Diff([]supply.SeverityCount{{"critical", 2, 1}, {"high", 8, 4}, {"medium", 2, 1}, {"low", 0, 0}, {"unknown", 64, 32}}, ov.Severities); diff != "" {
			t.Errorf("severities (-want +got):\n%s", diff)
		}
		if ov.Matches != 2*perVersion || ov.Truncated {
			t.Errorf("matches %d (truncated %v), want %d", ov.Matches, ov.Truncated, 2*perVersion)
		}
		var kev []string
		for _, k := range ov.KEV {
			kev = append(kev, k.Product.Name+" "+k.Firmware.Version+" "+strings.Join(k.Vulns, ","))
		}
		slices.Sort(kev)
		if diff := cmp.Diff([]string{"Router R100 1.2 CVE-2023-28450", "Router R100 1.3 CVE-2023-28450"}, kev); diff != "" {
			t.Errorf("known exploited (-want +got):\n%s", diff)
		}
		if ov.FreshTotal != 2*perVersion || len(ov.Fresh) != supply.FreshShown || ov.Fresh[0].Product.Name != "Router R100" {
			t.Errorf("fresh: %d of %d, first %+v; want %d of %d with the product", len(ov.Fresh), ov.FreshTotal, ov.Fresh[0], supply.FreshShown, 2*perVersion)
		}
		if len(ov.CRA) != 1 || ov.CRA[0].VulnID != "CVE-2023-28450" || ov.CRA[0].Product.Name != "Router R100" || ov.CRA[0].Firmware.ID == "" ||
			ov.CRA[0].Next() == nil || ov.CRA[0].Next().Report != supply.StageEarly || ov.CRA[0].Overdue() {
			t.Errorf("open CRA reports = %+v", ov.CRA)
		}
		if len(ov.Sources) == 0 || len(ov.Imports) == 0 || ov.Unread == 0 {
			t.Errorf("sources %d, imports %d, unread %d; want some of each", len(ov.Sources), len(ov.Imports), ov.Unread)
		}

		// A week and a day on nothing is fresh, the early warning is
		// overdue, and read notifications are not counted.
		f.clock.Add(8 * 24 * time.Hour)
		must(t, f.st.MarkRead(f.ctx, f.a, nil))
		ov, err = f.svc.Overview(f.ctx, f.a)
		must(t, err)
		if ov.FreshTotal != 0 || len(ov.Fresh) != 0 || ov.Unread != 0 || len(ov.CRA) != 1 || !ov.CRA[0].Overdue() {
			t.Errorf("a week on: fresh %d, unread %d, CRA %+v; want none fresh, none unread, the report overdue", ov.FreshTotal, ov.Unread, ov.CRA)
		}

		// B sees its own version only.
		ov, err = f.svc.Overview(f.ctx, f.b)
		must(t, err)
		if ov.Matches != perVersion || len(ov.KEV) != 1 || ov.KEV[0].Product.Name != "Beta box" || len(ov.CRA) != 1 || ov.CRA[0].Product.Name != "Beta box" {
			t.Errorf("B's overview: %d matches, KEV %+v, CRA %+v", ov.Matches, ov.KEV, ov.CRA)
		}
	})
}

func TestVulnerabilities(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		tests := []struct {
			name   string
			actor  iotsec.Actor
			filter supply.VulnFilter
			ids    int               // groups
			want   *supply.VulnGroup // the first group, when set
			err    error
		}{
			{"all", f.a, supply.VulnFilter{}, perVersion, nil, nil},
			{"known exploited", f.viewer, supply.VulnFilter{KEV: true}, 1, &supply.VulnGroup{ID: "CVE-2023-28450", Severity: "high", Score: 7.5, KEV: true,
				Matches: 2, Products: 1, Firmware: 2, Components: []string{"dnsmasq 2.84"}, Fixed: []string{"2.90"}}, nil},
			{"critical", f.a, supply.VulnFilter{Severity: "critical"}, 1, &supply.VulnGroup{ID: "CVE-2022-48174", Severity: "critical", Score: 9.8,
				Matches: 2, Products: 1, Firmware: 2, Components: []string{"busybox 1.29.3"}}, nil},
			{"high", f.a, supply.VulnFilter{Severity: "high"}, 4, nil, nil},
			{"low", f.a, supply.VulnFilter{Severity: "low"}, 0, nil, nil},
			{"B", f.b, supply.VulnFilter{KEV: true}, 1, &supply.VulnGroup{ID: "CVE-2023-28450", Severity: "high", Score: 7.5, KEV: true,
				Matches: 1, Products: 1, Firmware: 1, Components: []string{"dnsmasq 2.84"}, Fixed: []string{"2.90"}}, nil},
			{"unknown severity", f.a, supply.VulnFilter{Severity: "dire"}, 0, nil, iotsec.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.svc.Vulnerabilities(f.ctx, tt.actor, tt.filter)
				if tt.err != nil {
					wantErr(t, tt.name, err, tt.err, "severity")
					return
				}
				must(t, err)
				if len(got.Groups) != tt.ids || got.Truncated {
					t.Fatalf("%d groups (truncated %v), want %d", len(got.Groups), got.Truncated, tt.ids)
				}
				if tt.want != nil {
					g := got.Groups[0]
					g.EPSS = 0 // the example EPSS file scores none of them
					if diff := cmp.Diff(*tt.want, g); diff != "" {
						t.Errorf("group (-want +got):\n%s", diff)
					}
				}
				for _, g := range got.Groups {
					if tt.filter.Severity != "" && g.Severity != tt.filter.Severity {
						t.Errorf("%s is %s, asked for %s", g.ID, g.Severity, tt.filter.Severity)
					}
				}
			})
		}
	})
}

func TestVulnerability(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		v, err := f.svc.Vulnerability(f.ctx, f.a, " CVE-2023-28450 ")
		must(t, err)
		if v.ID != "CVE-2023-28450" || v.Severity != "high" || v.CVSS == nil || v.CVSS.Score != 7.5 || v.KEV == nil || v.KEV.VendorProject != "Thekelleys" ||
			len(v.Advisories) == 0 || v.Advisories[0].Source != "nvd" || v.Summary == "" || len(v.Scores) == 0 {
			t.Errorf("the data: %+v", v)
		}
		type version struct {
			Version, Fixed   string
			Devices, Matches int
			Suppressed, KEV  bool
			Reason, VulnID   string
		}
		versions := func(v supply.VulnerabilityView) []version {
			var out []version
			for _, av := range v.Affected {
				x := version{Version: av.Version, Fixed: av.FixedVersion, Devices: av.Devices, Matches: len(av.Matches), Suppressed: av.Suppressed}
				if len(av.Matches) > 0 {
					x.KEV, x.Reason, x.VulnID = av.Matches[0].KEV, av.Matches[0].Reason, av.Matches[0].VulnID
				}
				out = append(out, x)
			}
			return out
		}
		reason := "versions < 2.90 matched 2.84"
		for _, av := range v.Affected {
			for i := range av.Matches {
				if strings.Contains(av.Matches[i].Reason, reason) {
					av.Matches[i].Reason = reason
				}
			}
		}
		if diff := cmp.Diff([]version{{"1.2", "2.90", 2, 1, false, true, reason, "CVE-2023-28450"}, {"1.3", "2.90", 1, 1, false, true, reason, "CVE-2023-28450"}},
			versions(v)); diff != "" {
			t.Errorf("affected versions (-want +got):\n%s", diff)
		}
		if v.Devices != 3 || v.Open != 2 || v.Total != 2 || len(v.Products) != 1 || v.Products[0].Product.ID != f.product.ID || len(v.Products[0].Firmware) != 2 {
			t.Errorf("devices %d, open %d of %d, products %+v; want 3, 2 of 2, one product with both versions", v.Devices, v.Open, v.Total, v.Products)
		}

		// Not affected in 1.2: its devices no longer count.
		_, _, err = f.svc.AddVEX(f.ctx, f.a, iotsec.VEXStatement{FirmwareID: f.fw12.ID, VulnID: "CVE-2023-28450", Component: "dnsmasq",
			Status: iotsec.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"})
		must(t, err)
		v, err = f.svc.Vulnerability(f.ctx, f.a, "CVE-2023-28450")
		must(t, err)
		if len(v.Affected) != 2 || !v.Affected[0].Suppressed || v.Affected[0].FixedVersion != "" || v.Affected[1].Suppressed || v.Devices != 1 || v.Open != 1 || v.Total != 2 ||
			v.Affected[0].Matches[0].VEX == nil || v.Affected[0].Matches[0].VEX.Status != "not_affected" {
			t.Errorf("after VEX on 1.2: %+v", v)
		}

		// B sees the data and its own version only.
		v, err = f.svc.Vulnerability(f.ctx, f.b, "CVE-2023-28450")
		must(t, err)
		if len(v.Affected) != 1 || v.Affected[0].FirmwareID != f.fwB.ID || v.Affected[0].Product != "Beta box" || v.Devices != 1 || v.KEV == nil {
			t.Errorf("B's view: %+v", v)
		}

		// In the data but nowhere here; nowhere at all; no ID.
		v, err = f.svc.Vulnerability(f.ctx, f.a, "CVE-2019-14834")
		if err != nil || len(v.Advisories) == 0 || len(v.Affected) != 0 || v.Devices != 0 {
			t.Errorf("CVE-2019-14834: %+v, %v; want its data and nothing affected", v, err)
		}
		_, err = f.svc.Vulnerability(f.ctx, f.a, "CVE-1999-0001") // an EPSS score only
		wantErr(t, "CVE-1999-0001", err, iotsec.ErrNotFound, "")
		_, err = f.svc.Vulnerability(f.ctx, f.a, " ")
		wantErr(t, "an empty ID", err, iotsec.ErrInvalid, "id")
	})
}

func TestExposure(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		all := []supply.Exposure{
			{Component: "dnsmasq", Version: "2.84", FirmwareVersions: 2, Products: 1, Vulnerabilities: 9, KEV: 1, WorstSeverity: "high", MaxScore: 7.5},
			{Component: "busybox", Version: "1.29.3", FirmwareVersions: 2, Products: 1, Vulnerabilities: 6, WorstSeverity: "critical", MaxScore: 9.8},
			{Component: "openssl", Version: "1.1.1i", FirmwareVersions: 2, Products: 1, Vulnerabilities: 23, WorstSeverity: "unknown"},
		}
		onB := slices.Clone(all)
		for i := range onB {
			onB[i].FirmwareVersions = 1
		}
		tests := []struct {
			name      string
			actor     iotsec.Actor
			component string
			want      []supply.Exposure
		}{
			{"every component, known exploited first", f.a, "", all},
			{"one component", f.viewer, "busybox", all[1:2]},
			{"a component not there", f.a, "zlib", []supply.Exposure{}},
			{"B counts its own", f.b, "", onB},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.svc.Exposure(f.ctx, tt.actor, tt.component)
				must(t, err)
				if diff := cmp.Diff(supply.ExposureList{Items: tt.want}, got); diff != "" {
					t.Errorf("exposure (-want +got):\n%s", diff)
				}
			})
		}
		// A VEX statement closes the exploited one in 1.2 only: 1.3 still
		// counts it, and every other dnsmasq one keeps 1.2 in the count.
		_, _, err := f.svc.AddVEX(f.ctx, f.a, iotsec.VEXStatement{FirmwareID: f.fw12.ID, VulnID: "CVE-2023-28450", Status: iotsec.VEXFixed})
		must(t, err)
		got, err := f.svc.Exposure(f.ctx, f.a, "dnsmasq")
		must(t, err)
		if len(got.Items) != 1 || got.Items[0].KEV != 1 || got.Items[0].Vulnerabilities != 9 || got.Items[0].FirmwareVersions != 2 {
			t.Errorf("dnsmasq after a fixed statement in 1.2 = %+v", got)
		}
	})
}

func TestUpdateCRA(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		reps, err := f.st.ListCRAReports(f.ctx, f.a)
		must(t, err)
		if len(reps) != 1 {
			t.Fatalf("CRA reports = %+v, want one", reps)
		}
		id := reps[0].ID
		now := f.clock.Now()
		at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
		tests := []struct {
			name   string
			actor  iotsec.Actor
			fix    *time.Time
			sent   []string
			fields map[string]string
			kind   error
			field  string
		}{
			{"the final report before a fix", f.a, nil, []string{supply.StageFinal}, nil, iotsec.ErrInvalid, "sent"},
			{"a fix time in the future", f.a, at(2 * time.Hour), nil, map[string]string{"general_nature": "x"}, iotsec.ErrInvalid, "fix_available_at"},
			{"an unknown stage", f.a, nil, []string{"postcard"}, nil, iotsec.ErrInvalid, "sent"},
			{"an unknown field", f.a, nil, nil, map[string]string{"colour": "red"}, iotsec.ErrInvalid, "fields"},
			{"a viewer", f.viewer, at(-time.Hour), nil, nil, iotsec.ErrForbidden, ""},
			{"another organisation", f.b, at(-time.Hour), nil, nil, iotsec.ErrNotFound, ""},
			{"a fix within the slack, texts trimmed", f.a, at(30 * time.Minute), []string{supply.StageEarly}, map[string]string{"general_nature": "  heap overflow \n"}, nil, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, err := f.st.GetCRAReport(f.ctx, f.a, id)
				must(t, err)
				v, err := f.svc.UpdateCRA(f.ctx, tt.actor, id, tt.fix, tt.sent, tt.fields)
				after, gerr := f.st.GetCRAReport(f.ctx, f.a, id)
				must(t, gerr)
				if tt.kind != nil {
					wantErr(t, tt.name, err, tt.kind, tt.field)
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("a refused update changed the report (-before +after):\n%s", diff)
					}
					return
				}
				must(t, err)
				if !after.FixAt.Equal(*tt.fix) || after.Fields["general_nature"] != "heap overflow" || after.Sent[supply.StageEarly].IsZero() {
					t.Errorf("stored %+v", after)
				}
				if v.Product.ID != f.product.ID || v.Firmware.ID != after.FirmwareID || v.Next() == nil || v.Next().Report != supply.StageNotice ||
					!v.Deadlines[2].Due.Equal(tt.fix.Add(14*24*time.Hour)) {
					t.Errorf("view %+v", v)
				}
			})
		}
	})
}

func TestCRAReports(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		vs, err := f.svc.CRAReports(f.ctx, f.viewer)
		must(t, err)
		if len(vs) != 1 || vs[0].Product.Name != "Router R100" || vs[0].Firmware.ProductID != f.product.ID || len(vs[0].Deadlines) != 3 {
			t.Fatalf("A's reports = %+v", vs)
		}
		v, err := f.svc.CRAReport(f.ctx, f.a, vs[0].ID)
		must(t, err)
		if diff := cmp.Diff(vs[0], v); diff != "" {
			t.Errorf("one report differs from the list's (-list +one):\n%s", diff)
		}
		_, err = f.svc.CRAReport(f.ctx, f.b, vs[0].ID)
		wantErr(t, "B reading A's report", err, iotsec.ErrNotFound, "")
		vs, err = f.svc.CRAReports(f.ctx, f.b)
		must(t, err)
		if len(vs) != 1 || vs[0].Product.Name != "Beta box" {
			t.Errorf("B's reports = %+v", vs)
		}
	})
}

func TestAddVEX(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		tests := []struct {
			name  string
			actor iotsec.Actor
			v     iotsec.VEXStatement
			kind  error
		}{
			{"a viewer", f.viewer, iotsec.VEXStatement{FirmwareID: f.fw13.ID, VulnID: "CVE-2022-0934", Status: iotsec.VEXFixed}, iotsec.ErrForbidden},
			{"another organisation's version", f.b, iotsec.VEXStatement{FirmwareID: f.fw13.ID, VulnID: "CVE-2022-0934", Status: iotsec.VEXFixed}, iotsec.ErrNotFound},
			{"not affected without a reason", f.a, iotsec.VEXStatement{FirmwareID: f.fw13.ID, VulnID: "CVE-2022-0934", Status: iotsec.VEXNotAffected}, iotsec.ErrInvalid},
			{"fixed", f.a, iotsec.VEXStatement{FirmwareID: f.fw13.ID, VulnID: "CVE-2022-0934", Component: "dnsmasq", ComponentVersion: "2.84", Status: iotsec.VEXFixed}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, res, err := f.svc.AddVEX(f.ctx, tt.actor, tt.v)
				own, lerr := f.st.ListVEX(f.ctx, f.a, f.fw13.ID)
				must(t, lerr)
				ms, lerr := f.st.ListMatches(f.ctx, f.a, iotsec.MatchFilter{FirmwareID: f.fw13.ID, VulnID: "CVE-2022-0934", Suppressed: true})
				must(t, lerr)
				if tt.kind != nil {
					wantErr(t, tt.name, err, tt.kind, "")
					if len(own) != 0 || len(ms) != 1 || ms[0].Suppressed {
						t.Errorf("a refused statement left %d statements, match %+v", len(own), ms)
					}
					return
				}
				must(t, err)
				// Stored and applied in the one call.
				if st.ID == "" || len(own) != 1 || own[0].ID != st.ID || res.Matches != perVersion || len(ms) != 1 || !ms[0].Suppressed || ms[0].VEXStatus != iotsec.VEXFixed {
					t.Errorf("statement %+v, result %+v, match %+v", st, res, ms)
				}
			})
		}
	})
}

func TestDeleteSBOM(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		_, err := f.svc.DeleteSBOM(f.ctx, f.viewer, f.fw12.ID)
		wantErr(t, "a viewer", err, iotsec.ErrForbidden, "")
		res, err := f.svc.DeleteSBOM(f.ctx, f.a, f.fw12.ID)
		must(t, err)
		ms, err := f.st.ListMatches(f.ctx, f.a, iotsec.MatchFilter{FirmwareID: f.fw12.ID, Suppressed: true})
		must(t, err)
		if res.Source != "scan" || res.Matches != 0 || len(ms) != 0 {
			t.Errorf("after deleting the SBOM: %+v, %d matches stored; want the (empty) scan matched", res, len(ms))
		}
		_, err = f.svc.DeleteSBOM(f.ctx, f.a, f.fw12.ID)
		wantErr(t, "deleting it again", err, iotsec.ErrNotFound, "")
	})
}

func TestMatches(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		tests := []struct {
			name   string
			actor  iotsec.Actor
			filter iotsec.MatchFilter
			n      int
			kind   error
		}{
			{"one version", f.viewer, iotsec.MatchFilter{FirmwareID: f.fw12.ID}, perVersion, nil},
			{"the product", f.a, iotsec.MatchFilter{ProductID: f.product.ID}, 2 * perVersion, nil},
			{"known exploited", f.a, iotsec.MatchFilter{KEV: true}, 2, nil},
			{"another organisation's version", f.b, iotsec.MatchFilter{FirmwareID: f.fw12.ID}, 0, iotsec.ErrNotFound},
			{"another organisation's product", f.b, iotsec.MatchFilter{ProductID: f.product.ID}, 0, iotsec.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ms, err := f.svc.Matches(f.ctx, tt.actor, tt.filter)
				if tt.kind != nil {
					wantErr(t, tt.name, err, tt.kind, "")
					return
				}
				must(t, err)
				if len(ms) != tt.n {
					t.Fatalf("%d matches, want %d", len(ms), tt.n)
				}
				for _, m := range ms {
					if m.Vulnerability.ID == "" || m.ProductID != f.product.ID || m.Version == "" || m.FirstSeen.IsZero() || m.Severity == "" {
						t.Errorf("match without its engine record or place: %+v", m)
					}
				}
			})
		}
	})
}

func TestRematchNeedsWrite(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		_, err := f.svc.Rematch(f.ctx, f.viewer, f.fw12.ID)
		wantErr(t, "a viewer matching again", err, iotsec.ErrForbidden, "")
	})
}

func TestSupportPeriods(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		type row struct {
			Version    string
			Supported  bool
			DaysLeft   int
			Devices    int
			Shown      []string
			NotStated  bool
			SupportMon int
		}
		rows := func(s supply.Support) []row {
			var out []row
			for _, r := range s.Items {
				x := row{Version: r.Version, Supported: r.Supported, Devices: r.Devices, NotStated: r.NotStated(), SupportMon: r.SupportMonths}
				if r.DaysLeft != nil {
					x.DaysLeft = *r.DaysLeft
				}
				for _, d := range r.Shown {
					x.Shown = append(x.Shown, d.FirmwareID)
				}
				out = append(out, x)
			}
			return out
		}
		fw14 := iotsec.FirmwareVersion{ProductID: f.product.ID, Version: "1.4"}
		must(t, f.st.CreateFirmware(f.ctx, f.a, &fw14))
		tests := []struct {
			name  string
			actor iotsec.Actor
			show  int
			want  []row
		}{
			// Ended first, then by product and support end (none first).
			{"the API's", f.a, 0, []row{{"1.2", false, -323, 2, nil, false, 24}, {"1.4", true, 0, 0, nil, true, 24}, {"1.3", true, 10, 1, nil, false, 24}}},
			{"the page's, with a device", f.viewer, 1, []row{{"1.2", false, -323, 2, []string{f.fw12.ID}, false, 24}, {"1.4", true, 0, 0, nil, true, 24},
				{"1.3", true, 10, 1, nil, false, 24}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, err := f.svc.SupportPeriods(f.ctx, tt.actor, tt.show)
				must(t, err)
				if diff := cmp.Diff(tt.want, rows(s)); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
				if s.Today != iotsec.NewDate(2026, 11, 20) || s.UnsupportedVersions != 1 || s.DevicesUnsupported != 2 || !s.DeviceCountsComplete {
					t.Errorf("today %v, %d ended with %d devices, complete %v; want 2026-11-20, 1 with 2, true", s.Today, s.UnsupportedVersions, s.DevicesUnsupported, s.DeviceCountsComplete)
				}
			})
		}
		s, err := f.svc.SupportPeriods(f.ctx, f.b, 10)
		must(t, err)
		if len(s.Items) != 1 || s.Items[0].FirmwareID != f.fwB.ID || s.UnsupportedVersions != 0 {
			t.Errorf("B's support periods = %+v", s)
		}
	})
}

func TestSaveNotifySettings(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		ptr := func(s string) *string { return &s }
		long := strings.Repeat("k", supply.MaxWebhookSecret)
		tests := []struct {
			name   string
			actor  iotsec.Actor
			url    string
			secret *string
			want   iotsec.NotifySettings // stored after
			kind   error
			field  string
		}{
			{"a webhook with a secret", f.a, "https://hooks.example/a", ptr("s3cret"), iotsec.NotifySettings{WebhookURL: "https://hooks.example/a", WebhookSecret: "s3cret"}, nil, ""},
			{"no secret keeps it", f.a, "https://hooks.example/b", nil, iotsec.NotifySettings{WebhookURL: "https://hooks.example/b", WebhookSecret: "s3cret"}, nil, ""},
			{"the longest secret", f.a, "https://hooks.example/b", ptr(long), iotsec.NotifySettings{WebhookURL: "https://hooks.example/b", WebhookSecret: long}, nil, ""},
			{"a secret too long", f.a, "https://hooks.example/c", ptr(long + "k"), iotsec.NotifySettings{WebhookURL: "https://hooks.example/b", WebhookSecret: long}, iotsec.ErrInvalid, "webhook_secret"},
			{"not a web address", f.a, "ftp://hooks.example", nil, iotsec.NotifySettings{WebhookURL: "https://hooks.example/b", WebhookSecret: long}, iotsec.ErrInvalid, "webhook_url"},
			{"a viewer", f.viewer, "https://evil.example", ptr(""), iotsec.NotifySettings{WebhookURL: "https://hooks.example/b", WebhookSecret: long}, iotsec.ErrForbidden, ""},
			{"an empty secret removes it", f.a, "", ptr(""), iotsec.NotifySettings{}, nil, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Secrets are stored sealed: compare what they open to.
				open := func(n iotsec.NotifySettings) iotsec.NotifySettings {
					t.Helper()
					if n.WebhookSecret != "" && strings.Contains(n.WebhookSecret, "s3cret") {
						t.Errorf("the secret is stored in the clear: %q", n.WebhookSecret)
					}
					var err error
					n.WebhookSecret, err = f.svc.OpenSecret(f.a.OrgID, n.WebhookSecret)
					must(t, err)
					return n
				}
				got, err := f.svc.SaveNotifySettings(f.ctx, tt.actor, tt.url, "", tt.secret)
				if tt.kind != nil {
					wantErr(t, tt.name, err, tt.kind, tt.field)
				} else {
					must(t, err)
					if diff := cmp.Diff(tt.want, open(got)); diff != "" {
						t.Errorf("answer (-want +got):\n%s", diff)
					}
				}
				stored, err := f.st.NotifySettings(f.ctx, f.a)
				must(t, err)
				if diff := cmp.Diff(tt.want, open(stored)); diff != "" {
					t.Errorf("stored (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestFirmware(t *testing.T) {
	eachStore(t, func(t *testing.T, f *viewFixture) {
		v, err := f.svc.Firmware(f.ctx, f.viewer, f.fw12.ID)
		must(t, err)
		if v.Firmware.ID != f.fw12.ID || v.Product.ID != f.product.ID || v.Source != "sbom" || v.SBOM == nil || v.SBOM.Name != "fw.cdx.json" ||
			len(v.Components) != 3 || len(v.Matches) != perVersion || v.Open != perVersion || len(v.VulnIDs) != perVersion || v.Devices != 2 || len(v.VEX) != 0 {
			t.Errorf("1.2: source %s, SBOM %+v, %d components, %d matches (%d open), %d IDs, %d devices, %d VEX", v.Source, v.SBOM, len(v.Components),
				len(v.Matches), v.Open, len(v.VulnIDs), v.Devices, len(v.VEX))
		}
		if diff := cmp.Diff([]string{"busybox@1.29.3", "dnsmasq@2.84", "openssl@1.1.1i"}, v.Options); diff != "" {
			t.Errorf("VEX options (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[[2]string]int{{"busybox", "1.29.3"}: 6, {"dnsmasq", "2.84"}: 9, {"openssl", "1.1.1i"}: 23}, v.PerComponent); diff != "" {
			t.Errorf("open per component (-want +got):\n%s", diff)
		}

		// Two statements: newest first, and the suppressed match no
		// longer counts as open.
		for _, id := range []string{"CVE-2022-0934", "CVE-2023-50868"} {
			f.clock.Add(time.Minute)
			_, _, err := f.svc.AddVEX(f.ctx, f.a, iotsec.VEXStatement{FirmwareID: f.fw12.ID, VulnID: id, Component: "dnsmasq", Status: iotsec.VEXFixed})
			must(t, err)
		}
		v, err = f.svc.Firmware(f.ctx, f.a, f.fw12.ID)
		must(t, err)
		if len(v.VEX) != 2 || v.VEX[0].VulnID != "CVE-2023-50868" || v.Open != perVersion-2 || v.PerComponent[[2]string{"dnsmasq", "2.84"}] != 7 || len(v.Matches) != perVersion {
			t.Errorf("after two statements: VEX %+v, %d open of %d, dnsmasq %d", v.VEX, v.Open, len(v.Matches), v.PerComponent[[2]string{"dnsmasq", "2.84"}])
		}

		// A version with neither SBOM nor scan; another organisation's.
		fw14 := iotsec.FirmwareVersion{ProductID: f.product.ID, Version: "1.4"}
		must(t, f.st.CreateFirmware(f.ctx, f.a, &fw14))
		v, err = f.svc.Firmware(f.ctx, f.a, fw14.ID)
		must(t, err)
		if v.Source != "scan" || v.SBOM != nil || len(v.Components) != 0 || len(v.Matches) != 0 || v.Devices != 0 {
			t.Errorf("1.4 = %+v, want nothing known", v)
		}
		_, err = f.svc.Firmware(f.ctx, f.b, f.fw12.ID)
		wantErr(t, "B reading A's version", err, iotsec.ErrNotFound, "")
	})
}
