package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestVerify(t *testing.T) {
	oidDICE := asn1.ObjectIdentifier{2, 23, 133, 5, 4, 1}
	tests := []struct {
		name  string
		setup func(t *testing.T) (*x509.Certificate, Options)
		want  []Code
	}{
		{"good", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			return p.leaf.cert, p.opts()
		}, nil},
		{"good with required usages and name", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.KeyUsage, o.ExtKeyUsage, o.Name = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "device-1.devices.example"
			return p.leaf.cert, o
		}, nil},
		{"expired leaf", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("old")
			tpl.NotBefore, tpl.NotAfter = t0.AddDate(-3, 0, 0), t0.AddDate(0, 0, -1)
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeExpired}},
		{"not yet valid", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.At = t0.AddDate(-2, 0, 0)
			return p.leaf.cert, o
		}, []Code{CodeNotYetValid}},
		{"expired intermediate", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Old Intermediate")
			tpl.NotAfter = t0.AddDate(0, -1, 0)
			inter := mk(t, tpl, root)
			return mk(t, leafTpl("d"), inter).cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeExpired}},
		{"wrong key usage on leaf", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("enc")
			tpl.KeyUsage = x509.KeyUsageKeyEncipherment
			o := p.opts()
			o.KeyUsage = x509.KeyUsageDigitalSignature
			return mk(t, tpl, p.inter).cert, o
		}, []Code{CodeKeyUsageMissing}},
		{"issuer without keyCertSign", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("CRL-only Intermediate")
			tpl.KeyUsage = x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
			inter := mk(t, tpl, root)
			return mk(t, leafTpl("d"), inter).cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeCertSignMissing}},
		{"wrong extended key usage in intermediate", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Server Intermediate")
			tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			inter := mk(t, tpl, root)
			o := Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0,
				ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
			return mk(t, leafTpl("d"), inter).cert, o
		}, []Code{CodeExtKeyUsageMissing}},
		{"unknown critical extension", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("dice")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidDICE, Critical: true, Value: []byte{0x05, 0x00}}}
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeUnknownCritical}},
		{"critical extension handled by caller", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("dice")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidDICE, Critical: true, Value: []byte{0x05, 0x00}}}
			o := p.opts()
			o.HandledCritical = []asn1.ObjectIdentifier{oidDICE}
			return mk(t, tpl, p.inter).cert, o
		}, nil},
		{"critical extension ignored by policy", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("dice")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidDICE, Critical: true, Value: []byte{0x05, 0x00}}}
			o := p.opts()
			o.IgnoreUnknownCritical = true
			return mk(t, tpl, p.inter).cert, o
		}, nil},
		{"name mismatch", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.Name = "device-2.devices.example"
			return p.leaf.cert, o
		}, []Code{CodeNameMismatch}},
		{"name matches subject serialNumber", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.Name = "SN-device-1"
			return p.leaf.cert, o
		}, nil},
		{"issuer name mismatch breaks the chain", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			// Signed by the intermediate's key but naming another issuer.
			parent := &x509.Certificate{Subject: pkix.Name{CommonName: "Someone Else"}, SubjectKeyId: p.inter.cert.SubjectKeyId}
			leaf := mk(t, leafTpl("renamed"), &node{cert: parent, key: p.inter.key})
			return leaf.cert, p.opts()
		}, []Code{CodeChainUntrusted}},
		{"untrusted root", func(t *testing.T) (*x509.Certificate, Options) {
			p, q := newPKI(t), newPKI(t)
			o := p.opts()
			o.Intermediates = append(o.Intermediates, q.inter.cert)
			return q.leaf.cert, o
		}, []Code{CodeChainUntrusted}},
		{"forged issuer key", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			// Same intermediate name, different key.
			tpl := caTpl("Test Intermediate")
			tpl.SubjectKeyId = p.inter.cert.SubjectKeyId
			fake := mk(t, tpl, nil)
			return mk(t, leafTpl("forged"), fake).cert, p.opts()
		}, []Code{CodeSignatureInvalid}},
		{"intermediate is not a CA", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Not A CA")
			tpl.IsCA = false
			tpl.KeyUsage = x509.KeyUsageDigitalSignature
			inter := mk(t, tpl, root)
			return mk(t, leafTpl("d"), inter).cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNotCA, CodeCertSignMissing}},
		{"path length exceeded", func(t *testing.T) (*x509.Certificate, Options) {
			rootTpl := caTpl("Root")
			rootTpl.MaxPathLenZero = true
			root := mk(t, rootTpl, nil)
			inter := mk(t, caTpl("Intermediate"), root)
			return mk(t, leafTpl("d"), inter).cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodePathLenExceeded}},
		{"name constraints", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Constrained")
			tpl.PermittedDNSDomains = []string{"factory.example"}
			tpl.PermittedDNSDomainsCritical = true
			inter := mk(t, tpl, root)
			return mk(t, leafTpl("d"), inter).cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"leaf is trust anchor", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			return p.root.cert, p.opts()
		}, []Code{CodeLeafIsCA}},
		{"no time", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.At = time.Time{}
			return p.leaf.cert, o
		}, []Code{CodeTimeMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf, opts := tt.setup(t)
			r := Verify(leaf, opts)
			if diff := cmp.Diff(sorted(tt.want), codes(r)); diff != "" {
				t.Errorf("Verify problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
			if r.Valid != (len(tt.want) == 0) {
				t.Errorf("Verify valid = %v, want %v", r.Valid, len(tt.want) == 0)
			}
		})
	}
}

