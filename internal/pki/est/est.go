// Package est is the Enrollment over Secure Transport protocol layer
// (RFC 7030, with the RFC 8951 clarifications): an http.Handler for
// /.well-known/est/ serving cacerts, simpleenroll, simplereenroll and
// csrattrs. Who may enrol, how a CSR is signed and where certificates are
// kept belong to the Backend, so storage and policy plug in from outside.
//
// est may import net/http (it is a protocol handler) but must not import
// storage packages, the project's server or internal/iotsec.
package est

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/iotsec/iotsec/internal/pki/ca"
)

// PathPrefix is where EST lives (RFC 7030 3.2.2).
const PathPrefix = "/.well-known/est/"

// MaxBody bounds a request body. A base64 CSR with an RSA-4096 key and a
// few extensions is under 4 KiB; 64 KiB leaves room and no more.
const MaxBody = 64 << 10

// Errors a Backend returns to choose the HTTP status; wrap them with a
// reason the client may see.
var (
	ErrUnauthorized = errors.New("authentication required") // 401
	ErrForbidden    = errors.New("not allowed to enrol")    // 403
	ErrBadRequest   = errors.New("request refused")         // 400
	ErrNotFound     = errors.New("no such CA label")        // 404
)

// PendingError asks the client to come back later (202 with Retry-After),
// for enrolments that wait for manual approval (RFC 7030 4.2.3).
type PendingError struct{ RetryAfter time.Duration }

func (e *PendingError) Error() string {
	return fmt.Sprintf("enrolment pending, retry after %s", e.RetryAfter)
}

// Request is what the handler knows about the client when it asks the
// backend to authorise an enrolment.
type Request struct {
	// Label is the optional CA label path segment (RFC 7030 3.2.2), "" for
	// the default CA.
	Label string
	// Renew is true for simplereenroll.
	Renew bool
	// PeerCertificates is the TLS client chain, leaf first. TLS has
	// checked that the client holds the leaf's key but not the chain:
	// that is the backend's job (IDevID roots, revocation, device state).
	PeerCertificates []*x509.Certificate
	// Username and Password come from HTTP Basic authentication;
	// BearerToken from "Authorization: Bearer". A one-time enrolment
	// token may arrive in either.
	Username, Password, BearerToken string
	CSR                             *x509.CertificateRequest
}

// Backend is the storage and policy side of EST.
type Backend interface {
	// CACerts returns the certificates for /cacerts, issuing CA first.
	CACerts(ctx context.Context, label string) ([]*x509.Certificate, error)
	// CSRAttrs returns the DER CsrAttrs the CA wants, or nil for none.
	CSRAttrs(ctx context.Context, label string) ([]byte, error)
	// Enroll authorises the request and signs its CSR, whose signature the
	// handler has already checked (proof of possession).
	Enroll(ctx context.Context, req *Request) (*x509.Certificate, error)
}

// Handler serves EST. It must run behind TLS; the server's tls.Config
// should use tls.RequestClientCert (or VerifyClientCertIfGiven with the
// IDevID roots) so devices can present IDevIDs and LDevIDs.
type Handler struct {
	Backend Backend
	// Logger gets backend failures; clients see only "internal error".
	Logger *slog.Logger
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok {
		http.Error(w, "not an EST path", http.StatusNotFound)
		return
	}
	label, op := "", rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		label, op = rest[:i], rest[i+1:]
		if label == "" || strings.Contains(op, "/") {
			http.Error(w, "unknown EST path", http.StatusNotFound)
			return
		}
	}
	if r.TLS == nil {
		http.Error(w, "EST requires TLS", http.StatusForbidden)
		return
	}
	method := map[string]string{"cacerts": http.MethodGet, "csrattrs": http.MethodGet,
		"simpleenroll": http.MethodPost, "simplereenroll": http.MethodPost}[op]
	if method == "" {
		http.Error(w, fmt.Sprintf("unknown EST operation %q", op), http.StatusNotFound)
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		http.Error(w, op+" takes "+method, http.StatusMethodNotAllowed)
		return
	}
	switch op {
	case "cacerts":
		certs, err := h.Backend.CACerts(r.Context(), label)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.certs(w, r, certs)
	case "csrattrs":
		der, err := h.Backend.CSRAttrs(r.Context(), label)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if der == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeBase64(w, "application/csrattrs", der)
	default:
		h.enroll(w, r, label, op == "simplereenroll")
	}
}

