package identity

import (
	"time"

	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
)

// AddAnchors registers every certificate of a PEM or DER bundle as a trust
// anchor of kind. Roots and PAAs must be CA certificates; name names a
// single certificate (default: its common name).
func (s *Service) AddAnchors(ctx context.Context, a iotsec.Actor, kind iotsec.AnchorKind, name string, data []byte) ([]iotsec.TrustAnchor, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, iotsec.Invalid("kind", "must be idevid-root, matter-paa or intermediate")
	}
	certs, err := pki.ParseCertificates(unarmour(data))
	if err != nil {
		return nil, iotsec.Invalid("pem", "%v", err)
	}
	for i, c := range certs {
		if !c.IsCA || !c.BasicConstraintsValid && c.Version == 3 {
			return nil, iotsec.Invalid("pem", "certificate %d (%s) is not a CA certificate; register the root or issuing CA, and devices' certificates as their IDevIDs", i+1, c.Subject)
		}
	}
	if len(certs) > 1 && name != "" {
		return nil, iotsec.Invalid("name", "names one certificate; the bundle has %d", len(certs))
	}
	var out []iotsec.TrustAnchor
	for _, c := range certs {
		t := iotsec.TrustAnchor{Kind: kind, Name: name, Subject: c.Subject.String(), Fingerprint: fingerprint(c.Raw),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), DER: c.Raw}
		if t.Name == "" && c.Subject.CommonName != "" {
			t.Name = c.Subject.CommonName
		}
		if err := s.Store.AddAnchor(ctx, a, &t); err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

// AddAnchorCRL stores the CRL a registered anchor's issuer published, after
// checking it is the anchor's and its signature verifies. Enrolment then
// refuses IDevIDs the CRL lists.
func (s *Service) AddAnchorCRL(ctx context.Context, a iotsec.Actor, anchorID string, data []byte) (iotsec.TrustAnchor, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return iotsec.TrustAnchor{}, err
	}
	t, err := s.Store.GetAnchor(ctx, a, anchorID)
	if err != nil {
		return t, err
	}
	crls, err := pki.ParseCRLs(unarmour(data))
	if err != nil {
		return t, iotsec.Invalid("crl", "%v", err)
	}
	if len(crls) != 1 {
		return t, iotsec.Invalid("crl", "give one CRL, not %d", len(crls))
	}
	c, err := s.parse(t.DER)
	if err != nil {
		return t, err
	}
	rl := crls[0]
	if err := rl.CheckSignatureFrom(c); err != nil {
		return t, iotsec.Invalid("crl", "the CRL is not signed by %s: %v", t.Subject, err)
	}
	if cur, err := x509.ParseRevocationList(t.CRL); err == nil && cur.Number != nil && rl.Number != nil && rl.Number.Cmp(cur.Number) < 0 {
		return t, iotsec.Conflict("the stored CRL (number %s) is newer than this one (number %s)", cur.Number, rl.Number)
	}
	if err := s.Store.SetAnchorCRL(ctx, a, t.ID, rl.Raw, rl.NextUpdate); err != nil {
		return t, err
	}
	t.CRL, t.CRLNextUpdate = rl.Raw, rl.NextUpdate
	return t, nil
}

// IDevIDOptions shape the registration of an onboarding identity.
type IDevIDOptions struct {
	// Profile is idevid (IEEE 802.1AR, default) or matter-dac.
	Profile pki.Profile
	// AllowUntrusted records an IDevID that does not verify against the
	// organisation's roots (the audit will flag it) instead of refusing.
	AllowUntrusted bool
}

// checkedIDevID is an onboarding identity ready to store.
type checkedIDevID struct {
	cert    iotsec.DeviceCert
	chain   []*x509.Certificate // intermediates that came with it
	result  pki.Result
	profile pki.Profile
}

