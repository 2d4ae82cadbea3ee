package evaluation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/firmware/firmwaretest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

func newEngine(t *testing.T) *assess.Engine {
	t.Helper()
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	e, err := assess.New(cat)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture is one organisation with a product and a firmware version, and
// a second organisation that must not see them.
type fixture struct {
	ctx   context.Context
	st    *sqlstore.Store
	svc   *evaluation.Service
	owner iotsec.Actor
	other iotsec.Actor
	fw    iotsec.FirmwareVersion
}

func newFixture(t *testing.T, st *sqlstore.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background(), st: st, svc: evaluation.New(st, newEngine(t))}
	oa, ob := iotsec.Organisation{Name: "Acme", Country: "NL"}, iotsec.Organisation{Name: "Beta", Country: "DE"}
	must(t, st.CreateOrg(f.ctx, "t", &oa, ""))
	must(t, st.CreateOrg(f.ctx, "t", &ob, ""))
	f.owner, f.other = iotsec.System(oa.ID, "t"), iotsec.System(ob.ID, "t")
	p := iotsec.Product{Name: "Router R100", Model: "R100"}
	must(t, st.CreateProduct(f.ctx, f.owner, &p))
	f.fw = iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.2"}
	must(t, st.CreateFirmware(f.ctx, f.owner, &f.fw))
	return f
}

// as is the fixture's organisation under another role.
func (f *fixture) as(role iotsec.Role) iotsec.Actor {
	a := f.owner
	a.Role = role
	return a
}

// wantInvalid fails unless err is an invalid input about field.
func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var e *iotsec.Error
	if !errors.As(err, &e) || e.Kind != iotsec.ErrInvalid || e.Field != field {
		t.Errorf("%s: error %v, want invalid %q", what, err, field)
	}
}

