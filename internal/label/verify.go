package label

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits on a label, the input Verify reads from strangers.
const (
	MaxTokenSize = 64 << 10 // bytes of compact JWS
	MaxDepth     = 16       // nesting of the header's and the claims' JSON
)

// Code names one reason a label is not valid. Codes are a stable,
// machine-readable contract: `iotsec label verify` prints them and
// scripts match on them. Add new codes; never rename or reuse one.
type Code string

// The problem codes.
const (
	// CodeMalformed: the token is not a compact JWS of this engine's
	// labels (size, base64url, JSON, header parameters, "typ", claims
	// that do not validate).
	CodeMalformed Code = "label.malformed"
	// CodeAlgorithm: the header names an algorithm other than ES256 or
	// EdDSA ("none", HMAC, RSA...), or one the key with that kid is not
	// for.
	CodeAlgorithm Code = "label.algorithm"
	// CodeUnknownKey: no key in the JWKS has the label's kid.
	CodeUnknownKey Code = "label.unknown-key"
	// CodeSignature: the signature does not verify with the key.
	CodeSignature Code = "label.signature"
	// CodeNotYetValid: now is before valid_from.
	CodeNotYetValid Code = "label.not-yet-valid"
	// CodeExpired: now is at or after valid_until.
	CodeExpired Code = "label.expired"
	// CodeSupportEnded: the maker's support period (support_end) is
	// over, so the label has lapsed.
	CodeSupportEnded Code = "label.support-ended"
	// CodeStatus: the record was not certified when the label was
	// signed, or is not any more by the status the verifier supplied
	// (revoked, suspended, under review, expired, withdrawn).
	CodeStatus Code = "label.status"
	// CodeRegistry: the label names another registry than the one the
	// verifier expected.
	CodeRegistry Code = "label.registry"
	// CodeProof: the inclusion proof is missing or VerifyOptions.CheckProof
	// refused it.
	CodeProof Code = "label.proof"
)

// Problem is one reason a label is not valid.
type Problem struct {
	Code   Code   `json:"code"`
	Detail string `json:"detail"`
}

// Result is the outcome of Verify.
type Result struct {
	// Valid is true only when there is no problem.
	Valid bool `json:"valid"`
	// Status is what a consumer should be told: the current status when
	// the verifier supplied one, else the status at issue; "expired" when
	// the dates or the support period say so; StatusUnknown when the
	// claims could not be established.
	Status Status `json:"status"`
	// Label holds the claims once the signature verified and they
	// decoded; nil otherwise, so nothing unsigned is ever shown.
	Label *Claims `json:"label"`
	// Kid names the key that verified the signature, "" when none did.
	Kid      string    `json:"kid,omitempty"`
	Problems []Problem `json:"problems"`
	// Reasons say why the label is under review or suspended, when the
	// registry said (the document's current reasons, else the signed
	// claims').
	Reasons []string `json:"reasons,omitempty"`
}

// VerifyOptions tune Verify; the zero value checks signature, dates and
// the status at issue.
type VerifyOptions struct {
	// Status, when set, is the record's current status as the verifier
	// knows it (from the registry, or from the transparency log): any
	// status but certified invalidates the label.
	Status Status
	// Registry, when set, is the registry URL the label must name.
	Registry string
	// CheckProof, when set, checks the label's inclusion proof (the log
	// engine's JSON in Claims.Proof) against a checkpoint the caller
	// trusts. It runs only after the signature verified; a label without
	// a proof, or an error, is a CodeProof problem.
	CheckProof func(c Claims, proof json.RawMessage) error
}

