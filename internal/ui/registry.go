package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// The Registry pages: for a scheme owner (or its delegate lab), the
// review queue, the applications to decide and the labels it granted;
// for a maker, its products' labels and the form to apply. Each record's
// page shows its history, every entry with its place in the public
// transparency log, and the moves the organisation may make.

// moveAction names the form button of a move.
func moveAction(from, to iotsec.RecordStatus) string {
	switch {
	case to == iotsec.StatusCertified && from == iotsec.StatusUnderReview:
		return "Clear the review"
	case to == iotsec.StatusCertified && from == iotsec.StatusSuspended:
		return "Reinstate"
	case to == iotsec.StatusCertified && (from == iotsec.StatusExpired || from == iotsec.StatusCertified):
		return "Renew"
	case to == iotsec.StatusCertified:
		return "Grant"
	case to == iotsec.StatusUnderReview:
		return "Put under review"
	case to == iotsec.StatusSuspended:
		return "Suspend"
	case to == iotsec.StatusRevoked:
		return "Revoke"
	case to == iotsec.StatusWithdrawn:
		return "Withdraw"
	}
	return ""
}

// moveForm is one action a record page offers.
type moveForm struct {
	To, Label string
	Danger    bool // ends the label for good
	Reason    bool // a reason is required
	Until     bool // the grant may set the end of validity
}

func movesOf(v registry.RecordView) []moveForm {
	var out []moveForm
	for _, to := range v.Moves {
		l := moveAction(v.Status, to)
		if l == "" {
			continue // expiry is the clock's, not a person's
		}
		out = append(out, moveForm{To: string(to), Label: l, Danger: to == iotsec.StatusRevoked || to == iotsec.StatusWithdrawn,
			Reason: to != iotsec.StatusCertified, Until: to == iotsec.StatusCertified && v.Status != iotsec.StatusUnderReview && v.Status != iotsec.StatusSuspended})
	}
	return out
}

func (h *Handler) registryHome(w http.ResponseWriter, r *http.Request) error {
	return h.registryPage(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) registryPage(w http.ResponseWriter, r *http.Request, status int, formErr error, form url.Values) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ctx := r.Context()
	granting, err := h.Registry.Records(ctx, a, iotsec.CertificationFilter{AsAuthority: true})
	if err != nil {
		return err
	}
	var queue, applications, granted []registry.RecordView
	for _, v := range granting {
		switch v.Status {
		case iotsec.StatusUnderReview:
			queue = append(queue, v)
		case iotsec.StatusApplied:
			applications = append(applications, v)
		default:
			granted = append(granted, v)
		}
	}
	own, err := h.Registry.Records(ctx, a, iotsec.CertificationFilter{})
	if err != nil {
		return err
	}
	ops, err := h.Registry.Operators(ctx, a)
	if err != nil {
		return err
	}
	fws, err := h.Store.ListFirmware(ctx, a, "")
	if err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(ctx, a)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name + " (" + p.Model + ")"
	}
	type fwOption struct{ ID, Label string }
	var options []fwOption
	for _, f := range fws {
		options = append(options, fwOption{f.ID, names[f.ProductID] + " " + f.Version})
	}
	slices.SortFunc(options, func(x, y fwOption) int { return strings.Compare(x.Label, y.Label) })
	if form == nil {
		form = url.Values{}
	}
	var owned []string
	for _, o := range ops {
		if o.OrgID == a.OrgID && o.Role == iotsec.OperatorOwner {
			owned = append(owned, o.Scheme)
		}
	}
	return h.render(w, r, status, "registry", view{Title: "Registry & labels", Nav: "registry", Data: map[string]any{
		"Queue": queue, "Applications": applications, "Granted": granted, "Own": own, "Operators": ops,
		"Firmware": options, "Schemes": h.Schemes.Base().Catalog().Schemes(), "Form": form, "Error": errText(formErr),
		"CanApply": a.Role.Allows(iotsec.PermWriteProducts), "CanCertify": a.Role.Allows(iotsec.PermCertify),
		"Owned": owned, "CanRecognise": a.Role.Allows(iotsec.PermManageMembers) && len(owned) > 0,
	}})
}