func (h *Handler) enroll(w http.ResponseWriter, r *http.Request, label string, renew bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, fmt.Sprintf("request body larger than %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/pkcs10") {
		http.Error(w, fmt.Sprintf("Content-Type %q, want application/pkcs10", ct), http.StatusUnsupportedMediaType)
		return
	}
	csr, err := ParseCSR(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &Request{Label: label, Renew: renew, CSR: csr, PeerCertificates: r.TLS.PeerCertificates}
	req.Username, req.Password, _ = r.BasicAuth()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.BearerToken = strings.TrimSpace(tok)
	}
	if renew && len(req.PeerCertificates) > 0 {
		// RFC 7030 4.2.2: the subject and subjectAltName of a renewal must
		// be those of the certificate being renewed, the one the client
		// authenticated with.
		if err := sameIdentity(csr, req.PeerCertificates[0]); err != nil {
			http.Error(w, "simplereenroll: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	cert, err := h.Backend.Enroll(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.certs(w, r, []*x509.Certificate{cert})
}

// ParseCSR reads an EST request body: base64 (whitespace allowed) of a DER
// PKCS#10 request, as RFC 7030 and 8951 specify; raw DER is accepted too,
// since some clients send it. The CSR signature must verify.
func ParseCSR(body []byte) (*x509.CertificateRequest, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("request body larger than %d bytes", MaxBody)
	}
	der, err := decodeBase64(body)
	if err != nil {
		if len(body) < 2 || body[0] != 0x30 {
			return nil, fmt.Errorf("body is neither base64 nor DER: %v", err)
		}
		der = body
	}
	if len(der) == 0 {
		return nil, errors.New("empty CSR")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("malformed CSR: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("CSR signature does not verify (no proof of possession): %v", err)
	}
	return csr, nil
}

func decodeBase64(b []byte) ([]byte, error) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	return base64.StdEncoding.DecodeString(string(clean))
}

func sameIdentity(csr *x509.CertificateRequest, cur *x509.Certificate) error {
	if string(csr.RawSubject) != string(cur.RawSubject) {
		return fmt.Errorf("CSR subject %q differs from the current certificate's %q", csr.Subject, cur.Subject)
	}
	if fmt.Sprint(csr.DNSNames, csr.IPAddresses, csr.URIs, csr.EmailAddresses) !=
		fmt.Sprint(cur.DNSNames, cur.IPAddresses, cur.URIs, cur.EmailAddresses) {
		return errors.New("CSR subjectAltName differs from the current certificate's")
	}
	return nil
}

func (h *Handler) certs(w http.ResponseWriter, r *http.Request, certs []*x509.Certificate) {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	p7, err := pkcs7.DegenerateCertificate(raw)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode PKCS#7: %w", err))
		return
	}
	writeBase64(w, "application/pkcs7-mime; smime-type=certs-only", p7)
}

func writeBase64(w http.ResponseWriter, contentType string, der []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Transfer-Encoding", "base64")
	enc := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	_, _ = io.WriteString(w, b.String())
}

// fail maps a backend error to a status. Errors of the client's making
// carry their message; anything else is logged and hidden.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pending *PendingError
	switch {
	case errors.As(err, &pending):
		w.Header().Set("Retry-After", strconv.Itoa(int(pending.RetryAfter.Seconds())))
		http.Error(w, err.Error(), http.StatusAccepted)
	case errors.Is(err, ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Basic realm="est"`)
		http.Error(w, err.Error(), http.StatusUnauthorized)
	case errors.Is(err, ErrForbidden), errors.Is(err, ca.ErrPolicy):
		http.Error(w, err.Error(), http.StatusForbidden)
	case errors.Is(err, ErrBadRequest), errors.Is(err, ca.ErrProofOfPossession), errors.Is(err, ca.ErrWeakKey):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		if h.Logger != nil {
			h.Logger.ErrorContext(r.Context(), "est backend failed", "path", r.URL.Path, "err", err)
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}
