package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Device identity: trust anchors, the organisation's CA, devices'
// onboarding identities and certificates, enrolment tokens, revocation,
// audits, lifecycle moves and transfers. Everything goes through the
// identity service, so the API applies the rules EST and the UI apply.

// anchorView is a trust anchor with its certificate.
type anchorView struct {
	iotsec.TrustAnchor
	PEM string `json:"pem"`
}

// certView is a certificate with its PEM.
type certView struct {
	iotsec.DeviceCert
	PEM string `json:"pem"`
}

// caView is the organisation's CA with its certificate and public URLs.
type caView struct {
	iotsec.CertAuthority
	PEM            string `json:"pem"`
	CertificateURL string `json:"certificate_url"`
	CRLURL         string `json:"crl_url"`
	OCSPURL        string `json:"ocsp_url"`
	ESTPath        string `json:"est_path"`
}

func viewCA(c iotsec.CertAuthority) caView {
	p := "/pki/" + c.Label
	return caView{CertAuthority: c, PEM: string(identity.PEM(c.DER)), CertificateURL: p + "/ca.crt", CRLURL: p + "/crl",
		OCSPURL: p + "/ocsp", ESTPath: "/.well-known/est/" + c.Label + "/"}
}

func (h *Handler) listAnchors(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Store.ListAnchors(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ts))
}

type anchorInput struct {
	Kind iotsec.AnchorKind `json:"kind"`
	Name string            `json:"name"`
	PEM  string            `json:"pem"`
}

func (h *Handler) addAnchors(w http.ResponseWriter, r *http.Request) error {
	var in anchorInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = iotsec.AnchorIDevIDRoot
	}
	ts, err := h.Identity.AddAnchors(r.Context(), actor(r), in.Kind, in.Name, []byte(in.PEM))
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, list(ts))
}

func (h *Handler) getAnchor(w http.ResponseWriter, r *http.Request) error {
	t, err := h.Store.GetAnchor(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, anchorView{t, string(identity.PEM(t.DER))})
}

func (h *Handler) deleteAnchor(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteAnchor(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type pemInput struct {
	PEM string `json:"pem"`
}

func (h *Handler) addAnchorCRL(w http.ResponseWriter, r *http.Request) error {
	var in pemInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	t, err := h.Identity.AddAnchorCRL(r.Context(), actor(r), r.PathValue("id"), []byte(in.PEM))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, anchorView{t, string(identity.PEM(t.DER))})
}

func (h *Handler) getCA(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Store.GetCA(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, viewCA(c))
}

type caInput struct {
	Name      string             `json:"name"`
	Label     string             `json:"label"`
	Algorithm identity.Algorithm `json:"algorithm"`
}

func (h *Handler) initCA(w http.ResponseWriter, r *http.Request) error {
	var in caInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	c, err := h.Identity.InitCA(r.Context(), actor(r), identity.CAOptions{Name: in.Name, Label: in.Label, Algorithm: in.Algorithm})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/identity/ca")
	return write(w, http.StatusCreated, viewCA(c))
}

// registration is the body of POST /identity/devices: a device and its
// onboarding identity in one step.
type registration struct {
	UID            string       `json:"uid"`
	ProductID      string       `json:"product_id"`
	FirmwareID     string       `json:"firmware_id"`
	State          iotsec.State `json:"state"`
	IDevID         string       `json:"idevid"`
	Profile        string       `json:"profile"`
	AllowUntrusted bool         `json:"allow_untrusted"`
}

func (h *Handler) registerDevice(w http.ResponseWriter, r *http.Request) error {
	var in registration
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	a := actor(r)
	d, _, err := h.Identity.Register(r.Context(), a, identity.Registration{
		Device: iotsec.Device{UID: in.UID, ProductID: in.ProductID, FirmwareID: in.FirmwareID, State: in.State},
		IDevID: []byte(in.IDevID), IDevIDOptions: identity.IDevIDOptions{Profile: identity.Profile(in.Profile), AllowUntrusted: in.AllowUntrusted}})
	if err != nil {
		return err
	}
	id, err := h.Identity.DeviceIdentity(r.Context(), a, d.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/identity/devices/"+d.ID)
	return write(w, http.StatusCreated, id)
}

func (h *Handler) deviceIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := h.Identity.DeviceIdentity(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, id)
}

type idevidInput struct {
	PEM            string `json:"pem"`
	Profile        string `json:"profile"`
	AllowUntrusted bool   `json:"allow_untrusted"`
}

// idevidResult is a recorded onboarding identity with its verification.
type idevidResult struct {
	Certificate  certView        `json:"certificate"`
	Verification identity.Result `json:"verification"`
}

func (h *Handler) registerIDevID(w http.ResponseWriter, r *http.Request) error {
	var in idevidInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	c, res, err := h.Identity.RegisterIDevID(r.Context(), actor(r), r.PathValue("id"), []byte(in.PEM),
		identity.IDevIDOptions{Profile: identity.Profile(in.Profile), AllowUntrusted: in.AllowUntrusted})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, idevidResult{certView{c, identity.PEMOf(c)}, res})
}

