package identity

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// CAOptions describe a new organisation CA; zero values take defaults.
type CAOptions struct {
	Name      string       // common name; default "<organisation> Device CA"
	Label     string       // URL label; default from the organisation's name
	Algorithm ca.Algorithm // ecdsa-p256 (default), ecdsa-p384 or ed25519
	Validity  time.Duration
}

// InitCA creates the organisation's CA: a fresh key, a self-signed root
// certificate, the key sealed under the KEK.
func (s *Service) InitCA(ctx context.Context, a iotsec.Actor, o CAOptions) (iotsec.CertAuthority, error) {
	if err := a.Can(iotsec.PermManageCA); err != nil {
		return iotsec.CertAuthority{}, err
	}
	if len(s.KEK) == 0 {
		return iotsec.CertAuthority{}, ErrNoKEK
	}
	switch o.Algorithm {
	case "", ca.ECDSAP256, ca.ECDSAP384, ca.Ed25519:
	default:
		return iotsec.CertAuthority{}, iotsec.Invalid("algorithm", "must be %s, %s or %s", ca.ECDSAP256, ca.ECDSAP384, ca.Ed25519)
	}
	if o.Algorithm == "" {
		o.Algorithm = ca.ECDSAP256
	}
	org, err := s.Store.GetOrg(ctx, a.OrgID)
	if err != nil {
		return iotsec.CertAuthority{}, err
	}
	if o.Name = strings.TrimSpace(o.Name); o.Name == "" {
		o.Name = org.Name + " Device CA"
	}
	if len(o.Name) > 64 {
		return iotsec.CertAuthority{}, iotsec.Invalid("name", "is longer than 64 characters (the X.509 limit of a common name)")
	}
	if o.Validity == 0 {
		o.Validity = DefaultCAValidity
	}
	if o.Validity < 24*time.Hour || o.Validity > 50*365*24*time.Hour {
		return iotsec.CertAuthority{}, iotsec.Invalid("validity", "must be between a day and 50 years")
	}
	defaulted := o.Label == ""
	if defaulted {
		o.Label = slug(org.Name)
	}
	subject := pkix.Name{CommonName: o.Name, Organization: []string{org.Name}}
	if org.Country != "" && org.Country != "EU" {
		subject.Country = []string{org.Country}
	}
	c, err := ca.New(ca.Config{Subject: subject, Algorithm: o.Algorithm, Validity: o.Validity, Rand: s.rand(), Now: s.now})
	if err != nil {
		return iotsec.CertAuthority{}, err
	}
	for attempt := 0; ; attempt++ {
		rec := iotsec.CertAuthority{Label: strings.ToLower(o.Label), Subject: c.Cert.Subject.String(), Algorithm: string(o.Algorithm),
			Fingerprint: fingerprint(c.Cert.Raw), NotBefore: c.Cert.NotBefore, NotAfter: c.Cert.NotAfter, DER: c.Cert.Raw}
		if !iotsec.ValidLabel(rec.Label) {
			return rec, iotsec.Invalid("label", "must be 1 to 63 lower-case letters, digits and hyphens (not at either end)")
		}
		rec.SealedKey, err = ca.SealKey(c.Signer, s.KEK, sealLabel(a.OrgID, rec.Label), s.rand())
		if err != nil {
			return rec, err
		}
		err = s.Store.CreateCA(ctx, a, &rec)
		// A default label that another organisation took gets a suffix.
		if defaulted && attempt == 0 && iotsec.FieldOf(err) == "label" {
			o.Label = strings.TrimRight(o.Label[:min(len(o.Label), 50)], "-") + "-" + strings.ToLower(a.OrgID[len(a.OrgID)-8:])
			continue
		}
		return rec, err
	}
}

// slug makes a CA label of a name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "ca"
	}
	return s
}

// CA returns the organisation's CA record.
func (s *Service) CA(ctx context.Context, a iotsec.Actor) (iotsec.CertAuthority, error) {
	return s.Store.GetCA(ctx, a)
}

// CAByLabel finds a CA for the public endpoints. The empty label means
// the only CA of a single-organisation server.
func (s *Service) CAByLabel(ctx context.Context, label string) (iotsec.CertAuthority, error) {
	if label != "" {
		return s.Store.CAByLabel(ctx, label)
	}
	all, err := s.Store.ListCAs(ctx)
	if err != nil {
		return iotsec.CertAuthority{}, err
	}
	switch len(all) {
	case 1:
		return all[0], nil
	case 0:
		return iotsec.CertAuthority{}, iotsec.NotFound("certificate authority")
	}
	return iotsec.CertAuthority{}, errSeveralCAs
}

var errSeveralCAs = &iotsec.Error{Kind: iotsec.ErrNotFound, Message: "this server has several CAs: name one by its label, as in /.well-known/est/LABEL/"}

// isNotFound reports a domain not-found error.
func isNotFound(err error) bool { return errors.Is(err, iotsec.ErrNotFound) }
