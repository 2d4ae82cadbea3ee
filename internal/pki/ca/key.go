package ca

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// KEKSize is the size of the key-encryption key, in bytes (AES-256).
const KEKSize = 32

// sealedPEMType names the PEM block of an encrypted CA key.
const sealedPEMType = "IOTSEC ENCRYPTED PRIVATE KEY"

const sealVersion = 1

// ErrKeyDecrypt hides why a sealed key did not open: a wrong KEK, a wrong
// label and tampering look the same from outside.
var ErrKeyDecrypt = errors.New("sealed key does not decrypt (wrong key-encryption key or label, or damaged)")

// SealKey encrypts a private key for storage: PKCS#8 DER sealed with
// AES-256-GCM under kek, bound to label (use the CA's identifier, so a key
// blob copied to another CA's record will not open). The result is PEM.
func SealKey(key Signer, kek []byte, label string, rand io.Reader) ([]byte, error) {
	if ls, ok := key.(*localSigner); ok {
		key = ls.Signer
	}
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("seal key: key-encryption key is %d bytes, want %d", len(kek), KEKSize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %T is not a local private key", key)
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	out = aead.Seal(out, nonce, der, aad(label))
	clear(der)
	return pem.EncodeToMemory(&pem.Block{Type: sealedPEMType, Bytes: out}), nil
}

// OpenKey decrypts a key sealed by SealKey. The Signer it returns prints
// and logs as "[redacted]" so a careless log line cannot leak the key.
func OpenKey(sealed, kek []byte, label string) (Signer, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("open key: key-encryption key is %d bytes, want %d", len(kek), KEKSize)
	}
	b, _ := pem.Decode(sealed)
	if b == nil || b.Type != sealedPEMType {
		return nil, fmt.Errorf("open key: no %s PEM block", sealedPEMType)
	}
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	data := b.Bytes
	if len(data) < 1+aead.NonceSize()+aead.Overhead() || data[0] != sealVersion {
		return nil, fmt.Errorf("open key: unknown format")
	}
	nonce, ct := data[1:1+aead.NonceSize()], data[1+aead.NonceSize():]
	der, err := aead.Open(nil, nonce, ct, aad(label))
	if err != nil {
		return nil, fmt.Errorf("open key: %w", ErrKeyDecrypt)
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("open key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("open key: %T cannot sign", k)
	}
	return &localSigner{s}, nil
}

func newAEAD(kek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func aad(label string) []byte { return []byte("iotsec ca key v1\x00" + label) }

// localSigner is an in-memory key that refuses to be printed.
type localSigner struct{ crypto.Signer }

func (*localSigner) String() string             { return "[redacted]" }
func (*localSigner) GoString() string           { return "[redacted]" }
func (*localSigner) LogValue() slog.Value       { return slog.StringValue("[redacted]") }
func (*localSigner) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }
