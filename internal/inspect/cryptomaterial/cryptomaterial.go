// Package cryptomaterial finds keys and certificates in an unpacked image:
// private keys (PEM, PKCS#1, PKCS#8, SEC 1, OpenSSH, DER, Dropbear host
// keys), certificates that are expired, self-signed, signed with MD5 or
// SHA-1 or carry short keys, and the same private key found in several
// places.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package cryptomaterial

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"golang.org/x/crypto/ssh"
)

// Category is the category of this family's findings.
const Category = "crypto-material"

// Rules of this family.
const (
	RulePrivateKey            = "crypto.private-key"
	RuleEncryptedKey          = "crypto.encrypted-private-key"
	RuleKeyReuse              = "crypto.key-reuse"
	RuleCertExpired           = "crypto.cert-expired"
	RuleCertNotYetValid       = "crypto.cert-not-yet-valid"
	RuleCertSelf              = "crypto.cert-self-signed"
	RuleCertWeakSig           = "crypto.cert-weak-signature"
	RuleCertShortKey          = "crypto.cert-short-key"
	RuleShortKey              = "crypto.short-private-key"
	minRSABits                = 2048
	minECBits                 = 224
	maxBlocksPerFile          = 500
	maxFileSize         int64 = 64 << 20
)

// Analyser is the crypto-material family.
type Analyser struct {
	// Now is the clock for expiry checks; nil means time.Now.
	Now func() time.Time
}

// New returns the analyser with the system clock.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

func (a *Analyser) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// key is a private key found somewhere.
type key struct {
	path   string
	off    int64
	id     string // SHA-256 of the public key, to spot reuse
	desc   string
	sum    string
	weak   bool
	header string
}

// trustStore reports CA bundles, whose self-signed and old roots are no
// finding.
func trustStore(p string) bool {
	p = "/" + p
	for _, s := range []string{"/etc/ssl/certs/", "/ca-certificates", "/ca-bundle", "cacert.pem", "/etc/pki/", "/share/ca-certificates/", "certdata", "/etc/ssl/cert.pem"} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// Analyse runs every check of the family.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	var keys []key
	for _, f := range t.Regular(nil) {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if f.Size == 0 || f.Size > maxFileSize || check.Incidental(f.Path) {
			continue
		}
		name := f.Name()
		ext := strings.ToLower(path.Ext(name))
		der := ext == ".der" || ext == ".cer" || ext == ".crt" || ext == ".key" || ext == ".p8" || ext == ".pk8"
		dropbear := strings.HasPrefix(name, "dropbear_") && strings.HasSuffix(name, "_host_key")
		b, err := t.Read(f.Path)
		if err != nil {
			continue
		}
		if !bytes.Contains(b, []byte("-----BEGIN ")) && !der && !dropbear {
			continue
		}
		sum := check.Hash(b)
		fk, ff := a.scanFile(f.Path, b, sum, der, dropbear)
		keys = append(keys, fk...)
		r.Findings = append(r.Findings, ff...)
	}
	for _, k := range keys {
		rule, sev, title := RulePrivateKey, check.High, "Private key in image: "+k.desc
		if k.header == "encrypted" {
			rule, sev, title = RuleEncryptedKey, check.Medium, "Encrypted private key in image"
		}
		r.Findings = append(r.Findings, check.Finding{
			Rule: rule, Category: Category, Severity: sev, Title: title, Path: k.path,
			Evidence:   check.Evidence{Offset: k.off, Text: k.desc, SHA256: k.sum},
			Provisions: []string{"5.4-3", "5.4-4"},
		})
		if k.weak {
			r.Findings = append(r.Findings, check.Finding{
				Rule: RuleShortKey, Category: Category, Severity: check.Medium, Title: "Private key too short: " + k.desc, Path: k.path,
				Evidence:   check.Evidence{Offset: k.off, Text: k.desc, SHA256: k.sum},
				Provisions: []string{"5.5-1"},
			})
		}
	}
	r.Findings = append(r.Findings, reuse(keys)...)
	return r, nil
}

