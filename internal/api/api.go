// Package api is iotsec's JSON API under /api/v1: one handler per route,
// request decoding that names the offending field, and the OpenAPI 3.1
// document that describes it. Handlers return errors; the server turns them
// into RFC 9457 problem documents. Every handler acts as the actor the
// server authenticated, so every read and write stays in its organisation.
//
// It declares what it needs from the domain and must not import the store
// implementations, server, ui, cli or app packages.
package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
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

// Route is one API endpoint.
type Route struct {
	Method, Path string
	Handler      func(http.ResponseWriter, *http.Request) error
}

// Handler serves the API.
type Handler struct {
	Store iotsec.Store
	// Schemes is the catalog of schemes and each organisation's imports.
	Schemes   *catalog.Service
	MaxBody   int64 // JSON bodies; imports have their own limit
	MaxImport int64
	Now       func() time.Time
	// Identity is the device identity service behind /identity.
	Identity *identity.Service
	// Evaluation is the evaluation service behind firmware images, scans,
	// evidence, ICS, IXIT, verdicts and reports.
	Evaluation *evaluation.Service
	Tool       string // "iotsec VERSION", named in reports
	// Supply is the supply-chain service behind SBOMs, matches, VEX, CSAF
	// and CRA reports.
	// Its MaxSBOM is the limit of SBOM uploads.
	Supply *supply.Service
	// Registry is the registry service behind certification records,
	// their moves and labels, and the authorities' signing keys.
	Registry *registry.Service
	// Policy is the policy service behind /policy: national measures and
	// the proposals to change them.
	Policy *policy.Service
	// Workspace is the workspace service behind /workspaces.
	Workspace *workspace.Service
	// Auth is the accounts service behind invitations.
	Auth *auth.Service
	// Dashboard is the service behind the role dashboards.
	Dashboard *dashboard.Service
}

// New returns a handler with the default limits.
func New(s iotsec.Store) *Handler {
	return &Handler{Store: s, MaxBody: 1 << 20, MaxImport: 64 << 20, Now: time.Now, Tool: "iotsec"}
}

