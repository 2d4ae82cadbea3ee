package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/pki"
)

// stateOf is the engine's view of a device state; the names are the same.
func stateOf(s iotsec.State) pki.State { return pki.State(s) }

// Move is a lifecycle step an operator asks for.
type Move struct {
	To       iotsec.State
	Evidence string // needed to decommission (data wipe) and dispose (destruction)
	Note     string
}

// Transition moves a device to m.To under the engine's lifecycle rules,
// doing to its LDevIDs what the move calls for (hold on suspension,
// release on resumption, revoke on decommissioning or re-provisioning) and
// recording the step. The CRL is regenerated when certificates changed.
func (s *Service) Transition(ctx context.Context, a iotsec.Actor, deviceID string, m Move) (iotsec.Transition, error) {
	var t iotsec.Transition
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return t, err
	}
	d, err := s.Store.GetDevice(ctx, a, deviceID)
	if err != nil {
		return t, err
	}
	from, to := stateOf(d.State), stateOf(m.To)
	if !to.Valid() {
		return t, iotsec.Invalid("to", "must be one of %v", pki.States())
	}
	if err := from.To(to); err != nil {
		if errors.Is(err, pki.ErrTransition) {
			return t, &iotsec.Error{Kind: iotsec.ErrConflict, Field: "to", Message: "the device is " + string(from) + " and cannot become " + string(to) + "; it may become " + joinStates(from.Next())}
		}
		return t, err
	}
	t = iotsec.Transition{DeviceID: d.ID, From: d.State, To: m.To, Evidence: m.Evidence, Note: m.Note}
	if pki.NeedsEvidence(to) && strings.TrimSpace(m.Evidence) == "" {
		what := map[pki.State]string{pki.Decommissioned: "the data-wipe record (method, tool, report ID)",
			pki.Disposed: "the disposal record (recycler, certificate of destruction)"}[to]
		return t, iotsec.Invalid("evidence", "moving a device to %s needs evidence: %s", to, what)
	}
	switch from.Credentials(to) {
	case pki.HoldCredentials:
		t.Credentials = iotsec.HoldCredentials
	case pki.ReleaseCredentials:
		t.Credentials = iotsec.ReleaseCredentials
	case pki.RevokeCredentials:
		t.Credentials, t.RevokeReason = iotsec.RevokeCredentials, iotsec.ReasonCessationOfOperation
		if to == pki.Provisioned {
			t.RevokeReason = iotsec.ReasonSuperseded // factory reset: new keys follow
		}
	default:
		t.Credentials = iotsec.KeepCredentials
	}
	if err := s.Store.TransitionDevice(ctx, a, &t); err != nil {
		return t, err
	}
	if t.Changed > 0 {
		s.refreshCRL(ctx, a)
	}
	return t, nil
}