// reuse reports private keys found at more than one path.
func reuse(keys []key) []check.Finding {
	byID := map[string][]key{}
	var ids []string
	for _, k := range keys {
		if k.id == "" {
			continue
		}
		if _, ok := byID[k.id]; !ok {
			ids = append(ids, k.id)
		}
		byID[k.id] = append(byID[k.id], k)
	}
	sort.Strings(ids)
	var out []check.Finding
	for _, id := range ids {
		ks := byID[id]
		paths := map[string]bool{}
		for _, k := range ks {
			paths[k.path] = true
		}
		if len(paths) < 2 {
			continue
		}
		var ps []string
		for p := range paths {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		out = append(out, check.Finding{
			Rule: RuleKeyReuse, Category: Category, Severity: check.Medium,
			Title: fmt.Sprintf("The same private key is stored in %d places", len(ps)), Path: ps[0],
			Evidence:   check.Evidence{Text: "also in " + strings.Join(ps[1:], ", "), SHA256: id},
			Provisions: []string{"5.4-4"},
		})
	}
	return out
}

// scanFile parses the PEM blocks (or the DER or Dropbear content) of one
// file.
func (a *Analyser) scanFile(p string, b []byte, sum string, der, dropbear bool) ([]key, []check.Finding) {
	var keys []key
	var out []check.Finding
	if dropbear {
		if k, ok := dropbearKey(b); ok {
			keys = append(keys, key{path: p, desc: k, sum: sum, id: check.Hash(b)})
		}
		return keys, out
	}
	rest := b
	found := false
	for n := 0; n < maxBlocksPerFile; n++ {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		off := int64(len(b) - len(rest) + i)
		blk, next := pem.Decode(rest[i:])
		if blk == nil {
			rest = rest[i+11:]
			continue
		}
		rest = next
		found = true
		switch {
		case strings.HasSuffix(blk.Type, "PRIVATE KEY"):
			k := parseKey(blk)
			k.path, k.off, k.sum = p, off, sum
			keys = append(keys, k)
		case blk.Type == "CERTIFICATE" || blk.Type == "X509 CERTIFICATE":
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				out = append(out, a.certFindings(p, off, sum, c)...)
			}
		}
	}
	if !found && der {
		if c, err := x509.ParseCertificate(b); err == nil {
			out = append(out, a.certFindings(p, 0, sum, c)...)
		} else if k, ok := parseDERKey(b); ok {
			k.path, k.sum = p, sum
			keys = append(keys, k)
		}
	}
	return keys, out
}

func parseKey(blk *pem.Block) key {
	if blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] == "4,ENCRYPTED" {
		return key{desc: "encrypted " + strings.ToLower(strings.TrimSuffix(blk.Type, " PRIVATE KEY")) + " key", header: "encrypted"}
	}
	if blk.Type == "OPENSSH PRIVATE KEY" {
		raw, err := ssh.ParseRawPrivateKey(pem.EncodeToMemory(blk))
		if err != nil {
			if _, ok := err.(*ssh.PassphraseMissingError); ok {
				return key{desc: "encrypted OpenSSH key", header: "encrypted"}
			}
			return key{desc: "OpenSSH private key (unparsed)"}
		}
		return describe(raw, "OpenSSH")
	}
	if k, ok := parseDERKey(blk.Bytes); ok {
		return k
	}
	return key{desc: strings.ToLower(blk.Type) + " (unparsed)"}
}

func parseDERKey(der []byte) (key, bool) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return describe(k, "PKCS#1"), true
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return describe(k, "PKCS#8"), true
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return describe(k, "SEC 1"), true
	}
	return key{}, false
}

