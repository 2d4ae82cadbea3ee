package api

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	ws, err := h.Workspace.List(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ws))
}

func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name  string `json:"name"`
		Focus string `json:"focus"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	ws, err := h.Workspace.Create(r.Context(), actor(r), iotsec.Workspace{Name: in.Name, Focus: in.Focus})
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, ws)
}

func (h *Handler) getWorkspace(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Workspace.Detail(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, d)
}

func (h *Handler) inviteToWorkspace(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		OrgID string               `json:"org_id"`
		Role  iotsec.WorkspaceRole `json:"role"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	a, id := actor(r), r.PathValue("id")
	if err := h.Workspace.Invite(r.Context(), a, id, in.OrgID, in.Role); err != nil {
		return err
	}
	ws, err := h.Workspace.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, ws)
}

func (h *Handler) acceptWorkspace(w http.ResponseWriter, r *http.Request) error {
	a, id := actor(r), r.PathValue("id")
	if err := h.Workspace.Accept(r.Context(), a, id); err != nil {
		return err
	}
	ws, err := h.Workspace.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, ws)
}

func (h *Handler) createMappingProposal(w http.ResponseWriter, r *http.Request) error {
	var in iotsec.MappingProposal
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	p := iotsec.MappingProposal{WorkspaceID: r.PathValue("id"), Kind: in.Kind, From: in.From, To: in.To, Sources: in.Sources, Targets: in.Targets,
		Relationship: in.Relationship, Confidence: in.Confidence, Rationale: in.Rationale}
	p, err := h.Workspace.Propose(r.Context(), actor(r), p)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, p)
}

func (h *Handler) getMappingProposal(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Workspace.Proposal(r.Context(), actor(r), r.PathValue("id"), r.PathValue("proposal"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) commentMappingProposal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	a, id, pid := actor(r), r.PathValue("id"), r.PathValue("proposal")
	if err := h.Workspace.Comment(r.Context(), a, id, pid, in.Body); err != nil {
		return err
	}
	p, err := h.Workspace.Proposal(r.Context(), a, id, pid)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, p)
}

func (h *Handler) approveMappingProposal(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Workspace.Approve(r.Context(), actor(r), r.PathValue("id"), r.PathValue("proposal"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) mergeMappingProposal(w http.ResponseWriter, r *http.Request) error {
	m, err := h.Workspace.Merge(r.Context(), actor(r), r.PathValue("id"), r.PathValue("proposal"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, m)
}

func (h *Handler) publishWorkspaceReport(w http.ResponseWriter, r *http.Request) error {
	var in iotsec.WorkspaceReport
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	rep := iotsec.WorkspaceReport{WorkspaceID: r.PathValue("id"), Title: in.Title, From: in.From, To: in.To, Merged: in.Merged,
		OpenQuestions: in.OpenQuestions, Gaps: in.Gaps}
	rep, err := h.Workspace.Publish(r.Context(), actor(r), rep)
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, rep)
}

func (h *Handler) withdrawMappingProposal(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Workspace.Withdraw(r.Context(), actor(r), r.PathValue("id"), r.PathValue("proposal"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) rejectMappingProposal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	p, err := h.Workspace.Reject(r.Context(), actor(r), r.PathValue("id"), r.PathValue("proposal"), in.Reason)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) removeWorkspaceMember(w http.ResponseWriter, r *http.Request) error {
	a, id := actor(r), r.PathValue("id")
	if err := h.Workspace.Remove(r.Context(), a, id, r.PathValue("org")); err != nil {
		return err
	}
	ws, err := h.Workspace.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, ws)
}

func (h *Handler) leaveWorkspace(w http.ResponseWriter, r *http.Request) error {
	if err := h.Workspace.Leave(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
