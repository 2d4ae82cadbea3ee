package ui

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

const devicesPerPage = 50

func (h *Handler) devices(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	q := r.URL.Query()
	f := iotsec.DeviceFilter{ProductID: q.Get("product_id"), State: iotsec.State(q.Get("state")), Query: q.Get("q"), After: q.Get("after"), Limit: devicesPerPage}
	if f.State != "" && !f.State.Valid() {
		f.State = ""
	}
	ds, err := h.Store.ListDevices(r.Context(), a, f)
	if err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	fws, err := h.Store.ListFirmware(r.Context(), a, "")
	if err != nil {
		return err
	}
	byID := map[string]iotsec.FirmwareVersion{}
	for _, f := range fws {
		byID[f.ID] = f
	}
	page := func(after string) string {
		v := url.Values{}
		for _, kv := range [][2]string{{"q", f.Query}, {"product_id", f.ProductID}, {"state", string(f.State)}, {"after", after}} {
			if kv[1] != "" {
				v.Set(kv[0], kv[1])
			}
		}
		return "/devices?" + v.Encode()
	}
	next := ""
	if len(ds) == devicesPerPage {
		next = page(ds[len(ds)-1].ID)
	}
	return h.render(w, r, http.StatusOK, "devices", view{Nav: "devices", Data: map[string]any{
		"Devices": ds, "Products": ps, "ProductNames": names, "Firmware": byID, "Filter": f, "States": iotsec.States(),
		"Next": next, "First": page(""), "Today": h.today(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts)}})
}

func (h *Handler) newDevice(w http.ResponseWriter, r *http.Request) error {
	return h.deviceForm(w, r, http.StatusOK, "", nil)
}

func (h *Handler) deviceForm(w http.ResponseWriter, r *http.Request, status int, uid string, formErr error) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, status, "device_new", view{Nav: "devices", Data: map[string]any{
		"Products": ps, "States": inventory.InitialStates(), "UID": uid, "Error": errText(formErr)}})
}

func (h *Handler) createDevice(w http.ResponseWriter, r *http.Request) error {
	d := iotsec.Device{UID: r.PostFormValue("uid"), ProductID: r.PostFormValue("product_id"), State: iotsec.State(r.PostFormValue("state"))}
	var err error
	if d.State != "" && d.State.Valid() && !slices.Contains(inventory.InitialStates(), d.State) {
		err = iotsec.Invalid("state", "a new device starts as one of %v; %s comes only by a lifecycle transition", inventory.InitialStates(), d.State)
	} else {
		err = h.Store.CreateDevice(r.Context(), current(r).actor, &d)
	}
	if err != nil {
		if formError(err) {
			return h.deviceForm(w, r, http.StatusBadRequest, d.UID, err)
		}
		return err
	}
	http.Redirect(w, r, "/devices/"+d.ID+"?done=device-created", http.StatusSeeOther)
	return nil
}

func (h *Handler) device(w http.ResponseWriter, r *http.Request) error {
	return h.devicePage(w, r, http.StatusOK, nil)
}

func (h *Handler) devicePage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	d, err := h.Store.GetDevice(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := h.Store.GetProduct(r.Context(), a, d.ProductID)
	if err != nil {
		return err
	}
	versions, err := h.Store.ListFirmware(r.Context(), a, d.ProductID)
	if err != nil {
		return err
	}
	var fw any
	for _, f := range versions {
		if f.ID == d.FirmwareID {
			fw = f
		}
	}
	// What the firmware it runs is affected by.
	var open, kev int
	if d.FirmwareID != "" {
		ms, err := h.Store.ListMatches(r.Context(), a, iotsec.MatchFilter{FirmwareID: d.FirmwareID, Limit: 10000})
		if err != nil {
			return err
		}
		for _, m := range ms {
			open++
			if m.KEV {
				kev++
			}
		}
	}
	return h.render(w, r, status, "device", view{Nav: "devices", Data: map[string]any{
		"Device": d, "Product": p, "Firmware": fw, "Versions": versions, "States": iotsec.States(), "Today": h.today(),
		"OpenMatches": open, "KEVMatches": kev,
		"CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "Error": errText(formErr)}})
}

func (h *Handler) updateDevice(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	d, err := h.Store.GetDevice(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	// A change of state is a lifecycle transition under identity's rules,
	// or refused naming the states allowed.
	if to := iotsec.State(r.PostFormValue("state")); to != "" && to != d.State {
		m := identity.Move{To: to, Evidence: r.PostFormValue("evidence"), Note: r.PostFormValue("note")}
		if _, err := h.Identity.ChangeState(r.Context(), a, d.ID, m); err != nil {
			if formError(err) {
				return h.devicePage(w, r, http.StatusBadRequest, err)
			}
			return err
		}
		d.State = to
	}
	d.FirmwareID = r.PostFormValue("firmware_id")
	if err := h.Store.UpdateDevice(r.Context(), a, &d); err != nil {
		if formError(err) {
			return h.devicePage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/devices/"+d.ID+"?done=device-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteDevice(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteDevice(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/devices?done=device-deleted", http.StatusSeeOther)
	return nil
}

func (h *Handler) importForm(w http.ResponseWriter, r *http.Request) error {
	return h.importPage(w, r, http.StatusOK, nil)
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	if err := current(r).actor.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return h.render(w, r, status, "import", view{Nav: "devices", Data: map[string]any{
		"Error": errText(formErr), "MaxRows": inventory.MaxRows, "MaxMiB": h.MaxUpload >> 20}})
}

// importDevices checks the uploaded file whole, then queues the import
// and shows its job.
func (h *Handler) importDevices(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return h.importPage(w, r, http.StatusBadRequest, iotsec.Invalid("file", "choose a CSV or JSON file to upload"))
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	rows, err := inventory.Parse(bytes.NewReader(body))
	if err == nil {
		_, err = inventory.Resolve(r.Context(), h.Store, a, rows, identity.Next)
	}
	if err != nil {
		if k := iotsec.Kind(err); k == iotsec.ErrInvalid || k == iotsec.ErrTooLarge {
			return h.importPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	job := iotsec.Job{Kind: inventory.Kind, Total: int64(len(rows))}
	if err := h.Store.CreateJob(r.Context(), a, &job, body); err != nil {
		return err
	}
	http.Redirect(w, r, "/jobs/"+job.ID, http.StatusSeeOther)
	return nil
}

func (h *Handler) jobs(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	js, err := h.Store.ListJobs(r.Context(), a, 100)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "jobs", view{Nav: "jobs", Data: map[string]any{"Jobs": js}})
}

func (h *Handler) job(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	j, err := h.Store.GetJob(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	data := map[string]any{"Job": j, "Scan": nil, "Import": nil, "Rematch": nil, "Delivery": nil}
	switch j.Kind {
	case evaluation.JobKind:
		sj, err := h.Evaluation.ScanJob(r.Context(), a, j)
		if err != nil && iotsec.Kind(err) != iotsec.ErrNotFound {
			return err
		}
		if sj != nil {
			data["Scan"] = sj
		}
	case inventory.Kind:
		if res, ok := inventory.ResultOf(j); ok {
			data["Import"] = res
		}
	case supply.JobKind:
		if sum, ok := supply.SummaryOf(j); ok {
			data["Rematch"] = sum
		}
	case iotsec.JobDeliver:
		if d, ok := supply.DeliveryOf(j); ok {
			data["Delivery"] = d
		}
	}
	return h.render(w, r, http.StatusOK, "job", view{Nav: "jobs", Data: data})
}
