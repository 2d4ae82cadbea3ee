package ui

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok := sessionFrom(r.Context()); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, http.StatusOK, "login", view{Data: map[string]string{"Next": r.URL.Query().Get("next"), "Email": ""}})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	email := r.PostFormValue("email")
	ses, secret, err := h.Auth.Login(r.Context(), email, r.PostFormValue("password"), h.clientAddr(r))
	if err != nil {
		status := http.StatusUnauthorized
		switch iotsec.Kind(err) {
		case iotsec.ErrRateLimited:
			status = http.StatusTooManyRequests
		case iotsec.ErrUnauthorized:
		default:
			return err
		}
		return h.render(w, r, status, "login", view{Notice: iotsec.Message(err), NoticeKind: "bad",
			Data: map[string]string{"Next": r.PostFormValue("next"), "Email": email}})
	}
	h.setSession(w, r, secret, ses)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// linkForm shows a button rather than signing in on GET, so link
// previewers and mail scanners do not spend the one-time link.
func (h *Handler) linkForm(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "link", view{Data: map[string]string{"Secret": r.PathValue("secret")}})
}

func (h *Handler) useLink(w http.ResponseWriter, r *http.Request) error {
	ses, secret, err := h.Auth.UseLink(r.Context(), r.PostFormValue("secret"), h.clientAddr(r))
	if err != nil {
		if iotsec.Kind(err) == iotsec.ErrUnauthorized {
			return h.render(w, r, http.StatusUnauthorized, "login", view{Notice: iotsec.Message(err), NoticeKind: "bad", Data: map[string]string{"Next": "", "Email": ""}})
		}
		return err
	}
	h.setSession(w, r, secret, ses)
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.Auth.Logout(r.Context(), current(r).secret); err != nil {
		return err
	}
	h.clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (h *Handler) switchOrg(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.SetSessionOrg(r.Context(), current(r).ses.Hash, r.PostFormValue("org")); err != nil {
		return err
	}
	http.Redirect(w, r, "/?done=org-switched", http.StatusSeeOther)
	return nil
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, http.StatusOK, "account", view{Nav: "account", Data: map[string]any{"NoPassword": current(r).user.PasswordHash == "", "Error": ""}})
}

func (h *Handler) setPassword(w http.ResponseWriter, r *http.Request) error {
	s := current(r)
	fail := func(err error) error {
		if k := iotsec.Kind(err); k != iotsec.ErrInvalid && k != iotsec.ErrRateLimited {
			return err
		}
		return h.render(w, r, http.StatusBadRequest, "account", view{Nav: "account",
			Data: map[string]any{"NoPassword": s.user.PasswordHash == "", "Error": iotsec.Message(err)}})
	}
	if s.user.PasswordHash != "" {
		if _, err := h.Auth.Verify(r.Context(), s.user.Email, r.PostFormValue("current"), h.clientAddr(r)); err != nil {
			if iotsec.Kind(err) == iotsec.ErrUnauthorized {
				err = &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "current", Message: "the current password is wrong"}
			}
			return fail(err)
		}
	}
	hash, err := auth.HashPassword(r.PostFormValue("password"))
	if err != nil {
		return fail(err)
	}
	if err := h.Store.SetPassword(r.Context(), s.user.Email, s.user.ID, hash); err != nil {
		return err
	}
	// Setting a password ends every session, this one too; start a fresh
	// one so the user stays signed in here.
	ses, secret, err := h.Auth.StartSession(r.Context(), s.user, "password-change", h.clientAddr(r))
	if err != nil {
		return err
	}
	h.setSession(w, r, secret, ses)
	http.Redirect(w, r, "/account?done=password-set", http.StatusSeeOther)
	return nil
}

// invitationForm shows the invitation of a one-time link to the signed-in
// user, who accepts it with a form (a GET never changes anything).
func (h *Handler) invitationForm(w http.ResponseWriter, r *http.Request) error {
	inv, err := h.Auth.Invitation(r.Context(), r.PathValue("secret"))
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "invitation", view{Nav: "account", Data: map[string]any{"Invitation": inv, "Secret": r.PathValue("secret")}})
}

// acceptLink accepts the invitation of a one-time link.
func (h *Handler) acceptLink(w http.ResponseWriter, r *http.Request) error {
	s := current(r)
	m, err := h.Auth.AcceptLink(r.Context(), s.user.ID, r.PostFormValue("secret"))
	if err != nil {
		return err
	}
	return h.joined(w, r, m)
}

// acceptInvitation accepts an invitation to the user's own address.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	s := current(r)
	m, err := h.Store.AcceptInvitation(r.Context(), s.user.ID, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	return h.joined(w, r, m)
}

// joined moves the session into the organisation just joined.
func (h *Handler) joined(w http.ResponseWriter, r *http.Request, m iotsec.Membership) error {
	if err := h.Store.SetSessionOrg(r.Context(), current(r).ses.Hash, m.OrgID); err != nil {
		return err
	}
	http.Redirect(w, r, "/?done=invitation-accepted", http.StatusSeeOther)
	return nil
}

func (h *Handler) declineInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeclineInvitation(r.Context(), current(r).user.ID, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?done=invitation-declined", http.StatusSeeOther)
	return nil
}
