package translog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A Checkpoint is a log's tree head: the note text of C2SP
// tlog-checkpoint, without its signatures.
//
//	<origin>
//	<tree size, decimal, no leading zeros>
//	<root hash, base64>
//	[extension lines]
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   Hash
	// Extensions are the optional extension lines after the root hash,
	// kept for the round trip; this log writes none (C2SP: NOT
	// RECOMMENDED, as monitors cannot audit them).
	Extensions []string
}

// emptyRoot is the root of the empty tree, SHA-256 of nothing (RFC 6962).
func emptyRoot() Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}

// Text returns the checkpoint's note text, each line ending in a newline.
func (c Checkpoint) Text() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(c.Hash.String())
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Sign returns the signed note of the checkpoint. The signer's key name
// must be the checkpoint's origin (C2SP: the log's key name SHOULD match
// the origin; this log always does, and its verifiers insist).
func (c Checkpoint) Sign(s Signer) ([]byte, error) {
	if err := checkOrigin(c.Origin); err != nil {
		return nil, err
	}
	if s.Name() != c.Origin {
		return nil, fmt.Errorf("translog: sign checkpoint: key %q is not the log's %q: %w", s.Name(), c.Origin, ErrOrigin)
	}
	if c.Size < 0 || c.Size > MaxTreeSize {
		return nil, fmt.Errorf("translog: sign checkpoint: tree size %d: %w", c.Size, ErrRange)
	}
	for i, e := range c.Extensions {
		if e == "" || strings.ContainsFunc(e, isControl) || !utf8.ValidString(e) {
			return nil, fmt.Errorf("translog: sign checkpoint: extension line %d is empty or holds a control character: %w", i+1, ErrMalformed)
		}
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
	if err != nil {
		return nil, fmt.Errorf("translog: sign checkpoint: %w", err)
	}
	if len(msg) > MaxCheckpointSize {
		return nil, fmt.Errorf("translog: sign checkpoint: %d bytes: %w", len(msg), ErrTooLarge)
	}
	return msg, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ParseCheckpoint parses a checkpoint's note text (not a signed note: see
// VerifyCheckpoint), strictly: at least three non-empty lines, each ending
// in a newline, a decimal size without leading zeros of at most
// MaxTreeSize, a canonical base64 SHA-256 root, the empty tree's root at
// size 0.
func ParseCheckpoint(text []byte) (Checkpoint, error) { return parseCheckpoint(text, "checkpoint") }

func parseCheckpoint(text []byte, what string) (Checkpoint, error) {
	if len(text) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("translog: %s of %d bytes, more than %d: %w", what, len(text), MaxCheckpointSize, ErrTooLarge)
	}
	if !utf8.Valid(text) {
		return Checkpoint{}, fmt.Errorf("translog: %s: not UTF-8: %w", what, ErrMalformed)
	}
	if i := bytes.IndexFunc(text, func(r rune) bool { return r != '\n' && isControl(r) }); i >= 0 {
		return Checkpoint{}, fmt.Errorf("translog: %s: control character at byte %d: %w", what, i, ErrMalformed)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return Checkpoint{}, fmt.Errorf("translog: %s: text does not end in a newline: %w", what, ErrMalformed)
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("translog: %s: %d lines, want origin, size and root hash: %w", what, len(lines), ErrMalformed)
	}
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("translog: %s: line %d is empty: %w", what, i+1, ErrMalformed)
		}
	}
	var c Checkpoint
	c.Origin = lines[0]
	if len(c.Origin) > MaxOriginSize {
		return Checkpoint{}, fmt.Errorf("translog: %s: origin of %d bytes, more than %d: %w", what, len(c.Origin), MaxOriginSize, ErrTooLarge)
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("translog: %s: line 2 (tree size): %w", what, err)
	}
	c.Size = size
	c.Hash, err = parseHash(lines[2])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("translog: %s: line 3 (root hash): %w", what, err)
	}
	if c.Size == 0 && c.Hash != emptyRoot() {
		return Checkpoint{}, fmt.Errorf("translog: %s: tree size 0 with root %s, not the empty tree's: %w", what, c.Hash, ErrMalformed)
	}
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

func parseSize(s string) (int64, error) {
	if len(s) > 20 {
		return 0, fmt.Errorf("%d digits: %w", len(s), ErrTooLarge)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a decimal number: %w", s, ErrMalformed)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero: %w", s, ErrMalformed)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxTreeSize {
		return 0, fmt.Errorf("%s is more than %d: %w", s, int64(MaxTreeSize), ErrTooLarge)
	}
	return n, nil
}

// parseHash decodes a canonical standard base64 SHA-256 hash.
func parseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 44 {
		return h, fmt.Errorf("%d characters, a base64 SHA-256 hash has 44: %w", len(s), ErrMalformed)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, fmt.Errorf("%q is not a base64 SHA-256 hash: %w", s, ErrMalformed)
	}
	copy(h[:], b)
	return h, nil
}

