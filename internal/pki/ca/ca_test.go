package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/iotsec/iotsec/internal/pki"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

// seeded is a deterministic rand for serials and nonces.
func seeded(seed byte) io.Reader { return mrand.NewChaCha8([32]byte{seed}) }

func newCA(t testing.TB, alg Algorithm) *CA {
	t.Helper()
	c, err := New(Config{Subject: pkix.Name{CommonName: "Acme Devices CA " + string(alg), Organization: []string{"Acme"}},
		Algorithm: alg, Rand: seeded(1), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func csr(t testing.TB, key crypto.Signer, cn string) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn, SerialNumber: cn}, DNSNames: []string{cn + ".local"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewAlgorithms(t *testing.T) {
	for _, alg := range []Algorithm{ECDSAP256, ECDSAP384, Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			c := newCA(t, alg)
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			leaf, err := c.Issue(csr(t, key, "dev-1"), IssueOptions{})
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			r := pki.Verify(leaf, pki.Options{Roots: []*x509.Certificate{c.Cert}, At: t0,
				KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
				Name: "dev-1.local", Profile: pki.ProfileIDevID})
			if !r.Valid {
				t.Fatalf("issued certificate does not verify: %v", r.Problems)
			}
			if n := leaf.SerialNumber.BitLen(); n > 128 || n < 100 {
				t.Errorf("serial has %d bits, want a random 128-bit value", n)
			}
			if _, err := Load(c.Cert, c.Signer, rand.Reader, clock); err != nil {
				t.Errorf("Load(own key) = %v", err)
			}
		})
	}
}

func TestLoadRejectsOtherKey(t *testing.T) {
	c := newCA(t, ECDSAP256)
	other, _ := GenerateKey(ECDSAP256, rand.Reader)
	if _, err := Load(c.Cert, other, rand.Reader, clock); err == nil {
		t.Fatal("Load accepted a key that does not match the certificate")
	}
}

func TestSerialDeterministicAndDistinct(t *testing.T) {
	a, _ := Serial(seeded(7))
	b, _ := Serial(seeded(7))
	if a.Cmp(b) != 0 {
		t.Errorf("Serial with the same seed = %x and %x, want equal", a, b)
	}
	seen := map[string]bool{}
	r := seeded(8)
	for range 1000 {
		s, err := Serial(r)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.String()] || s.Sign() <= 0 {
			t.Fatalf("Serial repeated or not positive: %x", s)
		}
		seen[s.String()] = true
	}
}

func TestSealKey(t *testing.T) {
	c := newCA(t, ECDSAP256)
	kek := bytes.Repeat([]byte{0x42}, KEKSize)
	sealed, err := SealKey(c.Signer, kek, "org-1/ca-1", seeded(3))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sealed, []byte("-----BEGIN IOTSEC ENCRYPTED PRIVATE KEY-----")) {
		t.Fatalf("sealed key is not PEM: %q", sealed[:40])
	}
	k, err := OpenKey(sealed, kek, "org-1/ca-1")
	if err != nil {
		t.Fatalf("OpenKey: %v", err)
	}
	if _, err := Load(c.Cert, k, rand.Reader, clock); err != nil {
		t.Fatalf("opened key does not match the CA: %v", err)
	}
	wrong := bytes.Repeat([]byte{0x43}, KEKSize)
	for name, open := range map[string]func() (Signer, error){
		"wrong kek":   func() (Signer, error) { return OpenKey(sealed, wrong, "org-1/ca-1") },
		"wrong label": func() (Signer, error) { return OpenKey(sealed, kek, "org-2/ca-1") },
		"tampered": func() (Signer, error) {
			b := bytes.Replace(sealed, []byte("A"), []byte("B"), 1)
			return OpenKey(b, kek, "org-1/ca-1")
		},
	} {
		if _, err := open(); err == nil {
			t.Errorf("OpenKey with %s succeeded", name)
		}
	}
	if _, err := SealKey(c.Signer, kek[:16], "x", rand.Reader); err == nil {
		t.Error("SealKey accepted a 16-byte key-encryption key")
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	c := newCA(t, ECDSAP256)
	priv := c.Signer.(*localSigner).Signer.(*ecdsa.PrivateKey)
	d := priv.D.String()
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("ca", "key", c.Signer, "ca", c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c.Signer, c.Signer, c.Signer, c.Signer), fmt.Sprintf("%+v", *c), buf.String()} {
		if strings.Contains(s, d) || strings.Contains(s, priv.D.Text(16)) {
			t.Fatalf("private scalar printed: %s", s)
		}
	}
}

