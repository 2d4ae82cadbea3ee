package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// workspaces lists the organisation's workspaces, with the form to start one.
func (h *Handler) workspaces(w http.ResponseWriter, r *http.Request) error {
	return h.workspacesPage(w, r, http.StatusOK, nil, url.Values{})
}

func (h *Handler) workspacesPage(w http.ResponseWriter, r *http.Request, status int, formErr error, form url.Values) error {
	a := current(r).actor
	ws, err := h.Workspace.List(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, status, "workspaces", view{Title: "Workspaces", Nav: "workspaces", Data: map[string]any{
		"Workspaces": ws, "OrgID": a.OrgID, "Error": errText(formErr), "Form": formValues(form, "name", "focus"),
		"CanCreate": a.Role.Allows(iotsec.PermManageMembers),
	}})
}

// formValues picks the named fields of a form, so a refused form is shown
// again as it was sent (missingkey=error needs every key).
func formValues(form url.Values, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = form.Get(k)
	}
	return out
}

func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	ws, err := h.Workspace.Create(r.Context(), current(r).actor, iotsec.Workspace{Name: r.PostFormValue("name"), Focus: r.PostFormValue("focus")})
	if formError(err) {
		return h.workspacesPage(w, r, http.StatusBadRequest, err, r.PostForm)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/workspaces/"+ws.ID+"?done=workspace-created", http.StatusSeeOther)
	return nil
}

func (h *Handler) workspace(w http.ResponseWriter, r *http.Request) error {
	return h.workspacePage(w, r, http.StatusOK, nil, url.Values{})
}

var proposalFields = []string{"kind", "from", "to", "sources", "targets", "relationship", "confidence", "rationale", "title", "period_from", "period_to",
	"merged", "open_questions", "gaps", "org_id", "role"}

func (h *Handler) workspacePage(w http.ResponseWriter, r *http.Request, status int, formErr error, form url.Values) error {
	a := current(r).actor
	d, err := h.Workspace.Detail(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	var reviewer bool
	for _, m := range d.Workspace.Members {
		if m.OrgID == a.OrgID && m.Accepted && m.Role == iotsec.WorkspaceReviewer {
			reviewer = true
		}
	}
	creator := d.Workspace.OrgID == a.OrgID
	f := formValues(form, proposalFields...)
	if f["kind"] == "" {
		f["kind"] = iotsec.ProposalNew
	}
	return h.render(w, r, status, "workspace", view{Title: d.Workspace.Name + " · workspace", Nav: "workspaces", Data: map[string]any{
		"D": d, "OrgID": a.OrgID, "Reviewer": reviewer, "Error": errText(formErr), "Form": f,
		"CanManage": a.Role.Allows(iotsec.PermManageMembers), "CanWrite": a.Role.Allows(iotsec.PermWriteSchemes),
		// The creating organisation removes members; every other one may leave.
		"CanRemove": creator && a.Role.Allows(iotsec.PermManageMembers), "CanLeave": !creator && a.Role.Allows(iotsec.PermManageMembers),
		"Relationships": []string{"equivalent-to", "equal-to", "subset-of", "superset-of", "intersects-with", "no-relationship"},
	}})
}

// wsDone redirects to the workspace page after a change, or shows the
// page again with the refused form.
func (h *Handler) wsDone(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if formError(err) {
		return h.workspacePage(w, r, http.StatusBadRequest, err, r.PostForm)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/workspaces/"+r.PathValue("id")+"?done="+done, http.StatusSeeOther)
	return nil
}

func (h *Handler) inviteToWorkspace(w http.ResponseWriter, r *http.Request) error {
	err := h.Workspace.Invite(r.Context(), current(r).actor, r.PathValue("id"), strings.TrimSpace(r.PostFormValue("org_id")),
		iotsec.WorkspaceRole(r.PostFormValue("role")))
	return h.wsDone(w, r, err, "workspace-invited")
}

func (h *Handler) acceptWorkspace(w http.ResponseWriter, r *http.Request) error {
	return h.wsDone(w, r, h.Workspace.Accept(r.Context(), current(r).actor, r.PathValue("id")), "workspace-joined")
}

// splitIDs reads provision IDs one per line or separated by semicolons.
func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == '\n' || c == ';' || c == '\r' })
}

func (h *Handler) proposeMapping(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Workspace.Propose(r.Context(), current(r).actor, iotsec.MappingProposal{WorkspaceID: r.PathValue("id"),
		Kind: r.PostFormValue("kind"), From: r.PostFormValue("from"), To: r.PostFormValue("to"), Sources: splitIDs(r.PostFormValue("sources")),
		Targets: splitIDs(r.PostFormValue("targets")), Relationship: r.PostFormValue("relationship"), Confidence: r.PostFormValue("confidence"),
		Rationale: r.PostFormValue("rationale")})
	return h.wsDone(w, r, err, "proposal-created")
}

func (h *Handler) commentProposal(w http.ResponseWriter, r *http.Request) error {
	err := h.Workspace.Comment(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("proposal"), r.PostFormValue("body"))
	return h.wsDone(w, r, err, "proposal-commented")
}

func (h *Handler) approveProposal(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Workspace.Approve(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("proposal"))
	return h.wsDone(w, r, err, "proposal-approved")
}

func (h *Handler) mergeProposal(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Workspace.Merge(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("proposal"))
	return h.wsDone(w, r, err, "proposal-merged")
}

func (h *Handler) publishReport(w http.ResponseWriter, r *http.Request) error {
	from, ferr := iotsec.ParseDate(r.PostFormValue("period_from"))
	to, terr := iotsec.ParseDate(r.PostFormValue("period_to"))
	if ferr != nil || terr != nil {
		return h.wsDone(w, r, iotsec.Invalid("period", "give the period's first and last day"), "")
	}
	var merged []string
	for _, id := range strings.Fields(strings.ReplaceAll(r.PostFormValue("merged"), ",", " ")) {
		merged = append(merged, id)
	}
	_, err := h.Workspace.Publish(r.Context(), current(r).actor, iotsec.WorkspaceReport{WorkspaceID: r.PathValue("id"),
		Title: r.PostFormValue("title"), From: from, To: to, Merged: merged, OpenQuestions: r.PostFormValue("open_questions"), Gaps: r.PostFormValue("gaps")})
	return h.wsDone(w, r, err, "report-published")
}

func (h *Handler) withdrawProposal(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Workspace.Withdraw(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("proposal"))
	return h.wsDone(w, r, err, "proposal-withdrawn")
}

func (h *Handler) rejectProposal(w http.ResponseWriter, r *http.Request) error {
	_, err := h.Workspace.Reject(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("proposal"), r.PostFormValue("reason"))
	return h.wsDone(w, r, err, "proposal-rejected")
}

func (h *Handler) removeWorkspaceMember(w http.ResponseWriter, r *http.Request) error {
	err := h.Workspace.Remove(r.Context(), current(r).actor, r.PathValue("id"), r.PathValue("org"))
	return h.wsDone(w, r, err, "workspace-member-removed")
}

// leaveWorkspace takes the organisation out; the workspace's page is
// then not found for it, so the list is where it lands.
func (h *Handler) leaveWorkspace(w http.ResponseWriter, r *http.Request) error {
	err := h.Workspace.Leave(r.Context(), current(r).actor, r.PathValue("id"))
	if formError(err) {
		return h.workspacePage(w, r, http.StatusBadRequest, err, r.PostForm)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/workspaces?done=workspace-left", http.StatusSeeOther)
	return nil
}
