package pki

import (
	"errors"
	"fmt"
	"slices"
)

// State is where a device is in its life, design to disposal.
type State string

// Lifecycle states, in their usual order.
const (
	Manufactured   State = "manufactured"   // has its IDevID, not yet with an operator
	Provisioned    State = "provisioned"    // registered to an organisation, may enrol
	Operational    State = "operational"    // holds an LDevID, in service
	Suspended      State = "suspended"      // taken out of service for now; LDevIDs on hold
	Decommissioned State = "decommissioned" // LDevIDs revoked, data wiped
	Disposed       State = "disposed"       // destroyed or recycled; final
)

// States lists every state in lifecycle order.
func States() []State {
	return []State{Manufactured, Provisioned, Operational, Suspended, Decommissioned, Disposed}
}

// transitions are the allowed moves. Besides the forward path:
//   - suspended -> operational resumes service;
//   - operational -> provisioned re-provisions after a factory reset (new
//     LDevID enrolment, same owner);
//   - decommissioned -> provisioned refurbishes a wiped device, for resale
//     through an ownership transfer or reuse by the same owner;
//   - manufactured and provisioned may be decommissioned directly (stock
//     that never went into service);
//   - disposed is terminal: nothing comes back from the shredder.
var transitions = map[State][]State{
	Manufactured:   {Provisioned, Decommissioned},
	Provisioned:    {Operational, Decommissioned},
	Operational:    {Suspended, Provisioned, Decommissioned},
	Suspended:      {Operational, Decommissioned},
	Decommissioned: {Provisioned, Disposed},
	Disposed:       nil,
}

// ErrTransition is returned for a move the lifecycle does not allow.
var ErrTransition = errors.New("lifecycle transition not allowed")

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := transitions[s]; return ok }

// Next lists the states s may move to.
func (s State) Next() []State { return slices.Clone(transitions[s]) }

// To checks the move from s to next.
func (s State) To(next State) error {
	if !s.Valid() || !next.Valid() {
		return fmt.Errorf("%w: unknown state in %q -> %q", ErrTransition, s, next)
	}
	if !slices.Contains(transitions[s], next) {
		return fmt.Errorf("%w: %s -> %s (from %s: %v)", ErrTransition, s, next, s, transitions[s])
	}
	return nil
}

// MayEnrol reports whether a device in s may get an operational
// certificate over EST: a new one when provisioned, a renewal when
// operational.
func (s State) MayEnrol() bool { return s == Provisioned || s == Operational }

// MayTransfer reports whether ownership may pass to another organisation
// in s: unsold stock, or a wiped device being resold. An operational
// device must be decommissioned (revoked, wiped) first.
func (s State) MayTransfer() bool {
	return s == Manufactured || s == Provisioned || s == Decommissioned
}

// CredentialAction is what a transition does to the device's operational
// certificates.
type CredentialAction string

// Credential actions.
const (
	KeepCredentials    CredentialAction = "keep"
	HoldCredentials    CredentialAction = "hold"    // CRL reason certificateHold (6)
	ReleaseCredentials CredentialAction = "release" // CRL reason removeFromCRL (8)
	RevokeCredentials  CredentialAction = "revoke"  // CRL reason cessationOfOperation (5)
)

// Credentials says what the move from s to next does to LDevIDs. The
// IDevID is never touched: it is the manufacturer's and immutable.
func (s State) Credentials(next State) CredentialAction {
	switch {
	case next == Suspended:
		return HoldCredentials
	case s == Suspended && next == Operational:
		return ReleaseCredentials
	case next == Decommissioned, s == Operational && next == Provisioned:
		return RevokeCredentials
	}
	return KeepCredentials
}

// NeedsEvidence reports whether entering next needs evidence from the
// operator: a data-wipe record for decommissioning, a disposal record
// (recycler, certificate of destruction) for disposal.
func NeedsEvidence(next State) bool { return next == Decommissioned || next == Disposed }
