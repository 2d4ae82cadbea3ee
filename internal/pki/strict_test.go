package pki

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// selfIssuedUnder makes a self-issued CA certificate for ca's subject with
// a fresh key, signed by ca's key (a key rollover certificate).
func selfIssuedUnder(t testing.TB, ca *node, edit func(*x509.Certificate)) *node {
	t.Helper()
	tpl := caTpl(ca.cert.Subject.CommonName)
	tpl.Subject = ca.cert.Subject
	// crypto/x509 leaves the AKI out of every self-issued certificate;
	// RFC 5280 4.2.1.1 wants it in all but self-signed ones.
	tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtAKID, Value: rawExt(t, struct {
		ID []byte `asn1:"optional,tag:0"`
	}{ca.cert.SubjectKeyId})}}
	if edit != nil {
		edit(tpl)
	}
	return mk(t, tpl, ca)
}

// ncRoot is a self-signed root with critical name constraints set by edit.
func ncRoot(t testing.TB, edit func(*x509.Certificate)) *node {
	t.Helper()
	tpl := caTpl("Constrained Root")
	tpl.PermittedDNSDomainsCritical = true
	edit(tpl)
	return mk(t, tpl, nil)
}

func leafWith(t testing.TB, issuer *node, edit func(*x509.Certificate)) *node {
	t.Helper()
	tpl := leafTpl("device")
	tpl.DNSNames = nil
	edit(tpl)
	return mk(t, tpl, issuer)
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// rawExt returns a DER extension value for tests that need one crypto/x509
// will not write.
func rawExt(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNameConstraints checks RFC 5280 name constraints as iotsec applies
// them: across self-issued intermediates, for every name form, and for
// every name the caller checks (including one matched through the CN or
// serialNumber fallback). The first cases are the fail-open paths of
// issue 12.
func TestNameConstraints(t *testing.T) {
	permitExample := func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} }
	tests := []struct {
		name  string
		setup func(t *testing.T) (*x509.Certificate, Options)
		want  []Code
	}{
		{"self-issued intermediate under a CA with a path length, leaf outside", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { permitExample(c); c.MaxPathLen = 1 })
			inter := mk(t, caTpl("Issuing CA"), root)
			rollover := selfIssuedUnder(t, inter, nil)
			leaf := leafWith(t, rollover, func(c *x509.Certificate) { c.DNSNames = []string{"evil.org"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert, rollover.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"self-issued intermediate under a CA with a path length, leaf inside", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { permitExample(c); c.MaxPathLen = 1 })
			inter := mk(t, caTpl("Issuing CA"), root)
			rollover := selfIssuedUnder(t, inter, nil)
			leaf := leafWith(t, rollover, func(c *x509.Certificate) { c.DNSNames = []string{"d1.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert, rollover.cert}, At: t0}
		}, nil},
		{"self-issued intermediate with a name outside is exempt (RFC 5280 6.1.3 b)", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			inter := mk(t, caTpl("Issuing CA"), root)
			rollover := selfIssuedUnder(t, inter, func(c *x509.Certificate) { c.DNSNames = []string{"ca.evil.org"} })
			leaf := leafWith(t, rollover, func(c *x509.Certificate) { c.DNSNames = []string{"d1.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert, rollover.cert}, At: t0}
		}, nil},
		{"self-issued leaf is not exempt", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			inter := mk(t, caTpl("Issuing CA"), root)
			tpl := leafTpl("x")
			tpl.Subject = inter.cert.Subject
			tpl.DNSNames = []string{"evil.org"}
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtAKID, Value: rawExt(t, struct {
				ID []byte `asn1:"optional,tag:0"`
			}{inter.cert.SubjectKeyId})}}
			leaf := mk(t, tpl, inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"constraints of a self-issued intermediate still apply below it", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			inter := mk(t, caTpl("Issuing CA"), root)
			rollover := selfIssuedUnder(t, inter, func(c *x509.Certificate) { c.PermittedDNSDomainsCritical = true; permitExample(c) })
			leaf := leafWith(t, rollover, func(c *x509.Certificate) { c.DNSNames = []string{"evil.org"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert, rollover.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"intermediate narrows the root", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			tpl := caTpl("Issuing CA")
			tpl.PermittedDNSDomainsCritical = true
			tpl.PermittedDNSDomains = []string{"factory.example.com"}
			inter := mk(t, tpl, root)
			leaf := leafWith(t, inter, func(c *x509.Certificate) { c.DNSNames = []string{"office.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"intermediate cannot widen the root", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			tpl := caTpl("Issuing CA")
			tpl.PermittedDNSDomainsCritical = true
			tpl.PermittedDNSDomains = []string{"evil.org", "example.com"}
			inter := mk(t, tpl, root)
			leaf := leafWith(t, inter, func(c *x509.Certificate) { c.DNSNames = []string{"www.evil.org"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"intermediate's own SAN outside the root's constraints", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			tpl := caTpl("Issuing CA")
			tpl.DNSNames = []string{"ca.evil.org"}
			inter := mk(t, tpl, root)
			leaf := leafWith(t, inter, func(c *x509.Certificate) { c.DNSNames = []string{"d.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"--name matched through the CN fallback, outside", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "evil.org"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Name: "evil.org"}
		}, []Code{CodeNameConstraint}},
		{"--name matched through the CN fallback, inside", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "d.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Name: "d.example.com"}
		}, nil},
		{"--name matched through the CN fallback, excluded", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.ExcludedDNSDomains = []string{"evil.org"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "www.evil.org"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Name: "www.evil.org"}
		}, []Code{CodeNameConstraint}},
		{"--name matched through the serialNumber fallback is checked as a DNS name", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "d", SerialNumber: "SN-1"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Name: "SN-1"}
		}, []Code{CodeNameConstraint}},
		{"one of several --name values outside", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			leaf := leafWith(t, root, func(c *x509.Certificate) {
				c.Subject = pkix.Name{CommonName: "evil.org"}
				c.DNSNames = []string{"d.example.com"}
			})
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Names: []string{"d.example.com", "evil.org"}}
		}, []Code{CodeNameConstraint}},
		{"excluded IP", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) {
				c.ExcludedIPRanges = []*net.IPNet{{IP: net.IP{10, 0, 0, 0}, Mask: net.CIDRMask(8, 32)}}
			})
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.IPAddresses = []net.IP{{10, 1, 2, 3}} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"excluded IPv4 reached through an IPv4-mapped IPv6 SAN", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) {
				c.ExcludedIPRanges = []*net.IPNet{{IP: net.IP{10, 0, 0, 0}, Mask: net.CIDRMask(8, 32)}}
			})
			// crypto/x509 writes such an address as IPv4; other tools
			// need not, so the SAN is written by hand.
			ip := rawExt(t, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: net.ParseIP("::ffff:10.1.2.3").To16()})
			san := rawExt(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: ip})
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.ExtraExtensions = []pkix.Extension{{Id: oidExtSAN, Value: san}} })
			if len(leaf.cert.IPAddresses) != 1 || len(leaf.cert.IPAddresses[0]) != 16 {
				t.Fatalf("SAN is %v", leaf.cert.IPAddresses)
			}
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"permitted IP, --name IP in the CN only", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) {
				c.PermittedIPRanges = []*net.IPNet{{IP: net.IP{192, 0, 2, 0}, Mask: net.CIDRMask(24, 32)}}
			})
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "198.51.100.7"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0, Name: "198.51.100.7"}
		}, []Code{CodeNameConstraint}},
		{"permitted e-mail domain", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{"example.com"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.EmailAddresses = []string{"ops@example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, nil},
		{"e-mail in the subject is checked", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{"example.com"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) {
				c.Subject = pkix.Name{CommonName: "d", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidEmailAddress, Value: "x@evil.org"}}}
			})
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"excluded URI domain", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.ExcludedURIDomains = []string{".evil.org"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.URIs = []*url.URL{mustURL(t, "https://api.evil.org/x")} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"URI without a host under URI constraints", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.PermittedURIDomains = []string{".example.com"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) {
				c.URIs = []*url.URL{mustURL(t, "urn:uuid:0d3e5c4e-7b1c-4e8e-9a42-000000000001")}
			})
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"DNS constraints do not touch IP names", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, permitExample)
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.IPAddresses = []net.IP{{192, 0, 2, 1}} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, nil},
		{"wildcard SAN reaching an excluded subtree", func(t *testing.T) (*x509.Certificate, Options) {
			root := ncRoot(t, func(c *x509.Certificate) { c.ExcludedDNSDomains = []string{"admin.example.com"} })
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.DNSNames = []string{"*.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"directoryName permitted by the subject", func(t *testing.T) (*x509.Certificate, Options) {
			permitted := pkix.Name{Organization: []string{"Test Maker"}}
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Issuing CA")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtNameConstraints, Critical: true, Value: dnConstraint(t, permitted.ToRDNSequence(), false)}}
			inter := mk(t, tpl, root)
			leaf := leafWith(t, inter, func(c *x509.Certificate) { c.Subject = pkix.Name{Organization: []string{"Other"}, CommonName: "d"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"directoryName excluded, differently cased", func(t *testing.T) (*x509.Certificate, Options) {
			excluded := pkix.Name{Organization: []string{"EVIL corp"}}
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Issuing CA")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtNameConstraints, Critical: true, Value: dnConstraint(t, excluded.ToRDNSequence(), true)}}
			inter := mk(t, tpl, root)
			leaf := leafWith(t, inter, func(c *x509.Certificate) {
				c.Subject = pkix.Name{Organization: []string{"Evil  Corp"}, CommonName: "d"}
			})
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeNameConstraint}},
		{"end entity carrying name constraints", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			leaf := leafWith(t, p.inter, func(c *x509.Certificate) {
				c.DNSNames = []string{"d.example.com"}
				c.PermittedDNSDomains = []string{"example.com"}
				c.PermittedDNSDomainsCritical = true
			})
			return leaf.cert, p.opts()
		}, []Code{CodeNameConstraintsInLeaf}},
		{"non-critical name constraints", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Root"}, IsCA: true, BasicConstraintsValid: true,
				KeyUsage: x509.KeyUsageCertSign, PermittedDNSDomains: []string{"example.com"}}, nil)
			leaf := leafWith(t, root, func(c *x509.Certificate) { c.DNSNames = []string{"d.example.com"} })
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, At: t0}
		}, []Code{CodeExtensionCriticality}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf, opts := tt.setup(t)
			r := Verify(leaf, opts)
			if diff := cmp.Diff(sorted(tt.want), codes(r)); diff != "" {
				t.Errorf("Verify problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
			if r.Valid != (len(tt.want) == 0) {
				t.Errorf("valid = %v", r.Valid)
			}
		})
	}
}

