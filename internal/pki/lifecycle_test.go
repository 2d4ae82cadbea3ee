package pki

import (
	"errors"
	"testing"
)

func TestLifecycleTransitions(t *testing.T) {
	allowed := map[[2]State]bool{
		{Manufactured, Provisioned}: true, {Manufactured, Decommissioned}: true,
		{Provisioned, Operational}: true, {Provisioned, Decommissioned}: true,
		{Operational, Suspended}: true, {Operational, Provisioned}: true, {Operational, Decommissioned}: true,
		{Suspended, Operational}: true, {Suspended, Decommissioned}: true,
		{Decommissioned, Provisioned}: true, {Decommissioned, Disposed}: true,
	}
	// Every pair, so a new edge cannot slip in unreviewed.
	for _, from := range States() {
		for _, to := range States() {
			err := from.To(to)
			if want := allowed[[2]State{from, to}]; (err == nil) != want {
				t.Errorf("%s.To(%s) = %v, want allowed %v", from, to, err, want)
			}
			if err != nil && !errors.Is(err, ErrTransition) {
				t.Errorf("%s.To(%s) error %v does not wrap ErrTransition", from, to, err)
			}
		}
	}
	if err := State("lost").To(Disposed); !errors.Is(err, ErrTransition) {
		t.Errorf("unknown state: %v", err)
	}
	if len(Disposed.Next()) != 0 {
		t.Errorf("Disposed.Next() = %v, want terminal", Disposed.Next())
	}
}

func TestLifecyclePaths(t *testing.T) {
	walk := func(path ...State) error {
		for i := 1; i < len(path); i++ {
			if err := path[i-1].To(path[i]); err != nil {
				return err
			}
		}
		return nil
	}
	good := [][]State{
		{Manufactured, Provisioned, Operational, Suspended, Operational, Decommissioned, Disposed},
		{Manufactured, Provisioned, Operational, Decommissioned, Provisioned, Operational}, // resale
		{Manufactured, Decommissioned, Disposed},                                           // scrapped stock
	}
	for _, p := range good {
		if err := walk(p...); err != nil {
			t.Errorf("path %v: %v", p, err)
		}
	}
	bad := [][]State{
		{Manufactured, Operational},             // skipped provisioning
		{Operational, Disposed},                 // not wiped
		{Decommissioned, Disposed, Provisioned}, // back from disposal
		{Manufactured, Provisioned, Suspended},  // never in service
	}
	for _, p := range bad {
		if err := walk(p...); err == nil {
			t.Errorf("path %v allowed, want refused", p)
		}
	}
}

func TestLifecycleEffects(t *testing.T) {
	tests := []struct {
		from, to State
		want     CredentialAction
	}{
		{Operational, Suspended, HoldCredentials},
		{Suspended, Operational, ReleaseCredentials},
		{Operational, Decommissioned, RevokeCredentials},
		{Suspended, Decommissioned, RevokeCredentials},
		{Operational, Provisioned, RevokeCredentials},
		{Provisioned, Operational, KeepCredentials},
		{Decommissioned, Disposed, KeepCredentials},
	}
	for _, tt := range tests {
		if got := tt.from.Credentials(tt.to); got != tt.want {
			t.Errorf("%s.Credentials(%s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
	for _, s := range States() {
		if got, want := s.MayEnrol(), s == Provisioned || s == Operational; got != want {
			t.Errorf("%s.MayEnrol() = %v, want %v", s, got, want)
		}
		if got, want := s.MayTransfer(), s == Manufactured || s == Provisioned || s == Decommissioned; got != want {
			t.Errorf("%s.MayTransfer() = %v, want %v", s, got, want)
		}
		if got, want := NeedsEvidence(s), s == Decommissioned || s == Disposed; got != want {
			t.Errorf("NeedsEvidence(%s) = %v, want %v", s, got, want)
		}
	}
}
