package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// Input limits for PEM/DER bundles read from files or requests.
const (
	MaxBundleSize  = 1 << 20 // bytes
	MaxBundleItems = 64      // certificates or CRLs in one bundle
)

// ParseCertificates reads certificates from PEM ("CERTIFICATE" blocks,
// other block types skipped) or from one DER certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	ders, err := blocks(data, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseCertificatesDER returns the DER of each certificate in a PEM or DER
// bundle without parsing it, for VerifyDER.
func ParseCertificatesDER(data []byte) ([][]byte, error) { return blocks(data, "CERTIFICATE") }

// ParseCRLs reads CRLs from PEM ("X509 CRL" blocks) or one DER CRL.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	ders, err := blocks(data, "X509 CRL")
	if err != nil {
		return nil, err
	}
	var out []*x509.RevocationList
	for i, d := range ders {
		rl, err := x509.ParseRevocationList(d)
		if err != nil {
			return nil, fmt.Errorf("CRL %d: %w", i+1, err)
		}
		out = append(out, rl)
	}
	return out, nil
}

func blocks(data []byte, typ string) ([][]byte, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("bundle of %d bytes exceeds limit %d", len(data), MaxBundleSize)
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("empty input")
		}
		return [][]byte{data}, nil
	}
	var out [][]byte
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != typ {
			continue
		}
		if len(out) == MaxBundleItems {
			return nil, fmt.Errorf("more than %d %s blocks", MaxBundleItems, typ)
		}
		out = append(out, b.Bytes)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s PEM block found", typ)
	}
	return out, nil
}

// parseProblem turns a certificate parse error into a problem, separating
// keys Go cannot use (secp256k1, for one) from broken encodings.
func parseProblem(i int, der []byte, err error) Problem {
	msg := err.Error()
	code := CodeCertMalformed
	if strings.Contains(msg, "unsupported elliptic curve") || strings.Contains(msg, "unknown public key algorithm") ||
		strings.Contains(msg, "unsupported public key") {
		code = CodeUnsupportedKey
	}
	return Problem{code, fmt.Sprintf("certificate %d (%d bytes): %v", i+1, len(der), err)}
}