func joinStates(ss []pki.State) string {
	if len(ss) == 0 {
		return "nothing else: it is final"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// refreshCRL regenerates the organisation's CRL after a change, so the
// CRL shows it at once. Failure is logged: the next fetch or the periodic
// job regenerates it.
func (s *Service) refreshCRL(ctx context.Context, a iotsec.Actor) {
	rec, err := s.Store.GetCA(ctx, a)
	if err != nil {
		return
	}
	if _, err := s.regenerate(ctx, rec); err != nil {
		s.Log.Warn("regenerate CRL", "ca", rec.Label, "err", err)
	}
}

// Offer is a transfer offer with its one-time code, shown once.
type Offer struct {
	iotsec.Transfer
	Code string `json:"code"`
}

// OfferTransfer starts handing a device to another organisation: the
// device must be unsold stock or decommissioned (wiped). The buyer claims
// it with the code before it expires (ttl 0: 14 days).
func (s *Service) OfferTransfer(ctx context.Context, a iotsec.Actor, deviceID string, ttl time.Duration) (Offer, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return Offer{}, err
	}
	d, err := s.Store.GetDevice(ctx, a, deviceID)
	if err != nil {
		return Offer{}, err
	}
	if !stateOf(d.State).MayTransfer() {
		return Offer{}, iotsec.Conflict("the device is %s and cannot change hands; decommission it first (revoking its certificates, with the data-wipe evidence)", d.State)
	}
	if ttl == 0 {
		ttl = DefaultTransferTTL
	}
	if ttl < time.Minute || ttl > 90*24*time.Hour {
		return Offer{}, iotsec.Invalid("expires_at", "must be between a minute and 90 days from now")
	}
	code, hash := iotsec.NewSecret(s.rand(), iotsec.SecretTransfer)
	t := iotsec.Transfer{DeviceID: d.ID, Hash: hash, ExpiresAt: s.now().Add(ttl).Truncate(time.Second)}
	if err := s.Store.OfferTransfer(ctx, a, &t); err != nil {
		return Offer{}, err
	}
	return Offer{Transfer: t, Code: code}, nil
}

// ClaimTransfer takes an offered device into the actor's organisation as a
// device of productID.
func (s *Service) ClaimTransfer(ctx context.Context, a iotsec.Actor, code, productID string) (iotsec.Device, error) {
	if code == "" {
		return iotsec.Device{}, iotsec.Invalid("code", "is required")
	}
	if productID == "" {
		return iotsec.Device{}, iotsec.Invalid("product_id", "is required: the product the device is in this organisation")
	}
	var allowed []iotsec.State
	for _, st := range pki.States() {
		if st.MayTransfer() {
			allowed = append(allowed, iotsec.State(st))
		}
	}
	return s.Store.ClaimTransfer(ctx, a, iotsec.HashSecret(code), productID, allowed, s.now())
}

// EnrolToken is a new one-time enrolment token with its secret, shown once.
type EnrolToken struct {
	iotsec.EnrolToken
	Secret string `json:"secret"`
}

// CreateEnrolToken lets a device without an IDevID enrol once over EST
// (ttl 0: 7 days).
func (s *Service) CreateEnrolToken(ctx context.Context, a iotsec.Actor, deviceID string, ttl time.Duration) (EnrolToken, error) {
	if err := a.Can(iotsec.PermManageIdentity); err != nil {
		return EnrolToken{}, err
	}
	if _, err := s.Store.GetDevice(ctx, a, deviceID); err != nil {
		return EnrolToken{}, err
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > 90*24*time.Hour {
		return EnrolToken{}, iotsec.Invalid("expires_at", "must be between a minute and 90 days from now")
	}
	secret, hash := iotsec.NewSecret(s.rand(), iotsec.SecretEnrol)
	t := iotsec.EnrolToken{DeviceID: deviceID, Hash: hash, ExpiresAt: s.now().Add(ttl).Truncate(time.Second)}
	if err := s.Store.CreateEnrolToken(ctx, a, &t); err != nil {
		return EnrolToken{}, err
	}
	return EnrolToken{EnrolToken: t, Secret: secret}, nil
}

// Next lists the states a device in state from may move to under the
// lifecycle rules; the doors and the bulk import name them when they
// refuse a move (app injects it where a service needs it).
func Next(from iotsec.State) []iotsec.State {
	var out []iotsec.State
	for _, s := range stateOf(from).Next() {
		out = append(out, iotsec.State(s))
	}
	return out
}

// ChangeState is Transition for the device edit doors (PATCH
// /api/v1/devices/{id}, the device page's form): the same rules,
// certificate changes and evidence, with the refusal about the field
// "state" those doors call it, naming the states allowed.
func (s *Service) ChangeState(ctx context.Context, a iotsec.Actor, deviceID string, m Move) (iotsec.Transition, error) {
	t, err := s.Transition(ctx, a, deviceID, m)
	var e *iotsec.Error
	if errors.As(err, &e) && e.Field == "to" {
		c := *e
		c.Field = "state"
		return t, &c
	}
	return t, err
}
