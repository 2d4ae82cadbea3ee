package est

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzParseCSR(f *testing.F) {
	csr := makeCSR(f, newKey(f), "DEV-1").Raw
	f.Add(csr)
	f.Add([]byte(base64.StdEncoding.EncodeToString(csr)))
	f.Add([]byte("MIIB\r\nAAAA\r\n"))
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCSR(body)
		if err == nil && c.CheckSignature() != nil {
			t.Fatal("ParseCSR returned a CSR whose signature does not verify")
		}
	})
}

// FuzzEnrollBody drives the whole handler with arbitrary bodies: the only
// statuses malformed input may produce are 4xx (200 if it is a valid CSR
// for a registered device).
func FuzzEnrollBody(f *testing.F) {
	fx := newFixture(f)
	csr := makeCSR(f, newKey(f), "DEV-TOK").Raw
	f.Add([]byte(base64.StdEncoding.EncodeToString(csr)), "application/pkcs10")
	f.Add(csr, "")
	f.Add([]byte("%%%"), "application/pkcs10; charset=x")
	h := &Handler{Backend: fx.backend}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, PathPrefix+"simpleenroll", strings.NewReader(string(body)))
		req.TLS = &tls.ConnectionState{}
		req.Header.Set("Content-Type", ctype)
		req.SetBasicAuth("DEV-TOK", "not-a-token")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q", rec.Code, body)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	fx := newFixture(f)
	idev, _ := fx.idevid(f, "DEV-1")
	f.Add(idev.Raw)
	f.Add(fx.backend.ca.Cert.Raw)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		// A parsed certificate presented as an IDevID must yield a result,
		// never a panic.
		_, _ = fx.backend.Enroll(context.Background(), &Request{PeerCertificates: []*x509.Certificate{c}, CSR: makeCSR(t, newKey(t), "DEV-1")})
	})
}
