package crosswalk

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var july2026 = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

type applyRow struct {
	Slug, Status string
	Markets      []string
	From         Date
	InForce      bool
}

// TestAppliesConsumerCamera answers the question: what must a
// consumer camera meet in the EU, UK and Singapore (on 2026-07-01)?
func TestAppliesConsumerCamera(t *testing.T) {
	c := mustLoad(t)
	res, err := c.Applies(AppliesQuery{Class: "camera", Sector: "consumer", Markets: []string{"EU", "uk", "SG"}, Date: july2026})
	if err != nil {
		t.Fatal(err)
	}
	var got []applyRow
	for _, a := range res.Schemes {
		got = append(got, applyRow{a.Slug, a.Status, a.Markets, a.From, a.InForce})
	}
	want := []applyRow{
		{"en-18031-1", StatusMandatory, []string{"EU"}, "2025-08-01", true},
		{"en-18031-2", StatusMandatory, []string{"EU"}, "2025-08-01", true},
		{"eu-cra", StatusMandatory, []string{"EU"}, "2027-12-11", false},
		{"uk-psti", StatusMandatory, []string{"GB"}, "2024-04-29", true},
		{"sg-cls", StatusVoluntary, []string{"SG"}, "2020-10", true},
		{"etsi-en-303-645", StatusVoluntary, []string{"EU", "GB", "SG"}, "2020-06", true},
		{"etsi-ts-103-701", StatusVoluntary, []string{"EU", "GB", "SG"}, "2021-08", true},
		{"ioxt", StatusVoluntary, []string{"EU", "GB", "SG"}, "", true},
		{"psa-certified", StatusVoluntary, []string{"EU", "GB", "SG"}, "", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Applies(camera, consumer, EU UK SG) mismatch (-want +got):\n%s", diff)
	}
	if res.Mandatory != 4 {
		t.Errorf("Applies(camera).Mandatory = %d, want 4", res.Mandatory)
	}
}

func TestAppliesObligations(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		name   string
		q      AppliesQuery
		slug   string
		status string
		level  string
		note   string
	}{
		{"SG routers need CLS level 1", AppliesQuery{Class: "router", Sector: "consumer", Markets: []string{"SG"}, Date: july2026}, "sg-cls", StatusMandatory, "1", ""},
		{"SG cameras: CLS voluntary", AppliesQuery{Class: "camera", Markets: []string{"SG"}, Date: july2026}, "sg-cls", StatusVoluntary, "", ""},
		{"DE market gets EU law", AppliesQuery{Class: "camera", Markets: []string{"DE"}, Date: july2026}, "eu-cra", StatusMandatory, "", ""},
		{"US Cyber Trust Mark stalled", AppliesQuery{Class: "camera", Markets: []string{"US"}, Date: july2026}, "us-cyber-trust-mark", StatusVoluntary, "", "programme stalled"},
		{"FI label closed", AppliesQuery{Class: "camera", Markets: []string{"FI"}, Date: july2026}, "fi-label", StatusVoluntary, "", "no longer takes new applications"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Applies(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(res.Schemes, func(a Applicability) bool { return a.Slug == tc.slug })
			if i < 0 {
				t.Fatalf("Applies(%+v) lacks %s", tc.q, tc.slug)
			}
			a := res.Schemes[i]
			if a.Status != tc.status || a.Level != tc.level {
				t.Errorf("Applies(%s) = %s level %q, want %s level %q", tc.slug, a.Status, a.Level, tc.status, tc.level)
			}
			if tc.note != "" && !strings.Contains(strings.Join(a.Notes, ";"), tc.note) {
				t.Errorf("Applies(%s).Notes = %v, want %q", tc.slug, a.Notes, tc.note)
			}
		})
	}
	if _, err := c.Applies(AppliesQuery{Class: "toaster", Date: july2026}); err == nil {
		t.Errorf("Applies(class toaster) = nil error, want unknown class")
	}
}

func coverages(cmpr *Comparison) map[string]string {
	out := map[string]string{}
	for _, p := range cmpr.Provisions {
		out[p.ID] = p.Coverage
	}
	return out
}

