package ui

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The catalog and crosswalk pages: the scheme explorer, scheme and
// provision pages, compare, what applies, baseline, gaps, recognition and
// imports. They answer from the catalog the signed-in organisation sees,
// as the CLI and the API do.

func (h *Handler) catalogView(r *http.Request) (*catalog.View, error) {
	return h.Schemes.For(r.Context(), current(r).actor)
}

// splitList reads a form field of comma- or space-separated values.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == ';' })
}

// queryDate reads ?date=, defaulting to today; a bad date is reported on
// the form rather than failing the page.
func (h *Handler) queryDate(q url.Values) (time.Time, string, error) {
	s := q.Get("date")
	if s == "" {
		t := h.Now().UTC().Truncate(24 * time.Hour)
		return t, t.Format("2006-01-02"), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return h.Now().UTC().Truncate(24 * time.Hour), s, iotsec.Invalid("date", "%q is not a date; want YYYY-MM-DD", s)
	}
	return t, s, nil
}

// pageError reports whether err belongs on the form (the user asked for
// something unknown or malformed) rather than on an error page.
func pageError(err error) bool {
	k := iotsec.Kind(err)
	return k == iotsec.ErrInvalid || k == iotsec.ErrNotFound
}

// refOption is one entry of a scheme picker: a scheme, or one of its levels.
type refOption struct {
	Ref, Label string
}

func refOptions(v *catalog.View) []refOption {
	var out []refOption
	rows, _ := v.Schemes(catalog.SchemeFilter{})
	for _, r := range rows {
		out = append(out, refOption{r.Slug, r.Slug + " · " + shorten(r.Title, 60)})
		for _, l := range r.Levels {
			out = append(out, refOption{r.Slug + ":" + l, r.Slug + " level " + l})
		}
	}
	return out
}

func (h *Handler) catalogHome(w http.ResponseWriter, r *http.Request) error {
	return h.explorer(w, r, http.StatusOK, nil)
}

// explorer renders the scheme list; with notFound, as the answer to an
// unknown scheme or provision, naming the close slugs.
func (h *Handler) explorer(w http.ResponseWriter, r *http.Request, status int, notFound error) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if notFound != nil {
		q = url.Values{}
	}
	f := catalog.SchemeFilter{Jurisdiction: q.Get("jurisdiction"), Sector: q.Get("sector"), Status: q.Get("status"), Type: q.Get("type")}
	rows, ferr := v.Schemes(f)
	if ferr != nil {
		if !pageError(ferr) {
			return ferr
		}
		rows, _ = v.Schemes(catalog.SchemeFilter{})
	}
	all, _ := v.Schemes(catalog.SchemeFilter{})
	var jurisdictions, types []string
	for _, s := range all {
		for _, j := range s.Jurisdictions {
			if !slices.Contains(jurisdictions, j) {
				jurisdictions = append(jurisdictions, j)
			}
		}
		if !slices.Contains(types, s.Type) {
			types = append(types, s.Type)
		}
	}
	slices.Sort(jurisdictions)
	slices.Sort(types)
	provisions, mappings := 0, 0
	for _, s := range all {
		provisions += s.ProvisionCount
	}
	for _, m := range v.Catalog().MappingSets("") {
		mappings += len(m.Maps)
	}
	if notFound != nil {
		ferr = notFound
	}
	return h.render(w, r, status, "catalog", view{Nav: "catalog", Data: map[string]any{
		"Schemes": rows, "Filter": f, "Error": errText(ferr), "Jurisdictions": jurisdictions, "Types": types,
		"Vocabulary": v.Vocabulary(), "Statuses": []string{catalog.StatusMandatory, catalog.StatusVoluntary, catalog.StatusMandatoryForClass},
		"Total": len(all), "Provisions": provisions, "Maps": mappings, "Agreements": len(v.Agreements()), "Tab": "schemes"}})
}

