package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/pki/matter"
)

// Profile selects the rules applied on top of RFC 5280 path validation.
type Profile string

// Profiles, as named on the command line (--profile).
const (
	ProfileX509      Profile = "x509"
	ProfileIDevID    Profile = "idevid"
	ProfileMatterDAC Profile = "matter-dac"
)

// Limits on what one verification will look at. Device chains are short;
// anything beyond these is hostile or broken.
const (
	MaxChainDepth     = 8   // certificates in a path, anchor included
	MaxCandidates     = 64  // intermediates considered
	maxSignatureCheck = 100 // like crypto/x509's own cap
	maxPaths          = 16  // complete paths compared
)

// Options are the inputs of a verification besides the chain itself.
type Options struct {
	Roots         []*x509.Certificate // trust anchors
	Intermediates []*x509.Certificate // untrusted, may be used to build the path
	CRLs          []*x509.RevocationList
	// At is the verification time. Verification never reads the clock:
	// the caller passes now or the --at time.
	At      time.Time
	Profile Profile // empty means ProfileX509
	// Name, when set, must be carried by the leaf: as a DNS, e-mail, IP or
	// URI subject alternative name, or as the subject serialNumber or
	// common name (device identities often have no SAN).
	Name string
	// Names are further names the leaf must carry, each checked as Name
	// (the CLI's repeated --name).
	Names []string
	// KeyUsage bits the leaf must have. A leaf without a keyUsage
	// extension has none.
	KeyUsage x509.KeyUsage
	// ExtKeyUsage the chain must allow, with crypto/x509's nesting rule: a
	// certificate without the EKU extension allows everything.
	ExtKeyUsage []x509.ExtKeyUsage
	// HandledCritical lists critical extensions the caller processes
	// itself (for example TCG DICE 2.23.133.5.4.*); other unknown critical
	// extensions are problems unless IgnoreUnknownCritical is set.
	HandledCritical       []asn1.ObjectIdentifier
	IgnoreUnknownCritical bool
	// RequireCRL makes a certificate whose revocation status no given CRL
	// covers a problem. Without it, CRLs are checked when they apply.
	RequireCRL bool
	// Matter holds inputs of the matter-dac profile; nil checks the chain
	// only.
	Matter *MatterOptions

	// allowCALeaf lets the x509 profile verify a CA certificate as the
	// leaf: an indirect CRL's signer (crl.go).
	allowCALeaf bool
}

// MatterOptions are the commissioner-side inputs of Matter attestation.
type MatterOptions struct {
	// VendorID and ProductID from the Basic Information cluster; zero
	// values are not compared.
	VendorID, ProductID uint16
	// CD is the Certification Declaration (CMS, DER) the device returned;
	// nil skips the declaration checks.
	CD []byte
	// CDKeys are the trusted declaration signing keys.
	CDKeys []matter.SignerKey
	// RevocationSets are DCL revocation sets the caller trusts (built from
	// verified CRLs); a PAI or DAC they list is revoked.
	RevocationSets []matter.RevocationSet
}

// Result is the outcome of a verification, shaped for
// `iotsec identity verify -o json`.
type Result struct {
	Valid bool `json:"valid"`
	// Chain holds the subjects of the chosen path, leaf first, trust
	// anchor last (or the longest partial path when none reached one).
	Chain    []string  `json:"chain"`
	Problems []Problem `json:"problems"`
	// Certificates is the path behind Chain.
	Certificates []*x509.Certificate `json:"-"`
}

// Verify builds a path from leaf to one of opts.Roots and checks it against
// RFC 5280, the CRLs and the profile. It never fails: every reason for
// rejection is a Problem in the result.
func Verify(leaf *x509.Certificate, opts Options) Result {
	if leaf == nil {
		return finish(nil, []Problem{{CodeChainEmpty, "no leaf certificate"}})
	}
	if opts.At.IsZero() {
		return finish(nil, []Problem{{CodeTimeMissing, "verification time not set"}})
	}
	inters := opts.Intermediates
	var probs []Problem
	if len(inters) > MaxCandidates {
		probs = append(probs, Problem{CodeChainTooLong, fmt.Sprintf("%d intermediates given, limit %d", len(inters), MaxCandidates)})
		inters = inters[:MaxCandidates]
	}
	b := &builder{roots: opts.Roots, inters: inters, sigs: map[[2]*x509.Certificate]error{}}
	paths, partial, linkProbs := b.build(leaf)
	if len(paths) == 0 {
		chain := partial
		probs = append(probs, linkProbs...)
		if len(linkProbs) == 0 {
			probs = append(probs, Problem{CodeChainUntrusted, fmt.Sprintf("no path from %q to a trust anchor", subject(chain[len(chain)-1]))})
		}
		probs = append(probs, check(chain, false, opts)...)
		return finish(chain, probs)
	}
	// Several paths can reach an anchor (cross-signed CAs, renewed
	// intermediates); report the one with the fewest problems.
	var best []*x509.Certificate
	var bestProbs []Problem
	for _, p := range paths {
		pp := check(p, true, opts)
		if best == nil || len(pp) < len(bestProbs) {
			best, bestProbs = p, pp
		}
	}
	return finish(best, append(probs, bestProbs...))
}

// VerifyDER is Verify for raw input: der[0] is the leaf and the rest are
// intermediates offered with it (added to opts.Intermediates). Certificates
// that do not parse become problems, not errors.
func VerifyDER(der [][]byte, opts Options) Result { return verifyDER(der, "", opts) }

