package app_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gsest "github.com/globalsign/est"
	"golang.org/x/crypto/ocsp"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// testKEK is the CA key-encryption key of the identity tests.
var testKEK = strings.Repeat("5a", 32)

// idServer is a running server with EST, as `iotsec serve --est-addr`
// runs it, and an organisation with an owner token.
type idServer struct {
	t         testing.TB
	app       *app.App
	url, est  string // http://main, host:port of EST
	token     string
	org       iotsec.Organisation
	productID string
}

// startIdentity starts the app on loopback with EST on its own TLS port.
func startIdentity(t testing.TB, cfg config.Config) *idServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	estLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.ESTAddr = estLn.Addr().String()
	cfg.CAKey = config.Secret(testKEK)
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeListeners(ctx, ln, estLn, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	s := &idServer{t: t, app: a, url: cfg.BaseURL, est: estLn.Addr().String()}
	bg := context.Background()
	s.org = iotsec.Organisation{Name: "Acme Sensors", Kind: iotsec.OrgManufacturer, Country: "NL"}
	must(t, a.Store.CreateOrg(bg, "test", &s.org, ""))
	owner := iotsec.System(s.org.ID, "test")
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	must(t, a.Store.CreateToken(bg, owner, &iotsec.Token{Name: "ops", Role: iotsec.RoleOwner, Hash: hash}))
	s.token = secret
	p := iotsec.Product{Name: "Soil sensor", Model: "SS-1", Class: "sensor"}
	must(t, a.Store.CreateProduct(bg, owner, &p))
	s.productID = p.ID
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call sends a JSON request with the owner's token and decodes the answer
// into out, failing unless the status is want.
func (s *idServer) call(method, path string, body any, want int, out any) []byte {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, got, want)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, got)
		}
	}
	return got
}

