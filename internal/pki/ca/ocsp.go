package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// MaxOCSPRequest bounds an OCSP request body; a single-certificate request
// is under 200 bytes.
const MaxOCSPRequest = 4096

// Status is a certificate's revocation status as the store knows it.
type Status struct {
	State     State
	RevokedAt time.Time
	Reason    int // RFC 5280 CRLReason
}

// State is good, revoked or unknown (not issued by this CA).
type State int

// States, numbered as golang.org/x/crypto/ocsp numbers them.
const (
	Good    State = ocsp.Good
	Revoked State = ocsp.Revoked
	Unknown State = ocsp.Unknown
)

// StatusLookup answers what the store knows about a serial number of the
// responder's CA. An error makes the response "tryLater".
type StatusLookup interface {
	Status(ctx context.Context, serial *big.Int) (Status, error)
}

// Responder answers OCSP requests (RFC 6960) for one CA, signing with the
// CA key itself (no delegated responder certificate).
type Responder struct {
	ca       *CA
	lookup   StatusLookup
	validity time.Duration
	// Hashes of the CA name and key under SHA-1 and SHA-256, the two
	// hashes clients use in CertIDs.
	ids []certID
}

type certID struct {
	hash      crypto.Hash
	name, key []byte
}

// NewResponder makes a responder; validity is how long a response may be
// cached (nextUpdate - thisUpdate). golang.org/x/crypto/ocsp signs with
// RSA and ECDSA keys only, so an Ed25519 CA cannot have a responder.
func NewResponder(ca *CA, lookup StatusLookup, validity time.Duration) (*Responder, error) {
	switch ca.Signer.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("OCSP responder for %q: %T keys are not supported by golang.org/x/crypto/ocsp", ca.Cert.Subject, ca.Signer.Public())
	}
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.Cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil, fmt.Errorf("OCSP responder for %q: %w", ca.Cert.Subject, err)
	}
	r := &Responder{ca: ca, lookup: lookup, validity: validity}
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		n, k := h.New(), h.New()
		n.Write(ca.Cert.RawSubject)
		k.Write(spki.PublicKey.RightAlign())
		r.ids = append(r.ids, certID{h, n.Sum(nil), k.Sum(nil)})
	}
	return r, nil
}

// Respond turns a DER OCSP request into a DER OCSP response. It always
// returns a response: malformed input gets "malformedRequest", a request
// for another CA "unauthorized", a failing lookup "tryLater".
func (r *Responder) Respond(ctx context.Context, der []byte) []byte {
	if len(der) > MaxOCSPRequest {
		return ocsp.MalformedRequestErrorResponse
	}
	req, err := ocsp.ParseRequest(der)
	if err != nil || req.SerialNumber == nil {
		return ocsp.MalformedRequestErrorResponse
	}
	ours := false
	for _, id := range r.ids {
		if id.hash == req.HashAlgorithm && bytes.Equal(id.name, req.IssuerNameHash) && bytes.Equal(id.key, req.IssuerKeyHash) {
			ours = true
		}
	}
	if !ours {
		return ocsp.UnauthorizedErrorResponse
	}
	st, err := r.lookup.Status(ctx, req.SerialNumber)
	if err != nil {
		return ocsp.TryLaterErrorResponse
	}
	now := r.ca.Now().UTC().Truncate(time.Second)
	tpl := ocsp.Response{
		Status:       int(st.State),
		SerialNumber: req.SerialNumber,
		ThisUpdate:   now,
		NextUpdate:   now.Add(r.validity),
		IssuerHash:   req.HashAlgorithm,
	}
	if st.State == Revoked {
		tpl.RevokedAt, tpl.RevocationReason = st.RevokedAt.UTC().Truncate(time.Second), st.Reason
	}
	resp, err := ocsp.CreateResponse(r.ca.Cert, r.ca.Cert, tpl, r.ca.Signer)
	if err != nil {
		return ocsp.InternalErrorErrorResponse
	}
	return resp
}

// ServeHTTP implements the RFC 6960 appendix A transport: POST with an
// application/ocsp-request body, or GET with the base64 request as the
// last path segment.
func (r *Responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var der []byte
	switch req.Method {
	case http.MethodPost:
		b, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxOCSPRequest))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "OCSP request larger than 4096 bytes", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "read OCSP request: "+err.Error(), http.StatusBadRequest)
			return
		}
		der = b
	case http.MethodGet:
		seg := req.URL.EscapedPath()
		seg = seg[strings.LastIndex(seg, "/")+1:]
		s, err := url.PathUnescape(seg)
		if err == nil {
			der, err = base64.StdEncoding.DecodeString(s)
		}
		if err != nil || len(s) > 2*MaxOCSPRequest {
			http.Error(w, "GET OCSP request is not base64 in the last path segment", http.StatusBadRequest)
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "OCSP takes GET or POST", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(r.Respond(req.Context(), der))
}
