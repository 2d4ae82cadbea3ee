package ui

import (
	"fmt"
	"html/template"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// funcs are the template functions: formatting, links to static files and
// the badges.
func (h *Handler) funcs() template.FuncMap {
	fm := template.FuncMap{
		"static": func(name string) string { return "/static/" + name + "?v=" + h.hashes[name] },
		"country": func(code string) string {
			if n, ok := iotsec.CountryName(code); ok {
				return n
			}
			return code
		},
		"join":  strings.Join,
		"bars":  bars,
		"trend": trend,
		"signed": func(n int) string {
			if n > 0 {
				return "+" + strconv.Itoa(n)
			}
			if n < 0 {
				return "−" + strconv.Itoa(-n)
			}
			return "0"
		},
		"actor": actorName,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"ago":   func(t time.Time) string { return ago(h.Now(), t) },
		"short": func(s string) string { return shorten(s, 23) },
		"gaplevel": func(s string) string {
			return map[string]string{"mandatory": "M", "upcoming": "U", "label": "L", "standard": "S", "none": "–"}[s]
		},
		"pct":            func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
		"inc":            func(i int) int { return i + 1 },
		"updatedelivery": updateDeliveryText,
		"contains":       strings.Contains,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006")
		},
		"mib": func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) },
		"score": func(f float64) string {
			if f == 0 {
				return "—"
			}
			return strconv.FormatFloat(f, 'f', 1, 64)
		},
		"epss": func(f float64) string {
			if f == 0 {
				return "—"
			}
			return strconv.FormatFloat(f*100, 'f', 2, 64) + "%"
		},
		// who names an actor for people: a user by e-mail, a token by
		// its name, never by an ID alone.
		"who": func(a iotsec.Actor) string {
			switch {
			case a.TokenID != "" && a.Label != "":
				return "API token “" + a.Label + "”"
			case a.TokenID != "":
				return "API token " + a.TokenID
			case a.UserID != "" && a.Label != "":
				return a.Label
			case a.UserID != "":
				return "user " + a.UserID
			case a.Label != "":
				return "iotsec (" + a.Label + ")"
			}
			return "iotsec"
		},
		// jobkind names a kind of job in words.
		"jobkind": func(kind string) string {
			if n, ok := jobKinds[kind]; ok {
				return n
			}
			return kind
		},
		"pair": func(a, b string) [2]string { return [2]string{a, b} },
		"inputtime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02T15:04")
		},
	}
	maps.Copy(fm, badges())
	return fm
}

// jobKinds name the kinds of job in words.
var jobKinds = map[string]string{
	evaluation.JobKind: "Firmware scan",
	inventory.Kind:     "Device import",
	supply.JobKind:     "Vulnerability re-match",
	iotsec.JobDeliver:  "Notification delivery",
}