// header parameters a label may carry; any other is malformed (a "crit",
// an embedded "jwk" or a "jku" to fetch keys from is never honoured).
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// Verify checks a label (a compact JWS, surrounding white space ignored)
// against the registry's keys at time now. It never fails: every reason
// for rejection is a Problem in the Result. Signature problems stop the
// checks (nothing unsigned is decoded); after a good signature the date,
// support, status, registry and proof checks all report.
func Verify(token []byte, keys KeySet, now time.Time, opts VerifyOptions) Result {
	r := Result{Status: StatusUnknown, Problems: []Problem{}}
	add := func(code Code, format string, a ...any) {
		r.Problems = append(r.Problems, Problem{Code: code, Detail: fmt.Sprintf(format, a...)})
	}
	if len(token) > MaxTokenSize {
		add(CodeMalformed, "the label is %d bytes; the limit is %d", len(token), MaxTokenSize)
		return r
	}
	token = bytes.TrimSpace(token)
	parts := bytes.Split(token, []byte("."))
	if len(parts) != 3 {
		add(CodeMalformed, "a label is a compact JWS of three base64url parts; this has %d", len(parts))
		return r
	}
	var raw [3][]byte
	for i, name := range []string{"header", "payload", "signature"} {
		b, err := decodeStrict(parts[i])
		if err != nil {
			add(CodeMalformed, "%s: %v", name, err)
			return r
		}
		raw[i] = b
	}
	if err := checkJSON(raw[0], MaxDepth); err != nil {
		add(CodeMalformed, "header: %v", err)
		return r
	}
	var members map[string]json.RawMessage
	var h header
	if err := json.Unmarshal(raw[0], &members); err != nil {
		add(CodeMalformed, "header: %v", err)
		return r
	}
	for name := range members {
		if name != "alg" && name != "kid" && name != "typ" {
			add(CodeMalformed, "header parameter %q is not allowed in a label", name)
			return r
		}
	}
	if err := json.Unmarshal(raw[0], &h); err != nil {
		add(CodeMalformed, "header: %v", err)
		return r
	}
	if Algorithm(h.Alg) != ES256 && Algorithm(h.Alg) != EdDSA {
		add(CodeAlgorithm, "algorithm %q is refused; labels are signed with ES256 or EdDSA", h.Alg)
		return r
	}
	if h.Typ != Type {
		add(CodeMalformed, "typ is %q, not %q", h.Typ, Type)
		return r
	}
	if h.Kid == "" {
		add(CodeUnknownKey, "the label names no key (kid)")
		return r
	}
	key, ok := keys.Key(h.Kid)
	if !ok {
		add(CodeUnknownKey, "no key %q in the key set", h.Kid)
		return r
	}
	if key.Algorithm != Algorithm(h.Alg) || !keyFits(key) {
		add(CodeAlgorithm, "key %q is an %s key; the label says %s", h.Kid, key.Algorithm, h.Alg)
		return r
	}
	// go-jose enforces the list of algorithms a second time.
	obj, err := jose.ParseSignedCompact(string(token), []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA})
	if err != nil {
		add(CodeMalformed, "%v", err)
		return r
	}
	payload, err := obj.Verify(key.Key)
	if err != nil {
		add(CodeSignature, "the signature does not verify with key %q", h.Kid)
		return r
	}
	if !bytes.Equal(payload, raw[1]) {
		// go-jose decoded the same string; this cannot differ.
		add(CodeSignature, "the verified payload is not the label's")
		return r
	}
	r.Kid = h.Kid

	if err := checkJSON(payload, MaxDepth); err != nil {
		add(CodeMalformed, "claims: %v", err)
		return r
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		add(CodeMalformed, "claims: %v", err)
		return r
	}
	if err := c.Validate(); err != nil {
		add(CodeMalformed, "claims: %v", err)
		return r
	}
	r.Label = &c
	r.Status = c.Status
	if opts.Status != "" {
		r.Status = opts.Status
	}

	if now.Before(c.ValidFrom) {
		add(CodeNotYetValid, "the label is valid from %s", c.ValidFrom.UTC().Format(time.RFC3339))
	}
	if !now.Before(c.ValidUntil) {
		add(CodeExpired, "the label expired at %s", c.ValidUntil.UTC().Format(time.RFC3339))
		if r.Status == StatusCertified {
			r.Status = StatusExpired
		}
	}
	if c.SupportEnd != "" {
		end, _ := c.SupportEnd.Time() // Validate checked it
		if !now.Before(end.AddDate(0, 0, 1)) {
			add(CodeSupportEnded, "the maker's support for firmware %s ended on %s", c.FirmwareVersion, c.SupportEnd)
			if r.Status == StatusCertified {
				r.Status = StatusExpired
			}
		}
	}
	if c.Status != StatusCertified {
		add(CodeStatus, "the record was %s when the label was signed", words(c.Status))
	}
	if opts.Status != "" && opts.Status != StatusCertified {
		add(CodeStatus, "the record is %s now", words(opts.Status))
	}
	if opts.Registry != "" && c.Registry != opts.Registry {
		add(CodeRegistry, "the label was issued by %s, not %s", c.Registry, opts.Registry)
	}
	if opts.CheckProof != nil {
		if len(c.Proof) == 0 || string(c.Proof) == "null" {
			add(CodeProof, "the label carries no inclusion proof")
		} else if err := opts.CheckProof(c, c.Proof); err != nil {
			add(CodeProof, "%v", err)
		}
	}
	r.Valid = len(r.Problems) == 0
	return r
}

// decodeStrict decodes one base64url part without padding and refuses
// non-canonical encodings: Go's decoder otherwise ignores the unused low
// bits of the last character, so two spellings of one signature would
// both verify and a one-byte change could go unnoticed.
// It also refuses the line breaks Go's decoder skips even in strict mode.
func decodeStrict(s []byte) ([]byte, error) {
	for i, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("byte %d (%q) is not base64url", i, c)
		}
	}
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(s)))
	n, err := base64.RawURLEncoding.Strict().Decode(out, s)
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	return out[:n], nil
}

// keyFits reports whether the key's material is what its algorithm
// needs (ParseKeySet ensures it; a KeySet built by hand may not).
func keyFits(k PublicKey) bool {
	switch k.Algorithm {
	case ES256:
		pk, ok := k.Key.(*ecdsa.PublicKey)
		return ok && pk.Curve != nil && pk.Curve.Params().Name == "P-256"
	case EdDSA:
		pk, ok := k.Key.(ed25519.PublicKey)
		return ok && len(pk) == ed25519.PublicKeySize
	}
	return false
}

// words spells a status for a detail message.
func words(s Status) string {
	if !s.Known() {
		return fmt.Sprintf("%q", string(s))
	}
	return strings.ReplaceAll(string(s), "_", " ")
}
