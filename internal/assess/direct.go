package assess

import (
	"fmt"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/inspect"
)

// Direct evidence. The projection through the crosswalk can only say a
// scheme's provision FAILs when a failing EN 303 645 provision is fully
// covered by it; deemed-compliance mappings run one way, so most of them
// leave a scheme "at risk". But some findings falsify another scheme's
// own requirement, whatever EN 303 645 says: a password that a word list
// guesses from the image is the same on every unit built from it, which
// is exactly the universal default password UK PSTI Schedule 1 paragraph
// 1 bans. For those, the table below says so, with the reason, and the
// verdict on that provision is FAIL citing the finding.
//
// An entry applies to a finding of its rule at or above MinSeverity (and
// at or above the assessment's FailAt) whose EN 303 645 provisions still
// FAIL in the assessment (an assessor's override of those lifts it too).
// Every provision named must exist in the catalog: New checks it.

// DirectRule says that findings of a rule falsify a provision of another
// scheme directly.
type DirectRule struct {
	Rule        string           // finding rule, e.g. credentials.default-password
	MinSeverity inspect.Severity // lowest severity it applies to; "" means any
	Scheme      string           // scheme slug
	Provision   string           // the scheme's provision ID
	Reason      string           // why the finding falsifies the requirement's own text
}

// Reasons, each in our words, naming the requirement.
const (
	whyPSTIPassword = "UK PSTI Schedule 1 para 1: every password must be unique per product or defined by the user; " +
		"a password in the firmware image is the same on every unit built from it"
	whyPSTIEmpty = "UK PSTI Schedule 1 para 1: a blank password in the firmware image is a universal default, " +
		"neither unique per product nor defined by the user"
	whyNoDefault = "the scheme bans universal default passwords; this password ships in the firmware image, " +
		"the same on every unit"
	whySGCLS = "SG CLS 5.1-1 requires passwords unique per device or set by the user; this one ships in the image"
	whyCRAb  = "CRA Annex I Part I (2)(b) requires a secure by default configuration; the image ships a login " +
		"protected by a password anyone can look up (or by none)"
	whyCRAd = "CRA Annex I Part I (2)(d) requires protection from unauthorised access by appropriate control " +
		"mechanisms; this interface gives a shell without any authentication"
	whyCRAf = "CRA Annex I Part I (2)(f) requires protecting the integrity of programs; this update path installs " +
		"software without verifying its signature"
	whyNISTAccess = "NIST IR 8425 Interface Access Control: the product can restrict access to its interfaces to " +
		"authorized entities only; this one grants access to anyone"
	whyNISTUpdate = "NIST IR 8425 Software Update: software can be updated by authorized entities only, using a " +
		"secure mechanism; this one accepts software whose origin it never verifies"
)

// DirectRules is the table, in the order its entries are applied.
func DirectRules() []DirectRule {
	var out []DirectRule
	passwords := func(rule, psti string) {
		out = append(out,
			DirectRule{Rule: rule, Scheme: "uk-psti", Provision: "1", Reason: psti},
			DirectRule{Rule: rule, Scheme: "sg-cls", Provision: "5.1-1", Reason: whySGCLS},
			DirectRule{Rule: rule, Scheme: "jp-jc-star", Provision: "S1-passwords", Reason: "JC-STAR STAR-1: " + whyNoDefault},
			DirectRule{Rule: rule, Scheme: "au-smart-devices", Provision: "passwords", Reason: "AU smart devices rules: " + whyNoDefault},
			DirectRule{Rule: rule, Scheme: "eu-cra", Provision: "I.2b", Reason: whyCRAb},
		)
	}
	passwords("credentials.default-password", whyPSTIPassword)
	passwords("credentials.empty-password", whyPSTIEmpty)
	out = append(out,
		DirectRule{Rule: "credentials.empty-password", Scheme: "nist-ir-8425", Provision: "interface-access-control", Reason: whyNISTAccess},
		DirectRule{Rule: "credentials.empty-password", Scheme: "us-cyber-trust-mark", Provision: "interface-access-control", Reason: whyNISTAccess},
	)
	for _, rule := range []string{"surface.bind-shell", "surface.reverse-shell", "surface.debug-shell"} {
		out = append(out,
			DirectRule{Rule: rule, Scheme: "eu-cra", Provision: "I.2d", Reason: whyCRAd},
			DirectRule{Rule: rule, Scheme: "nist-ir-8425", Provision: "interface-access-control", Reason: whyNISTAccess},
			DirectRule{Rule: rule, Scheme: "us-cyber-trust-mark", Provision: "interface-access-control", Reason: whyNISTAccess},
		)
	}
	// telnetd -l /bin/sh: a shell for anyone; the plain telnet finding
	// (high) has a login and is left to the projection
	for _, p := range []DirectRule{
		{Scheme: "eu-cra", Provision: "I.2d", Reason: whyCRAd},
		{Scheme: "nist-ir-8425", Provision: "interface-access-control", Reason: whyNISTAccess},
		{Scheme: "us-cyber-trust-mark", Provision: "interface-access-control", Reason: whyNISTAccess},
	} {
		p.Rule, p.MinSeverity = "surface.telnet", inspect.Severity("critical")
		out = append(out, p)
	}
	out = append(out,
		DirectRule{Rule: "update.unverified", Scheme: "eu-cra", Provision: "I.2f", Reason: whyCRAf},
		DirectRule{Rule: "update.unverified", Scheme: "nist-ir-8425", Provision: "software-update", Reason: whyNISTUpdate},
		DirectRule{Rule: "update.unverified", Scheme: "us-cyber-trust-mark", Provision: "software-update", Reason: whyNISTUpdate},
	)
	return out
}

