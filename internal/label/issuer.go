package label

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Type is the JWS "typ" header of a label. Verify requires it, so a JWS
// the same key signed for another purpose is never taken for a label.
const Type = "iotsec-label+jws"

// Issuer signs labels with its current key and publishes the keys that
// verify them. Rotation keeps the old key in the JWKS (retired), so
// labels signed before still verify: a verifier picks the key by kid.
// Its keys never change (Rotate returns a new Issuer); once Now is set
// it is safe for concurrent use.
type Issuer struct {
	key     *SigningKey
	retired []PublicKey
	signer  jose.Signer
	// Now stamps Claims.IssuedAt when the claims leave it zero; nil
	// means time.Now.
	Now func() time.Time
}

// NewIssuer returns an issuer that signs with key and also publishes the
// retired public keys (earlier keys whose labels must keep verifying).
func NewIssuer(key *SigningKey, retired ...PublicKey) (*Issuer, error) {
	if key == nil {
		return nil, errors.New("label issuer: no signing key")
	}
	for _, r := range retired {
		if r.ID == key.ID() {
			return nil, fmt.Errorf("label issuer: key %q is both current and retired", r.ID)
		}
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.alg), Key: jose.JSONWebKey{Key: key.priv, KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType(Type))
	if err != nil {
		return nil, fmt.Errorf("label issuer: %w", err)
	}
	return &Issuer{key: key, retired: slices.Clone(retired), signer: signer}, nil
}

// Rotate returns an issuer that signs with next and publishes the current
// key as retired, along with the keys retired before it. The receiver is
// unchanged.
func (i *Issuer) Rotate(next *SigningKey) (*Issuer, error) {
	n, err := NewIssuer(next, append([]PublicKey{i.key.Public()}, i.retired...)...)
	if err != nil {
		return nil, err
	}
	n.Now = i.Now
	return n, nil
}

// Key returns the current signing key.
func (i *Issuer) Key() *SigningKey { return i.key }

// Keys returns the JWKS to publish: the current key first, then the
// retired keys, newest first.
func (i *Issuer) Keys() KeySet {
	return KeySet{Keys: append([]PublicKey{i.key.Public()}, i.retired...)}
}

// Sign validates c and returns the label: a compact JWS (header
// {"alg", "kid", "typ"}) over the claims' JSON. Times are written in UTC
// to the second; a zero IssuedAt becomes the issuer's clock.
func (i *Issuer) Sign(c Claims) ([]byte, error) {
	if c.IssuedAt.IsZero() {
		now := time.Now
		if i.Now != nil {
			now = i.Now
		}
		c.IssuedAt = now()
	}
	for _, t := range []*time.Time{&c.IssuedAt, &c.ValidFrom, &c.ValidUntil} {
		*t = t.UTC().Truncate(time.Second)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sign label: %w", err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("sign label %s: %w", c.LabelID, err)
	}
	if err := checkJSON(payload, MaxDepth); err != nil {
		return nil, fmt.Errorf("sign label %s: %w", c.LabelID, err)
	}
	obj, err := i.signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("sign label %s: %w", c.LabelID, err)
	}
	token, err := obj.CompactSerialize()
	if err != nil {
		return nil, fmt.Errorf("sign label %s: %w", c.LabelID, err)
	}
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("sign label %s: the label is %d bytes; verifiers accept at most %d", c.LabelID, len(token), MaxTokenSize)
	}
	return []byte(token), nil
}
