package est

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"github.com/smallstep/pkcs7"

	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// memBackend is an in-memory EST backend: devices registered by IDevID
// serial number, one-time tokens, a maker IDevID root and our LDevID CA.
type memBackend struct {
	mu       sync.Mutex
	ca       *ca.CA
	idevRoot []*x509.Certificate
	crls     []*x509.RevocationList
	devices  map[string]string // IDevID serialNumber -> lifecycle state
	tokens   map[string]string // one-time token -> device ID
	issued   int
}

func (b *memBackend) CACerts(_ context.Context, label string) ([]*x509.Certificate, error) {
	if label != "" && label != "devices" {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, label)
	}
	return []*x509.Certificate{b.ca.Cert}, nil
}

func (b *memBackend) CSRAttrs(_ context.Context, label string) ([]byte, error) {
	if label == "none" {
		return nil, nil
	}
	// SEQUENCE { OID ecdsa-with-SHA256 }, as RFC 7030 4.5.2's example asks
	// for a signature algorithm.
	return []byte{0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, nil
}

func (b *memBackend) Enroll(_ context.Context, req *Request) (*x509.Certificate, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var device string
	switch {
	case req.Renew:
		if len(req.PeerCertificates) == 0 {
			return nil, fmt.Errorf("%w: renewal needs the current certificate", ErrUnauthorized)
		}
		r := pki.Verify(req.PeerCertificates[0], pki.Options{Roots: []*x509.Certificate{b.ca.Cert}, At: t0})
		if !r.Valid {
			return nil, fmt.Errorf("%w: current certificate: %s", ErrForbidden, r.Problems[0].Detail)
		}
		device = req.PeerCertificates[0].Subject.SerialNumber
	case len(req.PeerCertificates) > 0:
		r := pki.Verify(req.PeerCertificates[0], pki.Options{Roots: b.idevRoot, Intermediates: req.PeerCertificates[1:],
			CRLs: b.crls, At: t0, Profile: pki.ProfileIDevID})
		if !r.Valid {
			return nil, fmt.Errorf("%w: IDevID: %s: %s", ErrForbidden, r.Problems[0].Code, r.Problems[0].Detail)
		}
		device = req.PeerCertificates[0].Subject.SerialNumber
	case req.Password != "" || req.BearerToken != "":
		tok := req.Password + req.BearerToken
		d, ok := b.tokens[tok]
		if !ok {
			return nil, fmt.Errorf("%w: unknown or used enrolment token", ErrUnauthorized)
		}
		delete(b.tokens, tok) // one-time
		device = d
	default:
		return nil, fmt.Errorf("%w: present an IDevID or an enrolment token", ErrUnauthorized)
	}
	if state := b.devices[device]; state != "provisioned" && state != "operational" {
		return nil, fmt.Errorf("%w: device %q is %q", ErrForbidden, device, state)
	}
	cert, err := b.ca.Issue(req.CSR, ca.IssueOptions{Policy: func(csr *x509.CertificateRequest, _ *x509.Certificate) error {
		if csr.Subject.SerialNumber != device {
			return fmt.Errorf("%w: CSR subject serialNumber %q is not the registered device %q", ca.ErrPolicy, csr.Subject.SerialNumber, device)
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	b.devices[device] = "operational"
	b.issued++
	return cert, nil
}

type fixture struct {
	srv     *httptest.Server
	backend *memBackend
	anchor  *x509.CertPool
	maker   *ca.CA // IDevID issuer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	rnd := mrand.NewChaCha8([32]byte{9})
	now := func() time.Time { return t0 }
	ldev, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Operator LDevID CA"}, Rand: rnd, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	maker, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Maker IDevID Root"}, Rand: rnd, Now: func() time.Time { return t0.AddDate(-1, 0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	b := &memBackend{ca: ldev, idevRoot: []*x509.Certificate{maker.Cert},
		devices: map[string]string{"DEV-1": "provisioned", "DEV-2": "provisioned", "DEV-SUSP": "suspended", "DEV-TOK": "provisioned"},
		tokens:  map[string]string{"tok-123": "DEV-TOK"}}
	srv := httptest.NewUnstartedServer(&Handler{Backend: b})
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &fixture{srv: srv, backend: b, anchor: pool, maker: maker}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// idevid issues a maker IDevID for serial (its CSR built in the test).
func (f *fixture) idevid(t testing.TB, serial string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k := newKey(t)
	c, err := f.maker.Issue(makeCSR(t, k, serial), ca.IssueOptions{Validity: 50 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func makeCSR(t testing.TB, key crypto.Signer, serial string) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "sensor " + serial, SerialNumber: serial}}, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) client(cert *x509.Certificate, key crypto.Signer) *gsest.Client {
	c := &gsest.Client{Host: f.srv.Listener.Addr().String(), ExplicitAnchor: f.anchor}
	if cert != nil {
		c.Certificates, c.PrivateKey = []*x509.Certificate{cert}, key
	}
	return c
}

func estStatus(err error) int {
	var e gsest.Error
	if errors.As(err, &e) {
		return e.StatusCode()
	}
	return 0
}

func TestEnrolWithGlobalSignClient(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	cacerts, err := f.client(nil, nil).CACerts(ctx)
	if err != nil || len(cacerts) != 1 || !cacerts[0].Equal(f.backend.ca.Cert) {
		t.Fatalf("CACerts = %v, %v; want the LDevID CA", cacerts, err)
	}
	attrs, err := f.client(nil, nil).CSRAttrs(ctx)
	if err != nil || len(attrs.OIDs) != 1 || attrs.OIDs[0].String() != "1.2.840.10045.4.3.2" {
		t.Fatalf("CSRAttrs = %+v, %v; want ecdsa-with-SHA256", attrs, err)
	}

	// Enrol with the IDevID over mutual TLS.
	idev, idevKey := f.idevid(t, "DEV-1")
	devKey := newKey(t)
	ldev, err := f.client(idev, idevKey).Enroll(ctx, makeCSR(t, devKey, "DEV-1"))
	if err != nil {
		t.Fatalf("Enroll with IDevID: %v", err)
	}
	r := pki.Verify(ldev, pki.Options{Roots: cacerts, At: t0, Name: "DEV-1", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if !r.Valid {
		t.Fatalf("LDevID does not verify against /cacerts: %v", r.Problems)
	}

	// Renew with the LDevID, same subject, new key.
	newDevKey := newKey(t)
	renewed, err := f.client(ldev, devKey).Reenroll(ctx, makeCSR(t, newDevKey, "DEV-1"))
	if err != nil {
		t.Fatalf("Reenroll: %v", err)
	}
	if renewed.SerialNumber.Cmp(ldev.SerialNumber) == 0 || !renewed.PublicKey.(*ecdsa.PublicKey).Equal(newDevKey.Public()) {
		t.Fatal("Reenroll did not issue a new certificate for the new key")
	}

	// Enrol with a one-time token, then try it again.
	tc := f.client(nil, nil)
	tc.Username, tc.Password = "DEV-TOK", "tok-123"
	if _, err := tc.Enroll(ctx, makeCSR(t, newKey(t), "DEV-TOK")); err != nil {
		t.Fatalf("Enroll with token: %v", err)
	}
	if _, err := tc.Enroll(ctx, makeCSR(t, newKey(t), "DEV-TOK")); estStatus(err) != http.StatusUnauthorized {
		t.Fatalf("second use of a one-time token: %v, want 401", err)
	}

	// Refusals.
	suspIdev, suspKey := f.idevid(t, "DEV-SUSP")
	rogue, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Rogue Root"}, Rand: rand.Reader, Now: func() time.Time { return t0.AddDate(-1, 0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	rogueKey := newKey(t)
	rogueIdev, _ := rogue.Issue(makeCSR(t, rogueKey, "DEV-2"), ca.IssueOptions{})
	dev2, dev2Key := f.idevid(t, "DEV-2")
	for _, tt := range []struct {
		name   string
		do     func() error
		status int
	}{
		{"no credentials", func() error { _, err := f.client(nil, nil).Enroll(ctx, makeCSR(t, newKey(t), "DEV-2")); return err }, http.StatusUnauthorized},
		{"suspended device", func() error {
			_, err := f.client(suspIdev, suspKey).Enroll(ctx, makeCSR(t, newKey(t), "DEV-SUSP"))
			return err
		}, http.StatusForbidden},
		{"IDevID from an unregistered root", func() error {
			_, err := f.client(rogueIdev, rogueKey).Enroll(ctx, makeCSR(t, newKey(t), "DEV-2"))
			return err
		}, http.StatusForbidden},
		{"CSR for another device", func() error {
			_, err := f.client(dev2, dev2Key).Enroll(ctx, makeCSR(t, newKey(t), "DEV-1"))
			return err
		}, http.StatusForbidden},
		{"renewal changing the subject", func() error {
			_, err := f.client(ldev, devKey).Reenroll(ctx, makeCSR(t, newKey(t), "DEV-2"))
			return err
		}, http.StatusBadRequest},
		{"renewal with an IDevID", func() error {
			_, err := f.client(dev2, dev2Key).Reenroll(ctx, makeCSR(t, newKey(t), "DEV-2"))
			return err
		}, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := estStatus(tt.do()); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
		})
	}
}

func TestRevokedIDevIDRefused(t *testing.T) {
	f := newFixture(t)
	idev, key := f.idevid(t, "DEV-2")
	der, err := f.maker.CRL(bigOne(), []ca.Revocation{{Serial: idev.SerialNumber, Time: t0.AddDate(0, 0, -1)}}, 2*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	f.backend.crls = []*x509.RevocationList{rl}
	_, err = f.client(idev, key).Enroll(context.Background(), makeCSR(t, newKey(t), "DEV-2"))
	if estStatus(err) != http.StatusForbidden || !strings.Contains(err.Error(), string(pki.CodeRevoked)) {
		t.Fatalf("Enroll with revoked IDevID: %v, want 403 naming %s", err, pki.CodeRevoked)
	}
}

// TestMalformed sends broken requests over real TLS and checks each gets
// its 4xx with a reason, never a 500.
func TestMalformed(t *testing.T) {
	f := newFixture(t)
	idev, key := f.idevid(t, "DEV-1")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.anchor, Certificates: []tls.Certificate{{Certificate: [][]byte{idev.Raw}, PrivateKey: key}}}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	good := base64.StdEncoding.EncodeToString(makeCSR(t, newKey(t), "DEV-1").Raw)
	badSig := makeCSR(t, newKey(t), "DEV-1").Raw
	badSig[len(badSig)-3] ^= 0xff
	base := f.srv.URL + PathPrefix
	for _, tt := range []struct {
		name, method, path, ctype, body string
		status                          int
	}{
		{"not base64 or DER", "POST", "simpleenroll", "application/pkcs10", "!!!not base64!!!", 400},
		{"base64 of garbage", "POST", "simpleenroll", "application/pkcs10", base64.StdEncoding.EncodeToString([]byte("garbage")), 400},
		{"empty body", "POST", "simpleenroll", "application/pkcs10", "", 400},
		{"truncated CSR", "POST", "simpleenroll", "application/pkcs10", good[:len(good)/2], 400},
		{"broken CSR signature", "POST", "simpleenroll", "application/pkcs10", base64.StdEncoding.EncodeToString(badSig), 400},
		{"oversized body", "POST", "simpleenroll", "application/pkcs10", strings.Repeat("A", MaxBody+1), 413},
		{"wrong content type", "POST", "simpleenroll", "application/json", good, 415},
		{"wrong method", "GET", "simpleenroll", "", "", 405},
		{"unknown operation", "GET", "serverkeygen", "", "", 404},
		{"unknown label", "GET", "other/cacerts", "", "", 404},
		{"nested path", "GET", "a/b/cacerts", "", "", 404},
		{"csrattrs none", "GET", "none/csrattrs", "", "", 204},
		{"DER body accepted", "POST", "simpleenroll", "application/pkcs10", string(makeCSR(t, newKey(t), "DEV-1").Raw), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d (%q), want %d", resp.StatusCode, msg, tt.status)
			}
			if resp.StatusCode >= 400 && len(bytes.TrimSpace(msg)) == 0 {
				t.Errorf("status %d without a reason", resp.StatusCode)
			}
		})
	}
}

func TestNoTLS(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Handler{Backend: &memBackend{}}).ServeHTTP(rec, httptest.NewRequest("GET", PathPrefix+"cacerts", nil))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("plain HTTP status = %d, want 403", rec.Code)
	}
}

func TestResponseIsPKCS7(t *testing.T) {
	f := newFixture(t)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.anchor}}}).Get(f.srv.URL + PathPrefix + "cacerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/pkcs7-mime; smime-type=certs-only" {
		t.Errorf("Content-Type = %q", ct)
	}
	der, err := decodeBase64(body)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil || len(p7.Certificates) != 1 || !p7.Certificates[0].Equal(f.backend.ca.Cert) {
		t.Fatalf("pkcs7.Parse = %v, %v", p7, err)
	}
}

func bigOne() *big.Int { return big.NewInt(1) }
