package registry

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/translog"
)

// Signed audit heads. Each organisation's audit chain has a head (its
// newest event's number and hash); the service signs it as a C2SP
// checkpoint whose origin names the organisation ("<host>/audit/<org>"),
// with an Ed25519 note key of that origin kept like the log's own:
// generated on first use, sealed under the key-encryption key, stored for
// good. A head exported and kept elsewhere lets the organisation detect
// events cut off the end of its chain, which the chain alone cannot show.

const auditKeyAAD = "iotsec audit head key v1\x00"

// AuditOrigin is the checkpoint origin of an organisation's audit heads.
func (s *Service) AuditOrigin(orgID string) string {
	return s.Origin()[:len(s.Origin())-len("/registry")] + "/audit/" + orgID
}

func (s *Service) auditKey(ctx context.Context, orgID string) (iotsec.LogKey, error) {
	origin := s.AuditOrigin(orgID)
	k, err := s.Store.LogKey(ctx, origin)
	if iotsec.Kind(err) == iotsec.ErrNotFound {
		skey, vkey, gerr := translog.GenerateKey(s.Rand, origin)
		if gerr != nil {
			return iotsec.LogKey{}, gerr
		}
		sealed, serr := s.seal([]byte(skey), auditKeyAAD+origin)
		if serr != nil {
			return iotsec.LogKey{}, serr
		}
		k, err = s.Store.AddLogKey(ctx, iotsec.LogKey{Origin: origin, VerifierKey: vkey, Sealed: sealed})
	}
	return k, err
}

// SignAuditHead returns h as a signed checkpoint note and the verifier key
// that checks it.
func (s *Service) SignAuditHead(ctx context.Context, h iotsec.AuditHead) (note []byte, verifierKey string, err error) {
	k, err := s.auditKey(ctx, h.OrgID)
	if err != nil {
		return nil, "", err
	}
	skey, err := s.open(k.Sealed, auditKeyAAD+k.Origin)
	if err != nil {
		return nil, "", err
	}
	signer, err := translog.NewSigner(string(skey))
	if err != nil {
		return nil, "", err
	}
	sum, err := hex.DecodeString(h.Hash)
	if err != nil || len(sum) != len(translog.Hash{}) {
		return nil, "", fmt.Errorf("registry: audit head hash %q is not a SHA-256", h.Hash)
	}
	c := translog.Checkpoint{Origin: k.Origin, Size: h.Seq}
	copy(c.Hash[:], sum)
	msg, err := c.Sign(signer)
	return msg, k.VerifierKey, err
}

// VerifyAuditHead checks a signed head of orgID's chain with the
// service's key for that organisation and returns the head it vouches for.
func (s *Service) VerifyAuditHead(ctx context.Context, orgID string, note []byte) (iotsec.AuditHead, error) {
	k, err := s.Store.LogKey(ctx, s.AuditOrigin(orgID))
	if err != nil {
		return iotsec.AuditHead{}, err
	}
	v, err := translog.NewVerifier(k.VerifierKey)
	if err != nil {
		return iotsec.AuditHead{}, err
	}
	c, err := translog.VerifyCheckpoint(note, v)
	if err != nil {
		return iotsec.AuditHead{}, iotsec.Invalid("head", "is not a head of this organisation's audit log signed by this server: %v", err)
	}
	return iotsec.AuditHead{OrgID: orgID, Seq: c.Size, Hash: hex.EncodeToString(c.Hash[:])}, nil
}
