package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// The registry: certification records of the organisation's firmware
// versions (as the maker) and of those it grants (as a scheme's owner or
// delegate), their moves, their history and their current label document.
// Everything goes through the registry service, which the command line
// and the UI use too; the store decides who may see and move a record (a
// stranger's is 404, the other side's move is 403).

// recordInput is the body of POST /registry: the maker's application.
type recordInput struct {
	FirmwareID string `json:"firmware_id"`
	Scheme     string `json:"scheme"`
	Level      string `json:"level"`
	LabOrgID   string `json:"lab_org_id"`
}

// grantInput is the body of POST /registry/{id}/grant. Dates are strings
// so a bad one is reported against its field.
type grantInput struct {
	ValidFrom  string `json:"valid_from"`
	ValidUntil string `json:"valid_until"`
	Reason     string `json:"reason"`
}

// reasonInput is the body of the moves that take one reason: revoke,
// clear, withdraw.
type reasonInput struct {
	Reason string `json:"reason"`
}

// reasonsInput is the body of the moves that take reasons: suspend,
// review.
type reasonsInput struct {
	Reasons []string `json:"reasons"`
}

// keyView is a label signing key's public part, its JWK as JSON.
type keyView struct {
	KID       string          `json:"kid"`
	OrgID     string          `json:"org_id"`
	Alg       string          `json:"alg"`
	PublicJWK json.RawMessage `json:"public_jwk"`
	CreatedAt time.Time       `json:"created_at"`
	RetiredAt time.Time       `json:"retired_at,omitzero"`
}

func (h *Handler) listRecords(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := iotsec.CertificationFilter{Status: iotsec.RecordStatus(q.Get("status")), Scheme: q.Get("scheme"),
		FirmwareID: q.Get("firmware"), Before: q.Get("before")}
	switch q.Get("as") {
	case "", "maker":
	case "authority":
		f.AsAuthority = true
	default:
		return iotsec.Invalid("as", "must be maker or authority")
	}
	if f.Status != "" && !f.Status.Valid() {
		return iotsec.Invalid("status", "must be one of %v", iotsec.RecordStatuses())
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return iotsec.Invalid("limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	cs, err := h.Registry.List(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := list(cs)
	if want := max(f.Limit, 100*boolInt(f.Limit == 0)); len(cs) == want && len(cs) > 0 {
		var next any = cs[len(cs)-1].ID
		out.Next = &next
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) applyRecord(w http.ResponseWriter, r *http.Request) error {
	var in recordInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	c, err := h.Registry.Apply(r.Context(), actor(r), in.FirmwareID, in.Scheme, in.Level, in.LabOrgID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/registry/"+c.ID)
	return write(w, http.StatusCreated, c)
}

// recordOut is a record with whether it is due for renewal today and
// when its scheme's renewal window opens.
type recordOut struct {
	iotsec.Certification
	RenewalDue   bool         `json:"renewal_due"`
	RenewalOpens *iotsec.Date `json:"renewal_opens,omitempty"`
}

func (h *Handler) getRecord(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Registry.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := recordOut{Certification: c, RenewalDue: h.Registry.RenewalDue(c, iotsec.DateOf(h.Registry.Now()))}
	if d, ok := h.Registry.RenewalOpens(c); ok {
		out.RenewalOpens = &d
	}
	return write(w, http.StatusOK, out)
}

// applyRenewal is the maker's application to renew a record that is due
// (inside its scheme's renewal window, or expired); no body.
func (h *Handler) applyRenewal(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Registry.ApplyRenewal(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, c)
}

func (h *Handler) recordHistory(w http.ResponseWriter, r *http.Request) error {
	evs, err := h.Registry.History(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(evs))
}

// moveRecord reads a move's body into in after looking the record up, so
// a record the actor does not see is a 404 before the body is read, then
// makes the move and answers with the record as moved.
func (h *Handler) moveRecord(w http.ResponseWriter, r *http.Request, in any, move func(a iotsec.Actor, id string) (iotsec.Certification, error)) error {
	a, id := actor(r), r.PathValue("id")
	if _, err := h.Registry.Get(r.Context(), a, id); err != nil {
		return err
	}
	if err := decode(w, r, h.MaxBody, in); err != nil {
		return err
	}
	c, err := move(a, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, c)
}

func (h *Handler) grantRecord(w http.ResponseWriter, r *http.Request) error {
	var in grantInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		g := registry.GrantInput{Reason: in.Reason}
		for _, d := range []struct {
			field, v string
			dst      *iotsec.Date
		}{{"valid_from", in.ValidFrom, &g.ValidFrom}, {"valid_until", in.ValidUntil, &g.ValidUntil}} {
			if d.v == "" {
				continue
			}
			v, err := iotsec.ParseDate(d.v)
			if err != nil {
				return iotsec.Certification{}, iotsec.Invalid(d.field, "%v", err)
			}
			*d.dst = v
		}
		return h.Registry.Grant(r.Context(), a, id, g)
	})
}

func (h *Handler) suspendRecord(w http.ResponseWriter, r *http.Request) error {
	var in reasonsInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		c, err := h.Registry.Suspend(r.Context(), a, id, in.Reasons...)
		// The service and the store speak of the joined "reason"; this
		// body's field is "reasons".
		return c, renameField(err, "reason", "reasons")
	})
}