// checkIDevID parses and verifies an onboarding identity (leaf first, any
// intermediates after it) against the organisation's anchors.
func (s *Service) checkIDevID(ctx context.Context, a iotsec.Actor, data []byte, o IDevIDOptions) (checkedIDevID, error) {
	var out checkedIDevID
	p := o.Profile
	if p == "" {
		p = pki.ProfileIDevID
	}
	if p != pki.ProfileIDevID && p != pki.ProfileMatterDAC {
		return out, iotsec.Invalid("profile", "must be idevid or matter-dac")
	}
	certs, err := pki.ParseCertificates(unarmour(data))
	if err != nil {
		return out, iotsec.Invalid("pem", "%v", err)
	}
	anchors, crls, err := s.anchorsOf(ctx, a)
	if err != nil {
		return out, err
	}
	leaf := certs[0]
	opts := pki.Options{Roots: rootsFor(p, anchors), Intermediates: slices.Concat(certs[1:], anchors[iotsec.AnchorIntermediate]),
		CRLs: crls, At: s.now(), Profile: p}
	out.result = pki.Verify(leaf, opts)
	if !out.result.Valid && !o.AllowUntrusted {
		return out, iotsec.Invalid("pem", "the onboarding identity does not verify against this organisation's %s anchors: %s", map[pki.Profile]string{
			pki.ProfileIDevID: "IDevID root", pki.ProfileMatterDAC: "Matter PAA"}[p], problems(out.result))
	}
	out.cert = record(leaf, iotsec.CertIDevID, string(p), "registered")
	out.chain, out.profile = certs[1:], p
	return out, nil
}

// RegisterIDevID records a device's onboarding identity. It must verify
// against the organisation's anchors unless o.AllowUntrusted; the
// intermediates that came with it are registered too, so later checks
// find the same path.
func (s *Service) RegisterIDevID(ctx context.Context, a iotsec.Actor, deviceID string, data []byte, o IDevIDOptions) (iotsec.DeviceCert, pki.Result, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return iotsec.DeviceCert{}, pki.Result{}, err
	}
	// The device first: another organisation's is "not found", whatever
	// the certificate.
	if _, err := s.Store.GetDevice(ctx, a, deviceID); err != nil {
		return iotsec.DeviceCert{}, pki.Result{}, err
	}
	chk, err := s.checkIDevID(ctx, a, data, o)
	if err != nil {
		return iotsec.DeviceCert{}, chk.result, err
	}
	return s.storeIDevID(ctx, a, deviceID, chk)
}

func (s *Service) storeIDevID(ctx context.Context, a iotsec.Actor, deviceID string, chk checkedIDevID) (iotsec.DeviceCert, pki.Result, error) {
	c := chk.cert
	c.DeviceID = deviceID
	if err := s.Store.AddCertificate(ctx, a, &c); err != nil {
		return c, chk.result, err
	}
	if chk.result.Valid {
		for _, in := range chk.result.Certificates[1:] {
			if !in.IsCA || !containsCert(chk.chain, in) {
				continue
			}
			t := iotsec.TrustAnchor{Kind: iotsec.AnchorIntermediate, Name: in.Subject.CommonName, Subject: in.Subject.String(),
				Fingerprint: fingerprint(in.Raw), NotBefore: in.NotBefore.UTC(), NotAfter: in.NotAfter.UTC(), DER: in.Raw}
			if err := s.Store.AddAnchor(ctx, a, &t); err != nil && iotsec.Kind(err) != iotsec.ErrConflict {
				return c, chk.result, err
			}
		}
	}
	return c, chk.result, nil
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

// Registration is a new device with its onboarding identity.
type Registration struct {
	Device iotsec.Device
	IDevID []byte // PEM or DER, leaf first; may be empty
	IDevIDOptions
}

// Register creates a device and records its onboarding identity. The
// identity is checked before the device is created, so a refused identity
// leaves nothing behind.
func (s *Service) Register(ctx context.Context, a iotsec.Actor, r Registration) (iotsec.Device, *iotsec.DeviceCert, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return r.Device, nil, err
	}
	var chk checkedIDevID
	if len(r.IDevID) > 0 {
		var err error
		if chk, err = s.checkIDevID(ctx, a, r.IDevID, r.IDevIDOptions); err != nil {
			return r.Device, nil, err
		}
	}
	d := r.Device
	if d.State == "" {
		d.State = iotsec.StateManufactured
	}
	if err := s.Store.CreateDevice(ctx, a, &d); err != nil {
		return d, nil, err
	}
	if len(r.IDevID) == 0 {
		return d, nil, nil
	}
	c, _, err := s.storeIDevID(ctx, a, d.ID, chk)
	if err != nil {
		return d, nil, fmt.Errorf("device %s was created but its IDevID was not recorded: %w", d.UID, err)
	}
	return d, &c, nil
}