// dnConstraint is a nameConstraints value with one directoryName subtree.
func dnConstraint(t testing.TB, dn pkix.RDNSequence, excluded bool) []byte {
	t.Helper()
	name := rawExt(t, dn)
	gn := rawExt(t, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name})
	subtree := rawExt(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: gn})
	tag := 0
	if excluded {
		tag = 1
	}
	subtrees := rawExt(t, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: subtree})
	return rawExt(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: subtrees})
}

// TestNameConstraintsMatchGo cross-checks the DNS, IP and e-mail
// constraint rules with crypto/x509 on plain chains (no self-issued
// certificates, where Go is right): whenever Go rejects a name, so must
// we, and we must agree on acceptance too. Then the same leaves sit behind
// a self-issued intermediate, where iotsec failed open before (it handed
// the path to Go): the verdicts must stay the plain chain's.
func TestNameConstraintsMatchGo(t *testing.T) {
	constraints := []func(*x509.Certificate){
		func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} },
		func(c *x509.Certificate) {
			c.PermittedDNSDomains = []string{"example.com"}
			c.ExcludedDNSDomains = []string{"bad.example.com"}
		},
		func(c *x509.Certificate) { c.ExcludedDNSDomains = []string{"org"} },
		func(c *x509.Certificate) {
			c.PermittedIPRanges = []*net.IPNet{{IP: net.IP{192, 0, 2, 0}, Mask: net.CIDRMask(24, 32)}}
		},
		func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{".example.com"} },
		func(c *x509.Certificate) { c.ExcludedEmailAddresses = []string{"root@example.com"} },
	}
	leaves := []func(*x509.Certificate){
		func(c *x509.Certificate) { c.DNSNames = []string{"example.com"} },
		func(c *x509.Certificate) { c.DNSNames = []string{"a.bad.example.com"} },
		func(c *x509.Certificate) { c.DNSNames = []string{"notexample.com"} },
		func(c *x509.Certificate) { c.DNSNames = []string{"x.example.com", "y.example.org"} },
		func(c *x509.Certificate) { c.IPAddresses = []net.IP{{192, 0, 2, 9}} },
		func(c *x509.Certificate) { c.IPAddresses = []net.IP{{192, 0, 3, 9}} },
		func(c *x509.Certificate) { c.EmailAddresses = []string{"a@mail.example.com"} },
		func(c *x509.Certificate) { c.EmailAddresses = []string{"root@example.com"} },
		func(c *x509.Certificate) { c.EmailAddresses = []string{"a@example.com"} },
	}
	checked, rejected := 0, 0
	for i, cons := range constraints {
		root := mk(t, caTpl("Root"), nil)
		tpl := caTpl("Constrained CA")
		tpl.PermittedDNSDomainsCritical = true
		cons(tpl)
		inter := mk(t, tpl, root)
		for j, edit := range leaves {
			leaf := leafWith(t, inter, edit)
			roots, inters := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(root.cert)
			inters.AddCert(inter.cert)
			_, err := leaf.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: t0, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			goOK := err == nil
			r := Verify(leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0})
			if r.Valid != goOK {
				t.Errorf("constraints %d, leaf %d: iotsec valid=%v %v, crypto/x509 %v", i, j, r.Valid, r.Problems, err)
			}
			checked++
			if !goOK {
				rejected++
			}
			// The same leaf behind a self-issued (key rollover)
			// intermediate under a CA with a path length: the issue 12
			// fail-open shape. The verdict must not change.
			tpl := caTpl("Constrained CA")
			tpl.PermittedDNSDomainsCritical = true
			// pathLen 0 admits the rollover certificate (self-issued ones
			// do not count, RFC 5280 6.1.4 l); crypto/x509 counts it and
			// fails with another error, which the old code discarded.
			tpl.MaxPathLen, tpl.MaxPathLenZero = 0, true
			cons(tpl)
			ca := mk(t, tpl, root)
			rollover := selfIssuedUnder(t, ca, nil)
			leaf2 := leafWith(t, rollover, edit)
			r2 := Verify(leaf2.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{ca.cert, rollover.cert}, At: t0})
			if len(r2.Chain) != 4 || r2.Valid != goOK {
				t.Errorf("constraints %d, leaf %d behind a self-issued CA: valid=%v %v (chain %d), want %v", i, j, r2.Valid, r2.Problems, len(r2.Chain), goOK)
			}
		}
	}
	if rejected == 0 || rejected == checked {
		t.Fatalf("the grid must hold both verdicts: %d of %d rejected", rejected, checked)
	}
}

