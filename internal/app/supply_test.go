package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/api"
	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// routerSBOM is a maker's CycloneDX SBOM: dnsmasq 2.84 (hit by
// CVE-2022-0934 and CVE-2023-28450 in testdata/supply/nvd, not by
// CVE-2019-14834) and a BusyBox the data has nothing on.
const routerSBOM = `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "version": 1,
  "metadata": {"component": {"bom-ref": "fw", "type": "firmware", "name": "Sensor firmware", "version": "1.0"}},
  "components": [
    {"bom-ref": "dnsmasq", "type": "application", "name": "dnsmasq", "version": "2.84",
     "cpe": "cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*", "purl": "pkg:generic/dnsmasq@2.84"},
    {"bom-ref": "busybox", "type": "application", "name": "busybox", "version": "1.36.1",
     "cpe": "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}
  ]
}`

// brokenSBOM has two located problems: a purl that does not parse and a
// SHA-256 of the wrong length.
const brokenSBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[
  {"bom-ref":"a","type":"library","name":"a","version":"1","purl":"not a purl"},
  {"bom-ref":"b","type":"library","name":"b","version":"1","hashes":[{"alg":"SHA-256","content":"abc"}]}]}`

// kevFile is a KEV catalogue naming CVE-2023-28450 (made up: it is not in
// the real catalogue).
const kevFile = `{"title":"test","catalogVersion":"2026.01.01","dateReleased":"2026-01-01T00:00:00Z","count":1,"vulnerabilities":[
  {"cveID":"CVE-2023-28450","vendorProject":"Thekelleys","product":"Dnsmasq","vulnerabilityName":"Dnsmasq EDNS.0 packet size",
   "dateAdded":"2025-06-02","shortDescription":"x","requiredAction":"Apply updates per vendor instructions.","dueDate":"2025-06-23",
   "knownRansomwareCampaignUse":"Unknown","notes":"","cwes":[]}]}`

// epssFile scores CVE-2023-28450 (made-up numbers).
const epssFile = "#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000\ncve,epss,percentile\nCVE-2023-28450,0.00466,0.76371\n"

// webhook records what notification webhooks receive.
type webhook struct {
	mu     sync.Mutex
	bodies []supply.WebhookBody
	bad    []string
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if got, want := r.Header.Get(supply.SignatureHeader), supply.Sign("hook-secret", body); got != want {
		h.bad = append(h.bad, "signature "+got+", want "+want)
	}
	var b supply.WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		h.bad = append(h.bad, err.Error())
	}
	h.bodies = append(h.bodies, b)
}

func (h *webhook) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		for _, n := range b.Notifications {
			out = append(out, n.Kind)
		}
	}
	return out
}

// TestSupplyAPI drives the supply-chain API over real vulnerability data:
// an SBOM import finds dnsmasq's CVEs with reason and fixed version, a VEX
// statement suppresses one, the documents export and read back, a KEV
// import drafts a CRA report, notifications reach a signed webhook, and
// another organisation and a viewer are kept out. Every response is
// checked against the OpenAPI document.
func TestSupplyAPI(t *testing.T) {
	v := openAPIValidator(t)
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfgFor(t)
			cfg.Workers = 0
			a, err := app.New(ctx, cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			actor, token := seed(t, a)
			url, _ := serve(t, a)
			fw := firmwareID(t, a, actor)
			ps, err := a.Store.ListProducts(ctx, actor)
			must(t, err)
			product := ps[0].ID

			// Three devices run 1.0; one runs 0.9, whose support ended.
			old := iotsec.FirmwareVersion{ProductID: product, Version: "0.9", ReleasedOn: iotsec.NewDate(2020, 1, 1), SupportEnd: iotsec.NewDate(2024, 12, 31)}
			must(t, a.Store.CreateFirmware(ctx, actor, &old))
			for i, f := range []string{fw, fw, fw, old.ID} {
				must(t, a.Store.CreateDevice(ctx, actor, &iotsec.Device{UID: "S-" + string(rune('a'+i)), ProductID: product, FirmwareID: f}))
			}
			// A viewer of the same organisation, and another organisation.
			viewer := newToken(t, a, actor, iotsec.RoleViewer)
			owner := newToken(t, a, actor, iotsec.RoleOwner)
			other := iotsec.Organisation{Name: "Other", Country: "DE"}
			must(t, a.Store.CreateOrg(ctx, "test", &other, ""))
			otherToken := newToken(t, a, iotsec.System(other.ID, "test"), iotsec.RoleOwner)

			tok := token
			check := func(t *testing.T, method, path, ct, body string, want int) []byte {
				t.Helper()
				resp, got := call(t, method, url+path, tok, ct, []byte(body))
				if resp.StatusCode != want {
					t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, got, want)
				}
				req, _ := http.NewRequest(method, url+path, nil)
				req.Header.Set("Content-Type", ct)
				if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
					for _, e := range verrs {
						t.Errorf("%s %s: response does not match openapi.json: %s: %s %v", method, path, e.Message, e.Reason, e.SchemaValidationErrors)
					}
				}
				return got
			}
			into := func(t *testing.T, b []byte, v any) {
				t.Helper()
				if err := json.Unmarshal(b, v); err != nil {
					t.Fatalf("%v: %s", err, b)
				}
			}
			// step runs one part of the story; the later parts build on
			// it, so a failed part ends the story.
			step := func(name string, fn func(t *testing.T)) {
				t.Helper()
				if !t.Run(name, fn) {
					t.FailNow()
				}
			}

			// What the parts share: the webhook that hears notifications,
			// the directory of data files, what the API answers look like
			// and the CRA report drafted.
			hook := &webhook{}
			hookSrv := httptest.NewServer(hook)
			t.Cleanup(hookSrv.Close)
			var set struct {
				WebhookURL       string `json:"webhook_url"`
				WebhookSecretSet bool   `json:"webhook_secret_set"`
			}
			dir := t.TempDir()
			type matchRow struct {
				vuln.Match
				FirmwareID string    `json:"firmware_id"`
				Severity   string    `json:"severity"`
				FirstSeen  time.Time `json:"first_seen"`
				Suppressed bool      `json:"suppressed"`
			}
			matches := func(t *testing.T, path string) map[string]matchRow {
				t.Helper()
				var l api.List[matchRow]
				into(t, check(t, "GET", path, "", "", 200), &l)
				out := map[string]matchRow{}
				for _, m := range l.Items {
					out[m.Vulnerability.ID] = m
				}
				return out
			}
			type brief struct {
				Component, Version, Fixed, Severity string
				Suppressed                          bool
			}
			summary := func(ms map[string]matchRow) map[string]brief {
				out := map[string]brief{}
				for id, m := range ms {
					out[id] = brief{m.Component.Name, m.Component.Version, m.FixedVersion, m.Severity, m.Suppressed}
				}
				return out
			}
			// want are the open matches of the SBOM.
			want := map[string]brief{
				"CVE-2022-0934":  {"dnsmasq", "2.84", "2.87", "high", false},
				"CVE-2023-28450": {"dnsmasq", "2.84", "2.90", "high", false},
			}
			type vulnPage struct {
				ID         string
				Severity   string
				CVSS       *vuln.CVSS
				KEV        *vuln.KEV
				EPSS       *vuln.EPSS
				Advisories []struct{ ID, Source, Summary string }
				Affected   []struct {
					FirmwareID   string `json:"firmware_id"`
					Version      string `json:"firmware_version"`
					Product      string
					Devices      int
					FixedVersion string `json:"fixed_version"`
					Suppressed   bool
					Matches      []struct {
						Component, Reason string
						Suppressed        bool
					}
				}
				Devices              int
				DeviceCountsComplete bool `json:"device_counts_complete"`
			}
			type exposure struct {
				Items []struct {
					Component        string
					Version          string `json:"component_version"`
					FirmwareVersions int    `json:"firmware_versions"`
					Products         int
					Vulnerabilities  int
					KEV              int
					WorstSeverity    string `json:"worst_severity"`
				}
				Truncated bool
			}
			var cra supply.CRAView
			deadlines := func(v supply.CRAView) map[string]string {
				out := map[string]string{}
				for _, d := range v.Deadlines {
					due := d.Pending
					if !d.Due.IsZero() {
						due = d.Due.Sub(v.AwareAt).String()
					}
					if !d.Sent.IsZero() {
						due += " sent"
					}
					out[d.Report+" "+d.Rule] = due
				}
				return out
			}

			step("notifications go to a signed webhook", func(t *testing.T) {
				// Notifications go to a webhook, signed; the owner sets it
				// (the seeded token is a maker's).
				tok = owner
				into(t, check(t, "PUT", "/api/v1/notify-settings", "application/json", `{"webhook_url":"`+hookSrv.URL+`","webhook_secret":"hook-secret"}`, 200), &set)
				if set.WebhookURL != hookSrv.URL || !set.WebhookSecretSet {
					t.Errorf("notify settings = %+v", set)
				}
				into(t, check(t, "PUT", "/api/v1/notify-settings", "application/json", `{"webhook_url":"`+hookSrv.URL+`"}`, 200), &set)
				if !set.WebhookSecretSet {
					t.Error("a PUT without webhook_secret dropped the secret")
				}
				check(t, "PUT", "/api/v1/notify-settings", "application/json", `{"webhook_url":"ftp://x"}`, 400)
				var prob struct {
					Errors []struct{ Field, Detail string }
				}
				into(t, check(t, "PUT", "/api/v1/notify-settings", "application/json", `{"webhook_url":"`+hookSrv.URL+`","webhook_secret":"`+strings.Repeat("k", 257)+`"}`, 400), &prob)
				if len(prob.Errors) != 1 || prob.Errors[0].Field != "webhook_secret" || prob.Errors[0].Detail != "may be 256 bytes long" {
					t.Errorf("a secret too long: %+v", prob)
				}
				tok = token
			})

			step("the shared data is imported", func(t *testing.T) {
				// The shared data: three NVD records and an EPSS score.
				if imp, err := a.Supply.Import(ctx, "test", filepath.Join("testdata", "supply", "nvd"), ""); err != nil || imp.Kind != "nvd" || imp.Records != 3 {
					t.Fatalf("NVD import = %+v, %v", imp, err)
				}
				epssPath := filepath.Join(dir, "epss.csv")
				must(t, os.WriteFile(epssPath, []byte(epssFile), 0o600))
				if _, err := a.Supply.Import(ctx, "test", epssPath, ""); err != nil {
					t.Fatal(err)
				}
				var db struct {
					Sources []iotsec.VulnSource
					Imports []iotsec.VulnImport
				}
				into(t, check(t, "GET", "/api/v1/vulndb", "", "", 200), &db)
				records := map[string]int{}
				for _, s := range db.Sources {
					records[s.Kind] = s.Records
				}
				if records["nvd"] != 3 || records["epss"] != 1 || len(db.Imports) != 2 {
					t.Errorf("vulndb = %+v", db)
				}
			})

			step("the maker's SBOM is validated, imported and matched", func(t *testing.T) {
				// The maker's SBOM: imported, validated, matched.
				var imp struct {
					SBOM   iotsec.SBOM   `json:"sbom"`
					Result supply.Result `json:"result"`
				}
				into(t, check(t, "PUT", "/api/v1/firmware/"+fw+"/sbom?name=router.cdx.json", "application/vnd.cyclonedx+json", routerSBOM, 200), &imp)
				if imp.SBOM.Format != "cyclonedx-json" || imp.SBOM.Components != 2 || imp.Result.Source != "sbom" || imp.Result.Matches != 2 || len(imp.Result.New) != 2 {
					t.Errorf("SBOM import = %+v", imp)
				}
				var prob struct {
					Detail string
					Errors []struct{ Field, Detail string }
				}
				into(t, check(t, "PUT", "/api/v1/firmware/"+fw+"/sbom", "application/json", brokenSBOM, 400), &prob)
				if prob.Detail != "sbom: the SBOM has 2 problem(s)" || len(prob.Errors) != 2 || !strings.Contains(prob.Errors[0].Detail, "components[0]") || !strings.Contains(prob.Errors[1].Detail, "components[1]") {
					t.Errorf("invalid SBOM problem = %+v", prob)
				}
				check(t, "PUT", "/api/v1/firmware/"+fw+"/sbom", "application/zip", routerSBOM, 415)
			})

			step("matches carry reason, fixed version and scores", func(t *testing.T) {
				got := matches(t, "/api/v1/firmware/"+fw+"/vulnerabilities")
				if diff := cmp.Diff(want, summary(got)); diff != "" {
					t.Errorf("firmware vulnerabilities (-want +got):\n%s", diff)
				}
				m := got["CVE-2023-28450"]
				if m.Via != "cpe" || !strings.Contains(m.Reason, "versions < 2.90 matched 2.84") || m.FirstSeen.IsZero() ||
					m.Vulnerability.EPSS == nil || m.Vulnerability.EPSS.Score != 0.00466 || m.Vulnerability.CVSS == nil || m.Vulnerability.CVSS.Score != 7.5 {
					t.Errorf("CVE-2023-28450 match = %+v", m)
				}
				if diff := cmp.Diff(want, summary(matches(t, "/api/v1/products/"+product+"/vulnerabilities"))); diff != "" {
					t.Errorf("product vulnerabilities (-want +got):\n%s", diff)
				}
				check(t, "GET", "/api/v1/firmware/"+fw+"/vulnerabilities?suppressed=maybe", "", "", 400)
			})

			step("the vulnerability page shows the data and where it is", func(t *testing.T) {
				// The vulnerability page: the data, and where it is in the
				// caller's organisation.
				var page vulnPage
				into(t, check(t, "GET", "/api/v1/vulnerabilities/CVE-2023-28450", "", "", 200), &page)
				if len(page.Advisories) != 1 || page.Advisories[0].Source != "nvd" || page.Advisories[0].Summary == "" || page.Severity != "high" ||
					page.CVSS == nil || page.CVSS.Score != 7.5 || page.EPSS == nil || page.EPSS.Percentile != 0.76371 || page.KEV != nil {
					t.Errorf("vulnerability data = %+v", page)
				}
				if len(page.Affected) != 1 || page.Affected[0].FirmwareID != fw || page.Affected[0].Product != "Sensor" || page.Affected[0].Devices != 3 ||
					page.Affected[0].FixedVersion != "2.90" || len(page.Affected[0].Matches) != 1 || page.Affected[0].Matches[0].Reason == "" ||
					page.Devices != 3 || !page.DeviceCountsComplete {
					t.Errorf("vulnerability affects = %+v", page)
				}
				check(t, "GET", "/api/v1/vulnerabilities/CVE-2019-14834", "", "", 200) // in the data, affects nothing here
				check(t, "GET", "/api/v1/vulnerabilities/CVE-1999-0001", "", "", 404)
			})

			step("components rank by exposure", func(t *testing.T) {
				var exp exposure
				into(t, check(t, "GET", "/api/v1/components/exposure", "", "", 200), &exp)
				if len(exp.Items) != 1 || exp.Items[0].Component != "dnsmasq" || exp.Items[0].Version != "2.84" || exp.Items[0].FirmwareVersions != 1 ||
					exp.Items[0].Products != 1 || exp.Items[0].Vulnerabilities != 2 || exp.Items[0].KEV != 0 || exp.Items[0].WorstSeverity != "high" || exp.Truncated {
					t.Errorf("exposure = %+v", exp)
				}
			})

			step("the SBOM exports in every format", func(t *testing.T) {
				// The SBOM exports in every format and decodes again.
				for format, ct := range map[string]string{"cyclonedx-json": "application/vnd.cyclonedx+json", "cyclonedx-xml": "application/vnd.cyclonedx+xml",
					"spdx-json": "application/spdx+json", "spdx-tag-value": "text/spdx"} {
					resp, body := call(t, "GET", url+"/api/v1/firmware/"+fw+"/sbom?format="+format, tok, "", nil)
					if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct {
						t.Fatalf("SBOM %s = %d %s %s", format, resp.StatusCode, resp.Header.Get("Content-Type"), body)
					}
					d, f, err := sbom.Decode(bytes.NewReader(body), format, sbom.DefaultLimits())
					if err != nil || string(f) != format {
						t.Fatalf("SBOM %s does not decode: %v (%s)", format, err, f)
					}
					names := []string{}
					for _, c := range d.Components {
						names = append(names, c.Name+" "+c.Version)
					}
					slices.Sort(names)
					if diff := cmp.Diff([]string{"busybox 1.36.1", "dnsmasq 2.84"}, names); diff != "" {
						t.Errorf("SBOM %s components (-want +got):\n%s", format, diff)
					}
				}
				check(t, "GET", "/api/v1/firmware/"+fw+"/sbom?format=swid", "", "", 400)
			})

			step("a VEX statement suppresses one match at once", func(t *testing.T) {
				// A VEX statement suppresses one match at once.
				check(t, "POST", "/api/v1/firmware/"+fw+"/vex", "application/json", `{"vulnerability":"CVE-2022-0934","component":"dnsmasq","status":"not_affected"}`, 400)
				var st iotsec.VEXStatement
				into(t, check(t, "POST", "/api/v1/firmware/"+fw+"/vex", "application/json", `{"vulnerability":"CVE-2022-0934","component":"dnsmasq","component_version":"2.84",`+
					`"status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact":"the DHCPv6 server is not built"}`, 201), &st)
				if st.ID == "" || st.FirmwareID != fw || st.Author == "" {
					t.Errorf("VEX statement = %+v", st)
				}
				open := summary(matches(t, "/api/v1/firmware/"+fw+"/vulnerabilities"))
				if diff := cmp.Diff(map[string]brief{"CVE-2023-28450": want["CVE-2023-28450"]}, open); diff != "" {
					t.Errorf("open matches after VEX (-want +got):\n%s", diff)
				}
				all := matches(t, "/api/v1/firmware/"+fw+"/vulnerabilities?suppressed=true")
				if s := all["CVE-2022-0934"]; !s.Suppressed || s.VEX == nil || s.VEX.Status != "not_affected" || s.VEX.Justification != "vulnerable_code_not_in_execute_path" {
					t.Errorf("suppressed match = %+v", s)
				}
				var vexList api.List[iotsec.VEXStatement]
				into(t, check(t, "GET", "/api/v1/firmware/"+fw+"/vex", "", "", 200), &vexList)
				if len(vexList.Items) != 1 || vexList.Items[0].ID != st.ID {
					t.Errorf("VEX list = %+v", vexList)
				}
			})

			step("VEX and CSAF exports read back", func(t *testing.T) {
				// VEX and CSAF exports read back.
				for _, format := range []string{"openvex", "cyclonedx"} {
					body := check(t, "GET", "/api/v1/firmware/"+fw+"/vex/export?format="+format, "", "", 200)
					stmts, err := vex.Read(body, format, vex.DefaultLimits())
					if err != nil {
						t.Fatalf("%s export does not read back: %v\n%s", format, err, body)
					}
					// The firmware version is named by a generic purl of its
					// model number, which both formats carry; OpenVEX names
					// the component by the SBOM's purl (an IRI).
					comp := "dnsmasq@2.84"
					if format == "openvex" {
						comp = "pkg:generic/dnsmasq@2.84"
					}
					if len(stmts) != 1 || stmts[0].Vulnerability != "CVE-2022-0934" || stmts[0].Status != "not_affected" ||
						stmts[0].Justification != "vulnerable_code_not_in_execute_path" || stmts[0].Component.String() != comp ||
						stmts[0].Product.PURL != "pkg:generic/s-1@1.0" {
						t.Errorf("%s export = %#v", format, stmts)
					}
				}
				check(t, "GET", "/api/v1/firmware/"+fw+"/vex/export?format=spdx", "", "", 400)
				stmts, err := vex.Read(check(t, "GET", "/api/v1/products/"+product+"/csaf", "", "", 200), "csaf", vex.DefaultLimits())
				if err != nil {
					t.Fatalf("CSAF does not read back: %v", err)
				}
				status := map[string]string{}
				for _, s := range stmts {
					status[s.Vulnerability+" "+s.Product.Version] = s.Status
				}
				if diff := cmp.Diff(map[string]string{"CVE-2022-0934 1.0": "not_affected", "CVE-2023-28450 1.0": "affected",
					"CVE-2022-0934 0.9": "not_affected", "CVE-2023-28450 0.9": "not_affected"}, status); diff != "" {
					t.Errorf("CSAF statuses (-want +got):\n%s", diff)
				}
			})

			step("a viewer reads, another organisation sees nothing", func(t *testing.T) {
				// A viewer reads but does not write; another organisation sees
				// none of it.
				tok = viewer
				check(t, "GET", "/api/v1/firmware/"+fw+"/vulnerabilities", "", "", 200)
				check(t, "POST", "/api/v1/firmware/"+fw+"/vex", "application/json", `{"vulnerability":"CVE-2023-28450","status":"affected","action":"update"}`, 403)
				check(t, "PUT", "/api/v1/firmware/"+fw+"/sbom", "application/json", routerSBOM, 403)
				check(t, "PUT", "/api/v1/notify-settings", "application/json", `{}`, 403)
				tok = otherToken
				for _, p := range []string{"/api/v1/firmware/" + fw + "/sbom", "/api/v1/firmware/" + fw + "/vulnerabilities", "/api/v1/firmware/" + fw + "/vex",
					"/api/v1/firmware/" + fw + "/vex/export", "/api/v1/products/" + product + "/vulnerabilities", "/api/v1/products/" + product + "/csaf"} {
					check(t, "GET", p, "", "", 404)
				}
				check(t, "POST", "/api/v1/firmware/"+fw+"/rematch", "", "", 404)
				check(t, "POST", "/api/v1/firmware/"+fw+"/vex", "application/json", `{"vulnerability":"CVE-2023-28450","status":"affected","action":"update"}`, 404)
				var otherPage vulnPage
				into(t, check(t, "GET", "/api/v1/vulnerabilities/CVE-2023-28450", "", "", 200), &otherPage)
				if otherPage.CVSS == nil || len(otherPage.Affected) != 0 || otherPage.Devices != 0 {
					t.Errorf("another organisation's vulnerability page = %+v", otherPage)
				}
				var exp exposure
				into(t, check(t, "GET", "/api/v1/components/exposure", "", "", 200), &exp)
				if len(exp.Items) != 0 {
					t.Errorf("another organisation's exposure = %+v", exp)
				}
				tok = token
			})

			step("a KEV import drafts a CRA report with three deadlines", func(t *testing.T) {
				// CISA adds CVE-2023-28450 to KEV: matching again drafts a CRA
				// report with its three deadlines.
				kevPath := filepath.Join(dir, "kev.json")
				must(t, os.WriteFile(kevPath, []byte(kevFile), 0o600))
				if imp, err := a.Supply.Import(ctx, "test", kevPath, ""); err != nil || imp.Kind != "kev" {
					t.Fatalf("KEV import = %+v, %v", imp, err)
				}
				before := time.Now().UTC()
				var res supply.Result
				into(t, check(t, "POST", "/api/v1/firmware/"+fw+"/rematch", "", "", 200), &res)
				if len(res.New) != 0 || len(res.CRADrafts) != 1 || res.Matches != 2 {
					t.Fatalf("re-match after the KEV import = %+v", res)
				}
				draft := res.CRADrafts[0]
				into(t, check(t, "POST", "/api/v1/firmware/"+fw+"/rematch", "", "", 200), &res)
				if len(res.CRADrafts) != 0 {
					t.Errorf("a second re-match drafted again: %+v", res)
				}
				var cras api.List[supply.CRAView]
				into(t, check(t, "GET", "/api/v1/cra-reports", "", "", 200), &cras)
				if len(cras.Items) != 1 {
					t.Fatalf("CRA reports = %+v", cras)
				}
				cra = cras.Items[0]
				if cra.ID != draft || cra.VulnID != "CVE-2023-28450" || cra.FirmwareID != fw || cra.ProductID != product || cra.AwareAt.Before(before.Add(-time.Second)) {
					t.Errorf("CRA report = %+v", cra)
				}
				if diff := cmp.Diff(map[string]string{
					"early warning Art. 14(2)(a)":              "24h0m0s",
					"vulnerability notification Art. 14(2)(b)": "72h0m0s",
					"final report Art. 14(2)(c)":               "due 14 days after a corrective or mitigating measure is available",
				}, deadlines(cra)); diff != "" {
					t.Errorf("CRA deadlines (-want +got):\n%s", diff)
				}
				var page2 vulnPage
				into(t, check(t, "GET", "/api/v1/vulnerabilities/CVE-2023-28450", "", "", 200), &page2)
				if page2.KEV == nil || page2.KEV.DateAdded != time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC) || page2.KEV.VendorProject != "Thekelleys" {
					t.Errorf("KEV on the vulnerability page = %+v", page2.KEV)
				}
			})

			step("the CRA report records a fix time, sent stages and texts", func(t *testing.T) {
				// A measure is recorded once it is available: a fix time in
				// the future is refused, naming the field, as the page does.
				later := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
				var prob struct {
					Errors []struct{ Field, Detail string }
				}
				into(t, check(t, "PATCH", "/api/v1/cra-reports/"+cra.ID, "application/json", `{"fix_available_at":"`+later+`","fields":{"general_nature":"kept?"}}`, 400), &prob)
				if len(prob.Errors) != 1 || prob.Errors[0].Field != "fix_available_at" || !strings.Contains(prob.Errors[0].Detail, "in the future") {
					t.Errorf("fix time in the future: problem %+v, want one naming fix_available_at", prob)
				}
				var same supply.CRAView
				into(t, check(t, "GET", "/api/v1/cra-reports/"+cra.ID, "", "", 200), &same)
				if !same.FixAt.IsZero() || same.Fields["general_nature"] != "" {
					t.Errorf("a refused update changed the report: %+v", same)
				}
				fix := cra.AwareAt.Add(30 * time.Minute).UTC().Format(time.RFC3339Nano)
				var upd supply.CRAView
				into(t, check(t, "PATCH", "/api/v1/cra-reports/"+cra.ID, "application/json",
					`{"fix_available_at":"`+fix+`","sent":["early warning"],"fields":{"general_nature":"DNS cache poisoning"}}`, 200), &upd)
				if diff := cmp.Diff(map[string]string{
					"early warning Art. 14(2)(a)":              "24h0m0s sent",
					"vulnerability notification Art. 14(2)(b)": "72h0m0s",
					"final report Art. 14(2)(c)":               "336h30m0s", // 30 min + 14 days
				}, deadlines(upd)); diff != "" {
					t.Errorf("CRA deadlines after the update (-want +got):\n%s", diff)
				}
				if upd.Fields["general_nature"] != "DNS cache poisoning" {
					t.Errorf("CRA fields = %+v", upd.Fields)
				}
				check(t, "GET", "/api/v1/cra-reports/"+cra.ID, "", "", 200)
				check(t, "PATCH", "/api/v1/cra-reports/"+cra.ID, "application/json", `{"fix_available_at":"tomorrow"}`, 400)
				check(t, "PATCH", "/api/v1/cra-reports/"+cra.ID, "application/json", `{"sent":["postcard"]}`, 400)
				check(t, "PATCH", "/api/v1/cra-reports/"+cra.ID, "application/json", `{"fields":{"colour":"red"}}`, 400)
				tok = otherToken
				check(t, "GET", "/api/v1/cra-reports/"+cra.ID, "", "", 404)
				var cras api.List[supply.CRAView]
				into(t, check(t, "GET", "/api/v1/cra-reports", "", "", 200), &cras)
				if len(cras.Items) != 0 {
					t.Errorf("another organisation's CRA reports = %+v", cras)
				}
				tok = token
			})

			step("notifications reach the API and the webhook", func(t *testing.T) {
				// Notifications: in the API and at the webhook.
				var notes api.List[iotsec.Notification]
				into(t, check(t, "GET", "/api/v1/notifications?unread=true", "", "", 200), &notes)
				var kinds []string
				for _, n := range notes.Items {
					kinds = append(kinds, n.Kind)
				}
				slices.Sort(kinds)
				// Two CVEs newly affect the version; one of them then enters
				// KEV: that says so and drafts a CRA report.
				if diff := cmp.Diff([]string{"cra-draft", "newly-affected", "newly-affected", "now-exploited"}, kinds); diff != "" {
					t.Errorf("notification kinds (-want +got):\n%s", diff)
				}
				// This replica runs no workers: the deliveries wait, queued,
				// until their jobs run here.
				var ds api.List[iotsec.Delivery]
				into(t, check(t, "GET", "/api/v1/notifications/deliveries", "", "", 200), &ds)
				if len(ds.Items) == 0 || len(hook.kinds()) != 0 {
					t.Errorf("%d deliveries, %d notifications at the webhook before any job ran; want some and none", len(ds.Items), len(hook.kinds()))
				}
				for _, d := range ds.Items {
					if d.State != iotsec.DeliveryQueued || d.Channel != iotsec.ChannelWebhook || d.Target != hookSrv.URL {
						t.Errorf("delivery before its job ran: %+v", d)
					}
					job, _, err := a.Store.JobInput(ctx, d.JobID)
					must(t, err)
					if _, err := a.Supply.Deliver(ctx, job.Actor, job.ID); err != nil {
						t.Errorf("deliver %s: %v", d.ID, err)
					}
				}
				tok = viewer
				into(t, check(t, "GET", "/api/v1/notifications/deliveries?limit=500", "", "", 200), &ds)
				for _, d := range ds.Items {
					if d.State != iotsec.DeliverySent || d.Attempts != 1 || d.SentAt.IsZero() {
						t.Errorf("delivery after its job ran: %+v", d)
					}
				}
				tok = otherToken
				into(t, check(t, "GET", "/api/v1/notifications/deliveries", "", "", 200), &ds)
				if len(ds.Items) != 0 {
					t.Errorf("another organisation sees %d deliveries", len(ds.Items))
				}
				tok = token
				hooked := hook.kinds()
				slices.Sort(hooked)
				if diff := cmp.Diff(kinds, hooked); diff != "" || len(hook.bad) > 0 {
					t.Errorf("webhook got kinds (-api +webhook):\n%s\nproblems: %v", diff, hook.bad)
				}
				check(t, "POST", "/api/v1/notifications/read", "application/json", `{"ids":["`+notes.Items[0].ID+`"]}`, 204)
				into(t, check(t, "GET", "/api/v1/notifications?unread=true", "", "", 200), &notes)
				if len(notes.Items) != 3 {
					t.Errorf("%d unread after marking one, want 3", len(notes.Items))
				}
				check(t, "POST", "/api/v1/notifications/read", "application/json", `{}`, 204)
				into(t, check(t, "GET", "/api/v1/notifications?unread=true", "", "", 200), &notes)
				if len(notes.Items) != 0 {
					t.Errorf("%d unread after marking all", len(notes.Items))
				}
				into(t, check(t, "GET", "/api/v1/notifications", "", "", 200), &notes)
				if len(notes.Items) != 4 {
					t.Errorf("%d notifications, want 4", len(notes.Items))
				}
				tok = owner
				into(t, check(t, "PUT", "/api/v1/notify-settings", "application/json", `{"webhook_url":"","webhook_secret":""}`, 200), &set)
				tok = token
				into(t, check(t, "GET", "/api/v1/notify-settings", "", "", 200), &set)
				if set.WebhookURL != "" || set.WebhookSecretSet {
					t.Errorf("cleared notify settings = %+v", set)
				}
			})

			step("support periods", func(t *testing.T) {
				// Support periods.
				var sup struct {
					Items []struct {
						FirmwareID string `json:"firmware_id"`
						Version    string
						Supported  bool
						DaysLeft   *int `json:"days_left"`
						Devices    int
					}
					UnsupportedVersions  int  `json:"unsupported_versions"`
					DevicesUnsupported   int  `json:"devices_unsupported"`
					DeviceCountsComplete bool `json:"device_counts_complete"`
				}
				into(t, check(t, "GET", "/api/v1/support", "", "", 200), &sup)
				byVersion := map[string]string{}
				for _, r := range sup.Items {
					s := "supported"
					if !r.Supported {
						s = "ended"
					}
					if r.DaysLeft != nil && *r.DaysLeft >= 0 == !r.Supported {
						s += " (days_left disagrees)"
					}
					byVersion[r.Version] = s + " " + strings.Repeat("d", r.Devices)
				}
				if diff := cmp.Diff(map[string]string{"1.0": "supported ddd", "0.9": "ended d"}, byVersion); diff != "" ||
					sup.UnsupportedVersions != 1 || sup.DevicesUnsupported != 1 || !sup.DeviceCountsComplete || sup.Items[0].Version != "0.9" {
					t.Errorf("support, ended first (-want +got):\n%s\n%+v", diff, sup)
				}
			})

			step("without its SBOM the version has nothing left to match", func(t *testing.T) {
				// Without its SBOM the version has no components left to match.
				check(t, "DELETE", "/api/v1/firmware/"+fw+"/sbom", "", "", 204)
				check(t, "DELETE", "/api/v1/firmware/"+fw+"/sbom", "", "", 404)
				if left := matches(t, "/api/v1/firmware/"+fw+"/vulnerabilities?suppressed=true"); len(left) != 0 {
					t.Errorf("matches after the SBOM was removed: %v", summary(left))
				}
			})
		})
	}
}

// newToken makes an API token with role in actor's organisation.
func newToken(t *testing.T, a *app.App, actor iotsec.Actor, role iotsec.Role) string {
	t.Helper()
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	must(t, a.Store.CreateToken(context.Background(), actor, &iotsec.Token{Name: string(role), Role: role, Hash: hash}))
	return secret
}