// Identity is what the registry knows of one device.
type Identity struct {
	Device       iotsec.Device       `json:"device"`
	IDevID       *iotsec.DeviceCert  `json:"idevid"`
	LDevID       *iotsec.DeviceCert  `json:"ldevid"` // the newest active operational certificate
	Certificates []iotsec.DeviceCert `json:"certificates"`
	History      []iotsec.Transition `json:"history"`
	Tokens       []iotsec.EnrolToken `json:"enrolment_tokens"`
	// Next lists the lifecycle states the device may move to.
	Next []iotsec.State `json:"next_states"`
	// Status sums it up: no-identity, onboarding-only, enrolled,
	// suspended, revoked, retired.
	Status string `json:"identity_status"`
}

// DeviceIdentity reads a device's identity, certificates and history.
func (s *Service) DeviceIdentity(ctx context.Context, a iotsec.Actor, deviceID string) (Identity, error) {
	var out Identity
	d, err := s.Store.GetDevice(ctx, a, deviceID)
	if err != nil {
		return out, err
	}
	out.Device = d
	if out.Certificates, err = s.allCerts(ctx, a, iotsec.CertFilter{DeviceID: d.ID}); err != nil {
		return out, err
	}
	if out.History, err = s.Store.ListTransitions(ctx, a, d.ID); err != nil {
		return out, err
	}
	if out.Tokens, err = s.Store.ListEnrolTokens(ctx, a, d.ID); err != nil {
		return out, err
	}
	out.IDevID, out.LDevID = current(out.Certificates, s.now())
	for _, n := range stateOf(d.State).Next() {
		out.Next = append(out.Next, iotsec.State(n))
	}
	if out.Next == nil {
		out.Next = []iotsec.State{}
	}
	out.Status = identityStatus(out)
	return out, nil
}

// current picks a device's onboarding identity and its operational
// certificate in use (the newest active one not expired at now) from its
// certificates, oldest first: one rule for every page and answer.
func current(certs []iotsec.DeviceCert, now time.Time) (idevid, ldevid *iotsec.DeviceCert) {
	for i := range certs {
		c := &certs[i]
		switch {
		case c.Kind == iotsec.CertIDevID:
			idevid = c
		case c.Status == iotsec.CertActive && !c.NotAfter.Before(now):
			ldevid = c
		}
	}
	return idevid, ldevid
}

// DeviceRow is a device with its identity at a glance, as lists show it.
type DeviceRow struct {
	Device iotsec.Device      `json:"device"`
	IDevID *iotsec.DeviceCert `json:"idevid"`
	LDevID *iotsec.DeviceCert `json:"ldevid"`
	Certs  int                `json:"certificates"`
	Status string             `json:"identity_status"`
}

// MaxDeviceRows bounds one page of DeviceIdentities: each row reads the
// device's certificates.
const MaxDeviceRows = 200

// DeviceIdentities lists one page of devices (f as for ListDevices, at
// most MaxDeviceRows) with their onboarding and operational certificates.
func (s *Service) DeviceIdentities(ctx context.Context, a iotsec.Actor, f iotsec.DeviceFilter) ([]DeviceRow, error) {
	if f.Limit <= 0 || f.Limit > MaxDeviceRows {
		f.Limit = MaxDeviceRows
	}
	ds, err := s.Store.ListDevices(ctx, a, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := make([]DeviceRow, 0, len(ds))
	for _, d := range ds {
		cs, err := s.allCerts(ctx, a, iotsec.CertFilter{DeviceID: d.ID})
		if err != nil {
			return nil, err
		}
		row := DeviceRow{Device: d, Certs: len(cs)}
		row.IDevID, row.LDevID = current(cs, now)
		row.Status = identityStatus(Identity{Device: d, IDevID: row.IDevID, LDevID: row.LDevID})
		rows = append(rows, row)
	}
	return rows, nil
}

func identityStatus(id Identity) string {
	switch {
	case id.Device.State == iotsec.StateDecommissioned || id.Device.State == iotsec.StateDisposed:
		return "retired"
	case id.IDevID != nil && id.IDevID.Status == iotsec.CertRevoked:
		return "revoked"
	case id.Device.State == iotsec.StateSuspended:
		return "suspended"
	case id.LDevID != nil:
		return "enrolled"
	case id.IDevID != nil:
		return "onboarding-only"
	}
	return "no-identity"
}

// PEMOf encodes a stored certificate.
func PEMOf(c iotsec.DeviceCert) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))
}
