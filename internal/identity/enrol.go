package identity

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/pki/ca"
	"github.com/iotsec/iotsec/internal/pki/est"
)

// EST returns the RFC 7030 handler for /.well-known/est/, backed by the
// store. Serve it over TLS that requests (but does not verify) client
// certificates: the backend verifies them.
func (s *Service) EST(log *slog.Logger) *est.Handler {
	return &est.Handler{Backend: estBackend{s}, Logger: log}
}

// estBackend authorises enrolments:
//   - with an IDevID (mutual TLS): the certificate must be a registered,
//     unrevoked onboarding identity that verifies against its
//     organisation's anchors (and their CRLs) under its profile;
//   - with an LDevID of ours (re-enrolment): active and valid under the CA;
//   - with a one-time enrolment token (HTTP Basic password or Bearer).
//
// The device must be known and in a state that may enrol, and the CSR
// subject must name it (policy). The organisation comes from the
// credential; a CA label in the path must agree with it.
type estBackend struct{ s *Service }

// estActor is who the audit log says enrolled: the EST server, acting for
// the device.
func estActor(org string) iotsec.Actor {
	return iotsec.Actor{OrgID: org, Role: iotsec.RoleMaker, Label: "est"}
}

func (b estBackend) CACerts(ctx context.Context, label string) ([]*x509.Certificate, error) {
	rec, err := b.s.CAByLabel(ctx, label)
	if err != nil {
		return nil, estError(err)
	}
	c, err := b.s.parse(rec.DER)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{c}, nil
}

// csrAttrs asks for an ECDSA with SHA-256 signature and a subject
// serialNumber (the device's unique ID): SEQUENCE { ecdsa-with-SHA256,
// id-at-serialNumber }.
var csrAttrs = []byte{0x30, 0x0f, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x06, 0x03, 0x55, 0x04, 0x05}

func (b estBackend) CSRAttrs(ctx context.Context, label string) ([]byte, error) {
	if _, err := b.s.CAByLabel(ctx, label); err != nil {
		return nil, estError(err)
	}
	return csrAttrs, nil
}

func (b estBackend) Enroll(ctx context.Context, req *est.Request) (*x509.Certificate, error) {
	s := b.s
	var want *iotsec.CertAuthority
	if req.Label != "" {
		rec, err := s.Store.CAByLabel(ctx, req.Label)
		if err != nil {
			return nil, estError(err)
		}
		want = &rec
	}
	org, deviceID, via, token, err := b.authenticate(ctx, req, want)
	if err != nil {
		return nil, err
	}
	a := estActor(org)
	d, err := s.Store.GetDevice(ctx, a, deviceID)
	if err != nil {
		return nil, fmt.Errorf("%w: the device is not registered here", est.ErrForbidden)
	}
	if !stateOf(d.State).MayEnrol() {
		return nil, fmt.Errorf("%w: device %s is %s; only provisioned and operational devices enrol", est.ErrForbidden, d.UID, d.State)
	}
	_, cert, err := s.issue(ctx, a, d, req.CSR, via, token)
	switch {
	case err == nil:
		return cert, nil
	case errors.Is(err, ca.ErrPolicy), errors.Is(err, ca.ErrWeakKey), errors.Is(err, ca.ErrProofOfPossession):
		return nil, err
	case iotsec.Kind(err) == iotsec.ErrUnauthorized:
		return nil, fmt.Errorf("%w: %s", est.ErrUnauthorized, iotsec.Message(err))
	case iotsec.Kind(err) == iotsec.ErrConflict:
		return nil, fmt.Errorf("%w: %s", est.ErrForbidden, iotsec.Message(err))
	}
	return nil, err
}