// TestUploadScanLoad takes an image through the whole capability: upload
// (spool, store, queue), the scan job, and the verdicts decided from what
// was stored, on every database.
func TestUploadScanLoad(t *testing.T) {
	for name, st := range apptest.Stores(t, nil) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, st)
			var after []string
			f.svc.AfterScan = func(ctx context.Context, a iotsec.Actor, firmwareID string) error {
				after = append(after, firmwareID)
				return nil
			}

			// Before any scan: no findings, verdicts from nothing.
			before, err := f.svc.Load(f.ctx, f.owner, f.fw.ID, nil)
			must(t, err)
			if before.Scanned || len(before.Result.Findings) != 0 || before.Result.Verdicts["sg-cls"].Status != evaluation.StatusIncomplete {
				t.Errorf("before the scan: scanned %v, %d findings, sg-cls %q", before.Scanned, len(before.Result.Findings), before.Result.Verdicts["sg-cls"].Status)
			}

			img := firmwaretest.Router()
			job, err := f.svc.Upload(f.ctx, f.owner, f.fw.ID, "../dir/router\x00.bin", bytes.NewReader(img))
			must(t, err)
			if job.Kind != evaluation.JobKind || job.ID == "" {
				t.Fatalf("upload queued %+v", job)
			}
			sc, err := st.GetScan(f.ctx, f.owner, f.fw.ID)
			must(t, err)
			if sc.State != iotsec.ScanQueued || sc.Image.Name != "router.bin" || sc.Image.Size != int64(len(img)) || sc.JobID != job.ID {
				t.Errorf("queued scan %+v", sc)
			}

			// The queue hands the job to the handler as the store keeps it.
			stored, input, err := st.JobInput(f.ctx, job.ID)
			must(t, err)
			h := &evaluation.Handler{Service: f.svc}
			if h.Kind() != "firmware-scan" {
				t.Errorf("handler kind %q", h.Kind())
			}
			out, err := h.Run(f.ctx, stored, input)
			must(t, err)
			var res evaluation.JobResult
			must(t, json.Unmarshal(out, &res))
			if res.FirmwareID != f.fw.ID || res.Findings < 10 || res.Components < 5 || res.Statuses["sg-cls"] != evaluation.StatusNotMet {
				t.Errorf("job result %+v", res)
			}
			if !cmp.Equal(after, []string{f.fw.ID}) {
				t.Errorf("AfterScan ran for %v, want once for %s", after, f.fw.ID)
			}
			got, err := st.GetJob(f.ctx, f.owner, job.ID)
			must(t, err)
			if got.Done != 10 || got.Total != 10 {
				t.Errorf("job progress %d/%d, want 10/10", got.Done, got.Total)
			}

			// The verdicts of the schemes asked for, from the stored scan.
			refs, err := f.svc.SchemeRefs([]string{"sg-cls:1", "uk-psti"})
			must(t, err)
			ev, err := f.svc.Load(f.ctx, f.owner, f.fw.ID, refs)
			must(t, err)
			var schemes []string
			for _, v := range ev.Result.Schemes {
				schemes = append(schemes, v.Scheme)
			}
			if !ev.Scanned || !cmp.Equal(schemes, []string{"sg-cls", "uk-psti"}) || len(ev.Result.Verdicts) != 2 {
				t.Errorf("scanned %v, schemes %v", ev.Scanned, schemes)
			}
			if len(ev.Result.Findings) != res.Findings || ev.Result.Findings[0].Rule != "credentials.default-password" {
				t.Errorf("loaded %d findings (job stored %d), first %+v", len(ev.Result.Findings), res.Findings, ev.Result.Findings[0])
			}
			if ev.Result.Image.SHA256 == "" || strings.HasPrefix(ev.Result.Image.SHA256, "sha256:") || ev.Result.Image.Name != "router.bin" {
				t.Errorf("loaded image %+v", ev.Result.Image)
			}
			if r, ok := ev.Result.Assessment.Result("5.1-1"); !ok || r.Verdict != evaluation.Fail {
				t.Errorf("5.1-1 = %+v, want FAIL from the default password", r)
			}

			// The report names the product and version and when it was
			// scanned.
			rep, err := f.svc.Report(f.ctx, f.owner, f.fw.ID, refs)
			must(t, err)
			scanned, err := st.GetScan(f.ctx, f.owner, f.fw.ID)
			must(t, err)
			want := report.Meta{Tool: "iotsec test", Product: "Router R100 R100", Version: "1.2", Generated: scanned.ScannedAt}
			if diff := cmp.Diff(want, rep.Meta("iotsec test")); diff != "" || scanned.ScannedAt.IsZero() {
				t.Errorf("report meta (-want +got):\n%s", diff)
			}
			if len(rep.Result.Verdicts) != 2 || rep.Firmware.ID != f.fw.ID || !rep.Scanned {
				t.Errorf("report: %d verdicts, firmware %q, scanned %v", len(rep.Result.Verdicts), rep.Firmware.ID, rep.Scanned)
			}
			if _, err := f.svc.Report(f.ctx, f.other, f.fw.ID, nil); iotsec.Kind(err) != iotsec.ErrNotFound {
				t.Errorf("another organisation's report: %v", err)
			}

			// Another organisation sees nothing of it.
			other, err := f.svc.Load(f.ctx, f.other, f.fw.ID, nil)
			if err != nil && iotsec.Kind(err) != iotsec.ErrNotFound || err == nil && (other.Scanned || len(other.Result.Findings) != 0) {
				t.Errorf("another organisation loads the evaluation: %v", err)
			}
		})
	}
}

