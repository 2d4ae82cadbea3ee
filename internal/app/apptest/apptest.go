// Package apptest is test support only: a full iotsec server (app.New on
// SQLite, no workers) with two organisations, A and B, each with one of
// everything, and the helpers that send it requests and make the
// certificates its identity routes take. The server's API tests and the
// UI's tests share it, so the fixture exists once.
//
// It also opens a migrated store on each database for the services'
// tests (Stores) and runs a loopback SMTP relay (SMTPPeer).
//
// Only _test.go files import it (internal/archtest checks). It imports
// app, the domain, the services, config, sqlstore and storetest, and makes
// its test certificates with the standard library.
package apptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
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
	"github.com/iotsec/iotsec/internal/registry"
)

// Tenant is one organisation of the fixture with one of everything.
type Tenant struct {
	Org      iotsec.Organisation
	Owner    iotsec.User
	Token    string // owner-role API token
	TokenID  string
	Product  iotsec.Product
	Firmware iotsec.FirmwareVersion
	Device   iotsec.Device
	Job      iotsec.Job
	// Scheme is a private scheme the organisation imported, in Import.
	Scheme string
	Import string
	// Identity: a maker root, an IDevID on the device, and for B a CA.
	Root     *Root
	AnchorID string
	CertID   string
	IDevKey  *ecdsa.PrivateKey
	// Supply chain (after SupplyRecords): an SBOM and a VEX statement on
	// the firmware, a CRA report and a notification.
	CRA    string
	Notice string
	// Delivery is the notification's webhook delivery, queued.
	Delivery string
	// Registry (after RegistryRecords): the organisation operates its own
	// Scheme and has granted its firmware version a certification under
	// it, so the record, its history and its label are the
	// organisation's alone.
	Certification string
	LabelID       string
}

// Actor is the tenant's owner as an actor of the store and the services.
func (g Tenant) Actor() iotsec.Actor {
	return iotsec.Actor{OrgID: g.Org.ID, UserID: g.Owner.ID, Role: iotsec.RoleOwner, Label: g.Owner.Email}
}

