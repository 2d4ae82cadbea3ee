package iotsec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, http.StatusOK},
		{"invalid", Invalid("name", "is required"), http.StatusBadRequest},
		{"not found", NotFound("device"), http.StatusNotFound},
		{"conflict", Conflict("taken"), http.StatusConflict},
		{"forbidden", Forbidden("no"), http.StatusForbidden},
		{"unauthorized", Errorf(ErrUnauthorized, "sign in"), http.StatusUnauthorized},
		{"too large", Errorf(ErrTooLarge, "big"), http.StatusRequestEntityTooLarge},
		{"unsupported", Errorf(ErrUnsupported, "xml"), http.StatusUnsupportedMediaType},
		{"rate limited", Errorf(ErrRateLimited, "slow down"), http.StatusTooManyRequests},
		{"unavailable", Errorf(ErrUnavailable, "CA key does not open"), http.StatusServiceUnavailable},
		{"bare kind", ErrNotFound, http.StatusNotFound},
		{"wrapped kind", fmt.Errorf("get device: %w", Conflict("busy")), http.StatusConflict},
		{"body limit", fmt.Errorf("read body: %w", &http.MaxBytesError{Limit: 10}), http.StatusRequestEntityTooLarge},
		{"client gone", fmt.Errorf("query: %w", context.Canceled), StatusClientClosed},
		{"deadline", context.DeadlineExceeded, http.StatusInternalServerError},
		{"internal", errors.New("disk on fire"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTTPStatus(tt.err); got != tt.want {
				t.Errorf("HTTPStatus(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	// Every kind has a status of its own, never the internal-error one, so
	// a new kind cannot be forgotten here.
	seen := map[int]error{}
	for _, k := range Kinds() {
		got := HTTPStatus(Errorf(k, "x"))
		if got == http.StatusInternalServerError || got < 400 {
			t.Errorf("kind %v maps to %d; every kind needs a 4xx or 503 status", k, got)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("kinds %v and %v both map to %d", prev, k, got)
		}
		seen[got] = k
	}
}