// get fetches a public endpoint.
func (s *idServer) get(path string) (*http.Response, []byte) {
	s.t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// maker is a manufacturer's IDevID PKI, outside iotsec.
type maker struct {
	root *ca.CA
}

func newMaker(t testing.TB, name string) *maker {
	t.Helper()
	root, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: name, Organization: []string{"Acme Sensors"}},
		Rand: rand.Reader, Now: func() time.Time { return time.Now().AddDate(-1, 0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return &maker{root: root}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csr is a device's certificate request with its unique ID as subject
// serialNumber.
func csr(t testing.TB, key crypto.Signer, serial string) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "soil sensor", SerialNumber: serial}}, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// idevid is what the maker burns into a device at the factory.
func (m *maker) idevid(t testing.TB, serial string, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	c, err := m.root.Issue(csr(t, key, serial), ca.IssueOptions{Validity: 20 * 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemOf(c *x509.Certificate) string { return string(identity.PEM(c.Raw)) }

// estClient is a device's EST client (github.com/globalsign/est).
func (s *idServer) estClient(anchor *x509.Certificate, label string, cert *x509.Certificate, key crypto.Signer) *gsest.Client {
	pool := x509.NewCertPool()
	pool.AddCert(anchor)
	c := &gsest.Client{Host: s.est, AdditionalPathSegment: label, ExplicitAnchor: pool}
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

// ocspStatus asks the server's OCSP responder about c.
func (s *idServer) ocspStatus(label string, c, issuer *x509.Certificate) *ocsp.Response {
	s.t.Helper()
	req, err := ocsp.CreateRequest(c, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.Post(s.url+"/pki/"+label+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" {
		s.t.Fatalf("OCSP = %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	r, err := ocsp.ParseResponseForCert(body, c, issuer)
	if err != nil {
		s.t.Fatalf("OCSP response: %v", err)
	}
	return r
}

// crl fetches and checks the CA's CRL and returns its entries by serial.
func (s *idServer) crl(label string, issuer *x509.Certificate) (*x509.RevocationList, map[string]int) {
	s.t.Helper()
	resp, body := s.get("/pki/" + label + "/crl")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pkix-crl" {
		s.t.Fatalf("GET CRL = %d %s", resp.StatusCode, body)
	}
	rl, err := x509.ParseRevocationList(body)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		s.t.Fatalf("CRL signature: %v", err)
	}
	out := map[string]int{}
	for _, e := range rl.RevokedCertificateEntries {
		out[e.SerialNumber.String()] = e.ReasonCode
	}
	return rl, out
}

// TestIdentityDoneMeans walks the issue's "done means" path against the
// real server, store and EST over TLS on loopback: a maker registers its
// IDevID root, a device enrols over EST with its IDevID and gets an LDevID,
// the operator sees it, an audit flags a shared key, revoking shows in the
// CRL and OCSP, and the device is decommissioned and disposed with its
// history intact. Refusals and the token path are checked on the way.
func TestIdentityDoneMeans(t *testing.T) {
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.Workers = 0
			s := startIdentity(t, cfg)
			ctx := context.Background()

			// The organisation's CA, and the maker's root registered.
			var caRec struct {
				Label, PEM string
				CRLURL     string `json:"crl_url"`
			}
			s.call("POST", "/api/v1/identity/ca", map[string]any{"name": "Acme Device CA"}, 201, &caRec)
			if caRec.Label != "acme-sensors" || caRec.CRLURL != "/pki/acme-sensors/crl" {
				t.Errorf("CA = %+v", caRec)
			}
			caCerts, err := pki.ParseCertificates([]byte(caRec.PEM))
			must(t, err)
			caCert := caCerts[0]
			mk := newMaker(t, "Acme IDevID Root")
			s.call("POST", "/api/v1/identity/roots", map[string]any{"kind": "idevid-root", "pem": pemOf(mk.root.Cert)}, 201, nil)

			// The device, registered with its IDevID, provisioned.
			devKey := newKey(t)
			idev := mk.idevid(t, "SN-0001", devKey)
			var reg identity.Identity
			s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": "SN-0001", "product_id": s.productID,
				"state": "provisioned", "idevid": pemOf(idev)}, 201, &reg)
			if reg.Status != "onboarding-only" || reg.IDevID == nil || reg.IDevID.Fingerprint != identity.Fingerprint(idev) {
				t.Fatalf("registered identity = %+v", reg)
			}
			dev := reg.Device

			// It enrols over EST with its IDevID and gets an LDevID.
			client := s.estClient(caCert, "", idev, devKey)
			got, err := client.CACerts(ctx)
			if err != nil || len(got) != 1 || !got[0].Equal(caCert) {
				t.Fatalf("cacerts = %v, %v", got, err)
			}
			attrs, err := client.CSRAttrs(ctx)
			if err != nil || len(attrs.OIDs) != 2 {
				t.Fatalf("csrattrs = %+v, %v", attrs, err)
			}
			opKey := newKey(t)
			ldev, err := client.Enroll(ctx, csr(t, opKey, "SN-0001"))
			if err != nil {
				t.Fatalf("enrol with IDevID: %v", err)
			}
			v := pki.Verify(ldev, pki.Options{Roots: []*x509.Certificate{caCert}, At: time.Now(), Name: "SN-0001",
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			if !v.Valid {
				t.Fatalf("LDevID does not verify under the CA: %v", v.Problems)
			}
			if !slices.Equal(ldev.CRLDistributionPoints, []string{s.url + "/pki/acme-sensors/crl"}) || len(ldev.OCSPServer) != 1 {
				t.Errorf("LDevID points to CRL %v, OCSP %v", ldev.CRLDistributionPoints, ldev.OCSPServer)
			}

			// The operator sees it.
			var id identity.Identity
			s.call("GET", "/api/v1/identity/devices/"+dev.ID, nil, 200, &id)
			if id.Status != "enrolled" || id.Device.State != iotsec.StateOperational || id.LDevID == nil ||
				id.LDevID.Fingerprint != identity.Fingerprint(ldev) || id.LDevID.Via != "est-idevid" {
				t.Fatalf("device identity after enrolment = status %s, state %s, ldevid %+v", id.Status, id.Device.State, id.LDevID)
			}
			if len(id.History) != 1 || id.History[0].Event != iotsec.EventEnrolment || id.History[0].Actor != "system:est" {
				t.Errorf("history after enrolment = %+v", id.History)
			}

			// Renewal with the LDevID, through the CA's label.
			renewKey := newKey(t)
			renewed, err := s.estClient(caCert, caRec.Label, ldev, opKey).Reenroll(ctx, csr(t, renewKey, "SN-0001"))
			if err != nil {
				t.Fatalf("re-enrol with the LDevID: %v", err)
			}

			// A device without an IDevID enrols once with a one-time token.
			var tokDev iotsec.Device
			s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": "SN-T", "product_id": s.productID, "state": "provisioned"}, 201,
				&struct {
					Device *iotsec.Device `json:"device"`
				}{&tokDev})
			var tok identity.EnrolToken
			s.call("POST", "/api/v1/identity/devices/"+tokDev.ID+"/tokens", map[string]any{}, 201, &tok)
			tc := s.estClient(caCert, "", nil, nil)
			tc.Username, tc.Password = "SN-T", tok.Secret
			if _, err := tc.Enroll(ctx, csr(t, newKey(t), "SN-T")); err != nil {
				t.Fatalf("enrol with a token: %v", err)
			}
			if _, err := tc.Enroll(ctx, csr(t, newKey(t), "SN-T")); estStatus(err) != http.StatusUnauthorized {
				t.Errorf("second use of the token: %v, want 401", err)
			}

			// Refusals.
			rogue := newMaker(t, "Rogue Root")
			rogueKey := newKey(t)
			rogueID := rogue.idevid(t, "SN-0001", rogueKey)
			susKey := newKey(t)
			susID := mk.idevid(t, "SN-SUS", susKey)
			s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": "SN-SUS", "product_id": s.productID, "state": "manufactured", "idevid": pemOf(susID)}, 201, nil)
			for _, tt := range []struct {
				name   string
				do     func() error
				status int
			}{
				{"no credentials", func() error {
					_, err := s.estClient(caCert, "", nil, nil).Enroll(ctx, csr(t, newKey(t), "SN-0001"))
					return err
				}, 401},
				{"IDevID of an unregistered root", func() error {
					_, err := s.estClient(caCert, "", rogueID, rogueKey).Enroll(ctx, csr(t, newKey(t), "SN-0001"))
					return err
				}, 403},
				{"device not yet provisioned", func() error {
					_, err := s.estClient(caCert, "", susID, susKey).Enroll(ctx, csr(t, newKey(t), "SN-SUS"))
					return err
				}, 403},
				{"CSR for another device", func() error {
					_, err := s.estClient(caCert, "", idev, devKey).Enroll(ctx, csr(t, newKey(t), "SN-T"))
					return err
				}, 403},
				{"unknown CA label", func() error {
					_, err := s.estClient(caCert, "nope", idev, devKey).Enroll(ctx, csr(t, newKey(t), "SN-0001"))
					return err
				}, 404},
				{"renewal with an IDevID", func() error {
					_, err := s.estClient(caCert, "", idev, devKey).Reenroll(ctx, csr(t, newKey(t), "SN-0001"))
					return err
				}, 403},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if got := estStatus(tt.do()); got != tt.status {
						t.Errorf("status %d, want %d", got, tt.status)
					}
				})
			}

			// An audit flags a shared key: two devices whose IDevIDs carry
			// one key (a cloned secure element).
			cloned := newKey(t)
			for _, sn := range []string{"SN-C1", "SN-C2"} {
				s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": sn, "product_id": s.productID,
					"idevid": pemOf(mk.idevid(t, sn, cloned))}, 201, nil)
			}
			var audit struct{ Items []identity.Finding }
			s.call("GET", "/api/v1/identity/audit", nil, 200, &audit)
			var shared *identity.Finding
			for i, f := range audit.Items {
				if f.Rule == pki.RuleSharedKey {
					shared = &audit.Items[i]
				}
			}
			if shared == nil || !slices.Equal(shared.DeviceUIDs, []string{"SN-C1", "SN-C2"}) || shared.Severity != pki.High {
				t.Fatalf("audit findings = %+v, want a shared key on SN-C1 and SN-C2", audit.Items)
			}

			// Revoking shows in the CRL and OCSP at once.
			if r := s.ocspStatus(caRec.Label, ldev, caCert); r.Status != ocsp.Good {
				t.Errorf("OCSP before revocation = %d, want good", r.Status)
			}
			var certs struct{ Items []iotsec.DeviceCert }
			s.call("GET", "/api/v1/identity/certificates?kind=ldevid&device_id="+dev.ID, nil, 200, &certs)
			if len(certs.Items) != 2 {
				t.Fatalf("%d LDevIDs of the device, want 2", len(certs.Items))
			}
			var first iotsec.DeviceCert
			for _, c := range certs.Items {
				if c.Fingerprint == identity.Fingerprint(ldev) {
					first = c
				}
			}
			s.call("POST", "/api/v1/identity/certificates/"+first.ID+"/revoke", map[string]any{"reason": "keyCompromise"}, 200, nil)
			s.call("POST", "/api/v1/identity/certificates/"+first.ID+"/revoke", map[string]any{"reason": "keyCompromise"}, 409, nil)
			rl, entries := s.crl(caRec.Label, caCert)
			if entries[ldev.SerialNumber.String()] != 1 || len(entries) != 1 {
				t.Errorf("CRL %d entries %v, want the first LDevID as keyCompromise (1)", rl.Number, entries)
			}
			if r := s.ocspStatus(caRec.Label, ldev, caCert); r.Status != ocsp.Revoked || r.RevocationReason != ocsp.KeyCompromise {
				t.Errorf("OCSP after revocation = status %d reason %d, want revoked, keyCompromise", r.Status, r.RevocationReason)
			}
			if r := s.ocspStatus(caRec.Label, renewed, caCert); r.Status != ocsp.Good {
				t.Errorf("OCSP of the renewed LDevID = %d, want good", r.Status)
			}
			// A revoked LDevID no longer renews.
			if _, err := s.estClient(caCert, "", ldev, opKey).Reenroll(ctx, csr(t, newKey(t), "SN-0001")); estStatus(err) != 403 {
				t.Errorf("re-enrol with the revoked LDevID: %v, want 403", err)
			}

			// Decommissioned (with the wipe evidence) and disposed.
			s.call("POST", "/api/v1/identity/devices/"+dev.ID+"/transitions", map[string]any{"to": "decommissioned"}, 400, nil)
			s.call("POST", "/api/v1/identity/devices/"+dev.ID+"/transitions", map[string]any{"to": "disposed", "evidence": "x"}, 409, nil)
			var dec iotsec.Transition
			s.call("POST", "/api/v1/identity/devices/"+dev.ID+"/transitions", map[string]any{"to": "decommissioned",
				"evidence": "NIST SP 800-88 purge by WipeTool 4.2, report W-1138", "note": "end of field trial"}, 201, &dec)
			if dec.Credentials != iotsec.RevokeCredentials || dec.Changed != 1 {
				t.Errorf("decommission = %+v, want the renewed LDevID revoked", dec)
			}
			_, entries = s.crl(caRec.Label, caCert)
			if entries[renewed.SerialNumber.String()] != 5 {
				t.Errorf("CRL entries after decommissioning = %v, want the renewed LDevID as cessationOfOperation (5)", entries)
			}
			if r := s.ocspStatus(caRec.Label, renewed, caCert); r.Status != ocsp.Revoked || r.RevocationReason != ocsp.CessationOfOperation {
				t.Errorf("OCSP after decommissioning = %d/%d", r.Status, r.RevocationReason)
			}
			s.call("POST", "/api/v1/identity/devices/"+dev.ID+"/transitions", map[string]any{"to": "disposed",
				"evidence": "Shredded by GreenCycle BV, certificate of destruction GC-2026-0412"}, 201, nil)
			if _, err := client.Enroll(ctx, csr(t, newKey(t), "SN-0001")); estStatus(err) != 403 {
				t.Errorf("enrolment of a disposed device: %v, want 403", err)
			}

			// History intact.
			s.call("GET", "/api/v1/identity/devices/"+dev.ID, nil, 200, &id)
			var steps []string
			for _, h := range id.History {
				steps = append(steps, h.Event+":"+string(h.From)+">"+string(h.To))
			}
			want := []string{"enrolment:provisioned>operational", "transition:operational>decommissioned", "transition:decommissioned>disposed"}
			if !slices.Equal(steps, want) || !strings.Contains(id.History[1].Evidence, "W-1138") || !strings.Contains(id.History[2].Evidence, "GC-2026-0412") {
				t.Errorf("history = %v %+v", steps, id.History)
			}
			if id.Status != "retired" || id.IDevID == nil || len(id.Certificates) != 3 || len(id.Next) != 0 {
				t.Errorf("identity after disposal: status %s, IDevID %v, %d certificates, next %v", id.Status, id.IDevID != nil, len(id.Certificates), id.Next)
			}
			s.call("DELETE", "/api/v1/devices/"+dev.ID, nil, 409, nil)
			events, err := s.app.Store.ListAudit(ctx, iotsec.System(s.org.ID, "t"), iotsec.AuditFilter{Limit: 1000})
			must(t, err)
			seen := map[string]bool{}
			for _, e := range events {
				seen[e.Action] = true
			}
			for _, a := range []string{"identity.ca.create", "identity.anchor.add", "identity.cert.add", "identity.enrol", "identity.token.create", "identity.cert.revoke", "device.transition"} {
				if !seen[a] {
					t.Errorf("audit log has no %s event", a)
				}
			}
		})
	}
}

