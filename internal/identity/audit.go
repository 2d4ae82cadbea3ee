package identity

import (
	"context"
	"slices"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
)

// Finding is an audit finding with the devices' unique IDs beside their
// registry IDs.
type Finding struct {
	pki.Finding
	DeviceUIDs []string `json:"device_uids"`
}

// AuditOptions tune an audit; zero values take the engine's defaults
// (expiring within 30 days, LDevIDs older than 398 days).
type AuditOptions struct {
	ExpiringWithin time.Duration
	MaxAge         time.Duration
}

// Audit runs the identity audit over the organisation's registry: shared
// certificates and keys, weak keys, expiring and expired certificates,
// revoked issuers still in use, old certificates, duplicate device IDs and
// IDevIDs that do not chain to a registered root.
func (s *Service) Audit(ctx context.Context, a iotsec.Actor, o AuditOptions) ([]Finding, error) {
	certs, err := s.allCerts(ctx, a, iotsec.CertFilter{})
	if err != nil {
		return nil, err
	}
	anchors, _, err := s.anchorsOf(ctx, a)
	if err != nil {
		return nil, err
	}
	uids := map[string]string{}
	var records []pki.Record
	for _, c := range certs {
		x, err := s.parse(c.DER)
		if err != nil {
			s.Log.Warn("stored certificate does not parse", "certificate", c.ID, "err", err)
			continue
		}
		kind := pki.KindLDevID
		if c.Kind == iotsec.CertIDevID {
			kind = pki.KindIDevID
		}
		records = append(records, pki.Record{DeviceID: c.DeviceID, Kind: kind, Cert: x,
			Revoked: c.Status != iotsec.CertActive, State: pki.State(c.DeviceState)})
		if c.DeviceUID != "" {
			uids[c.DeviceID] = c.DeviceUID
		}
	}
	if rec, err := s.Store.GetCA(ctx, a); err == nil {
		if x, err := s.parse(rec.DER); err == nil {
			records = append(records, pki.Record{Kind: pki.KindCA, Cert: x})
		}
	} else if !isNotFound(err) {
		return nil, err
	}
	roots := slices.Concat(anchors[iotsec.AnchorIDevIDRoot], anchors[iotsec.AnchorMatterPAA])
	found := pki.Audit(records, pki.AuditOptions{At: s.now(), ExpiringWithin: o.ExpiringWithin, MaxAge: o.MaxAge,
		Roots: roots, Intermediates: anchors[iotsec.AnchorIntermediate]})
	out := make([]Finding, 0, len(found))
	for _, f := range found {
		if f.Devices == nil {
			f.Devices = []string{}
		}
		g := Finding{Finding: f, DeviceUIDs: []string{}}
		for _, id := range f.Devices {
			uid := uids[id]
			if uid == "" {
				uid = id // no longer in this organisation
			}
			g.DeviceUIDs = append(g.DeviceUIDs, uid)
		}
		out = append(out, g)
	}
	return out, nil
}
