package iotsec

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// idEncoding is lowercase Crockford-style base32 without padding: IDs read
// well in URLs and logs and sort in creation order.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// IDs makes identifiers such as "dev_01jdq4m3zk6v7c2x9p8r5t0w1y": a type
// prefix, 48 bits of milliseconds and 80 random bits. Time first keeps
// inserts at the end of B-tree indexes and lets lists page by ID; the random
// part makes IDs safe to mint on several replicas and hard to guess. Within
// one millisecond a generator counts up from its last random part, so IDs
// it mints one after another sort in the order they were made (as ULIDs
// do). Use a generator through a pointer; the zero value is ready.
type IDs struct {
	Now  func() time.Time
	Rand io.Reader

	mu   sync.Mutex
	last [16]byte
}

// New returns a fresh ID with the given prefix.
func (g *IDs) New(prefix string) string {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	r := g.Rand
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now().UnixMilli())<<16)
	g.mu.Lock()
	defer g.mu.Unlock()
	if bytes.Equal(b[:6], g.last[:6]) {
		b = g.last
		for i := 15; i >= 6; i-- { // add one to the 80-bit random part
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	} else if _, err := io.ReadFull(r, b[6:]); err != nil {
		panic("iotsec: read random: " + err.Error()) // crypto/rand does not fail
	}
	g.last = b
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// Secret returns 128 random bits as 26 characters of the ID alphabet,
// without time or prefix: a public name nobody can guess or date (a
// label's ID in its URL).
func (g *IDs) Secret() string {
	r := g.Rand
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic("iotsec: read random: " + err.Error()) // crypto/rand does not fail
	}
	return idEncoding.EncodeToString(b[:])
}

// ID prefixes, one per kind of thing.
const (
	PrefixOrg           = "org"
	PrefixUser          = "usr"
	PrefixToken         = "tok"
	PrefixProduct       = "prd"
	PrefixFirmware      = "fw"
	PrefixDevice        = "dev"
	PrefixJob           = "job"
	PrefixImport        = "imp"
	PrefixAnchor        = "ta"
	PrefixCA            = "ca"
	PrefixCert          = "crt"
	PrefixEnrolToken    = "enr"
	PrefixTransition    = "lc"
	PrefixTransfer      = "xfr"
	PrefixEvidence      = "evd"
	PrefixVulnImport    = "vdb"
	PrefixVEX           = "vex"
	PrefixNotice        = "ntf"
	PrefixDelivery      = "dlv"
	PrefixCRA           = "cra"
	PrefixCertification = "cer"
	PrefixCertEvent     = "cev"
	PrefixPolicy        = "pol"
	PrefixInvitation    = "inv"
	PrefixWorkspace     = "wsp"
	PrefixProposal      = "mpr"
	PrefixReport        = "wsr"
	PrefixProcurement   = "pcp"
	PrefixRecognition   = "rrq"
)
