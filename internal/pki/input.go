package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/iotsec/iotsec/internal/pki/matter"
)

// Codes for input files that VerifyInput could not use.
const (
	// CodeInputTooLarge: a file over MaxBundleSize, or a roots, CRL or
	// CD-signer file with more than MaxBundleItems entries.
	CodeInputTooLarge Code = "input.too_large"
	// CodeInputMalformed: a file that holds nothing of the expected kind,
	// or a Certification Declaration that is neither DER nor hex.
	CodeInputMalformed Code = "input.malformed"
)

// File is one input file as the caller names it (a path, "-" for standard
// input); Name appears in the problems about it.
type File struct {
	Name string
	Data []byte
}

// Input is what `iotsec identity verify` reads, unparsed. VerifyInput
// turns every defect of it into a problem, so the command's JSON result
// holds for any file content.
type Input struct {
	Chain File   // the leaf, then intermediates offered with it
	Roots []File // trust anchors
	CRLs  []File
	// CD is a Matter Certification Declaration (CMS, DER or hex) and
	// CDSigners the certificates of the keys trusted to sign it; both
	// need the matter-dac profile.
	CD        *File
	CDSigners []File
}

// VerifyInput parses the files of in and verifies the chain with
// opts (whose Roots, CRLs and Intermediates are added to what the files
// give). Every certificate, CRL or file that cannot be used is a problem
// naming the file and the item's index, and the result is never valid
// then; the chain is still verified with what did parse so the rest of
// the result stays informative.
func VerifyInput(in Input, opts Options) Result {
	var probs []Problem
	for _, f := range in.Roots {
		ders, p := bundle(f, "CERTIFICATE", MaxBundleItems)
		probs = append(probs, p...)
		for i, d := range ders {
			c, err := x509.ParseCertificate(d)
			if err != nil {
				probs = append(probs, fileProblem(f, parseProblem(i, d, err)))
				continue
			}
			opts.Roots = append(opts.Roots, c)
		}
	}
	for _, f := range in.CRLs {
		ders, p := bundle(f, "X509 CRL", MaxBundleItems)
		probs = append(probs, p...)
		for i, d := range ders {
			rl, err := x509.ParseRevocationList(d)
			if err != nil {
				probs = append(probs, Problem{CodeCRLMalformed, fmt.Sprintf("%s: CRL %d (%d bytes): %v", f.Name, i+1, len(d), err)})
				continue
			}
			opts.CRLs = append(opts.CRLs, rl)
		}
	}
	if in.CD != nil || len(in.CDSigners) > 0 {
		m := &MatterOptions{}
		if opts.Matter != nil {
			cp := *opts.Matter
			m = &cp
		}
		if in.CD != nil {
			cd, p := declaration(*in.CD)
			probs = append(probs, p...)
			m.CD = cd
		}
		for _, f := range in.CDSigners {
			ders, p := bundle(f, "CERTIFICATE", MaxBundleItems)
			probs = append(probs, p...)
			for i, d := range ders {
				c, err := x509.ParseCertificate(d)
				if err != nil {
					probs = append(probs, fileProblem(f, parseProblem(i, d, err)))
					continue
				}
				k, ok := c.PublicKey.(*ecdsa.PublicKey)
				if !ok || len(c.SubjectKeyId) == 0 {
					probs = append(probs, Problem{CodeUnsupportedKey, fmt.Sprintf("%s: certificate %d (%q): a CD signer needs an ECDSA key and a subjectKeyIdentifier", f.Name, i+1, subject(c))})
					continue
				}
				m.CDKeys = append(m.CDKeys, matter.SignerKey{KeyID: c.SubjectKeyId, PublicKey: k})
			}
		}
		opts.Matter = m
	}
	// The chain: the leaf and at most MaxCandidates intermediates; more is
	// chain.too_long, and what parsed is still verified.
	ders, p := bundle(in.Chain, "CERTIFICATE", 0)
	probs = append(probs, p...)
	if len(ders) > 1+MaxCandidates {
		probs = append(probs, Problem{CodeChainTooLong, fmt.Sprintf("%s holds %d certificates, limit %d (the leaf and %d intermediates)",
			in.Chain.Name, len(ders), 1+MaxCandidates, MaxCandidates)})
		ders = ders[:1+MaxCandidates]
	}
	var r Result
	if len(ders) == 0 {
		r = finish(nil, []Problem{{CodeChainEmpty, fmt.Sprintf("%s: no certificate", in.Chain.Name)}})
	} else {
		r = verifyDER(ders, in.Chain.Name, opts)
	}
	if len(probs) > 0 {
		r.Problems = append(probs, r.Problems...)
		r.Valid = false
	}
	return r
}

