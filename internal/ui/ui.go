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
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"time"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/dashboard"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
	"github.com/iotsec/iotsec/internal/registry"
	"github.com/iotsec/iotsec/internal/supply"
	"github.com/iotsec/iotsec/internal/workspace"
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
	Schemes *catalog.Service
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
	// Registry is the registry service behind the public label pages.
	Registry *registry.Service
	// Identity is the device identity service behind the Identity pages.
	Identity *identity.Service
	// Supply is the supply-chain service behind the Supply chain pages.
	Supply *supply.Service
	// Policy is the policy service behind the national measures pages.
	Policy *policy.Service
	// Workspace is the workspace service behind the Workspaces pages.
	Workspace *workspace.Service
	// Dashboard is the service behind the role dashboards.
	Dashboard *dashboard.Service
	// Share takes the organisation's fair share of the server for one
	// expensive form (ExpensiveForms), or says how long to wait; done
	// gives it back. The server sets it to the share its API routes use;
	// nil admits everything.
	Share func(orgID string) (done func(), wait time.Duration)

	pages  map[string]*template.Template
	hashes map[string]string // static file -> content hash, for cache-busting URLs
	cop    *http.CrossOriginProtection
}

// New parses the templates and returns a handler.
func New(store iotsec.Store, a *auth.Service, log *slog.Logger, version string) (*Handler, error) {
	h := &Handler{
		Store: store, Auth: a, Log: log, Now: time.Now, Version: version,
		SecureCookies: "auto", MaxForm: 1 << 20, MaxUpload: 64 << 20,
		hashes: map[string]string{},
		cop:    http.NewCrossOriginProtection(),
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
	if h.pages, err = parsePages(h.funcs()); err != nil {
		return nil, err
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
		{"GET", "/dashboard/ciso", auth(h.dashboardPage("ciso"))},
		{"GET", "/dashboard/executive", auth(h.dashboardPage("executive"))},
		{"GET", "/dashboard/regulator", auth(h.dashboardPage("regulator"))},
		{"GET", "/dashboard/policy", auth(h.dashboardPage("policy"))},
		{"POST", "/dashboard/ciso/check", auth(h.checkProduct)},
		{"POST", "/dashboard/ciso/policies", auth(h.createPolicy)},
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
		{"POST", "/devices/import", h.sharedUpload(h.importDevices)},
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
		{"POST", "/settings/invitations/{id}/cancel", auth(h.cancelInvitation)},
		{"GET", "/invitations/{secret}", auth(h.invitationForm)},
		{"POST", "/invitations/accept", auth(h.acceptLink)},
		{"POST", "/invitations/{id}/accept", auth(h.acceptInvitation)},
		{"POST", "/invitations/{id}/decline", auth(h.declineInvitation)},
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
		{"POST", "/catalog/imports", h.sharedUpload(h.importSchemes)},
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
		{"POST", "/supply/firmware/{id}/rematch", h.shared(h.rematch)},
		{"POST", "/supply/firmware/{id}/sbom", h.sharedUpload(h.uploadSBOM)},
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
		{"GET", "/policy", auth(h.policyHome)},
		{"GET", "/policy/{code}", auth(h.policyCountry)},
		{"GET", "/policy/{code}/brief", auth(h.policyBrief)},
		{"GET", "/guides", auth(h.guides)},
		{"GET", "/standards/calls", auth(h.standardsCalls)},
		{"GET", "/workspaces", auth(h.workspaces)},
		{"POST", "/workspaces", auth(h.createWorkspace)},
		{"GET", "/workspaces/{id}", auth(h.workspace)},
		{"POST", "/workspaces/{id}/invite", auth(h.inviteToWorkspace)},
		{"POST", "/workspaces/{id}/accept", auth(h.acceptWorkspace)},
		{"POST", "/workspaces/{id}/proposals", auth(h.proposeMapping)},
		{"POST", "/workspaces/{id}/proposals/{proposal}/comment", auth(h.commentProposal)},
		{"POST", "/workspaces/{id}/proposals/{proposal}/approve", auth(h.approveProposal)},
		{"POST", "/workspaces/{id}/proposals/{proposal}/merge", auth(h.mergeProposal)},
		{"POST", "/workspaces/{id}/proposals/{proposal}/withdraw", auth(h.withdrawProposal)},
		{"POST", "/workspaces/{id}/proposals/{proposal}/reject", auth(h.rejectProposal)},
		{"POST", "/workspaces/{id}/members/{org}/remove", auth(h.removeWorkspaceMember)},
		{"POST", "/workspaces/{id}/leave", auth(h.leaveWorkspace)},
		{"POST", "/workspaces/{id}/reports", auth(h.publishReport)},
		{"GET", "/registry", auth(h.registryHome)},
		{"POST", "/registry", auth(h.applyLabel)},
		{"GET", "/registry/{id}", auth(h.registryRecord)},
		{"POST", "/registry/{id}/move", auth(h.moveLabel)},
		{"POST", "/registry/{id}/renew", auth(h.renewLabel)},
		{"POST", "/registry/recognitions", auth(h.requestRecognition)},
		{"POST", "/registry/recognitions/{id}/agree", auth(h.agreeRecognition)},
		{"POST", "/registry/recognitions/{id}/refuse", auth(h.refuseRecognition)},
		{"POST", "/registry/recognitions/{id}/withdraw", auth(h.withdrawRecognition)},
		{"GET", "/l/{file}", pub(h.label)},
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

// today is the current UTC day, for support-period checks.
func (h *Handler) today() iotsec.Date { return iotsec.DateOf(h.Now()) }
