package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func (h *Handler) products(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if a.OrgID == "" {
		return needOrg
	}
	ps, err := h.Store.ListProducts(r.Context(), a)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "products", view{Nav: "products", Data: map[string]any{
		"Products": ps, "CanWrite": a.Role.Allows(iotsec.PermWriteProducts)}})
}

func (h *Handler) productForm(w http.ResponseWriter, r *http.Request, status int, p iotsec.Product, formErr error) error {
	return h.render(w, r, status, "product_form", view{Nav: "products", Data: map[string]any{
		"Product": p, "Classes": iotsec.ProductClasses(), "Sectors": iotsec.Sectors(), "Error": errText(formErr),
		"UpdateDeliveries": iotsec.UpdateDeliveries()}})
}

func (h *Handler) newProduct(w http.ResponseWriter, r *http.Request) error {
	if err := current(r).actor.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	return h.productForm(w, r, http.StatusOK, iotsec.Product{Class: "camera", Sector: "consumer"}, nil)
}

// fromForm reads a product form into p.
func productFromForm(r *http.Request, p *iotsec.Product) {
	p.Name = r.PostFormValue("name")
	p.Model = r.PostFormValue("model_number")
	p.Class = iotsec.ProductClass(r.PostFormValue("class"))
	p.Sector = iotsec.Sector(r.PostFormValue("sector"))
	p.Description = r.PostFormValue("description")
	p.SupportPolicy = r.PostFormValue("support_policy")
	p.UpdateDelivery = r.PostFormValue("update_delivery")
	p.SecurityContact = r.PostFormValue("security_contact")
	p.SupportMonths = 0
	if v := strings.TrimSpace(r.PostFormValue("support_period_months")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // Normalize names the field
		}
		p.SupportMonths = n
	}
	p.Markets = strings.FieldsFunc(r.PostFormValue("markets"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' })
}

// formError reports whether err is the user's to fix on the form.
func formError(err error) bool {
	k := iotsec.Kind(err)
	return k == iotsec.ErrInvalid || k == iotsec.ErrConflict
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return iotsec.Message(err)
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request) error {
	var p iotsec.Product
	productFromForm(r, &p)
	if err := h.Store.CreateProduct(r.Context(), current(r).actor, &p); err != nil {
		if formError(err) {
			return h.productForm(w, r, http.StatusBadRequest, p, err)
		}
		return err
	}
	http.Redirect(w, r, "/products/"+p.ID+"?done=product-created", http.StatusSeeOther)
	return nil
}

func (h *Handler) product(w http.ResponseWriter, r *http.Request) error {
	return h.productPage(w, r, http.StatusOK, nil)
}

func (h *Handler) productPage(w http.ResponseWriter, r *http.Request, status int, formErr error) error {
	a := current(r).actor
	p, err := h.Store.GetProduct(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	fws, err := h.Store.ListFirmware(r.Context(), a, p.ID)
	if err != nil {
		return err
	}
	support, err := h.Supply.ProductSupport(r.Context(), a, p.ID)
	if err != nil {
		return err
	}
	const show = 1000
	devs, err := h.Store.ListDevices(r.Context(), a, iotsec.DeviceFilter{ProductID: p.ID, Limit: show})
	if err != nil {
		return err
	}
	return h.render(w, r, status, "product", view{Nav: "products", Data: map[string]any{
		"Product": p, "Firmware": fws, "Support": support, "DeviceCount": len(devs), "MoreDevices": len(devs) == show,
		"Today": h.today(), "CanWrite": a.Role.Allows(iotsec.PermWriteProducts), "Error": errText(formErr)}})
}

func (h *Handler) editProduct(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	if err := a.Can(iotsec.PermWriteProducts); err != nil {
		return err
	}
	p, err := h.Store.GetProduct(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.productForm(w, r, http.StatusOK, p, nil)
}

func (h *Handler) updateProduct(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	p, err := h.Store.GetProduct(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	productFromForm(r, &p)
	if err := h.Store.UpdateProduct(r.Context(), a, &p); err != nil {
		if formError(err) {
			return h.productForm(w, r, http.StatusBadRequest, p, err)
		}
		return err
	}
	http.Redirect(w, r, "/products/"+p.ID+"?done=product-saved", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteProduct(w http.ResponseWriter, r *http.Request) error {
	if err := h.Store.DeleteProduct(r.Context(), current(r).actor, r.PathValue("id")); err != nil {
		if iotsec.Kind(err) == iotsec.ErrConflict {
			return h.productPage(w, r, http.StatusConflict, err)
		}
		return err
	}
	http.Redirect(w, r, "/products?done=product-deleted", http.StatusSeeOther)
	return nil
}

func (h *Handler) createFirmware(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	f := iotsec.FirmwareVersion{ProductID: r.PathValue("id"), Version: r.PostFormValue("version"), ImageDigest: r.PostFormValue("image_digest")}
	var err error
	if f.ReleasedOn, err = iotsec.ParseDate(r.PostFormValue("release_date")); err != nil {
		err = iotsec.Invalid("release_date", "%v", err)
	} else if f.SupportEnd, err = iotsec.ParseDate(r.PostFormValue("support_end")); err != nil {
		err = iotsec.Invalid("support_end", "%v", err)
	} else {
		err = h.Store.CreateFirmware(r.Context(), a, &f)
	}
	if err != nil {
		if formError(err) {
			return h.productPage(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	http.Redirect(w, r, "/products/"+f.ProductID+"?done=firmware-added", http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteFirmware(w http.ResponseWriter, r *http.Request) error {
	a := current(r).actor
	f, err := h.Store.GetFirmware(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.Store.DeleteFirmware(r.Context(), a, f.ID); err != nil {
		if iotsec.Kind(err) == iotsec.ErrConflict {
			r.SetPathValue("id", f.ProductID)
			return h.productPage(w, r, http.StatusConflict, err)
		}
		return err
	}
	http.Redirect(w, r, "/products/"+f.ProductID+"?done=firmware-deleted", http.StatusSeeOther)
	return nil
}