// TestUploadRefused checks what Upload refuses, and that a refused
// upload queues nothing.
func TestUploadRefused(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	f := newFixture(t, st)
	f.svc.MaxImage = 1 << 10
	for _, tt := range []struct {
		name string
		a    iotsec.Actor
		fw   string
		body []byte
		want error
	}{
		{"empty", f.owner, f.fw.ID, nil, iotsec.ErrInvalid},
		{"too large", f.owner, f.fw.ID, make([]byte, 1<<10+1), iotsec.ErrTooLarge},
		{"viewer", f.as(iotsec.RoleViewer), f.fw.ID, []byte("image"), iotsec.ErrForbidden},
		{"assessor", f.as(iotsec.RoleAssessor), f.fw.ID, []byte("image"), iotsec.ErrForbidden},
		{"another organisation's firmware", f.other, f.fw.ID, []byte("image"), iotsec.ErrNotFound},
		{"no such firmware", f.owner, "fw_none", []byte("image"), iotsec.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Upload(f.ctx, tt.a, tt.fw, "x.bin", bytes.NewReader(tt.body))
			if iotsec.Kind(err) != tt.want {
				t.Errorf("error %v, want kind %v", err, tt.want)
			}
		})
	}
	if _, err := st.GetScan(f.ctx, f.owner, f.fw.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
		t.Errorf("a refused upload left a scan: %v", err)
	}
	// At the limit exactly is allowed.
	if _, err := f.svc.Upload(f.ctx, f.owner, f.fw.ID, "", bytes.NewReader(make([]byte, 1<<10))); err != nil {
		t.Errorf("upload of MaxImage bytes: %v", err)
	}
	if sc, err := st.GetScan(f.ctx, f.owner, f.fw.ID); err != nil || sc.Image.Name != "image.bin" {
		t.Errorf("unnamed upload stored as %+v, %v; want image.bin", sc.Image, err)
	}
}

// TestScanJobFails: an image nothing can be read from within the
// service's limits fails its job as bad input (so it is not retried) and
// records why on the scan; bad job input is refused.
func TestScanJobFails(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	f := newFixture(t, st)
	f.svc.AfterScan = func(context.Context, iotsec.Actor, string) error {
		t.Error("AfterScan ran after a failed scan")
		return nil
	}
	// 4 MiB of zeros, packed: the default limits unpack it, 1 MiB does not.
	f.svc.Limits = firmware.Limits{MaxBytes: 1 << 20}
	job, err := f.svc.Upload(f.ctx, f.owner, f.fw.ID, "packed.bin", bytes.NewReader(firmwaretest.Gzip(make([]byte, 4<<20))))
	must(t, err)
	stored, input, err := st.JobInput(f.ctx, job.ID)
	must(t, err)
	h := &evaluation.Handler{Service: f.svc}
	if _, err := h.Run(f.ctx, stored, input); iotsec.Kind(err) != iotsec.ErrInvalid {
		t.Errorf("scan of noise: %v, want invalid", err)
	}
	sc, err := st.GetScan(f.ctx, f.owner, f.fw.ID)
	must(t, err)
	if sc.State != iotsec.ScanFailed || !strings.Contains(sc.Error, "no file could be read") || !strings.Contains(sc.Error, "exceed") {
		t.Errorf("failed scan stored as %q: %q", sc.State, sc.Error)
	}
	for _, tt := range []struct {
		input string
		want  error
	}{
		{`{}`, iotsec.ErrInvalid},
		{`nope`, iotsec.ErrInvalid},
		{`{"firmware_id":"fw_none"}`, iotsec.ErrNotFound},
	} {
		if _, err := h.Run(f.ctx, stored, []byte(tt.input)); iotsec.Kind(err) != tt.want {
			t.Errorf("input %s: %v, want %v", tt.input, err, tt.want)
		}
	}
}

