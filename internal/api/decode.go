package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// decode reads one JSON object from the body into v. Clients get 415 for
// another content type, 413 past max bytes, and 400 naming the field for
// malformed JSON, wrong types and unknown fields.
func decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	if err := contentType(r, "application/json"); err != nil {
		return err
	}
	return decodeJSON(http.MaxBytesReader(w, r.Body, max), v)
}

// contentType checks the request's media type is one of want.
func contentType(r *http.Request, want ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		for _, w := range want {
			if mt == w {
				return nil
			}
		}
	}
	return &iotsec.Error{Kind: iotsec.ErrUnsupported, Message: "Content-Type must be " + strings.Join(want, " or ")}
}

func decodeJSON(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(dec, err)
		}
		return iotsec.Invalid("body", "must hold one JSON value; more follows at byte %d", dec.InputOffset())
	}
	return nil
}

func jsonError(dec *json.Decoder, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return &iotsec.Error{Kind: iotsec.ErrTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", mbe.Limit), Err: err}
	case errors.As(err, &syn):
		return iotsec.Invalid("body", "malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return iotsec.Invalid("body", "must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return iotsec.Invalid(typ.Field, "must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)
	case errors.Is(err, io.EOF):
		return iotsec.Invalid("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return iotsec.Invalid("body", "JSON ends early, at byte %d", dec.InputOffset())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return iotsec.Invalid(name, "is not a known field")
	}
	return iotsec.Invalid("body", "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	goType = strings.TrimPrefix(goType, "*")
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string" || strings.HasPrefix(goType, "iotsec.") && goType != "iotsec.Date":
		return "a string"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "struct", strings.HasPrefix(goType, "map"), strings.HasPrefix(goType, "api."):
		return "an object"
	}
	return goType
}
