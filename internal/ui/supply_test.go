package ui_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The supply-chain fixtures: testdata/supply/README.md says how each was
// made.
const supplyData = "testdata/supply"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(supplyData, name))
	apptest.Must(t, err)
	return b
}

// importVulns imports the NVD records (and the KEV catalogue when kev is
// set) as an operator would.
func (f *fixture) importVulns(kev bool) {
	f.T.Helper()
	ctx := context.Background()
	imp, err := f.App.Supply.Import(ctx, "test", filepath.Join(supplyData, "nvd"), "nvd")
	apptest.Must(f.T, err)
	if imp.Records != 2 {
		f.T.Fatalf("NVD import: %d records, want 2", imp.Records)
	}
	if kev {
		imp, err := f.App.Supply.Import(ctx, "test", filepath.Join(supplyData, "kev.json"), "")
		apptest.Must(f.T, err)
		if imp.Kind != "kev" || imp.Records != 1 {
			f.T.Fatalf("KEV import = %+v", imp)
		}
	}
}

// supplied is what supplyFixture made for each organisation.
type supplied struct {
	craA, craB string // each organisation's CRA report draft
}

// supplyFixture puts vulnerability data in, gives both organisations'
// firmware versions the router SBOM, and so a CRA draft each.
func (f *fixture) supplyFixture() supplied {
	f.T.Helper()
	f.importVulns(true)
	ctx := context.Background()
	var s supplied
	for _, g := range []*apptest.Tenant{&f.A, &f.B} {
		a := iotsec.Actor{OrgID: g.Org.ID, UserID: g.Owner.ID, Role: iotsec.RoleOwner, Label: g.Owner.Email}
		_, res, err := f.App.Supply.ImportSBOM(ctx, a, g.Firmware.ID, "router.cdx.json", readFixture(f.T, "router.cdx.json"))
		apptest.Must(f.T, err)
		if len(res.CRADrafts) != 1 {
			f.T.Fatalf("%s: CRA drafts after the SBOM import = %v, want one (CVE-2024-1086)", g.Org.Name, res.CRADrafts)
		}
		if g == &f.A {
			s.craA = res.CRADrafts[0]
		} else {
			s.craB = res.CRADrafts[0]
		}
	}
	return s
}

// wantBody fails unless body holds every want and none of the unwanted.
func wantBody(t *testing.T, what, body string, wants []string, unwanted ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", what, w)
		}
	}
}

