package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/scan"
)

// keySchemes are shown in the evaluation list, one column each.
var keySchemes = []string{"etsi-en-303-645", "sg-cls", "uk-psti", "eu-cra"}

type scanRow struct {
	Scan     iotsec.Scan
	Product  iotsec.Product
	Statuses []assess.SchemeVerdict
}

// evaluation lists the latest scan of every firmware version with its
// standing against the key schemes.
func (h *Handler) evaluation(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	scans, err := h.Store.ListScans(r.Context(), a)
	if err != nil {
		return err
	}
	products, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	byID := map[string]iotsec.Product{}
	for _, p := range products {
		byID[p.ID] = p
	}
	const show = 100
	var rows []scanRow
	for i, sc := range scans {
		row := scanRow{Scan: sc, Product: byID[sc.ProductID]}
		if i < show {
			st, err := scan.Load(r.Context(), h.Store, a, sc.FirmwareID, h.Assess, refs(keySchemes))
			if err != nil {
				return err
			}
			row.Statuses = st.Result.Schemes
		}
		rows = append(rows, row)
	}
	var heads []string
	for _, slug := range keySchemes {
		s, _ := h.Assess.Catalog().Scheme(slug)
		heads = append(heads, s.ShortTitle)
	}
	fws, err := h.Store.ListFirmware(r.Context(), a, "")
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "evaluation", view{Nav: "evaluation", Data: map[string]any{
		"Rows": rows, "Heads": heads, "Firmware": fws, "Products": byID, "Shown": show}})
}

// firmwareEval loads what every firmware page shows.
func (h *Handler) firmwareEval(r *http.Request) (iotsec.FirmwareVersion, iotsec.Product, *scan.Stored, error) {
	a := current(r).actor
	fw, err := h.Store.GetFirmware(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return fw, iotsec.Product{}, nil, err
	}
	p, err := h.Store.GetProduct(r.Context(), a, fw.ProductID)
	if err != nil {
		return fw, p, nil, err
	}
	st, err := scan.Load(r.Context(), h.Store, a, fw.ID, h.Assess, nil)
	return fw, p, st, err
}

func (h *Handler) firmwarePage(w http.ResponseWriter, r *http.Request, page string, status int, formErr error, extra map[string]any) error {
	fw, p, st, err := h.firmwareEval(r)
	if err != nil {
		return err
	}
	a := current(r).actor
	data := map[string]any{"Firmware": fw, "Product": p, "Eval": st, "R": st.Result, "A": st.Result.Assessment,
		"CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "CanAssess": a.Role.Allows(iotsec.PermAssess),
		"MaxMiB": h.MaxImage >> 20, "Error": errText(formErr), "Provisions": h.Assess.Provisions(),
		"Verdicts": assess.Verdicts(), "IXITCategories": h.Assess.IXITCategories(), "Input": nil}
	for k, v := range extra {
		data[k] = v
	}
	return h.render(w, r, status, page, view{Nav: "evaluation", Data: data})
}

func (h *Handler) firmware(w http.ResponseWriter, r *http.Request) error {
	return h.firmwarePage(w, r, "firmware", http.StatusOK, nil, nil)
}

func (h *Handler) firmwareFindings(w http.ResponseWriter, r *http.Request) error {
	return h.firmwarePage(w, r, "findings", http.StatusOK, nil, nil)
}

func (h *Handler) firmwareComponents(w http.ResponseWriter, r *http.Request) error {
	return h.firmwarePage(w, r, "components", http.StatusOK, nil, nil)
}

func (h *Handler) firmwareVerdicts(w http.ResponseWriter, r *http.Request) error {
	return h.firmwarePage(w, r, "verdicts", http.StatusOK, nil, nil)
}

