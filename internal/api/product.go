package api

import (
	"net/http"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// productInput is the body of POST and PATCH; absent fields are left as
// they are on PATCH.
type productInput struct {
	Name        *string              `json:"name"`
	Model       *string              `json:"model_number"`
	Class       *iotsec.ProductClass `json:"class"`
	Sector      *iotsec.Sector       `json:"sector"`
	Markets     *[]string            `json:"markets"`
	Description *string              `json:"description"`
	Months      *int                 `json:"support_period_months"`
	Policy      *string              `json:"support_policy"`
	Delivery    *string              `json:"update_delivery"`
	Contact     *string              `json:"security_contact"`
}

func (in productInput) apply(p *iotsec.Product) {
	set(&p.Name, in.Name)
	set(&p.Model, in.Model)
	set(&p.Class, in.Class)
	set(&p.Sector, in.Sector)
	set(&p.Markets, in.Markets)
	set(&p.Description, in.Description)
	set(&p.SupportMonths, in.Months)
	set(&p.SupportPolicy, in.Policy)
	set(&p.UpdateDelivery, in.Delivery)
	set(&p.SecurityContact, in.Contact)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.Store.ListProducts(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(ps))
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	var in productInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	var p iotsec.Product
	in.apply(&p)
	if err := h.Store.CreateProduct(r.Context(), actor(r), &p); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/products/"+p.ID)
	return write(w, http.StatusCreated, p)
}

func (h *Handler) getProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Store.GetProduct(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) updateProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Store.GetProduct(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in productInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	in.apply(&p)
	if err := h.Store.UpdateProduct(r.Context(), actor(r), &p); err != nil {
		return err
	}
	return write(w, http.StatusOK, p)
}

func (h *Handler) deleteProduct(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteProduct(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// firmwareInput is the body of firmware POST and PATCH. Dates are strings
// so a bad one is reported against its field.
type firmwareInput struct {
	Version     *string `json:"version"`
	ReleaseDate *string `json:"release_date"`
	SupportEnd  *string `json:"support_end"`
	ImageDigest *string `json:"image_digest"`
}

func (in firmwareInput) apply(f *iotsec.FirmwareVersion) error {
	set(&f.Version, in.Version)
	set(&f.ImageDigest, in.ImageDigest)
	for _, d := range []struct {
		field string
		v     *string
		dst   *iotsec.Date
	}{{"release_date", in.ReleaseDate, &f.ReleasedOn}, {"support_end", in.SupportEnd, &f.SupportEnd}} {
		if d.v == nil {
			continue
		}
		v, err := iotsec.ParseDate(*d.v)
		if err != nil {
			return iotsec.Invalid(d.field, "%v", err)
		}
		*d.dst = v
	}
	return nil
}

func (h *Handler) listFirmware(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.Store.ListFirmware(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, list(fs))
}

func (h *Handler) createFirmware(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	// Look the product up first, so another organisation's product is a
	// 404 before the body is even read.
	if _, err := h.Store.GetProduct(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	var in firmwareInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	f := iotsec.FirmwareVersion{ProductID: r.PathValue("id")}
	if err := in.apply(&f); err != nil {
		return err
	}
	if err := h.Store.CreateFirmware(r.Context(), a, &f); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/firmware/"+f.ID)
	return write(w, http.StatusCreated, f)
}

func (h *Handler) getFirmware(w http.ResponseWriter, r *http.Request) error {
	f, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, f)
}

func (h *Handler) updateFirmware(w http.ResponseWriter, r *http.Request) error {
	f, err := h.Store.GetFirmware(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	var in firmwareInput
	if err := decode(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	if err := in.apply(&f); err != nil {
		return err
	}
	if err := h.Store.UpdateFirmware(r.Context(), actor(r), &f); err != nil {
		return err
	}
	return write(w, http.StatusOK, f)
}

func (h *Handler) deleteFirmware(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteFirmware(r.Context(), actor(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
