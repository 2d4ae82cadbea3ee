package cryptomaterial

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chain makes a CA and a leaf signed by it, both ECDSA P-256 / SHA-256.
func chain(t *testing.T, notAfter time.Time) (ca, leaf []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "device"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: notAfter}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), leafDER
}

func TestAnalyse(t *testing.T) {
	// after testdata/weak.crt's notBefore (2026-11-25), which is now checked
	now := func() time.Time { return time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC) }
	_, oldLeaf := chain(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	weakKey := read(t, "weak.key")
	binary := append(append([]byte("\x7fELF\x00\x01binary prefix\x00"), weakKey...), 0, 0, 1)
	files := inspecttest.Files{
		"etc/ssl/private/server.key":         {Data: weakKey},
		"usr/bin/cloudd":                     {Data: binary}, // the same key compiled into a binary
		"etc/ssl/server.crt":                 {Data: read(t, "weak.crt")},
		"etc/ec.key":                         {Data: read(t, "ec.key")},
		"root/.ssh/id_ed25519":               {Data: read(t, "openssh_ed25519.key")},
		"etc/backup.key":                     {Data: read(t, "encrypted.key")},
		"etc/dropbear/dropbear_rsa_host_key": {Data: append([]byte("\x00\x00\x00\x07ssh-rsa"), make([]byte, 64)...)},
		"etc/cloud/device.der":               {Data: oldLeaf},
		"etc/ssl/certs/ca-certificates.crt":  {Data: read(t, "weak.crt")}, // trust stores are not reported
	}
	inspecttest.New().WithFiles(files).
		ExpectFindings(
			"crypto.cert-expired etc/cloud/device.der medium 5.5-1",
			"crypto.cert-self-signed etc/ssl/server.crt low 5.5-1",
			"crypto.cert-short-key etc/ssl/server.crt high 5.5-1",
			"crypto.cert-weak-signature etc/ssl/server.crt medium 5.5-1",
			"crypto.encrypted-private-key etc/backup.key medium 5.4-3,5.4-4",
			"crypto.key-reuse etc/ssl/private/server.key medium 5.4-4",
			"crypto.private-key etc/dropbear/dropbear_rsa_host_key high 5.4-3,5.4-4",
			"crypto.private-key etc/ec.key high 5.4-3,5.4-4",
			"crypto.private-key etc/ssl/private/server.key high 5.4-3,5.4-4",
			"crypto.private-key root/.ssh/id_ed25519 high 5.4-3,5.4-4",
			"crypto.private-key usr/bin/cloudd high 5.4-3,5.4-4",
			"crypto.short-private-key etc/ssl/private/server.key medium 5.5-1",
			"crypto.short-private-key usr/bin/cloudd medium 5.5-1",
		).
		ForEachFinding(func(t testing.TB, f check.Finding) {
			if f.Path == "usr/bin/cloudd" && f.Evidence.Offset != 20 {
				t.Errorf("%s offset = %d, want 20", f.Rule, f.Evidence.Offset)
			}
			if strings.Contains(f.Evidence.Text, "PRIVATE") {
				t.Errorf("evidence %q quotes key material", f.Evidence.Text)
			}
		}).
		Test(t, &Analyser{Now: now})
}

func TestClean(t *testing.T) {
	ca, leaf := chain(t, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	files := inspecttest.Files{
		"etc/cloud/ca.pem":                  {Data: ca},
		"etc/cloud/device.der":              {Data: leaf},
		"etc/ssl/certs/ca-certificates.crt": {Data: read(t, "weak.crt")},
	}
	// the CA root is self-signed by nature; nothing else may be reported
	inspecttest.New().WithFiles(files).
		ExpectFindings("crypto.cert-self-signed etc/cloud/ca.pem low 5.5-1").
		Test(t, &Analyser{Now: func() time.Time { return time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC) }})
}
