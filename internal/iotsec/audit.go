package iotsec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// AuditEvent is one entry of the append-only audit log. Events form a single
// hash chain: each stores the hash of the one before, so editing or deleting
// a row breaks the chain at that point, which VerifyChain reports.
type AuditEvent struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	OrgID    string    `json:"org_id,omitempty"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"` // "product.create", "device.import", ...
	Target   string    `json:"target,omitempty"`
	Details  string    `json:"details,omitempty"` // JSON object, hashed byte for byte
	PrevHash string    `json:"prev_hash"`         // hex
	Hash     string    `json:"hash"`              // hex
	// Each organisation's events also form a chain of their own, with
	// their own numbers without gaps, which the organisation verifies
	// alone (OrgLink). Events of the system have OrgID "" and their own
	// chain too.
	OrgSeq      int64  `json:"org_seq"`
	OrgPrevHash string `json:"org_prev_hash"`
	OrgHash     string `json:"org_hash"`
}

// OrgLink is the event as a link of its organisation's chain: numbered
// and chained by OrgSeq, OrgPrevHash and OrgHash. ChainVerifier checks a
// run of these as it checks the whole log.
func (e AuditEvent) OrgLink() AuditEvent {
	e.Seq, e.PrevHash, e.Hash = e.OrgSeq, e.OrgPrevHash, e.OrgHash
	return e
}

// SealOrg sets OrgSeq, OrgPrevHash and OrgHash so that e follows prev,
// the organisation's newest event (nil for its first). Call after Seal.
func (e *AuditEvent) SealOrg(prev *AuditEvent) {
	l := *e
	l.Seq, l.PrevHash = 1, GenesisHash
	if prev != nil {
		l.Seq, l.PrevHash = prev.OrgSeq+1, prev.OrgHash
	}
	e.OrgSeq, e.OrgPrevHash, e.OrgHash = l.Seq, l.PrevHash, l.ComputeHash()
}

// AuditHead is the newest event of an organisation's chain: what a signed
// checkpoint vouches for, so events cut off the end are detected.
type AuditHead struct {
	OrgID string `json:"org_id"`
	Seq   int64  `json:"seq"`
	Hash  string `json:"hash"`
}

// GenesisHash is the PrevHash of the first event.
var GenesisHash = hex.EncodeToString(make([]byte, sha256.Size))

// AuditTimeLayout is the fixed-width form times are hashed and stored in.
const AuditTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// ComputeHash returns the hex SHA-256 of the event's contents and PrevHash.
// Fields are length-prefixed so no two different events hash alike.
func (e AuditEvent) ComputeHash() string {
	var b bytes.Buffer
	b.WriteString("iotsec-audit-v1")
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10),
		e.Time.UTC().Format(AuditTimeLayout),
		e.OrgID, e.Actor, e.Action, e.Target, e.Details, e.PrevHash,
	} {
		var n [binary.MaxVarintLen64]byte
		b.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		b.WriteString(f)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// Seal sets Seq, PrevHash and Hash so that e follows prev (nil for the
// first event). Stores call it inside the transaction that appends e, while
// holding the log's lock.
func (e *AuditEvent) Seal(prev *AuditEvent) {
	e.Seq, e.PrevHash = 1, GenesisHash
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.Hash = e.ComputeHash()
}

// ChainBreak describes the first broken link found by VerifyChain.
type ChainBreak struct {
	Seq    int64  `json:"seq"` // the event at which the chain breaks
	Reason string `json:"reason"`
}

func (b *ChainBreak) Error() string {
	return fmt.Sprintf("audit log broken at event %d: %s", b.Seq, b.Reason)
}

// ChainVerifier checks events one by one, in Seq order.
type ChainVerifier struct {
	prev  *AuditEvent
	count int64
}

// Next checks e against the events seen so far and returns a *ChainBreak
// at the first event that does not follow.
func (v *ChainVerifier) Next(e AuditEvent) error {
	wantSeq, wantPrev := int64(1), GenesisHash
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	switch {
	case e.Seq != wantSeq:
		return &ChainBreak{Seq: wantSeq, Reason: fmt.Sprintf("event %d is missing (next stored event is %d): a row was deleted", wantSeq, e.Seq)}
	case e.PrevHash != wantPrev:
		return &ChainBreak{Seq: e.Seq, Reason: "prev_hash does not match the hash of the event before it: a row was deleted, replaced or re-chained"}
	case e.ComputeHash() != e.Hash:
		return &ChainBreak{Seq: e.Seq, Reason: "stored hash does not match the event's contents: the row was edited"}
	}
	v.prev = &e
	v.count++
	return nil
}

// Count is the number of events verified so far.
func (v *ChainVerifier) Count() int64 { return v.count }

// Head is the last verified event, or nil.
func (v *ChainVerifier) Head() *AuditEvent { return v.prev }
