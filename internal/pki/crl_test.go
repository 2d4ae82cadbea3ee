package pki

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/pki/matter"
)

func TestRevocation(t *testing.T) {
	day := t0.AddDate(0, 0, -1)
	week := t0.AddDate(0, 0, 7)
	tests := []struct {
		name  string
		setup func(t *testing.T, p pki) Options
		want  []Code
	}{
		{"leaf revoked by direct CRL", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, day, week, []revoked{{serial: p.leaf.cert.SerialNumber}})}
			return o
		}, []Code{CodeRevoked}},
		{"direct CRL without the leaf", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, day, week, []revoked{{serial: big.NewInt(424242)}})}
			return o
		}, nil},
		{"intermediate revoked by root CRL", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, p.root, day, week, []revoked{{serial: p.inter.cert.SerialNumber}})}
			return o
		}, []Code{CodeRevoked}},
		{"CRL signed by another key", func(t *testing.T, p pki) Options {
			tpl := caTpl("Test Intermediate")
			tpl.SubjectKeyId = p.inter.cert.SubjectKeyId
			fake := mk(t, tpl, nil)
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, fake, day, week, []revoked{{serial: p.leaf.cert.SerialNumber}})}
			return o
		}, []Code{CodeCRLSignature}},
		{"expired CRL", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, t0.AddDate(0, -1, 0), day, nil)}
			return o
		}, []Code{CodeCRLExpired}},
		{"CRL from the future", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, week, week.AddDate(0, 0, 7), nil)}
			return o
		}, []Code{CodeCRLNotYetValid}},
		{"required CRL missing for the leaf", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.RequireCRL = true
			o.CRLs = []*x509.RevocationList{crl(t, p.root, day, week, nil)}
			return o
		}, []Code{CodeRevocationUnknown}},
		{"required CRLs present", func(t *testing.T, p pki) Options {
			o := p.opts()
			o.RequireCRL = true
			o.CRLs = []*x509.RevocationList{crl(t, p.root, day, week, nil), crl(t, p.inter, day, week, nil)}
			return o
		}, nil},
		{"removeFromCRL entry does not revoke", func(t *testing.T, p pki) Options {
			o := p.opts()
			rl := crl(t, p.inter, day, week, []revoked{{serial: p.leaf.cert.SerialNumber}})
			rl.RevokedCertificateEntries[0].ReasonCode = 8
			o.CRLs = []*x509.RevocationList{rl}
			return o
		}, nil},
		{"indirect CRL from a trusted CRL signer", func(t *testing.T, p pki) Options {
			tpl := leafTpl("CRL Signer")
			tpl.KeyUsage, tpl.ExtKeyUsage, tpl.DNSNames = x509.KeyUsageCRLSign, nil, nil
			signer := mk(t, tpl, p.root)
			o := p.opts()
			o.Intermediates = append(o.Intermediates, signer.cert)
			o.CRLs = []*x509.RevocationList{crl(t, signer, day, week,
				[]revoked{{serial: p.leaf.cert.SerialNumber, issuer: p.inter.cert.RawSubject}}, idpIndirect(t))}
			return o
		}, []Code{CodeRevoked}},
		{"indirect CRL naming another issuer", func(t *testing.T, p pki) Options {
			tpl := leafTpl("CRL Signer")
			tpl.KeyUsage, tpl.ExtKeyUsage, tpl.DNSNames = x509.KeyUsageCRLSign, nil, nil
			signer := mk(t, tpl, p.root)
			o := p.opts()
			o.Intermediates = append(o.Intermediates, signer.cert)
			o.CRLs = []*x509.RevocationList{crl(t, signer, day, week,
				[]revoked{{serial: p.leaf.cert.SerialNumber, issuer: p.root.cert.RawSubject}}, idpIndirect(t))}
			return o
		}, nil},
		{"indirect CRL signer without cRLSign", func(t *testing.T, p pki) Options {
			tpl := leafTpl("Not A CRL Signer")
			tpl.ExtKeyUsage, tpl.DNSNames = nil, nil
			signer := mk(t, tpl, p.root)
			o := p.opts()
			o.Intermediates = append(o.Intermediates, signer.cert)
			// crypto/x509 refuses to sign a CRL with such a certificate,
			// so hand it a copy that claims cRLSign.
			claim := *signer.cert
			claim.KeyUsage |= x509.KeyUsageCRLSign
			o.CRLs = []*x509.RevocationList{crl(t, &node{&claim, signer.key}, day, week,
				[]revoked{{serial: p.leaf.cert.SerialNumber, issuer: p.inter.cert.RawSubject}}, idpIndirect(t))}
			return o
		}, []Code{CodeCRLSignature}},
		{"indirect CRL signer from an unknown root", func(t *testing.T, p pki) Options {
			tpl := leafTpl("Rogue Signer")
			tpl.KeyUsage, tpl.ExtKeyUsage, tpl.DNSNames = x509.KeyUsageCRLSign, nil, nil
			signer := mk(t, tpl, mk(t, caTpl("Rogue Root"), nil))
			o := p.opts()
			o.Intermediates = append(o.Intermediates, signer.cert)
			o.CRLs = []*x509.RevocationList{crl(t, signer, day, week,
				[]revoked{{serial: p.leaf.cert.SerialNumber, issuer: p.inter.cert.RawSubject}}, idpIndirect(t))}
			return o
		}, []Code{CodeCRLSignerUntrusted}},
		{"CRL scoped to CA certificates", func(t *testing.T, p pki) Options {
			o := p.opts()
			onlyCA := pkix.Extension{Id: oidExtIDP, Critical: true, Value: []byte{0x30, 0x03, 0x82, 0x01, 0xff}}
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, day, week, []revoked{{serial: p.leaf.cert.SerialNumber}}, onlyCA)}
			return o
		}, nil},
		{"delta CRL is not supported", func(t *testing.T, p pki) Options {
			o := p.opts()
			delta := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: []byte{0x02, 0x01, 0x01}}
			o.CRLs = []*x509.RevocationList{crl(t, p.inter, day, week, nil, delta)}
			return o
		}, []Code{CodeCRLUnknownCrit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKI(t)
			r := Verify(p.leaf.cert, tt.setup(t, p))
			if diff := cmp.Diff(sorted(tt.want), codes(r)); diff != "" {
				t.Errorf("Verify problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
		})
	}
}