// TestStrictRules checks the RFC 5280 rules of strict.go and the
// keyUsage, CA-leaf and CRL-number rules, one certificate defect each.
func TestStrictRules(t *testing.T) {
	emptyKU := pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: rawExt(t, asn1.BitString{})}
	tests := []struct {
		name  string
		setup func(t *testing.T) (*x509.Certificate, Options)
		want  []Code
	}{
		{"issuer keyUsage asserting no bit", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Empty KU CA")
			tpl.KeyUsage = 0
			tpl.ExtraExtensions = []pkix.Extension{emptyKU}
			inter := mk(t, tpl, root)
			leaf := mk(t, leafTpl("d"), inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeCertSignMissing, CodeExtensionEmpty}},
		{"issuer without keyUsage is fine", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("No KU CA")
			tpl.KeyUsage = 0
			inter := mk(t, tpl, root)
			leaf := mk(t, leafTpl("d"), inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, nil},
		{"leaf keyUsage asserting no bit", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("d")
			tpl.KeyUsage = 0
			tpl.ExtraExtensions = []pkix.Extension{emptyKU}
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeExtensionEmpty}},
		{"CA certificate as the leaf (x509)", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			o := p.opts()
			o.Intermediates = nil
			return p.inter.cert, o
		}, []Code{CodeLeafIsCA}},
		{"CA certificate as the leaf (idevid has its own rule)", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := caTpl("CA with serial")
			tpl.Subject.SerialNumber = "SN-CA"
			ca := mk(t, tpl, p.root)
			o := p.opts()
			o.Profile = ProfileIDevID
			return ca.cert, o
		}, []Code{CodeIDevIDLeafIsCA, CodeIDevIDKeyUsage}},
		{"keyCertSign in an end entity", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("d")
			tpl.KeyUsage |= x509.KeyUsageCertSign
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeKeyUsageInconsistent}},
		{"leaf without AKI", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			noSKI := *p.inter.cert
			noSKI.SubjectKeyId = nil
			leaf := mk(t, leafTpl("d"), &node{&noSKI, p.inter.key})
			if len(leaf.cert.AuthorityKeyId) != 0 {
				t.Fatal("leaf has an AKI")
			}
			return leaf.cert, p.opts()
		}, []Code{CodeKeyIDMissing}},
		{"self-signed root without AKI is fine", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			if len(p.root.cert.AuthorityKeyId) != 0 {
				t.Fatal("root has an AKI")
			}
			return p.leaf.cert, p.opts()
		}, nil},
		{"CA without SKI", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("No SKI CA")
			tpl.SubjectKeyId = []byte{}
			tpl.ExtraExtensions = nil
			inter := mkNoSKI(t, tpl, root)
			leaf := mk(t, leafTpl("d"), inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeKeyIDMissing, CodeKeyIDMissing}},
		{"issuing CA with non-critical basicConstraints", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Lax CA")
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtBasicConstraints, Value: rawExt(t, struct {
				CA bool `asn1:"optional"`
			}{true})}}
			inter := mk(t, tpl, root)
			leaf := mk(t, leafTpl("d"), inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodeExtensionCriticality}},
		{"empty extKeyUsage", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("d")
			tpl.ExtKeyUsage = nil
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtEKU, Value: []byte{0x30, 0}}}
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeExtensionEmpty}},
		{"explicit policy required", func(t *testing.T) (*x509.Certificate, Options) {
			root := mk(t, caTpl("Root"), nil)
			tpl := caTpl("Policy CA")
			// SEQUENCE { requireExplicitPolicy [0] 0 }
			tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtPolicyConstraint, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}}}
			inter := mk(t, tpl, root)
			leaf := mk(t, leafTpl("d"), inter)
			return leaf.cert, Options{Roots: []*x509.Certificate{root.cert}, Intermediates: []*x509.Certificate{inter.cert}, At: t0}
		}, []Code{CodePolicyUnsupported}},
		{"dNSName SAN with an underscore", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("d")
			tpl.DNSNames = []string{"my_device.example.com"}
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeNameInvalid}},
		{"zero serial number", func(t *testing.T) (*x509.Certificate, Options) {
			p := newPKI(t)
			tpl := leafTpl("d")
			tpl.SerialNumber = big.NewInt(0)
			return mk(t, tpl, p.inter).cert, p.opts()
		}, []Code{CodeSerialNumber}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf, opts := tt.setup(t)
			r := Verify(leaf, opts)
			if diff := cmp.Diff(sorted(slices.Compact(sorted(tt.want))), codes(r)); diff != "" {
				t.Errorf("Verify problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
			if r.Valid != (len(tt.want) == 0) {
				t.Errorf("valid = %v", r.Valid)
			}
		})
	}
}