func (h *Handler) reviewRecord(w http.ResponseWriter, r *http.Request) error {
	var in reasonsInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		c, err := h.Registry.Review(r.Context(), a, id, in.Reasons)
		return c, renameField(err, "reason", "reasons")
	})
}

// renameField makes an error about field from one about field to: the
// name the request gave what a service calls otherwise.
func renameField(err error, from, to string) error {
	var e *iotsec.Error
	if errors.As(err, &e) && e.Field == from {
		c := *e
		c.Field = to
		return &c
	}
	return err
}

func (h *Handler) revokeRecord(w http.ResponseWriter, r *http.Request) error {
	var in reasonInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		return h.Registry.Revoke(r.Context(), a, id, in.Reason)
	})
}

func (h *Handler) clearRecord(w http.ResponseWriter, r *http.Request) error {
	var in reasonInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		return h.Registry.Clear(r.Context(), a, id, in.Reason)
	})
}

func (h *Handler) withdrawRecord(w http.ResponseWriter, r *http.Request) error {
	var in reasonInput
	return h.moveRecord(w, r, &in, func(a iotsec.Actor, id string) (iotsec.Certification, error) {
		return h.Registry.Withdraw(r.Context(), a, id, in.Reason)
	})
}

// recordLabel answers with the label document of a granted record the
// actor sees, as /l/{label-id}.json serves it to anyone: the label is
// issued first if a move's label is still missing (Service.Label).
func (h *Handler) recordLabel(w http.ResponseWriter, r *http.Request) error {
	a, id := actor(r), r.PathValue("id")
	c, err := h.Registry.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	if _, err := h.Registry.Label(r.Context(), a, id); err != nil {
		return err
	}
	d, err := h.Registry.Document(r.Context(), c.LabelID)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, d)
}

func (h *Handler) listOperators(w http.ResponseWriter, r *http.Request) error {
	ops, err := h.Registry.Operators(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ops))
}

// rotateKey makes a new label signing key for the organisation (as a
// scheme's authority); the one before is retired and stays published.
func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request) error {
	k, err := h.Registry.RotateKey(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, keyView{KID: k.KID, OrgID: k.OrgID, Alg: k.Alg, PublicJWK: k.PublicJWK, CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt})
}

// listLabels lists the organisation's records that carry a label: its own
// as the maker, or (?as=authority) those it grants.
func (h *Handler) listLabels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := iotsec.CertificationFilter{Status: iotsec.RecordStatus(q.Get("status")), Before: q.Get("before")}
	switch q.Get("as") {
	case "", "maker":
	case "authority":
		f.AsAuthority = true
	default:
		return iotsec.Invalid("as", "must be maker or authority")
	}
	if f.Status != "" && !f.Status.Valid() {
		return iotsec.Invalid("status", "must be one of %v", iotsec.RecordStatuses())
	}
	cs, err := h.Registry.Labels(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := list(cs)
	if len(cs) == 100 {
		var next any = cs[len(cs)-1].ID
		out.Next = &next
	}
	return write(w, http.StatusOK, out)
}

// getLabel answers with one of the organisation's labels by label ID: the
// label document, or with ?format=jws the compact JWS alone
// (application/jose). Another organisation's label is 404 here (the public
// /l/LABEL-ID.json serves it to anyone).
func (h *Handler) getLabel(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "jws" {
		return iotsec.Invalid("format", "must be json or jws")
	}
	d, _, err := h.Registry.LabelDocument(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if format == "jws" {
		w.Header().Set("Content-Type", "application/jose")
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte(d.Label))
		return err
	}
	return write(w, http.StatusOK, d)
}