// TestRecordEvidence checks records against the catalog, naming the
// field at fault, and that a stored record decides its provision.
func TestRecordEvidence(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	f := newFixture(t, st)
	// Compare what the caller gave, not what the store adds.
	cmpEvidence := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".ID", ".OrgID", ".Assessor", ".CreatedAt":
			return true
		}
		return false
	}, cmp.Ignore())
	for _, tt := range []struct {
		name  string
		a     iotsec.Actor
		in    evaluation.EvidenceInput
		field string // the invalid field; "" for a stored record
		kind  error
	}{
		{"bad verdict", f.owner, evaluation.EvidenceInput{Provision: "5.2-1", Verdict: "GOOD", Rationale: "r"}, "verdict", iotsec.ErrInvalid},
		{"unknown provision", f.owner, evaluation.EvidenceInput{Provision: "9.9-9", Verdict: "PASS", Rationale: "r"}, "provision", iotsec.ErrInvalid},
		{"unknown test case", f.owner, evaluation.EvidenceInput{Provision: "5.2-1", TestCase: "5.1-1-1", Verdict: "PASS", Rationale: "r"}, "test_case", iotsec.ErrInvalid},
		{"no rationale", f.owner, evaluation.EvidenceInput{Provision: "5.2-1", Verdict: "PASS", Rationale: "  "}, "rationale", iotsec.ErrInvalid},
		{"override of a FAIL", f.owner, evaluation.EvidenceInput{Provision: "5.2-1", Verdict: "FAIL", Rationale: "r", Override: true}, "override", iotsec.ErrInvalid},
		{"maker", f.as(iotsec.RoleMaker), evaluation.EvidenceInput{Provision: "5.2-1", Verdict: "PASS", Rationale: "r"}, "", iotsec.ErrForbidden},
		{"another organisation", f.other, evaluation.EvidenceInput{Provision: "5.2-1", Verdict: "PASS", Rationale: "r"}, "", iotsec.ErrNotFound},
		{"assessor", f.as(iotsec.RoleAssessor), evaluation.EvidenceInput{Provision: " 5.2-1 ", TestCase: "5.2-1-1", Verdict: "pass",
			Rationale: " policy published at /security.txt "}, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := f.svc.RecordEvidence(f.ctx, tt.a, f.fw.ID, tt.in)
			switch {
			case tt.field != "":
				wantInvalid(t, tt.name, err, tt.field)
			case iotsec.Kind(err) != tt.kind:
				t.Errorf("error %v, want kind %v", err, tt.kind)
			case err == nil:
				want := iotsec.Evidence{FirmwareID: f.fw.ID, Provision: "5.2-1", TestCase: "5.2-1-1", Verdict: "PASS", Rationale: "policy published at /security.txt"}
				if diff := cmp.Diff(want, rec, cmpEvidence); diff != "" {
					t.Errorf("stored record (-want +got):\n%s", diff)
				}
			}
		})
	}
	ev, err := f.svc.Load(f.ctx, f.owner, f.fw.ID, nil)
	must(t, err)
	if len(ev.Evidence) != 1 || ev.Evidence[0].Assessor == "" {
		t.Fatalf("stored evidence %+v, want the assessor's one record", ev.Evidence)
	}
	r, _ := ev.Result.Assessment.Result("5.2-1")
	if r.Source != assess.SourceAssessor || len(r.Tests) == 0 {
		t.Errorf("5.2-1 = %+v, want decided by the assessor's record", r)
	}
}