// VerifyCheckpoint opens a signed checkpoint note, checks its signature by
// v's key and that its origin is v's name, and parses it. Signatures by
// other keys (witnesses, a rotated key) are ignored, as the note format
// requires. The error says what is wrong: ErrUnknownKey (no signature by
// this key), ErrBadSignature (text changed after signing), ErrOrigin,
// ErrMalformed or ErrTooLarge.
func VerifyCheckpoint(msg []byte, v Verifier) (Checkpoint, error) {
	return verifyCheckpoint(msg, v, "checkpoint")
}

func verifyCheckpoint(msg []byte, v Verifier, what string) (Checkpoint, error) {
	if len(msg) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("translog: %s of %d bytes, more than %d: %w", what, len(msg), MaxCheckpointSize, ErrTooLarge)
	}
	if v == nil {
		return Checkpoint{}, errors.New("translog: verify " + what + ": no verifier key")
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, openError(err, v, what)
	}
	c, err := parseCheckpoint([]byte(n.Text), what)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("translog: %s of log %q, signed by the key of %q: %w", what, c.Origin, v.Name(), ErrOrigin)
	}
	return c, nil
}

// openError turns note.Open's errors into the package's kinds.
func openError(err error, v Verifier, what string) error {
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		var by []string
		for _, s := range unverified.Note.UnverifiedSigs {
			by = append(by, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
		}
		return fmt.Errorf("translog: %s signed by %s, not by the key %s+%08x: %w", what, strings.Join(by, ", "), v.Name(), v.KeyHash(), ErrUnknownKey)
	case errors.As(err, &invalid):
		return fmt.Errorf("translog: %s signature by %s+%08x does not verify (its text was changed): %w", what, invalid.Name, invalid.Hash, ErrBadSignature)
	default:
		return fmt.Errorf("translog: %s is not a signed note (%v): %w", what, err, ErrMalformed)
	}
}

// readUnverified parses a signed checkpoint note without checking its
// signatures, for the log's own checkpoints.
func readUnverified(msg []byte) (Checkpoint, error) {
	if len(msg) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("translog: checkpoint of %d bytes, more than %d: %w", len(msg), MaxCheckpointSize, ErrTooLarge)
	}
	_, err := note.Open(msg, nil)
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return Checkpoint{}, fmt.Errorf("translog: checkpoint is not a signed note (%v): %w", err, ErrMalformed)
	}
	return ParseCheckpoint([]byte(unverified.Note.Text))
}

// checkOrigin checks that origin can name a note key: non-empty UTF-8 of at
// most MaxOriginSize bytes with no spaces, '+' or control characters.
func checkOrigin(origin string) error {
	switch {
	case origin == "":
		return fmt.Errorf("translog: empty origin: %w", ErrMalformed)
	case len(origin) > MaxOriginSize:
		return fmt.Errorf("translog: origin of %d bytes, more than %d: %w", len(origin), MaxOriginSize, ErrTooLarge)
	case !utf8.ValidString(origin):
		return fmt.Errorf("translog: origin %q is not UTF-8: %w", origin, ErrMalformed)
	case strings.ContainsFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || r == '+' || isControl(r) }):
		return fmt.Errorf("translog: origin %q holds a space, '+' or control character: %w", origin, ErrMalformed)
	}
	return nil
}

// GenerateKey returns a new Ed25519 signer key (secret) and verifier key
// (public) for the log of the given origin, in note's encodings
// ("PRIVATE+KEY+<origin>+<hash>+<key>" and "<origin>+<hash>+<key>").
func GenerateKey(rand io.Reader, origin string) (skey, vkey string, err error) {
	if err := checkOrigin(origin); err != nil {
		return "", "", err
	}
	skey, vkey, err = note.GenerateKey(rand, origin)
	if err != nil {
		return "", "", fmt.Errorf("translog: generate key: %w", err)
	}
	return skey, vkey, nil
}

// NewSigner returns the signer of an encoded signer key.
func NewSigner(skey string) (Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		// The key is secret: the error does not quote it.
		return nil, fmt.Errorf("translog: signer key: %v: %w", err, ErrMalformed)
	}
	if err := checkOrigin(s.Name()); err != nil {
		return nil, fmt.Errorf("translog: signer key: %w", err)
	}
	return s, nil
}

// NewVerifier returns the verifier of an encoded verifier key
// ("<origin>+<hash>+<key>").
func NewVerifier(vkey string) (Verifier, error) {
	if len(vkey) > 2*MaxOriginSize {
		return nil, fmt.Errorf("translog: verifier key of %d bytes: %w", len(vkey), ErrTooLarge)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("translog: verifier key %q: %v: %w", vkey, err, ErrMalformed)
	}
	return v, nil
}