func (h *Handler) scheme(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	d, err := v.Scheme(r.PathValue("slug"))
	if err != nil {
		if iotsec.Kind(err) == iotsec.ErrNotFound {
			return h.explorer(w, r, http.StatusNotFound, err)
		}
		return err
	}
	level := r.URL.Query().Get("level")
	if level != "" && !slices.ContainsFunc(d.Levels, func(l catalog.Level) bool { return l.ID == level }) {
		level = ""
	}
	// Provisions grouped by category, in the scheme's order.
	type group struct {
		ID, Title  string
		Provisions []catalog.ProvisionRow
	}
	titles := map[string]string{}
	for _, c := range d.Categories {
		titles[c.ID] = c.Title
	}
	var groups []group
	shown := 0
	for _, p := range d.Provisions {
		if level != "" && !slices.Contains(p.Levels, level) {
			continue
		}
		shown++
		if len(groups) == 0 || groups[len(groups)-1].ID != p.Category {
			groups = append(groups, group{ID: p.Category, Title: titles[p.Category]})
		}
		groups[len(groups)-1].Provisions = append(groups[len(groups)-1].Provisions, p)
	}
	var agreements []catalog.Agreement
	for _, a := range v.Agreements() {
		if slices.Contains(d.Agreements, a.ID) {
			agreements = append(agreements, a)
		}
	}
	own := d.Origin != nil && d.Origin.OrgID == current(r).actor.OrgID
	return h.render(w, r, http.StatusOK, "scheme", view{Title: d.Title, Nav: "catalog", Data: map[string]any{
		"Scheme": d, "Groups": groups, "Level": level, "Shown": shown, "Agreements": agreements, "Own": own,
		"Options": refOptions(v), "Tab": "schemes"}})
}

func (h *Handler) provision(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	p, err := v.Provision(r.PathValue("slug"), r.PathValue("pid"))
	if err != nil {
		if iotsec.Kind(err) == iotsec.ErrNotFound {
			return h.explorer(w, r, http.StatusNotFound, err)
		}
		return err
	}
	return h.render(w, r, http.StatusOK, "provision", view{Title: p.Scheme + " " + p.Provision.ID, Nav: "catalog", Data: map[string]any{
		"P": p, "Tab": "schemes"}})
}

