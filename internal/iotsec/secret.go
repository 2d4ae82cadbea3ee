package iotsec

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
)

// Secret prefixes make leaked secrets easy for scanners to recognise.
const (
	SecretToken    = "iotsec_tok_"
	SecretSession  = "iotsec_ses_"
	SecretLink     = "iotsec_lnk_"
	SecretEnrol    = "iotsec_enr_" // one-time EST enrolment token
	SecretTransfer = "iotsec_xfr_" // one-time ownership transfer code
	SecretInvite   = "iotsec_inv_" // one-time invitation link
)

// NewSecret returns a random 256-bit secret with the given prefix and the
// hash under which stores keep it. r may be nil for crypto/rand.
func NewSecret(r io.Reader, prefix string) (secret string, hash []byte) {
	if r == nil {
		r = rand.Reader
	}
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic("iotsec: read random: " + err.Error())
	}
	secret = prefix + idEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is how a presented secret is looked up. Secrets are 256-bit
// random, so a plain SHA-256 is enough; a slow hash would buy nothing.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
