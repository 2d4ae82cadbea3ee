package iotsec

import (
	"context"
	"errors"
	"net/http"
)

// StatusClientClosed is the status of a request whose client went away
// before the answer (nginx's convention; no standard code exists).
const StatusClientClosed = 499

// HTTPStatus maps an error to its HTTP status. It is the only place that
// does: the server (API problem documents and UI error pages) and the
// identity service's public endpoints (CA certificate, CRL, OCSP) all ask
// it, so one kind means one status whichever door it leaves by. It sits in
// the domain, beside the kinds, because every door imports the domain and
// no door may import another; it uses only net/http's status constants
// and its MaxBytesError (a body cut off by http.MaxBytesReader).
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	switch Kind(err) {
	case ErrInvalid:
		return http.StatusBadRequest
	case ErrUnauthorized:
		return http.StatusUnauthorized
	case ErrForbidden:
		return http.StatusForbidden
	case ErrNotFound:
		return http.StatusNotFound
	case ErrConflict:
		return http.StatusConflict
	case ErrTooLarge:
		return http.StatusRequestEntityTooLarge
	case ErrUnsupported:
		return http.StatusUnsupportedMediaType
	case ErrRateLimited:
		return http.StatusTooManyRequests
	case ErrUnavailable:
		return http.StatusServiceUnavailable
	}
	if errors.Is(err, context.Canceled) {
		return StatusClientClosed
	}
	return http.StatusInternalServerError
}