func (h *Handler) exportScheme(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	f, err := h.Schemes.Export(v, r.PathValue("slug"), r.URL.Query().Get("format"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(f.Body)
	return err
}

func (h *Handler) compare(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	a, b := q.Get("a"), q.Get("b")
	data := map[string]any{"A": a, "B": b, "Options": refOptions(v), "Tab": "compare", "C": nil, "Error": ""}
	status := http.StatusOK
	if a != "" || b != "" {
		c, err := v.Compare(a, b)
		switch {
		case err == nil:
			data["C"], data["Heatmap"] = c, heatmap(c)
		case pageError(err):
			data["Error"], status = errText(err), http.StatusBadRequest
		default:
			return err
		}
	}
	return h.render(w, r, status, "compare", view{Title: "Compare schemes", Nav: "catalog", Data: data})
}

// productForm is the "what applies to my product" form's values.
type productForm struct {
	Product, Class, Sector, Markets, Date string
	Voluntary                             bool
	Schemes                               string
}

func (h *Handler) productQuery(r *http.Request, v *catalog.View) (productForm, []string, []iotsec.Product, error) {
	q := r.URL.Query()
	f := productForm{Product: q.Get("product"), Class: q.Get("class"), Sector: q.Get("sector"), Markets: q.Get("markets"),
		Voluntary: q.Get("voluntary") != "", Schemes: q.Get("schemes")}
	a := current(r).actor
	var products []iotsec.Product
	var notes []string
	if a.OrgID != "" {
		var err error
		if products, err = h.Store.ListProducts(r.Context(), a); err != nil {
			return f, nil, nil, err
		}
	}
	// Starting from a product fills in what the form leaves empty.
	if f.Product != "" {
		p, err := h.Store.GetProduct(r.Context(), a, f.Product)
		if err != nil {
			return f, nil, nil, err
		}
		class, sector, markets, ns := v.ProductQuery(p)
		if f.Class == "" {
			f.Class = class
		}
		if f.Sector == "" {
			f.Sector = sector
		}
		if f.Markets == "" {
			f.Markets = strings.Join(markets, ", ")
		}
		notes = ns
	}
	return f, notes, products, nil
}

func (h *Handler) applies(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	f, notes, products, err := h.productQuery(r, v)
	if err != nil {
		return err
	}
	day, ds, derr := h.queryDate(r.URL.Query())
	f.Date = ds
	data := map[string]any{"F": f, "Notes": notes, "Products": products, "Vocabulary": v.Vocabulary(), "Tab": "applies", "Result": nil, "Error": ""}
	status := http.StatusOK
	if f.Markets != "" || derr != nil {
		res, err := v.Applies(catalog.AppliesQuery{Class: f.Class, Sector: f.Sector, Markets: splitList(f.Markets), Date: day})
		if derr != nil {
			err = derr
		}
		switch {
		case err == nil:
			data["Result"] = res
			data["BaselineURL"] = "/catalog/baseline?" + url.Values{"class": {f.Class}, "sector": {f.Sector}, "markets": {f.Markets}, "date": {f.Date}}.Encode()
		case pageError(err):
			data["Error"], status = errText(err), http.StatusBadRequest
		default:
			return err
		}
	}
	return h.render(w, r, status, "applies", view{Title: "What applies to my product", Nav: "catalog", Data: data})
}

func (h *Handler) baseline(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	f, notes, products, err := h.productQuery(r, v)
	if err != nil {
		return err
	}
	day, ds, derr := h.queryDate(r.URL.Query())
	f.Date = ds
	data := map[string]any{"F": f, "Notes": notes, "Products": products, "Vocabulary": v.Vocabulary(), "Tab": "baseline", "Result": nil, "Error": ""}
	status := http.StatusOK
	if f.Markets != "" || f.Schemes != "" || derr != nil {
		q := catalog.BaselineQuery{Class: f.Class, Sector: f.Sector, Markets: splitList(f.Markets), Date: day, Voluntary: f.Voluntary}
		for _, s := range splitList(f.Schemes) {
			q.Schemes = append(q.Schemes, catalog.ParseRef(s))
		}
		b, err := v.Baseline(q)
		if derr != nil {
			err = derr
		}
		switch {
		case err == nil:
			shared := 0
			for _, l := range b.Lines {
				if l.Hub {
					shared++
				}
			}
			data["Result"], data["Shared"], data["Own"] = b, shared, len(b.Lines)-shared
		case pageError(err):
			data["Error"], status = errText(err), http.StatusBadRequest
		default:
			return err
		}
	}
	return h.render(w, r, status, "baseline", view{Title: "Harmonised baseline", Nav: "catalog", Data: data})
}

func (h *Handler) gaps(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	day, ds, derr := h.queryDate(q)
	f := map[string]string{"Markets": q.Get("markets"), "Sector": q.Get("sector"), "Date": ds}
	gq := catalog.GapQuery{Markets: splitList(q.Get("markets")), Date: day}
	if s := q.Get("sector"); s != "" {
		gq.Sectors = []string{s}
	}
	data := map[string]any{"F": f, "Vocabulary": v.Vocabulary(), "Tab": "gaps", "G": nil, "Error": ""}
	status := http.StatusOK
	g, err := v.Gaps(gq)
	if derr != nil {
		err = derr
	}
	switch {
	case err == nil:
		data["G"] = g
		var uncovered []string
		for _, s := range g.Sectors {
			if s.Uncovered {
				uncovered = append(uncovered, s.Title)
			}
		}
		data["Uncovered"] = uncovered
	case pageError(err):
		data["Error"], status = errText(err), http.StatusBadRequest
	default:
		return err
	}
	return h.render(w, r, status, "gaps", view{Title: "Gaps", Nav: "catalog", Data: data})
}

func (h *Handler) recognition(w http.ResponseWriter, r *http.Request) error {
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	svg, edges := recognitionGraph(v.Agreements(), func(slug string) (string, bool) {
		s, err := v.Catalog().Scheme(slug)
		return s.Title, err == nil
	})
	day, ds, derr := h.queryDate(q)
	f := map[string]string{"Slug": q.Get("slug"), "Level": q.Get("level"), "Class": q.Get("class"), "Date": ds}
	var labels []refOption
	seen := map[string]bool{}
	for _, e := range edges {
		if !seen[e.From] && !strings.HasPrefix(e.From, "ext:") {
			seen[e.From] = true
			labels = append(labels, refOption{Ref: e.From, Label: e.From})
		}
	}
	slices.SortFunc(labels, func(a, b refOption) int { return strings.Compare(a.Ref, b.Ref) })
	data := map[string]any{"Graph": svg, "Edges": edges, "Agreements": v.Agreements(), "F": f, "Labels": labels,
		"Vocabulary": v.Vocabulary(), "Tab": "recognition", "Result": nil, "Error": ""}
	status := http.StatusOK
	if f["Slug"] != "" || derr != nil {
		res, err := v.Recognise(catalog.RecogniseQuery{Slug: f["Slug"], Level: f["Level"], Class: f["Class"], Date: day})
		if derr != nil {
			err = derr
		}
		switch {
		case err == nil:
			data["Result"] = res
		case pageError(err):
			data["Error"], status = errText(err), http.StatusBadRequest
		default:
			return err
		}
	}
	return h.render(w, r, status, "recognition", view{Title: "Mutual recognition", Nav: "catalog", Data: data})
}

func (h *Handler) schemeImports(w http.ResponseWriter, r *http.Request) error {
	return h.importsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) importsPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ims, err := h.Schemes.Imports(r.Context(), a)
	if err != nil {
		return err
	}
	v, err := h.catalogView(r)
	if err != nil {
		return err
	}
	var own, shared []iotsec.SchemeImport
	for _, im := range ims {
		if im.OrgID == a.OrgID {
			own = append(own, im)
		} else {
			shared = append(shared, im)
		}
	}
	return h.render(w, r, status, "scheme_imports", view{Title: "Imported schemes and mappings", Nav: "catalog", Data: map[string]any{
		"Own": own, "Shared": shared, "Skipped": v.Skipped, "CanWrite": a.Role.Allows(iotsec.PermWriteSchemes),
		"Error": errText(formErr), "Problems": iotsec.DetailsOf(formErr), "MaxMiB": catalog.MaxBytes() >> 20, "Tab": "imports"}})
}

// importSchemes takes an uploaded OSCAL file or mapping spreadsheet.
func (h *Handler) importSchemes(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return err
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return h.importsPage(w, r, http.StatusBadRequest, iotsec.Invalid("file", "choose an OSCAL JSON file or a mapping CSV to upload"))
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, catalog.MaxBytes()+1))
	if err != nil {
		return err
	}
	name := r.PostFormValue("name")
	if name == "" {
		name = hdr.Filename
	}
	res, err := h.Schemes.Import(r.Context(), a, catalog.ImportRequest{Name: name, Data: data, Visibility: iotsec.Visibility(r.PostFormValue("visibility"))})
	if err != nil {
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrTooLarge || k == iotsec.ErrConflict {
			return h.importsPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/catalog/imports/"+res.Import.ID+"?done=import-created", http.StatusSeeOther)
	return nil
}

func (h *Handler) schemeImport(w http.ResponseWriter, r *http.Request) error {
	return h.importPageOne(w, r, http.StatusOK, nil)
}

func (h *Handler) importPageOne(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	im, err := h.Schemes.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := catalog.Describe(im)
	if err != nil {
		return err
	}
	own := im.OrgID == a.OrgID
	return h.render(w, r, status, "scheme_import", view{Title: im.Name, Nav: "catalog", Data: map[string]any{
		"R": res, "Own": own, "CanWrite": own && a.Role.Allows(iotsec.PermWriteSchemes), "Error": errText(formErr), "Tab": "imports"}})
}

func (h *Handler) importSource(w http.ResponseWriter, r *http.Request) error {
	im, err := h.Schemes.Get(r.Context(), current(r).actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	ct, ext := "application/json", ".json"
	if im.Format == iotsec.SchemeFormatCSV {
		ct, ext = "text/csv; charset=utf-8", ".csv"
	}
	name := im.Name
	if !strings.HasSuffix(strings.ToLower(name), ext) {
		name += ext
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(im.Source)
	return err
}

func (h *Handler) setImportVisibility(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	id := r.PathValue("id")
	err := h.Schemes.SetVisibility(r.Context(), a, id, iotsec.Visibility(r.PostFormValue("visibility")))
	if err != nil {
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrConflict {
			return h.importPageOne(w, r, http.StatusConflict, err)
		}
		return err
	}
	http.Redirect(w, r, "/catalog/imports/"+id+"?done=import-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteImport(w http.ResponseWriter, r *http.Request) error {
	if err := h.Schemes.Delete(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		if iotsec.Kind(err) == iotsec.ErrConflict {
			return h.importPageOne(w, r, http.StatusConflict, err)
		}
		return err
	}
	http.Redirect(w, r, "/catalog/imports?done=import-deleted", http.StatusSeeOther)
	return nil
}
