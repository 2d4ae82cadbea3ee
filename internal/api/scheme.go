package api

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The catalog and crosswalk under /api/v1/schemes: the same answers as
// "iotsec scheme", from the catalog the caller's organisation sees (the
// embedded one, its own imports and every shared one).

// view is the caller's catalog.
func (h *Handler) view(r *http.Request) (*catalog.View, error) {
	return h.Schemes.For(r.Context(), actor(r))
}

// values reads a query parameter given as a comma-separated list, repeated,
// or both.
func values(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// day reads ?date=YYYY-MM-DD, defaulting to today.
func (h *Handler) day(q url.Values) (time.Time, error) {
	s := q.Get("date")
	if s == "" {
		return h.Now().UTC().Truncate(24 * time.Hour), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, iotsec.Invalid("date", "%q is not a date; want YYYY-MM-DD", s)
	}
	return t, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, iotsec.Invalid(name, "must be true or false")
	}
	return b, nil
}

func (h *Handler) listSchemes(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rows, err := v.Schemes(catalog.SchemeFilter{Jurisdiction: q.Get("jurisdiction"), Sector: q.Get("sector"), Status: q.Get("status"), Type: q.Get("type")})
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(rows))
}

func (h *Handler) getScheme(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	d, err := v.Scheme(r.PathValue("slug"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, d)
}

func (h *Handler) getProvision(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	p, err := v.Provision(r.PathValue("slug"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) compareSchemes(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	c, err := v.Compare(q.Get("a"), q.Get("b"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, c)
}

func (h *Handler) baseline(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	bq := catalog.BaselineQuery{Markets: values(q, "market"), Class: q.Get("class"), Sector: q.Get("sector")}
	var err error
	if bq.Date, err = h.day(q); err != nil {
		return err
	}
	if bq.Voluntary, err = boolParam(q, "voluntary"); err != nil {
		return err
	}
	for _, s := range values(q, "scheme") {
		bq.Schemes = append(bq.Schemes, catalog.ParseRef(s))
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	b, err := v.Baseline(bq)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, b)
}

// appliesOut is Applies' answer, with the product the query came from.
type appliesOut struct {
	*catalog.AppliesResult
	Product *productRef `json:"product,omitempty"`
	Notes   []string    `json:"notes,omitempty"`
}

type productRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Model string `json:"model_number"`
}

func (h *Handler) applies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	aq := catalog.AppliesQuery{Class: q.Get("class"), Sector: q.Get("sector"), Markets: values(q, "market")}
	var err error
	if aq.Date, err = h.day(q); err != nil {
		return err
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	var out appliesOut
	if id := q.Get("product"); id != "" {
		p, err := h.Store.GetProduct(r.Context(), actor(r), id)
		if err != nil {
			return err
		}
		class, sector, markets, notes := v.ProductQuery(p)
		// What the query names explicitly wins over the product's values.
		if aq.Class == "" {
			aq.Class = class
		}
		if aq.Sector == "" {
			aq.Sector = sector
		}
		if len(aq.Markets) == 0 {
			aq.Markets = markets
		}
		out.Product, out.Notes = &productRef{ID: p.ID, Name: p.Name, Model: p.Model}, notes
	}
	if len(aq.Markets) == 0 {
		return iotsec.Invalid("market", "is required: ISO 3166-1 codes or EU, comma-separated (or a product with markets)")
	}
	if out.AppliesResult, err = v.Applies(aq); err != nil {
		return err
	}
	return write(w, http.StatusOK, out)
}

func (h *Handler) gaps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	gq := catalog.GapQuery{Sectors: values(q, "sector"), Classes: values(q, "class"), Markets: values(q, "market")}
	var err error
	if gq.Date, err = h.day(q); err != nil {
		return err
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	g, err := v.Gaps(gq)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, g)
}

func (h *Handler) recognise(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rq := catalog.RecogniseQuery{Slug: q.Get("slug"), Level: q.Get("level"), Class: q.Get("class")}
	if rq.Slug == "" {
		return iotsec.Invalid("slug", "is required: the label held")
	}
	var err error
	if rq.Date, err = h.day(q); err != nil {
		return err
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	res, err := v.Recognise(rq)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, res)
}

func (h *Handler) agreements(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(v.Agreements()))
}

func (h *Handler) exportScheme(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("slug") == "" {
		return iotsec.Invalid("slug", "is required: the scheme to export")
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	f, err := h.Schemes.Export(v, q.Get("slug"), q.Get("format"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(f.Body)
	return err
}

// importList is the organisation's imports and the shared ones, with any
// that could not be merged into its catalog and why.
type importList struct {
	Items   []iotsec.SchemeImport `json:"items"`
	Skipped []catalog.Skipped     `json:"skipped"`
}

func (h *Handler) listImports(w http.ResponseWriter, r *http.Request) error {
	ims, err := h.Schemes.Imports(r.Context(), actor(r))
	if err != nil {
		return err
	}
	v, err := h.view(r)
	if err != nil {
		return err
	}
	out := importList{Items: ims, Skipped: v.Skipped}
	if out.Skipped == nil {
		out.Skipped = []catalog.Skipped{}
	}
	return write(w, http.StatusOK, out)
}

// importSchemes takes an OSCAL document or bundle (application/json) or a
// mapping spreadsheet (text/csv). The file is checked whole against the
// caller's catalog; every problem is named in the 400.
func (h *Handler) importSchemes(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	if err := contentType(r, "application/json", "text/csv"); err != nil {
		return err
	}
	q := r.URL.Query()
	req := catalog.ImportRequest{Name: q.Get("name"), Visibility: iotsec.Visibility(q.Get("visibility")), Format: iotsec.SchemeFormatOSCAL}
	if req.Visibility != "" && !req.Visibility.Valid() {
		return iotsec.Invalid("visibility", "must be %s or %s", iotsec.VisibilityPrivate, iotsec.VisibilityShared)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/csv" {
		req.Format = iotsec.SchemeFormatCSV
	}
	var err error
	if req.Data, err = io.ReadAll(http.MaxBytesReader(w, r.Body, catalog.MaxBytes())); err != nil {
		return err
	}
	res, err := h.Schemes.Import(r.Context(), a, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/schemes/imports/"+res.Import.ID)
	return write(w, http.StatusCreated, res)
}

func (h *Handler) getImport(w http.ResponseWriter, r *http.Request) error {
	im, err := h.Schemes.Get(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := catalog.Describe(im)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, res)
}

type visibilityInput struct {
	Visibility *iotsec.Visibility `json:"visibility"`
}

func (h *Handler) updateImport(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	id := r.PathValue("id")
	// Another organisation's import is a 404 before the body is read.
	im, err := h.Schemes.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	if im.OrgID != a.OrgID {
		return iotsec.NotFound("scheme import")
	}
	var in visibilityInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if in.Visibility == nil {
		return iotsec.Invalid("visibility", "is required: private or shared")
	}
	if err := h.Schemes.SetVisibility(r.Context(), a, id, *in.Visibility); err != nil {
		return err
	}
	if im, err = h.Schemes.Get(r.Context(), a, id); err != nil {
		return err
	}
	res, err := catalog.Describe(im)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, res)
}

func (h *Handler) deleteImport(w http.ResponseWriter, r *http.Request) error {
	if err := h.Schemes.Delete(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