// TestESTServerCertificate: without a configured certificate, the EST
// server presents one from the organisation's CA for its host names.
func TestESTServerCertificate(t *testing.T) {
	cfg := config.Default()
	cfg.Data, cfg.Workers = t.TempDir(), 0
	s := startIdentity(t, cfg)
	var caRec struct{ PEM string }
	s.call("POST", "/api/v1/identity/ca", map[string]any{}, 201, &caRec)
	cs, _ := pki.ParseCertificates([]byte(caRec.PEM))
	got, err := s.estClient(cs[0], "", nil, nil).CACerts(context.Background())
	if err != nil || len(got) != 1 {
		t.Fatalf("cacerts over TLS with a certificate from the CA: %v", err)
	}
	// Plain HTTP on the EST port is refused by TLS.
	resp, err := http.Get("http://" + s.est + "/.well-known/est/cacerts")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("EST answered plain HTTP")
		}
	}
}

// TestCRLRefreshJob: the periodic job makes a CRL for every CA, so one
// exists (and stays fresh) even when nobody fetched it.
func TestCRLRefreshJob(t *testing.T) {
	cfg := config.Default()
	cfg.Data, cfg.Workers = t.TempDir(), 0
	cfg.CAKey = config.Secret(testKEK)
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	must(t, err)
	defer a.Close()
	o := iotsec.Organisation{Name: "Acme", Country: "DE"}
	must(t, a.Store.CreateOrg(context.Background(), "t", &o, ""))
	rec, err := a.Identity.InitCA(context.Background(), iotsec.System(o.ID, "t"), identity.CAOptions{})
	must(t, err)
	a.Close()

	cfg.Workers = 1
	a2, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	must(t, err)
	defer a2.Close()
	serve(t, a2) // the job runs at start
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, _, err := a2.Store.LatestCRL(context.Background(), rec.ID)
		if err == nil && c.Number >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CRL 20 s after start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKEKNeverLogged: the key-encryption key appears in no log line or
// response, whatever happens.
func TestKEKNeverLogged(t *testing.T) {
	var buf syncBuffer
	cfg := config.Default()
	cfg.Data, cfg.Workers, cfg.LogLevel = t.TempDir(), 0, "debug"
	cfg.CAKey = config.Secret(testKEK)
	log := newTextLogger(&buf)
	a, err := app.New(context.Background(), cfg, log, app.Options{})
	must(t, err)
	defer a.Close()
	log.Info("config", "config", cfg)
	kek, _ := hex.DecodeString(testKEK)
	if s := buf.String(); strings.Contains(s, testKEK) || strings.Contains(s, string(kek)) || !strings.Contains(s, "[redacted]") {
		t.Errorf("log shows the key, or no redaction:\n%s", s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestDemoIdentity: with a CA key-encryption key, the demo seeds a CA, a
// maker's root, onboarding identities and LDevIDs, and findings for the
// audit to show.
func TestDemoIdentity(t *testing.T) {
	cfg := config.Default()
	cfg.Data, cfg.Workers = t.TempDir(), 0
	cfg.CAKey = config.Secret(testKEK)
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	must(t, err)
	defer a.Close()
	if _, err := a.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	orgs, _ := a.Store.ListOrgs(context.Background())
	var act iotsec.Actor
	for _, o := range orgs {
		if o.Name == app.DemoOrg {
			act = iotsec.System(o.ID, "t")
		}
	}
	certs, err := a.Store.ListCertificates(context.Background(), act, iotsec.CertFilter{Limit: 1000})
	must(t, err)
	kinds := map[string]int{}
	for _, c := range certs {
		kinds[string(c.Kind)+"/"+string(c.Status)]++
	}
	if kinds["idevid/active"] != 12 || kinds["ldevid/active"] < 5 || kinds["ldevid/revoked"] != 2 {
		t.Errorf("demo certificates = %v", kinds)
	}
	fs, err := a.Identity.Audit(context.Background(), act, identity.AuditOptions{})
	must(t, err)
	rules := map[pki.RuleID]bool{}
	for _, f := range fs {
		rules[f.Rule] = true
	}
	if !rules[pki.RuleSharedKey] || !rules[pki.RuleRevokedInUse] {
		t.Errorf("demo audit rules = %v, want a shared key and a revoked certificate in use", rules)
	}
	// The registry: the demo's two CLS labels, the one whose firmware
	// carries the KEV-listed kernel CVE under review.
	recs, err := a.Registry.List(context.Background(), act, iotsec.CertificationFilter{})
	must(t, err)
	statuses := map[iotsec.RecordStatus]int{}
	for _, c := range recs {
		statuses[c.Status]++
	}
	if statuses[iotsec.StatusCertified] != 1 || statuses[iotsec.StatusUnderReview] != 1 || len(orgs) != 4 {
		t.Errorf("demo registry = %v in %d organisations, want one certified and one under review, the scheme owner, and the workspace's ministry and lab",
			statuses, len(orgs))
	}
}

// TestConcurrentEnrolment runs more enrolments at once than PostgreSQL's
// pool has connections (and than SQLite has writers): each must finish,
// once, with nothing waiting on anything forever.
func TestConcurrentEnrolment(t *testing.T) {
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.Workers = 0
			s := startIdentity(t, cfg)
			var caRec struct{ PEM string }
			s.call("POST", "/api/v1/identity/ca", map[string]any{}, 201, &caRec)
			cs, _ := pki.ParseCertificates([]byte(caRec.PEM))
			mk := newMaker(t, "Root")
			s.call("POST", "/api/v1/identity/roots", map[string]any{"pem": pemOf(mk.root.Cert)}, 201, nil)
			const n = 16
			type dev struct {
				cert *x509.Certificate
				key  *ecdsa.PrivateKey
				uid  string
			}
			var devs []dev
			for i := range n {
				uid := fmt.Sprintf("C-%02d", i)
				k := newKey(t)
				c := mk.idevid(t, uid, k)
				s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": uid, "product_id": s.productID, "state": "provisioned", "idevid": pemOf(c)}, 201, nil)
				devs = append(devs, dev{c, k, uid})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			errs := make(chan error, n*3)
			for _, d := range devs {
				wg.Go(func() {
					for range 3 {
						if _, err := s.estClient(cs[0], "", d.cert, d.key).Enroll(ctx, csr(t, newKey(t), d.uid)); err != nil {
							errs <- fmt.Errorf("%s: %w", d.uid, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var certs struct{ Items []iotsec.DeviceCert }
			s.call("GET", "/api/v1/identity/certificates?kind=ldevid&limit=1000", nil, 200, &certs)
			if len(certs.Items) != n*3 {
				t.Errorf("%d LDevIDs recorded, want %d", len(certs.Items), n*3)
			}
		})
	}
}
