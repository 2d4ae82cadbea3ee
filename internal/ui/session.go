package ui

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/iotsec"
)

type handler = func(http.ResponseWriter, *http.Request) error

// Cookie names. With Secure cookies the __Host- prefix binds the cookie to
// this exact origin, over HTTPS, for every path.
const (
	cookieName       = "iotsec_session"
	secureCookieName = "__Host-iotsec_session"
)

// public wraps a page anyone may see; a session is loaded if there is one.
func (h *Handler) public(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, err := h.load(r)
		if err != nil {
			return err
		}
		if err := h.checkForm(w, r, h.MaxForm); err != nil {
			return err
		}
		return fn(w, r)
	}
}

// private wraps a page that needs a signed-in user.
func (h *Handler) private(fn handler) handler { return h.privateLimit(fn, h.MaxForm) }

// upload is private with the upload size limit.
func (h *Handler) upload(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error { return h.privateLimit(fn, h.MaxUpload)(w, r) }
}

// sharedUpload is upload within the organisation's fair share (Share).
func (h *Handler) sharedUpload(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error { return h.guard(fn, h.MaxUpload, true)(w, r) }
}

// shared is private within the organisation's fair share (Share).
func (h *Handler) shared(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error { return h.guard(fn, h.MaxForm, true)(w, r) }
}

// uploadImageRoute takes firmware images, up to MaxImage, within the
// organisation's fair share.
func (h *Handler) uploadImageRoute() handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return h.guard(h.uploadImage, h.Evaluation.MaxImage+1<<20, true)(w, r)
	}
}

// ExpensiveForms are the forms that take a share of the server the way the
// API's expensive routes do (server.Expensive): uploads that start scans
// or matches, re-matches, device and scheme imports.
func ExpensiveForms() []string {
	return []string{
		"POST /firmware/{id}/image",
		"POST /supply/firmware/{id}/sbom",
		"POST /supply/firmware/{id}/rematch",
		"POST /devices/import",
		"POST /catalog/imports",
	}
}

func (h *Handler) privateLimit(fn handler, limit int64) handler { return h.guard(fn, limit, false) }

// guard loads the session, asks the authorisation table, takes the
// organisation's share when the form is expensive, and only then reads
// the form, up to limit bytes.
func (h *Handler) guard(fn handler, limit int64, expensive bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, err := h.load(r)
		if err != nil {
			return err
		}
		s, ok := sessionFrom(r.Context())
		if !ok {
			return auth.ErrNoCredentials
		}
		// The authorisation table decides before the form is read.
		if err := s.actor.May(iotsec.Operation(r.Pattern)); err != nil {
			if s.actor.OrgID == "" {
				return needOrg
			}
			return err
		}
		if expensive && h.Share != nil {
			// A cross-site form must not use up the organisation's share.
			if err := h.cop.Check(r); err != nil {
				return iotsec.Forbidden("cross-site form submissions are refused")
			}
			done, wait := h.Share(s.actor.OrgID)
			if done == nil {
				secs := max(int(math.Ceil(wait.Seconds())), 1)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				return iotsec.Errorf(iotsec.ErrRateLimited, "Your organisation has sent more uploads, imports and matches than its share of this server allows at once. "+
					"Wait %d seconds, then send the form again; nothing of this one was kept.", secs)
			}
			defer done()
		}
		if err := h.checkForm(w, r, limit); err != nil {
			return err
		}
		return fn(w, r)
	}
}

// load finds the session cookie and puts the session in the context.
func (h *Handler) load(r *http.Request) (*http.Request, error) {
	c, err := r.Cookie(h.cookieName(r))
	if err != nil {
		return r, nil
	}
	ses, user, actor, err := h.Auth.Session(r.Context(), c.Value)
	if errors.Is(err, iotsec.ErrUnauthorized) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	s := &session{ses: ses, secret: c.Value, user: user, actor: actor}
	if s.orgs, err = h.Store.Memberships(r.Context(), user.ID); err != nil {
		return r, err
	}
	if actor.OrgID != "" {
		if s.org, err = h.Store.GetOrg(r.Context(), actor.OrgID); err != nil {
			return r, err
		}
	}
	ctx := context.WithValue(r.Context(), sessionKey, s)
	return r.WithContext(iotsec.WithActor(ctx, actor)), nil
}

// checkForm guards state-changing requests: the browser must say the
// request comes from this site (Fetch metadata, Origin), the body must fit
// the limit, and a signed-in user's form must carry the session's CSRF
// token. Either check alone stops cross-site forms; together they also
// cover browsers that send neither header.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if err := h.cop.Check(r); err != nil {
		return iotsec.Forbidden("cross-site form submissions are refused")
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &iotsec.Error{Kind: iotsec.ErrTooLarge, Message: "the form or file is too large", Err: err}
		}
		return iotsec.Invalid("form", "could not be read")
	}
	if s, ok := sessionFrom(r.Context()); ok && !auth.CheckCSRF(s.ses, r.PostFormValue("csrf")) {
		return iotsec.Forbidden("this form has expired; reload the page and try again")
	}
	return nil
}

func (h *Handler) secure(r *http.Request) bool {
	switch h.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return r.TLS != nil || h.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https"
}

func (h *Handler) cookieName(r *http.Request) string {
	if h.secure(r) {
		return secureCookieName
	}
	return cookieName
}

func (h *Handler) setSession(w http.ResponseWriter, r *http.Request, secret string, ses iotsec.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(r), Value: secret, Path: "/", Expires: ses.ExpiresAt,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
}

// clientAddr is the address sign-in limits count against.
func (h *Handler) clientAddr(r *http.Request) string {
	if h.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			return strings.TrimSpace(strings.Split(xff, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// localPath keeps a post-login redirect on this site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// current returns the session of a private page.
func current(r *http.Request) *session {
	s, _ := sessionFrom(r.Context())
	return s
}

// needOrg is the error of pages that need an organisation selected.
var needOrg = iotsec.Forbidden("you are not working in any organisation yet; ask an owner or admin to add you")

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
