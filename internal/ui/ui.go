// Package ui is iotsec's web interface: server-rendered pages from
// html/template, one stylesheet, no JavaScript build step, and forms that
// work without JavaScript at all. It owns everything about browsers:
// session cookies, CSRF tokens, the sign-in pages.
//
// It must not import the store implementations, server, api, cli or app
// packages.
package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Route is one page or form action.
type Route struct {
	Method, Path string
	Handler      func(http.ResponseWriter, *http.Request) error
}

// Handler serves the web UI.
type Handler struct {
	Store iotsec.Store
	// Schemes is the catalog of schemes and each organisation's imports.
	Schemes *catalog.Library
	Auth    *auth.Service
	Log     *slog.Logger
	Now     func() time.Time
	Version string
	// SecureCookies is "auto" (Secure when the request came over HTTPS),
	// "always" or "never".
	SecureCookies string
	TrustProxy    bool  // client address from X-Forwarded-For
	MaxForm       int64 // bytes of an ordinary form
	MaxUpload     int64 // bytes of an uploaded file
	// Evaluation is the evaluation service behind the firmware pages:
	// uploads, scans, evidence, ICS, IXIT, verdicts and reports.
	Evaluation *evaluation.Service
	// Identity is the device identity service behind the Identity pages.
	Identity *identity.Service
	// Supply is the supply-chain service behind the Supply chain pages.
	Supply *supply.Service

	pages  map[string]*template.Template
	hashes map[string]string // static file -> content hash, for cache-busting URLs
	cop    *http.CrossOriginProtection
}

