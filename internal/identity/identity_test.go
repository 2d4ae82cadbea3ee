package identity_test

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
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/app/apptest"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"golang.org/x/crypto/ocsp"

	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

var kek = bytes.Repeat([]byte{7}, 32)

// env is a store, a service and one organisation with a product.
type env struct {
	t       *testing.T
	ctx     context.Context
	store   *sqlstore.Store
	svc     *identity.Service
	clock   *apptest.Clock
	a       iotsec.Actor
	product string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := apptest.NewClock(time.Now().UTC().Truncate(time.Second))
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "iotsec.db"), sqlstore.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := identity.New(s, kek, nil)
	svc.Now = c.Now
	e := &env{t: t, ctx: context.Background(), store: s, svc: svc, clock: c}
	e.a, e.product = e.org("Acme")
	return e
}

// org makes an organisation with a product SS-1 and returns its owner.
func (e *env) org(name string) (iotsec.Actor, string) {
	e.t.Helper()
	o := iotsec.Organisation{Name: name, Country: "NL"}
	must(e.t, e.store.CreateOrg(e.ctx, "t", &o, ""))
	a := iotsec.System(o.ID, "t")
	p := iotsec.Product{Name: "Sensor", Model: "SS-1"}
	must(e.t, e.store.CreateProduct(e.ctx, a, &p))
	return a, p.ID
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func csr(t testing.TB, key crypto.Signer, tpl x509.CertificateRequest) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &tpl, key)
	must(t, err)
	c, err := x509.ParseCertificateRequest(der)
	must(t, err)
	return c
}

func csrFor(t testing.TB, key crypto.Signer, serial string) *x509.CertificateRequest {
	return csr(t, key, x509.CertificateRequest{Subject: pkix.Name{CommonName: "sensor", SerialNumber: serial}})
}

func csrPEM(c *x509.CertificateRequest) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: c.Raw})
}

func newRoot(t testing.TB, cn string) *ca.CA {
	t.Helper()
	r, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: cn}, Rand: rand.Reader, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	must(t, err)
	return r
}

func idevid(t testing.TB, root *ca.CA, key *ecdsa.PrivateKey, serial string) *x509.Certificate {
	t.Helper()
	c, err := root.Issue(csrFor(t, key, serial), ca.IssueOptions{Validity: 20 * 365 * 24 * time.Hour})
	must(t, err)
	return c
}

// device registers a device with an IDevID from root, in state.
func (e *env) device(a iotsec.Actor, product string, root *ca.CA, uid string, state iotsec.State) (iotsec.Device, *x509.Certificate, *ecdsa.PrivateKey) {
	e.t.Helper()
	key := newKey(e.t)
	cert := idevid(e.t, root, key, uid)
	d, _, err := e.svc.Register(e.ctx, a, identity.Registration{Device: iotsec.Device{UID: uid, ProductID: product, State: state}, IDevID: identity.PEM(cert.Raw)})
	must(e.t, err)
	return d, cert, key
}

// estServer serves the service's EST over TLS on loopback, as the app does.
func (e *env) estServer() (*httptest.Server, *x509.CertPool) {
	srv := httptest.NewUnstartedServer(e.svc.EST(nil))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	e.t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

func estClient(srv *httptest.Server, pool *x509.CertPool, cert *x509.Certificate, key crypto.Signer) *gsest.Client {
	c := &gsest.Client{Host: srv.Listener.Addr().String(), ExplicitAnchor: pool}
	if cert != nil {
		c.Certificates, c.PrivateKey = []*x509.Certificate{cert}, key
	}
	return c
}

func estError(err error) (int, string) {
	var e gsest.Error
	if errors.As(err, &e) {
		return e.StatusCode(), err.Error()
	}
	return 0, ""
}

// pkiServer serves the public CRL and OCSP routes.
func (e *env) pkiServer() *httptest.Server {
	mux := http.NewServeMux()
	for _, r := range e.svc.Routes() {
		mux.Handle(r.Method+" "+r.Path, r.Handler)
	}
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv
}

func (e *env) crlEntries(srv *httptest.Server, label string) map[string]int {
	e.t.Helper()
	resp, err := http.Get(srv.URL + "/pki/" + label + "/crl")
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		e.t.Fatalf("CRL: %d %s", resp.StatusCode, b)
	}
	rl, err := x509.ParseRevocationList(b)
	must(e.t, err)
	out := map[string]int{}
	for _, en := range rl.RevokedCertificateEntries {
		out[strings.ToUpper(en.SerialNumber.Text(16))] = en.ReasonCode
	}
	return out
}

