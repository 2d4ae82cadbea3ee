package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The Identity pages: the CA and trust anchors, devices' identities with
// their certificate and lifecycle history, certificates, audit findings,
// and the forms that act on them, all through the identity service.

func (h *Handler) identityHome(w http.ResponseWriter, r *http.Request) error {
	return h.identityHomePage(w, r, http.StatusOK, nil)
}

func (h *Handler) identityHomePage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	var caRec *iotsec.CertAuthority
	if c, err := h.Store.GetCA(r.Context(), a); err == nil {
		caRec = &c
	} else if iotsec.Kind(err) != iotsec.ErrNotFound {
		return err
	}
	anchors, err := h.Store.ListAnchors(r.Context(), a)
	if err != nil {
		return err
	}
	counts, err := h.Identity.Counts(r.Context(), a)
	if err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, status, "identity", view{Nav: "identity", Data: map[string]any{
		"CA": caRec, "Anchors": anchors, "Counts": counts.Certificates, "Suspended": counts.SuspendedDevices, "Products": ps,
		"CanManageCA": a.Role.Allows(iotsec.PermManageCA), "CanWrite": a.Role.Allows(iotsec.PermManageIdentity),
		"Algorithms": identity.Algorithms(), "HasKEK": len(h.Identity.KEK) > 0,
		"Error": errText(formErr)}})
}

