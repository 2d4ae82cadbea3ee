package label

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	jose "github.com/go-jose/go-jose/v4"
)

// Algorithm is a JWS signature algorithm a label may use. There are two,
// and Verify refuses every other.
type Algorithm string

// The label algorithms.
const (
	ES256 Algorithm = "ES256" // ECDSA on P-256 with SHA-256
	EdDSA Algorithm = "EdDSA" // Ed25519
)

// Limits on a key set, the JSON a verifier reads from strangers.
const (
	MaxKeySetSize = 64 << 10 // bytes of JWKS JSON
	MaxKeys       = 64       // keys in one JWKS
)

// SigningKey is a registry's private label-signing key. Its ID, the JWS
// "kid", is the RFC 7638 JWK thumbprint of the public key (SHA-256,
// base64url), so it is derived, stable and unique.
type SigningKey struct {
	alg  Algorithm
	priv crypto.Signer // *ecdsa.PrivateKey on P-256 or ed25519.PrivateKey
	pub  PublicKey
}

// GenerateKey makes a new signing key for alg from the bytes of random
// (crypto/rand.Reader in production; a fixed stream in tests gives a
// fixed key).
func GenerateKey(alg Algorithm, random io.Reader) (*SigningKey, error) {
	switch alg {
	case EdDSA:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(random, seed); err != nil {
			return nil, fmt.Errorf("generate Ed25519 key: %w", err)
		}
		return newSigningKey(ed25519.NewKeyFromSeed(seed))
	case ES256:
		// Rejection sampling (FIPS 186-5 A.2.2): a 32-byte string that
		// is not below the group order, or is zero, is drawn again.
		// ecdsa.GenerateKey would ignore random since Go 1.26.
		b := make([]byte, 32)
		for range 64 {
			if _, err := io.ReadFull(random, b); err != nil {
				return nil, fmt.Errorf("generate P-256 key: %w", err)
			}
			if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b); err == nil {
				return newSigningKey(k)
			}
		}
		return nil, errors.New("generate P-256 key: the random source keeps giving out-of-range scalars")
	}
	return nil, fmt.Errorf("algorithm %q is not ES256 or EdDSA", string(alg))
}

func newSigningKey(priv crypto.Signer) (*SigningKey, error) {
	pub, err := newPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	return &SigningKey{alg: pub.Algorithm, priv: priv, pub: pub}, nil
}

// ID returns the key's kid.
func (k *SigningKey) ID() string { return k.pub.ID }

// Algorithm returns the algorithm the key signs with.
func (k *SigningKey) Algorithm() Algorithm { return k.alg }

// Public returns the public half, as published in the JWKS.
func (k *SigningKey) Public() PublicKey { return k.pub }

// MarshalPEM encodes the private key as a PKCS #8 "PRIVATE KEY" PEM block,
// for a service to seal and store.
func (k *SigningKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("encode label key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKeyPEM reads a key written by MarshalPEM: one PKCS #8 PEM block
// holding a P-256 ECDSA or an Ed25519 private key.
func ParseKeyPEM(data []byte) (*SigningKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("parse label key: no PRIVATE KEY PEM block")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("parse label key: data after the PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse label key: %w", err)
	}
	return signingKeyOf(k)
}

// MarshalJWK encodes the private key as a JWK (RFC 7517) with its kid,
// alg and "use": "sig".
func (k *SigningKey) MarshalJWK() ([]byte, error) {
	return jose.JSONWebKey{Key: k.priv, KeyID: k.pub.ID, Algorithm: string(k.alg), Use: "sig"}.MarshalJSON()
}

// ParseKeyJWK reads a private JWK written by MarshalJWK. A kid in the JWK
// must be the key's thumbprint; an alg must match the key.
func ParseKeyJWK(data []byte) (*SigningKey, error) {
	if len(data) > MaxKeySetSize {
		return nil, fmt.Errorf("parse label key: JWK is %d bytes; the limit is %d", len(data), MaxKeySetSize)
	}
	if err := checkJSON(data, 4); err != nil {
		return nil, fmt.Errorf("parse label key: %w", err)
	}
	var j jose.JSONWebKey
	if err := j.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("parse label key: %w", err)
	}
	if j.IsPublic() {
		return nil, errors.New("parse label key: the JWK holds a public key only")
	}
	k, err := signingKeyOf(j.Key)
	if err != nil {
		return nil, err
	}
	if j.KeyID != "" && j.KeyID != k.ID() {
		return nil, fmt.Errorf("parse label key: kid %q is not the key's thumbprint %q", j.KeyID, k.ID())
	}
	if j.Algorithm != "" && Algorithm(j.Algorithm) != k.alg {
		return nil, fmt.Errorf("parse label key: alg %q does not match the %s key", j.Algorithm, k.alg)
	}
	return k, nil
}

