package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) tokens(w http.ResponseWriter, r *http.Request) error {
	return h.tokensPage(w, r, http.StatusOK, "", nil)
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, status int, secret string, formErr error) error {
	a := current(r).actor
	ts, err := h.Store.ListTokens(r.Context(), a)
	if err != nil {
		return err
	}
	var roles []iotsec.Role
	for _, role := range iotsec.Roles() {
		if a.Role.Covers(role) {
			roles = append(roles, role)
		}
	}
	return h.render(w, r, status, "tokens", view{Nav: "tokens", Data: map[string]any{
		"Tokens": ts, "Roles": roles, "Secret": secret, "Error": errText(formErr)}})
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	days, err := strconv.Atoi(r.PostFormValue("expires"))
	if err != nil || days < 0 || days > 3650 {
		return h.tokensPage(w, r, http.StatusBadRequest, "", iotsec.Invalid("expires", "choose how long the token lasts"))
	}
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	t := iotsec.Token{Name: r.PostFormValue("name"), Role: iotsec.Role(r.PostFormValue("role")), Hash: hash}
	if days > 0 {
		t.ExpiresAt = h.Now().Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
	}
	if err := h.Store.CreateToken(r.Context(), current(r).actor, &t); err != nil {
		if formError(err) {
			return h.tokensPage(w, r, http.StatusBadRequest, "", err)
		}
		return err
	}
	// The secret is rendered straight into this response, never into a
	// URL or a cookie, and is not stored.
	return h.tokensPage(w, r, http.StatusCreated, secret, nil)
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.RevokeToken(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/tokens?done=token-revoked", http.StatusSeeOther)
	return nil
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request) error {
	return h.membersPage(w, r, http.StatusOK, nil)
}

func (h *Handler) membersPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	return h.membersPageWith(w, r, status, formErr, nil)
}

// membersPageWith shows the page, with a new invitation's one-time link
// once after it was made.
func (h *Handler) membersPageWith(w http.ResponseWriter, r *http.Request, status int, formErr error, invited *auth.Invited) error {
	a := current(r).actor
	ms, err := h.Store.ListMembers(r.Context(), a)
	if err != nil {
		return err
	}
	var roles []iotsec.Role
	for _, role := range iotsec.Roles() {
		if a.Role.Covers(role) {
			roles = append(roles, role)
		}
	}
	var invs []iotsec.Invitation
	canManage := a.Role.Allows(iotsec.PermManageMembers)
	if canManage {
		if invs, err = h.Store.ListInvitations(r.Context(), a); err != nil {
			return err
		}
	}
	return h.render(w, r, status, "members", view{Nav: "members", Data: map[string]any{
		"Members": ms, "Roles": roles, "CanManage": canManage, "Error": errText(formErr),
		"Pending": invs, "Invited": invited}})
}

func (h *Handler) memberResult(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if err != nil {
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrConflict || k == iotsec.ErrForbidden {
			return h.membersPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/settings/members?done="+done, http.StatusSeeOther)
	return nil
}

// addMember invites the address; the page then shows the invitation's
// link once, the same whether or not the address has an account.
func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.Auth.Invite(r.Context(), current(r).actor, r.PostFormValue("email"), iotsec.Role(r.PostFormValue("role")))
	if err != nil {
		return h.memberResult(w, r, err, "")
	}
	return h.membersPageWith(w, r, http.StatusOK, nil, &inv)
}

func (h *Handler) cancelInvitation(w http.ResponseWriter, r *http.Request) error {
	return h.memberResult(w, r, h.Store.CancelInvitation(r.Context(), current(r).actor, r.PathValue("id")), "invitation-cancelled")
}

func (h *Handler) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	err := h.Store.SetMemberRole(r.Context(), current(r).actor, r.PathValue("user"), iotsec.Role(r.PostFormValue("role")))
	return h.memberResult(w, r, err, "member-saved")
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	err := h.Store.RemoveMember(r.Context(), current(r).actor, r.PathValue("user"))
	return h.memberResult(w, r, err, "member-removed")
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	const per = 100
	evs, err := h.Store.ListAudit(r.Context(), a, iotsec.AuditFilter{Before: before, Limit: per})
	if err != nil {
		return err
	}
	next := ""
	if len(evs) == per {
		next = "/audit?before=" + strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	lines := make([]auditLine, len(evs))
	for i, e := range evs {
		lines[i] = describeAudit(e)
	}
	return h.render(w, r, http.StatusOK, "audit", view{Nav: "audit", Data: map[string]any{"Events": lines, "Next": next}})
}
