package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// identityFiles writes what a maker hands over: its IDevID root, devices'
// IDevIDs (two sharing one key), a CRL, a CSR; and a rogue root's IDevID.
// Validity starts 2025-01-01, so verification at 2026-01-01 is stable.
func identityFiles(t *testing.T, dir string) {
	t.Helper()
	at := func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	newRoot := func(cn string) *ca.CA {
		r, err := ca.New(ca.Config{Subject: pkix.Name{CommonName: cn, Organization: []string{"Acme Sensors"}}, Validity: 30 * 365 * 24 * time.Hour, Rand: rand.Reader, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	write := func(name string, blocks ...*pem.Block) {
		var b []byte
		for _, bl := range blocks {
			b = append(b, pem.EncodeToMemory(bl)...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert := func(der []byte) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: der} }
	csrFor := func(key *ecdsa.PrivateKey, serial string) *x509.CertificateRequest {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "soil sensor", SerialNumber: serial}}, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificateRequest(der)
		return c
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	idevid := func(r *ca.CA, k *ecdsa.PrivateKey, serial string) *x509.Certificate {
		c, err := r.Issue(csrFor(k, serial), ca.IssueOptions{Validity: 20 * 365 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root, other, rogue := newRoot("Acme IDevID Root"), newRoot("Other Root"), newRoot("Rogue Root")
	write("root.pem", cert(root.Cert.Raw))
	write("other-root.pem", cert(other.Cert.Raw))
	write("garbage.pem", &pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	write("sn-0001.pem", cert(idevid(root, key(), "SN-0001").Raw))
	revoked := idevid(root, key(), "SN-0002")
	write("sn-0002.pem", cert(revoked.Raw))
	crl, err := root.CRL(big.NewInt(7), []ca.Revocation{{Serial: revoked.SerialNumber, Time: at().AddDate(0, 6, 0), Reason: 1}}, 3*365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	write("maker.crl", &pem.Block{Type: "X509 CRL", Bytes: crl})
	shared := key()
	write("sn-c1.pem", cert(idevid(root, shared, "SN-C1").Raw))
	write("sn-c2.pem", cert(idevid(root, shared, "SN-C2").Raw))
	write("rogue.pem", cert(idevid(rogue, key(), "SN-R").Raw))
	csr := csrFor(key(), "SN-0001")
	write("sn-0001.csr", &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw})
	write("sn-c1.csr", &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrFor(key(), "SN-C1").Raw})
}

// TestIdentityGolden runs the identity commands through a device's life:
// offline verification, the CA, a maker's root, registration, issuance,
// tokens, the audit, revocation, the CRL, decommissioning, disposal and
// transfer.
func TestIdentityGolden(t *testing.T) {
	dir := t.TempDir()
	identityFiles(t, dir)
	f := func(name string) string { return filepath.Join(dir, name) }
	key := f("ca.key")
	vars := map[string]string{}
	withStore := func(t *testing.T, fn func(s iotsec.Store, org func(string) iotsec.Actor)) {
		s, _, err := openFor(t, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fn(s, func(name string) iotsec.Actor {
			orgs, _ := s.ListOrgs(context.Background())
			for _, o := range orgs {
				if o.Name == name {
					return iotsec.System(o.ID, "test")
				}
			}
			t.Fatalf("no organisation %s", name)
			return iotsec.Actor{}
		})
	}
	product := func(org string) func(t *testing.T) {
		return func(t *testing.T) {
			withStore(t, func(s iotsec.Store, a func(string) iotsec.Actor) {
				if err := s.CreateProduct(context.Background(), a(org), &iotsec.Product{Name: "Soil sensor", Model: "SS-1", Class: "sensor"}); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	serial := func(t *testing.T) {
		withStore(t, func(s iotsec.Store, a func(string) iotsec.Actor) {
			cs, err := s.ListCertificates(context.Background(), a("Acme"), iotsec.CertFilter{Kind: iotsec.CertLDevID})
			if err != nil || len(cs) != 1 {
				t.Fatalf("LDevIDs: %v %v", cs, err)
			}
			vars["serial"] = cs[0].Serial
		})
	}
	verify := []string{"identity", "verify", "--roots", f("root.pem"), "--profile", "idevid", "--at", "2026-01-01"}
	steps := []goldenStep{
		{name: "identity-verify", args: append(verify, "--chain", f("sn-0001.pem"), "-o", "json")},
		{name: "identity-verify-text", args: append(verify, "--chain", f("sn-0001.pem"), "--name", "SN-0001", "-o", "text")},
		{name: "identity-verify-revoked", args: append(verify, "--chain", f("sn-0002.pem"), "--crl", f("maker.crl")), code: ExitFailed},
		{name: "identity-verify-untrusted", args: []string{"identity", "verify", "--roots", f("other-root.pem"), "--chain", f("sn-0001.pem"), "--at", "2026-01-01", "-o", "text"}, code: ExitFailed},
		{name: "identity-verify-name-mismatch", args: append(verify, "--chain", f("sn-0001.pem"), "--name", "SN-9999", "-o", "json"), code: ExitFailed},
		{name: "identity-verify-bad-roots", args: []string{"identity", "verify", "--roots", f("garbage.pem"), "--chain", f("sn-0001.pem"), "--at", "2026-01-01", "-o", "json"}, code: ExitFailed},
		{name: "identity-verify-no-chain", args: []string{"identity", "verify", "--roots", f("root.pem")}, code: ExitUsage},
		{name: "identity-verify-bad-profile", args: append(verify, "--chain", f("sn-0001.pem"), "--profile", "tpm"), code: ExitUsage},
		{name: "ca-keygen", args: []string{"ca", "keygen", key}},
		{name: "ca-keygen-exists", args: []string{"ca", "keygen", key}, code: ExitConflict},
		{name: "identity-org-create", args: []string{"admin", "org", "create", "Acme", "--kind", "manufacturer", "--country", "NL"}},
		{name: "ca-init-no-key", args: []string{"ca", "init", "--org", "Acme"}, code: ExitConflict},
		{name: "ca-init", args: []string{"ca", "init", "--org", "Acme", "--ca-key-file", key}},
		{name: "ca-init-again", args: []string{"ca", "init", "--org", "Acme", "--ca-key-file", key}, code: ExitConflict},
		{name: "ca-cert", args: []string{"ca", "cert", "--org", "Acme"}},
		{name: "identity-root-add", args: []string{"identity", "root", "add", f("root.pem"), "--org", "Acme"}},
		{name: "identity-root-list", args: []string{"identity", "root", "list", "--org", "Acme", "-o", "table"}},
		{name: "device-register", args: []string{"device", "register", "SN-0001", "--org", "Acme", "--product", "SS-1", "--idevid", f("sn-0001.pem"), "--state", "provisioned"}, before: product("Acme")},
		{name: "device-register-untrusted", args: []string{"device", "register", "SN-R", "--org", "Acme", "--product", "SS-1", "--idevid", f("rogue.pem")}, code: ExitUsage},
		{name: "device-register-clone-1", args: []string{"device", "register", "SN-C1", "--org", "Acme", "--product", "SS-1", "--idevid", f("sn-c1.pem")}},
		{name: "device-register-clone-2", args: []string{"device", "register", "SN-C2", "--org", "Acme", "--product", "SS-1", "--idevid", f("sn-c2.pem")}},
		{name: "ca-issue", args: []string{"ca", "issue", "--org", "Acme", "--device", "SN-0001", "--csr", f("sn-0001.csr"), "--ca-key-file", key}},
		{name: "ca-issue-wrong-subject", args: []string{"ca", "issue", "--org", "Acme", "--device", "SN-0001", "--csr", f("sn-c1.csr"), "--ca-key-file", key}, code: ExitUsage},
		{name: "ca-issue-not-provisioned", args: []string{"ca", "issue", "--org", "Acme", "--device", "SN-C1", "--csr", f("sn-c1.csr"), "--ca-key-file", key}, code: ExitConflict},
		{name: "device-show", args: []string{"device", "show", "SN-0001", "--org", "Acme", "-o", "text"}},
		{name: "device-register-no-idevid", args: []string{"device", "register", "SN-T", "--org", "Acme", "--product", "SS-1", "--state", "provisioned"}},
		{name: "identity-token-create", args: []string{"identity", "token", "create", "SN-T", "--org", "Acme", "--expires", "24h"}},
		{name: "identity-audit", args: []string{"identity", "audit", "--org", "Acme", "-o", "table"}, code: ExitFailed},
		{name: "identity-audit-json", args: []string{"identity", "audit", "--org", "Acme", "-o", "json"}, code: ExitFailed},
		{name: "ca-revoke", args: []string{"ca", "revoke", "{serial}", "--org", "Acme", "--reason", "keyCompromise", "--ca-key-file", key}, before: serial},
		{name: "ca-revoke-again", args: []string{"ca", "revoke", "{serial}", "--org", "Acme", "--ca-key-file", key}, code: ExitConflict},
		{name: "ca-revoke-unknown", args: []string{"ca", "revoke", "ABCDEF", "--org", "Acme", "--ca-key-file", key}, code: ExitNotFound},
		{name: "ca-crl", args: []string{"ca", "crl", "--org", "Acme", "--out", f("acme.crl"), "--ca-key-file", key}},
		{name: "device-decommission-no-evidence", args: []string{"device", "decommission", "SN-0001", "--org", "Acme"}, code: ExitUsage},
		{name: "device-dispose-too-early", args: []string{"device", "dispose", "SN-0001", "--org", "Acme", "--evidence", "shredded"}, code: ExitConflict},
		{name: "device-decommission", args: []string{"device", "decommission", "SN-0001", "--org", "Acme", "--ca-key-file", key,
			"--evidence", "NIST SP 800-88 purge, WipeTool 4.2, report W-1138"}},
		{name: "device-dispose", args: []string{"device", "dispose", "SN-0001", "--org", "Acme", "--evidence", "GreenCycle BV, certificate of destruction GC-2026-0412"}},
		{name: "device-show-json", args: []string{"device", "show", "SN-0001", "--org", "Acme", "-o", "json"}},
		{name: "device-transfer", args: []string{"device", "transfer", "SN-T", "--org", "Acme", "--to", "Beta"}, before: func(t *testing.T) {
			withStore(t, func(s iotsec.Store, _ func(string) iotsec.Actor) {
				if err := s.CreateOrg(context.Background(), "test", &iotsec.Organisation{Name: "Beta", Country: "DE"}, ""); err != nil {
					t.Fatal(err)
				}
			})
			product("Beta")(t)
		}},
		{name: "device-transfer-operational", args: []string{"device", "transfer", "SN-C1", "--org", "Acme", "--to", "Beta"}, code: ExitConflict, before: func(t *testing.T) {
			if _, _, code := runCLI(t, dir, "device", "transition", "SN-C1", "provisioned", "--org", "Acme"); code != 0 {
				t.Fatal("provision SN-C1")
			}
			if _, _, code := runCLI(t, dir, "device", "transition", "SN-C1", "operational", "--org", "Acme"); code != 0 {
				t.Fatal("SN-C1 into service")
			}
		}},
	}
	runGolden(t, dir, nil, steps, vars)

	// What the goldens cannot show: the CRL on disk lists the revoked
	// LDevID, signed by the CA the CLI printed.
	b, err := os.ReadFile(f("acme.crl"))
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := runCLI(t, dir, "ca", "cert", "--org", "Acme")
	blk, _ := pem.Decode([]byte(out))
	caCert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := rl.CheckSignatureFrom(caCert); err != nil || len(rl.RevokedCertificateEntries) != 1 ||
		strings.ToUpper(rl.RevokedCertificateEntries[0].SerialNumber.Text(16)) != vars["serial"] || rl.RevokedCertificateEntries[0].ReasonCode != 1 {
		t.Errorf("CRL: %v, entries %+v; want the revoked serial %s as keyCompromise", err, rl.RevokedCertificateEntries, vars["serial"])
	}
	// The sealed CA key in the database is not the key itself.
	s, _, err := openFor(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sealed []byte
	if err := s.DB().QueryRow("SELECT sealed_key FROM cas").Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sealed), "IOTSEC ENCRYPTED PRIVATE KEY") || strings.Contains(string(sealed), "PRIVATE KEY-----\nM") {
		t.Errorf("sealed key is not sealed: %.60q", sealed)
	}
}
