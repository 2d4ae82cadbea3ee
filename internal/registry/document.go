package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/translog"
)

// The label engine's shapes the doors need.
type (
	Result  = label.Result
	Problem = label.Problem
	Code    = label.Code
	Claims  = label.Claims
)

// Problem codes of VerifyLabel beyond the label engine's (label.Code*).
// Like those, they are a stable contract: add, never rename.
const (
	// CodeDocument: the label document is not one (JSON, fields, limits),
	// or a key it carries (JWKS, log key) does not parse.
	CodeDocument Code = "label.document"
	// CodeFork: the checkpoint the user holds has the same size as the
	// label's and another root: the log showed two histories.
	CodeFork Code = "log.fork"
	// CodeConsistencyNeeded: the checkpoint the user holds is of another
	// size than the label's; only a consistency proof (GET
	// /log/consistency) can tie them, which offline verification does not
	// fetch.
	CodeConsistencyNeeded Code = "log.consistency-needed"
	// CodeCheckpoint: the checkpoint the user holds is not a checkpoint of
	// this log signed by its key.
	CodeCheckpoint Code = "log.checkpoint"
)

// MaxDocumentSize bounds a label document read from a stranger.
const MaxDocumentSize = 256 << 10

// Document is a label as published at /l/{label-id}.json and written by
// `iotsec label show --out`: the signed label, the record's current status
// (which may be worse than the label's: a label signed as certified is
// shown with the revocation that followed), the authority's JWKS, the
// log's origin and verifier key, and the public page.
//
//	{"label": "<JWS>", "status": "certified", "jwks": {"keys": [...]},
//	 "log": {"origin": "host/registry", "key": "<note verifier key>"},
//	 "page": "https://host/l/LABEL-ID"}
type Document struct {
	Label  string       `json:"label"`
	Status label.Status `json:"status"`
	// Reasons say why the record is under review or suspended now (the
	// reasons of its last status change, in plain words).
	Reasons []string        `json:"reasons,omitempty"`
	JWKS    json.RawMessage `json:"jwks"`
	Log     LogInfo         `json:"log"`
	Page    string          `json:"page"`
}

// LogInfo names the transparency log and its checkpoint verifier key.
type LogInfo struct {
	Origin string `json:"origin"`
	Key    string `json:"key"`
}

// Document returns the label document of a granted record, by label ID:
// public, as /l/{label-id}.json serves it.
func (s *Service) Document(ctx context.Context, labelID string) (Document, error) {
	p, err := s.Store.PublicCertification(ctx, labelID)
	if err != nil {
		return Document{}, err
	}
	if p.Label == "" {
		return Document{}, iotsec.Errorf(iotsec.ErrUnavailable, "the label of this record is being issued; try again")
	}
	jwks, err := s.documentJWKS(ctx, labelKID(p.Label))
	if err != nil {
		return Document{}, err
	}
	vkey, err := s.LogVerifierKey(ctx)
	if err != nil {
		return Document{}, err
	}
	d := Document{Label: p.Label, Status: LabelStatus(p.Status), JWKS: jwks,
		Log: LogInfo{Origin: s.Origin(), Key: vkey}, Page: s.PageURL(labelID)}
	if p.Status == iotsec.StatusUnderReview || p.Status == iotsec.StatusSuspended {
		d.Reasons = p.Reasons
	}
	return d, nil
}

// VerifyOptions tune VerifyLabel.
type VerifyOptions struct {
	// Now is the time of the check; zero means time.Now.
	Now time.Time
	// JWKS, when set, replaces the document's key set: the keys the user
	// fetched from the registry (or holds) rather than those the document
	// brings along.
	JWKS []byte
	// Checkpoint, when set, is a signed checkpoint of the log the user
	// holds (a monitor's). The label's checkpoint must be the same tree;
	// one of another size needs a consistency proof
	// (CodeConsistencyNeeded).
	Checkpoint []byte
	// LogKey, when set, replaces the document's log verifier key.
	LogKey string
}

// VerifyLabel checks a label document offline: the label's signature with
// the JWKS, its validity dates and support period, its status (and the
// document's current status), and its inclusion proof against the signed
// checkpoint it carries, verified with the log's key; the leaf is rebuilt
// from the verified claims (label.Claims.Leaf). It never fails: every
// reason is a Problem in the Result.
func VerifyLabel(doc []byte, opts VerifyOptions) Result {
	bad := func(format string, a ...any) Result {
		return Result{Status: label.StatusUnknown, Problems: []Problem{{Code: CodeDocument, Detail: fmt.Sprintf(format, a...)}}}
	}
	if len(doc) > MaxDocumentSize {
		return bad("the document is %d bytes; the limit is %d", len(doc), MaxDocumentSize)
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return bad("not a label document: %v", err)
	}
	if d.Status != "" && !d.Status.Known() {
		return bad("status %q is not a record status", string(d.Status))
	}
	jwks := []byte(d.JWKS)
	if opts.JWKS != nil {
		jwks = opts.JWKS
	}
	keys, err := label.ParseKeySet(jwks)
	if err != nil {
		return bad("%v", err)
	}
	vkey := d.Log.Key
	if opts.LogKey != "" {
		vkey = opts.LogKey
	}
	verifier, err := translog.NewVerifier(vkey)
	if err != nil {
		return bad("log key: %v", err)
	}
	if d.Log.Origin != "" && verifier.Name() != d.Log.Origin {
		return bad("the log key is of %q, the document names the log %q", verifier.Name(), d.Log.Origin)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	var proved translog.Checkpoint
	r := label.Verify([]byte(d.Label), keys, now, label.VerifyOptions{
		Status: d.Status,
		CheckProof: func(c label.Claims, proof json.RawMessage) error {
			b, err := translog.ParseBundle(proof)
			if err != nil {
				return err
			}
			leaf, err := c.Leaf()
			if err != nil {
				return err
			}
			if proved, err = b.Verify(verifier, leaf); err != nil {
				return fmt.Errorf("the label is not the log's entry %d: %w", b.Index, err)
			}
			return nil
		},
	})
	if r.Status == label.StatusUnderReview || r.Status == label.StatusSuspended {
		switch {
		case len(d.Reasons) > 0 && len(d.Reasons) <= 100:
			r.Reasons = d.Reasons
		case r.Label != nil:
			r.Reasons = r.Label.Reasons
		}
	}
	if opts.Checkpoint != nil && proved.Size > 0 {
		held, err := translog.VerifyCheckpoint(opts.Checkpoint, verifier)
		switch {
		case err != nil:
			r.Problems = append(r.Problems, Problem{Code: CodeCheckpoint, Detail: fmt.Sprintf("the checkpoint you hold: %v", err)})
		case held.Size == proved.Size && held.Hash != proved.Hash:
			r.Problems = append(r.Problems, Problem{Code: CodeFork, Detail: fmt.Sprintf("the checkpoint you hold and the label's both have %d entries and differ: the log forked", held.Size)})
		case held.Size != proved.Size:
			r.Problems = append(r.Problems, Problem{Code: CodeConsistencyNeeded, Detail: fmt.Sprintf(
				"the label was proved against a tree of %d entries, the checkpoint you hold has %d: a consistency proof (/log/consistency?old=%d&new=%d) is needed",
				proved.Size, held.Size, min(held.Size, proved.Size), max(held.Size, proved.Size))})
		}
		r.Valid = len(r.Problems) == 0
	}
	return r
}
