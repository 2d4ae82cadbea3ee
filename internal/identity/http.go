package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// Route is a public protocol endpoint: no sign-in, the organisation is
// named by the CA label in the path.
type Route struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// Routes are the CA's public endpoints on the main HTTP server:
//
//	GET  /pki/{label}/ca.crt           the CA certificate (DER)
//	GET  /pki/{label}/crl              the current CRL (DER)
//	POST /pki/{label}/ocsp             OCSP (RFC 6960), request in the body
//	GET  /pki/{label}/ocsp/{request}   OCSP, base64 request in the path
//
// CRLs and OCSP responses are signed, so plain HTTP is what RFC 5280 and
// RFC 6960 expect (and avoids a TLS loop when checking the server's own
// certificate).
func (s *Service) Routes() []Route {
	return []Route{
		{"GET", "/pki/{label}/ca.crt", s.serveCACert},
		{"GET", "/pki/{label}/crl", s.serveCRL},
		{"POST", "/pki/{label}/ocsp", s.serveOCSP},
		{"GET", "/pki/{label}/ocsp/{request...}", s.serveOCSP},
	}
}

func (s *Service) labelled(w http.ResponseWriter, r *http.Request) (iotsec.CertAuthority, bool) {
	rec, err := s.Store.CAByLabel(r.Context(), r.PathValue("label"))
	if err != nil {
		s.fail(w, r, err)
		return rec, false
	}
	return rec, true
}

// fail answers a public endpoint's error with the status iotsec.HTTPStatus
// gives it. The caller of a public endpoint (a relying party fetching a
// CRL, asking OCSP) asked for nothing that could conflict: a conflict here
// is this server unable to serve (no key-encryption key, a CA key that
// does not open), so it is reported as unavailable, which clients retry.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	shown := err
	if iotsec.Kind(err) == iotsec.ErrConflict {
		// A new error, not a wrapper: Kind would still find the conflict
		// inside. The original is logged below.
		shown = iotsec.Errorf(iotsec.ErrUnavailable, "%s", iotsec.Message(err))
	}
	status := iotsec.HTTPStatus(shown)
	switch {
	case status >= 500 && iotsec.Kind(shown) == nil:
		s.Log.Error("pki endpoint failed", "path", r.URL.Path, "err", err)
	case status >= 500:
		s.Log.Warn("pki endpoint cannot serve", "path", r.URL.Path, "err", err)
	}
	http.Error(w, iotsec.Message(shown), status)
}

func (s *Service) serveCACert(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.labelled(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/pkix-cert")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(rec.DER)
}

func (s *Service) serveCRL(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.labelled(w, r)
	if !ok {
		return
	}
	c, err := s.CRL(r.Context(), rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Caches may keep it a few minutes; revocations show within that.
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Last-Modified", c.ThisUpdate.UTC().Format(http.TimeFormat))
	w.Header().Set("X-CRL-Number", strconv.FormatInt(c.Number, 10))
	w.Write(c.DER)
}

func (s *Service) serveOCSP(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.labelled(w, r)
	if !ok {
		return
	}
	e, err := s.open(rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if e.ocsp == nil {
		http.Error(w, "this CA's key type has no OCSP responder; use its CRL", http.StatusNotFound)
		return
	}
	e.ocsp.ServeHTTP(w, r)
}

// serverCert is the EST server's certificate from the organisation's CA.
type serverCert struct {
	cert    *tls.Certificate
	caID    string
	expires time.Time
}

// ServerCertificate returns a tls.Config.GetCertificate function that
// serves a TLS certificate for hosts issued by the server's only CA,
// renewed well before it expires. With several CAs the operator must
// configure the EST server's certificate (--est-cert, --est-key).
func (s *Service) ServerCertificate(hosts []string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		ctx := hello.Context()
		rec, err := s.CAByLabel(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("EST server certificate: %s (configure --est-cert and --est-key)", iotsec.Message(err))
		}
		s.mu.Lock()
		cur := s.server
		s.mu.Unlock()
		now := s.now()
		if cur != nil && cur.caID == rec.ID && now.Before(cur.expires.Add(-7*24*time.Hour)) {
			return cur.cert, nil
		}
		e, err := s.open(rec)
		if err != nil {
			return nil, err
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), s.rand())
		if err != nil {
			return nil, err
		}
		tpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: hosts[0]}}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tpl.IPAddresses = append(tpl.IPAddresses, ip)
			} else {
				tpl.DNSNames = append(tpl.DNSNames, h)
			}
		}
		der, err := x509.CreateCertificateRequest(s.rand(), tpl, key)
		if err != nil {
			return nil, err
		}
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			return nil, err
		}
		leaf, err := e.ca.Issue(csr, ca.IssueOptions{Validity: 90 * 24 * time.Hour, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			return nil, err
		}
		c := &tls.Certificate{Certificate: [][]byte{leaf.Raw, rec.DER}, PrivateKey: key, Leaf: leaf}
		s.mu.Lock()
		s.server = &serverCert{cert: c, caID: rec.ID, expires: leaf.NotAfter}
		s.mu.Unlock()
		s.Log.Info("issued the EST server certificate", "ca", rec.Label, "hosts", hosts, "not_after", leaf.NotAfter)
		return c, nil
	}
}