func (e *env) ocsp(srv *httptest.Server, label string, c, issuer *x509.Certificate) *ocsp.Response {
	e.t.Helper()
	req, err := ocsp.CreateRequest(c, issuer, nil)
	must(e.t, err)
	// GET with the request in the path, as RFC 6960 appendix A allows.
	resp, err := http.Get(srv.URL + "/pki/" + label + "/ocsp/" + url.PathEscape(b64(req)))
	must(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r, err := ocsp.ParseResponseForCert(b, c, issuer)
	if err != nil {
		e.t.Fatalf("OCSP (%d): %v", resp.StatusCode, err)
	}
	return r
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func caCert(t testing.TB, rec iotsec.CertAuthority) *x509.Certificate {
	c, err := x509.ParseCertificate(rec.DER)
	must(t, err)
	return c
}

// TestAnchorCRLRefusesEnrolment: a maker's CRL added to its root stops the
// IDevIDs it lists from enrolling, and only the root's own, newer CRLs are
// taken.
func TestAnchorCRLRefusesEnrolment(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{})
	must(t, err)
	root := newRoot(t, "Maker Root")
	anchors, err := e.svc.AddAnchors(e.ctx, e.a, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw))
	must(t, err)
	_, good, goodKey := e.device(e.a, e.product, root, "SN-1", iotsec.StateProvisioned)
	_, bad, badKey := e.device(e.a, e.product, root, "SN-2", iotsec.StateProvisioned)

	crlDER := func(signer *ca.CA, n int64, serials ...*big.Int) []byte {
		var rs []ca.Revocation
		for _, s := range serials {
			rs = append(rs, ca.Revocation{Serial: s, Time: time.Now().Add(-time.Minute), Reason: 1})
		}
		der, err := signer.CRL(big.NewInt(n), rs, 24*time.Hour)
		must(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	}
	other := newRoot(t, "Maker Root") // same name, other key
	_, err = e.svc.AddAnchorCRL(e.ctx, e.a, anchors[0].ID, crlDER(other, 5, bad.SerialNumber))
	if iotsec.FieldOf(err) != "crl" {
		t.Errorf("CRL of another key = %v, want refused", err)
	}
	_, err = e.svc.AddAnchorCRL(e.ctx, e.a, anchors[0].ID, crlDER(root, 5, bad.SerialNumber))
	must(t, err)
	_, err = e.svc.AddAnchorCRL(e.ctx, e.a, anchors[0].ID, crlDER(root, 4))
	if iotsec.Kind(err) != iotsec.ErrConflict {
		t.Errorf("older CRL = %v, want conflict", err)
	}

	srv, pool := e.estServer()
	if _, err := estClient(srv, pool, good, goodKey).Enroll(e.ctx, csrFor(t, newKey(t), "SN-1")); err != nil {
		t.Errorf("enrolment of an IDevID the CRL does not list: %v", err)
	}
	_, err = estClient(srv, pool, bad, badKey).Enroll(e.ctx, csrFor(t, newKey(t), "SN-2"))
	if code, msg := estError(err); code != 403 || !strings.Contains(msg, "revocation.revoked") {
		t.Errorf("enrolment of a listed IDevID = %d %q, want 403 revocation.revoked", code, msg)
	}
	// Registering another identity the CRL lists is refused too.
	_, _, err = e.svc.Register(e.ctx, e.a, identity.Registration{Device: iotsec.Device{UID: "SN-2b", ProductID: e.product}, IDevID: identity.PEM(bad.Raw)})
	if iotsec.FieldOf(err) != "pem" || !strings.Contains(err.Error(), "revocation.revoked") {
		t.Errorf("registering a revoked IDevID = %v", err)
	}
}

// TestRegistryRevocationAndHold: revoking an onboarding identity in the
// registry stops its enrolment; suspending holds LDevIDs in the CRL and
// OCSP (certificateHold) and resuming releases them.
func TestRegistryRevocationAndHold(t *testing.T) {
	e := newEnv(t)
	rec, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{Label: "acme"})
	must(t, err)
	root := newRoot(t, "Maker Root")
	_, err = e.svc.AddAnchors(e.ctx, e.a, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw))
	must(t, err)
	d, cert, key := e.device(e.a, e.product, root, "SN-1", iotsec.StateProvisioned)

	l, err := e.svc.Issue(e.ctx, e.a, d.ID, csrPEM(csrFor(t, newKey(t), "SN-1")), "api")
	must(t, err)
	ldev, _ := x509.ParseCertificate(l.DER)
	srv := e.pkiServer()
	issuer := caCert(t, rec)
	if r := e.ocsp(srv, "acme", ldev, issuer); r.Status != ocsp.Good {
		t.Errorf("OCSP of a new LDevID = %d", r.Status)
	}
	_, err = e.svc.Transition(e.ctx, e.a, d.ID, identity.Move{To: iotsec.StateSuspended, Note: "stolen"})
	must(t, err)
	if got := e.crlEntries(srv, "acme")[l.Serial]; got != 6 {
		t.Errorf("CRL reason of a held LDevID = %d, want 6 (certificateHold)", got)
	}
	if r := e.ocsp(srv, "acme", ldev, issuer); r.Status != ocsp.Revoked || r.RevocationReason != ocsp.CertificateHold {
		t.Errorf("OCSP of a held LDevID = %d/%d", r.Status, r.RevocationReason)
	}
	_, err = e.svc.Transition(e.ctx, e.a, d.ID, identity.Move{To: iotsec.StateOperational})
	must(t, err)
	if _, listed := e.crlEntries(srv, "acme")[l.Serial]; listed {
		t.Error("a released LDevID is still on the CRL")
	}
	if r := e.ocsp(srv, "acme", ldev, issuer); r.Status != ocsp.Good {
		t.Errorf("OCSP of a released LDevID = %d", r.Status)
	}
	// Unknown serials are unknown.
	stranger := idevid(t, root, newKey(t), "X")
	if r := e.ocsp(srv, "acme", stranger, issuer); r.Status != ocsp.Unknown {
		t.Errorf("OCSP of a certificate the CA did not issue = %d, want unknown", r.Status)
	}

	// The onboarding identity revoked in the registry no longer enrols.
	id, err := e.svc.DeviceIdentity(e.ctx, e.a, d.ID)
	must(t, err)
	_, err = e.svc.Revoke(e.ctx, e.a, id.IDevID.ID, iotsec.ReasonKeyCompromise)
	must(t, err)
	estSrv, pool := e.estServer()
	_, err = estClient(estSrv, pool, cert, key).Enroll(e.ctx, csrFor(t, newKey(t), "SN-1"))
	if code, msg := estError(err); code != 403 || !strings.Contains(msg, "revoked") {
		t.Errorf("enrolment with a revoked IDevID = %d %q", code, msg)
	}
	if id, _ := e.svc.DeviceIdentity(e.ctx, e.a, d.ID); id.Status != "revoked" {
		t.Errorf("identity status = %s, want revoked", id.Status)
	}
}

