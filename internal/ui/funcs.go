package ui

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) string { return "/static/" + name + "?v=" + h.hashes[name] },
		"country": func(code string) string {
			if n, ok := iotsec.CountryName(code); ok {
				return n
			}
			return code
		},
		"join": strings.Join,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"ago":   func(t time.Time) string { return ago(h.Now(), t) },
		"short": func(s string) string { return shorten(s, 23) },
		"state": func(s iotsec.State) template.HTML {
			class := map[iotsec.State]string{
				iotsec.StateOperational: "ok", iotsec.StateSuspended: "warn", iotsec.StateDecommissioned: "", iotsec.StateDisposed: "",
				iotsec.StateManufactured: "info", iotsec.StateProvisioned: "info",
			}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(string(s)) + `</span>`)
		},
		"status": func(s string) template.HTML {
			class := map[string]string{"mandatory": "bad", "mandatory-for-class": "warn", "voluntary": "info"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(s) + `</span>`)
		},
		"coverage": func(s string) template.HTML {
			class := map[string]string{"full": "ok", "partial": "warn", "none": "bad"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(s) + `</span>`)
		},
		"gaplevel": func(s string) string {
			return map[string]string{"mandatory": "M", "upcoming": "U", "label": "L", "standard": "S", "none": "–"}[s]
		},
		"pct": func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
		"inc": func(i int) int { return i + 1 },
		"certstatus": func(s iotsec.CertStatus) template.HTML {
			class := map[iotsec.CertStatus]string{iotsec.CertActive: "ok", iotsec.CertHold: "warn", iotsec.CertRevoked: "bad"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(string(s)) + `</span>`)
		},
		"severity": func(s any) template.HTML {
			v := fmt.Sprint(s)
			class := map[string]string{"critical": "bad", "high": "bad", "medium": "warn", "low": "info"}[v]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(v) + `</span>`)
		},
		"idstatus": func(s string) template.HTML {
			class := map[string]string{"enrolled": "ok", "onboarding-only": "info", "suspended": "warn", "revoked": "bad"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(s) + `</span>`)
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006")
		},
		"verdict": func(v assess.Verdict) template.HTML {
			class := map[assess.Verdict]string{assess.Fail: "bad", assess.AtRisk: "warn", assess.Pass: "ok", assess.NotApplicable: "info"}[v]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(string(v)) + `</span>`)
		},
		"schemestatus": func(s string) template.HTML {
			class := map[string]string{assess.StatusNotMet: "bad", assess.StatusMet: "ok"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(strings.ReplaceAll(s, "-", " ")) + `</span>`)
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
		"vexstatus": func(s string) template.HTML {
			if s == "" {
				return ""
			}
			class := map[string]string{iotsec.VEXNotAffected: "ok", iotsec.VEXFixed: "ok", iotsec.VEXAffected: "bad", iotsec.VEXUnderInvestigation: "warn"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(strings.ReplaceAll(s, "_", " ")) + `</span>`)
		},
		"pair": func(a, b string) [2]string { return [2]string{a, b} },
		"inputtime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02T15:04")
		},
		"jobstate": func(s iotsec.JobState) template.HTML {
			class := map[iotsec.JobState]string{iotsec.JobQueued: "info", iotsec.JobRunning: "warn", iotsec.JobSucceeded: "ok", iotsec.JobFailed: "bad"}[s]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(string(s)) + `</span>`)
		},
	}
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
