package est

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/pki"
)

// TestEnrolWithOpenSSLAndCurl enrols a device whose key and CSR openssl
// makes, over curl with the IDevID as TLS client certificate, and reads the
// PKCS#7 answer back with openssl. CI needs the Debian packages openssl and
// curl.
func TestEnrolWithOpenSSLAndCurl(t *testing.T) {
	for _, tool := range []string{"openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian package %s): skipping the openssl/curl interoperability test", tool, tool)
		}
	}
	f := newFixture(t)
	dir := t.TempDir()
	path := func(n string) string { return filepath.Join(dir, n) }
	writePEM := func(name, typ string, der []byte) {
		t.Helper()
		if err := os.WriteFile(path(name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	writePEM("server-ca.pem", "CERTIFICATE", f.srv.Certificate().Raw)
	idev, idevKey := f.idevid(t, "DEV-2")
	writePEM("idevid.pem", "CERTIFICATE", idev.Raw)
	keyDER, err := x509.MarshalPKCS8PrivateKey(idevKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM("idevid.key", "PRIVATE KEY", keyDER)

	for _, tc := range []struct {
		name, serial string
		auth         []string
	}{
		{"IDevID over mutual TLS", "DEV-2", []string{"--cert", path("idevid.pem"), "--key", path("idevid.key")}},
		{"one-time token", "DEV-TOK", []string{"-u", "DEV-TOK:tok-123"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, csr, b64, resp, certs := path(tc.serial+".key"), path(tc.serial+".csr"), path(tc.serial+".b64"), path(tc.serial+".resp"), path(tc.serial+".pem")
			run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
				"-keyout", key, "-subj", "/CN=sensor "+tc.serial+"/serialNumber="+tc.serial, "-outform", "DER", "-out", csr)
			run("openssl", "base64", "-in", csr, "-out", b64)
			args := append([]string{"--silent", "--show-error", "--fail-with-body", "--cacert", path("server-ca.pem"),
				"-H", "Content-Type: application/pkcs10", "--data-binary", "@" + b64, "-o", resp},
				tc.auth...)
			run("curl", append(args, f.srv.URL+PathPrefix+"simpleenroll")...)
			run("openssl", "base64", "-d", "-in", resp, "-out", resp+".der")
			run("openssl", "pkcs7", "-inform", "DER", "-in", resp+".der", "-print_certs", "-out", certs)

			b, err := os.ReadFile(certs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pki.ParseCertificates(b)
			if err != nil || len(got) != 1 {
				t.Fatalf("openssl printed %d certificates (%v)", len(got), err)
			}
			r := pki.Verify(got[0], pki.Options{Roots: []*x509.Certificate{f.backend.ca.Cert}, At: t0, Name: tc.serial})
			if !r.Valid {
				t.Fatalf("certificate from curl enrolment does not verify: %v", r.Problems)
			}
			kb, err := os.ReadFile(key)
			if err != nil {
				t.Fatal(err)
			}
			blk, _ := pem.Decode(kb)
			priv, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if !priv.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(got[0].PublicKey) {
				t.Fatal("issued certificate is not for the key openssl generated")
			}
		})
	}
}