// TestCRLFreshness: a CRL is reused while fresh, remade after a change or
// half way through its validity, and the refresh job makes one per CA.
func TestCRLFreshness(t *testing.T) {
	e := newEnv(t)
	rec, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{})
	must(t, err)
	b, _ := e.org("Beta")
	recB, err := e.svc.InitCA(e.ctx, b, identity.CAOptions{})
	must(t, err)
	must(t, e.svc.RefreshCRLs(e.ctx))
	for _, r := range []iotsec.CertAuthority{rec, recB} {
		if c, _, err := e.store.LatestCRL(e.ctx, r.ID); err != nil || c.Number != 1 {
			t.Errorf("after RefreshCRLs, CRL of %s = %d, %v", r.Label, c.Number, err)
		}
	}
	c1, err := e.svc.CRL(e.ctx, rec)
	must(t, err)
	if c1.Number != 1 {
		t.Errorf("fresh CRL remade: number %d", c1.Number)
	}
	e.clock.Add(identity.DefaultCRLValidity/2 + time.Minute)
	c2, err := e.svc.CRL(e.ctx, rec)
	must(t, err)
	if c2.Number != 2 || !c2.NextUpdate.After(c1.NextUpdate) {
		t.Errorf("CRL past half its validity: number %d next %v", c2.Number, c2.NextUpdate)
	}
	rl, err := x509.ParseRevocationList(c2.DER)
	must(t, err)
	must(t, rl.CheckSignatureFrom(caCert(t, rec)))
	if rl.Number.Int64() != 2 || !rl.ThisUpdate.Equal(c2.ThisUpdate) {
		t.Errorf("CRL number %v thisUpdate %v, want 2 and %v", rl.Number, rl.ThisUpdate, c2.ThisUpdate)
	}
	// A replica without the KEK still serves a valid old CRL, and says
	// why it cannot make a new one when there is none.
	ro := identity.New(e.store, nil, nil)
	ro.Now = e.clock.Now
	if c, err := ro.CRL(e.ctx, rec); err != nil || c.Number != 2 {
		t.Errorf("CRL without the KEK = %d, %v", c.Number, err)
	}
	e.clock.Add(identity.DefaultCRLValidity)
	if _, err := ro.CRL(e.ctx, rec); !errors.Is(err, identity.ErrNoKEK) {
		t.Errorf("expired CRL without the KEK: %v, want ErrNoKEK", err)
	}
	// Its public endpoint says so as 503 (the relying party may retry),
	// not as a conflict of a request that asked for nothing conflicting.
	mux := http.NewServeMux()
	for _, r := range ro.Routes() {
		mux.Handle(r.Method+" "+r.Path, r.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/pki/" + rec.Label + "/crl")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "key-encryption key") {
		t.Errorf("public CRL without the KEK = %d %s, want 503 naming the key-encryption key", resp.StatusCode, body)
	}
}