// authenticate finds who is enrolling: organisation, device, how, and the
// token hash to spend.
func (b estBackend) authenticate(ctx context.Context, req *est.Request, want *iotsec.CertAuthority) (org, device, via string, token []byte, err error) {
	s := b.s
	matches := func(orgID string) bool { return want == nil || want.OrgID == orgID }
	if len(req.PeerCertificates) > 0 {
		leaf := req.PeerCertificates[0]
		found, err := s.Store.CertificatesByFingerprint(ctx, fingerprint(leaf.Raw))
		if err != nil {
			return "", "", "", nil, err
		}
		var mine []iotsec.DeviceCert
		for _, c := range found {
			if matches(c.OrgID) {
				mine = append(mine, c)
			}
		}
		switch {
		case len(mine) == 0:
			return "", "", "", nil, fmt.Errorf("%w: the client certificate %q is not a registered IDevID or an LDevID of this CA", est.ErrForbidden, leaf.Subject)
		case len(mine) > 1 && mine[0].Kind == iotsec.CertIDevID:
			return "", "", "", nil, fmt.Errorf("%w: the IDevID %q is registered on %d devices; enrol with a CA label or fix the registry", est.ErrForbidden, leaf.Subject, len(mine))
		}
		c := mine[0]
		if c.Status != iotsec.CertActive {
			return "", "", "", nil, fmt.Errorf("%w: the client certificate is %s", est.ErrForbidden, c.Status)
		}
		if c.Kind == iotsec.CertLDevID {
			if err := b.checkLDevID(ctx, c, leaf); err != nil {
				return "", "", "", nil, err
			}
			return c.OrgID, c.DeviceID, "est-renew", nil, nil
		}
		if req.Renew {
			return "", "", "", nil, fmt.Errorf("%w: simplereenroll renews an operational certificate; enrol with simpleenroll", est.ErrForbidden)
		}
		if err := b.checkIDevID(ctx, c, leaf, req.PeerCertificates[1:]); err != nil {
			return "", "", "", nil, err
		}
		return c.OrgID, c.DeviceID, "est-idevid", nil, nil
	}
	secret := req.BearerToken
	if secret == "" {
		secret = req.Password
	}
	if secret == "" {
		return "", "", "", nil, fmt.Errorf("%w: present an IDevID (TLS client certificate) or a one-time enrolment token", est.ErrUnauthorized)
	}
	if req.Renew {
		return "", "", "", nil, fmt.Errorf("%w: simplereenroll needs the current certificate as the TLS client certificate", est.ErrUnauthorized)
	}
	hash := iotsec.HashSecret(secret)
	t, err := s.Store.EnrolTokenByHash(ctx, hash, s.now())
	if isNotFound(err) || err == nil && !matches(t.OrgID) {
		return "", "", "", nil, fmt.Errorf("%w: the enrolment token is unknown, spent or expired", est.ErrUnauthorized)
	}
	if err != nil {
		return "", "", "", nil, err
	}
	return t.OrgID, t.DeviceID, "est-token", hash, nil
}

// checkIDevID verifies a presented onboarding identity as it was
// registered: against the organisation's anchors and their CRLs, now.
func (b estBackend) checkIDevID(ctx context.Context, c iotsec.DeviceCert, leaf *x509.Certificate, chain []*x509.Certificate) error {
	anchors, crls, err := b.s.anchorsOf(ctx, estActor(c.OrgID))
	if err != nil {
		return err
	}
	p := pki.Profile(c.Profile)
	if len(chain) > pki.MaxCandidates {
		chain = chain[:pki.MaxCandidates]
	}
	r := pki.Verify(leaf, pki.Options{Roots: rootsFor(p, anchors), Intermediates: slices.Concat(chain, anchors[iotsec.AnchorIntermediate]),
		CRLs: crls, At: b.s.now(), Profile: p})
	if !r.Valid {
		return fmt.Errorf("%w: IDevID: %s", est.ErrForbidden, problems(r))
	}
	return nil
}

// checkLDevID verifies a presented LDevID under the CA that issued it.
func (b estBackend) checkLDevID(ctx context.Context, c iotsec.DeviceCert, leaf *x509.Certificate) error {
	rec, err := b.s.caOf(ctx, estActor(c.OrgID))
	if err != nil || rec.ID != c.CAID {
		return fmt.Errorf("%w: the certificate's CA is not this organisation's", est.ErrForbidden)
	}
	root, err := b.s.parse(rec.DER)
	if err != nil {
		return err
	}
	r := pki.Verify(leaf, pki.Options{Roots: []*x509.Certificate{root}, At: b.s.now(),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if !r.Valid {
		return fmt.Errorf("%w: LDevID: %s", est.ErrForbidden, problems(r))
	}
	return nil
}

// estError maps store errors of the public endpoints.
func estError(err error) error {
	if isNotFound(err) {
		return fmt.Errorf("%w: %s", est.ErrNotFound, iotsec.Message(err))
	}
	return err
}
