package vuln_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/iotsec/iotsec/internal/vuln"
	"github.com/iotsec/iotsec/internal/vuln/cpe"
	"github.com/iotsec/iotsec/internal/vuln/nvd"
	"github.com/iotsec/iotsec/internal/vuln/osv"
)

// fixtureAdvisories reads every NVD, NVD-override and OSV record the
// vuln tests and the nvd and osv reader tests use, in file order.
func fixtureAdvisories(t testing.TB) []*vuln.Advisory {
	t.Helper()
	var out []*vuln.Advisory
	yield := func(a *vuln.Advisory) error {
		out = append(out, a)
		return nil
	}
	var nvdFiles []string
	for _, pat := range []string{"testdata/labelled/nvd/*.json", "testdata/labelled/nvd-overrides/*/*.json", "nvd/testdata/*.json"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		nvdFiles = append(nvdFiles, m...)
	}
	for _, f := range nvdFiles {
		if _, err := nvd.ReadFile(f, nvd.DefaultLimits(), yield); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"testdata/osv", "osv/testdata/dir"} {
		if _, err := osv.ReadFile(p, osv.DefaultLimits(), yield); err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 230 {
		t.Fatalf("only %d fixture advisories", len(out))
	}
	return out
}

// wireOpts compares advisories as the wire form keeps them: CPE names by
// their string, nil and empty slices alike.
var wireOpts = cmp.Options{
	cmp.Comparer(func(x, y cpe.Name) bool { return x.String() == y.String() }),
	cmpopts.EquateEmpty(),
}

// fullAdvisory sets every field of an Advisory, down to the events, so
// the round trip covers fields the fixtures leave empty (Withdrawn,
// Negate, StartExcl, LastAffected, Limit ...).
func fullAdvisory() *vuln.Advisory {
	t0 := time.Date(2024, 1, 31, 13, 15, 10, 93_000_000, time.UTC)
	return &vuln.Advisory{
		ID: "CVE-2024-0001", Source: "test", Aliases: []string{"GHSA-xxxx"}, Related: []string{"CVE-2024-0002"},
		Published: t0, Modified: t0.Add(time.Hour), Withdrawn: t0.Add(2 * time.Hour),
		Status: "Analyzed", Summary: `a <b> & "c"` + "\n\u00e9",
		CVSS:     []vuln.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N", Score: 9.8, Severity: "CRITICAL", Source: "nvd@nist.gov", Primary: true}},
		KEVAdded: t0.Add(-24 * time.Hour),
		Configurations: []cpe.Configuration{{And: true, Negate: true, Nodes: []cpe.Node{{And: true, Negate: true, Criteria: []cpe.Criterion{
			{Name: cpe.MustParse(`cpe:2.3:a:ex\:ample:pro\/duct:*:*:*:*:*:*:*:*`), ID: "964796B3-0000", Start: "1.0", End: "2.0", StartExcl: true, EndIncl: true, Vulnerable: true},
		}}}}},
		Affected: []vuln.Affected{{Ecosystem: "AlmaLinux:9", Name: "openssl", PURL: "pkg:rpm/almalinux/openssl", Versions: []string{"1.0"},
			Ranges: []vuln.Range{{Type: "ECOSYSTEM", Repo: "https://example.com/r.git", Events: []vuln.Event{
				{Introduced: "0"}, {Fixed: "1.1"}, {LastAffected: "1.2"}, {Limit: "1.3"},
			}}}}},
	}
}

// zeroFields lists the fields of v (recursively through structs, slices
// and pointers) that are zero.
func zeroFields(v reflect.Value, path string) []string {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.IsZero() {
		return []string{path}
	}
	var out []string
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[cpe.Name]() || v.Type() == reflect.TypeFor[time.Time]() {
			return nil
		}
		for i := range v.NumField() {
			out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = append(out, zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return out
}

func TestMarshalAdvisoryRoundTrip(t *testing.T) {
	// The sample must set every field, so a field added to Advisory and
	// forgotten by the wire form fails here. Event sets one field each.
	full := fullAdvisory()
	var missing []string
	for _, f := range zeroFields(reflect.ValueOf(full), "Advisory") {
		if !strings.Contains(f, ".Events[") {
			missing = append(missing, f)
		}
	}
	for _, f := range []string{"Introduced", "Fixed", "LastAffected", "Limit"} {
		found := false
		for _, ev := range full.Affected[0].Ranges[0].Events {
			found = found || reflect.ValueOf(ev).FieldByName(f).String() != ""
		}
		if !found {
			missing = append(missing, "Event."+f)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("fullAdvisory leaves fields zero: %v", missing)
	}

	advs := append(fixtureAdvisories(t), full, &vuln.Advisory{ID: "X", Source: "osv"})
	var total int
	for i, a := range advs {
		data, err := vuln.MarshalAdvisory(a)
		if err != nil {
			t.Fatalf("%d %s %s: %v", i, a.Source, a.ID, err)
		}
		total += len(data)
		got, err := vuln.UnmarshalAdvisory(data)
		if err != nil {
			t.Fatalf("%d %s %s: %v\n%s", i, a.Source, a.ID, err, data)
		}
		if diff := cmp.Diff(a, got, wireOpts); diff != "" {
			t.Errorf("%d %s %s: round trip (-want +got):\n%s", i, a.Source, a.ID, diff)
		}
		again, err := vuln.MarshalAdvisory(got)
		if err != nil || !bytes.Equal(again, data) {
			t.Errorf("%d %s %s: serialized again differs (%v):\n%s\n%s", i, a.Source, a.ID, err, data, again)
		}
	}
	t.Logf("%d advisories, %d bytes serialized, %d per record", len(advs), total, total/len(advs))
}

// TestMarshalAdvisoryForm pins the wire form: short names, empty fields
// left out, CPE names as 2.3 strings, platform criteria marked.
func TestMarshalAdvisoryForm(t *testing.T) {
	a := &vuln.Advisory{ID: "CVE-2020-13595", Source: vuln.SourceNVD, Configurations: []cpe.Configuration{{And: true, Nodes: []cpe.Node{
		{Criteria: []cpe.Criterion{{Name: cpe.MustParse("cpe:2.3:a:espressif:esp-idf"), Start: "4.0.0", End: "4.2", EndIncl: true, Vulnerable: true}}},
		{Criteria: []cpe.Criterion{{Name: cpe.MustParse("cpe:2.3:h:espressif:esp32:-")}}},
	}}}}
	want := `{"id":"CVE-2020-13595","src":"nvd","cfg":[{"and":true,"n":[` +
		`{"c":[{"cpe":"cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:*","s":"4.0.0","e":"4.2","ei":true}]},` +
		`{"c":[{"cpe":"cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*","pf":true}]}]}]}`
	got, err := vuln.MarshalAdvisory(a)
	if err != nil || string(got) != want {
		t.Errorf("MarshalAdvisory = %s, %v\nwant %s", got, err, want)
	}
}

func TestMarshalAdvisoryRefuses(t *testing.T) {
	tests := []struct {
		name string
		a    *vuln.Advisory
		want string
	}{
		{"no id", &vuln.Advisory{Source: "nvd"}, "no ID"},
		{"zero CPE name", &vuln.Advisory{ID: "X", Source: "nvd", Configurations: []cpe.Configuration{{Nodes: []cpe.Node{{Criteria: []cpe.Criterion{{}}}}}}}, "cfg[0].n[0].c[0]: no CPE name"},
		{"two event fields", &vuln.Advisory{ID: "X", Source: "osv", Affected: []vuln.Affected{{Ranges: []vuln.Range{{Events: []vuln.Event{{Introduced: "0", Fixed: "1"}}}}}}}, "aff[0].r[0].ev[0]"},
		{"too many affected", &vuln.Advisory{ID: "X", Source: "osv", Affected: make([]vuln.Affected, 10_001)}, "over limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := vuln.MarshalAdvisory(tt.a)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("MarshalAdvisory error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUnmarshalAdvisoryRefuses(t *testing.T) {
	crit := `{"cpe":"cpe:2.3:a:b:c"},`
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "EOF"},
		{"null", `null`, "no ID"},
		{"array", `[]`, "cannot unmarshal array"},
		{"no source", `{"id":"X"}`, "no ID or source"},
		{"unknown field", `{"id":"X","src":"nvd","zz":1}`, `unknown field "zz"`},
		{"trailing data", `{"id":"X","src":"nvd"} {}`, "data after the object"},
		{"truncated", `{"id":"X","src":"nvd","cfg":[{"n":[`, "unexpected EOF"},
		{"wrong type", `{"id":"X","src":"nvd","cvss":[{"sc":"high"}]}`, "cannot unmarshal string"},
		{"bad time", `{"id":"X","src":"nvd","pub":"yesterday"}`, "parsing time"},
		{"bad CPE", `{"id":"X","src":"nvd","cfg":[{"n":[{"c":[{"cpe":"cpe:2.3:q:a:b"}]}]}]}`, "cfg[0].n[0].c[0]: cpe part"},
		{"CPE 2.2", `{"id":"X","src":"nvd","cfg":[{"n":[{"c":[{"cpe":"cpe:/a:b:c"}]}]}]}`, "does not start with cpe:2.3:"},
		{"flag without bound", `{"id":"X","src":"nvd","cfg":[{"n":[{"c":[{"cpe":"cpe:2.3:a:b:c","sx":true}]}]}]}`, "range flag without its version"},
		{"two event fields", `{"id":"X","src":"osv","aff":[{"r":[{"ev":[{"i":"0","f":"1"}]}]}]}`, "aff[0].r[0].ev[0]: more than one"},
		{"too many criteria", `{"id":"X","src":"nvd","cfg":[{"n":[{"c":[` + strings.Repeat(crit, 50_000) + crit[:len(crit)-1] + `]}]}]}`, "50001 criteria"},
		{"too big", `{"id":"X","src":"nvd","sum":"` + strings.Repeat("x", 32<<20) + `"}`, "more than 33554432"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := vuln.UnmarshalAdvisory([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("UnmarshalAdvisory = %+v, %v; want an error containing %q", a, err, tt.want)
			}
		})
	}
}

func FuzzUnmarshalAdvisory(f *testing.F) {
	for _, a := range append(fixtureAdvisories(f), fullAdvisory()) {
		data, err := vuln.MarshalAdvisory(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"X","src":"nvd","cfg":[{"n":[{"c":[{"cpe":"cpe:2.3:a:b\\:c:d"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := vuln.UnmarshalAdvisory(data)
		if err != nil {
			return
		}
		// Whatever loads is stored and loaded again unchanged, and has keys.
		out, err := vuln.MarshalAdvisory(a)
		if err != nil {
			t.Fatalf("loaded advisory does not serialize: %v", err)
		}
		b, err := vuln.UnmarshalAdvisory(out)
		if err != nil {
			t.Fatalf("serialized again does not load: %v\n%s", err, out)
		}
		if diff := cmp.Diff(a, b, wireOpts); diff != "" {
			t.Fatalf("second round trip (-first +second):\n%s", diff)
		}
		vuln.AdvisoryKeys(a)
	})
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		key  vuln.Key
		want string
	}{
		{vuln.Key{vuln.KeyCPE, "a", "thekelleys", "dnsmasq"}, "cpe:a:thekelleys:dnsmasq"},
		{vuln.Key{vuln.KeyCPE, "a", `ex\:ample`, "p"}, `cpe:a:ex\:ample:p`},
		{vuln.Key{vuln.KeyPURL, "rpm", "almalinux", "openssl"}, "purl:rpm/almalinux/openssl"},
		{vuln.Key{vuln.KeyPURL, "generic", "", "dnsmasq"}, "purl:generic//dnsmasq"},
		{vuln.Key{vuln.KeyPURL, "golang", "github.com/x", "y z"}, "purl:golang/github.com%2Fx/y%20z"},
	}
	for _, tt := range tests {
		if got := tt.key.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.key, got, tt.want)
		}
	}
	// Distinct keys of the fixtures and test components give distinct strings.
	seen := map[string]vuln.Key{}
	var keys []vuln.Key
	for _, a := range fixtureAdvisories(t) {
		keys = append(keys, vuln.AdvisoryKeys(a)...)
	}
	for _, c := range selectionComponents() {
		keys = append(keys, vuln.ComponentKeys(c, cpe.DefaultAliases())...)
	}
	for _, k := range keys {
		if o, ok := seen[k.String()]; ok && o != k {
			t.Errorf("%#v and %#v both print %q", o, k, k.String())
		}
		seen[k.String()] = k
	}
}

func TestAdvisoryKeys(t *testing.T) {
	override := &vuln.Advisory{ID: "CVE-1", Source: vuln.SourceNVDOverrides, Withdrawn: time.Now(), Configurations: []cpe.Configuration{{Nodes: []cpe.Node{{Criteria: []cpe.Criterion{
		{Name: cpe.MustParse("cpe:2.3:o:linux:linux_kernel:-"), Vulnerable: false},
		{Name: cpe.MustParse("cpe:2.3:a:gnu:glibc:*"), Vulnerable: true},
		{Name: cpe.MustParse("cpe:2.3:a:gnu:glibc:2.40"), Vulnerable: true},
		{Name: cpe.MustParse("cpe:2.3:a:busybox:busybox:*"), Vulnerable: true},
	}}}}}}
	osvRec := &vuln.Advisory{ID: "OSV-1", Source: vuln.SourceOSV, Affected: []vuln.Affected{
		{Ecosystem: "Maven", Name: "org.example:lib"},
		{Ecosystem: "AlmaLinux:9", Name: "openssl"},
		{PURL: "pkg:rpm/almalinux/openssl"},
		{Ecosystem: "OSS-Fuzz", Name: "dnsmasq"}, // no purl form: not indexed
	}}
	withdrawn := &vuln.Advisory{ID: "OSV-2", Source: vuln.SourceOSV, Withdrawn: time.Now(), Affected: osvRec.Affected}
	tests := []struct {
		a    *vuln.Advisory
		want []vuln.Key
	}{
		{override, []vuln.Key{{"cpe", "a", "busybox", "busybox"}, {"cpe", "a", "gnu", "glibc"}}},
		{osvRec, []vuln.Key{{"purl", "maven", "org.example", "lib"}, {"purl", "rpm", "almalinux", "openssl"}}},
		{withdrawn, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, vuln.AdvisoryKeys(tt.a)); diff != "" {
			t.Errorf("AdvisoryKeys(%s) (-want +got):\n%s", tt.a.ID, diff)
		}
	}
}

func TestComponentKeys(t *testing.T) {
	tests := []struct {
		name string
		c    vuln.Component
		want []string
	}{
		{"alias", vuln.Component{CPEs: []string{"cpe:2.3:a:dnsmasq:dnsmasq:2.80"}}, []string{"cpe:a:dnsmasq:dnsmasq", "cpe:a:thekelleys:dnsmasq"}},
		{"any part", vuln.Component{CPEs: []string{"cpe:2.3:*:busybox:busybox:1.36.1"}}, []string{"cpe:a:busybox:busybox", "cpe:h:busybox:busybox", "cpe:o:busybox:busybox"}},
		{"any part with alias", vuln.Component{CPEs: []string{"cpe:/:haxx:curl:8.0"}}, []string{"cpe:a:haxx:curl", "cpe:a:haxx:libcurl", "cpe:h:haxx:curl", "cpe:o:haxx:curl"}},
		{"any vendor, NA product, pattern", vuln.Component{CPEs: []string{"cpe:2.3:a:*:dnsmasq:2.80", "cpe:2.3:a:x:-:1", "cpe:2.3:a:x:y?:1", "bad"}}, nil},
		{"two CPEs, same key", vuln.Component{CPEs: []string{"cpe:2.3:a:zlib:zlib:1.3", "cpe:/a:zlib:zlib:1.3"}}, []string{"cpe:a:zlib:zlib"}},
		{"purl with version", vuln.Component{PURL: "pkg:rpm/almalinux/openssl@3.0.1?distro=almalinux-9"}, []string{"purl:rpm/almalinux/openssl"}},
		{"purl, component version", vuln.Component{PURL: "pkg:generic/dnsmasq", Version: "2.86"}, []string{"purl:generic//dnsmasq"}},
		{"purl without version", vuln.Component{PURL: "pkg:generic/dnsmasq"}, nil},
		{"bad purl", vuln.Component{PURL: "pkg:", Version: "1"}, nil},
		{"both", vuln.Component{Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1"}}, []string{"cpe:a:busybox:busybox", "purl:generic//busybox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, k := range vuln.ComponentKeys(tt.c, cpe.DefaultAliases()) {
				got = append(got, k.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ComponentKeys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdvisoryIDsAndBestCVSS(t *testing.T) {
	a := &vuln.Advisory{ID: "ALSA-1", Aliases: []string{"CVE-1", "ALSA-1"}, Related: []string{"CVE-2", "CVE-1", ""}}
	if diff := cmp.Diff([]string{"ALSA-1", "CVE-1", "CVE-2"}, a.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if got := vuln.BestCVSS(nil); got != nil {
		t.Errorf("BestCVSS(nil) = %+v", got)
	}
	list := []vuln.CVSS{
		{Version: "2.0", Score: 5, Primary: true},
		{Version: "3.1", Score: 7.5, Source: "cna"},
		{Version: "3.1", Score: 9.8, Source: "nvd@nist.gov", Primary: true},
		{Version: "3.0", Score: 8, Primary: true},
	}
	if got := vuln.BestCVSS(list); got == nil || got.Score != 9.8 {
		t.Errorf("BestCVSS = %+v, want the primary 3.1 metric", got)
	}
}

// selectionComponents are components meant to reach every path of the
// key lookup: the labelled firmware, alias spellings, ANY part, CPE 2.2,
// ANY vendor, target_sw, AND configurations, purls with and without
// versions, and CPE plus purl together.
func selectionComponents() []vuln.Component {
	comps := slices.Concat(labelledFirmware["som60"], labelledFirmware["pkgstats"])
	return append(comps, []vuln.Component{
		{Name: "dnsmasq-alias", Version: "2.80", CPEs: []string{"cpe:2.3:a:dnsmasq:dnsmasq:2.80"}},
		{Name: "dnsmasq-any-part", Version: "2.80", CPEs: []string{"cpe:2.3:*:thekelleys:dnsmasq:2.80"}},
		{Name: "dnsmasq-uri", Version: "2.80", CPEs: []string{"cpe:/a:thekelleys:dnsmasq:2.80"}},
		{Name: "dnsmasq-any-vendor", Version: "2.80", CPEs: []string{"cpe:2.3:a:*:dnsmasq:2.80"}},
		{Name: "curl", Version: "8.8.0", CPEs: []string{"cpe:2.3:a:haxx:curl:8.8.0"}},
		{Name: "libcurl-new", Version: "7.61.0", CPEs: []string{"cpe:2.3:a:haxx:libcurl:7.61.0"}},
		{Name: "kernel", Version: "6.1.50", CPEs: []string{"cpe:2.3:o:linux:linux_kernel:6.1.50"}},
		{Name: "openssl", Version: "3.0.7", CPEs: []string{"cpe:2.3:a:openssl:openssl:3.0.7"}},
		{Name: "openssl-src", Version: "300.0.5", CPEs: []string{"cpe:2.3:a:alexcrichton:openssl-src-rs:300.0.5:*:*:*:*:rust:*:*"}},
		{Name: "openssl-src-untargeted", Version: "300.0.5", CPEs: []string{"cpe:2.3:a:alexcrichton:openssl-src-rs:300.0.5"}},
		{Name: "esp-idf", Version: "4.1", CPEs: []string{"cpe:2.3:a:espressif:esp-idf:4.1"}},
		{Name: "tokio", Version: "1.18.0", CPEs: []string{"cpe:2.3:a:tokio:tokio:1.18.0:*:*:*:*:rust:*:*"}},
		{Name: "urllib3", Version: "2.0.6", CPEs: []string{"cpe:2.3:a:python:urllib3:2.0.6"}, PURL: "pkg:pypi/urllib3@2.0.6"},
		{Name: "busybox-both", Version: "1.36.1", PURL: "pkg:generic/busybox@1.36.1", CPEs: []string{"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"}},
		{Name: "openssl-rpm", PURL: "pkg:rpm/almalinux/openssl@3.0.1-41.el9_0?distro=almalinux-9.0&epoch=1"},
		{Name: "openssl-libs-rpm", PURL: "pkg:rpm/almalinux/openssl-libs@1:3.0.1-20.el9"},
		{Name: "libcurl-rpm", PURL: "pkg:rpm/almalinux/libcurl@7.76.1-14.el9?distro=almalinux-9"},
		{Name: "dnsmasq-generic", PURL: "pkg:generic/dnsmasq@2.86"},
		{Name: "dnsmasq-generic-component-version", Version: "2.86", PURL: "pkg:generic/dnsmasq"},
		{Name: "dnsmasq-generic-no-version", PURL: "pkg:generic/dnsmasq"},
		{Name: "bad", PURL: "pkg:", CPEs: []string{"cpe:2.3:q:x:y:1"}},
	}...)
}

type storedRow struct {
	source, id string
	blob       []byte
	keys       []vuln.Key
	ids        []string
}

// rowStore is what a database keeps: one row per (source, ID), the last
// import winning, with its blob and lookup keys; and the KEV and EPSS
// records by CVE.
type rowStore struct {
	rows []storedRow
	kev  map[string]vuln.KEV
	epss map[string]vuln.EPSS
}

func newRowStore(t testing.TB, advs []*vuln.Advisory, kev []vuln.KEV, epss []vuln.EPSS) *rowStore {
	t.Helper()
	s := &rowStore{kev: map[string]vuln.KEV{}, epss: map[string]vuln.EPSS{}}
	at := map[[2]string]int{}
	for _, a := range advs {
		blob, err := vuln.MarshalAdvisory(a)
		if err != nil {
			t.Fatal(err)
		}
		r := storedRow{a.Source, a.ID, blob, vuln.AdvisoryKeys(a), a.IDs()}
		if i, ok := at[[2]string{a.Source, a.ID}]; ok {
			s.rows[i] = r
			continue
		}
		at[[2]string{a.Source, a.ID}] = len(s.rows)
		s.rows = append(s.rows, r)
	}
	for _, k := range kev {
		s.kev[k.CVE] = k
	}
	for _, e := range epss {
		s.epss[e.CVE] = e
	}
	return s
}

// selection says how a store picks rows; the zero value is the right way
// and each flag is a mistake the property test must catch.
type selection struct {
	noAliasKeys bool // ComponentKeys without the alias table
	noPURLKeys  bool // CPE keys only
	noIDClosure bool // no same-ID rows for NVD records
	idOnly      bool // KEV and EPSS by the advisory ID alone, not IDs()
}

// load builds an Index from the rows the components can reach, as a store
// would, and says how many rows it loaded.
func (s *rowStore) load(t testing.TB, aliases []cpe.Alias, comps []vuln.Component, sel selection) (*vuln.Index, int) {
	t.Helper()
	want := map[string]bool{}
	for _, c := range comps {
		al := aliases
		if sel.noAliasKeys {
			al = nil
		}
		for _, k := range vuln.ComponentKeys(c, al) {
			if sel.noPURLKeys && k.Kind == vuln.KeyPURL {
				continue
			}
			want[k.String()] = true
		}
	}
	picked := make([]bool, len(s.rows))
	nvdIDs := map[string]bool{}
	for i, r := range s.rows {
		for _, k := range r.keys {
			if want[k.String()] {
				picked[i] = true
				if r.source == vuln.SourceNVD || r.source == vuln.SourceNVDOverrides {
					nvdIDs[r.id] = true
				}
			}
		}
	}
	if !sel.noIDClosure {
		for i, r := range s.rows {
			picked[i] = picked[i] || nvdIDs[r.id]
		}
	}
	b := vuln.NewBuilder(aliases)
	n := 0
	cves := map[string]bool{}
	for i, r := range s.rows {
		if !picked[i] {
			continue
		}
		a, err := vuln.UnmarshalAdvisory(r.blob)
		if err != nil {
			t.Fatal(err)
		}
		b.AddAdvisory(a)
		n++
		ids := r.ids
		if sel.idOnly {
			ids = ids[:1]
		}
		for _, id := range ids {
			cves[id] = true
		}
	}
	for id := range cves {
		if k, ok := s.kev[id]; ok {
			b.AddKEV(k)
		}
		if e, ok := s.epss[id]; ok {
			b.AddEPSS(e)
		}
	}
	return b.Build(), n
}

// TestKeySelection checks the store's way of matching an SBOM: an Index
// built only from the rows whose AdvisoryKeys meet the components'
// ComponentKeys (plus same-ID rows of NVD records, and the KEV and EPSS
// records of their IDs) matches exactly as the Index of every record,
// over the fixtures, for each firmware and each component alone, with and
// without a platform and with and without the alias table. Its subtests
// show the check catches a store that selects wrongly.
func TestKeySelection(t *testing.T) {
	advs := fixtureAdvisories(t)
	// KEV and EPSS for every CVE the corpus names, and some it does not.
	var kev []vuln.KEV
	var epss []vuln.EPSS
	for i, a := range advs {
		for _, id := range a.IDs() {
			if strings.HasPrefix(id, "CVE-") {
				epss = append(epss, vuln.EPSS{CVE: id, Score: float64(i%100) / 100})
			}
		}
	}
	epss = append(epss, vuln.EPSS{CVE: "CVE-1999-0001", Score: 0.5})
	for _, id := range []string{"CVE-2024-1086", "CVE-2022-3602", "CVE-2023-28450", "CVE-1999-0001"} {
		kev = append(kev, vuln.KEV{CVE: id, DateAdded: time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC)})
	}
	store := newRowStore(t, advs, kev, epss)

	comps := selectionComponents()
	sboms := map[string][]vuln.Component{"som60": labelledFirmware["som60"], "pkgstats": labelledFirmware["pkgstats"], "all": comps}
	for _, c := range comps {
		sboms["component "+c.Name] = []vuln.Component{c}
	}
	firmwares := map[string]vuln.Firmware{
		"no platform": {Ref: vuln.Ref{Name: "fw"}},
		"platform":    {Ref: vuln.Ref{Name: "fw"}, Platform: []string{"cpe:2.3:h:espressif:esp32:-", "cpe:2.3:h:example:r100:-"}},
	}
	aliasTables := map[string][]cpe.Alias{"default aliases": cpe.DefaultAliases(), "no aliases": nil}

	// check returns the differences between the full and the selected
	// index, and counts matches and loaded rows.
	check := func(t *testing.T, sel selection) (diffs []string, matches, loaded, singles int) {
		for an, aliases := range aliasTables {
			full := vuln.NewBuilder(aliases)
			for _, a := range advs {
				full.AddAdvisory(a)
			}
			for _, k := range kev {
				full.AddKEV(k)
			}
			for _, e := range epss {
				full.AddEPSS(e)
			}
			fix := full.Build()
			total := fix.Stats().Advisories
			for sn, sbom := range sboms {
				small, n := store.load(t, aliases, sbom, sel)
				loaded += n
				if strings.HasPrefix(sn, "component ") {
					singles++
					if n >= total {
						t.Errorf("%s/%s: loaded %d rows, the full index has %d advisories: the keys select nothing", an, sn, n, total)
					}
				}
				for fn, fw := range firmwares {
					want := fix.Match(fw, sbom)
					matches += len(want)
					if diff := cmp.Diff(want, small.Match(fw, sbom)); diff != "" {
						diffs = append(diffs, fmt.Sprintf("%s/%s/%s (-full +selected):\n%s", an, sn, fn, diff))
					}
				}
			}
		}
		return diffs, matches, loaded, singles
	}

	diffs, matches, loaded, singles := check(t, selection{})
	for _, d := range diffs {
		t.Error(d)
	}
	t.Logf("%d SBOMs x 2 firmwares x 2 alias tables: %d matches, %d rows loaded (of %d stored); %d single-component SBOMs",
		len(sboms), matches, loaded, len(store.rows), singles)
	if matches < 400 {
		t.Errorf("only %d matches: the components do not exercise the corpus", matches)
	}

	// Each wrong selection must show up as a difference.
	for name, sel := range map[string]selection{
		"without alias keys":       {noAliasKeys: true},
		"without purl keys":        {noPURLKeys: true},
		"without same-ID NVD rows": {noIDClosure: true},
		"KEV and EPSS by ID only":  {idOnly: true},
	} {
		t.Run(name, func(t *testing.T) {
			diffs, _, _, _ := check(t, sel)
			if len(diffs) == 0 {
				t.Fatal("the selection is wrong, yet every match agreed")
			}
			t.Logf("%d differences, first: %s", len(diffs), strings.SplitN(diffs[0], "\n", 2)[0])
		})
	}
}

// wireBenchSets are the fixture records and an NVD-shaped generated
// corpus (bench_test.go), whose records are closer to the common NVD CVE.
func wireBenchSets(b *testing.B) map[string][]*vuln.Advisory {
	return map[string][]*vuln.Advisory{"fixtures": fixtureAdvisories(b), "generated": genCorpus(1000, 100, 1)}
}

func BenchmarkMarshalAdvisory(b *testing.B) {
	for name, advs := range wireBenchSets(b) {
		b.Run(name, func(b *testing.B) {
			var size int
			for _, a := range advs {
				data, err := vuln.MarshalAdvisory(a)
				if err != nil {
					b.Fatal(err)
				}
				size += len(data)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := vuln.MarshalAdvisory(advs[i%len(advs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)/float64(len(advs)), "bytes/record")
		})
	}
}

func BenchmarkUnmarshalAdvisory(b *testing.B) {
	for name, advs := range wireBenchSets(b) {
		b.Run(name, func(b *testing.B) {
			blobs := make([][]byte, len(advs))
			var size int
			for i, a := range advs {
				data, err := vuln.MarshalAdvisory(a)
				if err != nil {
					b.Fatal(err)
				}
				blobs[i] = data
				size += len(data)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := vuln.UnmarshalAdvisory(blobs[i%len(blobs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)/float64(len(advs)), "bytes/record")
		})
	}
}