// TestICS saves an ICS as CSV and as JSON, reads it back both ways, and
// checks that it decides its provisions.
func TestICS(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	f := newFixture(t, st)

	blank, err := f.svc.ICS(f.ctx, f.owner, f.fw.ID)
	must(t, err)
	if blank.Product != "Router R100 (R100)" || blank.Version != "1.2" || len(blank.Entries) != len(f.svc.Provisions()) {
		t.Errorf("blank ICS: %q %q, %d entries for %d provisions", blank.Product, blank.Version, len(blank.Entries), len(f.svc.Provisions()))
	}
	for _, e := range blank.Entries {
		if e.Support != "" {
			t.Errorf("blank ICS states %s: %q", e.Provision, e.Support)
		}
	}

	saved, err := f.svc.SaveICS(f.ctx, f.owner, f.fw.ID, strings.NewReader("provision,support,detail\n5.3-13,N/A,no support period\n5.1-1,Y,unique passwords\n"))
	must(t, err)
	support := map[string]string{}
	for _, e := range saved.Entries {
		if e.Support != "" {
			support[e.Provision] = e.Support + " " + e.Detail
		}
	}
	if diff := cmp.Diff(map[string]string{"5.3-13": "N/A no support period", "5.1-1": "Y unique passwords"}, support); diff != "" {
		t.Errorf("saved ICS (-want +got):\n%s", diff)
	}
	got, err := f.svc.ICS(f.ctx, f.owner, f.fw.ID)
	must(t, err)
	if diff := cmp.Diff(saved, got, cmp.AllowUnexported(evaluation.ICS{})); diff != "" {
		t.Errorf("ICS after SaveICS differs from what SaveICS returned (-saved +got):\n%s", diff)
	}

	// The CSV it offers reads back to the same statement.
	csv, err := f.svc.ICSCSV(f.ctx, f.owner, f.fw.ID)
	must(t, err)
	if !bytes.Contains(csv, []byte(",N/A,no support period")) {
		t.Errorf("ICS CSV lacks the N/A row:\n%s", csv)
	}
	again, err := f.svc.SaveICS(f.ctx, f.owner, f.fw.ID, bytes.NewReader(csv))
	must(t, err)
	if diff := cmp.Diff(saved.Entries, again.Entries); diff != "" {
		t.Errorf("CSV round trip (-before +after):\n%s", diff)
	}
	// And JSON.
	js, err := json.Marshal(saved)
	must(t, err)
	again, err = f.svc.SaveICS(f.ctx, f.owner, f.fw.ID, bytes.NewReader(js))
	must(t, err)
	if diff := cmp.Diff(saved.Entries, again.Entries); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}

	ev, err := f.svc.Load(f.ctx, f.owner, f.fw.ID, nil)
	must(t, err)
	if r, _ := ev.Result.Assessment.Result("5.3-13"); r.Verdict != evaluation.NotApplicable || r.Source != assess.SourceICS {
		t.Errorf("5.3-13 = %s from %s, want NOT-APPLICABLE from the ICS", r.Verdict, r.Source)
	}

	for _, tt := range []struct {
		name, body string
	}{
		{"unknown provision", "provision,support\n9.9-9,Y\n"},
		{"bad support", "provision,support\n5.1-1,maybe\n"},
		{"not an ICS", "{"},
	} {
		_, err := f.svc.SaveICS(f.ctx, f.owner, f.fw.ID, strings.NewReader(tt.body))
		wantInvalid(t, tt.name, err, "ics")
	}
	if _, err := f.svc.ICS(f.ctx, f.other, f.fw.ID); iotsec.Kind(err) != iotsec.ErrNotFound {
		t.Errorf("another organisation's ICS: %v", err)
	}
}

// TestIXIT replaces and appends IXIT items; the catalog's categories
// only.
func TestIXIT(t *testing.T) {
	st := apptest.Stores(t, nil)["sqlite"]
	f := newFixture(t, st)
	cats := f.svc.IXITCategories()
	if len(cats) == 0 {
		t.Fatal("no IXIT categories")
	}
	items, err := f.svc.SetIXIT(f.ctx, f.owner, f.fw.ID, nil)
	must(t, err)
	if items == nil || len(items) != 0 {
		t.Errorf("SetIXIT(nil) = %#v, want an empty list", items)
	}
	one := evaluation.IXITEntry{Category: cats[0].ID, Text: "passwords are set at first boot"}
	two := evaluation.IXITEntry{Category: cats[len(cats)-1].ID, Text: "updates are signed"}
	must(t, f.svc.AddIXIT(f.ctx, f.owner, f.fw.ID, one))
	must(t, f.svc.AddIXIT(f.ctx, f.owner, f.fw.ID, two))
	wantInvalid(t, "unknown category", f.svc.AddIXIT(f.ctx, f.owner, f.fw.ID, evaluation.IXITEntry{Category: "nope", Text: "x"}), "ixit")
	wantInvalid(t, "empty text", f.svc.AddIXIT(f.ctx, f.owner, f.fw.ID, evaluation.IXITEntry{Category: cats[0].ID}), "ixit")
	ev, err := f.svc.Load(f.ctx, f.owner, f.fw.ID, nil)
	must(t, err)
	if diff := cmp.Diff([]evaluation.IXITEntry{one, two}, ev.IXIT); diff != "" {
		t.Errorf("stored IXIT (-want +got):\n%s", diff)
	}
	if _, err := f.svc.SetIXIT(f.ctx, f.as(iotsec.RoleViewer), f.fw.ID, []evaluation.IXITEntry{one}); iotsec.Kind(err) != iotsec.ErrForbidden {
		t.Errorf("viewer sets IXIT: %v", err)
	}
}

