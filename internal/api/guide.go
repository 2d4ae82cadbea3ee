package api

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/policy"
)

// generated is a generated document of the policy service.
type generated interface {
	Markdown() ([]byte, error)
	HTML() ([]byte, error)
	PDF() ([]byte, error)
}

// writeDocument writes d as JSON, or ?format=md or html.
func writeDocument(w http.ResponseWriter, r *http.Request, d generated) error {
	var out []byte
	var err error
	switch r.URL.Query().Get("format") {
	case "", "json":
		return write(w, http.StatusOK, d)
	case "pdf":
		out, err = d.PDF()
		w.Header().Set("Content-Type", "application/pdf")
	case "md":
		out, err = d.Markdown()
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	case "html":
		out, err = d.HTML()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+policy.DocumentStyleHashes()+
			"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	default:
		return iotsec.Invalid("format", "must be json, md, html or pdf")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(out)
	return err
}

// guide is the good practice guide for ?class=&sector=&market= (markets
// repeated or comma separated).
func (h *Handler) guide(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	g, err := h.Policy.Guide(r.Context(), policy.GuideQuery{Class: q.Get("class"), Sector: q.Get("sector"), Markets: q["market"], Date: date})
	if err != nil {
		return err
	}
	return writeDocument(w, r, g)
}

// standardsCalls is the catalog's gaps written as grouped calls for
// missing standards.
func (h *Handler) standardsCalls(w http.ResponseWriter, r *http.Request) error {
	date, err := h.policyDate(r)
	if err != nil {
		return err
	}
	c, err := h.Policy.Calls(r.Context(), date)
	if err != nil {
		return err
	}
	return writeDocument(w, r, c)
}