// SBOM is the SBOM SupplyRecords gives each organisation's firmware version.
const SBOM = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[` +
	`{"type":"application","name":"dnsmasq","version":"2.84","cpe":"cpe:2.3:a:thekelleys:dnsmasq:2.84:*:*:*:*:*:*:*"}]}`

// Fixture is a running server and its two organisations.
type Fixture struct {
	// T is the test that requests report to; a fuzz target sets it to
	// each input's test.
	T    testing.TB
	App  *app.App
	Srv  *httptest.Server
	A, B Tenant
}

// Log discards, unless IOTSEC_TEST_LOG is set: then it logs everything
// to standard error.
func Log() *slog.Logger {
	if os.Getenv("IOTSEC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// New starts a full server (SQLite, no workers) with two organisations A
// and B; B has a CA, A makes its own in the tests. Everything is closed
// when t ends.
func New(t testing.TB) *Fixture {
	t.Helper()
	return NewWith(t, nil)
}

// NewWith is New with the configuration changed by edit, if not nil,
// before the server starts: another database, other limits.
func NewWith(t testing.TB, edit func(*config.Config)) *Fixture {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	cfg.CAKey = config.Secret(strings.Repeat("42", 32))
	if edit != nil {
		edit(&cfg)
	}
	a, err := app.New(context.Background(), cfg, Log(), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	f := &Fixture{T: t, App: a, Srv: httptest.NewServer(a.Handler)}
	t.Cleanup(f.Srv.Close)
	f.A = f.tenant("Org A", "alice@a.example", "CAM-A")
	f.B = f.tenant("Org B", "bob@b.example", "CAM-B")
	if _, err := a.Identity.InitCA(context.Background(), iotsec.System(f.B.Org.ID, "test"), identity.CAOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// SupplyRecords gives an organisation's firmware version an SBOM and a
// VEX statement, a CRA report and a notification (the tenancy test needs
// one of each; the UI tests start without).
func (f *Fixture) SupplyRecords(g *Tenant) {
	t, s, ctx := f.T, f.App.Store, context.Background()
	t.Helper()
	a := iotsec.System(g.Org.ID, "test")
	_, _, err := f.App.Supply.ImportSBOM(ctx, a, g.Firmware.ID, "fixture.cdx.json", []byte(SBOM))
	Must(t, err)
	Must(t, s.AddVEX(ctx, a, &iotsec.VEXStatement{FirmwareID: g.Firmware.ID, VulnID: "CVE-2023-28450", Component: "dnsmasq",
		Status: iotsec.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path"}))
	cra := iotsec.CRAReport{FirmwareID: g.Firmware.ID, VulnID: "CVE-2023-28450", AwareAt: time.Now()}
	_, err = s.CreateCRAReport(ctx, a, &cra)
	Must(t, err)
	g.CRA = cra.ID
	notes := []iotsec.Notification{{Kind: "newly-affected", Title: g.Org.Name + " is affected", Body: "-", Link: "/supply"}}
	ds := []iotsec.Delivery{{Channel: iotsec.ChannelWebhook, Target: "https://hooks.example/" + g.Org.ID}}
	Must(t, s.AddNotifications(ctx, a, notes, ds))
	g.Notice, g.Delivery = notes[0].ID, ds[0].ID
}

// RegistryRecords makes the organisation the owner of its own Scheme in
// the registry and grants its firmware version a certification (level 1)
// under it, until 2029-12-31: a granted record with a signed label and a
// log entry that only this organisation sees (the tenancy test needs one;
// the UI tests start without). The maker and the authority are the same
// organisation, so the other one is a third party to the record.
func (f *Fixture) RegistryRecords(g *Tenant) {
	t, ctx := f.T, context.Background()
	t.Helper()
	a := iotsec.System(g.Org.ID, "test")
	Must(t, f.App.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: g.Org.ID, Scheme: g.Scheme, Role: iotsec.OperatorOwner}))
	c, err := f.App.Registry.Apply(ctx, a, g.Firmware.ID, g.Scheme, "1", "")
	Must(t, err)
	c, err = f.App.Registry.Grant(ctx, a, c.ID, registry.GrantInput{ValidUntil: iotsec.NewDate(2029, 12, 31), Reason: "fixture"})
	Must(t, err)
	g.Certification, g.LabelID = c.ID, c.LabelID
}

func (f *Fixture) tenant(name, email, model string) Tenant {
	t, s, ctx := f.T, f.App.Store, context.Background()
	t.Helper()
	var g Tenant
	g.Owner = iotsec.User{Email: email}
	Must(t, s.CreateUser(ctx, "test", &g.Owner))
	g.Org = iotsec.Organisation{Name: name, Kind: iotsec.OrgManufacturer, Country: "NL"}
	Must(t, s.CreateOrg(ctx, "test", &g.Org, g.Owner.ID))
	a := g.Actor()
	g.Product = iotsec.Product{Name: "Camera", Model: model, Class: "camera", Markets: []string{"EU"}}
	Must(t, s.CreateProduct(ctx, a, &g.Product))
	g.Firmware = iotsec.FirmwareVersion{ProductID: g.Product.ID, Version: "1.0", SupportEnd: iotsec.NewDate(2030, 1, 1)}
	Must(t, s.CreateFirmware(ctx, a, &g.Firmware))
	g.Device = iotsec.Device{UID: "SN-" + model, ProductID: g.Product.ID, FirmwareID: g.Firmware.ID}
	Must(t, s.CreateDevice(ctx, a, &g.Device))
	g.Job = iotsec.Job{Kind: "device-import"}
	Must(t, s.CreateJob(ctx, a, &g.Job, []byte("uid,product\n")))
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	tok := iotsec.Token{Name: "test", Role: iotsec.RoleOwner, Hash: hash}
	Must(t, s.CreateToken(ctx, a, &tok))
	g.Token, g.TokenID = secret, tok.ID
	g.Scheme = strings.ToLower(model) + "-label"
	res, err := f.App.Catalog.Import(ctx, a, catalog.ImportRequest{Name: g.Scheme + ".json", Data: f.SchemeBundle(g.Scheme)})
	Must(t, err)
	g.Import = res.Import.ID
	g.Root = NewRoot(t, name+" IDevID Root")
	anchors, err := f.App.Identity.AddAnchors(ctx, a, iotsec.AnchorIDevIDRoot, "", identity.PEM(g.Root.Cert.Raw))
	Must(t, err)
	g.AnchorID = anchors[0].ID
	g.IDevKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Must(t, err)
	c, _, err := f.App.Identity.RegisterIDevID(ctx, a, g.Device.ID, IDevID(t, g.Root, g.IDevKey, g.Device.UID), identity.IDevIDOptions{})
	Must(t, err)
	g.CertID = c.ID
	return g
}

// SchemeBundle is an OSCAL bundle of a scheme owner's label: the PSTI
// export under another slug, with its mapping onto EN 303 645.
func (f *Fixture) SchemeBundle(slug string) []byte {
	f.T.Helper()
	files, err := f.App.Catalog.ExportOSCAL(f.App.Catalog.Base(), "uk-psti")
	Must(f.T, err)
	docs := make([][]byte, len(files))
	for i, file := range files {
		docs[i] = file.Body
	}
	// A JSON array of documents: the bundle form "scheme import" still reads.
	body := append(append([]byte("["), bytes.Join(docs, []byte(","))...), ']')
	// Every uk-psti, mapping-set IDs included, so nothing clashes.
	return bytes.ReplaceAll(body, []byte(`uk-psti`), []byte(slug))
}

// Must fails the test on an error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Do sends a request with token (if any) and returns the response with
// its body read (and left readable in resp.Body).
func (f *Fixture) Do(method, path, token, contentType string, body io.Reader) (*http.Response, []byte) {
	f.T.Helper()
	req, err := http.NewRequest(method, f.Srv.URL+path, body)
	if err != nil {
		f.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := f.Srv.Client().Do(req)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.T.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, b
}

// JSON sends a JSON body (none if body is empty) with token.
func (f *Fixture) JSON(method, path, token, body string) (*http.Response, []byte) {
	f.T.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return f.Do(method, path, token, "application/json", r)
}

// JSONString is v as JSON.
func JSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Problem is an RFC 9457 problem document, as the API answers errors.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// DecodeProblem decodes a problem document, failing the test if b is
// not one.
func DecodeProblem(t testing.TB, b []byte) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem document: %v: %s", err, b)
	}
	return p
}

// Field is the field the first error names, "" if none.
func (p Problem) Field() string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Field
}

// Root is a maker's root CA of the tests: its certificate and key.
type Root struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewRoot makes a self-signed P-256 root named cn, valid from an hour ago
// for 20 years.
func NewRoot(t testing.TB, cn string) *Root {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Must(t, err)
	now := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	tpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: cn},
		NotBefore: now, NotAfter: now.Add(20 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId: keyID(t, &key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	Must(t, err)
	c, err := x509.ParseCertificate(der)
	Must(t, err)
	return &Root{Cert: c, Key: key}
}

// IDevID is a maker's IDevID for a device with key and serial number,
// issued by root for ten years, PEM.
func IDevID(t testing.TB, root *Root, key *ecdsa.PrivateKey, serialNumber string) []byte {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	tpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: "camera", SerialNumber: serialNumber},
		NotBefore: now, NotAfter: now.Add(10 * 365 * 24 * time.Hour), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		SubjectKeyId: keyID(t, &key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, root.Cert, &key.PublicKey, root.Key)
	Must(t, err)
	return identity.PEM(der)
}

// NewRootPEM is a fresh maker root, PEM.
func NewRootPEM(t testing.TB) string {
	t.Helper()
	return string(identity.PEM(NewRoot(t, "Another Root").Cert.Raw))
}

// CSRPEM is a device's CSR with a fresh key, PEM.
func CSRPEM(t testing.TB, serialNumber string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Must(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "camera", SerialNumber: serialNumber}}, key)
	Must(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// serial is a random positive 128-bit certificate serial number.
func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	Must(t, err)
	return n.Add(n, big.NewInt(1))
}

// keyID is a subject key identifier: the leftmost 160 bits of the SHA-256
// of the public key's point (RFC 7093 method 1).
func keyID(t testing.TB, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	k, err := pub.ECDH()
	Must(t, err)
	sum := sha256.Sum256(k.Bytes())
	return sum[:20]
}

// Demo is a running server (SQLite, no workers) seeded as `serve --demo`
// seeds it: the demo organisation's products, firmware, devices, supply
// chain and identity records, and its admin.
type Demo struct {
	App *app.App
	Srv *httptest.Server
	// Link is the path of a one-time sign-in link for the demo admin.
	Link string
}

// NewDemo starts a server with the demo seed on a fresh data directory.
// Everything is closed when t ends.
func NewDemo(t testing.TB) *Demo {
	t.Helper()
	cfg := config.Default()
	cfg.Data = t.TempDir()
	cfg.Workers = 0
	cfg.CAKey = config.Secret(strings.Repeat("42", 32))
	// The server's own address is its public URL, so that what the demo
	// links to (a label's QR code) is this server.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Must(t, err)
	cfg.BaseURL = "http://" + ln.Addr().String()
	a, err := app.New(context.Background(), cfg, Log(), app.Options{})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	link, err := a.SeedDemo(context.Background())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	i := strings.Index(link, "/login/link/")
	if i < 0 {
		ln.Close()
		t.Fatalf("demo sign-in link %q", link)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.Handler}}
	srv.Start()
	d := &Demo{App: a, Srv: srv, Link: link[i:]}
	t.Cleanup(d.Srv.Close)
	return d
}
