package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAudit(t *testing.T) {
	p := newPKI(t)
	rogue := mk(t, caTpl("Rogue Root"), nil)
	leaf := func(cn string, edit func(*x509.Certificate)) *x509.Certificate {
		tpl := leafTpl(cn)
		if edit != nil {
			edit(tpl)
		}
		return mk(t, tpl, p.inter).cert
	}
	sharedKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keyed := func(cn string) *x509.Certificate {
		return mkKey(t, leafTpl(cn), p.inter, sharedKey, sharedKey.Public()).cert
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaLeaf := func(cn string, pub *rsa.PublicKey) *x509.Certificate {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return mkKey(t, leafTpl(cn), p.inter, k, pub).cert
	}
	revokedCA := mk(t, caTpl("Compromised CA"), p.root)
	underRevoked := mk(t, leafTpl("dev-rv"), revokedCA).cert
	shared := leaf("dev-shared", nil)
	idevTpl := func(serial string) func(*x509.Certificate) {
		return func(c *x509.Certificate) { c.Subject.SerialNumber = serial; c.NotAfter = t0.AddDate(30, 0, 0) }
	}

	records := []Record{
		{DeviceID: "dev-ok", Kind: KindLDevID, Cert: leaf("dev-ok", nil), State: Operational},
		{DeviceID: "dev-ok", Kind: KindIDevID, Cert: leaf("dev-ok-idev", idevTpl("HW-OK")), State: Operational},
		{DeviceID: "dev-a", Kind: KindLDevID, Cert: shared, State: Operational},
		{DeviceID: "dev-b", Kind: KindLDevID, Cert: shared, State: Operational},
		{DeviceID: "dev-c", Kind: KindLDevID, Cert: keyed("dev-c"), State: Operational},
		{DeviceID: "dev-d", Kind: KindLDevID, Cert: keyed("dev-d"), State: Operational},
		{DeviceID: "dev-weak", Kind: KindLDevID, Cert: rsaLeaf("dev-weak", &rsa1024.PublicKey), State: Operational},
		{DeviceID: "dev-e3", Kind: KindLDevID, Cert: rsaLeaf("dev-e3", &rsa.PublicKey{N: rsa2048.N, E: 3}), State: Operational},
		{DeviceID: "dev-soon", Kind: KindLDevID, Cert: leaf("dev-soon", func(c *x509.Certificate) { c.NotAfter = t0.AddDate(0, 0, 10) }), State: Operational},
		{DeviceID: "dev-old", Kind: KindLDevID, Cert: leaf("dev-old", func(c *x509.Certificate) {
			c.NotBefore, c.NotAfter = t0.AddDate(-3, 0, 0), t0.AddDate(-1, 0, 0)
		}), State: Operational},
		{DeviceID: "dev-aged", Kind: KindLDevID, Cert: leaf("dev-aged", func(c *x509.Certificate) { c.NotBefore = t0.AddDate(-2, 0, 0) }), State: Operational},
		{DeviceID: "dev-rvk", Kind: KindLDevID, Cert: leaf("dev-rvk", nil), Revoked: true, State: Operational},
		{DeviceID: "dev-gone", Kind: KindLDevID, Cert: leaf("dev-gone", nil), Revoked: true, State: Decommissioned},
		{Kind: KindCA, Cert: revokedCA.cert, Revoked: true},
		{DeviceID: "dev-rv", Kind: KindLDevID, Cert: underRevoked, State: Operational},
		{DeviceID: "dev-x", Kind: KindIDevID, Cert: leaf("x1", idevTpl("HW-X1")), State: Operational},
		{DeviceID: "dev-x", Kind: KindIDevID, Cert: leaf("x2", idevTpl("HW-X2")), State: Operational},
		{DeviceID: "dev-y", Kind: KindIDevID, Cert: leaf("y", idevTpl("HW-CLONE")), State: Operational},
		{DeviceID: "dev-z", Kind: KindIDevID, Cert: leaf("z", idevTpl("HW-CLONE")), State: Operational},
		{DeviceID: "dev-rogue", Kind: KindIDevID, Cert: mk(t, leafTpl("rogue"), rogue).cert, State: Provisioned},
	}
	got := Audit(records, AuditOptions{At: t0, Roots: []*x509.Certificate{p.root.cert}, Intermediates: []*x509.Certificate{p.inter.cert}})
	type key struct {
		Rule    RuleID
		Devices string
	}
	var gotKeys []key
	for _, f := range got {
		gotKeys = append(gotKeys, key{f.Rule, join(f.Devices)})
		if f.Detail == "" {
			t.Errorf("finding %s without detail", f.Rule)
		}
	}
	want := []key{
		{RuleCertificateAge, "dev-aged"},
		{RuleCertificateAge, "dev-old"},
		{RuleDuplicateDeviceID, "dev-x"},
		{RuleDuplicateDeviceID, "dev-y,dev-z"},
		{RuleExpired, "dev-old"},
		{RuleExpiring, "dev-soon"},
		{RuleIDevIDUntrusted, "dev-rogue"},
		{RuleRevokedInUse, "dev-rvk"},
		{RuleRevokedIssuer, "dev-rv"},
		{RuleSharedCertificate, "dev-a,dev-b"},
		{RuleSharedKey, "dev-c,dev-d"},
		{RuleWeakKey, "dev-e3"},
		{RuleWeakKey, "dev-weak"},
	}
	if diff := cmp.Diff(want, gotKeys); diff != "" {
		t.Errorf("Audit findings (-want +got):\n%s", diff)
	}
	if again := Audit(records, AuditOptions{At: t0, Roots: []*x509.Certificate{p.root.cert}, Intermediates: []*x509.Certificate{p.inter.cert}}); !cmp.Equal(got, again) {
		t.Error("Audit is not deterministic")
	}
	if f := Audit(nil, AuditOptions{At: t0}); len(f) != 0 {
		t.Errorf("Audit(nil) = %v", f)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