// TestKEK: a CA key opens only with the key-encryption key it was sealed
// under, and the sealed key is not the key.
func TestKEK(t *testing.T) {
	e := newEnv(t)
	rec, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{})
	must(t, err)
	root := newRoot(t, "Root")
	_, err = e.svc.AddAnchors(e.ctx, e.a, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw))
	must(t, err)
	d, _, _ := e.device(e.a, e.product, root, "SN-1", iotsec.StateProvisioned)
	other := identity.New(e.store, bytes.Repeat([]byte{8}, 32), nil)
	_, err = other.Issue(e.ctx, e.a, d.ID, csrPEM(csrFor(t, newKey(t), "SN-1")), "api")
	if iotsec.Kind(err) != iotsec.ErrConflict || !strings.Contains(err.Error(), "does not open") {
		t.Errorf("issue with the wrong KEK = %v", err)
	}
	none := identity.New(e.store, nil, nil)
	if _, err := none.InitCA(e.ctx, e.a, identity.CAOptions{}); !errors.Is(err, identity.ErrNoKEK) {
		t.Errorf("InitCA without a KEK = %v", err)
	}
	if !bytes.HasPrefix(rec.SealedKey, []byte("-----BEGIN IOTSEC ENCRYPTED PRIVATE KEY-----")) {
		t.Errorf("sealed key = %.50q", rec.SealedKey)
	}
	if _, err := x509.ParsePKCS8PrivateKey(rec.SealedKey); err == nil {
		t.Error("the stored key parses as a plain private key")
	}
}

// TestRefreshCRLsForeignKey: a CA made under another key-encryption key
// (the README's walk-through, then serve --demo on the same data) is not a
// failure to retry every hour: the refresh says so once and goes on.
func TestRefreshCRLsForeignKey(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{})
	must(t, err)
	var logs bytes.Buffer
	for _, kek := range [][]byte{bytes.Repeat([]byte{8}, 32), nil} {
		logs.Reset()
		other := identity.New(e.store, kek, slog.New(slog.NewTextHandler(&logs, nil)))
		for range 3 {
			if err := other.RefreshCRLs(e.ctx); err != nil {
				t.Errorf("RefreshCRLs with KEK %x = %v, want nil", kek, err)
			}
		}
		if n := strings.Count(logs.String(), "CRL not refreshed"); n != 1 {
			t.Errorf("KEK %x: %d warnings in three refreshes, want 1:\n%s", kek, n, logs.String())
		}
	}
	if err := e.svc.RefreshCRLs(e.ctx); err != nil {
		t.Errorf("RefreshCRLs with the right KEK = %v", err)
	}
}