// uploadImage takes an image from the upload form and queues its scan.
func (h *Handler) uploadImage(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	file, hdr, err := r.FormFile("image")
	if err != nil {
		return h.firmwarePage(w, r, "firmware", http.StatusBadRequest, iotsec.Invalid("image", "choose a firmware image to upload"), nil)
	}
	defer file.Close()
	f, img, err := scan.Spool(file, "", hdr.Filename, h.MaxImage)
	if err != nil {
		if formError(err) || iotsec.Kind(err) == iotsec.ErrTooLarge {
			return h.firmwarePage(w, r, "firmware", http.StatusBadRequest, err, nil)
		}
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	job, err := scan.Queue(r.Context(), h.Store, a, r.PathValue("id"), f, img)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/jobs/"+job.ID, http.StatusSeeOther)
	return nil
}

// recordEvidence is the assessor's form.
func (h *Handler) recordEvidence(w http.ResponseWriter, r *http.Request) error {
	in := scan.EvidenceInput{Provision: r.PostFormValue("provision"), TestCase: r.PostFormValue("test_case"), Verdict: r.PostFormValue("verdict"),
		Rationale: r.PostFormValue("rationale"), Override: r.PostFormValue("override") == "on"}
	if _, err := scan.RecordEvidence(r.Context(), h.Store, h.Assess, current(r).actor, r.PathValue("id"), in); err != nil {
		if formError(err) {
			return h.firmwarePage(w, r, "verdicts", http.StatusBadRequest, err, map[string]any{"Input": in})
		}
		return err
	}
	http.Redirect(w, r, "/firmware/"+r.PathValue("id")+"/verdicts?done=evidence-recorded#p-"+in.Provision, http.StatusSeeOther)
	return nil
}

// uploadICS replaces the ICS from an uploaded CSV or JSON file.
func (h *Handler) uploadICS(w http.ResponseWriter, r *http.Request) error {
	file, _, err := r.FormFile("ics")
	if err != nil {
		return h.firmwarePage(w, r, "verdicts", http.StatusBadRequest, iotsec.Invalid("ics", "choose an ICS file (CSV or JSON)"), nil)
	}
	defer file.Close()
	if _, err := scan.SaveICS(r.Context(), h.Store, h.Assess, current(r).actor, r.PathValue("id"), file); err != nil {
		if formError(err) {
			return h.firmwarePage(w, r, "verdicts", http.StatusBadRequest, err, nil)
		}
		return err
	}
	http.Redirect(w, r, "/firmware/"+r.PathValue("id")+"/verdicts?done=ics-saved", http.StatusSeeOther)
	return nil
}

// addIXIT appends one IXIT item.
func (h *Handler) addIXIT(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	in, err := h.Store.AssessmentInputs(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	var items []assess.IXITEntry
	if in.IXIT != nil {
		if err := json.Unmarshal(in.IXIT, &items); err != nil {
			return err
		}
	}
	items = append(items, assess.IXITEntry{Category: r.PostFormValue("category"), Text: r.PostFormValue("text")})
	if err := h.Assess.CheckIXIT(items); err != nil {
		return h.firmwarePage(w, r, "verdicts", http.StatusBadRequest, iotsec.Invalid("ixit", "%v", err), nil)
	}
	b, _ := json.Marshal(items)
	if err := h.Store.SetAssessmentInputs(r.Context(), a, r.PathValue("id"), iotsec.AssessmentInputs{IXIT: b}); err != nil {
		return err
	}
	http.Redirect(w, r, "/firmware/"+r.PathValue("id")+"/verdicts?done=ixit-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) icsCSV(w http.ResponseWriter, r *http.Request) error {
	ics, err := scan.StoredICS(r.Context(), h.Store, h.Assess, current(r).actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := assess.WriteICSCSV(&b, ics); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ics-`+r.PathValue("id")+`.csv"`)
	_, err = w.Write(b.Bytes())
	return err
}

// firmwareReport serves the printable HTML report or the SARIF file.
func (h *Handler) firmwareReport(format string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		fw, p, st, err := h.firmwareEval(r)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		m := report.Meta{Tool: "iotsec " + h.Version, Product: p.Name + " " + p.Model, Version: fw.Version, Generated: st.Scan.ScannedAt}
		if err := report.Write(&b, format, st.Result, m); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		if format == "html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			// The report is self-contained: only its own style element.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+report.StyleHash()+"; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		} else {
			w.Header().Set("Content-Type", "application/sarif+json")
			w.Header().Set("Content-Disposition", `attachment; filename="`+p.Model+`-`+fw.Version+`.sarif"`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		_, err = w.Write(b.Bytes())
		return err
	}
}

func refs(slugs []string) []crosswalk.SchemeRef {
	out := make([]crosswalk.SchemeRef, len(slugs))
	for i, s := range slugs {
		out[i] = crosswalk.SchemeRef{Slug: s}
	}
	return out
}