func TestSchemeRefs(t *testing.T) {
	svc := evaluation.New(nil, newEngine(t))
	for _, tt := range []struct {
		in   []string
		want []evaluation.SchemeRef
		err  *evaluation.SchemeError
	}{
		{nil, nil, nil},
		{[]string{"sg-cls"}, []evaluation.SchemeRef{{Slug: "sg-cls"}}, nil},
		{[]string{"sg-cls:1", " uk-psti , eu-cra", ""}, []evaluation.SchemeRef{{Slug: "sg-cls", Level: "1"}, {Slug: "uk-psti"}, {Slug: "eu-cra"}}, nil},
		{[]string{"sg-cls", "nope"}, nil, &evaluation.SchemeError{Ref: evaluation.SchemeRef{Slug: "nope"}}},
		{[]string{"sg-cls:9"}, nil, &evaluation.SchemeError{Ref: evaluation.SchemeRef{Slug: "sg-cls", Level: "9"}, Level: true}},
	} {
		got, err := svc.SchemeRefs(tt.in)
		if tt.err == nil {
			if err != nil || !cmp.Equal(got, tt.want) {
				t.Errorf("SchemeRefs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			continue
		}
		wantInvalid(t, strings.Join(tt.in, " "), err, "scheme")
		var se *evaluation.SchemeError
		if !errors.As(err, &se) || !cmp.Equal(se, tt.err) {
			t.Errorf("SchemeRefs(%q) cause %#v, want %#v", tt.in, se, tt.err)
		}
	}
	if got := svc.ShortTitle("sg-cls"); got == "" || got == "sg-cls" {
		t.Errorf("ShortTitle(sg-cls) = %q", got)
	}
}

// TestScanOffline is the command line's scan: no store at all.
func TestScanOffline(t *testing.T) {
	svc := evaluation.New(nil, newEngine(t))
	var steps int
	res, err := svc.Scan(context.Background(), "router.bin", firmwaretest.Router(), evaluation.ScanOptions{
		Schemes:  []evaluation.SchemeRef{{Slug: "sg-cls"}},
		Progress: func(stage string, done, total int) { steps = done },
	})
	must(t, err)
	if !res.Reaches("critical") || len(res.Verdicts) != 1 || res.Verdicts["sg-cls"].Status != evaluation.StatusNotMet || steps != 10 {
		t.Errorf("scan: critical %v, verdicts %v, %d steps", res.Reaches("critical"), len(res.Verdicts), steps)
	}
	comp, err := svc.Components(context.Background(), "router.bin", firmwaretest.Router())
	must(t, err)
	if len(comp.Findings) != 0 || len(comp.Components) != len(res.Components) {
		t.Errorf("components only: %d findings, %d components (the scan found %d)", len(comp.Findings), len(comp.Components), len(res.Components))
	}
	svc.Limits = firmware.Limits{MaxBytes: 1 << 20}
	if _, err := svc.Components(context.Background(), "packed.bin", firmwaretest.Gzip(make([]byte, 4<<20))); iotsec.Kind(err) != iotsec.ErrInvalid {
		t.Errorf("components of an image over the limits: %v, want invalid", err)
	}
	for in, want := range map[string]evaluation.Severity{"High": "high", " info ": "info"} {
		if got, err := evaluation.ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := evaluation.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe): no error")
	}
}
