package ui

import (
	"net/http"
	"strings"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// The public label page: what the QR code on a box leads to. Anyone may
// open it, signed in or not; it says first, in plain words, whether the
// label stands, then what was certified, by whom and until when, and what
// the label counts as in other markets. /l/{label-id}.json is the same
// record for apps, answered by the registry service.

// labelStanding says what a status means to a buyer.
func labelStanding(s iotsec.RecordStatus) (kind, headline, detail string) {
	switch s {
	case iotsec.StatusCertified:
		return "ok", "This label is valid.", "The product's firmware version below is certified under this scheme."
	case iotsec.StatusUnderReview:
		return "bad", "This label is under review.", "The scheme owner is examining the product again, for example after a known exploited vulnerability was found in its firmware. Do not rely on it until the review ends."
	case iotsec.StatusSuspended:
		return "bad", "This label is suspended.", "The scheme owner has suspended the certification; it does not count while suspended."
	case iotsec.StatusExpired:
		return "bad", "This label has expired.", "Its validity period is over and it has not been renewed."
	case iotsec.StatusRevoked:
		return "bad", "This label has been revoked.", "The scheme owner withdrew the certification for good."
	case iotsec.StatusWithdrawn:
		return "bad", "This label has been withdrawn by the maker.", "The maker gave the certification up; it no longer counts."
	}
	return "bad", "This label is not in force.", ""
}

func (h *Handler) label(w http.ResponseWriter, r *http.Request) error {
	file := r.PathValue("file")
	if id, ok := strings.CutSuffix(file, ".json"); ok {
		h.Registry.ServeDocument(w, r, id)
		return nil
	}
	p, err := h.Registry.Public(r.Context(), file)
	if err != nil {
		return err
	}
	kind, headline, detail := labelStanding(p.Status)
	base := h.Schemes.Base()
	title := p.Scheme
	if s, err := base.Catalog().Scheme(p.Scheme); err == nil {
		title = s.Title
	}
	var recognised []catalog.Recognised
	if res, err := base.Recognise(catalog.RecogniseQuery{Slug: p.Scheme, Level: p.Level, Class: string(p.ProductClass), Date: h.Now()}); err == nil {
		recognised = res.Counts
	}
	return h.render(w, r, http.StatusOK, "label", view{Title: "Label " + p.LabelID, Nav: "public", Data: map[string]any{
		"P": p, "SchemeTitle": title, "Kind": kind, "Headline": headline, "Detail": detail,
		"Recognised": recognised, "Status": registry.LabelStatus(p.Status), "Why": labelWhy(p),
	}})
}

// labelWhy is why a label under review or suspended is so: the reasons of
// its last status change.
func labelWhy(p iotsec.PublicCertification) []string {
	if p.Status != iotsec.StatusUnderReview && p.Status != iotsec.StatusSuspended {
		return nil
	}
	return p.Reasons
}
