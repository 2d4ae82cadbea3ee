package inspect

// RuleInfo is one firmware check rule and the ETSI EN 303 645 provisions
// its findings bear on (the mapping is ours and indicative, as
// docs/evaluation.md says: a finding bears on a provision, it never
// claims the provision is met). The good practice guide of the policy
// service names these rules under each requirement they check.
type RuleInfo struct {
	Rule       string
	Provisions []string
}

// Rules lists the firmware rules of the check families with their
// provisions; TestRulesMatchDocs keeps it equal to the table of
// docs/evaluation.md.
func Rules() []RuleInfo {
	p := func(ids ...string) []string { return ids }
	return []RuleInfo{
		{"credentials.empty-password", p("5.1-1")},
		{"credentials.uid0-account", p("5.6-7")},
		{"credentials.default-password", p("5.1-1", "5.1-2")},
		{"credentials.weak-hash", p("5.1-3", "5.4-1")},
		{"credentials.hash-in-passwd", p("5.4-1")},
		{"credentials.hardcoded", p("5.1-1", "5.4-3")},
		{"crypto.private-key", p("5.4-3", "5.4-4")},
		{"crypto.encrypted-private-key", p("5.4-3", "5.4-4")},
		{"crypto.short-private-key", p("5.5-1")},
		{"crypto.key-reuse", p("5.4-4")},
		{"crypto.cert-expired", p("5.5-1")},
		{"crypto.cert-not-yet-valid", p("5.5-1")},
		{"crypto.cert-self-signed", p("5.5-1")},
		{"crypto.cert-weak-signature", p("5.5-1")},
		{"crypto.cert-short-key", p("5.5-1")},
		{"binary.no-canary", p("5.6-9")},
		{"binary.no-nx", p("5.6-9")},
		{"binary.no-pie", p("5.6-9")},
		{"binary.no-relro", p("5.6-9")},
		{"binary.no-fortify", p("5.6-9")},
		{"binary.rpath", p("5.6-9")},
		{"binary.not-stripped", p("5.6-9")},
		{"binary.dangerous-functions", p("5.6-9", "5.13-1")},
		{"surface.telnet", p("5.5-4", "5.6-1", "5.5-1")},
		{"surface.ftp", p("5.5-1", "5.6-1")},
		{"surface.debug-shell", p("5.6-4")},
		{"surface.bind-shell", p("5.6-1", "5.5-4")},
		{"surface.reverse-shell", p("5.6-1", "5.5-4")},
		{"surface.debug-service", p("5.6-4", "5.6-1")},
		{"surface.web-server", p("5.6-1")},
		{"surface.upnp-insecure", p("5.5-5", "5.6-1")},
		{"surface.open-wifi", p("5.5-1")},
		{"surface.ssh-root-login", p("5.1-5", "5.6-7")},
		{"surface.ssh-password-auth", p("5.1-5", "5.1-1")},
		{"surface.snmp-default-community", p("5.1-1", "5.5-1")},
		{"update.mechanism", p("5.3-2")},
		{"update.none", p("5.3-1", "5.3-2")},
		{"update.unverified", p("5.3-9", "5.3-10")},
		{"update.plain-http", p("5.3-7", "5.5-1")},
		{"data.personal-data", p("5.8-1")},
		{"data.world-writable", p("5.6-7")},
		{"data.suid", p("5.6-7")},
		{"data.secret-readable", p("5.4-1")},
		{"network.cleartext-endpoint", p("5.5-1")},
		{"network.hardcoded-host", p("5.5-1")},
	}
}