// mkNoSKI issues a CA certificate without a subjectKeyIdentifier, which
// crypto/x509 adds to CA certificates by itself: it signs the TBS by hand.
func mkNoSKI(t testing.TB, tpl *x509.Certificate, parent *node) *node {
	t.Helper()
	n := mk(t, tpl, parent)
	// Rebuild the TBS without the SKI extension and re-sign it.
	var cert struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(n.cert.Raw, &cert); err != nil {
		t.Fatal(err)
	}
	var tbs struct {
		Version    int `asn1:"optional,explicit,default:0,tag:0"`
		Serial     *big.Int
		Alg        pkix.AlgorithmIdentifier
		Issuer     asn1.RawValue
		Validity   asn1.RawValue
		Subject    asn1.RawValue
		PublicKey  asn1.RawValue
		Extensions []pkix.Extension `asn1:"optional,explicit,tag:3"`
	}
	if _, err := asn1.Unmarshal(cert.TBS.FullBytes, &tbs); err != nil {
		t.Fatal(err)
	}
	tbs.Extensions = slices.DeleteFunc(tbs.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidExtSKID) })
	der := resign(t, tbs, cert.Alg, parent.key)
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SubjectKeyId) != 0 {
		t.Fatal("SKI still there")
	}
	return &node{c, n.key}
}