// TestIssuePolicy: the CSR must name the device; SANs, weak keys and
// devices that may not enrol are refused.
func TestIssuePolicy(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{})
	must(t, err)
	d := iotsec.Device{UID: "SN-1", ProductID: e.product, State: iotsec.StateProvisioned}
	must(t, e.store.CreateDevice(e.ctx, e.a, &d))
	cnOnly := csr(t, newKey(t), x509.CertificateRequest{Subject: pkix.Name{CommonName: "SN-1"}})
	withSAN := csr(t, newKey(t), x509.CertificateRequest{Subject: pkix.Name{SerialNumber: "SN-1"}, DNSNames: []string{"bank.example"}})
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	for _, tt := range []struct {
		name string
		csr  []byte
		ok   bool
		want string
	}{
		{"serialNumber names another device", csrPEM(csrFor(t, newKey(t), "SN-2")), false, "unique ID"},
		{"subject alternative names", csrPEM(withSAN), false, "alternative names"},
		{"weak key", csrPEM(csrFor(t, p224, "SN-1")), false, "not accepted"},
		{"not a CSR", []byte("hello"), false, "csr"},
		{"CN only", csrPEM(cnOnly), true, ""},
		{"DER in base64", []byte(b64(csrFor(t, newKey(t), "SN-1").Raw)), true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.svc.Issue(e.ctx, e.a, d.ID, tt.csr, "api")
			if tt.ok {
				if err != nil {
					t.Fatalf("Issue: %v", err)
				}
				x, _ := x509.ParseCertificate(c.DER)
				if x.IsCA || x.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
					t.Errorf("issued %+v", x)
				}
				return
			}
			if iotsec.FieldOf(err) != "csr" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Issue = %v, want a csr error saying %q", err, tt.want)
			}
		})
	}
	_, err = e.svc.Transition(e.ctx, e.a, d.ID, identity.Move{To: iotsec.StateSuspended})
	must(t, err)
	if _, err := e.svc.Issue(e.ctx, e.a, d.ID, csrPEM(csrFor(t, newKey(t), "SN-1")), "api"); iotsec.Kind(err) != iotsec.ErrConflict {
		t.Errorf("Issue for a suspended device = %v", err)
	}
	// Factory reset: re-provisioning revokes the LDevIDs as superseded.
	_, err = e.svc.Transition(e.ctx, e.a, d.ID, identity.Move{To: iotsec.StateOperational})
	must(t, err)
	tr, err := e.svc.Transition(e.ctx, e.a, d.ID, identity.Move{To: iotsec.StateProvisioned})
	must(t, err)
	cs, _ := e.store.ListCertificates(e.ctx, e.a, iotsec.CertFilter{DeviceID: d.ID})
	if tr.Changed != 2 || cs[0].Reason != iotsec.ReasonSuperseded {
		t.Errorf("re-provisioning changed %d, reason %s; want 2 superseded", tr.Changed, cs[0].Reason)
	}
}

