package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// org is one tenant of the fixture with one of everything.
type org struct {
	o        iotsec.Organisation
	owner    iotsec.User
	token    string // owner-role API token
	tokenID  string
	product  iotsec.Product
	firmware iotsec.FirmwareVersion
	device   iotsec.Device
	job      iotsec.Job
	// scheme is a private scheme the organisation imported, in import.
	scheme string
	imp    string
	// Identity: a maker root, an IDevID on the device, and for B a CA.
	root     *ca.CA
	anchorID string
	certID   string
	idevKey  *ecdsa.PrivateKey
	// Supply chain: an SBOM and a VEX statement on the firmware, a CRA
	// report and a notification.
	cra    string
	notice string
	// delivery is the notification's webhook delivery, queued.
	delivery string
}

// fixtureSBOM is the SBOM each organisation's firmware version has.
const fixtureSBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[` +
	`{"type":"application","name":"dnsmasq","version":"2.84","cpe":"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*"}]}`

type fixture struct {
	t    testing.TB
	app  *app.App
	srv  *httptest.Server
	a, b org
}

func quietLog() *slog.Logger {
	if os.Getenv("IOTSEC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newFixture starts a full server (SQLite, no workers) with two
// organisations A and B.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	cfg.CAKey = config.Secret(strings.Repeat("42", 32))
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f := &fixture{t: t, app: a, srv: httptest.NewServer(a.Handler)}
	t.Cleanup(f.srv.Close)
	f.a = f.tenant("Org A", "alice@a.example", "CAM-A")
	f.b = f.tenant("Org B", "bob@b.example", "CAM-B")
	// B has a CA; A makes its own in the tests.
	if _, err := a.Identity.InitCA(context.Background(), iotsec.System(f.b.o.ID, "test"), identity.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// supplyRecords gives an organisation's firmware version an SBOM and a
// VEX statement, a CRA report and a notification (the tenancy test needs
// one of each; the UI tests start without).
func (f *fixture) supplyRecords(g *org) {
	t, s, ctx := f.t, f.app.Store, context.Background()
	t.Helper()
	a := iotsec.System(g.o.ID, "test")
	_, _, err := f.app.Supply.ImportSBOM(ctx, a, g.firmware.ID, "fixture.cdx.json", []byte(fixtureSBOM))
	must(t, err)
	must(t, s.AddVEX(ctx, a, &iotsec.VEXStatement{FirmwareID: g.firmware.ID, VulnID: "CVE-2023-28450", Component: "dnsmasq",
		Status: iotsec.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"}))
	cra := iotsec.CRAReport{FirmwareID: g.firmware.ID, VulnID: "CVE-2023-28450", AwareAt: time.Now()}
	_, err = s.CreateCRAReport(ctx, a, &cra)
	must(t, err)
	g.cra = cra.ID
	notes := []iotsec.Notification{{Kind: "newly-affected", Title: g.o.Name + " is affected", Body: "-", Link: "/supply"}}
	ds := []iotsec.Delivery{{Channel: iotsec.ChannelWebhook, Target: "https://hooks.example/" + g.o.ID}}
	must(t, s.AddNotifications(ctx, a, notes, ds))
	g.notice, g.delivery = notes[0].ID, ds[0].ID
}

func (f *fixture) tenant(name, email, model string) org {
	t, s, ctx := f.t, f.app.Store, context.Background()
	t.Helper()
	var g org
	g.owner = iotsec.User{Email: email}
	must(t, s.CreateUser(ctx, "test", &g.owner))
	g.o = iotsec.Organisation{Name: name, Kind: iotsec.OrgManufacturer, Country: "NL"}
	must(t, s.CreateOrg(ctx, "test", &g.o, g.owner.ID))
	a := iotsec.Actor{OrgID: g.o.ID, UserID: g.owner.ID, Role: iotsec.RoleOwner, Label: email}
	g.product = iotsec.Product{Name: "Camera", Model: model, Class: "camera", Markets: []string{"EU"}}
	must(t, s.CreateProduct(ctx, a, &g.product))
	g.firmware = iotsec.FirmwareVersion{ProductID: g.product.ID, Version: "1.0", SupportEnd: iotsec.NewDate(2030, 1, 1)}
	must(t, s.CreateFirmware(ctx, a, &g.firmware))
	g.device = iotsec.Device{UID: "SN-" + model, ProductID: g.product.ID, FirmwareID: g.firmware.ID}
	must(t, s.CreateDevice(ctx, a, &g.device))
	g.job = iotsec.Job{Kind: "device-import"}
	must(t, s.CreateJob(ctx, a, &g.job, []byte("uid,product\n")))
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	tok := iotsec.Token{Name: "test", Role: iotsec.RoleOwner, Hash: hash}
	must(t, s.CreateToken(ctx, a, &tok))
	g.token, g.tokenID = secret, tok.ID
	g.scheme = strings.ToLower(model) + "-label"
	res, err := f.app.Catalog.Import(ctx, a, catalog.ImportRequest{Name: g.scheme + ".json", Data: f.schemeBundle(g.scheme)})
	must(t, err)
	g.imp = res.Import.ID
	g.root, err = ca.New(ca.Config{Subject: pkix.Name{CommonName: name + " IDevID Root"}, Rand: rand.Reader, Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	must(t, err)
	anchors, err := f.app.Identity.AddAnchors(ctx, a, iotsec.AnchorIDevIDRoot, "", identity.PEM(g.root.Cert.Raw))
	must(t, err)
	g.anchorID = anchors[0].ID
	g.idevKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c, _, err := f.app.Identity.RegisterIDevID(ctx, a, g.device.ID, idevid(t, g.root, g.idevKey, g.device.UID), identity.IDevIDOptions{})
	must(t, err)
	g.certID = c.ID
	return g
}

// idevid is a maker's IDevID for a device, PEM.
func idevid(t testing.TB, root *ca.CA, key *ecdsa.PrivateKey, serial string) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "camera", SerialNumber: serial}}, key)
	must(t, err)
	csr, err := x509.ParseCertificateRequest(der)
	must(t, err)
	c, err := root.Issue(csr, ca.IssueOptions{Validity: 10 * 365 * 24 * time.Hour})
	must(t, err)
	return identity.PEM(c.Raw)
}

// newRootPEM is a fresh maker root, PEM.
func newRootPEM(t testing.TB) string {
	t.Helper()
	r, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: "Another Root"}, Rand: rand.Reader, Now: time.Now})
	must(t, err)
	return string(identity.PEM(r.Cert.Raw))
}

// csrPEM is a device's CSR, PEM.
func csrPEM(t testing.TB, serial string) string {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "camera", SerialNumber: serial}}, key)
	must(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// schemeBundle is an OSCAL bundle of a scheme owner's label: the PSTI
// export under another slug, with its mapping onto EN 303 645.
func (f *fixture) schemeBundle(slug string) []byte {
	f.t.Helper()
	file, err := f.app.Catalog.Export(f.app.Catalog.Base(), "uk-psti", catalog.FormatOSCAL)
	must(f.t, err)
	return bytes.ReplaceAll(file.Body, []byte(`"uk-psti"`), []byte(`"`+slug+`"`))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// do sends a request with token (if any) and returns the response with
// its body read.
func (f *fixture) do(method, path, token, contentType string, body io.Reader) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp, b
}

func (f *fixture) json(method, path, token, body string) (*http.Response, []byte) {
	f.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return f.do(method, path, token, "application/json", r)
}

// problem decodes a problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, b []byte) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, b)
	}
	return p
}

func (p problem) field() string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Field
}