// verifyDER is VerifyDER with the name of the file der came from for its
// problems.
func verifyDER(der [][]byte, file string, opts Options) Result {
	if len(der) == 0 {
		return finish(nil, []Problem{{CodeChainEmpty, "no certificate given"}})
	}
	var certs []*x509.Certificate
	var probs []Problem
	for i, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			p := parseProblem(i, d, err)
			if file != "" {
				p.Detail = file + ": " + p.Detail
			}
			probs = append(probs, p)
			continue
		}
		certs = append(certs, c)
	}
	if len(probs) > 0 && (len(certs) == 0 || certs[0].Raw == nil || !bytes.Equal(certs[0].Raw, der[0])) {
		// Without the leaf there is nothing to build from.
		return finish(nil, probs)
	}
	opts.Intermediates = append(slices.Clip(certs[1:]), opts.Intermediates...)
	r := Verify(certs[0], opts)
	if len(probs) > 0 {
		// Appending to nil would turn an empty list into null in JSON.
		r.Problems = append(probs, r.Problems...)
	}
	r.Valid = len(r.Problems) == 0
	return r
}

func finish(chain []*x509.Certificate, probs []Problem) Result {
	r := Result{Valid: len(probs) == 0, Chain: []string{}, Problems: probs, Certificates: chain}
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	for _, c := range chain {
		r.Chain = append(r.Chain, subject(c))
	}
	return r
}

// subject is a certificate's subject for people, at most maxSubject bytes
// (x509-limbo's nc-dos leaf has 2,048 attributes).
func subject(c *x509.Certificate) string {
	s := c.Subject.String()
	if len(s) > maxSubject {
		s = strings.ToValidUTF8(s[:maxSubject], "") + "..."
	}
	return s
}

const maxSubject = 256

// builder finds paths from a leaf to the trust anchors by subject/issuer
// name and signature, depth first, with limits on depth, signature checks
// and the number of paths.
type builder struct {
	roots, inters []*x509.Certificate
	sigs          map[[2]*x509.Certificate]error // child, parent -> CheckSignature result
	checks        int
	paths         [][]*x509.Certificate
	longest       []*x509.Certificate
	links         []Problem
}

func (b *builder) build(leaf *x509.Certificate) (paths [][]*x509.Certificate, partial []*x509.Certificate, links []Problem) {
	b.extend([]*x509.Certificate{leaf})
	return b.paths, b.longest, b.links
}

func (b *builder) extend(path []*x509.Certificate) {
	if len(b.paths) >= maxPaths {
		return
	}
	if len(path) > len(b.longest) {
		b.longest = slices.Clone(path)
	}
	c := path[len(path)-1]
	// A certificate that is itself a trust anchor ends the path.
	if slices.ContainsFunc(b.roots, func(r *x509.Certificate) bool { return bytes.Equal(r.Raw, c.Raw) }) {
		b.paths = append(b.paths, slices.Clone(path))
		return
	}
	if len(path) >= MaxChainDepth {
		b.link(Problem{CodeChainTooLong, fmt.Sprintf("path reached %d certificates without a trust anchor", MaxChainDepth)})
		return
	}
	try := func(parent *x509.Certificate, anchor bool) {
		if !bytes.Equal(parent.RawSubject, c.RawIssuer) {
			return
		}
		if len(c.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(c.AuthorityKeyId, parent.SubjectKeyId) {
			return
		}
		if slices.ContainsFunc(path, func(p *x509.Certificate) bool { return bytes.Equal(p.Raw, parent.Raw) }) {
			return
		}
		if err := b.signature(c, parent); err != nil {
			var ins x509.InsecureAlgorithmError
			if errors.As(err, &ins) {
				b.link(Problem{CodeSignatureInsecure, fmt.Sprintf("%q is signed with %v", subject(c), x509.SignatureAlgorithm(ins))})
			} else {
				b.link(Problem{CodeSignatureInvalid, fmt.Sprintf("signature of %q does not verify under %q: %v", subject(c), subject(parent), err)})
			}
			return
		}
		next := append(slices.Clip(path), parent)
		if anchor {
			if len(b.paths) < maxPaths {
				b.paths = append(b.paths, next)
			}
			return
		}
		b.extend(next)
	}
	for _, r := range b.roots {
		try(r, true)
	}
	for _, in := range b.inters {
		try(in, false)
	}
}

func (b *builder) link(p Problem) {
	if !slices.Contains(b.links, p) {
		b.links = append(b.links, p)
	}
}

func (b *builder) signature(child, parent *x509.Certificate) error {
	key := [2]*x509.Certificate{child, parent}
	if err, ok := b.sigs[key]; ok {
		return err
	}
	if b.checks >= maxSignatureCheck {
		return errors.New("signature check limit reached")
	}
	b.checks++
	// crypto/x509's CheckSignature still accepts SHA-1; we do not, as
	// CheckSignatureFrom and Verify do not.
	switch child.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		err := x509.InsecureAlgorithmError(child.SignatureAlgorithm)
		b.sigs[key] = err
		return err
	}
	// CheckSignature, not CheckSignatureFrom: issuer constraints
	// (cA, keyCertSign) are reported separately by check so the result
	// names each broken rule.
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	b.sigs[key] = err
	return err
}

// ParseProfile reads a --profile value; empty means ProfileX509.
func ParseProfile(s string) (Profile, error) {
	switch p := Profile(s); p {
	case "":
		return ProfileX509, nil
	case ProfileX509, ProfileIDevID, ProfileMatterDAC:
		return p, nil
	}
	return "", fmt.Errorf("unknown profile %q (want %s, %s or %s)", s, ProfileX509, ProfileIDevID, ProfileMatterDAC)
}
