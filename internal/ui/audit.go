package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// auditLine is an audit event in words: who did what to which object,
// with a link to the object's page where it has one, and the event's
// facts as "field: value" instead of its JSON.
type auditLine struct {
	Event  iotsec.AuditEvent
	Who    string
	Verb   string
	Object string
	Link   string
	Facts  []string
}

// auditVerbs are the verbs of the audit log's actions' last part.
var auditVerbs = map[string]string{
	"create": "created", "update": "changed", "delete": "deleted", "add": "added", "remove": "removed",
	"import": "imported", "revoke": "revoked", "role": "changed the role of", "accept": "accepted",
	"decline": "declined", "cancel": "cancelled", "login": "signed in", "login-failed": "failed to sign in",
	"apply": "applied for certification of", "transition": "moved the lifecycle of", "image": "uploaded an image of",
	"scan": "scanned", "evidence": "recorded evidence on", "inputs": "recorded test inputs of", "draft": "drafted",
	"password": "set the password of", "enrol": "enrolled", "offer": "offered to transfer", "settings": "changed the settings of",
	"crl": "added a CRL to", "retire": "retired", "mail": "e-mailed",
}

// auditNouns name the kind of object of an action's first parts.
var auditNouns = map[string]string{
	"product": "product", "firmware": "firmware version", "device": "device", "device.transfer": "device", "job": "job",
	"member": "member", "invitation": "invitation", "token": "API token", "user": "user", "org": "organisation",
	"scheme": "scheme import", "sbom": "the SBOM of", "vex": "a VEX statement on", "cra": "CRA report",
	"identity.anchor": "trust anchor", "identity.cert": "certificate", "identity.ca": "certificate authority",
	"identity.token": "enrolment token", "identity": "device", "registry.key": "label signing key",
	"registry.operator": "scheme operator", "registry": "firmware version", "vulndb": "vulnerability data",
	"notify": "notifications", "session": "", "assessment": "firmware version",
}

// auditPages are the pages of things by their ID's prefix.
var auditPages = map[string]string{
	iotsec.PrefixProduct: "/products/", iotsec.PrefixFirmware: "/firmware/", iotsec.PrefixDevice: "/devices/",
	iotsec.PrefixJob: "/jobs/", iotsec.PrefixImport: "/catalog/imports/", iotsec.PrefixCert: "/identity/certificates/",
	iotsec.PrefixCertification: "/registry/", iotsec.PrefixCRA: "/supply/cra/",
}

// auditNames are detail fields that name the object better than its ID.
var auditNames = []string{"name", "email", "uid", "version", "model_number", "subject", "title"}

func describeAudit(e iotsec.AuditEvent) auditLine {
	l := auditLine{Event: e, Who: actorName(e.Actor)}
	head, last := "", e.Action
	if i := strings.LastIndex(e.Action, "."); i >= 0 {
		head, last = e.Action[:i], e.Action[i+1:]
	}
	l.Verb = auditVerbs[last]
	noun, known := auditNouns[head]
	if l.Verb == "" || !known {
		l.Verb, noun = "did "+e.Action+" to", ""
	}
	var details map[string]any
	if e.Details != "" && json.Unmarshal([]byte(e.Details), &details) != nil {
		l.Facts = []string{e.Details}
	}
	name := ""
	for _, k := range auditNames {
		v := details[k]
		if c, ok := v.(map[string]any); ok { // a change: the name now
			v = c["to"]
		}
		if v, ok := v.(string); ok && v != "" {
			name = v
			break
		}
	}
	if name == "" {
		name = e.Target
	}
	if noun != "" && name != "" {
		l.Object = noun + " " + name
	} else {
		l.Object = noun + name
	}
	if p, _, ok := strings.Cut(e.Target, "_"); ok {
		if page, ok := auditPages[p]; ok && !strings.HasSuffix(e.Action, ".delete") {
			l.Link = page + e.Target
		}
	}
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l.Facts = append(l.Facts, strings.ReplaceAll(k, "_", " ")+": "+factValue(details[k]))
	}
	return l
}

// factValue is a detail's value in words: a change as "from → to", a
// list joined, nothing in braces.
func factValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case string:
		if x == "" {
			return "none"
		}
		return x
	case map[string]any:
		if from, ok := x["from"]; ok {
			if to, ok := x["to"]; ok {
				return factValue(from) + " → " + factValue(to)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+factValue(x[k]))
		}
		return strings.Join(parts, ", ")
	case []any:
		var parts []string
		for _, y := range x {
			parts = append(parts, factValue(y))
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprint(x)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(v)
}
