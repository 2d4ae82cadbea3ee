package iotsec

import (
	"strings"
	"time"
)

// State is where a device is in its life, from manufacture to disposal.
type State string

const (
	StateManufactured   State = "manufactured"
	StateProvisioned    State = "provisioned"
	StateOperational    State = "operational"
	StateSuspended      State = "suspended"
	StateDecommissioned State = "decommissioned"
	StateDisposed       State = "disposed"
)

// States lists the lifecycle states in order.
func States() []State {
	return []State{StateManufactured, StateProvisioned, StateOperational, StateSuspended, StateDecommissioned, StateDisposed}
}

func (s State) Valid() bool { return oneOf(s, States()) }

// Device is one physical unit, identified by a unique device ID (serial
// number, MAC, IDevID serial) within the organisation that owns it.
type Device struct {
	ID         string    `json:"id"`
	OrgID      string    `json:"org_id"`
	UID        string    `json:"uid"`
	ProductID  string    `json:"product_id"`
	FirmwareID string    `json:"firmware_id,omitempty"`
	State      State     `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Normalize trims and validates d.
func (d *Device) Normalize() error {
	d.UID = strings.TrimSpace(d.UID)
	if err := checkName("uid", d.UID, 200); err != nil {
		return err
	}
	if d.ProductID == "" {
		return Invalid("product_id", "is required")
	}
	if d.State == "" {
		d.State = StateManufactured
	}
	if !d.State.Valid() {
		return Invalid("state", "must be one of %s", joinAny(States()))
	}
	return nil
}