func TestCompareOfficialPSTI(t *testing.T) {
	c := mustLoad(t)
	res, err := c.Compare(ParseRef("uk-psti"), ParseRef("etsi-en-303-645"))
	if err != nil {
		t.Fatal(err)
	}
	// Schedule 2 paragraphs 1(2) and 2(2)(a) make requirements 1 and 2
	// official; no deeming clause was traced for requirement 3 (issue 16).
	wantProv := map[string]string{"1": ProvenanceOfficial, "2": ProvenanceOfficial, "3": ProvenanceExpert}
	for _, p := range res.Provisions {
		if p.Coverage != CoverFull || !p.Direct || p.Provenance != wantProv[p.ID] {
			t.Errorf("Compare(uk-psti, EN).%s = %s direct=%v %s, want full, direct, %s", p.ID, p.Coverage, p.Direct, p.Provenance, wantProv[p.ID])
		}
	}
	want := [][]string{{"5.1-1", "5.1-2"}, {"5.2-1"}, {"5.3-13"}}
	for i, p := range res.Provisions {
		var ids []string
		for _, cv := range p.Covers {
			ids = append(ids, cv.ID)
		}
		if diff := cmp.Diff(want[i], ids); diff != "" {
			t.Errorf("Compare(uk-psti, EN) covers of %s (-want +got):\n%s", p.ID, diff)
		}
	}
	if res.Stats.FullPercent != 100 {
		t.Errorf("FullPercent = %v, want 100", res.Stats.FullPercent)
	}
}

