package supply

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Webhook signing secrets at rest are sealed like the CA keys of the
// identity service: AES-256-GCM under the key-encryption key, bound to
// the organisation (so a sealed secret copied to another organisation's
// row does not open). What the store keeps is sealedPrefix and the
// base64 of version, nonce and ciphertext.

const (
	sealedPrefix  = "iotsec-sealed:"
	secretVersion = 1
	secretAAD     = "iotsec webhook secret v1\x00"
)

func (s *Service) secretAEAD() (cipher.AEAD, error) {
	if len(s.KEK) != 32 {
		return nil, iotsec.Errorf(iotsec.ErrUnavailable, "webhook secrets cannot be kept: no 32-byte key-encryption key is configured")
	}
	block, err := aes.NewCipher(s.KEK)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealSecret seals a webhook secret of orgID for the store.
func (s *Service) sealSecret(orgID, secret string) (string, error) {
	aead, err := s.secretAEAD()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(s.rand(), nonce); err != nil {
		return "", fmt.Errorf("seal webhook secret: %w", err)
	}
	out := append([]byte{secretVersion}, nonce...)
	out = aead.Seal(out, nonce, []byte(secret), []byte(secretAAD+orgID))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// openSecret opens what the store keeps.
func (s *Service) openSecret(orgID, stored string) (string, error) {
	if stored == "" {
		return "", nil
	}
	b64, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		// Written in the clear by a version before sealing (an old
		// replica in a rolling upgrade); SealWebhookSecrets seals it
		// when a server starts.
		return stored, nil
	}
	aead, err := s.secretAEAD()
	if err != nil {
		return "", err
	}
	b, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(b) < 1+aead.NonceSize()+aead.Overhead() || b[0] != secretVersion {
		return "", iotsec.Errorf(iotsec.ErrUnavailable, "the webhook secret is not sealed in a known format")
	}
	plain, err := aead.Open(nil, b[1:1+aead.NonceSize()], b[1+aead.NonceSize():], []byte(secretAAD+orgID))
	if err != nil {
		return "", iotsec.Errorf(iotsec.ErrUnavailable, "the webhook secret does not open with the key-encryption key")
	}
	return string(plain), nil
}

// SealWebhookSecrets seals the webhook secrets stored in the clear (by
// versions before secrets were sealed). The server runs it once it has
// migrated the database; it returns how many it sealed.
func (s *Service) SealWebhookSecrets(ctx context.Context) (int, error) {
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range orgs {
		a := iotsec.System(o.ID, "seal webhook secret")
		set, err := s.Store.NotifySettings(ctx, a)
		if err != nil {
			return n, err
		}
		if set.WebhookSecret == "" || strings.HasPrefix(set.WebhookSecret, sealedPrefix) {
			continue
		}
		if set.WebhookSecret, err = s.sealSecret(o.ID, set.WebhookSecret); err != nil {
			return n, err
		}
		if err := s.Store.SetNotifySettings(ctx, a, set); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}
