package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// FuzzDecode feeds arbitrary bodies through request decoding: every failure
// must be a client error with a domain kind (so a 4xx, never a 500), and
// decoding must not panic.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"x","model_number":"y","markets":["EU"]}`, `{"name":1}`, `{"colour":"red"}`, `{}`, `[]`, ``, `{"name":"x"} {}`,
		`{"uid":"a","product_id":"b","firmware_id":"","state":"operational"}`, `{"release_date":"2026-01-01"}`,
		`{"name":"t","role":"maker","expires_at":"2030-01-01T00:00:00Z"}`, "\xff\xfe", `{"name":"\ud800"}`,
	} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{}`), "text/plain")
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		for _, v := range []any{&productInput{}, &firmwareInput{}, &deviceInput{}, &tokenInput{}, &memberInput{}} {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", ct)
			err := decode(httptest.NewRecorder(), r, 1024, v)
			if err == nil {
				continue
			}
			var mbe *http.MaxBytesError
			if iotsec.Kind(err) == nil && !asMaxBytes(err, &mbe) {
				t.Fatalf("decode(%q, %q) = %v: an error without a domain kind would be a 500", body, ct, err)
			}
			if f, ok := v.(*firmwareInput); ok && err == nil {
				if err := f.apply(&iotsec.FirmwareVersion{}); err != nil && iotsec.Kind(err) == nil {
					t.Fatalf("apply: %v", err)
				}
			}
		}
	})
}

func asMaxBytes(err error, target **http.MaxBytesError) bool {
	e, ok := err.(*http.MaxBytesError)
	if ok {
		*target = e
	}
	return ok
}
