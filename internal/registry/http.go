package registry

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/label"
)

// Route is a public endpoint: no sign-in (the identity service's shape;
// app mounts both as server.Options.Public).
type Route struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// Routes are the registry's public endpoints:
//
//	GET /l/{label-id}/qr.png            QR code of the page BASE/l/{label-id}
//	GET /l/{label-id}/qr.svg            the same as SVG
//	GET /registry/jwks.json             every authority's label keys
//	GET /log/checkpoint                 the latest signed checkpoint (text)
//	GET /log/proof?index=N&size=M       inclusion bundle of entry N in tree M
//	                                    (size omitted: the latest checkpoint)
//	GET /log/consistency?old=N&new=M    consistency proof of tree N in tree M
//
// The label document, /l/{label-id}.json, shares its path segment with the
// public page /l/{label-id} (Go's ServeMux matches whole segments), so the
// web UI routes both and answers the JSON with ServeDocument.
func (s *Service) Routes() []Route {
	return []Route{
		{"GET", "/l/{id}/qr.png", s.serveQR},
		{"GET", "/l/{id}/qr.svg", s.serveQR},
		{"GET", "/registry/jwks.json", s.serveJWKS},
		{"GET", "/log/checkpoint", s.serveCheckpoint},
		{"GET", "/log/proof", s.serveProof},
		{"GET", "/log/consistency", s.serveConsistency},
	}
}

// fail answers a public endpoint's error with iotsec.HTTPStatus.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := iotsec.HTTPStatus(err)
	if status >= 500 {
		s.Log.Error("registry endpoint failed", "path", r.URL.Path, "err", err)
	}
	http.Error(w, iotsec.Message(err), status)
}

func writeJSONTo(w http.ResponseWriter, v any, cache string) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", cache)
	w.Write(append(b, '\n'))
}

// ServeDocument answers GET /l/{labelID}.json: the label document with
// the record's current status, for apps and `iotsec label verify`.
func (s *Service) ServeDocument(w http.ResponseWriter, r *http.Request, labelID string) {
	b, err := s.documentJSON(r.Context(), labelID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The status may change at any moment (a revocation must show at
	// once): caches revalidate.
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

func (s *Service) serveQR(w http.ResponseWriter, r *http.Request) {
	svg := strings.HasSuffix(r.URL.Path, ".svg")
	b, err := s.QR(r.Context(), r.PathValue("id"), svg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if svg {
		w.Header().Set("Content-Type", "image/svg+xml")
	} else {
		w.Header().Set("Content-Type", "image/png")
	}
	w.Header().Set("Cache-Control", "public, max-age=86400") // the URL never changes
	w.Write(b)
}

// QR is the QR code of a granted label's public page, BASE/l/{labelID},
// for the physical label: SVG, or a 512-pixel PNG.
func (s *Service) QR(ctx context.Context, labelID string, svg bool) ([]byte, error) {
	if _, err := s.Store.PublicCertification(ctx, labelID); err != nil {
		return nil, err
	}
	if svg {
		return label.QRSVG(s.PageURL(labelID))
	}
	return label.QR(s.PageURL(labelID), 512)
}

func (s *Service) serveJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := s.JWKS(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(append(b, '\n'))
}

func (s *Service) serveCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.Checkpoint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write([]byte(cp.Text))
}

// queryInt reads a non-negative integer query parameter; missing is def.
func queryInt(r *http.Request, name string, def int64, required bool) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, iotsec.Invalid(name, "is required")
		}
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, iotsec.Invalid(name, "must be a non-negative integer")
	}
	return n, nil
}

func (s *Service) serveProof(w http.ResponseWriter, r *http.Request) {
	index, err := queryInt(r, "index", 0, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := queryInt(r, "size", 0, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.Proof(r.Context(), index, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cache := "public, max-age=31536000, immutable" // a proof in a fixed tree never changes
	if r.URL.Query().Get("size") == "" {
		cache = "no-cache"
	}
	writeJSONTo(w, b, cache)
}

func (s *Service) serveConsistency(w http.ResponseWriter, r *http.Request) {
	oldSize, err := queryInt(r, "old", 0, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	newSize, err := queryInt(r, "new", 0, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Consistency(r.Context(), oldSize, newSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONTo(w, c, "public, max-age=31536000, immutable")
}
