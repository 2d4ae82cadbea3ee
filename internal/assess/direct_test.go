package assess_test

import (
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
)

// TestDirectRules: every provision the table names is in the catalog,
// every entry gives a reason, and no entry repeats.
func TestDirectRules(t *testing.T) {
	cat, err := crosswalk.Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range assess.DirectRules() {
		s, err := cat.Scheme(d.Scheme)
		if err != nil {
			t.Errorf("%s: %v", d.Rule, err)
			continue
		}
		if _, ok := s.Provision(d.Provision); !ok {
			t.Errorf("%s: %s has no provision %s", d.Rule, d.Scheme, d.Provision)
		}
		if len(d.Reason) < 40 {
			t.Errorf("%s -> %s %s: reason %q says too little", d.Rule, d.Scheme, d.Provision, d.Reason)
		}
		k := d.Rule + " " + d.Scheme + " " + d.Provision
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
	}
}

// TestDirectPSTI: an image whose root password is admin fails UK PSTI
// paragraph 1 directly, citing the requirement and the finding; the
// finding lists what it falsifies; an assessor who overrides EN 303 645
// 5.1-1 and 5.1-2 lifts it; a finding below the failing severity does not
// count; plain telnet (with a login) is left to the crosswalk, telnetd -l
// /bin/sh is not.
func TestDirectPSTI(t *testing.T) {
	if got := assess.Falsifies(defaultPassword); !strings.Contains(strings.Join(got, " "), "uk-psti:1") {
		t.Errorf("Falsifies(default password) = %v, want uk-psti:1 among them", got)
	}
	vs := project(t, assess.Input{Findings: []inspect.Finding{defaultPassword}}, crosswalk.SchemeRef{Slug: "uk-psti"})
	psti := vs["uk-psti"]
	p := provisionOf(t, psti, "1")
	if psti.Status != assess.StatusNotMet || p.Verdict != assess.Fail || p.Basis != assess.BasisDirect ||
		!strings.Contains(p.Reason, "Schedule 1 para 1") || !strings.Contains(p.Reason, "0x10000.squashfs/etc/shadow") || p.WhyNotFail != "" {
		t.Errorf("PSTI = %s; provision 1 = %s (%s): %q why-not %q", psti.Status, p.Verdict, p.Basis, p.Reason, p.WhyNotFail)
	}

	override := []assess.Evidence{
		{Provision: "5.1-1", Verdict: assess.Pass, Rationale: "the password is set at first boot", Override: true},
		{Provision: "5.1-2", Verdict: assess.Pass, Rationale: "the password is set at first boot", Override: true},
	}
	vs = project(t, assess.Input{Findings: []inspect.Finding{defaultPassword}, Evidence: override}, crosswalk.SchemeRef{Slug: "uk-psti"})
	if p := provisionOf(t, vs["uk-psti"], "1"); p.Verdict == assess.Fail {
		t.Errorf("after an override PSTI 1 = %s (%s)", p.Verdict, p.Reason)
	}

	mild := defaultPassword
	mild.Severity = "medium"
	vs = project(t, assess.Input{Findings: []inspect.Finding{mild}, FailAt: "high"}, crosswalk.SchemeRef{Slug: "uk-psti"})
	if p := provisionOf(t, vs["uk-psti"], "1"); p.Verdict == assess.Fail {
		t.Errorf("a medium finding with fail-at high fails PSTI 1: %s", p.Reason)
	}

	for _, tt := range []struct {
		sev  inspect.Severity
		want assess.Verdict
	}{{"high", assess.AtRisk}, {"critical", assess.Fail}} {
		f := finding("surface.telnet", tt.sev, "etc/init.d/rcS", "5.5-1", "5.6-1")
		vs := project(t, assess.Input{Findings: []inspect.Finding{f}}, crosswalk.SchemeRef{Slug: "nist-ir-8425"})
		if p := provisionOf(t, vs["nist-ir-8425"], "interface-access-control"); p.Verdict != tt.want && !(tt.want == assess.AtRisk && p.Verdict != assess.Fail) {
			t.Errorf("telnet %s: NIST IR 8425 interface access control = %s (%s), want %s", tt.sev, p.Verdict, p.Reason, tt.want)
		}
	}
}

// TestWhyNotFail: every provision that is neither decided nor not
// applicable says why it is not a FAIL, and so does every incomplete
// scheme and level.
func TestWhyNotFail(t *testing.T) {
	vs := project(t, assess.Input{Findings: []inspect.Finding{defaultPassword, finding("update.unverified", "high", "sbin/sysupgrade", "5.3-9", "5.3-10")}})
	n := 0
	for slug, sv := range vs {
		if sv.Status == assess.StatusIncomplete && !strings.HasPrefix(sv.WhyNotFail, "no mandatory provision fails") {
			t.Errorf("%s incomplete without a reason: %q", slug, sv.WhyNotFail)
		}
		for _, l := range sv.Levels {
			if l.Status == assess.StatusIncomplete && l.WhyNotFail == "" {
				t.Errorf("%s level %s incomplete without a reason", slug, l.Level)
			}
		}
		for _, p := range sv.Provisions {
			open := p.Verdict != assess.Pass && p.Verdict != assess.Fail && p.Verdict != assess.NotApplicable
			if open != (p.WhyNotFail != "") {
				t.Errorf("%s %s = %s, why not FAIL %q", slug, p.ID, p.Verdict, p.WhyNotFail)
			}
			if p.Verdict == assess.AtRisk {
				n++
				if !strings.Contains(p.WhyNotFail, "fails, but") && !strings.Contains(p.WhyNotFail, " fail, but their mappings") {
					t.Errorf("%s %s at risk: %q", slug, p.ID, p.WhyNotFail)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no provision at risk: the test proves nothing")
	}
}
