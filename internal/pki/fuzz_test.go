package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
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

// FuzzVerifyInput feeds arbitrary bytes as the roots, chain and CRL files
// of `identity verify`: the result must always be a consistent Result
// (never a panic, never valid with problems), and a file that is not a
// clean bundle can never make the chain valid.
func FuzzVerifyInput(f *testing.F) {
	p := newPKI(f)
	pemOf := func(typ string, der ...[]byte) []byte {
		var out []byte
		for _, d := range der {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
		}
		return out
	}
	rl := crl(f, p.inter, t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 7), nil)
	f.Add(pemOf("CERTIFICATE", p.root.cert.Raw), pemOf("CERTIFICATE", p.leaf.cert.Raw, p.inter.cert.Raw), pemOf("X509 CRL", rl.Raw))
	f.Add(p.root.cert.Raw, p.leaf.cert.Raw, rl.Raw)
	f.Add(pemOf("CERTIFICATE", p.root.cert.Raw, []byte("x")), pemOf("CERTIFICATE", p.leaf.cert.Raw), []byte{})
	for _, tc := range loadLimbo(f)[:6] {
		f.Add([]byte(tc.TrustedCerts[0]), []byte(tc.PeerCertificate), []byte{})
	}
	f.Fuzz(func(t *testing.T, roots, chain, crls []byte) {
		in := Input{Roots: []File{{"roots", roots}}, Chain: File{"chain", chain}}
		if len(crls) > 0 {
			in.CRLs = []File{{"crls", crls}}
		}
		r := VerifyInput(in, Options{At: t0, Name: "device-1.devices.example"})
		if r.Valid != (len(r.Problems) == 0) || r.Problems == nil || r.Chain == nil {
			t.Fatalf("inconsistent result: %+v", r)
		}
		if r.Valid {
			if _, err := ParseCertificates(roots); err != nil {
				t.Fatalf("valid with a roots file that does not parse cleanly: %v", err)
			}
		}
	})
}

// FuzzNameConstraints feeds arbitrary nameConstraints and subjectAltName
// values to our parsers and matcher: no panic, and a constraint set that
// parses must give every name a verdict.
func FuzzNameConstraints(f *testing.F) {
	f.Add([]byte{0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x82, 0x09, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c'}, []byte("d.example.c"))
	f.Add(dnConstraint(f, pkix.Name{Organization: []string{"Acme"}}.ToRDNSequence(), true), []byte("x@y.z"))
	f.Add([]byte{0x30, 0x0c, 0xa1, 0x0a, 0x30, 0x08, 0x87, 0x06, 10, 0, 0, 0, 255, 0}, []byte("10.1.2.3"))
	f.Fuzz(func(t *testing.T, value, name []byte) {
		nc, err := parseNameConstraints(value)
		if err != nil {
			return
		}
		n := queriedName(string(name))
		for _, st := range append(nc.permitted, nc.excluded...) {
			if st.kind == n.kind {
				match(n, st, false)
				match(n, st, true)
			}
			match(generalName{st.kind, name}, st, true)
		}
	})
}
