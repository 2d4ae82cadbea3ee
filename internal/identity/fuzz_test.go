package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
)

func seedCSR(f *testing.F) []byte {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{SerialNumber: "SN-1"}}, k)
	if err != nil {
		f.Fatal(err)
	}
	return der
}

// FuzzParseCSR: whatever the API, UI or CLI hands in as a CSR gives a
// request or an input error, never a panic or another kind of error.
func FuzzParseCSR(f *testing.F) {
	der := seedCSR(f)
	f.Add(der)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	f.Add([]byte(base64.StdEncoding.EncodeToString(der)))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\n!!\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCSR(data)
		if err != nil {
			if k := iotsec.Kind(err); k != iotsec.ErrInvalid && k != iotsec.ErrTooLarge {
				t.Fatalf("ParseCSR error of kind %v: %v", k, err)
			}
			return
		}
		if c.CheckSignature() != nil {
			t.Fatal("ParseCSR returned a CSR whose signature does not verify")
		}
	})
}

// FuzzAnchorInput: trust anchors, IDevIDs and anchor CRLs arrive as PEM,
// base64 DER or DER; reading them never panics.
func FuzzAnchorInput(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: bigOne(), Subject: pkix.Name{CommonName: "r"}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, k.Public(), k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(PEM(der, der))
	f.Add([]byte(base64.StdEncoding.EncodeToString(der)))
	f.Add([]byte(" \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := unarmour(data)
		if certs, err := pki.ParseCertificates(b); err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		_, _ = pki.ParseCRLs(b)
	})
}

func bigOne() *big.Int { return big.NewInt(1) }
