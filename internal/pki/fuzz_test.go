package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerifyDER feeds arbitrary bytes as the leaf of a Matter chain and
// as a PEM/DER bundle: verification must always end in a Result.
func FuzzVerifyDER(f *testing.F) {
	roots := matterRoots(f)
	files, _ := filepath.Glob("testdata/matter/commissioner_dut/*/test_case_vector.json")
	for _, name := range files[:8] {
		var v matterVector
		readJSON(f, name, &v)
		f.Add(mustHex(f, v.DACCert), mustHex(f, v.PAICert))
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []byte{})
	f.Fuzz(func(t *testing.T, leaf, inter []byte) {
		r := VerifyDER([][]byte{leaf, inter}, Options{Roots: roots, At: matterAt, Profile: ProfileMatterDAC})
		if r.Valid && len(r.Problems) != 0 || !r.Valid && len(r.Problems) == 0 {
			t.Fatalf("inconsistent result: valid=%v problems=%v", r.Valid, r.Problems)
		}
		_, _ = ParseCertificates(leaf)
		_, _ = ParseCRLs(leaf)
	})
}

// FuzzCRL checks a fixed chain against arbitrary CRLs, exercising our own
// issuingDistributionPoint and certificateIssuer parsing.
func FuzzCRL(f *testing.F) {
	p := newPKI(f)
	day, week := t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 7)
	seeds := []*x509.RevocationList{
		crl(f, p.inter, day, week, []revoked{{serial: p.leaf.cert.SerialNumber}}),
		crl(f, p.inter, day, week, []revoked{{serial: big.NewInt(5), issuer: p.inter.cert.RawSubject}}, idpIndirect(f)),
		crl(f, p.root, day, week, nil, pkix.Extension{Id: oidExtIDP, Critical: true, Value: []byte{0x30, 0x06, 0x81, 0x01, 0xff, 0x83, 0x01, 0x00}}),
	}
	for _, s := range seeds {
		f.Add(s.Raw)
	}
	if b, err := os.ReadFile("testdata/matter/revoked-attestation-certificates/Chip-Test-PAA-FFF1-CRL.pem"); err == nil {
		f.Add(b)
	}
	opts := p.opts()
	opts.RequireCRL = true
	f.Fuzz(func(t *testing.T, b []byte) {
		rls, err := ParseCRLs(b)
		if err != nil {
			return
		}
		o := opts
		o.CRLs = rls
		_ = Verify(p.leaf.cert, o)
	})
}
