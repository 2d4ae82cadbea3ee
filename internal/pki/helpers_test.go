package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"os"
	"testing"
	"time"
)

// t0 is the reference time of the chains built in tests.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type node struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64 = 1000

// mk issues a certificate from tpl (defaults filled in) signed by parent,
// or self-signed when parent is nil.
func mk(t testing.TB, tpl *x509.Certificate, parent *node) *node {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return mkKey(t, tpl, parent, key, key.Public())
}

// mkKey is mk for a given key pair; pub may differ from key's (to make
// certificates for public keys nobody holds).
func mkKey(t testing.TB, tpl *x509.Certificate, parent *node, key *ecdsa.PrivateKey, pub crypto.PublicKey) *node {
	t.Helper()
	serial++
	if tpl.SerialNumber == nil {
		tpl.SerialNumber = big.NewInt(serial)
	}
	if tpl.SubjectKeyId == nil {
		// crypto/x509 fills this in for CAs only; device profiles and
		// CreateRevocationList want it on every signer.
		tpl.SubjectKeyId = big.NewInt(serial * 7919).Bytes()
	}
	if tpl.NotBefore.IsZero() {
		tpl.NotBefore = t0.AddDate(-1, 0, 0)
	}
	if tpl.NotAfter.IsZero() {
		tpl.NotAfter = t0.AddDate(5, 0, 0)
	}
	signer, issuer := crypto.Signer(key), tpl
	if parent != nil {
		signer, issuer = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, issuer, pub, signer)
	if err != nil {
		t.Fatalf("create %s: %v", tpl.Subject, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &node{c, key}
}

func caTpl(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Test Maker"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func leafTpl(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, SerialNumber: "SN-" + cn},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames:              []string{cn + ".devices.example"},
	}
}

// pki is a root, an intermediate and a leaf.
type pki struct{ root, inter, leaf *node }

func newPKI(t testing.TB) pki {
	root := mk(t, caTpl("Test Root"), nil)
	inter := mk(t, caTpl("Test Intermediate"), root)
	leaf := mk(t, leafTpl("device-1"), inter)
	return pki{root, inter, leaf}
}

func (p pki) opts() Options {
	return Options{Roots: []*x509.Certificate{p.root.cert}, Intermediates: []*x509.Certificate{p.inter.cert}, At: t0}
}

type revoked struct {
	serial *big.Int
	issuer []byte // raw Name for a certificateIssuer entry extension, or nil
}

// crl makes a CRL signed by n listing the serials.
func crl(t testing.TB, n *node, thisUpdate, nextUpdate time.Time, entries []revoked, exts ...pkix.Extension) *x509.RevocationList {
	t.Helper()
	tpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate, ExtraExtensions: exts}
	for _, e := range entries {
		ent := x509.RevocationListEntry{SerialNumber: e.serial, RevocationTime: thisUpdate, ReasonCode: 1}
		if e.issuer != nil {
			gn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: e.issuer})
			if err != nil {
				t.Fatal(err)
			}
			v, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: gn})
			if err != nil {
				t.Fatal(err)
			}
			ent.ExtraExtensions = []pkix.Extension{{Id: OIDCertificateIssuer, Critical: true, Value: v}}
		}
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, ent)
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, n.cert, n.key)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

// idpIndirect is an issuingDistributionPoint extension with indirectCRL.
func idpIndirect(t testing.TB) pkix.Extension {
	t.Helper()
	// SEQUENCE { [4] IMPLICIT BOOLEAN TRUE }
	return pkix.Extension{Id: oidExtIDP, Critical: true, Value: []byte{0x30, 0x03, 0x84, 0x01, 0xff}}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
