package registry

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/translog"
)

// Keys at rest. The authorities' label keys (PKCS #8 PEM) and the log's
// note signer key are sealed like the CA keys of the identity service
// (internal/pki/ca.SealKey): AES-256-GCM under the KEK, bound to what the
// key is for (the kid, or the log's origin), so a blob copied to another
// record does not open. The PEM block type tells them apart from CA keys.

const (
	sealedType    = "IOTSEC SEALED REGISTRY KEY"
	sealVersion   = 1
	kekSize       = 32
	labelKeyAAD   = "iotsec registry label key v1\x00"
	logKeyAAD     = "iotsec registry log key v1\x00"
	serviceLabel  = "registry" // the audit name of the service's own acts
	maxJWKSLength = label.MaxKeySetSize
)

func (s *Service) seal(plain []byte, aad string) ([]byte, error) {
	aead, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(s.Rand, nonce); err != nil {
		return nil, fmt.Errorf("registry: seal key: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	out = aead.Seal(out, nonce, plain, []byte(aad))
	return pem.EncodeToMemory(&pem.Block{Type: sealedType, Bytes: out}), nil
}

func (s *Service) open(sealed []byte, aad string) ([]byte, error) {
	aead, err := s.aead()
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(sealed)
	if b == nil || b.Type != sealedType || len(b.Bytes) < 1+aead.NonceSize()+aead.Overhead() || b.Bytes[0] != sealVersion {
		return nil, iotsec.Errorf(iotsec.ErrUnavailable, "a registry key is not sealed in a known format")
	}
	nonce, ct := b.Bytes[1:1+aead.NonceSize()], b.Bytes[1+aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, []byte(aad))
	if err != nil {
		return nil, iotsec.Errorf(iotsec.ErrUnavailable, "a registry key does not open with the key-encryption key")
	}
	return plain, nil
}

func (s *Service) aead() (cipher.AEAD, error) {
	if len(s.KEK) != kekSize {
		return nil, iotsec.Errorf(iotsec.ErrUnavailable, "the registry cannot sign: no %d-byte key-encryption key is configured", kekSize)
	}
	block, err := aes.NewCipher(s.KEK)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// logSigner returns the log's checkpoint signer, creating the platform's
// Ed25519 note key (sealed, stored) on first use.
func (s *Service) logSigner(ctx context.Context) (translog.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	origin := s.Origin()
	k, err := s.Store.LogKey(ctx, origin)
	if iotsec.Kind(err) == iotsec.ErrNotFound {
		skey, vkey, gerr := translog.GenerateKey(s.Rand, origin)
		if gerr != nil {
			return nil, gerr
		}
		sealed, serr := s.seal([]byte(skey), logKeyAAD+origin)
		if serr != nil {
			return nil, serr
		}
		k, err = s.Store.AddLogKey(ctx, iotsec.LogKey{Origin: origin, VerifierKey: vkey, Sealed: sealed})
	}
	if err != nil {
		return nil, err
	}
	skey, err := s.open(k.Sealed, logKeyAAD+origin)
	if err != nil {
		return nil, err
	}
	signer, err := translog.NewSigner(string(skey))
	if err != nil {
		return nil, err
	}
	s.signer, s.logKey = signer, k
	return signer, nil
}

// LogVerifierKey returns the log's note verifier key ("<origin>+<hash>+<key>"),
// creating the log's key on first use.
func (s *Service) LogVerifierKey(ctx context.Context) (string, error) {
	s.mu.Lock()
	k := s.logKey
	s.mu.Unlock()
	if k.VerifierKey != "" {
		return k.VerifierKey, nil
	}
	k, err := s.Store.LogKey(ctx, s.Origin())
	if iotsec.Kind(err) == iotsec.ErrNotFound {
		if _, err := s.logSigner(ctx); err != nil {
			return "", err
		}
		return s.LogVerifierKey(ctx)
	}
	if err != nil {
		return "", err
	}
	// The key of an origin is kept for good (translog_keys is
	// append-only): read once.
	s.mu.Lock()
	if s.logKey.VerifierKey == "" {
		s.logKey = k
	}
	s.mu.Unlock()
	return k.VerifierKey, nil
}

// log is the transparency log over the store's reads.
func (s *Service) log(ctx context.Context) (*translog.Log, error) {
	return translog.New(s.Origin(), translog.ReadOnly{
		Count: func() (int64, error) { return s.Store.LogSize(ctx) },
		Read:  func(indexes []int64) ([][]byte, error) { return s.Store.ReadLogHashes(ctx, indexes) },
	})
}

// authority is the service acting for an authority's organisation: labels
// are signed with the authority's key whoever (owner, delegate, maker
// withdrawing) made the move.
func authority(orgID string) iotsec.Actor {
	return iotsec.System(orgID, serviceLabel)
}

// issuer returns a label issuer with the authority's active key, creating
// one (sealed, stored) on first use.
func (s *Service) issuer(ctx context.Context, orgID string) (*label.Issuer, error) {
	a := authority(orgID)
	k, err := s.Store.ActiveRegistryKey(ctx, a)
	if iotsec.Kind(err) == iotsec.ErrNotFound {
		if _, err := s.RotateKey(ctx, a); err != nil {
			return nil, err
		}
		k, err = s.Store.ActiveRegistryKey(ctx, a)
	}
	if err != nil {
		return nil, err
	}
	pemKey, err := s.open(k.Sealed, labelKeyAAD+k.KID)
	if err != nil {
		return nil, err
	}
	sk, err := label.ParseKeyPEM(pemKey)
	if err != nil {
		return nil, err
	}
	is, err := label.NewIssuer(sk)
	if err != nil {
		return nil, err
	}
	is.Now = s.Now
	return is, nil
}

// RotateKey makes a new label signing key for the actor's organisation
// (an authority) and retires the one before: labels it signed keep
// verifying, since retired keys stay in the JWKS.
func (s *Service) RotateKey(ctx context.Context, a iotsec.Actor) (iotsec.RegistryKey, error) {
	alg := s.Alg
	if alg == "" {
		alg = label.ES256
	}
	sk, err := label.GenerateKey(alg, s.Rand)
	if err != nil {
		return iotsec.RegistryKey{}, err
	}
	pemKey, err := sk.MarshalPEM()
	if err != nil {
		return iotsec.RegistryKey{}, err
	}
	sealed, err := s.seal(pemKey, labelKeyAAD+sk.ID())
	if err != nil {
		return iotsec.RegistryKey{}, err
	}
	jwk, err := publicJWK(sk.Public())
	if err != nil {
		return iotsec.RegistryKey{}, err
	}
	old, oerr := s.Store.ActiveRegistryKey(ctx, a)
	k := iotsec.RegistryKey{KID: sk.ID(), Alg: string(sk.Algorithm()), PublicJWK: jwk, Sealed: sealed}
	if err := s.Store.AddRegistryKey(ctx, a, &k); err != nil {
		return iotsec.RegistryKey{}, err
	}
	if oerr == nil {
		if err := s.Store.RetireRegistryKey(ctx, a, old.KID); err != nil {
			return k, err
		}
	}
	k.Sealed = nil
	return k, nil
}

// publicJWK is one key's JWK, as in the JWKS.
func publicJWK(k label.PublicKey) ([]byte, error) {
	b, err := json.Marshal(label.KeySet{Keys: []label.PublicKey{k}})
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil || len(set.Keys) != 1 {
		return nil, fmt.Errorf("registry: public JWK: %v", err)
	}
	return set.Keys[0], nil
}

// JWKS returns the label keys of one authority (orgID) or of every
// authority (orgID empty), retired ones too, as a JWKS document.
func (s *Service) JWKS(ctx context.Context, orgID string) ([]byte, error) {
	keys, err := s.Store.ListRegistryKeys(ctx, orgID)
	if err != nil {
		return nil, err
	}
	raw := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		raw = append(raw, json.RawMessage(k.PublicJWK))
	}
	return json.Marshal(struct {
		Keys []json.RawMessage `json:"keys"`
	}{raw})
}

// labelKID reads the kid of a label's JWS header, unverified.
func labelKID(jws string) string {
	head, _, _ := strings.Cut(jws, ".")
	b, err := decodeB64(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Kid
}

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