// Routes lists every endpoint; the server mounts exactly these, and the
// OpenAPI test checks the document against them.
func (h *Handler) Routes() []Route {
	return []Route{
		{"GET", "/api/v1/me", h.me},
		{"GET", "/api/v1/overview", h.overview},
		{"GET", "/api/v1/dashboards/ciso", h.dashboard("ciso")},
		{"GET", "/api/v1/dashboards/executive", h.dashboard("executive")},
		{"GET", "/api/v1/dashboards/regulator", h.dashboard("regulator")},
		{"GET", "/api/v1/dashboards/policy", h.dashboard("policy")},
		{"GET", "/api/v1/procurement/policies", h.listProcurement},
		{"POST", "/api/v1/procurement/policies", h.createProcurement},
		{"GET", "/api/v1/procurement/policies/{id}", h.getProcurement},
		{"PUT", "/api/v1/procurement/policies/{id}", h.updateProcurement},
		{"DELETE", "/api/v1/procurement/policies/{id}", h.deleteProcurement},
		{"POST", "/api/v1/procurement/check", h.checkProcurement},
		{"GET", "/api/v1/products", h.listProducts},
		{"POST", "/api/v1/products", h.createProduct},
		{"GET", "/api/v1/products/{id}", h.getProduct},
		{"PATCH", "/api/v1/products/{id}", h.updateProduct},
		{"DELETE", "/api/v1/products/{id}", h.deleteProduct},
		{"GET", "/api/v1/products/{id}/firmware", h.listFirmware},
		{"POST", "/api/v1/products/{id}/firmware", h.createFirmware},
		{"GET", "/api/v1/firmware/{id}", h.getFirmware},
		{"PATCH", "/api/v1/firmware/{id}", h.updateFirmware},
		{"DELETE", "/api/v1/firmware/{id}", h.deleteFirmware},
		{"POST", "/api/v1/firmware/{id}/image", h.uploadImage},
		{"GET", "/api/v1/firmware/{id}/scan", h.getScan},
		{"GET", "/api/v1/firmware/{id}/findings", h.listFindings},
		{"GET", "/api/v1/firmware/{id}/components", h.listComponents},
		{"GET", "/api/v1/firmware/{id}/verdicts", h.getVerdicts},
		{"GET", "/api/v1/firmware/{id}/evidence", h.listEvidence},
		{"POST", "/api/v1/firmware/{id}/evidence", h.addEvidence},
		{"GET", "/api/v1/firmware/{id}/ics", h.getICS},
		{"PUT", "/api/v1/firmware/{id}/ics", h.putICS},
		{"PUT", "/api/v1/firmware/{id}/ixit", h.putIXIT},
		{"GET", "/api/v1/firmware/{id}/report", h.getReport},
		{"GET", "/api/v1/scans", h.listScans},
		{"GET", "/api/v1/devices", h.listDevices},
		{"POST", "/api/v1/devices", h.createDevice},
		{"POST", "/api/v1/devices/import", h.importDevices},
		{"GET", "/api/v1/devices/{id}", h.getDevice},
		{"PATCH", "/api/v1/devices/{id}", h.updateDevice},
		{"DELETE", "/api/v1/devices/{id}", h.deleteDevice},
		{"GET", "/api/v1/jobs", h.listJobs},
		{"GET", "/api/v1/jobs/{id}", h.getJob},
		{"GET", "/api/v1/tokens", h.listTokens},
		{"POST", "/api/v1/tokens", h.createToken},
		{"DELETE", "/api/v1/tokens/{id}", h.revokeToken},
		{"GET", "/api/v1/members", h.listMembers},
		{"POST", "/api/v1/members", h.addMember},
		{"PATCH", "/api/v1/members/{user_id}", h.updateMember},
		{"DELETE", "/api/v1/members/{user_id}", h.removeMember},
		{"GET", "/api/v1/invitations", h.listInvitations},
		{"DELETE", "/api/v1/invitations/{id}", h.cancelInvitation},
		{"GET", "/api/v1/audit", h.listAudit},
		{"GET", "/api/v1/audit/head", h.getAuditHead},
		{"GET", "/api/v1/schemes", h.listSchemes},
		{"GET", "/api/v1/schemes/compare", h.compareSchemes},
		{"GET", "/api/v1/schemes/baseline", h.baseline},
		{"GET", "/api/v1/schemes/applies", h.applies},
		{"GET", "/api/v1/schemes/gaps", h.gaps},
		{"GET", "/api/v1/schemes/recognise", h.recognise},
		{"GET", "/api/v1/schemes/agreements", h.agreements},
		{"GET", "/api/v1/schemes/export", h.exportScheme},
		{"GET", "/api/v1/schemes/imports", h.listImports},
		{"POST", "/api/v1/schemes/imports", h.importSchemes},
		{"GET", "/api/v1/schemes/imports/{id}", h.getImport},
		{"PATCH", "/api/v1/schemes/imports/{id}", h.updateImport},
		{"DELETE", "/api/v1/schemes/imports/{id}", h.deleteImport},
		{"GET", "/api/v1/schemes/{slug}", h.getScheme},
		{"GET", "/api/v1/schemes/{slug}/provisions/{id}", h.getProvision},
		{"GET", "/api/v1/identity/roots", h.listAnchors},
		{"POST", "/api/v1/identity/roots", h.addAnchors},
		{"GET", "/api/v1/identity/roots/{id}", h.getAnchor},
		{"DELETE", "/api/v1/identity/roots/{id}", h.deleteAnchor},
		{"POST", "/api/v1/identity/roots/{id}/crl", h.addAnchorCRL},
		{"POST", "/api/v1/identity/ca", h.initCA},
		{"GET", "/api/v1/identity/ca", h.getCA},
		{"POST", "/api/v1/identity/devices", h.registerDevice},
		{"GET", "/api/v1/identity/devices/{id}", h.deviceIdentity},
		{"POST", "/api/v1/identity/devices/{id}/idevid", h.registerIDevID},
		{"POST", "/api/v1/identity/devices/{id}/certificates", h.issueCertificate},
		{"POST", "/api/v1/identity/devices/{id}/tokens", h.createEnrolToken},
		{"POST", "/api/v1/identity/devices/{id}/transitions", h.transition},
		{"POST", "/api/v1/identity/devices/{id}/transfer", h.offerTransfer},
		{"POST", "/api/v1/identity/transfers/claim", h.claimTransfer},
		{"GET", "/api/v1/identity/certificates", h.listCertificates},
		{"GET", "/api/v1/identity/certificates/{id}", h.getCertificate},
		{"POST", "/api/v1/identity/certificates/{id}/revoke", h.revokeCertificate},
		{"GET", "/api/v1/identity/audit", h.identityAudit},
		{"GET", "/api/v1/vulndb", h.getVulnDB},
		{"GET", "/api/v1/vulnerabilities/{id}", h.getVulnerability},
		{"GET", "/api/v1/firmware/{id}/sbom", h.getSBOM},
		{"PUT", "/api/v1/firmware/{id}/sbom", h.putSBOM},
		{"DELETE", "/api/v1/firmware/{id}/sbom", h.deleteSBOM},
		{"GET", "/api/v1/firmware/{id}/vulnerabilities", h.firmwareVulns},
		{"POST", "/api/v1/firmware/{id}/rematch", h.rematch},
		{"GET", "/api/v1/firmware/{id}/vex", h.listVEX},
		{"POST", "/api/v1/firmware/{id}/vex", h.addVEX},
		{"GET", "/api/v1/firmware/{id}/vex/export", h.exportVEX},
		{"GET", "/api/v1/products/{id}/vulnerabilities", h.productVulns},
		{"GET", "/api/v1/products/{id}/csaf", h.productCSAF},
		{"GET", "/api/v1/components/exposure", h.componentExposure},
		{"GET", "/api/v1/cra-reports", h.listCRA},
		{"GET", "/api/v1/cra-reports/{id}", h.getCRA},
		{"PATCH", "/api/v1/cra-reports/{id}", h.updateCRA},
		{"GET", "/api/v1/notifications", h.listNotifications},
		{"POST", "/api/v1/notifications/read", h.markRead},
		{"GET", "/api/v1/notifications/deliveries", h.listDeliveries},
		{"GET", "/api/v1/notify-settings", h.getNotify},
		{"PUT", "/api/v1/notify-settings", h.putNotify},
		{"GET", "/api/v1/support", h.support},
		{"GET", "/api/v1/registry", h.listRecords},
		{"POST", "/api/v1/registry", h.applyRecord},
		{"GET", "/api/v1/registry/operators", h.listOperators},
		{"POST", "/api/v1/registry/keys/rotate", h.rotateKey},
		{"GET", "/api/v1/registry/{id}", h.getRecord},
		{"GET", "/api/v1/registry/{id}/history", h.recordHistory},
		{"GET", "/api/v1/registry/{id}/label", h.recordLabel},
		{"POST", "/api/v1/registry/{id}/grant", h.grantRecord},
		{"POST", "/api/v1/registry/{id}/suspend", h.suspendRecord},
		{"POST", "/api/v1/registry/{id}/revoke", h.revokeRecord},
		{"POST", "/api/v1/registry/{id}/review", h.reviewRecord},
		{"POST", "/api/v1/registry/{id}/clear", h.clearRecord},
		{"POST", "/api/v1/registry/{id}/withdraw", h.withdrawRecord},
		{"POST", "/api/v1/registry/{id}/renewal", h.applyRenewal},
		{"GET", "/api/v1/recognitions", h.listRecognitions},
		{"POST", "/api/v1/recognitions", h.requestRecognition},
		{"GET", "/api/v1/recognitions/{id}", h.getRecognition},
		{"POST", "/api/v1/recognitions/{id}/agree", h.agreeRecognition},
		{"POST", "/api/v1/recognitions/{id}/refuse", h.refuseRecognition},
		{"POST", "/api/v1/recognitions/{id}/withdraw", h.withdrawRecognition},
		{"GET", "/api/v1/labels", h.listLabels},
		{"GET", "/api/v1/labels/{id}", h.getLabel},
		{"GET", "/api/v1/policy/countries", h.policyCountries},
		{"GET", "/api/v1/policy/countries/{code}", h.policyCountry},
		{"GET", "/api/v1/policy/countries/{code}/brief", h.policyBrief},
		{"GET", "/api/v1/policy/measures", h.policyMeasures},
		{"GET", "/api/v1/policy/matrix", h.policyMatrix},
		{"GET", "/api/v1/policy/proposals", h.listPolicyProposals},
		{"POST", "/api/v1/policy/proposals", h.createPolicyProposal},
		{"GET", "/api/v1/policy/proposals/{id}", h.getPolicyProposal},
		{"POST", "/api/v1/policy/proposals/{id}/review", h.reviewPolicyProposal},
		{"GET", "/api/v1/guides", h.guide},
		{"GET", "/api/v1/standards/calls", h.standardsCalls},
		{"GET", "/api/v1/workspaces", h.listWorkspaces},
		{"POST", "/api/v1/workspaces", h.createWorkspace},
		{"GET", "/api/v1/workspaces/{id}", h.getWorkspace},
		{"POST", "/api/v1/workspaces/{id}/invitations", h.inviteToWorkspace},
		{"POST", "/api/v1/workspaces/{id}/accept", h.acceptWorkspace},
		{"POST", "/api/v1/workspaces/{id}/proposals", h.createMappingProposal},
		{"GET", "/api/v1/workspaces/{id}/proposals/{proposal}", h.getMappingProposal},
		{"POST", "/api/v1/workspaces/{id}/proposals/{proposal}/comments", h.commentMappingProposal},
		{"POST", "/api/v1/workspaces/{id}/proposals/{proposal}/approve", h.approveMappingProposal},
		{"POST", "/api/v1/workspaces/{id}/proposals/{proposal}/merge", h.mergeMappingProposal},
		{"POST", "/api/v1/workspaces/{id}/proposals/{proposal}/withdraw", h.withdrawMappingProposal},
		{"POST", "/api/v1/workspaces/{id}/proposals/{proposal}/reject", h.rejectMappingProposal},
		{"DELETE", "/api/v1/workspaces/{id}/members/{org}", h.removeWorkspaceMember},
		{"POST", "/api/v1/workspaces/{id}/leave", h.leaveWorkspace},
		{"POST", "/api/v1/workspaces/{id}/reports", h.publishWorkspaceReport},
	}
}

//go:embed openapi.json
var openapi []byte

// OpenAPI returns the OpenAPI 3.1 document of the API.
func OpenAPI() []byte { return openapi }

// actor is the authenticated actor; the server guarantees one.
func actor(r *http.Request) iotsec.Actor {
	a, _ := iotsec.ActorFrom(r.Context())
	return a
}

// List is the envelope of every list response. Next, when set, is the
// value to pass as ?after= (devices) or ?before= (audit) for the next page.
type List[T any] struct {
	Items []T  `json:"items"`
	Next  *any `json:"next,omitempty"`
}

func list[T any](items []T) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items}
}

func write(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
