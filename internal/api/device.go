package api

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
)

type deviceInput struct {
	UID        *string       `json:"uid"`
	ProductID  *string       `json:"product_id"`
	FirmwareID *string       `json:"firmware_id"` // "" clears it
	State      *iotsec.State `json:"state"`
	// Evidence and Note go with a change of state, which is a lifecycle
	// transition (decommissioning needs the data-wipe record).
	Evidence *string `json:"evidence,omitempty"`
	Note     *string `json:"note,omitempty"`
}

func (in deviceInput) apply(d *iotsec.Device) {
	set(&d.UID, in.UID)
	set(&d.ProductID, in.ProductID)
	set(&d.FirmwareID, in.FirmwareID)
	set(&d.State, in.State)
}

func (h *Handler) listDevices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := iotsec.DeviceFilter{
		ProductID: q.Get("product_id"), FirmwareID: q.Get("firmware_id"), State: iotsec.State(q.Get("state")),
		UID: q.Get("uid"), Query: q.Get("q"), After: q.Get("after"),
	}
	if f.State != "" && !f.State.Valid() {
		return iotsec.Invalid("state", "must be one of %v", iotsec.States())
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return iotsec.Invalid("limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	ds, err := h.Store.ListDevices(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	out := list(ds)
	if want := max(f.Limit, 100*boolInt(f.Limit == 0)); len(ds) == want && len(ds) > 0 {
		var next any = ds[len(ds)-1].ID
		out.Next = &next
	}
	return write(w, http.StatusOK, out)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (h *Handler) createDevice(w http.ResponseWriter, r *http.Request) error {
	var in deviceInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	var d iotsec.Device
	in.apply(&d)
	if d.State != "" && d.State.Valid() && !slices.Contains(inventory.InitialStates(), d.State) {
		return iotsec.Invalid("state", "a new device starts as one of %v; %s comes only by a lifecycle transition", inventory.InitialStates(), d.State)
	}
	if err := h.Store.CreateDevice(r.Context(), actor(r), &d); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/devices/"+d.ID)
	return write(w, http.StatusCreated, d)
}

func (h *Handler) getDevice(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Store.GetDevice(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, d)
}

func (h *Handler) updateDevice(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Store.GetDevice(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in deviceInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	// A change of state is a lifecycle transition, under identity's rules
	// (certificates held, released or revoked; evidence where needed), or
	// refused naming the states allowed.
	if in.State != nil && *in.State != d.State {
		var m identity.Move
		m.To = *in.State
		set(&m.Evidence, in.Evidence)
		set(&m.Note, in.Note)
		if _, err := h.Identity.ChangeState(r.Context(), actor(r), d.ID, m); err != nil {
			return err
		}
		d.State = *in.State
	}
	in.State = nil
	if in.UID == nil && in.ProductID == nil && in.FirmwareID == nil {
		return write(w, http.StatusOK, d)
	}
	in.apply(&d)
	if err := h.Store.UpdateDevice(r.Context(), actor(r), &d); err != nil {
		return err
	}
	return write(w, http.StatusOK, d)
}

func (h *Handler) deleteDevice(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteDevice(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// importDevices checks a CSV or JSON file of devices and queues its import.
// The file is checked whole here, so a bad one is a 400 naming the line
// now rather than a failed job later.
func (h *Handler) importDevices(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	if err := contentType(r, "text/csv", "application/json"); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxImport))
	if err != nil {
		return err
	}
	rows, err := inventory.Parse(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if _, err := inventory.Resolve(r.Context(), h.Store, a, rows, identity.Next); err != nil {
		return err
	}
	job := iotsec.Job{Kind: inventory.Kind, Total: int64(len(rows))}
	if err := h.Store.CreateJob(r.Context(), a, &job, body); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return write(w, http.StatusAccepted, job)
}
