package assess_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
)

var (
	engineOnce sync.Once
	engine     *assess.Engine
	engineErr  error
)

func newEngine(tb testing.TB) *assess.Engine {
	tb.Helper()
	engineOnce.Do(func() {
		cat, err := crosswalk.Load()
		if err != nil {
			engineErr = err
			return
		}
		engine, engineErr = assess.New(cat)
	})
	if engineErr != nil {
		tb.Fatal(engineErr)
	}
	return engine
}

func finding(rule string, sev inspect.Severity, path string, prov ...string) inspect.Finding {
	return inspect.Finding{Rule: rule, Category: strings.Split(rule, ".")[0], Severity: sev, Title: rule + " title", Path: path, Provisions: prov}
}

var defaultPassword = inspect.Finding{Rule: "credentials.default-password", Category: "credentials", Severity: "critical",
	Title: `Account "root" has a common or default password`, Path: "0x10000.squashfs/etc/shadow",
	Evidence: inspect.Evidence{Text: "root:a****"}, Provisions: []string{"5.1-1", "5.1-2"}}

func ev(prov, tc string, v assess.Verdict) assess.Evidence {
	return assess.Evidence{Provision: prov, TestCase: tc, Verdict: v, Rationale: "examined " + prov}
}

func TestEvaluate(t *testing.T) {
	e := newEngine(t)
	type want struct {
		verdict assess.Verdict
		source  string
		rules   []string
		reason  string // substring
	}
	for _, tt := range []struct {
		name string
		in   assess.Input
		want map[string]want
	}{
		{
			name: "nothing recorded",
			in:   assess.Input{},
			want: map[string]want{"5.1-1": {assess.NoEvidence, assess.SourceNone, nil, "no evidence"}},
		},
		{
			name: "a failing finding fails its provisions; automation never passes",
			in:   assess.Input{Findings: []inspect.Finding{defaultPassword, finding("binary.no-pie", "low", "usr/bin/app", "5.6-9")}},
			want: map[string]want{
				"5.1-1": {assess.Fail, assess.SourceAutomated, []string{"credentials.default-password"}, `/etc/shadow: Account "root" has a common or default password (root:a****)`},
				"5.1-2": {assess.Fail, assess.SourceAutomated, []string{"credentials.default-password"}, ""},
				"5.6-9": {assess.NoEvidence, assess.SourceNone, nil, "an assessor must decide"},
				"5.1-3": {assess.NoEvidence, assess.SourceNone, nil, "no evidence"},
			},
		},
		{
			name: "fail-at low fails on low findings",
			in:   assess.Input{Findings: []inspect.Finding{finding("binary.no-pie", "low", "usr/bin/app", "5.6-9")}, FailAt: "low"},
			want: map[string]want{"5.6-9": {assess.Fail, assess.SourceAutomated, []string{"binary.no-pie"}, "/usr/bin/app"}},
		},
		{
			name: "an assessor's PASS does not beat a finding",
			in:   assess.Input{Findings: []inspect.Finding{defaultPassword}, Evidence: []assess.Evidence{ev("5.1-1", "", assess.Pass)}},
			want: map[string]want{"5.1-1": {assess.Fail, assess.SourceAutomated, []string{"credentials.default-password"}, ""}},
		},
		{
			name: "an override sets a finding aside",
			in: assess.Input{Findings: []inspect.Finding{defaultPassword}, Evidence: []assess.Evidence{
				{Provision: "5.1-1", Verdict: assess.Pass, Override: true, Rationale: "the account is locked at first boot until the user sets a password"}}},
			want: map[string]want{"5.1-1": {assess.Pass, assess.SourceAssessor, []string{"credentials.default-password"}, "locked at first boot"}},
		},
		{
			name: "test cases combine: all pass",
			in:   assess.Input{Evidence: []assess.Evidence{ev("5.1-1", "5.1-1-1", assess.Pass), ev("5.1-1", "5.1-1-2", assess.Pass)}},
			want: map[string]want{"5.1-1": {assess.Pass, assess.SourceAssessor, nil, "every test case passed"}},
		},
		{
			name: "test cases combine: one missing",
			in:   assess.Input{Evidence: []assess.Evidence{ev("5.1-1", "5.1-1-1", assess.Pass)}},
			want: map[string]want{"5.1-1": {assess.NoEvidence, assess.SourceAssessor, nil, "1 of 2 test cases recorded; 5.1-1-2 without evidence"}},
		},
		{
			name: "test cases combine: a failure wins, the newest record counts",
			in: assess.Input{Evidence: []assess.Evidence{ev("5.1-1", "5.1-1-2", assess.Pass), ev("5.1-1", "5.1-1-1", assess.Pass),
				{Provision: "5.1-1", TestCase: "5.1-1-2", Verdict: assess.Fail, Rationale: "found admin/admin on the web UI"}}},
			want: map[string]want{"5.1-1": {assess.Fail, assess.SourceAssessor, nil, "5.1-1-2: found admin/admin"}},
		},
		{
			name: "ICS: not applicable and not implemented",
			in: assess.Input{ICS: &assess.ICS{Entries: []assess.ICSEntry{
				{Provision: "5.1-1", Support: assess.SupportNA, Detail: "no passwords at all"},
				{Provision: "5.3-1", Support: assess.SupportNo},
				{Provision: "5.2-1", Support: assess.SupportYes},
			}}},
			want: map[string]want{
				"5.1-1": {assess.NotApplicable, assess.SourceICS, nil, "no passwords at all"},
				"5.3-1": {assess.Fail, assess.SourceICS, nil, "not implemented"},
				"5.2-1": {assess.NoEvidence, assess.SourceNone, nil, ""},
			},
		},
		{
			name: "ICS not applicable does not beat a finding",
			in: assess.Input{Findings: []inspect.Finding{defaultPassword}, ICS: &assess.ICS{Entries: []assess.ICSEntry{
				{Provision: "5.1-1", Support: assess.SupportNA}}}},
			want: map[string]want{"5.1-1": {assess.Fail, assess.SourceAutomated, []string{"credentials.default-password"}, ""}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := e.Evaluate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Provisions) != 68 {
				t.Errorf("%d provisions, want 68", len(a.Provisions))
			}
			for id, w := range tt.want {
				r, ok := a.Result(id)
				if !ok {
					t.Fatalf("no result for %s", id)
				}
				if r.Verdict != w.verdict || r.Source != w.source || !cmp.Equal(r.Rules, w.rules) || !strings.Contains(r.Reason, w.reason) {
					t.Errorf("%s = %s from %s, rules %v, reason %q; want %s from %s, rules %v, reason containing %q",
						id, r.Verdict, r.Source, r.Rules, r.Reason, w.verdict, w.source, w.rules, w.reason)
				}
			}
			total := 0
			for _, n := range a.Counts {
				total += n
			}
			if total != 68 {
				t.Errorf("counts %v add up to %d, want 68", a.Counts, total)
			}
		})
	}
}