// TestCompareViaHub: Australia and JC-STAR have no direct mapping, so the
// answer goes through EN 303 645 with a lowered confidence.
func TestCompareViaHub(t *testing.T) {
	c := mustLoad(t)
	res, err := c.Compare(ParseRef("au-smart-devices"), ParseRef("jp-jc-star:1"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"passwords": CoverFull, "vulnerability-reporting": CoverFull, "support-period": CoverPartial, "statement-of-compliance": CoverNone}
	if diff := cmp.Diff(want, coverages(res)); diff != "" {
		t.Errorf("Compare(au, jc-star:1) mismatch (-want +got):\n%s", diff)
	}
	p := res.Provisions[0]
	if diff := cmp.Diff([]string{"au-smart-devices", "etsi-en-303-645", "jp-jc-star"}, p.Path); diff != "" {
		t.Errorf("path mismatch (-want +got):\n%s", diff)
	}
	if p.Direct || p.Confidence == High || p.Score >= 0.5 {
		t.Errorf("Compare(au, jc-star:1).passwords direct=%v confidence %s score %v, want via hub with lowered confidence", p.Direct, p.Confidence, p.Score)
	}
	if res.Stats.ViaHubs != 3 || res.Stats.None != 1 {
		t.Errorf("Stats = %+v, want 3 via hubs, 1 none", res.Stats)
	}
}

// TestCompareCLSLevel2WithCRA answers "how does CLS level 2 compare to the
// CRA": no CLS level 2 provision is fully met by the CRA text alone, most
// overlap, and the gaps are the data-protection and reporting ones.
func TestCompareCLSLevel2WithCRA(t *testing.T) {
	c := mustLoad(t)
	res, err := c.Compare(ParseRef("sg-cls:2"), ParseRef("eu-cra"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Total != 33 {
		t.Errorf("Total = %d, want 33 (level 2 = every mandatory EN 303 645 provision)", res.Stats.Total)
	}
	got := coverages(res)
	for id, want := range map[string]string{"5.1-1": CoverPartial, "5.2-1": CoverPartial, "5.3-13": CoverPartial, "4-1": CoverNone, "6-2": CoverNone} {
		if got[id] != want {
			t.Errorf("Compare(sg-cls:2, eu-cra).%s = %s, want %s", id, got[id], want)
		}
	}
	// The reverse direction shows what the CRA asks beyond CLS level 2.
	rev, err := c.Compare(ParseRef("eu-cra"), ParseRef("sg-cls:2"))
	if err != nil {
		t.Fatal(err)
	}
	if g := coverages(rev)["II.1"]; g != CoverPartial && g != CoverNone {
		t.Errorf("Compare(eu-cra, sg-cls:2).II.1 (SBOM) = %s, want not full", g)
	}
	if len(rev.Gaps) < 20 {
		t.Errorf("Compare(eu-cra, sg-cls:2) gaps = %d, want at least 20", len(rev.Gaps))
	}
}

func TestCompareTwoHubs(t *testing.T) {
	c := mustLoad(t)
	// IEC 62443-4-2 maps only to NIST IR 8259A; reaching the UK regime needs
	// 8259A and then EN 303 645.
	res, err := c.Compare(ParseRef("iec-62443-4-2"), ParseRef("uk-psti"))
	if err != nil {
		t.Fatal(err)
	}
	p := res.Provisions[slices.IndexFunc(res.Provisions, func(p ProvisionCompare) bool { return p.ID == "CR 1.5" })]
	if p.Coverage != CoverPartial || len(p.Path) != 4 {
		t.Errorf("Compare(62443, psti).CR 1.5 = %s path %v, want partial through two hubs", p.Coverage, p.Path)
	}
}

func TestCompareErrors(t *testing.T) {
	c := mustLoad(t)
	if _, err := c.Compare(ParseRef("nope"), ParseRef("uk-psti")); err == nil {
		t.Error("Compare(nope) = nil error")
	}
	if _, err := c.Compare(ParseRef("sg-cls:9"), ParseRef("uk-psti")); err == nil {
		t.Error("Compare(sg-cls:9) = nil error")
	}
}

// TestBaselineEUUKSG answers "what single set of requirements satisfies
// all three" for a consumer camera (mandatory schemes plus CLS level 1).
func TestBaselineEUUKSG(t *testing.T) {
	c := mustLoad(t)
	b, err := c.Baseline(BaselineQuery{Markets: []string{"EU", "UK", "SG"}, Class: "camera", Sector: "consumer", Date: july2026, Voluntary: true})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range b.Schemes {
		refs = append(refs, r.String())
	}
	if diff := cmp.Diff([]string{"en-18031-1", "en-18031-2", "eu-cra", "uk-psti", "sg-cls:1"}, refs); diff != "" {
		t.Errorf("Baseline schemes mismatch (-want +got):\n%s", diff)
	}
	lines := map[string]BaselineLine{}
	for _, l := range b.Lines {
		lines[l.Scheme+" "+l.ID] = l
		if l.Scheme == "uk-psti" {
			t.Errorf("Baseline has a uk-psti line %s: PSTI is fully expressible in EN 303 645", l.ID)
		}
	}
	for key, want := range map[string][]string{
		"etsi-en-303-645 5.1-1":  {"uk-psti", "sg-cls"},
		"etsi-en-303-645 5.2-1":  {"eu-cra", "uk-psti", "sg-cls"},
		"etsi-en-303-645 5.3-13": {"uk-psti", "sg-cls"},
	} {
		if diff := cmp.Diff(want, lines[key].Schemes); diff != "" {
			t.Errorf("Baseline line %s serves (-want +got):\n%s", key, diff)
		}
	}
	if l := lines["eu-cra II.1"]; l.Hub || l.Kind != KindMandatory {
		t.Errorf("Baseline CRA SBOM line = %+v, want its own mandatory line", l)
	}
	if len(b.Lines) >= b.Sources {
		t.Errorf("Baseline lines = %d from %d provisions, want fewer lines than provisions", len(b.Lines), b.Sources)
	}
}

func TestBaselineMergesExtras(t *testing.T) {
	c := mustLoad(t)
	// AU and PSTI are equivalent to each other and both fully expressed by
	// EN 303 645, except AU's statement of compliance.
	b, err := c.Baseline(BaselineQuery{Schemes: []SchemeRef{ParseRef("au-smart-devices"), ParseRef("uk-psti")}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range b.Lines {
		ids = append(ids, l.Scheme+" "+l.ID)
	}
	want := []string{"etsi-en-303-645 5.1-1", "etsi-en-303-645 5.1-2", "etsi-en-303-645 5.2-1", "etsi-en-303-645 5.3-13", "au-smart-devices statement-of-compliance"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("Baseline(au, psti) lines (-want +got):\n%s", diff)
	}
}

func TestGaps(t *testing.T) {
	c := mustLoad(t)
	g, err := c.Gaps(GapQuery{Date: july2026})
	if err != nil {
		t.Fatal(err)
	}
	cell := func(sector, class, market string) GapCell {
		for _, r := range g.Rows {
			if r.Sector == sector && r.Class == class {
				for _, cl := range r.Cells {
					if cl.Market == market {
						return cl
					}
				}
			}
		}
		t.Fatalf("no cell %s/%s/%s", sector, class, market)
		return GapCell{}
	}
	for _, tc := range []struct{ sector, class, market, level string }{
		{"consumer", "camera", "GB", GapMandatory},
		{"consumer", "camera", "EU", GapMandatory},
		{"consumer", "camera", "SG", GapLabel},
		{"consumer", "camera", "CA", GapStandard},
		{"consumer", "router", "SG", GapMandatory},
		{"consumer", "camera", "US", GapStandard}, // the Cyber Trust Mark is stalled
		{"energy", "smart-meter", "EU", GapUpcoming},
		{"energy", "smart-meter", "SG", GapNone},
		{"public", "city-sensor", "JP", GapNone},
		{"automotive", "vehicle", "GB", GapMandatory},
		{"medical", "medical-device", "US", GapMandatory},
	} {
		if got := cell(tc.sector, tc.class, tc.market); got.Level != tc.level {
			t.Errorf("Gaps cell %s/%s/%s = %s %v, want %s", tc.sector, tc.class, tc.market, got.Level, got.Schemes, tc.level)
		}
	}
	found := false
	for _, call := range g.Calls {
		if call.Kind == "missing-standard" && call.Class == "smart-meter" && slices.Contains(call.Markets, "SG") {
			found = true
		}
	}
	if !found {
		t.Errorf("Gaps.Calls lacks a missing-standard call for smart meters in SG")
	}
}

func TestRecognise(t *testing.T) {
	c := mustLoad(t)
	type row struct{ Agreement, Kind, Scheme, Level, Status string }
	rowsOf := func(q RecogniseQuery) []row {
		t.Helper()
		r, err := c.Recognise(q)
		if err != nil {
			t.Fatal(err)
		}
		var out []row
		for _, x := range r.Counts {
			out = append(out, row{x.Agreement, x.Kind, x.Scheme, x.Level, x.Status})
		}
		return out
	}
	got := rowsOf(RecogniseQuery{Slug: "sg-cls", Level: "3", Date: july2026})
	want := []row{
		{"sg-fi-2021", DeemedEquivalence, "fi-label", "", "dormant"},
		{"sg-de-2022", SimplifiedRoute, "de-it-sik", "", "active"},
		{"sg-de-2024-routers", SimplifiedRoute, "de-it-sik", "", "active"},
		{"sg-kr-2024", DeemedEquivalence, "kr-cic", "basic", "active"},
		{"sg-uk-2025", DeemedEquivalence, "uk-psti", "", "active"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Recognise(sg-cls 3) mismatch (-want +got):\n%s", diff)
	}
	// Level 1 only reaches the UK, and only from 2026-01-01.
	got = rowsOf(RecogniseQuery{Slug: "sg-cls", Level: "1", Date: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)})
	if diff := cmp.Diff([]row{{"sg-uk-2025", DeemedEquivalence, "uk-psti", "", "not-yet-effective"}}, got); diff != "" {
		t.Errorf("Recognise(sg-cls 1, 2025-12) mismatch (-want +got):\n%s", diff)
	}
	// Smart locks are outside the German arrangement.
	for _, r := range rowsOf(RecogniseQuery{Slug: "sg-cls", Level: "2", Class: "smart-lock", Date: july2026}) {
		if r.Scheme == "de-it-sik" {
			t.Errorf("Recognise(sg-cls 2, smart-lock) includes %v", r)
		}
	}
	got = rowsOf(RecogniseQuery{Slug: "uk-psti", Date: july2026})
	want = []row{{"sg-uk-2025", SimplifiedRoute, "sg-cls", "1", "active"}, {"uk-jp-2025", SimplifiedRoute, "jp-jc-star", "1", "active"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Recognise(uk-psti) mismatch (-want +got):\n%s", diff)
	}
}

func TestMappingsCSVRoundTrip(t *testing.T) {
	c := mustLoad(t)
	sets := c.MappingSets("")
	var buf bytes.Buffer
	if err := WriteMappingsCSV(&buf, sets); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMappingsCSV(&buf, DefaultCSVLimits())
	if err != nil {
		t.Fatalf("ReadMappingsCSV(WriteMappingsCSV(all)) = %v", err)
	}
	count := func(ss []MappingSet) (n int) {
		for _, s := range ss {
			n += len(s.Maps)
		}
		return n
	}
	if count(got) != count(sets) {
		t.Errorf("round trip maps = %d, want %d", count(got), count(sets))
	}
	// The CSV merges profile and hand-written sets of the same pair; the
	// merged catalog must still validate.
	d, _ := Embedded()
	d.Mappings = nil
	for _, s := range d.Schemes {
		_ = s
	}
	for i := range got {
		got[i].ID = "csv:" + got[i].ID
	}
	if _, err := Build(Data{Vocabulary: d.Vocabulary, Schemes: d.Schemes, Mappings: got, Agreements: d.Agreements}); err != nil {
		t.Errorf("Build(csv mappings) = %v", err)
	}
}

func TestReadMappingsCSVErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"missing column", "from,to\n", `missing column "sources"`},
		{"bad relationship", "from,to,sources,relationship,targets,rationale,citation_url\na,b,1,same-as,2,r,https://x\n", `line 2: relationship "same-as"`},
		{"empty ids", "from,to,sources,relationship,targets,rationale,citation_url\na,b,,equal-to,2,r,https://x\n", "line 2: sources is empty"},
		{"no citation", "from,to,sources,relationship,targets,rationale\na,b,1,equal-to,2,r\n", "no citation_url"},
		{"bad confidence", "from,to,sources,relationship,targets,rationale,confidence,citation_url\na,b,1,equal-to,2,r,sure,https://x\n", `confidence "sure"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadMappingsCSV(strings.NewReader(tc.in), DefaultCSVLimits())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadMappingsCSV(%s) = %v, want %q", tc.name, err, tc.want)
			}
		})
	}
	lim := DefaultCSVLimits()
	lim.MaxBytes = 10
	if _, err := ReadMappingsCSV(strings.NewReader(strings.Repeat("x", 100)), lim); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("ReadMappingsCSV(too large) = %v, want a size error", err)
	}
}

// TestGapsBySector answers "which sectors have no scheme at all": per
// sector, the markets where nothing, or nothing beyond international
// standards, exists.
func TestGapsBySector(t *testing.T) {
	c := mustLoad(t)
	g, err := c.Gaps(GapQuery{Date: july2026, Markets: []string{"SG", "JP", "CA"}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]SectorGap{}
	for _, s := range g.Sectors {
		by[s.Sector] = s
	}
	if len(by) != len(c.Vocabulary().Sectors) {
		t.Errorf("Gaps.Sectors has %d sectors, want %d", len(by), len(c.Vocabulary().Sectors))
	}
	for _, tc := range []struct {
		sector                 string
		nothing, standardsOnly []string
		uncovered              bool
	}{
		// City sensors and smart meters: no scheme of these markets and no
		// international standard in the catalog addresses them.
		{"public", []string{"SG", "JP", "CA"}, []string{}, true},
		// Medical devices: only international standards outside the US.
		{"medical", []string{}, []string{"SG", "JP", "CA"}, true},
		// Consumer: CLS in SG, JC-STAR in JP; Canada has only standards.
		{"consumer", []string{}, []string{"CA"}, false},
	} {
		s := by[tc.sector]
		if !cmp.Equal(s.Nothing, tc.nothing) || !cmp.Equal(s.StandardsOnly, tc.standardsOnly) || s.Uncovered != tc.uncovered {
			t.Errorf("Gaps sector %s: nothing %v, standards only %v, uncovered %v; want %v, %v, %v",
				tc.sector, s.Nothing, s.StandardsOnly, s.Uncovered, tc.nothing, tc.standardsOnly, tc.uncovered)
		}
		total := 0
		for _, n := range s.Counts {
			total += n
		}
		rows := 0
		for _, r := range g.Rows {
			if r.Sector == tc.sector {
				rows++
			}
		}
		if total != rows*3 {
			t.Errorf("Gaps sector %s counts %d cells, want %d", tc.sector, total, rows*3)
		}
	}
}

func TestFind(t *testing.T) {
	c := mustLoad(t)
	slugs := func(f SchemeFilter) []string {
		t.Helper()
		sums, err := c.Find(f)
		if err != nil {
			t.Fatalf("Find(%+v): %v", f, err)
		}
		var out []string
		for _, s := range sums {
			out = append(out, s.Slug)
		}
		return out
	}
	for _, tc := range []struct {
		f    SchemeFilter
		want []string
	}{
		{SchemeFilter{Jurisdiction: "uk"}, []string{"uk-psti", "unece-r155"}},
		{SchemeFilter{Jurisdiction: "FI", Status: StatusVoluntary}, []string{"fi-label"}},
		{SchemeFilter{Jurisdiction: "international", Sector: "health"}, []string{"iec-81001-5-1"}},
		{SchemeFilter{Sector: "automotive", Status: StatusMandatory}, []string{"unece-r155"}},
		{SchemeFilter{Type: "nothing-of-that-type"}, nil},
	} {
		if diff := cmp.Diff(tc.want, slugs(tc.f)); diff != "" {
			t.Errorf("Find(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
	all, _ := c.Find(SchemeFilter{})
	if len(all) != len(c.Schemes()) {
		t.Errorf("Find() = %d schemes, want all %d", len(all), len(c.Schemes()))
	}
	var qe *QueryError
	if _, err := c.Find(SchemeFilter{Jurisdiction: "Atlantis"}); !errors.As(err, &qe) || qe.Field != "jurisdiction" {
		t.Errorf("Find(jurisdiction Atlantis) = %v, want a QueryError on jurisdiction", err)
	}
	if _, err := c.Find(SchemeFilter{Status: "optional"}); !errors.As(err, &qe) || qe.Field != "status" {
		t.Errorf("Find(status optional) = %v, want a QueryError on status", err)
	}
}

// TestAliases: the inventory's product classes and sectors are read as the
// catalog's, so a product's own values can be asked about.
func TestAliases(t *testing.T) {
	c := mustLoad(t)
	a, err := c.Applies(AppliesQuery{Class: "speaker", Sector: "consumer", Markets: []string{"GB"}, Date: july2026})
	if err != nil {
		t.Fatal(err)
	}
	if a.Query.Class != "smart-speaker" || !slices.ContainsFunc(a.Schemes, func(x Applicability) bool { return x.Slug == "uk-psti" }) {
		t.Errorf("Applies(speaker, GB) read class %q, schemes %d; want smart-speaker with uk-psti", a.Query.Class, len(a.Schemes))
	}
	m, err := c.Applies(AppliesQuery{Class: "medical", Sector: "health", Markets: []string{"US"}, Date: july2026})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.Schemes, func(x Applicability) bool { return x.Slug == "us-fda-524b" }) {
		t.Errorf("Applies(medical, health, US) lacks us-fda-524b: %+v", m.Schemes)
	}
	var qe *QueryError
	if _, err := c.Applies(AppliesQuery{Markets: []string{"Atlantis"}, Date: july2026}); !errors.As(err, &qe) || qe.Field != "markets" {
		t.Errorf("Applies(market Atlantis) = %v, want a QueryError on markets", err)
	}
	if _, err := c.Applies(AppliesQuery{Class: "camera"}); !errors.As(err, &qe) || qe.Field != "date" {
		t.Errorf("Applies(no date) = %v, want a QueryError on date", err)
	}
}