func TestIssueChecks(t *testing.T) {
	c := newCA(t, ECDSAP256)
	good, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	forged := csr(t, good, "dev-2")
	forged.Signature = append([]byte(nil), forged.Signature...)
	forged.Signature[len(forged.Signature)-1] ^= 1
	refuse := func(r *x509.CertificateRequest, tpl *x509.Certificate) error {
		if r.Subject.CommonName != "dev-registered" {
			return fmt.Errorf("%w: %q is not a registered device", ErrPolicy, r.Subject.CommonName)
		}
		return nil
	}
	tests := []struct {
		name    string
		req     *x509.CertificateRequest
		opts    IssueOptions
		wantErr error
	}{
		{"good", csr(t, good, "dev-1"), IssueOptions{}, nil},
		{"no proof of possession", forged, IssueOptions{}, ErrProofOfPossession},
		{"weak RSA key", csr(t, weak, "dev-3"), IssueOptions{}, ErrWeakKey},
		{"policy refuses", csr(t, good, "dev-4"), IssueOptions{Policy: refuse}, ErrPolicy},
		{"policy accepts", csr(t, good, "dev-registered"), IssueOptions{Policy: refuse}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := c.Issue(tt.req, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Issue error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (cert.IsCA || cert.Subject.CommonName != tt.req.Subject.CommonName) {
				t.Errorf("Issue gave IsCA=%v subject %q", cert.IsCA, cert.Subject)
			}
		})
	}
}