// describe names a key and its size, and identifies it by its public key.
func describe(k any, form string) key {
	var pub any
	var desc string
	weak := false
	switch k := k.(type) {
	case *rsa.PrivateKey:
		pub, desc = &k.PublicKey, fmt.Sprintf("RSA %d-bit (%s)", k.N.BitLen(), form)
		weak = k.N.BitLen() < minRSABits
	case *ecdsa.PrivateKey:
		pub, desc = &k.PublicKey, fmt.Sprintf("EC %s (%s)", k.Curve.Params().Name, form)
		weak = k.Curve.Params().BitSize < minECBits
	case ed25519.PrivateKey:
		pub, desc = k.Public(), fmt.Sprintf("Ed25519 (%s)", form)
	case *ed25519.PrivateKey:
		pub, desc = k.Public(), fmt.Sprintf("Ed25519 (%s)", form)
	default:
		desc = fmt.Sprintf("%T (%s)", k, form)
	}
	id := ""
	if pub != nil {
		if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
			id = check.Hash(der)
		}
	}
	return key{desc: desc, id: id, weak: weak}
}

// dropbearKey reads the key type of a Dropbear host key file: a
// length-prefixed algorithm name, then the key.
func dropbearKey(b []byte) (string, bool) {
	if len(b) < 8 {
		return "", false
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 || n > 64 || int(n)+4 > len(b) {
		return "", false
	}
	alg := string(b[4 : 4+n])
	if !strings.HasPrefix(alg, "ssh-") && !strings.HasPrefix(alg, "ecdsa-") {
		return "", false
	}
	return "Dropbear SSH host key " + alg, true
}

// certFindings checks one certificate. In a trust store (CA bundles,
// /etc/ssl/certs) a self-signed CA is a trust anchor: its own signature is
// never checked by anyone, so self-signing and a weak signature algorithm
// are no finding there, but its validity period still is, and a
// certificate there that is no CA (a device's own certificate put among
// the roots) gets every check.
func (a *Analyser) certFindings(p string, off int64, sum string, c *x509.Certificate) []check.Finding {
	var out []check.Finding
	anchor := trustStore(p) && c.IsCA && selfSigned(c)
	subj := c.Subject.CommonName
	if subj == "" {
		subj = c.Subject.String()
	}
	add := func(rule string, sev check.Severity, title, text string) {
		out = append(out, check.Finding{
			Rule: rule, Category: Category, Severity: sev, Title: title, Path: p,
			Evidence:   check.Evidence{Offset: off, Text: text, SHA256: sum},
			Provisions: []string{"5.5-1"},
		})
	}
	now := a.now()
	if now.After(c.NotAfter) {
		add(RuleCertExpired, check.Medium, fmt.Sprintf("Certificate %q expired on %s", subj, c.NotAfter.Format("2006-01-02")),
			"notAfter "+c.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(c.NotBefore) {
		add(RuleCertNotYetValid, check.Medium, fmt.Sprintf("Certificate %q is not valid before %s", subj, c.NotBefore.Format("2006-01-02")),
			"notBefore "+c.NotBefore.UTC().Format(time.RFC3339))
	}
	if anchor {
		return out
	}
	if selfSigned(c) {
		add(RuleCertSelf, check.Low, fmt.Sprintf("Certificate %q is self-signed", subj), "issuer = subject: "+c.Subject.String())
	}
	switch c.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		add(RuleCertWeakSig, check.Medium, fmt.Sprintf("Certificate %q is signed with %s", subj, c.SignatureAlgorithm), c.SignatureAlgorithm.String())
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			add(RuleCertShortKey, check.High, fmt.Sprintf("Certificate %q has a %d-bit RSA key", subj, k.N.BitLen()), fmt.Sprintf("RSA %d bits", k.N.BitLen()))
		}
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize < minECBits {
			add(RuleCertShortKey, check.High, fmt.Sprintf("Certificate %q has a %d-bit EC key", subj, k.Curve.Params().BitSize), k.Curve.Params().Name)
		}
	}
	return out
}

// selfSigned reports a certificate whose issuer is its subject and whose
// signature its own key verifies (MD5 and SHA-1 signatures are taken on
// the name alone, since crypto/x509 refuses to verify them).
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	// CheckSignature, not CheckSignatureFrom: a self-signed leaf is no CA
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}