func fileProblem(f File, p Problem) Problem {
	p.Detail = f.Name + ": " + p.Detail
	return p
}

// bundle splits a PEM (blocks of type typ; others are skipped) or DER
// file, reporting what makes it unusable. max > 0 caps the number of
// blocks (the rest is reported and dropped); 0 leaves it to the caller.
func bundle(f File, typ string, max int) ([][]byte, []Problem) {
	if len(f.Data) > MaxBundleSize {
		return nil, []Problem{{CodeInputTooLarge, fmt.Sprintf("%s: %d bytes or more, limit %d", f.Name, len(f.Data), MaxBundleSize)}}
	}
	if !bytes.Contains(f.Data, []byte("-----BEGIN")) {
		if len(bytes.TrimSpace(f.Data)) == 0 {
			return nil, []Problem{{CodeInputMalformed, fmt.Sprintf("%s: empty", f.Name)}}
		}
		return [][]byte{f.Data}, nil
	}
	var out [][]byte
	var probs []Problem
	rest := f.Data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != typ {
			continue
		}
		if max > 0 && len(out) == max {
			probs = append(probs, Problem{CodeInputTooLarge, fmt.Sprintf("%s: more than %d %s blocks; the rest is ignored", f.Name, max, typ)})
			break
		}
		out = append(out, b.Bytes)
	}
	if len(out) == 0 {
		probs = append(probs, Problem{CodeInputMalformed, fmt.Sprintf("%s: no %s PEM block", f.Name, typ)})
	}
	return out, probs
}

// declaration reads a Certification Declaration file: DER, or the hex
// that chip's tools print.
func declaration(f File) ([]byte, []Problem) {
	if len(f.Data) > MaxBundleSize {
		return nil, []Problem{{CodeInputTooLarge, fmt.Sprintf("%s: %d bytes or more, limit %d", f.Name, len(f.Data), MaxBundleSize)}}
	}
	s := strings.Join(strings.Fields(string(f.Data)), "")
	if s != "" && strings.Trim(s, "0123456789abcdefABCDEF") == "" {
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, []Problem{{CodeInputMalformed, fmt.Sprintf("%s: hex: %v", f.Name, err)}}
		}
		return b, nil
	}
	if len(f.Data) == 0 || f.Data[0] != 0x30 {
		return nil, []Problem{{CodeInputMalformed, fmt.Sprintf("%s: neither DER (a SEQUENCE) nor hex", f.Name)}}
	}
	return f.Data, nil
}

// ParseExtKeyUsage reads an extended key usage by its RFC 5280 name
// (serverAuth, clientAuth, codeSigning, emailProtection, timeStamping,
// OCSPSigning), as --eku takes it.
func ParseExtKeyUsage(s string) (x509.ExtKeyUsage, bool) {
	for _, e := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageCodeSigning,
		x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageTimeStamping, x509.ExtKeyUsageOCSPSigning} {
		if strings.EqualFold(ekuName(e), s) {
			return e, true
		}
	}
	return 0, false
}

// nameKind classifies a name given to check (--name): "ip" for an IPv4 or
// IPv6 address, "uri" for an absolute URI with a scheme, "email" for a
// mailbox, "dns" otherwise. A name is checked against the name
// constraints of its kind, whichever field of the leaf carried it.
func nameKind(s string) string {
	if net.ParseIP(s) != nil {
		return "ip"
	}
	if strings.Contains(s, ":") {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" {
			return "uri"
		}
	}
	if strings.Contains(s, "@") {
		return "email"
	}
	return "dns"
}
