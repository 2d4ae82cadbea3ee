package identity

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki/ca"
)

// Revoke revokes a certificate for good. For an LDevID the CA's CRL is
// regenerated at once; OCSP answers from the store and shows it already.
// Revoking an onboarding identity (a cloned or leaked IDevID) stops the
// device from enrolling with it.
func (s *Service) Revoke(ctx context.Context, a iotsec.Actor, certID string, reason iotsec.RevocationReason) (iotsec.DeviceCert, error) {
	c, err := s.Store.RevokeCertificate(ctx, a, certID, reason)
	if err != nil {
		return c, err
	}
	if c.CAID != "" {
		s.refreshCRL(ctx, a)
	}
	return c, nil
}

// CRL returns the CA's current CRL, making a new one first when the last
// is stale (a revocation since), past half its validity, or missing. When
// no new one can be signed (no KEK on this replica) a still valid old one
// is served.
func (s *Service) CRL(ctx context.Context, rec iotsec.CertAuthority) (iotsec.CRL, error) {
	cur, version, err := s.Store.LatestCRL(ctx, rec.ID)
	if err != nil && !isNotFound(err) {
		return cur, err
	}
	fresh := err == nil && cur.Version >= version && s.now().Before(cur.ThisUpdate.Add(s.crlValidity()/2))
	if fresh {
		return cur, nil
	}
	next, rerr := s.regenerate(ctx, rec)
	if rerr == nil {
		return next, nil
	}
	if err == nil && s.now().Before(cur.NextUpdate) {
		s.Log.Warn("serving the previous CRL", "ca", rec.Label, "err", rerr)
		return cur, nil
	}
	return cur, rerr
}

func (s *Service) crlValidity() time.Duration {
	if s.CRLValidity <= 0 {
		return DefaultCRLValidity
	}
	return s.CRLValidity
}

// regenerate signs and stores a new CRL of the CA.
func (s *Service) regenerate(ctx context.Context, rec iotsec.CertAuthority) (iotsec.CRL, error) {
	e, err := s.open(rec)
	if err != nil {
		return iotsec.CRL{}, err
	}
	now := s.now()
	b, err := s.Store.PrepareCRL(ctx, rec.ID, now)
	if err != nil {
		return iotsec.CRL{}, err
	}
	var entries []ca.Revocation
	for _, r := range b.Revoked {
		n, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return iotsec.CRL{}, fmt.Errorf("CRL of %s: stored serial %q is not hex", rec.Label, r.Serial)
		}
		entries = append(entries, ca.Revocation{Serial: n, Time: r.RevokedAt, Reason: ReasonCode(r.Reason)})
	}
	der, err := e.ca.CRL(big.NewInt(b.Number), entries, s.crlValidity())
	if err != nil {
		return iotsec.CRL{}, err
	}
	this := now.Truncate(time.Second)
	c := iotsec.CRL{CAID: rec.ID, Number: b.Number, Version: b.Version, ThisUpdate: this, NextUpdate: this.Add(s.crlValidity()), DER: der}
	if err := s.Store.SaveCRL(ctx, c); err != nil {
		return c, err
	}
	return c, nil
}

// RefreshCRLs brings every CA's CRL up to date; the job queue runs it on a
// schedule so CRLs never pass their nextUpdate, even unread.
func (s *Service) RefreshCRLs(ctx context.Context) error {
	cas, err := s.Store.ListCAs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, rec := range cas {
		_, err := s.CRL(ctx, rec)
		switch {
		case err == nil:
		case errors.Is(err, ErrNoKEK) || errors.Is(err, ca.ErrKeyDecrypt):
			// Not something a retry mends: the CA was made under another
			// key-encryption key (or this server has none). Say so once per
			// CA and process, and go on with the others.
			if _, told := s.unopenable.LoadOrStore(rec.ID, true); !told {
				s.Log.Warn("CA's CRL not refreshed: its key does not open here; start the server with the key-encryption key it was created under (IOTSEC_CA_KEY_FILE)",
					"org", rec.OrgID, "ca", rec.Label, "err", err)
			}
		default:
			errs = append(errs, fmt.Errorf("CRL of %s: %w", rec.Label, err))
		}
	}
	return errors.Join(errs...)
}

// statusLookup answers OCSP from the store.
type statusLookup struct {
	s    *Service
	caID string
}

func (l statusLookup) Status(ctx context.Context, serial *big.Int) (ca.Status, error) {
	c, err := l.s.Store.CertificateBySerial(ctx, l.caID, serialHex(serial))
	if isNotFound(err) {
		return ca.Status{State: ca.Unknown}, nil
	}
	if err != nil {
		return ca.Status{}, err
	}
	switch c.Status {
	case iotsec.CertActive:
		return ca.Status{State: ca.Good}, nil
	case iotsec.CertHold:
		return ca.Status{State: ca.Revoked, RevokedAt: c.RevokedAt, Reason: ReasonCode(iotsec.ReasonCertificateHold)}, nil
	}
	return ca.Status{State: ca.Revoked, RevokedAt: c.RevokedAt, Reason: ReasonCode(c.Reason)}, nil
}
