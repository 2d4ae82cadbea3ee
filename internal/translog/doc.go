// Package translog is the transparency-log engine: a public, append-only
// Merkle log in the style of Certificate Transparency (RFC 6962) and the Go
// checksum database, with signed checkpoints in the C2SP tlog-checkpoint
// format (https://c2sp.org/tlog-checkpoint), inclusion proofs that a label
// can carry, consistency proofs that let a monitor prove the log only grew,
// and the offline checks of all three.
//
// The tree and its proofs are golang.org/x/mod/sumdb/tlog; checkpoints are
// notes of golang.org/x/mod/sumdb/note signed with Ed25519. A Log keeps
// nothing itself: it reads and writes through a Storage (stored hashes by
// index, leaf records, the size). Memory is the in-memory Storage for tests
// and the command line. The SQL one comes with the registry store, which
// keeps the log in its own tables and appends inside the transaction that
// records a grant or a status change: it calls AppendHashes for the hashes
// of each leaf, and ReadOnly puts a Log (checkpoints, proofs, bundles) over
// its reads.
//
// Everything a verifier reads (checkpoint text, proof bundles) is untrusted
// input: parsers enforce the limits below (MaxCheckpointSize,
// MaxBundleSize, MaxProofHashes, MaxTreeSize) and return errors that wrap
// one of the sentinel errors, so callers can tell a forged signature from a
// tampered record from a forked log with errors.Is.
//
// translog is an engine: it imports only the standard library and
// golang.org/x/mod/sumdb/{tlog,note}; never the domain's store
// implementations, database/sql, HTTP servers, services or doors.
package translog

import (
	"errors"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Limits on untrusted input.
const (
	// MaxCheckpointSize bounds a signed checkpoint note in bytes: three
	// lines and a handful of signatures (note.Open itself stops at 100).
	MaxCheckpointSize = 16 << 10
	// MaxBundleSize bounds the JSON of a proof bundle in bytes.
	MaxBundleSize = 32 << 10
	// MaxProofHashes bounds the hashes of any proof. A tree of at most
	// MaxTreeSize records needs at most 53 for inclusion and 54 for
	// consistency.
	MaxProofHashes = 64
	// MaxTreeSize bounds a tree's size (2^53): the largest integer that
	// every JSON reader, JavaScript's included, keeps exact.
	MaxTreeSize = 1 << 53
	// MaxOriginSize bounds a log's origin line in bytes.
	MaxOriginSize = 256
)

// The kinds of failure. Every error of the package wraps one of them, with a
// message that says what and where.
var (
	// ErrMalformed: text or JSON that is not a checkpoint, signed note,
	// key, hash or proof bundle.
	ErrMalformed = errors.New("malformed")
	// ErrTooLarge: input over one of the limits.
	ErrTooLarge = errors.New("over the limit")
	// ErrUnknownKey: a checkpoint carries no signature by the verifier's
	// key (signed by another key, or by none).
	ErrUnknownKey = errors.New("not signed by the log's key")
	// ErrBadSignature: a signature by the verifier's key that does not
	// verify: the checkpoint's text (its size, root or origin) was changed.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrOrigin: a checkpoint of another log than the one expected.
	ErrOrigin = errors.New("checkpoint of another log")
	// ErrRange: an index or size outside the tree.
	ErrRange = errors.New("out of range")
	// ErrProofLength: a proof with another number of hashes than the
	// index and sizes it claims to prove need: a proof of another record
	// or another pair of trees.
	ErrProofLength = errors.New("proof has the wrong number of hashes")
	// ErrNotIncluded: the record and its inclusion proof do not lead to
	// the checkpoint's root: the record was changed, or the proof is of
	// another record.
	ErrNotIncluded = errors.New("record not in the checkpoint's tree")
	// ErrInconsistent: the newer checkpoint's tree does not contain the
	// older one: the log was rewritten or forked.
	ErrInconsistent = errors.New("checkpoints not consistent")
	// ErrConflict: the log's size changed between reading it and writing
	// the append (two appends not serialised by the storage).
	ErrConflict = errors.New("log changed during the append")
)

// Aliases, so a caller of this package needs no other import for the
// types of its API.
type (
	// Hash is a record, node or root hash (SHA-256, RFC 6962).
	Hash = tlog.Hash
	// RecordProof proves a record's inclusion in a tree.
	RecordProof = tlog.RecordProof
	// TreeProof proves that a tree contains an earlier tree.
	TreeProof = tlog.TreeProof
	// Signer signs checkpoints (note's Ed25519 signer).
	Signer = note.Signer
	// Verifier checks checkpoint signatures against one public key.
	Verifier = note.Verifier
)
