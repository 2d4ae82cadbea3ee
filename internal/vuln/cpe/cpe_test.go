package cpe

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		vendor  string
		version string
		wantErr string
	}{
		{in: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", want: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", vendor: "busybox", version: "1.36.1"},
		{in: "cpe:2.3:a:BusyBox:BusyBox:1.36.1", want: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", vendor: "busybox", version: "1.36.1"},
		{in: `cpe:2.3:a:miniupnp.free:miniupnpd:1.0\(1\):*:*:*:*:*:*:*`, want: `cpe:2.3:a:miniupnp.free:miniupnpd:1.0\(1\):*:*:*:*:*:*:*`, vendor: "miniupnp.free", version: `1.0\(1\)`},
		{in: `cpe:2.3:a:foo\_bar:b\.az:1\.0:*:*:*:*:*:*:*`, want: "cpe:2.3:a:foo_bar:b.az:1.0:*:*:*:*:*:*:*", vendor: "foo_bar", version: "1.0"},
		{in: `cpe:2.3:a:vendor:prod\:uct:2.0:*:*:*:*:*:*:*`, want: `cpe:2.3:a:vendor:prod\:uct:2.0:*:*:*:*:*:*:*`, vendor: "vendor", version: "2.0"},
		{in: `cpe:2.3:a:v:p:\-:*:*:*:*:*:*:*`, want: `cpe:2.3:a:v:p:\-:*:*:*:*:*:*:*`, vendor: "v", version: `\-`},
		{in: "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", want: "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", vendor: "linux", version: "-"},
		{in: "cpe:2.3:a:openssl:openssl:1.1.1*:*:*:*:*:*:*:*", want: "cpe:2.3:a:openssl:openssl:1.1.1*:*:*:*:*:*:*:*", vendor: "openssl", version: "1.1.1*"},
		{in: "cpe:2.3:a:x:y::*:*:*:*:*:*:*", want: "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", vendor: "x", version: "*"},
		{in: "cpe:/a:busybox:busybox:1.36.1", wantErr: "does not start with cpe:2.3:"},
		{in: "cpe:2.3:x:busybox:busybox", wantErr: "part"},
		{in: "cpe:2.3:a:a:b:c:d:e:f:g:h:i:j:k", wantErr: "more than 11"},
		{in: `cpe:2.3:a:a:b\`, wantErr: "lone backslash"},
		{in: "cpe:2.3:a:a b:c", wantErr: "not printable"},
		{in: "cpe:2.3:a:" + strings.Repeat("a", MaxLen), wantErr: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if n.String() != tt.want || n.Vendor() != tt.vendor || n.Version() != tt.version {
				t.Errorf("Parse(%q) = %s vendor %q version %q, want %s vendor %q version %q", tt.in, n, n.Vendor(), n.Version(), tt.want, tt.vendor, tt.version)
			}
			// Canonical strings parse to themselves.
			if again := MustParse(n.String()); again != n {
				t.Errorf("Parse(%q) is not stable: %s", n, again)
			}
		})
	}
}

func TestUnquoteNew(t *testing.T) {
	n, err := New("a", "acme", "web server", "1.0(2)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.String(), `cpe:2.3:a:acme:web_server:1.0\(2\):*:*:*:*:*:*:*`; got != want {
		t.Errorf("New = %s, want %s", got, want)
	}
	if got := Unquote(n.Version()); got != "1.0(2)" {
		t.Errorf("Unquote(%q) = %q, want %q", n.Version(), got, "1.0(2)")
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		s, t string
		want Relation
	}{
		{"*", "*", Equal}, {"-", "-", Equal}, {"*", "x", Superset}, {"x", "*", Subset},
		{"-", "x", Disjoint}, {"x", "-", Disjoint}, {"*", "-", Superset}, {"-", "*", Subset},
		{"x", "x", Equal}, {"x", "y", Disjoint}, {"1.1.1*", "1.1.1k", Superset}, {"1.?", "1.2", Superset},
		{"1.?", "1.22", Disjoint},
	}
	for _, tt := range tests {
		if got := Compare(tt.s, tt.t); got != tt.want {
			t.Errorf("Compare(%q, %q) = %v, want %v", tt.s, tt.t, got, tt.want)
		}
	}
}

func crit(t testing.TB, s string, vuln bool, rng ...string) Criterion {
	t.Helper()
	c := Criterion{Name: MustParse(s), Vulnerable: vuln}
	for len(rng) < 4 {
		rng = append(rng, "")
	}
	if err := c.SetRange(rng[0], rng[1], rng[2], rng[3]); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCriterionMatch(t *testing.T) {
	const kernel = "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*"
	tests := []struct {
		name   string
		crit   Criterion
		target string
		want   bool
		why    string
	}{
		{"in range", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:5.10.0", true, ""},
		{"start including boundary", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:3.15", true, ""},
		{"end excluding boundary", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:5.15.149", false, "above"},
		{"below start", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:3.14.9", false, "below"},
		{"start excluding boundary", crit(t, kernel, true, "", "3.15", "", ""), "cpe:2.3:o:linux:linux_kernel:3.15", false, "below"},
		{"end including boundary", crit(t, "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", true, "", "", "1.35.0", ""), "cpe:2.3:a:busybox:busybox:1.35.0", true, ""},
		{"openssl letter in range", crit(t, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true, "1.1.1", "", "", "1.1.1w"), "cpe:2.3:a:openssl:openssl:1.1.1k", true, ""},
		{"openssl letter above", crit(t, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true, "1.1.1", "", "", "1.1.1k"), "cpe:2.3:a:openssl:openssl:1.1.1k", false, "above"},
		{"dnsmasq rc below fixed", crit(t, "cpe:2.3:a:thekelleys:dnsmasq:*:*:*:*:*:*:*:*", true, "", "", "", "2.90"), "cpe:2.3:a:thekelleys:dnsmasq:2.90rc1", true, ""},
		{"exact version", crit(t, "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2018.76:*:*:*:*:*:*:*", true), "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2018.76", true, ""},
		{"exact version differs", crit(t, "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2018.76:*:*:*:*:*:*:*", true), "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78", false, "version differs"},
		{"exact rc needs rc", crit(t, "cpe:2.3:o:linux:linux_kernel:6.8:rc1:*:*:*:*:*:*", true), "cpe:2.3:o:linux:linux_kernel:6.8", false, "update differs"},
		{"exact rc in version string", crit(t, "cpe:2.3:o:linux:linux_kernel:6.8:rc1:*:*:*:*:*:*", true), "cpe:2.3:o:linux:linux_kernel:6.8-rc1", true, ""},
		{"exact rc in update", crit(t, "cpe:2.3:o:linux:linux_kernel:6.8:rc1:*:*:*:*:*:*", true), "cpe:2.3:o:linux:linux_kernel:6.8:rc1", true, ""},
		{"all versions", crit(t, "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*", true), "cpe:2.3:a:x:y:0.1", true, ""},
		{"NA version never matches a versioned component", crit(t, "cpe:2.3:a:apache:http_server:-:*:*:*:*:*:*:*", true), "cpe:2.3:a:apache:http_server:2.4.1", false, "NA"},
		{"component without version", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:*", false, "no version"},
		{"unorderable component version", crit(t, kernel, true, "3.15", "", "", "5.15.149"), "cpe:2.3:o:linux:linux_kernel:custom", false, "no order"},
		{"other vendor", crit(t, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true), "cpe:2.3:a:sfackler:openssl:0.10.0", false, "vendor or product"},
		{"part differs", crit(t, "cpe:2.3:h:netapp:h410c:-:*:*:*:*:*:*:*", true), "cpe:2.3:o:netapp:h410c:1", false, "part"},
		{"rust crate target_sw", crit(t, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:rust:*:*", true), "cpe:2.3:a:openssl:openssl:3.0.1", false, "another software platform"},
		{"rust crate target_sw stated", crit(t, "cpe:2.3:a:openssl:openssl:*:*:*:*:*:rust:*:*", true), "cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:rust:*:*", true, ""},
		{"platform target_sw allowed", crit(t, "cpe:2.3:a:busybox:busybox:*:*:*:*:*:linux:*:*", true), "cpe:2.3:a:busybox:busybox:1.30.0", true, ""},
		{"ambiguous any vendor", crit(t, "cpe:2.3:h:intel:*:*:*:*:*:*:*:*:*", true), "cpe:2.3:h:*:core_i7:1", false, "ambiguous"},
		{"version wildcard", crit(t, "cpe:2.3:a:openssl:openssl:1.1.1*:*:*:*:*:*:*:*", true), "cpe:2.3:a:openssl:openssl:1.1.1t", true, ""},
		{"openssh p-release in update", crit(t, "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", true, "", "", "", "9.3p2"), "cpe:2.3:a:openbsd:openssh:9.3:p1", true, ""},
		{"openssh p-release fixed", crit(t, "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", true, "", "", "", "9.3p2"), "cpe:2.3:a:openbsd:openssh:9.3p2", false, "above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.crit.Match(MustParse(tt.target))
			if got != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("%s %s .Match(%s) = %v %q, want %v %q", tt.crit.Name, tt.crit.Range(), tt.target, got, why, tt.want, tt.why)
			}
		})
	}
}

func TestSetRangeConflict(t *testing.T) {
	var c Criterion
	if err := c.SetRange("1", "2", "", ""); err == nil {
		t.Error("SetRange with two starts succeeded")
	}
	if err := c.SetRange("", "", "1", "2"); err == nil {
		t.Error("SetRange with two ends succeeded")
	}
}

func TestConfigurationMatch(t *testing.T) {
	chrome := crit(t, "cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*", true, "", "", "", "120.0")
	linuxPlatform := crit(t, "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", false)
	fw := crit(t, "cpe:2.3:o:netapp:h410c_firmware:-:*:*:*:*:*:*:*", true)
	hw := crit(t, "cpe:2.3:h:netapp:h410c:-:*:*:*:*:*:*:*", false)
	busybox := crit(t, "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", true, "", "", "", "1.36.0")
	notOnVendorX := crit(t, "cpe:2.3:o:vendorx:os:*:*:*:*:*:*:*:*", false)

	runningOn := Configuration{And: true, Nodes: []Node{{Criteria: []Criterion{chrome}}, {Criteria: []Criterion{linuxPlatform}}}}
	firmware := Configuration{And: true, Nodes: []Node{{Criteria: []Criterion{fw}}, {Criteria: []Criterion{hw}}}}
	simple := Configuration{Nodes: []Node{{Criteria: []Criterion{busybox}}}}
	negated := Configuration{And: true, Nodes: []Node{{Criteria: []Criterion{busybox}}, {Negate: true, Criteria: []Criterion{notOnVendorX}}}}
	andNode := Configuration{Nodes: []Node{{And: true, Criteria: []Criterion{busybox, crit(t, "cpe:2.3:a:gnu:glibc:*:*:*:*:*:*:*:*", true)}}}}

	tests := []struct {
		name     string
		cfg      Configuration
		target   string
		platform Platform
		want     bool
		assumed  bool
	}{
		{"vulnerable:false kernel is not a target", runningOn, "cpe:2.3:o:linux:linux_kernel:6.1", Platform{}, false, false},
		{"chrome on unknown platform", runningOn, "cpe:2.3:a:google:chrome:119.0", Platform{}, true, true},
		{"firmware with unknown hardware", firmware, "cpe:2.3:o:netapp:h410c_firmware:-", Platform{}, true, true},
		{"firmware on the named hardware", firmware, "cpe:2.3:o:netapp:h410c_firmware:-", NewPlatform(MustParse("cpe:2.3:h:netapp:h410c:-")), true, false},
		{"firmware on other hardware", firmware, "cpe:2.3:o:netapp:h410c_firmware:-", NewPlatform(MustParse("cpe:2.3:h:netapp:h300s:-")), false, false},
		{"simple or", simple, "cpe:2.3:a:busybox:busybox:1.35.0", Platform{}, true, false},
		{"simple or fixed", simple, "cpe:2.3:a:busybox:busybox:1.36.0", Platform{}, false, false},
		{"negated platform absent", negated, "cpe:2.3:a:busybox:busybox:1.35.0", Platform{Known: true}, true, false},
		{"negated platform present", negated, "cpe:2.3:a:busybox:busybox:1.35.0", NewPlatform(MustParse("cpe:2.3:o:vendorx:os:1")), false, false},
		{"and node needs both", andNode, "cpe:2.3:a:busybox:busybox:1.35.0", Platform{Known: true}, false, false},
		{"and node with glibc present", andNode, "cpe:2.3:a:busybox:busybox:1.35.0", NewPlatform(MustParse("cpe:2.3:a:gnu:glibc:2.31")), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ok := tt.cfg.Match(0, MustParse(tt.target), tt.platform)
			if ok != tt.want || res.PlatformAssumed != tt.assumed {
				t.Errorf("Match(%s) = %v (assumed %v), want %v (assumed %v)", tt.target, ok, res.PlatformAssumed, tt.want, tt.assumed)
			}
			if ok && !res.Criterion.Vulnerable {
				t.Errorf("Match(%s) attributed to a vulnerable:false criterion", tt.target)
			}
		})
	}
}

func TestReason(t *testing.T) {
	c := crit(t, "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", true, "6.2", "", "", "6.6.15")
	c.ID = "87C718CB-AE3D-4B07-B4D9-BFF64183C468"
	cfg := Configuration{Nodes: []Node{{Criteria: []Criterion{c}}}}
	target := MustParse("cpe:2.3:o:linux:linux_kernel:6.5.1")
	res, ok := cfg.Match(2, target, Platform{})
	if !ok {
		t.Fatal("no match")
	}
	want := "configuration 3 node 1: cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:* versions >= 6.2, < 6.6.15 matched 6.5.1 (match criteria 87C718CB-AE3D-4B07-B4D9-BFF64183C468)"
	if got := res.Reason(target); got != want {
		t.Errorf("Reason = %q, want %q", got, want)
	}
	if got := c.Fixed(); got != "6.6.15" {
		t.Errorf("Fixed() = %q, want 6.6.15", got)
	}
}

func TestAliases(t *testing.T) {
	a := NewAliases(DefaultAliases())
	got := a.Of(Key{"a", "dnsmasq", "dnsmasq"})
	want := []Key{{"a", "thekelleys", "dnsmasq"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Of(dnsmasq:dnsmasq) mismatch (-want +got):\n%s", diff)
	}
	if got := a.Of(Key{"a", "openssl", "openssl"}); got != nil {
		t.Errorf("Of(openssl) = %v, want none", got)
	}
	if got := len(a.Of(Key{"a", "f5", "nginx"})); got != 2 {
		t.Errorf("len(Of(f5:nginx)) = %d, want 2", got)
	}
}

func TestProducts(t *testing.T) {
	cfgs := []Configuration{
		{And: true, Nodes: []Node{{Criteria: []Criterion{crit(t, "cpe:2.3:o:netapp:h410c_firmware:-:*:*:*:*:*:*:*", true)}}, {Criteria: []Criterion{crit(t, "cpe:2.3:h:netapp:h410c:-:*:*:*:*:*:*:*", false)}}}},
		{Nodes: []Node{{Criteria: []Criterion{crit(t, "cpe:2.3:o:netapp:h410c_firmware:1:*:*:*:*:*:*:*", true)}}}},
	}
	want := []Key{{"o", "netapp", "h410c_firmware"}}
	if diff := cmp.Diff(want, Products(cfgs)); diff != "" {
		t.Errorf("Products mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*",
		`cpe:2.3:a:v:p\:q:1.0\(1\):*:*:*:*:*:*:*`,
		"cpe:2.3:o:linux:linux_kernel:6.8:rc1:*:*:*:*:*:*",
		"cpe:2.3:a:openssl:openssl:1.1.1*:*:*:*:*:rust:*:*",
		`cpe:2.3:a:v:p:\-`,
	} {
		f.Add(s, "cpe:2.3:a:busybox:busybox:1.35.0")
	}
	f.Add("cpe:/a:foo%21:bar:1.0::~~~rust~~", "cpe:/o:linux:linux_kernel:6.8:rc1")
	f.Fuzz(func(t *testing.T, s, target string) {
		if u, err := ParseAny(s); err == nil {
			if _, err := Parse(u.String()); err != nil {
				t.Fatalf("ParseAny(%q) = %s which does not parse: %v", s, u, err)
			}
		}
		n, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(n.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %s which does not parse: %v", s, n, err)
		}
		if again != n {
			t.Fatalf("Parse(%q) = %s, reparsed %s", s, n, again)
		}
		for i := range numAttrs {
			_ = Unquote(n.Attr(i))
		}
		if tn, err := Parse(target); err == nil {
			c := Criterion{Name: n, Vulnerable: true, Start: "1.0", End: tn.Version()}
			c.Match(tn)
			cfg := Configuration{And: true, Nodes: []Node{{Criteria: []Criterion{c}}, {Negate: true, Criteria: []Criterion{{Name: tn}}}}}
			cfg.Match(0, tn, NewPlatform(n))
			_ = c.Range()
		}
	})
}

func TestParseAny(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cpe:/a:example:myapplication:1.0.0", "cpe:2.3:a:example:myapplication:1.0.0:*:*:*:*:*:*:*"},
		{"cpe:/o:linux:linux_kernel:6.8:rc1", "cpe:2.3:o:linux:linux_kernel:6.8:rc1:*:*:*:*:*:*"},
		{"cpe:/a:foo%21:bar:-", `cpe:2.3:a:foo\!:bar:-:*:*:*:*:*:*:*`},
		{"cpe:/a:openssl:openssl:1.0.2::~~~rust~~", "cpe:2.3:a:openssl:openssl:1.0.2:*:*:*:*:rust:*:*"},
		{"cpe:2.3:a:busybox:busybox:1.36.1", "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"},
	}
	for _, tt := range tests {
		n, err := ParseAny(tt.in)
		if err != nil || n.String() != tt.want {
			t.Errorf("ParseAny(%q) = %s, %v, want %s", tt.in, n, err, tt.want)
		}
	}
	for _, bad := range []string{"cpe:/a:b:c:d:e:f:g:h", "cpe:/a:b%2", "cpe:/a:b%zz", "cpe:/a:b:c:1:u:~x~y"} {
		if _, err := ParseAny(bad); err == nil {
			t.Errorf("ParseAny(%q) succeeded", bad)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, t string
		want bool
	}{
		{"1.1.1*", "1.1.1k", true}, {"*", "", true}, {"?", "", false}, {"a?c", "abc", true},
		{"a?c", `a\!c`, true}, {`a\!*`, `a\!bc`, true}, {`a\!*`, `a\?bc`, false},
		{"*b*", "aabaa", true}, {"*b", "aaba", false}, {"**a**", "a", true}, {"", "", true}, {"", "x", false},
	}
	for _, tt := range tests {
		if got := glob(tt.p, tt.t); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.p, tt.t, got, tt.want)
		}
	}
	// A hostile pattern against a long target returns at once.
	p := strings.Repeat("*a", 400) + "b"
	target := strings.Repeat("a", 1000)
	if glob(p, target) {
		t.Error("hostile pattern matched")
	}
}
