package registry

// ValidityRule is how long a grant of a scheme is valid when the
// authority does not say: Months from the first day. The period never runs
// past the maker's support end of the firmware version (Validity caps it):
// a label lapses when the maker stops supporting the version.
type ValidityRule struct {
	Scheme string `json:"scheme"` // the catalog's slug
	Months int    `json:"months"`
	// Source is where the figure comes from.
	Source string `json:"source"`
}

// ValidityRules are the schemes' default validity periods by catalog slug,
// as data. Only schemes with a published figure are here; a grant under
// another scheme must give its period's last day.
func ValidityRules() map[string]ValidityRule {
	rules := []ValidityRule{
		// BSI IT-Sicherheitskennzeichen: "validity is normally 2 years"
		// (BSI-ITSiKV of 2021-11-24; ../shared/reference/policy.md §2).
		{Scheme: "de-it-sik", Months: 24, Source: "BSI-ITSiKV 2021-11-24 (policy.md §2): normally 2 years"},
		// Singapore CLS: "up to 3 years" as issue 11 states it;
		// policy.md §2 marks CLS's length of validity as unconfirmed [U]
		// (the expiry date is embedded in the label ID), so this is the
		// longest period, not a verified default.
		{Scheme: "sg-cls", Months: 36, Source: "issue 11: CLS up to 3 years (policy.md §2: length not confirmed)"},
		// Japan JC-STAR: 2 years as issue 11 states it (policy.md §2 gives
		// no figure).
		{Scheme: "jp-jc-star", Months: 24, Source: "issue 11: JC-STAR 2 years (no figure in policy.md §2)"},
	}
	out := make(map[string]ValidityRule, len(rules))
	for _, r := range rules {
		out[r.Scheme] = r
	}
	return out
}
