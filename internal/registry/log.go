package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/translog"
)

// The transparency log's public reads: checkpoints, inclusion and
// consistency proofs.

// Bundle is an inclusion proof bundle (the log engine's; its JSON is what a
// label's proof holds).
type Bundle = translog.Bundle

// Checkpoint returns the latest signed checkpoint of the log, signing and
// saving a new one when the log has grown past the latest saved (a move
// whose label was not issued).
func (s *Service) Checkpoint(ctx context.Context) (iotsec.Checkpoint, error) {
	n, err := s.Store.LogSize(ctx)
	if err != nil {
		return iotsec.Checkpoint{}, err
	}
	cp, err := s.Store.LatestCheckpoint(ctx)
	if err == nil && cp.Size >= n {
		return cp, nil
	}
	if err != nil && iotsec.Kind(err) != iotsec.ErrNotFound {
		return cp, err
	}
	signer, err := s.logSigner(ctx)
	if err != nil {
		return iotsec.Checkpoint{}, err
	}
	l, err := s.log(ctx)
	if err != nil {
		return iotsec.Checkpoint{}, err
	}
	c, msg, err := l.Checkpoint(signer)
	if err != nil {
		return iotsec.Checkpoint{}, err
	}
	if err := s.Store.SaveCheckpoint(ctx, iotsec.Checkpoint{Size: c.Size, Text: string(msg)}); err != nil {
		return iotsec.Checkpoint{}, err
	}
	return s.Store.CheckpointAt(ctx, c.Size)
}

// Proof returns the inclusion bundle of entry index against the saved
// checkpoint of size (the latest when size is 0).
func (s *Service) Proof(ctx context.Context, index, size int64) (*Bundle, error) {
	var cp iotsec.Checkpoint
	var err error
	if size == 0 {
		cp, err = s.Checkpoint(ctx)
	} else {
		cp, err = s.Store.CheckpointAt(ctx, size)
	}
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= cp.Size {
		return nil, iotsec.Invalid("index", "must be below the tree size %d", cp.Size)
	}
	l, err := s.log(ctx)
	if err != nil {
		return nil, err
	}
	return l.Bundle(index, []byte(cp.Text))
}

// Consistency is a proof that the tree of NewSize entries contains the
// tree of OldSize: the log only grew. Its JSON is
// {"old_size": N, "new_size": M, "proof": ["<base64 hash>", ...]}.
type Consistency struct {
	OldSize int64              `json:"old_size"`
	NewSize int64              `json:"new_size"`
	Proof   translog.TreeProof `json:"-"`
}

func (c Consistency) MarshalJSON() ([]byte, error) {
	hs := make([]string, len(c.Proof))
	for i, h := range c.Proof {
		hs[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return json.Marshal(struct {
		OldSize int64    `json:"old_size"`
		NewSize int64    `json:"new_size"`
		Proof   []string `json:"proof"`
	}{c.OldSize, c.NewSize, hs})
}

// Consistency proves that the log's tree of newSize entries contains its
// tree of oldSize.
func (s *Service) Consistency(ctx context.Context, oldSize, newSize int64) (Consistency, error) {
	if oldSize < 0 || newSize < oldSize {
		return Consistency{}, iotsec.Invalid("old", "must be between 0 and new")
	}
	l, err := s.log(ctx)
	if err != nil {
		return Consistency{}, err
	}
	n, err := l.Size()
	if err != nil {
		return Consistency{}, err
	}
	if newSize > n {
		return Consistency{}, iotsec.Invalid("new", "the log has %d entries", n)
	}
	p, err := l.ProveConsistency(oldSize, newSize)
	if err != nil {
		return Consistency{}, err
	}
	return Consistency{OldSize: oldSize, NewSize: newSize, Proof: p}, nil
}