// checkDirect fails unless every provision of the table is in cat.
func checkDirect(cat *crosswalk.Catalog, rules []DirectRule) error {
	for _, d := range rules {
		s, err := cat.Scheme(d.Scheme)
		if err != nil {
			return fmt.Errorf("assess: direct rule %s: %w", d.Rule, err)
		}
		if _, ok := s.Provision(d.Provision); !ok {
			return fmt.Errorf("assess: direct rule %s: scheme %s has no provision %q", d.Rule, d.Scheme, d.Provision)
		}
	}
	return nil
}

// Falsifies lists the "scheme:provision" references a finding falsifies
// directly, for the finding's own record.
func Falsifies(f inspect.Finding) []string {
	var out []string
	for _, d := range DirectRules() {
		if d.applies(f) && !slices.Contains(out, d.Scheme+":"+d.Provision) {
			out = append(out, d.Scheme+":"+d.Provision)
		}
	}
	return out
}

func (d DirectRule) applies(f inspect.Finding) bool {
	return f.Rule == d.Rule && (d.MinSeverity == "" || f.Severity.Rank() >= d.MinSeverity.Rank())
}

// DirectFailure is a provision of another scheme that a finding
// falsifies directly.
type DirectFailure struct {
	Scheme    string `json:"scheme"`
	Provision string `json:"provision"`
	Rule      string `json:"rule"`
	Path      string `json:"path"`
	Finding   string `json:"finding"` // the finding's title
	// From are the finding's EN 303 645 provisions, which fail with it.
	From   []string `json:"from"`
	Reason string   `json:"reason"`
}

// directFailures applies the table to the findings that fail their EN
// 303 645 provisions in the assessment.
func directFailures(rules []DirectRule, findings []inspect.Finding, failAt inspect.Severity, results []Result) []DirectFailure {
	failed := map[string]bool{}
	for _, r := range results {
		if r.Verdict == Fail && r.Source == SourceAutomated {
			failed[r.Provision] = true
		}
	}
	var out []DirectFailure
	seen := map[string]bool{}
	for _, f := range findings {
		if f.Severity.Rank() < failAt.Rank() || !slices.ContainsFunc(f.Provisions, func(p string) bool { return failed[p] }) {
			continue
		}
		for _, d := range rules {
			k := d.Scheme + "\x00" + d.Provision + "\x00" + f.Rule
			if !d.applies(f) || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, DirectFailure{Scheme: d.Scheme, Provision: d.Provision, Rule: f.Rule, Path: f.Path, Finding: f.Title,
				From: slices.Clone(f.Provisions), Reason: d.Reason})
		}
	}
	return out
}

// directReason is the one-line reason of a direct FAIL.
func directReason(d DirectFailure) string {
	return fmt.Sprintf("%s [%s, %s], directly: %s", strings.TrimSuffix(d.Finding, "."), d.Rule, d.Path, d.Reason)
}