func TestPolicyCannotMintCA(t *testing.T) {
	c := newCA(t, ECDSAP256)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, err := c.Issue(csr(t, key, "dev-1"), IssueOptions{Policy: func(_ *x509.CertificateRequest, tpl *x509.Certificate) error {
		tpl.IsCA, tpl.KeyUsage = true, x509.KeyUsageCertSign
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cert.IsCA {
		t.Fatal("policy hook turned an LDevID into a CA")
	}
}

func TestCRLRevokes(t *testing.T) {
	c := newCA(t, ECDSAP384)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf, err := c.Issue(csr(t, key, "dev-1"), IssueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	der, err := c.CRL(big.NewInt(3), []Revocation{{Serial: leaf.SerialNumber, Time: t0, Reason: 1}}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	r := pki.Verify(leaf, pki.Options{Roots: []*x509.Certificate{c.Cert}, At: t0.Add(time.Hour), CRLs: []*x509.RevocationList{rl}})
	if r.Valid || r.Problems[0].Code != pki.CodeRevoked {
		t.Fatalf("Verify after revocation = %v, want %s", r.Problems, pki.CodeRevoked)
	}
	r = pki.Verify(leaf, pki.Options{Roots: []*x509.Certificate{c.Cert}, At: t0.Add(48 * time.Hour), CRLs: []*x509.RevocationList{rl}})
	if r.Valid || r.Problems[0].Code == pki.CodeRevoked && len(r.Problems) == 1 {
		t.Fatalf("Verify past nextUpdate = %v, want %s too", r.Problems, pki.CodeCRLExpired)
	}
}

type statuses map[string]Status

func (s statuses) Status(_ context.Context, serial *big.Int) (Status, error) {
	if serial.Int64() == 666 {
		return Status{}, errors.New("store down")
	}
	st, ok := s[serial.String()]
	if !ok {
		return Status{State: Unknown}, nil
	}
	return st, nil
}

func TestOCSP(t *testing.T) {
	c := newCA(t, ECDSAP256)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, _ := c.Issue(csr(t, key, "good"), IssueOptions{})
	bad, _ := c.Issue(csr(t, key, "bad"), IssueOptions{})
	unknown, _ := c.Issue(csr(t, key, "unknown"), IssueOptions{})
	revokedAt := t0.Add(-time.Hour)
	lookup := statuses{good.SerialNumber.String(): {State: Good}, bad.SerialNumber.String(): {State: Revoked, RevokedAt: revokedAt, Reason: ocsp.KeyCompromise}}
	resp, err := NewResponder(c, lookup, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(resp)
	defer srv.Close()

	for _, tt := range []struct {
		name string
		cert *x509.Certificate
		hash crypto.Hash
		get  bool
		want int
	}{
		{"good over POST", good, crypto.SHA1, false, ocsp.Good},
		{"good over GET, SHA-256 CertID", good, crypto.SHA256, true, ocsp.Good},
		{"revoked", bad, crypto.SHA1, false, ocsp.Revoked},
		{"unknown", unknown, crypto.SHA1, true, ocsp.Unknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ocsp.CreateRequest(tt.cert, c.Cert, &ocsp.RequestOptions{Hash: tt.hash})
			if err != nil {
				t.Fatal(err)
			}
			var hr *http.Response
			if tt.get {
				hr, err = http.Get(srv.URL + "/ocsp/" + strings.ReplaceAll(base64.StdEncoding.EncodeToString(req), "/", "%2F"))
			} else {
				hr, err = http.Post(srv.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(hr.Body)
			hr.Body.Close()
			r, err := ocsp.ParseResponseForCert(body, tt.cert, c.Cert)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if r.Status != tt.want {
				t.Errorf("status = %d, want %d", r.Status, tt.want)
			}
			if tt.want == ocsp.Revoked && (!r.RevokedAt.Equal(revokedAt) || r.RevocationReason != ocsp.KeyCompromise) {
				t.Errorf("revoked at %v reason %d, want %v reason %d", r.RevokedAt, r.RevocationReason, revokedAt, ocsp.KeyCompromise)
			}
			if !r.NextUpdate.Equal(t0.Add(time.Hour)) {
				t.Errorf("nextUpdate = %v, want %v", r.NextUpdate, t0.Add(time.Hour))
			}
		})
	}

	other := newCA(t, ECDSAP256)
	foreign, _ := other.Issue(csr(t, key, "x"), IssueOptions{})
	foreignReq, _ := ocsp.CreateRequest(foreign, other.Cert, nil)
	down, _ := ocsp.CreateRequest(&x509.Certificate{SerialNumber: big.NewInt(666)}, c.Cert, nil)
	for _, tt := range []struct {
		name string
		req  []byte
		want []byte
	}{
		{"garbage", []byte("not DER"), ocsp.MalformedRequestErrorResponse},
		{"oversized", make([]byte, MaxOCSPRequest+1), ocsp.MalformedRequestErrorResponse},
		{"another CA", foreignReq, ocsp.UnauthorizedErrorResponse},
		{"store down", down, ocsp.TryLaterErrorResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := resp.Respond(context.Background(), tt.req); !bytes.Equal(got, tt.want) {
				t.Errorf("Respond = %x, want %x", got, tt.want)
			}
		})
	}

	hr, err := http.Post(srv.URL, "application/ocsp-request", bytes.NewReader(make([]byte, MaxOCSPRequest+10)))
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized POST status = %d, want 413", hr.StatusCode)
	}
	if _, err := NewResponder(newCA(t, Ed25519), lookup, time.Hour); err == nil {
		t.Error("NewResponder accepted an Ed25519 CA that x/crypto/ocsp cannot sign for")
	}
}