func resign(t testing.TB, tbs any, alg pkix.AlgorithmIdentifier, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tbsDER := rawExt(t, tbs)
	h := sha256.Sum256(tbsDER)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return rawExt(t, struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

// rawCRL builds a CRL by hand (crypto/x509 always writes a non-critical
// CRL number): exts are its extensions, in order, besides the AKI.
func rawCRL(t testing.TB, issuer *node, thisUpdate, nextUpdate time.Time, exts []pkix.Extension) *x509.RevocationList {
	t.Helper()
	var subject pkix.RDNSequence
	if _, err := asn1.Unmarshal(issuer.cert.RawSubject, &subject); err != nil {
		t.Fatal(err)
	}
	aki := pkix.Extension{Id: oidExtAKID, Value: rawExt(t, struct {
		ID []byte `asn1:"optional,tag:0"`
	}{issuer.cert.SubjectKeyId})}
	alg := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	tbs := pkix.TBSCertificateList{Version: 1, Signature: alg, Issuer: subject, ThisUpdate: thisUpdate.UTC(), NextUpdate: nextUpdate.UTC(),
		Extensions: append([]pkix.Extension{aki}, exts...)}
	der := resign(t, tbs, alg, issuer.key)
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

// TestCRLNumberRules: RFC 5280 5.2.3 makes the CRL number mandatory and
// non-critical; a CRL breaking either is not used and is a problem.
func TestCRLNumberRules(t *testing.T) {
	number := func(critical bool) pkix.Extension {
		return pkix.Extension{Id: oidExtCRLNumber, Critical: critical, Value: rawExt(t, big.NewInt(7))}
	}
	day, week := t0.AddDate(0, 0, -1), t0.AddDate(0, 0, 7)
	for _, tt := range []struct {
		name string
		exts []pkix.Extension
		want []Code
	}{
		{"with a CRL number", []pkix.Extension{number(false)}, nil},
		{"without a CRL number", nil, []Code{CodeCRLNumber}},
		{"critical CRL number", []pkix.Extension{number(true)}, []Code{CodeCRLNumber}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKI(t)
			o := p.opts()
			o.CRLs = []*x509.RevocationList{rawCRL(t, p.inter, day, week, tt.exts)}
			r := Verify(p.leaf.cert, o)
			if diff := cmp.Diff(sorted(tt.want), codes(r)); diff != "" {
				t.Errorf("problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
			// A rejected CRL does not count as coverage.
			o.RequireCRL = true
			r = Verify(p.leaf.cert, o)
			leaf := subject(p.leaf.cert)
			got := slices.ContainsFunc(r.Problems, func(x Problem) bool {
				return x.Code == CodeRevocationUnknown && strings.Contains(x.Detail, leaf)
			})
			if got != (len(tt.want) > 0) {
				t.Errorf("RequireCRL: revocation.unknown = %v; %v", got, r.Problems)
			}
		})
	}
}