// TestTransferThenEnrol: a maker hands unsold stock to an operator, who
// trusts the maker's root; the device then enrols with the operator's CA.
func TestTransferThenEnrol(t *testing.T) {
	e := newEnv(t)
	op, opProduct := e.org("City Utilities")
	opCA, err := e.svc.InitCA(e.ctx, op, identity.CAOptions{})
	must(t, err)
	root := newRoot(t, "Maker Root")
	for _, a := range []iotsec.Actor{e.a, op} {
		_, err := e.svc.AddAnchors(e.ctx, a, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw))
		must(t, err)
	}
	d, cert, key := e.device(e.a, e.product, root, "SN-1", iotsec.StateManufactured)
	tok, err := e.svc.CreateEnrolToken(e.ctx, e.a, d.ID, time.Hour)
	must(t, err)
	offer, err := e.svc.OfferTransfer(e.ctx, e.a, d.ID, 0)
	must(t, err)
	if !strings.HasPrefix(offer.Code, iotsec.SecretTransfer) {
		t.Fatalf("offer code %q", offer.Code)
	}
	if _, err := e.svc.ClaimTransfer(e.ctx, op, offer.Code, opProduct); err != nil {
		t.Fatalf("claim: %v", err)
	}
	_, err = e.svc.Transition(e.ctx, op, d.ID, identity.Move{To: iotsec.StateProvisioned})
	must(t, err)

	srv, pool := e.estServer()
	ldev, err := estClient(srv, pool, cert, key).Enroll(e.ctx, csrFor(t, newKey(t), "SN-1"))
	if err != nil {
		t.Fatalf("enrolment after transfer: %v", err)
	}
	if err := ldev.CheckSignatureFrom(caCert(t, opCA)); err != nil {
		t.Errorf("the LDevID is not from the new owner's CA: %v", err)
	}
	// The seller's token died with the transfer.
	tc := estClient(srv, pool, nil, nil)
	tc.Password = tok.Secret
	if _, err := tc.Enroll(e.ctx, csrFor(t, newKey(t), "SN-1")); func() int { c, _ := estError(err); return c }() != 401 {
		t.Errorf("the seller's token after transfer: %v, want 401", err)
	}
	// Operational devices do not change hands.
	if _, err := e.svc.OfferTransfer(e.ctx, op, d.ID, 0); iotsec.Kind(err) != iotsec.ErrConflict {
		t.Errorf("offer of an operational device = %v", err)
	}
}

type vector struct {
	DAC string `json:"dac_cert"`
	PAI string `json:"pai_cert"`
}

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "matter", name))
	must(t, err)
	var v vector
	must(t, json.Unmarshal(b, &v))
	dac, err := hex.DecodeString(v.DAC)
	must(t, err)
	pai, err := hex.DecodeString(v.PAI)
	must(t, err)
	return identity.PEM(dac, pai)
}

// TestMatterDAC: Matter DACs register against a PAA with the matter-dac
// profile, and the PAA's CRL revokes a PAI.
func TestMatterDAC(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) // inside the vectors' validity
	paa, err := os.ReadFile("testdata/matter/Chip-Test-PAA-FFF1-Cert.der")
	must(t, err)
	anchors, err := e.svc.AddAnchors(e.ctx, e.a, iotsec.AnchorMatterPAA, "", paa)
	must(t, err)
	reg := func(uid, file string) error {
		_, _, err := e.svc.Register(e.ctx, e.a, identity.Registration{Device: iotsec.Device{UID: uid, ProductID: e.product},
			IDevID: readVector(t, file), IDevIDOptions: identity.IDevIDOptions{Profile: pki.ProfileMatterDAC}})
		return err
	}
	if err := reg("DAC-1", "struct_dac_cert_version_v3.json"); err != nil {
		t.Fatalf("valid DAC: %v", err)
	}
	if err := reg("DAC-2", "struct_dac_ext_akid_missing.json"); err == nil || !strings.Contains(err.Error(), string(pki.CodeMatterKeyID)) {
		t.Errorf("DAC without AKID: %v, want %s", err, pki.CodeMatterKeyID)
	}
	crl, err := os.ReadFile("testdata/matter/Chip-Test-PAA-FFF1-CRL.pem")
	must(t, err)
	_, err = e.svc.AddAnchorCRL(e.ctx, e.a, anchors[0].ID, crl)
	must(t, err)
	if err := reg("DAC-3", "revoked-pai.json"); err == nil || !strings.Contains(err.Error(), string(pki.CodeRevoked)) {
		t.Errorf("DAC under a revoked PAI: %v, want %s", err, pki.CodeRevoked)
	}
	// The PAI that came with the valid DAC is registered as an
	// intermediate, so the audit finds the same path.
	list, _ := e.store.ListAnchors(e.ctx, e.a)
	kinds := map[iotsec.AnchorKind]int{}
	for _, a := range list {
		kinds[a.Kind]++
	}
	if len(list) != 2 || kinds[iotsec.AnchorIntermediate] != 1 {
		t.Errorf("anchors after registering a DAC with its PAI: %v", kinds)
	}
	fs, err := e.svc.Audit(e.ctx, e.a, identity.AuditOptions{})
	must(t, err)
	for _, f := range fs {
		if f.Rule == pki.RuleIDevIDUntrusted {
			t.Errorf("audit: %+v", f)
		}
	}
}