// badges are the template functions that show a value as a coloured label.
// Each one only maps its value to a class (ok, warn, bad, info; no entry
// for grey) and a label; badge writes the HTML.
func badges() template.FuncMap {
	severity := map[string]string{"critical": "bad", "high": "bad", "medium": "warn", "low": "info"}
	schemeStatus := map[string]string{evaluation.StatusNotMet: "bad", evaluation.StatusMet: "ok"}
	vex := map[string]string{
		iotsec.VEXNotAffected: "ok", iotsec.VEXFixed: "ok", iotsec.VEXAffected: "bad", iotsec.VEXUnderInvestigation: "warn",
	}
	return template.FuncMap{
		"state": badgeOf(map[iotsec.State]string{
			iotsec.StateManufactured: "info", iotsec.StateProvisioned: "info", iotsec.StateOperational: "ok",
			iotsec.StateSuspended: "warn", iotsec.StateDecommissioned: "", iotsec.StateDisposed: "",
		}),
		"status":     badgeOf(map[string]string{"mandatory": "bad", "mandatory-for-class": "warn", "voluntary": "info"}),
		"coverage":   badgeOf(map[string]string{"full": "ok", "partial": "warn", "none": "bad"}),
		"certstatus": badgeOf(map[iotsec.CertStatus]string{iotsec.CertActive: "ok", iotsec.CertHold: "warn", iotsec.CertRevoked: "bad"}),
		"idstatus":   badgeOf(map[string]string{"enrolled": "ok", "onboarding-only": "info", "suspended": "warn", "revoked": "bad"}),
		"verdict": badgeOf(map[evaluation.Verdict]string{
			evaluation.Fail: "bad", evaluation.AtRisk: "warn", evaluation.Pass: "ok", evaluation.NotApplicable: "info",
		}),
		"jobstate": badgeOf(map[iotsec.JobState]string{
			iotsec.JobQueued: "info", iotsec.JobRunning: "warn", iotsec.JobSucceeded: "ok", iotsec.JobFailed: "bad",
		}),
		"recordstatus": badgeOf(map[iotsec.RecordStatus]string{
			iotsec.StatusApplied: "info", iotsec.StatusCertified: "ok", iotsec.StatusUnderReview: "warn", iotsec.StatusSuspended: "warn",
			iotsec.StatusExpired: "bad", iotsec.StatusRevoked: "bad", iotsec.StatusWithdrawn: "bad",
		}),
		"deliverystate": badgeOf(map[iotsec.DeliveryState]string{
			iotsec.DeliveryQueued: "", iotsec.DeliveryRetrying: "warn", iotsec.DeliverySent: "ok", iotsec.DeliveryFailed: "bad",
		}),
		// severity takes any because findings, identity audits and
		// vulnerabilities each have their own severity type.
		"severity":     func(s any) template.HTML { return badge(severity[fmt.Sprint(s)], fmt.Sprint(s)) },
		"schemestatus": func(s string) template.HTML { return badge(schemeStatus[s], strings.ReplaceAll(s, "-", " ")) },
		// vexstatus shows nothing for a match no statement covers.
		"vexstatus": func(s string) template.HTML {
			if s == "" {
				return ""
			}
			return badge(vex[s], strings.ReplaceAll(s, "_", " "))
		},
	}
}

// badgeOf is a badge function whose label is the value itself.
func badgeOf[T ~string](classes map[T]string) func(T) template.HTML {
	return func(v T) template.HTML { return badge(classes[v], string(v)) }
}

// badge is the one place a badge's HTML is written. Both class and label
// are escaped: labels are often imported data (severities, states).
func badge(class, label string) template.HTML {
	if class != "" {
		class = " " + class
	}
	return template.HTML(`<span class="badge` + template.HTMLEscapeString(class) + `">` + template.HTMLEscapeString(label) + `</span>`)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "—"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	}
	return t.UTC().Format("2 Jan 2006")
}

// updateDeliveryText is CTA-2120's wording of an update_default slug.
func updateDeliveryText(slug string) string {
	switch slug {
	case "automatic_may_opt_out":
		return "Automatic, the user may opt out"
	case "automatic_may_not_opt_out":
		return "Automatic, the user may not opt out"
	case "manual":
		return "Manual"
	case "consent_based":
		return "With the user's consent"
	case "no_updates":
		return "No updates"
	case "not_disclosed":
		return "Not disclosed"
	case "other":
		return "Other"
	case "":
		return "not stated"
	}
	return slug
}

// actorName names an actor as the audit log records it (iotsec.Actor.Name) in
// words: a person by their address, a token by its name, the system by
// what ran.
func actorName(name string) string {
	kind, rest, _ := strings.Cut(name, ":")
	label := rest
	if i := strings.Index(rest, " ("); i >= 0 && strings.HasSuffix(rest, ")") {
		label = rest[i+2 : len(rest)-1]
	}
	switch kind {
	case "user":
		return label
	case "token":
		return "API token “" + label + "”"
	case "system":
		return "iotsec (" + label + ")"
	}
	return name
}
