package supply

import (
	"bytes"
	"strings"
	"testing"
)

// TestSealSecret: a sealed webhook secret opens to itself for its own
// organisation only, not without the key, and never shows the secret.
func TestSealSecret(t *testing.T) {
	s := &Service{KEK: bytes.Repeat([]byte{7}, 32)}
	sealed, err := s.sealSecret("org_a", "top-secret-hmac-key")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, sealedPrefix) || strings.Contains(sealed, "top-secret") {
		t.Errorf("sealed = %q", sealed)
	}
	if got, err := s.openSecret("org_a", sealed); err != nil || got != "top-secret-hmac-key" {
		t.Errorf("open = %q, %v", got, err)
	}
	if _, err := s.openSecret("org_b", sealed); err == nil {
		t.Error("A's sealed secret opens as B's")
	}
	other := &Service{KEK: bytes.Repeat([]byte{8}, 32)}
	if _, err := other.openSecret("org_a", sealed); err == nil {
		t.Error("opens under another key")
	}
	if _, err := (&Service{}).sealSecret("org_a", "x"); err == nil {
		t.Error("sealed without a key")
	}
	if _, err := s.openSecret("org_a", sealedPrefix+"AAAA"); err == nil {
		t.Error("a truncated seal opened")
	}
}