type csrInput struct {
	CSR string `json:"csr"`
}

func (h *Handler) issueCertificate(w http.ResponseWriter, r *http.Request) error {
	var in csrInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	c, err := h.Identity.Issue(r.Context(), actor(r), r.PathValue("id"), []byte(in.CSR), "api")
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/identity/certificates/"+c.ID)
	return write(w, http.StatusCreated, certView{c, identity.PEMOf(c)})
}

type expiryInput struct {
	ExpiresAt time.Time `json:"expires_at"`
}

func (in expiryInput) ttl(now time.Time) (time.Duration, error) {
	if in.ExpiresAt.IsZero() {
		return 0, nil
	}
	d := in.ExpiresAt.Sub(now)
	if d < time.Minute {
		return 0, iotsec.Invalid("expires_at", "must be at least a minute from now")
	}
	return d, nil
}

func (h *Handler) createEnrolToken(w http.ResponseWriter, r *http.Request) error {
	var in expiryInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	ttl, err := in.ttl(h.Now())
	if err != nil {
		return err
	}
	t, err := h.Identity.CreateEnrolToken(r.Context(), actor(r), r.PathValue("id"), ttl)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, t)
}

type moveInput struct {
	To       iotsec.State `json:"to"`
	Evidence string       `json:"evidence"`
	Note     string       `json:"note"`
}

func (h *Handler) transition(w http.ResponseWriter, r *http.Request) error {
	var in moveInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if in.To == "" {
		return iotsec.Invalid("to", "is required")
	}
	t, err := h.Identity.Transition(r.Context(), actor(r), r.PathValue("id"), identity.Move{To: in.To, Evidence: in.Evidence, Note: in.Note})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, t)
}

func (h *Handler) offerTransfer(w http.ResponseWriter, r *http.Request) error {
	var in expiryInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	ttl, err := in.ttl(h.Now())
	if err != nil {
		return err
	}
	o, err := h.Identity.OfferTransfer(r.Context(), actor(r), r.PathValue("id"), ttl)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, o)
}

type claimInput struct {
	Code      string `json:"code"`
	ProductID string `json:"product_id"`
}

func (h *Handler) claimTransfer(w http.ResponseWriter, r *http.Request) error {
	var in claimInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	d, err := h.Identity.ClaimTransfer(r.Context(), actor(r), in.Code, in.ProductID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/identity/devices/"+d.ID)
	return write(w, http.StatusOK, d)
}

func (h *Handler) listCertificates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := iotsec.CertFilter{DeviceID: q.Get("device_id"), Kind: iotsec.CertKind(q.Get("kind")), Status: iotsec.CertStatus(q.Get("status")), After: q.Get("after")}
	if f.Kind != "" && f.Kind != iotsec.CertIDevID && f.Kind != iotsec.CertLDevID {
		return iotsec.Invalid("kind", "must be idevid or ldevid")
	}
	switch f.Status {
	case "", iotsec.CertActive, iotsec.CertHold, iotsec.CertRevoked:
	default:
		return iotsec.Invalid("status", "must be active, hold or revoked")
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return iotsec.Invalid("limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	cs, err := h.Store.ListCertificates(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := list(cs)
	if want := max(f.Limit, 100*boolInt(f.Limit == 0)); len(cs) == want {
		var next any = cs[len(cs)-1].ID
		out.Next = &next
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) getCertificate(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Store.GetCertificate(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, certView{c, identity.PEMOf(c)})
}

type revokeInput struct {
	Reason iotsec.RevocationReason `json:"reason"`
}

func (h *Handler) revokeCertificate(w http.ResponseWriter, r *http.Request) error {
	var in revokeInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	c, err := h.Identity.Revoke(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, certView{c, identity.PEMOf(c)})
}

func (h *Handler) identityAudit(w http.ResponseWriter, r *http.Request) error {
	var o identity.AuditOptions
	if s := r.URL.Query().Get("expiring_within_days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3650 {
			return iotsec.Invalid("expiring_within_days", "must be a whole number from 1 to 3650")
		}
		o.ExpiringWithin = time.Duration(n) * 24 * time.Hour
	}
	fs, err := h.Identity.Audit(r.Context(), actor(r), o)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(fs))
}
