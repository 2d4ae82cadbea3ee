package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/iotsec/iotsec/internal/pki/matter"
)

// BenchmarkRawECDSAP256SignVerify is the ceiling the chain benchmarks are
// read against: one P-256 signature and one verification.
func BenchmarkRawECDSAP256SignVerify(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sum := sha256.Sum256([]byte("tbs"))
	b.ReportAllocs()
	for b.Loop() {
		sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
		if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, sum[:], sig) {
			b.Fatal("sign/verify failed")
		}
	}
}

// BenchmarkRawECDSAP256Verify is one verification, the unit cost of a
// chain check.
func BenchmarkRawECDSAP256Verify(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sum := sha256.Sum256([]byte("tbs"))
	sig, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
	for b.Loop() {
		if !ecdsa.VerifyASN1(&k.PublicKey, sum[:], sig) {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkVerifyChain verifies leaf -> intermediate -> root (two
// signature checks) with the x509 profile, one goroutine.
func BenchmarkVerifyChain(b *testing.B) {
	p := newPKI(b)
	o := p.opts()
	o.KeyUsage = x509.KeyUsageDigitalSignature
	b.ReportAllocs()
	for b.Loop() {
		if r := Verify(p.leaf.cert, o); !r.Valid {
			b.Fatal(r.Problems)
		}
	}
}

// BenchmarkVerifyChainParallel is the same on every core (GOMAXPROCS
// goroutines); divide ns/op by nothing: it is wall time per verification
// with all cores busy.
func BenchmarkVerifyChainParallel(b *testing.B) {
	p := newPKI(b)
	o := p.opts()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := Verify(p.leaf.cert, o); !r.Valid {
				b.Fatal(r.Problems)
			}
		}
	})
}

// BenchmarkStdlibVerifyChain is crypto/x509's own Verify on the same
// chain, for comparison.
func BenchmarkStdlibVerifyChain(b *testing.B) {
	p := newPKI(b)
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(p.root.cert)
	inters.AddCert(p.inter.cert)
	o := x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	for b.Loop() {
		if _, err := p.leaf.cert.Verify(o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChainWithCRL adds a direct CRL for the leaf's issuer.
func BenchmarkVerifyChainWithCRL(b *testing.B) {
	p := newPKI(b)
	o := p.opts()
	o.CRLs = []*x509.RevocationList{crl(b, p.inter, t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 7), nil)}
	for b.Loop() {
		if r := Verify(p.leaf.cert, o); !r.Valid {
			b.Fatal(r.Problems)
		}
	}
}

// BenchmarkVerifyMatterDAC verifies a chip vector (DER in, parse included)
// with the matter-dac profile and its Certification Declaration: two chain
// signatures and one CMS signature.
func BenchmarkVerifyMatterDAC(b *testing.B) {
	var v matterVector
	readJSON(b, filepath.Join("testdata/matter/commissioner_dut/struct_cd_format_version_1/test_case_vector.json"), &v)
	chain := [][]byte{mustHex(b, v.DACCert), mustHex(b, v.PAICert)}
	o := Options{Roots: matterRoots(b), At: matterAt, Profile: ProfileMatterDAC,
		Matter: &MatterOptions{VendorID: 0xFFF1, CD: mustHex(b, v.CD), CDKeys: []matter.SignerKey{testCDKey(b)}}}
	b.ReportAllocs()
	for b.Loop() {
		if r := VerifyDER(chain, o); !r.Valid {
			b.Fatal(r.Problems)
		}
	}
}
