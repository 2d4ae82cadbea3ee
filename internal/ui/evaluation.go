package ui

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
)

// keySchemes are shown in the evaluation list, one column each.
var keySchemes = []string{"etsi-en-303-645", "sg-cls", "uk-psti", "eu-cra"}

type scanRow struct {
	Scan     iotsec.Scan
	Product  iotsec.Product
	Statuses []evaluation.SchemeVerdict
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
			st, err := h.Evaluation.Load(r.Context(), a, sc.FirmwareID, evaluation.Refs(keySchemes...))
			if err != nil {
				return err
			}
			row.Statuses = st.Result.Schemes
		}
		rows = append(rows, row)
	}
	var heads []string
	for _, slug := range keySchemes {
		heads = append(heads, h.Evaluation.ShortTitle(slug))
	}
	fws, err := h.Store.ListFirmware(r.Context(), a, "")
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "evaluation", view{Nav: "evaluation", Data: map[string]any{
		"Rows": rows, "Heads": heads, "Firmware": fws, "Products": byID, "Shown": show}})
}

// firmwareEval loads what every firmware page shows.
func (h *Handler) firmwareEval(r *http.Request) (*evaluation.Report, error) {
	return h.Evaluation.Report(r.Context(), current(r).actor, r.PathValue("id"), nil)
}

func (h *Handler) firmwarePage(w http.ResponseWriter, r *http.Request, page string, status int, formErr error, extra map[string]any) error {
	ev, err := h.firmwareEval(r)
	if err != nil {
		return err
	}
	a := current(r).actor
	data := map[string]any{"Firmware": ev.Firmware, "Product": ev.Product, "Eval": ev.Stored, "Job": ev.Job, "R": ev.Result, "A": ev.Result.Assessment,
		"CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "CanAssess": a.Role.Allows(iotsec.PermAssess),
		"MaxMiB": h.Evaluation.MaxImage >> 20, "Error": errText(formErr), "Provisions": h.Evaluation.Provisions(),
		"Verdicts": h.Evaluation.Verdicts(), "IXITCategories": h.Evaluation.IXITCategories(), "Input": nil}
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
	_, err = h.Evaluation.Upload(r.Context(), a, r.PathValue("id"), hdr.Filename, file)
	if err != nil {
		if formError(err) || iotsec.Kind(err) == iotsec.ErrTooLarge {
			return h.firmwarePage(w, r, "firmware", http.StatusBadRequest, err, nil)
		}
		return err
	}
	http.Redirect(w, r, "/firmware/"+r.PathValue("id")+"?done=image-uploaded", http.StatusSeeOther)
	return nil
}

// recordEvidence is the assessor's form.
func (h *Handler) recordEvidence(w http.ResponseWriter, r *http.Request) error {
	in := evaluation.EvidenceInput{Provision: r.PostFormValue("provision"), TestCase: r.PostFormValue("test_case"), Verdict: r.PostFormValue("verdict"),
		Rationale: r.PostFormValue("rationale"), Override: r.PostFormValue("override") == "on"}
	if _, err := h.Evaluation.RecordEvidence(r.Context(), current(r).actor, r.PathValue("id"), in); err != nil {
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
	if _, err := h.Evaluation.SaveICS(r.Context(), current(r).actor, r.PathValue("id"), file); err != nil {
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
	item := evaluation.IXITEntry{Category: r.PostFormValue("category"), Text: r.PostFormValue("text")}
	if err := h.Evaluation.AddIXIT(r.Context(), current(r).actor, r.PathValue("id"), item); err != nil {
		if formError(err) {
			return h.firmwarePage(w, r, "verdicts", http.StatusBadRequest, err, nil)
		}
		return err
	}
	http.Redirect(w, r, "/firmware/"+r.PathValue("id")+"/verdicts?done=ixit-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) icsCSV(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Evaluation.ICSCSV(r.Context(), current(r).actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ics-`+r.PathValue("id")+`.csv"`)
	_, err = w.Write(b)
	return err
}

// firmwareReport serves the printable HTML report or the SARIF file.
func (h *Handler) firmwareReport(format string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		ev, err := h.firmwareEval(r)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := report.Write(&b, format, ev.Result, ev.Meta("iotsec "+h.Version)); err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		if format == "html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			// The report is self-contained: only its own style element.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src "+report.StyleHash()+"; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		} else {
			w.Header().Set("Content-Type", "application/sarif+json")
			w.Header().Set("Content-Disposition", `attachment; filename="`+ev.Product.Model+`-`+ev.Firmware.Version+`.sarif"`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		_, err = w.Write(b.Bytes())
		return err
	}
}
