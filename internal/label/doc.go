// Package label is the label engine: the signed statement of a
// certification record (Claims), its issuer (compact JWS with ES256 on
// P-256 or EdDSA on Ed25519, keys published as a JWKS so they rotate
// without invalidating earlier labels), offline verification with stable
// problem codes, and the QR code (PNG and SVG) printed on the physical
// label.
//
// label is an engine: it imports the standard library and libraries only
// (github.com/go-jose/go-jose/v4, github.com/skip2/go-qrcode). It must not
// import the domain's store implementations, database/sql, HTTP servers,
// services, renderers or doors, nor the transparency-log engine: a label
// carries its inclusion proof as raw JSON (Claims.Proof) and the caller
// checks it through VerifyOptions.CheckProof.
//
// Everything a label verifier reads comes from strangers, so Verify works
// under hard limits (MaxTokenSize, MaxDepth, MaxKeys), accepts exactly two
// algorithms (ES256 and EdDSA; "none", HMAC and everything else are
// refused before any key is touched), decodes base64url strictly (a
// label with one changed byte never verifies) and refuses duplicate JSON
// members and unknown header parameters. It never fails: every reason for
// rejection is a Problem in the Result, with a Code that is a stable,
// machine-readable contract.
//
// Randomness and time are injected: GenerateKey reads its key from the
// io.Reader it is given, and Issuer.Now stamps labels. (ECDSA signature
// nonces come from the Go runtime, which since Go 1.26 ignores
// caller-supplied readers for them; Ed25519 signatures are deterministic.)
package label
