package ui

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

// document is a generated document of the policy service.
type generatedDoc interface {
	Markdown() ([]byte, error)
	HTML() ([]byte, error)
	PDF() ([]byte, error)
}

// writeGenerated sends d as a standalone page (?format=html, the default)
// or a Markdown download named name.md.
func writeGenerated(w http.ResponseWriter, r *http.Request, d generatedDoc, name string) error {
	var out []byte
	var err error
	switch r.URL.Query().Get("format") {
	case "", "html":
		out, err = d.HTML()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+policy.DocumentStyleHashes()+
			"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	case "pdf":
		out, err = d.PDF()
		w.Header().Set("Content-Type", "application/pdf")
	case "md":
		out, err = d.Markdown()
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.md"`)
	default:
		return iotsec.Invalid("format", "must be html, md or pdf")
	}
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// guides is the good practice guide's "generate" form; with class, sector
// and markets it answers the guide itself.
func (h *Handler) guides(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	day, ds, derr := h.queryDate(q)
	f := map[string]string{"Class": q.Get("class"), "Sector": q.Get("sector"), "Markets": q.Get("market"), "Date": ds}
	data := map[string]any{"F": f, "Vocabulary": v.Vocabulary(), "Error": ""}
	status := http.StatusOK
	if f["Class"] != "" || f["Sector"] != "" || f["Markets"] != "" || derr != nil {
		err := derr
		if err == nil {
			var g *policy.Guide
			g, err = h.Policy.Guide(r.Context(), policy.GuideQuery{Class: f["Class"], Sector: f["Sector"], Markets: splitList(f["Markets"]), Date: day})
			if err == nil {
				return writeGenerated(w, r, g, "guide-"+g.Class)
			}
		}
		if !pageError(err) {
			return err
		}
		data["Error"], status = errText(err), http.StatusBadRequest
	}
	return h.render(w, r, status, "guides", view{Title: "Good practice guide", Nav: "policy", Data: data})
}

// standardsCalls is the calls for missing standards as a document.
func (h *Handler) standardsCalls(w http.ResponseWriter, r *http.Request) error {
	day, _, err := h.queryDate(r.URL.Query())
	if err != nil {
		return err
	}
	c, err := h.Policy.Calls(r.Context(), day)
	if err != nil {
		return err
	}
	return writeGenerated(w, r, c, "calls-for-standards")
}