// New parses the templates and returns a handler.
func New(store iotsec.Store, a *auth.Service, log *slog.Logger, version string) (*Handler, error) {
	h := &Handler{
		Store: store, Auth: a, Log: log, Now: time.Now, Version: version,
		SecureCookies: "auto", MaxForm: 1 << 20, MaxUpload: 64 << 20,
		pages: map[string]*template.Template{}, hashes: map[string]string{},
		cop: http.NewCrossOriginProtection(),
	}
	files, err := fs.Glob(staticFS, "static/*")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, _ := staticFS.ReadFile(f)
		sum := sha256.Sum256(b)
		h.hashes[path.Base(f)] = hex.EncodeToString(sum[:6])
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(h.funcs()).ParseFS(templateFS, "templates/layout.html", p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		h.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return h, nil
}

// Routes lists every page and form action.
func (h *Handler) Routes() []Route {
	pub, auth := h.public, h.private
	return []Route{
		{"GET", "/static/{file}", h.static},
		{"GET", "/login", pub(h.loginForm)},
		{"POST", "/login", pub(h.login)},
		{"GET", "/login/link/{secret}", pub(h.linkForm)},
		{"POST", "/login/link", pub(h.useLink)},
		{"POST", "/logout", auth(h.logout)},
		{"POST", "/session/org", auth(h.switchOrg)},
		{"GET", "/{$}", auth(h.overview)},
		{"GET", "/products", auth(h.products)},
		{"GET", "/products/new", auth(h.newProduct)},
		{"POST", "/products", auth(h.createProduct)},
		{"GET", "/products/{id}", auth(h.product)},
		{"GET", "/products/{id}/edit", auth(h.editProduct)},
		{"POST", "/products/{id}", auth(h.updateProduct)},
		{"POST", "/products/{id}/delete", auth(h.deleteProduct)},
		{"POST", "/products/{id}/firmware", auth(h.createFirmware)},
		{"POST", "/firmware/{id}/delete", auth(h.deleteFirmware)},
		{"GET", "/devices", auth(h.devices)},
		{"GET", "/devices/new", auth(h.newDevice)},
		{"POST", "/devices", auth(h.createDevice)},
		{"GET", "/devices/import", auth(h.importForm)},
		{"POST", "/devices/import", h.upload(h.importDevices)},
		{"GET", "/devices/{id}", auth(h.device)},
		{"POST", "/devices/{id}", auth(h.updateDevice)},
		{"POST", "/devices/{id}/delete", auth(h.deleteDevice)},
		{"GET", "/jobs", auth(h.jobs)},
		{"GET", "/jobs/{id}", auth(h.job)},
		{"GET", "/settings/tokens", auth(h.tokens)},
		{"POST", "/settings/tokens", auth(h.createToken)},
		{"POST", "/settings/tokens/{id}/revoke", auth(h.revokeToken)},
		{"GET", "/settings/members", auth(h.members)},
		{"POST", "/settings/members", auth(h.addMember)},
		{"POST", "/settings/members/{user}/role", auth(h.setMemberRole)},
		{"POST", "/settings/members/{user}/remove", auth(h.removeMember)},
		{"GET", "/audit", auth(h.audit)},
		{"GET", "/account", auth(h.account)},
		{"POST", "/account/password", auth(h.setPassword)},
		{"GET", "/catalog", auth(h.catalogHome)},
		{"GET", "/catalog/schemes/{slug}", auth(h.scheme)},
		{"GET", "/catalog/schemes/{slug}/export", auth(h.exportScheme)},
		{"GET", "/catalog/schemes/{slug}/provisions/{pid}", auth(h.provision)},
		{"GET", "/catalog/compare", auth(h.compare)},
		{"GET", "/catalog/applies", auth(h.applies)},
		{"GET", "/catalog/baseline", auth(h.baseline)},
		{"GET", "/catalog/gaps", auth(h.gaps)},
		{"GET", "/catalog/recognition", auth(h.recognition)},
		{"GET", "/catalog/imports", auth(h.schemeImports)},
		{"POST", "/catalog/imports", h.upload(h.importSchemes)},
		{"GET", "/catalog/imports/{id}", auth(h.schemeImport)},
		{"GET", "/catalog/imports/{id}/source", auth(h.importSource)},
		{"POST", "/catalog/imports/{id}/visibility", auth(h.setImportVisibility)},
		{"POST", "/catalog/imports/{id}/delete", auth(h.deleteImport)},
		{"GET", "/evaluation", auth(h.evaluation)},
		{"GET", "/firmware/{id}", auth(h.firmware)},
		{"POST", "/firmware/{id}/image", h.uploadImageRoute()},
		{"GET", "/firmware/{id}/findings", auth(h.firmwareFindings)},
		{"GET", "/firmware/{id}/components", auth(h.firmwareComponents)},
		{"GET", "/firmware/{id}/verdicts", auth(h.firmwareVerdicts)},
		{"POST", "/firmware/{id}/evidence", auth(h.recordEvidence)},
		{"POST", "/firmware/{id}/ics", h.upload(h.uploadICS)},
		{"POST", "/firmware/{id}/ixit", auth(h.addIXIT)},
		{"GET", "/firmware/{id}/ics.csv", auth(h.icsCSV)},
		{"GET", "/firmware/{id}/report", auth(h.firmwareReport("html"))},
		{"GET", "/firmware/{id}/report.sarif", auth(h.firmwareReport("sarif"))},
		{"GET", "/supply-chain", auth(h.supplyHome)},
		{"GET", "/supply/vulnerabilities", auth(h.supplyVulns)},
		{"GET", "/supply/vulnerabilities/{id}", auth(h.supplyVuln)},
		{"GET", "/supply/components", auth(h.supplyComponents)},
		{"GET", "/supply/firmware/{id}", auth(h.supplyFirmware)},
		{"POST", "/supply/firmware/{id}/rematch", auth(h.rematch)},
		{"POST", "/supply/firmware/{id}/sbom", h.upload(h.uploadSBOM)},
		{"GET", "/supply/firmware/{id}/sbom", auth(h.downloadSBOM)},
		{"POST", "/supply/firmware/{id}/vex", auth(h.addVEX)},
		{"GET", "/supply/firmware/{id}/vex", auth(h.downloadVEX)},
		{"GET", "/supply/products/{id}/csaf", auth(h.downloadCSAF)},
		{"GET", "/supply/cra", auth(h.supplyCRAs)},
		{"GET", "/supply/cra/{id}", auth(h.supplyCRA)},
		{"POST", "/supply/cra/{id}", auth(h.updateCRA)},
		{"GET", "/supply/notifications", auth(h.supplyNotifications)},
		{"POST", "/supply/notifications/read", auth(h.readNotifications)},
		{"POST", "/supply/notifications/settings", auth(h.saveNotifySettings)},
		{"GET", "/supply/support", auth(h.supplySupport)},
		{"GET", "/identity", auth(h.identityHome)},
		{"POST", "/identity/ca", auth(h.createCA)},
		{"POST", "/identity/claim", auth(h.claimTransfer)},
		{"GET", "/identity/roots", auth(h.identityRoots)},
		{"POST", "/identity/roots", auth(h.addRoots)},
		{"POST", "/identity/roots/{id}/delete", auth(h.deleteRoot)},
		{"GET", "/identity/devices", auth(h.identityDevices)},
		{"GET", "/identity/devices/{id}", auth(h.identityDevice)},
		{"POST", "/identity/devices/{id}/transition", auth(h.moveDevice)},
		{"POST", "/identity/devices/{id}/idevid", auth(h.registerIDevID)},
		{"POST", "/identity/devices/{id}/token", auth(h.createEnrolToken)},
		{"POST", "/identity/devices/{id}/transfer", auth(h.offerTransfer)},
		{"GET", "/identity/certificates", auth(h.identityCerts)},
		{"GET", "/identity/certificates/{id}", auth(h.identityCert)},
		{"POST", "/identity/certificates/{id}/revoke", auth(h.revokeCert)},
		{"GET", "/identity/audit", auth(h.identityAudit)},
		{"GET", "/registry", auth(h.soon("registry"))},
	}
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return iotsec.NotFound("file")
	}
	if v := r.URL.Query().Get("v"); v != "" && v == h.hashes[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	return nil
}

// view is what every page template gets; Data is the page's own.
type view struct {
	Title      string
	Nav        string
	User       iotsec.User
	Actor      iotsec.Actor
	Org        iotsec.Organisation
	Orgs       []iotsec.Membership
	CSRF       string
	Notice     string
	NoticeKind string
	Version    string
	Data       any
}

// render writes a page with the given status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	if s, ok := sessionFrom(r.Context()); ok {
		v.User, v.Actor, v.Org, v.Orgs, v.CSRF = s.user, s.actor, s.org, s.orgs, s.ses.CSRF
	}
	v.Version = h.Version
	if v.Notice == "" {
		if msg, ok := notices[r.URL.Query().Get("done")]; ok {
			v.Notice, v.NoticeKind = msg, "ok"
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// notices are the fixed messages a redirect may ask for with ?done=; only
// these, so a link cannot put words in iotsec's mouth.
var notices = map[string]string{
	"product-created":    "Product created.",
	"product-saved":      "Product saved.",
	"product-deleted":    "Product deleted.",
	"firmware-added":     "Firmware version added.",
	"firmware-deleted":   "Firmware version deleted.",
	"device-created":     "Device added.",
	"device-saved":       "Device saved.",
	"device-deleted":     "Device deleted.",
	"token-revoked":      "Token revoked.",
	"member-added":       "Member added.",
	"member-saved":       "Role changed.",
	"member-removed":     "Member removed.",
	"password-set":       "Password saved.",
	"org-switched":       "Switched organisation.",
	"import-created":     "Imported. The schemes and mappings are in this organisation's catalog.",
	"import-saved":       "Visibility changed.",
	"import-deleted":     "Import deleted.",
	"ca-created":         "Certificate authority created.",
	"roots-added":        "Trust anchors registered.",
	"root-deleted":       "Trust anchor deleted.",
	"device-moved":       "Lifecycle step recorded.",
	"idevid-registered":  "Onboarding identity recorded.",
	"device-claimed":     "Device transferred to this organisation.",
	"cert-revoked":       "Certificate revoked; the CRL and OCSP show it.",
	"evidence-recorded":  "Evidence recorded.",
	"ics-saved":          "Conformance statement saved.",
	"ixit-saved":         "IXIT item added.",
	"sbom-imported":      "SBOM imported and the firmware version matched against the vulnerability data.",
	"rematched":          "Matched again against the current vulnerability data.",
	"vex-added":          "VEX statement recorded; the matches now reflect it.",
	"cra-saved":          "CRA report saved.",
	"notifications-read": "All notifications marked read.",
	"notify-saved":       "Notification settings saved.",
}

// Error renders an error page, or sends the browser to sign in.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if _, ok := sessionFrom(r.Context()); !ok {
		if r2, err := h.load(r); err == nil {
			r = r2 // so the error page keeps the menu
		}
	}
	title := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		title, msg = "Not found", "There is nothing here, or it belongs to another organisation."
	case http.StatusInternalServerError:
		msg = "Something went wrong on our side. It has been logged; try again in a moment."
	case http.StatusUnauthorized:
		title = "Please sign in again"
	}
	if err := h.render(w, r, status, "error", view{Data: map[string]string{"Title": title, "Message": msg}}); err != nil {
		h.Log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

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
		"verdict": func(v evaluation.Verdict) template.HTML {
			class := map[evaluation.Verdict]string{evaluation.Fail: "bad", evaluation.AtRisk: "warn", evaluation.Pass: "ok", evaluation.NotApplicable: "info"}[v]
			return template.HTML(`<span class="badge ` + class + `">` + template.HTMLEscapeString(string(v)) + `</span>`)
		},
		"schemestatus": func(s string) template.HTML {
			class := map[string]string{evaluation.StatusNotMet: "bad", evaluation.StatusMet: "ok"}[s]
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

// today is the current UTC day, for support-period checks.
func (h *Handler) today() iotsec.Date { return iotsec.DateOf(h.Now()) }

type ctxKey int

const sessionKey ctxKey = 0

// session is the signed-in browser behind a request.
type session struct {
	ses    iotsec.Session
	secret string
	user   iotsec.User
	actor  iotsec.Actor
	org    iotsec.Organisation
	orgs   []iotsec.Membership
}

func sessionFrom(ctx context.Context) (*session, bool) {
	s, ok := ctx.Value(sessionKey).(*session)
	return s, ok
}