func signingKeyOf(k any) (*SigningKey, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("parse label key: ECDSA key is not on P-256")
		}
		return newSigningKey(k)
	case ed25519.PrivateKey:
		return newSigningKey(k)
	}
	return nil, fmt.Errorf("parse label key: %T is not a P-256 ECDSA or Ed25519 key", k)
}

// PublicKey is one published label-verification key.
type PublicKey struct {
	ID        string           // the JWS kid
	Algorithm Algorithm        // ES256 or EdDSA
	Key       crypto.PublicKey // *ecdsa.PublicKey on P-256, or ed25519.PublicKey
}

func newPublicKey(k crypto.PublicKey) (PublicKey, error) {
	var alg Algorithm
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return PublicKey{}, errors.New("ECDSA key is not on P-256")
		}
		alg = ES256
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return PublicKey{}, errors.New("Ed25519 key has the wrong size")
		}
		alg = EdDSA
	default:
		return PublicKey{}, fmt.Errorf("%T is not a P-256 ECDSA or Ed25519 key", k)
	}
	j := jose.JSONWebKey{Key: k}
	tp, err := j.Thumbprint(crypto.SHA256)
	if err != nil {
		return PublicKey{}, fmt.Errorf("key thumbprint: %w", err)
	}
	return PublicKey{ID: base64.RawURLEncoding.EncodeToString(tp), Algorithm: alg, Key: k}, nil
}

// KeySet is a registry's JWKS (RFC 7517 §5): the public keys that verify
// its labels, the current one and those retired. Its JSON is the JWKS
// document a registry publishes.
type KeySet struct {
	Keys []PublicKey
}

// Key returns the key with the given kid.
func (s KeySet) Key(kid string) (PublicKey, bool) {
	for _, k := range s.Keys {
		if k.ID == kid {
			return k, true
		}
	}
	return PublicKey{}, false
}

// MarshalJSON writes the JWKS: {"keys": [{"kty", "crv", "x", ("y"),
// "kid", "alg", "use": "sig"}, ...]}.
func (s KeySet) MarshalJSON() ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(s.Keys))}
	for _, k := range s.Keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key, KeyID: k.ID, Algorithm: string(k.Algorithm), Use: "sig"})
	}
	return json.Marshal(set)
}

// UnmarshalJSON reads a JWKS under the limits and rules of ParseKeySet.
func (s *KeySet) UnmarshalJSON(data []byte) error {
	ks, err := ParseKeySet(data)
	if err != nil {
		return err
	}
	*s = ks
	return nil
}

// ParseKeySet reads a JWKS from a stranger: at most MaxKeySetSize bytes
// and MaxKeys keys, no duplicate members, every key a P-256 EC or Ed25519
// public key with a unique kid, "use" (if present) "sig" and "alg" (if
// present) the one its type implies. Private keys are refused: a JWKS
// that holds one was published by mistake.
func ParseKeySet(data []byte) (KeySet, error) {
	if len(data) > MaxKeySetSize {
		return KeySet{}, fmt.Errorf("jwks is %d bytes; the limit is %d", len(data), MaxKeySetSize)
	}
	if err := checkJSON(data, 4); err != nil {
		return KeySet{}, fmt.Errorf("jwks: %w", err)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return KeySet{}, fmt.Errorf("jwks: %w", err)
	}
	if raw.Keys == nil {
		return KeySet{}, errors.New(`jwks: no "keys" array`)
	}
	if len(raw.Keys) > MaxKeys {
		return KeySet{}, fmt.Errorf("jwks holds %d keys; the limit is %d", len(raw.Keys), MaxKeys)
	}
	s := KeySet{Keys: make([]PublicKey, 0, len(raw.Keys))}
	seen := map[string]bool{}
	for i, r := range raw.Keys {
		var j jose.JSONWebKey
		if err := j.UnmarshalJSON(r); err != nil {
			return KeySet{}, fmt.Errorf("jwks key %d: %w", i, err)
		}
		if !j.IsPublic() {
			return KeySet{}, fmt.Errorf("jwks key %d (%q) is not a public key", i, j.KeyID)
		}
		if j.KeyID == "" {
			return KeySet{}, fmt.Errorf("jwks key %d has no kid", i)
		}
		if seen[j.KeyID] {
			return KeySet{}, fmt.Errorf("jwks: kid %q appears twice", j.KeyID)
		}
		seen[j.KeyID] = true
		if j.Use != "" && j.Use != "sig" {
			return KeySet{}, fmt.Errorf("jwks key %q: use is %q, not sig", j.KeyID, j.Use)
		}
		pk, err := newPublicKey(j.Key)
		if err != nil {
			return KeySet{}, fmt.Errorf("jwks key %q: %w", j.KeyID, err)
		}
		if j.Algorithm != "" && Algorithm(j.Algorithm) != pk.Algorithm {
			return KeySet{}, fmt.Errorf("jwks key %q: alg %q does not match its %s key", j.KeyID, j.Algorithm, pk.Algorithm)
		}
		pk.ID = j.KeyID
		s.Keys = append(s.Keys, pk)
	}
	return s, nil
}
