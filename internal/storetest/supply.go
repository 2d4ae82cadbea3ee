package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// testVulnData: shared vulnerability data is written in one transaction
// per import, replaced by key, and found by key, ID and alias.
func testVulnData(t *testing.T, open Opener) {
	f := setup(t, open)
	rev0, err := f.s.VulnRevision(f.ctx)
	wantKind(t, "VulnRevision", err, nil)
	rec := func(src, id string, ids []string, keys ...iotsec.VulnKey) iotsec.VulnRecord {
		return iotsec.VulnRecord{Source: src, ID: id, IDs: ids, Modified: Start, Keys: keys, Data: []byte(src + "/" + id)}
	}
	dnsmasq := iotsec.VulnKey{Kind: "cpe", A: "a", B: "thekelleys", C: "dnsmasq"}
	busybox := iotsec.VulnKey{Kind: "cpe", A: "a", B: "busybox", C: "busybox"}
	deb := iotsec.VulnKey{Kind: "purl", A: "deb", B: "debian", C: "dnsmasq"}
	imp := iotsec.VulnImport{Kind: "nvd", File: "feed.json", SHA256: "abc", By: "test"}
	err = f.s.ImportVulns(f.ctx, &imp, func(w iotsec.VulnWriter) error {
		// A batch of more than one multi-row statement, with a duplicate
		// that the later copy wins.
		var rs []iotsec.VulnRecord
		for i := range 1200 {
			rs = append(rs, rec("nvd", fmt.Sprintf("CVE-2020-%05d", i), nil, busybox))
		}
		rs = append(rs, rec("nvd", "CVE-2023-28450", nil, dnsmasq), rec("nvd", "CVE-2023-28450", nil, dnsmasq, busybox))
		if err := w.PutAdvisories(f.ctx, rs); err != nil {
			return err
		}
		return w.PutAdvisories(f.ctx, []iotsec.VulnRecord{
			rec("nvd-overrides", "CVE-2023-28450", nil, dnsmasq),
			rec("osv", "DSA-5000-1", []string{"CVE-2023-28450"}, deb),
		})
	})
	wantKind(t, "ImportVulns", err, nil)
	if imp.ID == "" || imp.Records != 1203 {
		t.Errorf("import = %+v, want an ID and 1203 records", imp)
	}
	// A failed import leaves nothing behind.
	boom := errors.New("broken file")
	err = f.s.ImportVulns(f.ctx, &iotsec.VulnImport{Kind: "nvd", File: "bad.json"}, func(w iotsec.VulnWriter) error {
		if err := w.PutAdvisories(f.ctx, []iotsec.VulnRecord{rec("nvd", "CVE-2099-0001", nil, dnsmasq)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("failed import: %v", err)
	}
	wantKind(t, "ImportVulns of an unknown kind", f.s.ImportVulns(f.ctx, &iotsec.VulnImport{Kind: "rss"}, func(iotsec.VulnWriter) error { return nil }), iotsec.ErrInvalid)
	err = f.s.ImportVulns(f.ctx, &iotsec.VulnImport{Kind: "kev", File: "kev.json"}, func(w iotsec.VulnWriter) error {
		if err := w.PutKEV(f.ctx, []iotsec.KEVRecord{{CVE: "CVE-2023-28450", DateAdded: Start, Data: []byte("kev")}}); err != nil {
			return err
		}
		if err := w.PutEPSS(f.ctx, []iotsec.EPSSRecord{{CVE: "CVE-2023-28450", Score: 0.5, Percentile: 0.9, Date: Start}, {CVE: "CVE-2023-28450", Score: 0.7, Percentile: 0.95, Date: Start}}); err != nil {
			return err
		}
		st := iotsec.VendorStatement{IDs: []string{"CVE-2023-28450"}, Data: []byte("stmt")}
		return w.PutStatements(f.ctx, []iotsec.VendorStatement{st, st})
	})
	wantKind(t, "ImportVulns kev", err, nil)

	srcs, imps, err := f.s.VulnSources(f.ctx)
	wantKind(t, "VulnSources", err, nil)
	got := map[string]int{}
	for _, s := range srcs {
		got[s.Kind] = s.Records
	}
	if diff := cmp.Diff(map[string]int{"nvd": 1201, "nvd-overrides": 1, "osv": 1, "kev": 1, "epss": 1, "vex": 1}, got); diff != "" {
		t.Errorf("VulnSources (-want +got):\n%s", diff)
	}
	if len(imps) != 2 || imps[0].Kind != "kev" || imps[1].File != "feed.json" {
		t.Errorf("imports = %+v, want kev then feed.json (the failed one not recorded)", imps)
	}

	ids := func(d iotsec.VulnData) []string {
		var out []string
		for _, r := range d.Advisories {
			out = append(out, r.Source+" "+r.ID)
		}
		return out
	}
	d, err := f.s.VulnData(f.ctx, []iotsec.VulnKey{dnsmasq})
	wantKind(t, "VulnData", err, nil)
	// The override and the NVD record share the ID; the OSV record is
	// under another key.
	if diff := cmp.Diff([]string{"nvd CVE-2023-28450", "nvd-overrides CVE-2023-28450"}, ids(d)); diff != "" {
		t.Errorf("VulnData(dnsmasq) (-want +got):\n%s", diff)
	}
	if len(d.KEV) != 1 || len(d.EPSS) != 1 || d.EPSS[0].Score != 0.7 || len(d.Statements) != 1 || string(d.Advisories[0].Data) != "nvd/CVE-2023-28450" {
		t.Errorf("VulnData(dnsmasq) enrichment = %+v", d)
	}
	d, err = f.s.VulnData(f.ctx, []iotsec.VulnKey{busybox})
	wantKind(t, "VulnData(busybox)", err, nil)
	if len(d.Advisories) != 1202 { // 1200 + CVE-2023-28450 (its second copy has the busybox key) + its override
		t.Errorf("VulnData(busybox) = %d advisories, want 1202", len(d.Advisories))
	}
	d, err = f.s.VulnData(f.ctx, []iotsec.VulnKey{{Kind: "cpe", A: "a", B: "nobody", C: "nothing"}})
	if err != nil || len(d.Advisories) != 0 {
		t.Errorf("VulnData(unknown) = %v, %v", ids(d), err)
	}
	// By ID or alias: the Debian advisory names the CVE.
	d, err = f.s.Vulnerability(f.ctx, "CVE-2023-28450")
	wantKind(t, "Vulnerability", err, nil)
	if diff := cmp.Diff([]string{"nvd CVE-2023-28450", "nvd-overrides CVE-2023-28450", "osv DSA-5000-1"}, ids(d)); diff != "" {
		t.Errorf("Vulnerability (-want +got):\n%s", diff)
	}
	_, err = f.s.Vulnerability(f.ctx, "CVE-1999-0001")
	wantKind(t, "Vulnerability(unknown)", err, iotsec.ErrNotFound)

	// Every record, for an index of all the data, and a revision that
	// moved with the imports.
	n := 0
	all, err := f.s.EachVuln(f.ctx, func(iotsec.VulnRecord) error { n++; return nil })
	wantKind(t, "EachVuln", err, nil)
	if n != 1203 || len(all.KEV) != 1 || len(all.EPSS) != 1 || len(all.Statements) != 1 {
		t.Errorf("EachVuln: %d advisories, %d KEV, %d EPSS, %d statements; want 1203, 1, 1, 1", n, len(all.KEV), len(all.EPSS), len(all.Statements))
	}
	stop := errors.New("stop")
	if _, err := f.s.EachVuln(f.ctx, func(iotsec.VulnRecord) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachVuln did not pass on its callback's error: %v", err)
	}
	rev1, err := f.s.VulnRevision(f.ctx)
	wantKind(t, "VulnRevision after imports", err, nil)
	if rev1 == rev0 {
		t.Errorf("revision %q did not change with the imports", rev1)
	}
	if rev2, _ := f.s.VulnRevision(f.ctx); rev2 != rev1 {
		t.Errorf("revision changed without an import: %q, %q", rev1, rev2)
	}
}

// testSupply: SBOMs, matches, VEX, notifications and CRA reports are the
// organisation's own.
func testSupply(t *testing.T, open Opener) {
	f := setup(t, open)
	p := f.product(t, f.A, "R100")
	fw := f.firmware(t, f.A, p.ID, "1.2")
	fw2 := f.firmware(t, f.A, p.ID, "1.3")
	viewer := iotsec.Actor{OrgID: f.a.ID, UserID: f.ua.ID, Role: iotsec.RoleViewer, Label: "v"}

	// Devices per firmware version, counted by the store.
	f.device(t, f.A, "R-1", p.ID, fw.ID)
	f.device(t, f.A, "R-2", p.ID, fw.ID)
	f.device(t, f.A, "R-3", p.ID, fw2.ID)
	f.device(t, f.A, "R-4", p.ID, "")
	counts, err := f.s.DeviceCounts(f.ctx, viewer)
	wantKind(t, "DeviceCounts", err, nil)
	if diff := cmp.Diff(map[string]int{fw.ID: 2, fw2.ID: 1}, counts); diff != "" {
		t.Errorf("DeviceCounts (-want +got):\n%s", diff)
	}
	if counts, _ := f.s.DeviceCounts(f.ctx, f.B); len(counts) != 0 {
		t.Errorf("B counts A's devices: %v", counts)
	}

	// Support periods: promised months and the policy in words.
	p.SupportMonths, p.SupportPolicy = 60, " Security updates for five years after each release. "
	wantKind(t, "UpdateProduct with a support policy", f.s.UpdateProduct(f.ctx, f.A, &p), nil)
	if got, _ := f.s.GetProduct(f.ctx, viewer, p.ID); got.SupportMonths != 60 || got.SupportPolicy != "Security updates for five years after each release." {
		t.Errorf("support period = %d months, %q", got.SupportMonths, got.SupportPolicy)
	}
	bad := p
	bad.SupportMonths = 601
	wantKind(t, "UpdateProduct with 601 months", f.s.UpdateProduct(f.ctx, f.A, &bad), iotsec.ErrInvalid)
	// A version released without its own support end gets the product's
	// period; one with its own keeps it.
	rel := iotsec.NewDate(2026, 1, 15)
	v1 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "2.0", ReleasedOn: rel}
	v2 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "2.1", ReleasedOn: rel, SupportEnd: iotsec.NewDate(2027, 1, 1)}
	wantKind(t, "CreateFirmware 2.0", f.s.CreateFirmware(f.ctx, f.A, &v1), nil)
	wantKind(t, "CreateFirmware 2.1", f.s.CreateFirmware(f.ctx, f.A, &v2), nil)
	g1, _ := f.s.GetFirmware(f.ctx, f.A, v1.ID)
	g2, _ := f.s.GetFirmware(f.ctx, f.A, v2.ID)
	if !g1.SupportEnd.Equal(iotsec.NewDate(2031, 1, 14)) || !g2.SupportEnd.Equal(iotsec.NewDate(2027, 1, 1)) {
		t.Errorf("support ends = %v and %v, want 2031-01-14 (60 months from release) and 2027-01-01", g1.SupportEnd, g2.SupportEnd)
	}

	b := iotsec.SBOM{FirmwareID: fw.ID, Name: "fw.cdx.json", Format: "cyclonedx-json", Components: 2, Document: []byte("{}")}
	wantKind(t, "SaveSBOM as viewer", f.s.SaveSBOM(f.ctx, viewer, &b), iotsec.ErrForbidden)
	wantKind(t, "SaveSBOM for B's firmware", f.s.SaveSBOM(f.ctx, f.B, &b), iotsec.ErrNotFound)
	wantKind(t, "SaveSBOM", f.s.SaveSBOM(f.ctx, f.A, &b), nil)
	b.Components = 3
	wantKind(t, "SaveSBOM again", f.s.SaveSBOM(f.ctx, f.A, &b), nil)
	got, err := f.s.GetSBOM(f.ctx, viewer, fw.ID)
	wantKind(t, "GetSBOM", err, nil)
	if got.Components != 3 || string(got.Document) != "{}" || got.By == "" {
		t.Errorf("GetSBOM = %+v", got)
	}
	_, err = f.s.GetSBOM(f.ctx, f.B, fw.ID)
	wantKind(t, "GetSBOM as B", err, iotsec.ErrNotFound)
	ts, err := f.s.MatchTargets(f.ctx)
	wantKind(t, "MatchTargets", err, nil)
	if diff := cmp.Diff([]iotsec.MatchTarget{{OrgID: f.a.ID, FirmwareID: fw.ID}}, ts); diff != "" {
		t.Errorf("MatchTargets (-want +got):\n%s", diff)
	}

	m := func(vuln, comp string, kev bool) iotsec.VulnMatch {
		return iotsec.VulnMatch{VulnID: vuln, Component: comp, ComponentVersion: "1", Severity: "high", Score: 7.5, KEV: kev, Data: []byte("{}")}
	}
	fresh, err := f.s.ReplaceMatches(f.ctx, f.A, fw.ID, []iotsec.VulnMatch{m("CVE-1", "busybox", false), m("CVE-2", "dnsmasq", true), m("CVE-2", "dnsmasq", true)})
	wantKind(t, "ReplaceMatches", err, nil)
	if len(fresh) != 2 {
		t.Errorf("first ReplaceMatches: %d new, want 2 (the duplicate once)", len(fresh))
	}
	first := fresh[0].FirstSeen
	f.clock.Set(Start.Add(24 * time.Hour))
	gone := m("CVE-1", "busybox", false)
	gone.Suppressed, gone.VEXStatus = true, "not_affected"
	fresh, err = f.s.ReplaceMatches(f.ctx, f.A, fw.ID, []iotsec.VulnMatch{gone, m("CVE-3", "openssl", false)})
	wantKind(t, "ReplaceMatches again", err, nil)
	if len(fresh) != 1 || fresh[0].VulnID != "CVE-3" {
		t.Errorf("second ReplaceMatches new = %+v, want CVE-3 only", fresh)
	}
	openMs, err := f.s.ListMatches(f.ctx, viewer, iotsec.MatchFilter{FirmwareID: fw.ID})
	wantKind(t, "ListMatches", err, nil)
	all, err := f.s.ListMatches(f.ctx, viewer, iotsec.MatchFilter{ProductID: p.ID, Suppressed: true})
	wantKind(t, "ListMatches with suppressed", err, nil)
	if len(openMs) != 1 || len(all) != 2 || !all[1].FirstSeen.Equal(first) && !all[0].FirstSeen.Equal(first) {
		t.Errorf("open %+v, all %+v; want CVE-3 open, CVE-1 suppressed keeping its first-seen time %v", openMs, all, first)
	}
	if all[0].ProductID != p.ID || all[0].Version != "1.2" {
		t.Errorf("match lacks its product and version: %+v", all[0])
	}
	if ms, _ := f.s.ListMatches(f.ctx, f.B, iotsec.MatchFilter{Suppressed: true}); len(ms) != 0 {
		t.Errorf("B sees %d of A's matches", len(ms))
	}
	_, err = f.s.ReplaceMatches(f.ctx, f.B, fw.ID, nil)
	wantKind(t, "ReplaceMatches as B", err, iotsec.ErrNotFound)

	v := iotsec.VEXStatement{FirmwareID: fw.ID, VulnID: "CVE-1", Component: "busybox", Status: iotsec.VEXNotAffected, Justification: "component_not_present"}
	wantKind(t, "AddVEX as viewer", f.s.AddVEX(f.ctx, viewer, &v), iotsec.ErrForbidden)
	wantKind(t, "AddVEX on B's firmware", f.s.AddVEX(f.ctx, f.B, &v), iotsec.ErrNotFound)
	wantKind(t, "AddVEX without justification", f.s.AddVEX(f.ctx, f.A, &iotsec.VEXStatement{FirmwareID: fw.ID, VulnID: "CVE-1", Status: iotsec.VEXNotAffected}), iotsec.ErrInvalid)
	wantKind(t, "AddVEX", f.s.AddVEX(f.ctx, f.A, &v), nil)
	wantKind(t, "AddVEX on 1.3", f.s.AddVEX(f.ctx, f.A, &iotsec.VEXStatement{FirmwareID: fw2.ID, VulnID: "CVE-2", Status: iotsec.VEXFixed}), nil)
	vs, err := f.s.ListVEX(f.ctx, viewer, fw.ID)
	wantKind(t, "ListVEX", err, nil)
	every, err := f.s.ListVEX(f.ctx, viewer, "")
	wantKind(t, "ListVEX all", err, nil)
	if len(vs) != 1 || vs[0].Author == "" || vs[0].ID != v.ID || len(every) != 2 {
		t.Errorf("ListVEX = %+v, all %d", vs, len(every))
	}
	if vs, _ := f.s.ListVEX(f.ctx, f.B, ""); len(vs) != 0 {
		t.Errorf("B sees %d of A's VEX statements", len(vs))
	}

	wantKind(t, "AddNotifications", f.s.AddNotifications(f.ctx, f.A, []iotsec.Notification{{Kind: "newly-affected", Title: "one"}, {Kind: "cra-draft", Title: "two"}}, nil), nil)
	ns, err := f.s.ListNotifications(f.ctx, viewer, true, 0)
	wantKind(t, "ListNotifications", err, nil)
	if len(ns) != 2 || ns[0].Title != "two" {
		t.Fatalf("notifications = %+v, want newest first", ns)
	}
	// Marking the organisation's notifications read changes them for
	// everyone: a viewer may not.
	wantKind(t, "MarkRead as viewer", f.s.MarkRead(f.ctx, viewer, nil), iotsec.ErrForbidden)
	wantKind(t, "MarkRead one", f.s.MarkRead(f.ctx, f.A, []string{ns[0].ID}), nil)
	if ns, _ := f.s.ListNotifications(f.ctx, viewer, true, 0); len(ns) != 1 || ns[0].Title != "one" {
		t.Errorf("unread after marking one = %+v", ns)
	}
	wantKind(t, "MarkRead A's as B", f.s.MarkRead(f.ctx, f.B, nil), nil)
	if ns, _ := f.s.ListNotifications(f.ctx, viewer, true, 0); len(ns) != 1 {
		t.Errorf("B marked A's notifications read")
	}
	wantKind(t, "MarkRead all", f.s.MarkRead(f.ctx, f.A, nil), nil)
	if ns, _ := f.s.ListNotifications(f.ctx, viewer, true, 0); len(ns) != 0 {
		t.Errorf("unread after marking all = %+v", ns)
	}

	set := iotsec.NotifySettings{WebhookURL: "https://hooks.example/iotsec", WebhookSecret: "k", Email: "psirt@a.example"}
	wantKind(t, "SetNotifySettings as viewer", f.s.SetNotifySettings(f.ctx, viewer, set), iotsec.ErrForbidden)
	wantKind(t, "SetNotifySettings bad URL", f.s.SetNotifySettings(f.ctx, f.A, iotsec.NotifySettings{WebhookURL: "ftp://x"}), iotsec.ErrInvalid)
	wantKind(t, "SetNotifySettings bad e-mail", f.s.SetNotifySettings(f.ctx, f.A, iotsec.NotifySettings{Email: "a@b.example\r\nBcc: x@y"}), iotsec.ErrInvalid)
	wantKind(t, "SetNotifySettings", f.s.SetNotifySettings(f.ctx, f.A, set), nil)
	gotSet, err := f.s.NotifySettings(f.ctx, f.A)
	if err != nil || gotSet != set {
		t.Errorf("NotifySettings = %+v, %v", gotSet, err)
	}
	if s, _ := f.s.NotifySettings(f.ctx, f.B); s != (iotsec.NotifySettings{}) {
		t.Errorf("B's settings = %+v", s)
	}

	r := iotsec.CRAReport{FirmwareID: fw.ID, VulnID: "CVE-2", AwareAt: Start}
	created, err := f.s.CreateCRAReport(f.ctx, f.A, &r)
	if err != nil || !created || r.ProductID != p.ID {
		t.Fatalf("CreateCRAReport = %v, %v, %+v", created, err, r)
	}
	again := iotsec.CRAReport{FirmwareID: fw2.ID, VulnID: "CVE-2", AwareAt: Start}
	if created, err := f.s.CreateCRAReport(f.ctx, f.A, &again); err != nil || created {
		t.Errorf("a second report for the same product and vulnerability: created %v, %v", created, err)
	}
	_, err = f.s.CreateCRAReport(f.ctx, f.B, &iotsec.CRAReport{FirmwareID: fw.ID, VulnID: "CVE-9", AwareAt: Start})
	wantKind(t, "CreateCRAReport on A's firmware as B", err, iotsec.ErrNotFound)
	r.FixAt = Start.Add(48 * time.Hour)
	r.Sent = map[string]time.Time{"early warning": Start.Add(time.Hour)}
	r.Fields = map[string]string{"general_nature": "overflow"}
	wantKind(t, "UpdateCRAReport as viewer", f.s.UpdateCRAReport(f.ctx, viewer, &r), iotsec.ErrForbidden)
	wantKind(t, "UpdateCRAReport as B", f.s.UpdateCRAReport(f.ctx, f.B, &r), iotsec.ErrNotFound)
	wantKind(t, "UpdateCRAReport", f.s.UpdateCRAReport(f.ctx, f.A, &r), nil)
	gotR, err := f.s.GetCRAReport(f.ctx, viewer, r.ID)
	wantKind(t, "GetCRAReport", err, nil)
	if !gotR.FixAt.Equal(r.FixAt) || !gotR.Sent["early warning"].Equal(Start.Add(time.Hour)) || gotR.Fields["general_nature"] != "overflow" || !gotR.AwareAt.Equal(Start) {
		t.Errorf("GetCRAReport = %+v", gotR)
	}
	_, err = f.s.GetCRAReport(f.ctx, f.B, r.ID)
	wantKind(t, "GetCRAReport as B", err, iotsec.ErrNotFound)
	if rs, _ := f.s.ListCRAReports(f.ctx, f.A); len(rs) != 1 || rs[0].ID != r.ID {
		t.Errorf("ListCRAReports = %+v", rs)
	}
	if rs, _ := f.s.ListCRAReports(f.ctx, f.B); len(rs) != 0 {
		t.Errorf("B lists %d of A's CRA reports", len(rs))
	}

	// Deleting the SBOM removes the version from the targets; the audit
	// log has the supply-chain events.
	wantKind(t, "DeleteSBOM as B", f.s.DeleteSBOM(f.ctx, f.B, fw.ID), iotsec.ErrNotFound)
	wantKind(t, "DeleteSBOM", f.s.DeleteSBOM(f.ctx, f.A, fw.ID), nil)
	wantKind(t, "DeleteSBOM again", f.s.DeleteSBOM(f.ctx, f.A, fw.ID), iotsec.ErrNotFound)
	if ts, _ := f.s.MatchTargets(f.ctx); len(ts) != 0 {
		t.Errorf("MatchTargets after delete = %+v", ts)
	}
	evs, err := f.s.ListAudit(f.ctx, f.A, iotsec.AuditFilter{Limit: 1000})
	wantKind(t, "ListAudit", err, nil)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"sbom.import", "sbom.delete", "vex.add", "cra.draft", "cra.update", "notify.settings"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}