// row returns the table row of body that holds s.
func row(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<tr")
	end := strings.Index(body[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end]
}

// TestUISupplyChain works a firmware version's supply chain through the
// pages: an SBOM uploaded through the form (a broken one first), its
// matches on the firmware and vulnerability pages with the devices
// running it, a VEX statement, a KEV import that makes a CRA draft with
// three deadlines, the notifications, the downloads, support periods, and
// the refusals for a viewer and another organisation.
func TestUISupplyChain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	owner := iotsec.Actor{OrgID: f.A.Org.ID, UserID: f.A.Owner.ID, Role: iotsec.RoleOwner, Label: f.A.Owner.Email}
	f.importVulns(false)
	// B runs the same software.
	bOwner := iotsec.Actor{OrgID: f.B.Org.ID, UserID: f.B.Owner.ID, Role: iotsec.RoleOwner, Label: f.B.Owner.Email}
	if _, _, err := f.App.Supply.ImportSBOM(ctx, bOwner, f.B.Firmware.ID, "router.cdx.json", readFixture(t, "router.cdx.json")); err != nil {
		t.Fatal(err)
	}
	// Three devices run 1.0; another runs 0.9, whose support ended.
	for _, uid := range []string{"SN-2", "SN-3"} {
		apptest.Must(t, f.App.Store.CreateDevice(ctx, owner, &iotsec.Device{UID: uid, ProductID: f.A.Product.ID, FirmwareID: f.A.Firmware.ID}))
	}
	old := iotsec.FirmwareVersion{ProductID: f.A.Product.ID, Version: "0.9", SupportEnd: iotsec.NewDate(2020, 1, 1)}
	apptest.Must(t, f.App.Store.CreateFirmware(ctx, owner, &old))
	apptest.Must(t, f.App.Store.CreateDevice(ctx, owner, &iotsec.Device{UID: "SN-OLD-1", ProductID: f.A.Product.ID, FirmwareID: old.ID}))

	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	fw := "/supply/firmware/" + f.A.Firmware.ID

	resp, body := b.get("/firmware/" + f.A.Firmware.ID)
	wantStatus(t, "firmware page", resp, body, 200)
	wantBody(t, "firmware page", body, []string{`href="` + fw + `"`})
	resp, body = b.get(fw)
	wantStatus(t, "supply page before an SBOM", resp, body, 200)
	wantBody(t, "supply page before an SBOM", body, []string{"nothing yet", `action="` + fw + `/sbom"`, `enctype="multipart/form-data"`})

	// A broken SBOM: each problem is named where it is.
	resp, body = b.upload(fw+"/sbom", "sbom", "broken.cdx.json", readFixture(t, "broken.cdx.json"))
	wantStatus(t, "upload a broken SBOM", resp, body, 400)
	wantBody(t, "broken SBOM page", body, []string{"broken.cdx.json has 2 problem(s)", "components[0] (bom-ref dnsmasq@2.85).purl", "components[1] (bom-ref zlib@1.3.1).hashes[0]"})
	// A document of the wrong shape is described in its own terms.
	resp, body = b.upload(fw+"/sbom", "sbom", "typo.cdx.json",
		[]byte("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"version\":1,\"components\":[\n  {\"type\":\"library\",\"name\":5}]}"))
	wantStatus(t, "upload an SBOM with a number for a name", resp, body, 400)
	wantBody(t, "typed SBOM error", body, []string{"line 2 column 29: components.name: expected a string, found a number"}, "Go struct", "cannot unmarshal")
	resp, body = b.upload(fw+"/sbom", "sbom", "", nil)
	wantStatus(t, "upload no file", resp, body, 400)

	resp, body = b.upload(fw+"/sbom", "sbom", "router.cdx.json", readFixture(t, "router.cdx.json"))
	wantStatus(t, "upload the SBOM", resp, body, 303)
	if loc := resp.Header.Get("Location"); loc != fw+"?done=sbom-imported" {
		t.Errorf("SBOM upload redirects to %q", loc)
	}
	pages := []struct {
		path     string
		wants    []string
		unwanted []string
	}{
		{fw, []string{"imported SBOM", "router.cdx.json", "CVE-2023-28450", "CVE-2024-1086", "dnsmasq", "busybox",
			"cpe:2.3:a:thekelleys:dnsmasq:2.85", "2 of 2", "3 running this version"}, []string{"KEV"}},
		{"/supply/vulnerabilities", []string{"CVE-2023-28450", "CVE-2024-1086"}, nil},
		{"/supply/vulnerabilities?kev=1", []string{"No open vulnerabilities match these filters"}, []string{"CVE-2023-28450"}},
		{"/supply/vulnerabilities?severity=critical", []string{"No open vulnerabilities match"}, []string{"CVE-2024-1086"}},
		{"/supply/vulnerabilities?severity=high", []string{"CVE-2023-28450", "CVE-2024-1086"}, nil},
		{"/supply/vulnerabilities/CVE-2023-28450", []string{"An issue was discovered in Dnsmasq before 2.90", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
			"Camera", "CAM-A", "versions &lt; 2.90 matched 2.85", ">2.90<", `<td class="num v">3</td>`, "Not in the catalogue"}, []string{"CAM-B"}},
		// Components are ranked by the open vulnerabilities they carry,
		// as the API's exposure answers: busybox carries none.
		{"/supply/components", []string{"dnsmasq", "linux"}, []string{"busybox"}},
		{"/devices/" + f.A.Device.ID, []string{"2 open in its firmware", `href="` + fw + `"`}, []string{"known exploited"}},
		{"/supply-chain", []string{"CVE-2023-28450", "nvd", "No firmware version carries a vulnerability in the KEV catalogue"}, nil},
	}
	for _, p := range pages {
		resp, body := b.get(p.path)
		wantStatus(t, "GET "+p.path, resp, body, 200)
		wantBody(t, "GET "+p.path, body, p.wants, p.unwanted...)
	}
	// The components table counts, per component, the firmware versions,
	// products and distinct open vulnerabilities: the API's numbers.
	_, body = b.get("/supply/components")
	if r := row(body, "<td>dnsmasq</td>"); !strings.Contains(r, "<td class=\"num\">1</td><td class=\"num\">1</td>\n<td class=\"num\">1</td><td><span class=\"badge bad\">high</span>") {
		t.Errorf("components page: dnsmasq row = %q, want 1 version, 1 product, 1 open vulnerability", r)
	}

	// A VEX statement from the vulnerability page: refused without a
	// justification or impact, recorded with one, and the match is then
	// suppressed.
	vulnPage := "/supply/vulnerabilities/CVE-2023-28450"
	b.get(vulnPage)
	vex := url.Values{"vulnerability": {"CVE-2023-28450"}, "component": {"dnsmasq"}, "component_version": {"2.85"},
		"status": {"not_affected"}, "justification": {""}, "next": {vulnPage}}
	resp, body = b.post(fw+"/vex", vex)
	wantStatus(t, "VEX without a justification", resp, body, 400)
	wantBody(t, "VEX error", body, []string{"not_affected needs a justification or an impact statement", "An issue was discovered in Dnsmasq"})
	vex.Set("justification", "vulnerable_code_not_in_execute_path")
	vex.Set("impact", "the DNS forwarder is compiled out of this build")
	resp, body = b.post(fw+"/vex", vex)
	wantStatus(t, "VEX", resp, body, 303)
	if loc := resp.Header.Get("Location"); loc != vulnPage+"?done=vex-added" {
		t.Errorf("VEX redirects to %q, want back to the vulnerability page", loc)
	}
	_, body = b.get(vulnPage)
	if r := row(body, "versions &lt; 2.90 matched 2.85"); !strings.Contains(r, `class="suppressed"`) || !strings.Contains(r, "not affected") ||
		!strings.Contains(r, "vulnerable_code_not_in_execute_path") {
		t.Errorf("vulnerability page after VEX: row = %q, want it struck through with its VEX", r)
	}
	wantBody(t, "vulnerability page after VEX", body, []string{"0 open of 1 match(es)"})
	_, body = b.get(fw)
	wantBody(t, "firmware page after VEX", body, []string{"the DNS forwarder is compiled out of this build", "1 of 2"})
	_, body = b.get("/supply/vulnerabilities")
	wantBody(t, "vulnerabilities after VEX", body, []string{"CVE-2024-1086"}, "CVE-2023-28450")

	// Downloads.
	for _, d := range []struct{ path, ctype, want string }{
		{fw + "/sbom?format=cyclonedx-json", "application/vnd.cyclonedx+json", `"cpe:2.3:a:thekelleys:dnsmasq:2.85:*:*:*:*:*:*:*"`},
		{fw + "/sbom?format=cyclonedx-xml", "application/vnd.cyclonedx+xml", "<name>dnsmasq</name>"},
		{fw + "/sbom?format=spdx-json", "application/spdx+json", `"SPDXID"`},
		{fw + "/sbom?format=spdx-tag-value", "text/spdx; charset=utf-8", "PackageName: dnsmasq"},
		{fw + "/vex?format=openvex", "application/json", "vulnerable_code_not_in_execute_path"},
		{fw + "/vex?format=cyclonedx", "application/vnd.cyclonedx+json", "CVE-2023-28450"},
		{"/supply/products/" + f.A.Product.ID + "/csaf", "application/json", `"csaf_vex"`},
	} {
		resp, body := b.get(d.path)
		wantStatus(t, "GET "+d.path, resp, body, 200)
		if ct := resp.Header.Get("Content-Type"); ct != d.ctype || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="CAM-A-1.0.`) &&
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="CAM-A.csaf`) {
			t.Errorf("GET %s: %s, %s", d.path, ct, resp.Header.Get("Content-Disposition"))
		}
		wantBody(t, "GET "+d.path, body, []string{d.want})
	}
	resp, body = b.get(fw + "/sbom?format=swid")
	wantStatus(t, "SBOM in an unknown format", resp, body, 400)

	// The KEV catalogue lists the kernel CVE: matching again makes a CRA
	// draft with its three deadlines.
	resp, body = b.get("/supply/cra")
	wantStatus(t, "CRA list", resp, body, 200)
	wantBody(t, "CRA list before KEV", body, []string{"No CRA reports"})
	f.importVulns(true)
	b.get(fw)
	resp, body = b.post(fw+"/rematch", url.Values{})
	wantStatus(t, "match again", resp, body, 303)
	reports, err := f.App.Store.ListCRAReports(ctx, owner)
	apptest.Must(t, err)
	if len(reports) != 1 || reports[0].VulnID != "CVE-2024-1086" {
		t.Fatalf("CRA reports after the KEV import = %+v, want one for CVE-2024-1086", reports)
	}
	cra := "/supply/cra/" + reports[0].ID
	aware := reports[0].AwareAt
	for _, p := range []struct {
		path  string
		wants []string
	}{
		{cra, []string{"early warning", "Art. 14(2)(a)", "vulnerability notification", "Art. 14(2)(b)", "final report", "Art. 14(2)(c)",
			"pending", "due 14 days after a corrective or mitigating measure is available",
			aware.Add(24 * time.Hour).UTC().Format("2 Jan 2006 15:04 UTC"), aware.Add(72 * time.Hour).UTC().Format("2 Jan 2006 15:04 UTC"),
			"linux", "5.15.149"}},
		{"/supply/cra", []string{cra, "CVE-2024-1086", "due " + aware.Add(24*time.Hour).UTC().Format("2 Jan 2006 15:04 UTC")}},
		{"/supply/vulnerabilities/CVE-2024-1086", []string{`<span class="badge bad">high</span>`, "known exploited", "Apply mitigations per vendor instructions", "30 May 2024"}},
		{"/supply-chain", []string{"Known exploited (CISA KEV)", `href="/supply/firmware/` + f.A.Firmware.ID + `">Camera 1.0`, cra}},
		{"/supply/notifications", []string{"CRA report draft for CVE-2024-1086 in Camera", "Camera 1.0 is affected by CVE-2023-28450", `<span class="badge warn">new</span>`}},
	} {
		resp, body := b.get(p.path)
		wantStatus(t, "GET "+p.path, resp, body, 200)
		wantBody(t, "GET "+p.path, body, p.wants)
	}

	// The final report waits for a fix; with one it is due 14 days later.
	b.get(cra)
	resp, body = b.post(cra, url.Values{"sent": {"final report"}})
	wantStatus(t, "final report before a fix", resp, body, 400)
	wantBody(t, "final report error", body, []string{"set fix_available_at first"})
	resp, body = b.post(cra, url.Values{"fix_available_at": {"yesterday"}})
	wantStatus(t, "unreadable fix time", resp, body, 400)
	// A measure is recorded once it is available: the service refuses a
	// fix time in the future, for the form as for the API.
	resp, body = b.post(cra, url.Values{"fix_available_at": {time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")}, "general_nature": {"kept?"}})
	wantStatus(t, "fix time in the future", resp, body, 400)
	wantBody(t, "fix time in the future", body, []string{`<div class="notice bad" role="alert">fix_available_at: is in the future: record it once the measure is available</div>`})
	if rep, err := f.App.Store.GetCRAReport(ctx, owner, reports[0].ID); err != nil || !rep.FixAt.IsZero() || rep.Fields["general_nature"] != "" {
		t.Errorf("a refused update changed the report: %+v, %v", rep, err)
	}
	fix := time.Now().UTC().Truncate(time.Minute).Add(time.Minute) // after the awareness, not in the future by much
	resp, body = b.post(cra, url.Values{"fix_available_at": {fix.Format("2006-01-02T15:04")}, "sent": {"early warning"},
		"general_nature": {"use-after-free in nf_tables, local privilege escalation"}})
	wantStatus(t, "update the report", resp, body, 303)
	_, body = b.get(cra)
	wantBody(t, "CRA report after the update", body, []string{"use-after-free in nf_tables, local privilege escalation",
		fix.Add(14 * 24 * time.Hour).Format("2 Jan 2006 15:04 UTC"), `<span class="badge ok">sent</span>`},
		"due 14 days after a corrective")

	// An overdue report is marked: one the organisation became aware of
	// three days ago.
	late := iotsec.CRAReport{FirmwareID: f.A.Firmware.ID, VulnID: "CVE-2023-28450", AwareAt: time.Now().Add(-73 * time.Hour)}
	if ok, err := f.App.Store.CreateCRAReport(ctx, owner, &late); err != nil || !ok {
		t.Fatalf("CreateCRAReport = %v, %v", ok, err)
	}
	_, body = b.get("/supply/cra")
	if r := row(body, late.ID); !strings.Contains(r, `class="overdue"`) || strings.Count(r, "overdue</span>") != 2 {
		t.Errorf("CRA list: the late report's row = %q, want two overdue stages", r)
	}
	if r := row(body, reports[0].ID); strings.Contains(r, "overdue") {
		t.Errorf("CRA list: the fresh report is marked overdue: %q", r)
	}

	// Notifications: read, and where they go.
	b.get("/supply/notifications")
	resp, body = b.post("/supply/notifications/read", url.Values{})
	wantStatus(t, "mark read", resp, body, 303)
	_, body = b.get("/supply/notifications")
	wantBody(t, "notifications after reading", body, []string{"CRA report draft for CVE-2024-1086"}, `<span class="badge warn">new</span>`)
	resp, body = b.post("/supply/notifications/settings", url.Values{"webhook_url": {"ftp://hooks.example"}})
	wantStatus(t, "webhook with a bad URL", resp, body, 400)
	wantBody(t, "settings error", body, []string{"webhook_url: must be an http or https URL"})
	// The secret's limit is the service's, as in the API.
	resp, body = b.post("/supply/notifications/settings", url.Values{"webhook_url": {"https://hooks.example/iotsec"}, "webhook_secret": {strings.Repeat("k", 257)}})
	wantStatus(t, "a secret too long", resp, body, 400)
	wantBody(t, "a secret too long", body, []string{"webhook_secret: may be 256 bytes long"})
	resp, body = b.post("/supply/notifications/settings", url.Values{"webhook_url": {"https://hooks.example/iotsec"}, "webhook_secret": {"s3cret-hook-key"}, "email": {"psirt@a.example"}})
	wantStatus(t, "save settings", resp, body, 303)
	resp, body = b.post("/supply/notifications/settings", url.Values{"webhook_url": {"https://hooks.example/v2"}, "email": {"psirt@a.example"}})
	wantStatus(t, "save settings keeping the secret", resp, body, 303)
	set, err := f.App.Store.NotifySettings(ctx, owner)
	apptest.Must(t, err)
	// The secret is kept, sealed under the key-encryption key.
	if set.WebhookURL != "https://hooks.example/v2" || !strings.HasPrefix(set.WebhookSecret, "iotsec-sealed:") ||
		strings.Contains(set.WebhookSecret, "s3cret") || set.Email != "psirt@a.example" {
		t.Errorf("settings = %+v", set)
	}
	_, body = b.get("/supply/notifications")
	wantBody(t, "settings form", body, []string{"https://hooks.example/v2", "A secret is set"}, "s3cret-hook-key")

	// Deliveries: each one's state, with the reason when an attempt failed.
	ds := []iotsec.Delivery{{Channel: iotsec.ChannelWebhook, Target: "https://hooks.example/v2"}, {Channel: iotsec.ChannelEmail, Target: "psirt@a.example"},
		{Channel: iotsec.ChannelWebhook, Target: "https://hooks.example/v2"}}
	apptest.Must(t, f.App.Store.AddNotifications(ctx, owner, []iotsec.Notification{{Kind: "newly-affected", Title: "Camera 1.0 is affected by CVE-1", Body: "-", Link: "/supply"}}, ds))
	ds[0].State, ds[0].Attempts, ds[0].SentAt = iotsec.DeliverySent, 1, time.Now()
	ds[1].State, ds[1].Attempts, ds[1].LastError, ds[1].NextAttemptAt = iotsec.DeliveryRetrying, 1, "dial tcp: connection refused", time.Now().Add(time.Hour)
	ds[2].State, ds[2].Attempts, ds[2].LastError = iotsec.DeliveryFailed, 5, "webhook answered 503 Service Unavailable"
	for i := range ds {
		apptest.Must(t, f.App.Store.UpdateDelivery(ctx, owner, &ds[i]))
	}
	_, body = b.get("/supply/notifications")
	wantBody(t, "deliveries", body, []string{`<span class="badge ok">sent</span>`, `<span class="badge warn">retrying</span>`, "dial tcp: connection refused",
		`<span class="badge bad">failed</span>`, "webhook answered 503 Service Unavailable", "psirt@a.example"})

	// Support periods: 0.9 ended and a device still runs it.
	_, body = b.get("/supply/support")
	if r := row(body, ">0.9<"); !strings.Contains(r, "ended") {
		t.Errorf("support page: 0.9 row = %q, want it ended", r)
	}
	wantBody(t, "support page", body, []string{"SN-OLD-1", "2030-01-01"})
	if strings.Contains(row(body, ">1.0<"), "ended") {
		t.Error("support page: 1.0 is marked ended")
	}
	if i, j := strings.Index(body, ">0.9<"), strings.Index(body, ">1.0<"); i < 0 || j < 0 || i > j {
		t.Error("support page: the ended 0.9 is not listed first, as the API lists it")
	}

	// A viewer reads but may not state VEX, import or match; another
	// organisation sees none of it.
	viewer := iotsec.User{Email: "val@a.example"}
	apptest.Must(t, f.App.Store.CreateUser(ctx, "t", &viewer))
	apptest.Must(t, f.App.Store.AddMember(ctx, iotsec.System(f.A.Org.ID, "t"), viewer.ID, iotsec.RoleViewer))
	f.setPassword(viewer, "viewer passphrase here")
	v := f.browser()
	v.login("val@a.example", "viewer passphrase here")
	_, body = v.get("/supply/notifications")
	wantBody(t, "viewer's deliveries", body, []string{"webhook answered 503 Service Unavailable"}, `action="/supply/notifications/settings"`)
	resp, body = v.get(fw)
	wantStatus(t, "viewer's supply page", resp, body, 200)
	wantBody(t, "viewer's supply page", body, []string{"CVE-2024-1086"}, `action="`+fw+`/sbom"`, `action="`+fw+`/vex"`)
	_, body = v.get(vulnPage)
	wantBody(t, "viewer's vulnerability page", body, []string{"dnsmasq"}, "VEX statement</summary>")
	before, err := f.App.Store.ListVEX(ctx, owner, f.A.Firmware.ID)
	apptest.Must(t, err)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{fw + "/vex", url.Values{"vulnerability": {"CVE-2024-1086"}, "component": {"linux"}, "component_version": {"5.10.100"}, "status": {"fixed"}}},
		{fw + "/rematch", url.Values{}},
		{cra, url.Values{"general_nature": {"x"}}},
		{"/supply/notifications/settings", url.Values{"webhook_url": {"https://evil.example"}}},
	} {
		resp, body := v.post(p.path, p.form)
		wantStatus(t, "viewer POST "+p.path, resp, body, 403)
	}
	resp, body = v.upload(fw+"/sbom", "sbom", "router.cdx.json", readFixture(t, "router.cdx.json"))
	wantStatus(t, "viewer uploads an SBOM", resp, body, 403)
	after, err := f.App.Store.ListVEX(ctx, owner, f.A.Firmware.ID)
	apptest.Must(t, err)
	if len(after) != len(before) {
		t.Errorf("VEX statements %d after the viewer's POST, want %d", len(after), len(before))
	}

	f.setPassword(f.B.Owner, "another horse battery")
	bb := f.browser()
	bb.login("bob@b.example", "another horse battery")
	for _, p := range []string{fw, fw + "/sbom", fw + "/vex", cra, "/supply/products/" + f.A.Product.ID + "/csaf"} {
		resp, body := bb.get(p)
		wantStatus(t, "B GET "+p, resp, body, 404)
	}
	bb.get("/supply-chain")
	resp, body = bb.post(fw+"/vex", url.Values{"vulnerability": {"CVE-2024-1086"}, "status": {"fixed"}})
	wantStatus(t, "B states VEX on A's firmware", resp, body, 404)
	for _, p := range []string{"/supply-chain", "/supply/vulnerabilities", "/supply/vulnerabilities/CVE-2024-1086", "/supply/cra", "/supply/notifications", "/supply/support", "/supply/components"} {
		resp, body := bb.get(p)
		wantStatus(t, "B GET "+p, resp, body, 200)
		wantBody(t, "B GET "+p, body, nil, "CAM-A", f.A.Firmware.ID, f.A.Product.ID, reports[0].ID, late.ID, "SN-OLD-1", "hooks.example/v2")
	}
	// B's view of the vulnerability is B's own product and device.
	_, body = bb.get("/supply/vulnerabilities/CVE-2024-1086")
	wantBody(t, "B's vulnerability page", body, []string{"CAM-B", `<td class="num v">1</td>`})
}

// TestUIVEXOnFirmwarePage states VEX from the firmware page's form for a
// whole firmware version (what the CSAF advisory states) and for one
// component named as name@version.
func TestUIVEXOnFirmwarePage(t *testing.T) {
	f := newFixture(t)
	f.supplyFixture()
	f.setPassword(f.A.Owner, "correct horse battery")
	b := f.browser()
	b.login("alice@a.example", "correct horse battery")
	fw := "/supply/firmware/" + f.A.Firmware.ID
	tests := []struct {
		name      string
		form      url.Values
		want      int
		component string // of the statement recorded
	}{
		{"whole firmware", url.Values{"vulnerability": {"CVE-2024-1086"}, "component_ref": {""}, "status": {"affected"},
			"justification": {"component_not_present"}, "action": {"update to firmware 1.1"}}, 303, ""},
		{"one component", url.Values{"vulnerability": {"CVE-2023-28450"}, "component_ref": {"dnsmasq@2.85"}, "status": {"fixed"}}, 303, "dnsmasq 2.85"},
		{"affected without an action", url.Values{"vulnerability": {"CVE-2023-28450"}, "status": {"affected"}}, 400, ""},
		{"unknown status", url.Values{"vulnerability": {"CVE-2023-28450"}, "status": {"maybe"}}, 400, ""},
	}
	owner := iotsec.System(f.A.Org.ID, "t")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := f.App.Store.ListVEX(context.Background(), owner, f.A.Firmware.ID)
			apptest.Must(t, err)
			b.get(fw)
			resp, body := b.post(fw+"/vex", tt.form)
			wantStatus(t, tt.name, resp, body, tt.want)
			after, err := f.App.Store.ListVEX(context.Background(), owner, f.A.Firmware.ID)
			apptest.Must(t, err)
			if tt.want != 303 {
				if len(after) != len(before) {
					t.Errorf("a refused form recorded a statement")
				}
				if !strings.Contains(body, `class="notice bad"`) {
					t.Errorf("the refusal is not shown on the page")
				}
				return
			}
			if resp.Header.Get("Location") != fw+"?done=vex-added" || len(after) != len(before)+1 {
				t.Fatalf("redirect %q, %d statements after, %d before", resp.Header.Get("Location"), len(after), len(before))
			}
			got := after[len(after)-1]
			if c := strings.TrimSpace(got.Component + " " + got.ComponentVersion); c != tt.component || got.Justification != "" {
				t.Errorf("statement = %+v, want component %q and no justification (only not_affected takes one)", got, tt.component)
			}
		})
	}
	// The fixed dnsmasq match is suppressed; the whole-firmware "affected"
	// statement shows on the kernel match and in the CSAF advisory.
	_, body := b.get(fw)
	if r := row(body, "versions &lt; 2.90 matched 2.85"); !strings.Contains(r, `class="suppressed"`) || !strings.Contains(r, ">fixed<") {
		t.Errorf("dnsmasq row after a fixed statement = %q", r)
	}
	if r := row(body, "linux_kernel"); strings.Contains(r, `class="suppressed"`) || !strings.Contains(r, ">affected<") {
		t.Errorf("kernel row after an affected statement = %q", r)
	}
	_, body = b.get("/supply/products/" + f.A.Product.ID + "/csaf")
	wantBody(t, "CSAF advisory", body, []string{"update to firmware 1.1", "known_affected"})
}