func TestMatterRevokedPAI(t *testing.T) {
	b := readFile(t, "testdata/matter/revoked-attestation-certificates/Chip-Test-PAA-FFF1-CRL.pem")
	crls, err := ParseCRLs(b)
	if err != nil {
		t.Fatal(err)
	}
	var v matterVector
	readJSON(t, "testdata/matter/revoked-attestation-certificates/dac-provider-test-vectors/revoked-pai.json", &v)
	chain := [][]byte{mustHex(t, v.DACCert), mustHex(t, v.PAICert)}
	opts := Options{Roots: matterRoots(t), At: matterAt, Profile: ProfileMatterDAC}
	if r := VerifyDER(chain, opts); !r.Valid {
		t.Fatalf("without the CRL the chain should verify: %v", r.Problems)
	}
	opts.CRLs = crls
	r := VerifyDER(chain, opts)
	if diff := cmp.Diff([]Code{CodeRevoked}, codes(r)); diff != "" {
		t.Errorf("with the PAA CRL (-want +got):\n%s\n%v", diff, r.Problems)
	}

	// The same revocation through the DCL revocation set built from it.
	sets, err := matter.ParseRevocationSet(readFile(t, "testdata/matter/revoked-attestation-certificates/revocation-sets/revocation-set-for-paa.json"))
	if err != nil {
		t.Fatal(err)
	}
	opts.CRLs = nil
	opts.Matter = &MatterOptions{RevocationSets: sets}
	r = VerifyDER(chain, opts)
	if diff := cmp.Diff([]Code{CodeRevoked}, codes(r)); diff != "" {
		t.Errorf("with the revocation set (-want +got):\n%s\n%v", diff, r.Problems)
	}
	if !bytes.Equal(sets[0].CRLSigner, matterRoots(t)[0].Raw) {
		t.Error("revocation set crl_signer_cert is not the FFF1 PAA")
	}
}
