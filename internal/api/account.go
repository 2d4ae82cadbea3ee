package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

type meResponse struct {
	Actor        iotsec.Actor        `json:"actor"`
	Organisation iotsec.Organisation `json:"organisation"`
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	o, err := h.Store.GetOrg(r.Context(), a.OrgID)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, meResponse{Actor: a, Organisation: o})
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Store.Overview(r.Context(), actor(r), iotsec.DateOf(h.Now()))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, o)
}

func (h *Handler) listJobs(w http.ResponseWriter, r *http.Request) error {
	js, err := h.Store.ListJobs(r.Context(), actor(r), 100)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(js))
}

func (h *Handler) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Store.GetJob(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, j)
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Store.ListTokens(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ts))
}

type tokenInput struct {
	Name      string      `json:"name"`
	Role      iotsec.Role `json:"role"`
	ExpiresAt *time.Time  `json:"expires_at"`
}

// newToken is the one response that carries a token's secret.
type newToken struct {
	iotsec.Token
	Secret string `json:"secret"`
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	t := iotsec.Token{Name: in.Name, Role: in.Role, Hash: hash}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(h.Now()) {
			return iotsec.Invalid("expires_at", "is in the past")
		}
		t.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	if err := h.Store.CreateToken(r.Context(), actor(r), &t); err != nil {
		return err
	}
	return write(w, http.StatusCreated, newToken{Token: t, Secret: secret})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.RevokeToken(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.Store.ListMembers(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ms))
}

type memberInput struct {
	Email string      `json:"email"`
	Role  iotsec.Role `json:"role"`
}

// addMember invites an address: the answer is the invitation and its
// one-time link, the same whether or not the address has an account.
func (h *Handler) addMember(w http.ResponseWriter, r *http.Request) error {
	var in memberInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	inv, err := h.Auth.Invite(r.Context(), actor(r), in.Email, in.Role)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, inv)
}

func (h *Handler) listInvitations(w http.ResponseWriter, r *http.Request) error {
	vs, err := h.Store.ListInvitations(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(vs))
}

func (h *Handler) cancelInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.CancelInvitation(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) writeMember(w http.ResponseWriter, r *http.Request, userID string, status int) error {
	ms, err := h.Store.ListMembers(r.Context(), actor(r))
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return write(w, status, m)
		}
	}
	return iotsec.NotFound("member")
}

type roleInput struct {
	Role iotsec.Role `json:"role"`
}

func (h *Handler) updateMember(w http.ResponseWriter, r *http.Request) error {
	var in roleInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if err := h.Store.SetMemberRole(r.Context(), actor(r), r.PathValue("user_id"), in.Role); err != nil {
		return err
	}
	return h.writeMember(w, r, r.PathValue("user_id"), http.StatusOK)
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.RemoveMember(r.Context(), actor(r), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f iotsec.AuditFilter
	for _, p := range []struct {
		name string
		dst  *int64
		max  int64
	}{{"before", &f.Before, 1<<63 - 1}, {"limit", nil, 1000}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 || n > p.max {
			return iotsec.Invalid(p.name, "must be a whole number from 1 to %d", p.max)
		}
		if p.dst != nil {
			*p.dst = n
		} else {
			f.Limit = int(n)
		}
	}
	evs, err := h.Store.ListAudit(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := list(evs)
	if want := max(f.Limit, 100*boolInt(f.Limit == 0)); len(evs) == want {
		var next any = evs[len(evs)-1].Seq
		out.Next = &next
	}
	return write(w, http.StatusOK, out)
}

// auditHead is the organisation's audit chain head, signed.
type auditHead struct {
	iotsec.AuditHead
	Checkpoint  string `json:"checkpoint"`
	VerifierKey string `json:"verifier_key"`
}

// getAuditHead signs the head of the caller's organisation's audit chain,
// for keeping elsewhere (iotsec audit verify --org ORG --head FILE).
func (h *Handler) getAuditHead(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := a.Can(iotsec.PermReadAudit); err != nil {
		return err
	}
	head, err := h.Store.AuditHead(r.Context(), a.OrgID)
	if err != nil {
		return err
	}
	note, vkey, err := h.Registry.SignAuditHead(r.Context(), head)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, auditHead{head, string(note), vkey})
}