// TestEd25519CA: an Ed25519 CA issues and publishes CRLs; it has no OCSP
// responder (golang.org/x/crypto/ocsp cannot sign with Ed25519), and says
// so.
func TestEd25519CA(t *testing.T) {
	e := newEnv(t)
	rec, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{Algorithm: ca.Ed25519, Label: "ed"})
	must(t, err)
	srv := e.pkiServer()
	if got := e.crlEntries(srv, "ed"); len(got) != 0 {
		t.Errorf("CRL entries = %v", got)
	}
	resp, err := http.Post(srv.URL+"/pki/ed/ocsp", "application/ocsp-request", strings.NewReader("x"))
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "no OCSP responder") {
		t.Errorf("OCSP of an Ed25519 CA = %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(srv.URL + "/pki/ed/ca.crt")
	must(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, rec.DER) || resp.Header.Get("Content-Type") != "application/pkix-cert" {
		t.Errorf("ca.crt = %d bytes, %s", len(b), resp.Header.Get("Content-Type"))
	}
	resp, err = http.Get(srv.URL + "/pki/nope/crl")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("CRL of an unknown CA = %d", resp.StatusCode)
	}
}

// TestDeviceIdentities: the device list's identities follow the same rule
// as one device's identity (the newest active, unexpired LDevID), page by
// page, and another organisation's devices are not listed.
func TestDeviceIdentities(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.InitCA(e.ctx, e.a, identity.CAOptions{Label: "acme"})
	must(t, err)
	root := newRoot(t, "Maker Root")
	_, err = e.svc.AddAnchors(e.ctx, e.a, iotsec.AnchorIDevIDRoot, "", identity.PEM(root.Cert.Raw))
	must(t, err)
	enrolled, _, _ := e.device(e.a, e.product, root, "SN-1", iotsec.StateProvisioned)
	_, err = e.svc.Issue(e.ctx, e.a, enrolled.ID, csrPEM(csrFor(t, newKey(t), "SN-1")), "api")
	must(t, err)
	e.device(e.a, e.product, root, "SN-2", iotsec.StateProvisioned)
	bare := iotsec.Device{UID: "SN-3", ProductID: e.product}
	must(t, e.store.CreateDevice(e.ctx, e.a, &bare))
	other, otherProduct := e.org("Other")
	must(t, e.store.CreateDevice(e.ctx, other, &iotsec.Device{UID: "SN-9", ProductID: otherProduct}))

	rows, err := e.svc.DeviceIdentities(e.ctx, e.a, iotsec.DeviceFilter{})
	must(t, err)
	got := map[string]string{}
	for _, r := range rows {
		id, err := e.svc.DeviceIdentity(e.ctx, e.a, r.Device.ID)
		must(t, err)
		same := (r.IDevID == nil) == (id.IDevID == nil) && (r.LDevID == nil) == (id.LDevID == nil) &&
			(r.LDevID == nil || r.LDevID.ID == id.LDevID.ID) && r.Status == id.Status && r.Certs == len(id.Certificates)
		if !same {
			t.Errorf("%s: list row %+v disagrees with the device's identity %+v", r.Device.UID, r, id)
		}
		got[r.Device.UID] = r.Status
	}
	want := map[string]string{"SN-1": "enrolled", "SN-2": "onboarding-only", "SN-3": "no-identity"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("identity statuses (-want +got):\n%s", diff)
	}

	// Once the LDevID has expired, neither answer counts it.
	e.clock.Add(3 * 365 * 24 * time.Hour)
	rows, err = e.svc.DeviceIdentities(e.ctx, e.a, iotsec.DeviceFilter{Query: "SN-1"})
	must(t, err)
	if len(rows) != 1 || rows[0].LDevID != nil || rows[0].Status != "onboarding-only" {
		t.Errorf("after the LDevID expired: %+v", rows)
	}
}