func sorted(c []Code) []Code {
	out := append([]Code(nil), c...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestResultJSON(t *testing.T) {
	p := newPKI(t)
	o := p.opts()
	o.Name = "nope"
	b, err := json.Marshal(Verify(p.leaf.cert, o))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"valid": false,
		"chain": []any{"SERIALNUMBER=SN-device-1,CN=device-1", "CN=Test Intermediate,O=Test Maker", "CN=Test Root,O=Test Maker"},
		"problems": []any{map[string]any{"code": "name.mismatch",
			"detail": `"SERIALNUMBER=SN-device-1,CN=device-1" does not carry the name "nope"`}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Result JSON (-want +got):\n%s", diff)
	}
}

func TestParseProfile(t *testing.T) {
	for in, want := range map[string]Profile{"": ProfileX509, "x509": ProfileX509, "idevid": ProfileIDevID, "matter-dac": ProfileMatterDAC} {
		if got, err := ParseProfile(in); err != nil || got != want {
			t.Errorf("ParseProfile(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseProfile("tpm-ek"); err == nil {
		t.Error("ParseProfile(tpm-ek) accepted an unknown profile")
	}
}

func TestParseBundles(t *testing.T) {
	p := newPKI(t)
	pemBundle := append(pemCert(p.leaf.cert), pemCert(p.inter.cert)...)
	pemBundle = append([]byte("# comment\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), pemBundle...)
	certs, err := ParseCertificates(pemBundle)
	if err != nil || len(certs) != 2 || !certs[0].Equal(p.leaf.cert) {
		t.Fatalf("ParseCertificates(PEM) = %d certs, %v", len(certs), err)
	}
	if certs, err := ParseCertificates(p.root.cert.Raw); err != nil || len(certs) != 1 {
		t.Fatalf("ParseCertificates(DER) = %d certs, %v", len(certs), err)
	}
	for name, in := range map[string][]byte{"empty": nil, "no certificate block": []byte("-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n"),
		"garbage DER": []byte{0x30, 0x03, 1, 2, 3}, "too large": make([]byte, MaxBundleSize+1)} {
		if _, err := ParseCertificates(in); err == nil {
			t.Errorf("ParseCertificates(%s) succeeded", name)
		}
	}
	rl := crl(t, p.inter, t0, t0.AddDate(0, 0, 1), nil)
	if rls, err := ParseCRLs(rl.Raw); err != nil || len(rls) != 1 {
		t.Fatalf("ParseCRLs(DER) = %d, %v", len(rls), err)
	}
	r := VerifyDER([][]byte{p.leaf.cert.Raw, []byte("junk")}, Options{Roots: []*x509.Certificate{p.root.cert}, Intermediates: []*x509.Certificate{p.inter.cert}, At: t0})
	if diff := cmp.Diff([]Code{CodeCertMalformed}, codes(r)); diff != "" || r.Valid || len(r.Chain) != 3 {
		t.Errorf("VerifyDER with a junk intermediate: valid=%v chain=%d (-want +got):\n%s", r.Valid, len(r.Chain), diff)
	}
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// The CLI contract prints "problems": [] for a valid chain, never null.
func TestVerifyDERValidHasEmptyProblems(t *testing.T) {
	root := mk(t, caTpl("Root"), nil)
	leaf := mk(t, &x509.Certificate{Subject: pkix.Name{CommonName: "leaf"}}, root)
	r := VerifyDER([][]byte{leaf.cert.Raw}, Options{Roots: []*x509.Certificate{root.cert}, At: t0})
	b, _ := json.Marshal(r)
	if !r.Valid || !strings.Contains(string(b), `"problems":[]`) {
		t.Errorf("VerifyDER of a valid chain = %s", b)
	}
}