func TestEvaluateRejectsBadEvidence(t *testing.T) {
	e := newEngine(t)
	for _, tt := range []struct {
		ev   assess.Evidence
		want string
	}{
		{assess.Evidence{Provision: "9.9-9", Verdict: assess.Pass, Rationale: "x"}, "not an EN 303 645 provision"},
		{assess.Evidence{Provision: "5.1-1", TestCase: "5.1-2-1", Verdict: assess.Pass, Rationale: "x"}, "not a TS 103 701 test case of 5.1-1"},
		{assess.Evidence{Provision: "5.1-1", Verdict: "MAYBE", Rationale: "x"}, "not one of"},
		{assess.Evidence{Provision: "5.1-1", Verdict: assess.Pass}, "rationale is empty"},
		{assess.Evidence{Provision: "5.1-1", Verdict: assess.Fail, Override: true, Rationale: "x"}, "override is for"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			_, err := e.Evaluate(assess.Input{Evidence: []assess.Evidence{tt.ev}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Evaluate(%+v) error = %v, want %q", tt.ev, err, tt.want)
			}
		})
	}
	if _, err := e.Evaluate(assess.Input{FailAt: "severe"}); err == nil {
		t.Error("Evaluate with FailAt severe: no error")
	}
}

func TestParseVerdict(t *testing.T) {
	for in, want := range map[string]assess.Verdict{"pass": assess.Pass, " FAIL ": assess.Fail, "not applicable": assess.NotApplicable,
		"n/a": assess.NotApplicable, "Inconclusive": assess.Inconclusive} {
		if got, err := assess.ParseVerdict(in); err != nil || got != want {
			t.Errorf("ParseVerdict(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "NO-EVIDENCE", "AT-RISK", "ok"} {
		if _, err := assess.ParseVerdict(in); err == nil {
			t.Errorf("ParseVerdict(%q): no error", in)
		}
	}
}

// project evaluates in and returns the verdicts by slug.
func project(t *testing.T, in assess.Input, refs ...crosswalk.SchemeRef) map[string]assess.SchemeVerdict {
	t.Helper()
	e := newEngine(t)
	a, err := e.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := e.Project(a, refs...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]assess.SchemeVerdict{}
	for _, v := range vs {
		out[v.Scheme] = v
	}
	return out
}

func provisionOf(t *testing.T, sv assess.SchemeVerdict, id string) assess.Projected {
	t.Helper()
	for _, p := range sv.Provisions {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("%s has no provision %s", sv.Scheme, id)
	return assess.Projected{}
}

func TestProjectFailure(t *testing.T) {
	vs := project(t, assess.Input{Findings: []inspect.Finding{defaultPassword}})
	if len(vs) != 24 {
		t.Errorf("%d schemes, want every scheme of the catalog (24)", len(vs))
	}
	for _, tt := range []struct {
		scheme, level, status, summary string
	}{
		{"etsi-en-303-645", "", assess.StatusNotMet, `EN 303 645: not met, 2 of 68 failing (5.1-1 FAIL: /etc/shadow: Account "root" has a common or default password (root:a****))`},
		{"sg-cls", "1", assess.StatusNotMet, `SG CLS level 1: not met, 2 of 10 failing (5.1-1 FAIL: /etc/shadow: Account "root" has a common or default password (root:a****))`},
		// a default password falsifies PSTI's own text: not met, directly
		{"uk-psti", "", assess.StatusNotMet, `UK PSTI: not met, 1 of 3 failing (1 FAIL ← Account "root" has a common or default password [credentials.default-password, 0x10000.squashfs/etc/shadow], directly: UK PSTI Schedule 1 para 1`},
		{"jp-jc-star", "1", assess.StatusNotMet, "JC-STAR level 1: not met, 1 of 3 failing (S1-passwords FAIL ← 5.1-1 FAIL"},
		{"eu-cra", "", assess.StatusNotMet, `EU CRA: not met, 1 of 31 failing, 1 at risk (I.2b FAIL ← Account "root" has a common or default password [credentials.default-password`},
	} {
		sv := vs[tt.scheme]
		if sv.Status != tt.status || sv.Level != tt.level || !strings.HasPrefix(sv.Summary, tt.summary) {
			t.Errorf("%s = %s at level %q, %q; want %s at %q, %q", tt.scheme, sv.Status, sv.Level, sv.Summary, tt.status, tt.level, tt.summary)
		}
	}
	// Every CLS level fails: 5.1-1 is required from level 1 up.
	for _, l := range vs["sg-cls"].Levels {
		if l.Status != assess.StatusNotMet {
			t.Errorf("CLS level %s = %s, want not-met", l.Level, l.Status)
		}
	}
	for _, tt := range []struct {
		scheme, id string
		verdict    assess.Verdict
		from       []string
	}{
		{"sg-cls", "5.1-1", assess.Fail, []string{"5.1-1"}},
		{"sg-cls", "5.1-3", assess.NoEvidence, []string{"5.1-3"}},
		{"uk-psti", "1", assess.Fail, []string{"5.1-1", "5.1-2"}},
		{"eu-cra", "I.2b", assess.Fail, []string{"5.1-1", "5.1-2"}},
		{"eu-cra", "I.2a", assess.NoEvidence, []string{"5.2-3", "5.3-8"}},
	} {
		p := provisionOf(t, vs[tt.scheme], tt.id)
		if p.Verdict != tt.verdict || !cmp.Equal(p.From, tt.from) {
			t.Errorf("%s %s = %s from %v, want %s from %v", tt.scheme, tt.id, p.Verdict, p.From, tt.verdict, tt.from)
		}
		if p.Verdict == assess.Fail || p.Verdict == assess.AtRisk {
			if !cmp.Equal(p.Rules, []string{"credentials.default-password"}) || len(p.Path) < 2 || p.Confidence == "" {
				t.Errorf("%s %s: rules %v, path %v, confidence %q: want the rule and the mapping behind it", tt.scheme, tt.id, p.Rules, p.Path, p.Confidence)
			}
		}
	}
	if got := vs["eu-cra"].Line(provisionOf(t, vs["eu-cra"], "I.2b")); !strings.HasPrefix(got, `EU CRA I.2b: fail (Account "root" has a common or default password [credentials.default-password, 0x10000.squashfs/etc/shadow], directly: CRA Annex I Part I (2)(b)`) {
		t.Errorf("Line = %q", got)
	}
}

// A CRA provision fails through an intersecting mapping only as at risk,
// never as a FAIL: the texts only overlap.
func TestProjectAtRiskNotFail(t *testing.T) {
	vs := project(t, assess.Input{Findings: []inspect.Finding{finding("update.unverified", "high", ".", "5.3-8")}}, crosswalk.SchemeRef{Slug: "eu-cra"})
	p := provisionOf(t, vs["eu-cra"], "I.2a")
	if p.Verdict != assess.AtRisk || p.Coverage != crosswalk.CoverPartial {
		t.Errorf("CRA I.2a = %s (coverage %s), want AT-RISK through a partial mapping", p.Verdict, p.Coverage)
	}
}

func TestProjectPass(t *testing.T) {
	e := newEngine(t)
	var evs []assess.Evidence
	for _, id := range e.Provisions() {
		evs = append(evs, ev(id, "", assess.Pass))
	}
	vs := project(t, assess.Input{Evidence: evs})
	for _, slug := range []string{"etsi-en-303-645", "etsi-ts-103-701", "sg-cls", "uk-psti", "fi-label"} {
		if vs[slug].Status != assess.StatusMet {
			t.Errorf("%s with every EN provision passed = %s (%s), want met", slug, vs[slug].Status, vs[slug].Summary)
		}
	}
	// Levels 3 and 4 add binary analysis and penetration testing, which
	// EN 303 645 does not hold: they stay open.
	for _, l := range vs["sg-cls"].Levels {
		want := map[string]string{"1": assess.StatusMet, "2": assess.StatusMet, "3": assess.StatusIncomplete, "4": assess.StatusIncomplete}[l.Level]
		if l.Status != want {
			t.Errorf("CLS level %s = %s (%s), want %s", l.Level, l.Status, l.Summary, want)
		}
	}
	// A scheme that asks more than EN 303 645 is not met by it: its
	// unmapped provisions stay open.
	if st := vs["iec-62443-4-2"].Status; st == assess.StatusMet {
		t.Errorf("IEC 62443-4-2 met through EN 303 645 alone")
	}
	// Now one failure drags CLS down again.
	evs = append(evs, assess.Evidence{Provision: "5.5-1", Verdict: assess.Fail, Rationale: "telnet in clear"})
	vs = project(t, assess.Input{Evidence: evs}, crosswalk.SchemeRef{Slug: "sg-cls", Level: "2"})
	if sv := vs["sg-cls"]; sv.Status != assess.StatusNotMet || sv.Level != "2" || !strings.Contains(sv.Summary, "5.5-1 FAIL: telnet in clear") {
		t.Errorf("CLS at level 2 = %s %q, want not met at level 2 naming 5.5-1", sv.Status, sv.Summary)
	}
}

func TestProjectUnknown(t *testing.T) {
	e := newEngine(t)
	a, _ := e.Evaluate(assess.Input{})
	for _, ref := range []crosswalk.SchemeRef{{Slug: "nope"}, {Slug: "sg-cls", Level: "9"}} {
		_, err := e.Project(a, ref)
		var nf *crosswalk.NotFoundError
		if err == nil || (ref.Slug == "nope" && !errors.As(err, &nf)) {
			t.Errorf("Project(%v) error = %v", ref, err)
		}
	}
}

func TestICSRoundTrip(t *testing.T) {
	e := newEngine(t)
	ics := e.ICSTemplate("Router", "2.0")
	ics.Entries[1].Support, ics.Entries[1].Detail = assess.SupportYes, "unique password per device, printed on the label"
	ics.Entries[2].Support = assess.SupportNA
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			var err error
			if format == "csv" {
				err = assess.WriteICSCSV(&b, ics)
			} else {
				err = assess.WriteICSJSON(&b, ics)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.ReadICS(&b)
			if err != nil {
				t.Fatalf("ReadICS: %v", err)
			}
			want := *ics
			if format == "csv" { // CSV carries no product or version
				want.Product, want.Version = "", ""
			}
			if diff := cmp.Diff(&want, got, cmp.AllowUnexported(assess.ICS{})); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadICS(t *testing.T) {
	e := newEngine(t)
	got, err := e.ReadICS(strings.NewReader("\ufeffClause,Support,Details\n5.1-1,yes,per-device passwords\n5.3-1, N/A ,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Entries[0].Support != "Y" || got.Entries[1].Support != "N/A" || got.Entries[0].Status != "M C" || got.Entries[0].Title == "" {
		t.Errorf("ReadICS = %+v", got.Entries)
	}
	if full := e.Complete(got); len(full.Entries) != 68 || full.Entries[1].Support != "Y" {
		t.Errorf("Complete: %d entries, 5.1-1 support %q", len(full.Entries), full.Entries[1].Support)
	}
	for _, tt := range []struct{ in, want string }{
		{"", "ics file: is empty"},
		{"provision,support\n5.1-1,Y\n9.9-9,Y\n", "ics line 3: provision \"9.9-9\" is not an EN 303 645 provision"},
		{"provision,support\n5.1-1,Y\n5.1-1,N\n", "ics line 3: provision 5.1-1 appears twice (first at line 2)"},
		{"provision,support\n5.1-1,maybe\n", `ics line 2: support "maybe" is not Y, N or N/A`},
		{"provision,status,support\n5.1-1,R,Y\n", `ics line 2: status "R" of 5.1-1 disagrees with the catalog (M C)`},
		{"provision,colour\n", `ics line 1: unknown column "colour"`},
		{"provision\n5.1-1\n", `ics line 1: missing column "support"`},
		{"provision,support\n\"5.1-1,Y\n", "ics line 2"},
		{`{"entries":[{"provision":"5.1-1","support":"Y","extra":1}]}`, "unknown field"},
		{`{"entries":[{"provision":"5.1-1","support":"Y"},{"provision":"x","support":"Y"}]}`, `ics entry 2: provision "x"`},
		{`{"entries":[{"provision":1}]}`, "ics file: entries.provision must be a string"},
		{`{"entries":[]} {}`, "more follows"},
		{strings.Repeat("x", assess.MaxICSBytes+1), "larger than"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			_, err := e.ReadICS(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadICS(%.40q) error = %v, want %q", tt.in, err, tt.want)
			}
			var ie *assess.ICSError
			if err != nil && !errors.As(err, &ie) {
				t.Errorf("error %v is not an *ICSError", err)
			}
		})
	}
}

func TestIXIT(t *testing.T) {
	e := newEngine(t)
	if len(e.IXITCategories()) != 29 {
		t.Errorf("%d IXIT categories, want 29", len(e.IXITCategories()))
	}
	if err := e.CheckIXIT([]assess.IXITEntry{{Category: "1-AuthMech", Text: "password and pairing code"}}); err != nil {
		t.Error(err)
	}
	if err := e.CheckIXIT([]assess.IXITEntry{{Category: "99-Nope", Text: "x"}}); err == nil {
		t.Error("unknown IXIT category accepted")
	}
}

func FuzzReadICS(f *testing.F) {
	e := newEngine(f)
	var b bytes.Buffer
	assess.WriteICSCSV(&b, e.ICSTemplate("R", "1"))
	f.Add(b.String())
	b.Reset()
	assess.WriteICSJSON(&b, e.ICSTemplate("R", "1"))
	f.Add(b.String())
	f.Add("provision,support\n5.1-1,Y\n")
	f.Add(`{"entries":[{"provision":"5.1-1","support":"N/A"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		ics, err := e.ReadICS(strings.NewReader(in))
		if err != nil {
			return
		}
		// What was read must evaluate and write back to something that
		// reads the same.
		if _, err := e.Evaluate(assess.Input{ICS: ics}); err != nil {
			t.Fatalf("Evaluate of a read ICS: %v", err)
		}
		var out bytes.Buffer
		if err := assess.WriteICSJSON(&out, ics); err != nil {
			t.Fatal(err)
		}
		again, err := e.ReadICS(&out)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		if diff := cmp.Diff(ics, again, cmp.AllowUnexported(assess.ICS{})); diff != "" {
			t.Fatalf("re-read differs:\n%s", diff)
		}
	})
}
