package supply_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/vex"
)

// The labelled corpus of internal/vuln: 40 NVD records and 171
// nvd-data-overrides records (README there).
var (
	nvdDir       = filepath.Join("..", "vuln", "testdata", "labelled", "nvd")
	overridesDir = filepath.Join("..", "vuln", "testdata", "labelled", "nvd-overrides")
	epssFile     = filepath.Join("..", "vuln", "epss", "testdata", "example-1.csv")
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

const fwSBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
 "metadata":{"component":{"bom-ref":"fw","type":"firmware","name":"Router R100","version":"1.2"}},
 "components":[
  {"bom-ref":"busybox","type":"application","name":"busybox","version":"1.29.3","cpe":"cpe:2.3:a:busybox:busybox:1.29.3:*:*:*:*:*:*:*"},
  {"bom-ref":"dnsmasq","type":"application","name":"dnsmasq","version":"2.84","cpe":"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*"},
  {"bom-ref":"openssl","type":"library","name":"openssl","version":"1.1.1i","cpe":"cpe:2.3:a:openssl:openssl:1.1.1i:*:*:*:*:*:*:*"}
 ]}`

// hook records webhook deliveries.
type hook struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, b)
	h.sigs = append(h.sigs, r.Header.Get(supply.SignatureHeader))
	h.mu.Unlock()
}

// TestSupplyFlow runs the whole flow on both databases, matching three
// ways: candidates loaded per SBOM, an in-memory index of all the data,
// and an index limit the data exceeds (which falls back to loading).
func TestSupplyFlow(t *testing.T) {
	for _, mode := range []struct {
		name  string
		limit int
	}{{"per-sbom", 0}, {"index", 1 << 20}, {"over-limit", 100}} {
		t.Run(mode.name, func(t *testing.T) { supplyFlow(t, mode.limit) })
	}
}

func supplyFlow(t *testing.T, limit int) {
	clock := apptest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	for name, st := range apptest.Stores(t, clock.Now) {
		t.Run(name, func(t *testing.T) {
			clock.Set(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
			ctx := context.Background()
			svc := supply.New(st, nil)
			svc.Now, svc.IndexLimit = clock.Now, limit
			h := &hook{}
			srv := httptest.NewServer(h)
			defer srv.Close()

			// Two organisations; A has a product with two firmware
			// versions and a device on 1.2.
			oa, ob := iotsec.Organisation{Name: "Acme", Country: "NL"}, iotsec.Organisation{Name: "Beta", Country: "DE"}
			must(t, st.CreateOrg(ctx, "t", &oa, ""))
			must(t, st.CreateOrg(ctx, "t", &ob, ""))
			a, b := iotsec.System(oa.ID, "t"), iotsec.System(ob.ID, "t")
			p := iotsec.Product{Name: "Router R100", Model: "R100"}
			must(t, st.CreateProduct(ctx, a, &p))
			fw12 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.2"}
			fw13 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.3"}
			must(t, st.CreateFirmware(ctx, a, &fw12))
			must(t, st.CreateFirmware(ctx, a, &fw13))
			must(t, st.CreateDevice(ctx, a, &iotsec.Device{UID: "r100-0001", ProductID: p.ID, FirmwareID: fw12.ID}))
			must(t, st.SetNotifySettings(ctx, a, iotsec.NotifySettings{WebhookURL: srv.URL, WebhookSecret: "s3cret"}))

			// Import: NVD records, overrides (a directory each), EPSS.
			for _, path := range []string{nvdDir, overridesDir, epssFile} {
				if _, err := svc.Import(ctx, "t", path, ""); err != nil {
					t.Fatalf("import %s: %v", path, err)
				}
			}
			counts := func() map[string]int {
				srcs, _, err := st.VulnSources(ctx)
				must(t, err)
				m := map[string]int{}
				for _, s := range srcs {
					m[s.Kind] = s.Records
				}
				return m
			}
			before := counts()
			if before["nvd"] != 40 || before["nvd-overrides"] != 171 || before["epss"] != 5 {
				t.Fatalf("counts after import = %v, want 40 nvd, 171 overrides, 5 epss", before)
			}
			// Importing again changes nothing; a truncated file changes
			// nothing and says where it broke.
			if _, err := svc.Import(ctx, "t", nvdDir, ""); err != nil {
				t.Fatal(err)
			}
			full, err := os.ReadFile(filepath.Join(nvdDir, "CVE-2023-28450.json"))
			must(t, err)
			bad := filepath.Join(t.TempDir(), "nvd")
			must(t, os.MkdirAll(bad, 0o755))
			must(t, os.WriteFile(filepath.Join(bad, "a-good.json"), full, 0o644))
			must(t, os.WriteFile(filepath.Join(bad, "b-truncated.json"), full[:len(full)/2], 0o644))
			_, err = svc.Import(ctx, "t", bad, "nvd")
			if !errors.Is(err, iotsec.ErrInvalid) || !strings.Contains(err.Error(), "b-truncated.json") || !strings.Contains(err.Error(), "nothing was imported") {
				t.Errorf("truncated import error = %v, want invalid input naming b-truncated.json", err)
			}
			if diff := cmp.Diff(before, counts()); diff != "" {
				t.Errorf("counts changed by repeated and broken imports (-before +after):\n%s", diff)
			}

			// A maker's SBOM for both versions: the labelled CVEs appear
			// with reasons and fixed versions.
			for _, fw := range []string{fw12.ID, fw13.ID} {
				if _, _, err := svc.ImportSBOM(ctx, a, fw, "fw.cdx.json", []byte(fwSBOM)); err != nil {
					t.Fatal(err)
				}
			}
			ms, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw12.ID})
			must(t, err)
			got := map[string]iotsec.VulnMatch{}
			for _, m := range ms {
				got[m.Component+" "+m.VulnID] = m
			}
			for _, want := range []struct{ key, fixed, reason string }{
				{"busybox CVE-2018-1000500", "1.32.0", "versions < 1.32.0 matched 1.29.3"},
				{"dnsmasq CVE-2023-28450", "2.90", "versions < 2.90 matched 2.84"},
				{"dnsmasq CVE-2022-0934", "2.87", "versions < 2.87 matched 2.84"},
				{"dnsmasq CVE-2026-2291", "2.93rc1", "via alias a:thekelleys:dnsmasq -> a:dnsmasq:dnsmasq"},
			} {
				m, ok := got[want.key]
				if !ok {
					t.Errorf("no match %s", want.key)
					continue
				}
				vm, err := supply.MatchOf(m)
				must(t, err)
				if m.FixedVersion != want.fixed || !strings.Contains(vm.Reason, want.reason) {
					t.Errorf("%s: fixed %q, reason %q; want fixed %q and reason with %q", want.key, m.FixedVersion, vm.Reason, want.fixed, want.reason)
				}
			}
			if _, ok := got["dnsmasq CVE-2019-14834"]; ok {
				t.Error("dnsmasq 2.84 matched CVE-2019-14834, which ends before 2.81")
			}
			if m := got["busybox CVE-2018-1000500"]; m.Severity != "high" || m.Score != 8.1 || m.ProductID != p.ID || m.Version != "1.2" {
				t.Errorf("busybox CVE-2018-1000500 = %+v", m)
			}
			notes, err := st.ListNotifications(ctx, a, true, 1000)
			must(t, err)
			if len(notes) == 0 || !slices.ContainsFunc(notes, func(n iotsec.Notification) bool { return strings.Contains(n.Title, "CVE-2023-28450") }) {
				t.Errorf("no newly-affected notification for CVE-2023-28450 among %d", len(notes))
			}

			// VEX: not affected in busybox of 1.2 only.
			v := iotsec.VEXStatement{FirmwareID: fw12.ID, VulnID: "CVE-2018-1000500", Component: "busybox", Status: iotsec.VEXNotAffected,
				Justification: "vulnerable_code_not_present", Impact: "the wget applet is not built"}
			must(t, st.AddVEX(ctx, a, &v))
			if _, err := svc.Rematch(ctx, a, fw12.ID); err != nil {
				t.Fatal(err)
			}
			open12, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw12.ID, VulnID: "CVE-2018-1000500"})
			must(t, err)
			all12, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw12.ID, VulnID: "CVE-2018-1000500", Suppressed: true})
			must(t, err)
			open13, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw13.ID, VulnID: "CVE-2018-1000500"})
			must(t, err)
			if len(open12) != 0 || len(all12) != 1 || !all12[0].Suppressed || all12[0].VEXStatus != "not_affected" || len(open13) != 1 {
				t.Errorf("after VEX: open in 1.2 %d, all in 1.2 %d, open in 1.3 %d; want 0, 1 (suppressed), 1", len(open12), len(all12), len(open13))
			}

			// Exports read back.
			for _, f := range supply.SBOMFormats() {
				var buf bytes.Buffer
				must(t, svc.WriteSBOM(ctx, a, fw12.ID, f, &buf))
				d, _, err := sbom.Decode(&buf, "out", sbom.DefaultLimits())
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if len(d.Components) != 3 {
					t.Errorf("%s: %d components, want 3", f, len(d.Components))
				}
			}
			for _, f := range supply.VEXFormats() {
				var buf bytes.Buffer
				must(t, svc.WriteVEX(ctx, a, fw12.ID, f, &buf))
				stmts, err := vex.Read(buf.Bytes(), "out", vex.DefaultLimits())
				if err != nil {
					t.Fatalf("%s: %v\n%s", f, err, buf.String())
				}
				if len(stmts) != 1 || stmts[0].Vulnerability != "CVE-2018-1000500" || stmts[0].Status != vuln.StatusNotAffected {
					t.Errorf("%s: read back %+v", f, stmts)
				}
			}

			// A new KEV entry: the next re-match drafts a CRA report with
			// three deadlines and notifies (webhook, signed).
			clock.Add(time.Hour)
			kevFile := filepath.Join(t.TempDir(), "kev.json")
			must(t, os.WriteFile(kevFile, []byte(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2026.11.20","dateReleased":"2026-11-20T10:00:00.000Z","count":1,
				"vulnerabilities":[{"cveID":"CVE-2023-28450","vendorProject":"Thekelleys","product":"dnsmasq","vulnerabilityName":"dnsmasq EDNS0 UDP packet size","dateAdded":"2026-11-20","shortDescription":"x","requiredAction":"Apply updates per vendor instructions.","dueDate":"2026-12-11","knownRansomwareCampaignUse":"Unknown","notes":"","cwes":[]}]}`), 0o644))
			if _, err := svc.Import(ctx, "t", kevFile, ""); err != nil {
				t.Fatal(err)
			}
			sum, err := svc.RematchAll(ctx)
			must(t, err)
			if sum.CRADrafts != 1 || sum.Failed != 0 {
				t.Fatalf("re-match summary %+v, want one CRA draft (one product)", sum)
			}
			reps, err := st.ListCRAReports(ctx, a)
			must(t, err)
			if len(reps) != 1 || reps[0].VulnID != "CVE-2023-28450" || reps[0].ProductID != p.ID {
				t.Fatalf("CRA reports %+v", reps)
			}
			view, err := svc.CRA(reps[0])
			must(t, err)
			aware := clock.Now().UTC()
			var dl []string
			for _, d := range view.Deadlines {
				dl = append(dl, d.Report+" "+d.Due.Format(time.RFC3339)+" "+d.Rule)
			}
			want := []string{
				"early warning " + aware.Add(24*time.Hour).Format(time.RFC3339) + " Art. 14(2)(a)",
				"vulnerability notification " + aware.Add(72*time.Hour).Format(time.RFC3339) + " Art. 14(2)(b)",
				"final report 0001-01-01T00:00:00Z Art. 14(2)(c)",
			}
			if diff := cmp.Diff(want, dl); diff != "" {
				t.Errorf("deadlines (-want +got):\n%s", diff)
			}
			// Two days on, a fix is available (a fix time is recorded
			// once it is, never ahead).
			fix := aware.Add(48 * time.Hour)
			clock.Add(48 * time.Hour)
			view, err = svc.UpdateCRA(ctx, a, reps[0].ID, &fix, []string{supply.StageEarly}, map[string]string{"general_nature": "heap overflow"})
			must(t, err)
			if d := view.Deadlines[2]; !d.Due.Equal(fix.Add(14 * 24 * time.Hour)) {
				t.Errorf("final report due %v, want 14 days after the fix %v", d.Due, fix)
			}
			if view.Deadlines[0].Sent.IsZero() || view.Fields["general_nature"] != "heap overflow" {
				t.Errorf("update not kept: %+v", view)
			}
			if _, err := svc.UpdateCRA(ctx, a, reps[0].ID, nil, []string{"lunch"}, nil); !errors.Is(err, iotsec.ErrInvalid) {
				t.Errorf("unknown stage: %v, want invalid", err)
			}
			// Matching queued one webhook delivery per batch (no mail
			// relay: no e-mail); running them sends each batch once.
			sent := deliverAll(t, svc, st, a)
			if sent == 0 {
				t.Error("no deliveries were queued")
			}
			h.mu.Lock()
			if len(h.bodies) != sent {
				t.Errorf("%d webhooks for %d deliveries", len(h.bodies), sent)
			}
			drafts := 0
			for i, body := range h.bodies {
				if h.sigs[i] != supply.Sign("s3cret", body) {
					t.Errorf("webhook %d: signature %q does not verify", i, h.sigs[i])
				}
				if bytes.Contains(body, []byte(`"kind":"cra-draft"`)) {
					drafts++
				}
			}
			h.mu.Unlock()
			if drafts != 1 {
				t.Errorf("%d webhooks carried a CRA draft notification, want 1", drafts)
			}
			// Its deadline reads as a date for people, not an ISO timestamp.
			craNotes, err := st.ListNotifications(ctx, a, true, 1000)
			must(t, err)
			for _, n := range craNotes {
				if n.Kind == "cra-draft" && (!strings.Contains(n.Body, aware.Add(24*time.Hour).Format("2 January 2006, 15:04 UTC")) ||
					regexp.MustCompile(`\d{4}-\d\d-\d\dT`).MatchString(n.Body)) {
					t.Errorf("CRA draft notification: %q, want its deadline as a date for people", n.Body)
				}
			}

			// A vendor's OpenVEX document, imported as data, applies to
			// the firmware version it names by purl.
			vexFile := filepath.Join(t.TempDir(), "vendor.openvex.json")
			must(t, os.WriteFile(vexFile, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://vendor.example/vex/1","author":"Vendor","timestamp":"2026-11-20T09:00:00Z","version":1,
				"statements":[{"vulnerability":{"name":"CVE-2022-0934"},"products":[{"@id":"pkg:generic/r100@1.3","subcomponents":[{"@id":"dnsmasq"}]}],
				"status":"not_affected","justification":"vulnerable_code_not_present","timestamp":"2026-11-20T09:00:00Z"}]}`), 0o644))
			if imp, err := svc.Import(ctx, "t", vexFile, ""); err != nil || imp.Kind != supply.KindVEX {
				t.Fatalf("import vendor VEX: %+v, %v", imp, err)
			}
			if _, err := svc.RematchAll(ctx); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				fw   string
				want bool
			}{{fw13.ID, true}, {fw12.ID, false}} {
				ms, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: c.fw, VulnID: "CVE-2022-0934", Suppressed: true})
				must(t, err)
				if len(ms) != 1 || ms[0].Suppressed != c.want {
					t.Errorf("CVE-2022-0934 in %s after the vendor's VEX: %+v, want suppressed %v", c.fw, ms, c.want)
				}
			}

			// CSAF for the product names both versions and the CVE.
			var csafOut bytes.Buffer
			must(t, svc.WriteCSAF(ctx, a, p.ID, &csafOut))
			stmts, err := vex.Read(csafOut.Bytes(), "csaf", vex.DefaultLimits())
			must(t, err)
			status := map[string]string{}
			for _, s := range stmts {
				if s.Vulnerability == "CVE-2018-1000500" {
					status[s.Product.Version] = s.Status
				}
			}
			if diff := cmp.Diff(map[string]string{"1.2": "not_affected", "1.3": "affected"}, status); diff != "" {
				t.Errorf("CSAF statuses of CVE-2018-1000500 (-want +got):\n%s", diff)
			}

			// Another organisation sees none of it.
			if _, err := svc.Components(ctx, b, fw12.ID); !errors.Is(err, iotsec.ErrNotFound) {
				t.Errorf("other org reading components: %v, want not found", err)
			}
			if ms, err := st.ListMatches(ctx, b, iotsec.MatchFilter{VulnID: "CVE-2023-28450", Suppressed: true}); err != nil || len(ms) != 0 {
				t.Errorf("other org sees %d matches (%v)", len(ms), err)
			}
			if _, err := st.GetCRAReport(ctx, b, reps[0].ID); !errors.Is(err, iotsec.ErrNotFound) {
				t.Errorf("other org reading the CRA report: %v, want not found", err)
			}
			if err := st.AddVEX(ctx, iotsec.Actor{OrgID: oa.ID, Role: iotsec.RoleViewer}, &iotsec.VEXStatement{FirmwareID: fw12.ID, VulnID: "CVE-1", Status: "fixed"}); !errors.Is(err, iotsec.ErrForbidden) {
				t.Errorf("viewer adding VEX: %v, want forbidden", err)
			}

			// A scanned version (no SBOM) is matched from its components.
			fw20 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "2.0"}
			must(t, st.CreateFirmware(ctx, a, &fw20))
			img := []byte("firmware image bytes")
			sum256 := sha256.Sum256(img)
			job := iotsec.Job{Kind: "firmware-scan"}
			must(t, st.SaveImage(ctx, a, fw20.ID, iotsec.Image{Digest: "sha256:" + hex.EncodeToString(sum256[:]), Name: "fw.bin", Size: int64(len(img))}, bytes.NewReader(img), &job, []byte(`{}`)))
			must(t, st.SaveScan(ctx, a, fw20.ID, iotsec.ScanRecord{Components: []iotsec.Component{
				{Name: "dnsmasq", Version: "2.89", CPE: "cpe:2.3:a:thekelleys:dnsmasq:2.89:*:*:*:*:*:*:*", Path: "usr/sbin/dnsmasq"}}}, "", nil))
			res, err := svc.Rematch(ctx, a, fw20.ID)
			must(t, err)
			ids := []string{}
			for _, m := range res.New {
				ids = append(ids, m.VulnID)
			}
			if res.Source != "scan" || !slices.Contains(ids, "CVE-2023-28450") || slices.Contains(ids, "CVE-2022-0934") {
				t.Errorf("scanned 2.0: source %s, new %v; want scan, CVE-2023-28450 but not CVE-2022-0934 (fixed in 2.87)", res.Source, ids)
			}

			// The re-match job over the organisation: three versions,
			// every stored match again, nothing new.
			out, err := (&supply.Handler{Service: svc}).Run(ctx, iotsec.Job{Kind: supply.JobKind, Actor: a}, nil)
			must(t, err)
			var sum2 supply.Summary
			must(t, json.Unmarshal(out, &sum2))
			all, err := st.ListMatches(ctx, a, iotsec.MatchFilter{Suppressed: true, Limit: 10000})
			must(t, err)
			if sum2.Firmware != 3 || sum2.Matches != len(all) || sum2.New != 0 || sum2.CRADrafts != 0 {
				t.Errorf("re-match job = %+v, want 3 versions, %d matches, nothing new", sum2, len(all))
			}

			// The CRA report rule: every version with an open
			// known-exploited match is covered, one report per product.
			// Both versions share the report; a version matched later
			// joins it, one of another product gets its own, and each
			// version's view says which report covers it.
			clockOf := func(fwID string) supply.CRAClock {
				t.Helper()
				v, err := svc.Firmware(ctx, a, fwID)
				must(t, err)
				if len(v.Clocks) != 1 || v.Clocks[0].VulnID != "CVE-2023-28450" || v.Clocks[0].Report == nil {
					t.Fatalf("clocks of %s = %+v, want one for CVE-2023-28450 with its report", fwID, v.Clocks)
				}
				return v.Clocks[0]
			}
			reps, err = st.ListCRAReports(ctx, a)
			must(t, err)
			c12, c13 := clockOf(fw12.ID), clockOf(fw13.ID)
			if c12.Report.ID != reps[0].ID || c13.Report.ID != reps[0].ID || c12.FoundElsewhere == c13.FoundElsewhere {
				t.Errorf("clocks of 1.2 %+v and 1.3 %+v, want both on %s, found in one of them", c12, c13, reps[0].ID)
			}
			fw14 := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.4"}
			must(t, st.CreateFirmware(ctx, a, &fw14))
			p2 := iotsec.Product{Name: "Router R200", Model: "R200"}
			must(t, st.CreateProduct(ctx, a, &p2))
			fwR200 := iotsec.FirmwareVersion{ProductID: p2.ID, Version: "2.0"}
			must(t, st.CreateFirmware(ctx, a, &fwR200))
			for _, fw := range []string{fw14.ID, fwR200.ID} {
				if _, _, err := svc.ImportSBOM(ctx, a, fw, "fw.cdx.json", []byte(fwSBOM)); err != nil {
					t.Fatal(err)
				}
			}
			if c := clockOf(fw14.ID); c.Report.ID != reps[0].ID || !c.FoundElsewhere {
				t.Errorf("a version matched later: %+v, want the product's report %s", c, reps[0].ID)
			}
			if c := clockOf(fwR200.ID); c.Report.ID == reps[0].ID || c.Report.ProductID != p2.ID || c.FoundElsewhere {
				t.Errorf("a version of another product: %+v, want a report of its own", c)
			}
		})
	}
}

// deliverAll runs the queued deliveries of a's organisation, as their
// jobs would, and returns how many there were; each must be sent.
func deliverAll(t *testing.T, svc *supply.Service, st iotsec.Store, a iotsec.Actor) int {
	t.Helper()
	ds, err := st.ListDeliveries(context.Background(), a, 0)
	must(t, err)
	n := 0
	for _, d := range ds {
		if d.State != iotsec.DeliveryQueued {
			continue
		}
		if d.Channel != iotsec.ChannelWebhook {
			t.Errorf("delivery over %s, want webhook only", d.Channel)
		}
		if _, err := svc.Deliver(context.Background(), a, d.JobID); err != nil {
			t.Errorf("deliver %s: %v", d.ID, err)
		}
		n++
	}
	return n
}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	tests := []struct {
		path, want string
	}{
		{filepath.Join(nvdDir, "CVE-2023-28450.json"), supply.KindNVD},
		{write("feed.json", `{"resultsPerPage":1,"vulnerabilities":[]}`), supply.KindNVD},
		{write("override.json", `{"_annotation":{},"cve":{}}`), supply.KindNVD},
		{write("kev.json", `{"title":"x","catalogVersion":"1","vulnerabilities":[]}`), supply.KindKEV},
		{write("osv.json", `{"schema_version":"1.6.0","id":"GHSA-x"}`), supply.KindOSV},
		{write("osv2.json", `{"id":"OSV-1","modified":"2024-01-01T00:00:00Z"}`), supply.KindOSV},
		{write("openvex.json", `{"@context":"https://openvex.dev/ns/v0.2.0"}`), supply.KindVEX},
		{write("cdx.json", `{"bomFormat":"CycloneDX"}`), supply.KindVEX},
		{write("csaf.json", `{"document":{"csaf_version":"2.0"}}`), supply.KindVEX},
		{write("scores.csv", "cve,epss,percentile\n"), supply.KindEPSS},
		{write("all.zip", "PK"), supply.KindOSV},
		{epssFile, supply.KindEPSS},
		{write("other.json", `{"hello":"world"}`), ""},
		{write("array.json", `[1,2]`), ""},
	}
	for _, tt := range tests {
		got, err := supply.Detect(tt.path)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("Detect(%s) = %q, %v; want %q", filepath.Base(tt.path), got, err, tt.want)
		}
	}
}

func TestVEXNormalize(t *testing.T) {
	tests := []struct {
		v     iotsec.VEXStatement
		field string
	}{
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "not_affected", Justification: "component_not_present"}, ""},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "not_affected", Impact: "not reachable"}, ""},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "not_affected"}, "justification"},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "not_affected", Justification: "because"}, "justification"},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "affected"}, "action"},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "affected", Action: "update"}, ""},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "fixed", Justification: "component_not_present"}, "justification"},
		{iotsec.VEXStatement{VulnID: "CVE-1", Status: "maybe"}, "status"},
		{iotsec.VEXStatement{Status: "fixed"}, "vulnerability"},
	}
	for _, tt := range tests {
		err := tt.v.Normalize()
		var e *iotsec.Error
		got := ""
		if errors.As(err, &e) {
			got = e.Field
		}
		if got != tt.field {
			t.Errorf("%+v: field %q (%v), want %q", tt.v, got, err, tt.field)
		}
	}
}