func (h *Handler) createCA(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Identity.InitCA(r.Context(), current(r).actor, identity.CAOptions{Name: r.PostFormValue("name"), Label: r.PostFormValue("label"),
		Algorithm: identity.Algorithm(r.PostFormValue("algorithm"))})
	if err != nil {
		if formError(err) {
			return h.identityHomePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/identity?done=ca-created", http.StatusSeeOther)
	return nil
}

func (h *Handler) claimTransfer(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Identity.ClaimTransfer(r.Context(), current(r).actor, r.PostFormValue("code"), r.PostFormValue("product_id"))
	if err != nil {
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrConflict || k == iotsec.ErrNotFound {
			return h.identityHomePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/identity/devices/"+d.ID+"?done=device-claimed", http.StatusSeeOther)
	return nil
}

func (h *Handler) identityRoots(w http.ResponseWriter, r *http.Request) error {
	return h.identityRootsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) identityRootsPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	anchors, err := h.Store.ListAnchors(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, status, "identity_roots", view{Nav: "identity", Data: map[string]any{
		"Anchors": anchors, "Kinds": iotsec.AnchorKinds(), "CanWrite": a.Role.Allows(iotsec.PermManageIdentity), "Error": errText(formErr)}})
}

func (h *Handler) addRoots(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Identity.AddAnchors(r.Context(), current(r).actor, iotsec.AnchorKind(r.PostFormValue("kind")), r.PostFormValue("name"), []byte(r.PostFormValue("pem")))
	if err != nil {
		if formError(err) {
			return h.identityRootsPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/identity/roots?done=roots-added", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteRoot(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteAnchor(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/identity/roots?done=root-deleted", http.StatusSeeOther)
	return nil
}

// deviceRow is a device with its identity at a glance.
func (h *Handler) identityDevices(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	q := r.URL.Query()
	f := iotsec.DeviceFilter{Query: q.Get("q"), State: iotsec.State(q.Get("state")), After: q.Get("after"), Limit: devicesPerPage}
	if f.State != "" && !f.State.Valid() {
		f.State = ""
	}
	rows, err := h.Identity.DeviceIdentities(r.Context(), a, f)
	if err != nil {
		return err
	}
	page := func(after string) string {
		v := url.Values{}
		for _, kv := range [][2]string{{"q", f.Query}, {"state", string(f.State)}, {"after", after}} {
			if kv[1] != "" {
				v.Set(kv[0], kv[1])
			}
		}
		return "/identity/devices?" + v.Encode()
	}
	next := ""
	if len(rows) == devicesPerPage {
		next = page(rows[len(rows)-1].Device.ID)
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "identity_devices", view{Nav: "identity", Data: map[string]any{
		"Rows": rows, "Filter": f, "States": iotsec.States(), "Next": next, "First": page(""), "Products": ps,
		"CanWrite": a.Role.Allows(iotsec.PermManageIdentity)}})
}

// once holds what a form action shows a single time: a token, a code.
type once struct {
	Token *identity.EnrolToken
	Offer *identity.Offer
}

func (h *Handler) identityDevice(w http.ResponseWriter, r *http.Request) error {
	return h.identityDevicePage(w, r, http.StatusOK, once{}, nil)
}

func (h *Handler) identityDevicePage(w http.ResponseWriter, r *http.Request, status int, shown once, formErr error) error {
	a := current(r).actor
	id, err := h.Identity.DeviceIdentity(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := h.Store.GetProduct(r.Context(), a, id.Device.ProductID)
	if err != nil {
		return err
	}
	var evidence []iotsec.State
	for _, s := range id.Next {
		if identity.NeedsEvidence(identity.State(s)) {
			evidence = append(evidence, s)
		}
	}
	return h.render(w, r, status, "identity_device", view{Nav: "identity", Data: map[string]any{
		"ID": id, "Product": p, "Shown": shown, "EvidenceStates": evidence,
		"MayTransfer": identity.State(id.Device.State).MayTransfer(), "MayEnrol": identity.State(id.Device.State).MayEnrol(),
		"CanWrite": a.Role.Allows(iotsec.PermManageIdentity), "Error": errText(formErr)}})
}

// identityFormError re-renders the device page for a refused form.
func (h *Handler) identityFormError(w http.ResponseWriter, r *http.Request, err error) error {
	if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrConflict {
		return h.identityDevicePage(w, r, http.StatusBadRequest, once{}, err)
	}
	return err
}

func (h *Handler) moveDevice(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Identity.Transition(r.Context(), current(r).actor, r.PathValue("id"), identity.Move{
		To: iotsec.State(r.PostFormValue("to")), Evidence: r.PostFormValue("evidence"), Note: r.PostFormValue("note")})
	if err != nil {
		return h.identityFormError(w, r, err)
	}
	http.Redirect(w, r, "/identity/devices/"+r.PathValue("id")+"?done=device-moved", http.StatusSeeOther)
	return nil
}

func (h *Handler) registerIDevID(w http.ResponseWriter, r *http.Request) error {
	_, _, err := h.Identity.RegisterIDevID(r.Context(), current(r).actor, r.PathValue("id"), []byte(r.PostFormValue("pem")),
		identity.IDevIDOptions{Profile: identity.Profile(r.PostFormValue("profile")), AllowUntrusted: r.PostFormValue("allow_untrusted") == "on"})
	if err != nil {
		return h.identityFormError(w, r, err)
	}
	http.Redirect(w, r, "/identity/devices/"+r.PathValue("id")+"?done=idevid-registered", http.StatusSeeOther)
	return nil
}

func (h *Handler) createEnrolToken(w http.ResponseWriter, r *http.Request) error {
	hours, err := strconv.Atoi(r.PostFormValue("hours"))
	if err != nil || hours < 1 || hours > 24*90 {
		return h.identityFormError(w, r, iotsec.Invalid("hours", "choose how long the token lasts"))
	}
	t, err := h.Identity.CreateEnrolToken(r.Context(), current(r).actor, r.PathValue("id"), time.Duration(hours)*time.Hour)
	if err != nil {
		return h.identityFormError(w, r, err)
	}
	// The secret goes straight into this response, never into a URL.
	return h.identityDevicePage(w, r, http.StatusCreated, once{Token: &t}, nil)
}

func (h *Handler) offerTransfer(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Identity.OfferTransfer(r.Context(), current(r).actor, r.PathValue("id"), 0)
	if err != nil {
		return h.identityFormError(w, r, err)
	}
	return h.identityDevicePage(w, r, http.StatusCreated, once{Offer: &o}, nil)
}

const certsPerPage = 100

func (h *Handler) identityCerts(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	q := r.URL.Query()
	f := iotsec.CertFilter{Kind: iotsec.CertKind(q.Get("kind")), Status: iotsec.CertStatus(q.Get("status")), After: q.Get("after"), Limit: certsPerPage}
	if f.Kind != iotsec.CertIDevID && f.Kind != iotsec.CertLDevID {
		f.Kind = ""
	}
	switch f.Status {
	case iotsec.CertActive, iotsec.CertHold, iotsec.CertRevoked:
	default:
		f.Status = ""
	}
	cs, err := h.Store.ListCertificates(r.Context(), a, f)
	if err != nil {
		return err
	}
	page := func(after string) string {
		v := url.Values{}
		for _, kv := range [][2]string{{"kind", string(f.Kind)}, {"status", string(f.Status)}, {"after", after}} {
			if kv[1] != "" {
				v.Set(kv[0], kv[1])
			}
		}
		return "/identity/certificates?" + v.Encode()
	}
	next := ""
	if len(cs) == certsPerPage {
		next = page(cs[len(cs)-1].ID)
	}
	return h.render(w, r, http.StatusOK, "identity_certs", view{Nav: "identity", Data: map[string]any{
		"Certs": cs, "Filter": f, "Statuses": iotsec.CertStatuses(), "Next": next, "First": page(""), "Now": h.Now()}})
}

func (h *Handler) identityCert(w http.ResponseWriter, r *http.Request) error {
	return h.identityCertPage(w, r, http.StatusOK, nil)
}

func (h *Handler) identityCertPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	c, err := h.Store.GetCertificate(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, r, status, "identity_cert", view{Nav: "identity", Data: map[string]any{
		"Cert": c, "PEM": identity.PEMOf(c), "Reasons": iotsec.RevocationReasons(),
		"CanWrite": a.Role.Allows(iotsec.PermManageIdentity), "Error": errText(formErr)}})
}

func (h *Handler) revokeCert(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Identity.Revoke(r.Context(), current(r).actor, r.PathValue("id"), iotsec.RevocationReason(r.PostFormValue("reason")))
	if err != nil {
		if formError(err) {
			return h.identityCertPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/identity/certificates/"+r.PathValue("id")+"?done=cert-revoked", http.StatusSeeOther)
	return nil
}

func (h *Handler) identityAudit(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	fs, err := h.Identity.Audit(r.Context(), a, identity.AuditOptions{})
	if err != nil {
		return err
	}
	bySeverity := map[string]int{}
	for _, f := range fs {
		bySeverity[string(f.Severity)]++
	}
	return h.render(w, r, http.StatusOK, "identity_audit", view{Nav: "identity", Data: map[string]any{"Findings": fs, "BySeverity": bySeverity}})
}