func (h *Handler) applyLabel(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	c, err := h.Registry.Apply(r.Context(), a, r.PostFormValue("firmware_id"), strings.TrimSpace(r.PostFormValue("scheme")),
		strings.TrimSpace(r.PostFormValue("level")), "")
	if formError(err) {
		return h.registryPage(w, r, http.StatusBadRequest, err, r.PostForm)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/registry/"+c.ID+"?done=registry-applied", http.StatusSeeOther)
	return nil
}

func (h *Handler) registryRecord(w http.ResponseWriter, r *http.Request) error {
	return h.registryRecordPage(w, r, http.StatusOK, nil)
}

func (h *Handler) registryRecordPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	v, hist, err := h.Registry.Record(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	canMove := a.Role.Allows(iotsec.PermCertify) && v.Authority || a.Role.Allows(iotsec.PermWriteProducts) && v.Maker
	return h.render(w, r, status, "registry_record", view{Title: "Label " + v.LabelID, Nav: "registry", Data: map[string]any{
		"V": v, "History": hist, "Moves": movesOf(v), "CanMove": canMove, "Error": errText(formErr),
		"Public":   v.GrantedAt.After(time.Time{}),
		"CanRenew": a.Role.Allows(iotsec.PermWriteProducts) && v.Maker && v.RenewalDue && v.RenewalRequestedAt.IsZero(),
	}})
}

func (h *Handler) moveLabel(w http.ResponseWriter, r *http.Request) error {
	a, ctx, id := current(r).actor, r.Context(), r.PathValue("id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	c, err := h.Registry.Get(ctx, a, id)
	if err != nil {
		return err
	}
	switch to := iotsec.RecordStatus(r.PostFormValue("to")); {
	case to == iotsec.StatusCertified && c.Status == iotsec.StatusUnderReview:
		_, err = h.Registry.Clear(ctx, a, id, reason)
	case to == iotsec.StatusCertified:
		in := registry.GrantInput{Reason: reason}
		if s := strings.TrimSpace(r.PostFormValue("valid_until")); s != "" {
			if in.ValidUntil, err = iotsec.ParseDate(s); err != nil {
				err = iotsec.Invalid("valid_until", "is not a date (YYYY-MM-DD)")
			}
		}
		if err == nil {
			_, err = h.Registry.Grant(ctx, a, id, in)
		}
	case to == iotsec.StatusUnderReview:
		_, err = h.Registry.Review(ctx, a, id, splitReasons(reason))
	case to == iotsec.StatusSuspended:
		_, err = h.Registry.Suspend(ctx, a, id, splitReasons(reason)...)
	case to == iotsec.StatusRevoked:
		_, err = h.Registry.Revoke(ctx, a, id, reason)
	case to == iotsec.StatusWithdrawn:
		_, err = h.Registry.Withdraw(ctx, a, id, reason)
	default:
		err = iotsec.Invalid("to", "is not a move a person makes: grant, review, suspend, revoke or withdraw")
	}
	if formError(err) {
		return h.registryRecordPage(w, r, http.StatusBadRequest, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/registry/"+id+"?done=registry-moved", http.StatusSeeOther)
	return nil
}

// renewLabel is the maker's application to renew a record due for it.
func (h *Handler) renewLabel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	_, err := h.Registry.ApplyRenewal(r.Context(), current(r).actor, id)
	if formError(err) {
		return h.registryRecordPage(w, r, http.StatusBadRequest, err)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/registry/"+id+"?done=registry-renewal", http.StatusSeeOther)
	return nil
}

// splitReasons reads one reason per line.
func splitReasons(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
