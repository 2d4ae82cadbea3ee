package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// parsePages parses each page template together with the layout, one
// template set per page so pages may define the same blocks. A map key a
// template reads but the handler did not set is an error rather than an
// empty string, so a renamed or forgotten key fails the page tests instead
// of rendering a blank.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, p := range files {
		name := path.Base(p)
		if name == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Option("missingkey=error").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		pages[strings.TrimSuffix(name, ".html")] = t
	}
	return pages, nil
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
	// Invitations are the signed-in user's pending invitations, which
	// every page offers to accept.
	Invitations []iotsec.Invitation
	Data        any
}

// render writes a page with the given status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	if s, ok := sessionFrom(r.Context()); ok {
		v.User, v.Actor, v.Org, v.Orgs, v.CSRF = s.user, s.actor, s.org, s.orgs, s.ses.CSRF
		invs, err := h.Store.PendingInvitations(r.Context(), s.user.Email)
		if err != nil {
			return err
		}
		v.Invitations = invs
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
	"product-created":          "Product created.",
	"product-saved":            "Product saved.",
	"product-deleted":          "Product deleted.",
	"firmware-added":           "Firmware version added.",
	"firmware-deleted":         "Firmware version deleted.",
	"device-created":           "Device added.",
	"device-saved":             "Device saved.",
	"device-deleted":           "Device deleted.",
	"token-revoked":            "Token revoked.",
	"member-added":             "Member added.",
	"invitation-accepted":      "Invitation accepted: you are a member now, working in that organisation.",
	"invitation-declined":      "Invitation declined.",
	"invitation-cancelled":     "Invitation cancelled.",
	"member-saved":             "Role changed.",
	"member-removed":           "Member removed.",
	"password-set":             "Password saved.",
	"org-switched":             "Switched organisation.",
	"import-created":           "Imported. The schemes and mappings are in this organisation's catalog.",
	"import-saved":             "Visibility changed.",
	"import-deleted":           "Import deleted.",
	"workspace-created":        "Workspace created. Invite other organisations by their ID.",
	"workspace-invited":        "Invitation sent: an owner or admin of that organisation accepts it on this page.",
	"workspace-joined":         "Joined the workspace.",
	"proposal-created":         "Mapping proposal made; a reviewer of another member organisation approves it.",
	"proposal-commented":       "Comment added.",
	"proposal-approved":        "Proposal approved; it can be merged now.",
	"proposal-merged":          "Merged: the mapping is in every member organisation's catalog.",
	"proposal-withdrawn":       "Proposal withdrawn.",
	"proposal-rejected":        "Proposal rejected; the reason is on it for every member to read.",
	"recognition-requested":    "Recognition request sent to the scheme's owner.",
	"recognition-agreed":       "Agreed: the recognition is in both organisations' catalogs.",
	"recognition-refused":      "Request refused; the reason is on it for the requester to read.",
	"recognition-withdrawn":    "Request withdrawn.",
	"workspace-member-removed": "Organisation removed from the workspace; it no longer sees it.",
	"workspace-left":           "Your organisation left the workspace.",
	"report-published":         "Report published to the other workspaces' feeds.",
	"ca-created":               "Certificate authority created.",
	"roots-added":              "Trust anchors registered.",
	"root-deleted":             "Trust anchor deleted.",
	"device-moved":             "Lifecycle step recorded.",
	"idevid-registered":        "Onboarding identity recorded.",
	"device-claimed":           "Device transferred to this organisation.",
	"cert-revoked":             "Certificate revoked; the CRL and OCSP show it.",
	"evidence-recorded":        "Evidence recorded.",
	"ics-saved":                "Conformance statement saved.",
	"image-uploaded":           "Image uploaded. Its scan runs now; this page shows its findings and verdicts when it is done.",
	"ixit-saved":               "IXIT item added.",
	"sbom-imported":            "SBOM imported and the firmware version matched against the vulnerability data.",
	"rematched":                "Matched again against the current vulnerability data.",
	"vex-added":                "VEX statement recorded; the matches now reflect it.",
	"cra-saved":                "CRA report saved.",
	"notifications-read":       "All notifications marked read.",
	"notify-saved":             "Notification settings saved.",
	"registry-applied":         "Application sent to the scheme owner.",
	"registry-moved":           "Recorded, logged and the label re-issued.",
	"registry-renewal":         "Renewal requested: the scheme owner grants the new period.",
}

// RetryAfter is the Retry-After, in seconds, of a 429 whose cause did not
// say how long to wait (a service refusing work over the organisation's
// share of matches).
const RetryAfter = 5

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
	case http.StatusTooManyRequests:
		title = "Please wait a moment"
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		}
	}
	if err := h.render(w, r, status, "error", view{Data: map[string]string{"Title": title, "Message": msg}}); err != nil {
		h.Log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}
