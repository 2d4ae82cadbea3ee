// Package xzdec decodes xz streams whose blocks use the LZMA2 filter
// alone, as squashfs and most firmware images write them, into a buffer
// the caller provides. It is written from the .xz file format
// specification and the LZMA SDK's description of LZMA, with hard limits
// on the dictionary and the output, and errors that say what is wrong
// and at which input offset. Streams with other filters (BCJ, delta) or
// integrity checks other than none, CRC32, CRC64 and SHA-256 give
// ErrUnsupported, so that the caller can hand them to a general decoder.
package xzdec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"slices"
	"sync"
)

// ErrUnsupported marks a well-formed stream this package does not decode
// (a filter chain other than LZMA2 alone, or an unusual check type).
var ErrUnsupported = errors.New("xz: stream uses a feature this decoder does not handle")

// ErrTooBig reports output beyond the caller's limit; the output returned
// with it holds the first max bytes.
var ErrTooBig = errors.New("xz: output exceeds limit")

// ErrDictTooBig reports a dictionary larger than the caller allows.
var ErrDictTooBig = errors.New("xz: dictionary exceeds limit")

var (
	magic       = []byte{0xFD, '7', 'z', 'X', 'Z', 0}
	footerMagic = []byte{'Y', 'Z'}
	crc64Table  = crc64.MakeTable(crc64.ECMA)
)

const (
	checkNone   = 0
	checkCRC32  = 1
	checkCRC64  = 4
	checkSHA256 = 10
)

// Error is a decoding error at an offset of the input.
type Error struct {
	Offset int64 // of the structure at fault, from the start of the stream
	What   string
	Err    error // ErrUnsupported, ErrTooBig, ErrDictTooBig or nil
}

func (e *Error) Error() string {
	return fmt.Sprintf("xz: %s at offset %d", e.What, e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(off int, format string, a ...any) error {
	return &Error{Offset: int64(off), What: fmt.Sprintf(format, a...)}
}

// Decoder holds the LZMA state between calls; its zero value is ready.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	lz      lzmaState
	records []record
}

type record struct{ unpadded, uncompressed uint64 }

var pool = sync.Pool{New: func() any { return new(Decoder) }}

// Decode decodes the first xz stream at the start of src with a decoder
// from a pool. See Decoder.Decode.
func Decode(buf, src []byte, max int, maxDict uint32) ([]byte, int, error) {
	d := pool.Get().(*Decoder)
	out, n, err := d.Decode(buf, src, max, maxDict)
	pool.Put(d)
	return out, n, err
}

// Decode decodes the first xz stream at the start of src, and returns its
// output and how many bytes of src the stream took (stream padding after
// it is not read). The output is written from buf[0] on while it fits
// buf's capacity, and in a larger buffer otherwise; it never holds more
// than max bytes (ErrTooBig, with the first max bytes), and no block may
// declare a dictionary above maxDict (ErrDictTooBig). On an error the
// output decoded so far is returned with it.
func (d *Decoder) Decode(buf, src []byte, max int, maxDict uint32) ([]byte, int, error) {
	out := buf[:0]
	if len(src) < 12 {
		return out, 0, errAt(0, "stream header truncated (%d bytes)", len(src))
	}
	if !bytes.Equal(src[:6], magic) {
		return out, 0, errAt(0, "not an xz stream (bad magic)")
	}
	flags := src[6:8]
	if binary.LittleEndian.Uint32(src[8:]) != crc32.ChecksumIEEE(flags) {
		return out, 0, errAt(6, "stream header CRC32 mismatch")
	}
	if flags[0] != 0 || flags[1]&0xF0 != 0 {
		return out, 0, &Error{Offset: 6, What: "reserved stream flags set", Err: ErrUnsupported}
	}
	check := flags[1]
	var checkSize int
	switch check {
	case checkNone:
	case checkCRC32:
		checkSize = 4
	case checkCRC64:
		checkSize = 8
	case checkSHA256:
		checkSize = 32
	default:
		return out, 0, &Error{Offset: 6, What: fmt.Sprintf("check type %d", check), Err: ErrUnsupported}
	}
	d.records = d.records[:0]
	p := 12
	for {
		if p >= len(src) {
			return out, p, errAt(p, "stream truncated before its index")
		}
		if src[p] == 0 {
			break // index indicator
		}
		var err error
		start := len(out)
		blockAt := p
		var unpadded uint64
		out, p, unpadded, err = d.block(out, src, p, max, maxDict)
		if err != nil {
			return out, p, err
		}
		// Block padding, then the check of the block's output.
		for ; p&3 != 0; p++ {
			if p >= len(src) {
				return out, p, errAt(p, "block padding truncated")
			}
			if src[p] != 0 {
				return out, p, errAt(p, "block padding is not zero")
			}
		}
		if len(src)-p < checkSize {
			return out, p, errAt(p, "block check truncated")
		}
		got := src[p : p+checkSize]
		var ok bool
		switch check {
		case checkNone:
			ok = true
		case checkCRC32:
			ok = binary.LittleEndian.Uint32(got) == crc32.ChecksumIEEE(out[start:])
		case checkCRC64:
			ok = binary.LittleEndian.Uint64(got) == crc64.Checksum(out[start:], crc64Table)
		case checkSHA256:
			sum := sha256.Sum256(out[start:])
			ok = bytes.Equal(got, sum[:])
		}
		if !ok {
			return out, p, errAt(p, "check of the block at offset %d does not match its data", blockAt)
		}
		p += checkSize
		d.records = append(d.records, record{unpadded + uint64(checkSize), uint64(len(out) - start)})
	}
	indexAt := p
	p, err := d.index(src, p)
	if err != nil {
		return out, p, err
	}
	// Stream footer.
	if len(src)-p < 12 {
		return out, p, errAt(p, "stream footer truncated")
	}
	f := src[p : p+12]
	if !bytes.Equal(f[10:], footerMagic) {
		return out, p, errAt(p+10, "bad stream footer magic")
	}
	if binary.LittleEndian.Uint32(f) != crc32.ChecksumIEEE(f[4:10]) {
		return out, p, errAt(p, "stream footer CRC32 mismatch")
	}
	if !bytes.Equal(f[8:10], flags) {
		return out, p, errAt(p+8, "stream footer flags differ from the header's")
	}
	if back := (int64(binary.LittleEndian.Uint32(f[4:])) + 1) * 4; back != int64(p-indexAt) {
		return out, p, errAt(p+4, "backward size %d differs from the index's %d bytes", back, p-indexAt)
	}
	return out, p + 12, nil
}

// uvarint reads a multibyte integer of the xz format (at most nine bytes,
// no trailing zero byte).
func uvarint(b []byte, p int) (uint64, int, bool) {
	var v uint64
	for i := 0; i < 9; i++ {
		if p >= len(b) {
			return 0, p, false
		}
		c := b[p]
		p++
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, p, false
			}
			return v, p, true
		}
	}
	return 0, p, false
}

// block decodes the block at src[p:] and returns the offset after its
// compressed data and its unpadded size without the check.
func (d *Decoder) block(out, src []byte, p, max int, maxDict uint32) ([]byte, int, uint64, error) {
	at := p
	size := (int(src[p]) + 1) * 4
	if len(src)-p < size {
		return out, p, 0, errAt(p, "block header of %d bytes truncated", size)
	}
	h := src[p : p+size]
	if binary.LittleEndian.Uint32(h[size-4:]) != crc32.ChecksumIEEE(h[:size-4]) {
		return out, p, 0, errAt(p, "block header CRC32 mismatch")
	}
	h = h[:size-4]
	bflags := h[1]
	if bflags&0x3C != 0 {
		return out, p, 0, &Error{Offset: int64(p + 1), What: "reserved block flags set", Err: ErrUnsupported}
	}
	q := 2
	compressed, uncompressed := int64(-1), int64(-1)
	if bflags&0x40 != 0 {
		v, n, ok := uvarint(h, q)
		if !ok || v == 0 || v > 1<<62 {
			return out, p, 0, errAt(p+q, "bad compressed size in block header")
		}
		compressed, q = int64(v), n
	}
	if bflags&0x80 != 0 {
		v, n, ok := uvarint(h, q)
		if !ok || v > 1<<62 {
			return out, p, 0, errAt(p+q, "bad uncompressed size in block header")
		}
		uncompressed, q = int64(v), n
	}
	if bflags&3 != 0 {
		return out, p, 0, &Error{Offset: int64(p + q), What: "filter chain other than LZMA2 alone", Err: ErrUnsupported}
	}
	id, q2, ok := uvarint(h, q)
	if !ok {
		return out, p, 0, errAt(p+q, "bad filter ID in block header")
	}
	if id != 0x21 {
		return out, p, 0, &Error{Offset: int64(p + q), What: fmt.Sprintf("filter 0x%x", id), Err: ErrUnsupported}
	}
	q = q2
	np, q2, ok := uvarint(h, q)
	if !ok || np != 1 || q2 >= len(h) {
		return out, p, 0, errAt(p+q, "LZMA2 filter properties are not one byte")
	}
	q = q2
	db := h[q]
	if db > 40 {
		return out, p, 0, errAt(p+q, "LZMA2 dictionary size byte %d", db)
	}
	dict := uint32(0xFFFFFFFF)
	if db < 40 {
		dict = (2 | uint32(db)&1) << (db/2 + 11)
	}
	if dict > maxDict {
		return out, p, 0, &Error{Offset: int64(p + q), What: fmt.Sprintf("dictionary of %d bytes exceeds %d", dict, maxDict), Err: ErrDictTooBig}
	}
	for q++; q < len(h); q++ {
		if h[q] != 0 {
			return out, p, 0, &Error{Offset: int64(p + q), What: "block header padding is not zero", Err: ErrUnsupported}
		}
	}
	p += size
	start := len(out)
	// The header's uncompressed size sizes the buffer, but only up to 16
	// times the input: a forged header must not allocate what the data
	// cannot produce (chunks grow the buffer as they decode).
	if uncompressed >= 0 && int64(max-start) >= uncompressed && int64(cap(out)-start) < uncompressed {
		out = slices.Grow(out, int(min(uncompressed, 16*int64(len(src)))))
	}
	out, n, err := d.lzma2(out, src[p:], p, max, dict)
	if err != nil {
		return out, p + n, 0, err
	}
	if compressed >= 0 && int64(n) != compressed {
		return out, p + n, 0, errAt(at, "block's compressed size is %d, its header says %d", n, compressed)
	}
	if uncompressed >= 0 && int64(len(out)-start) != uncompressed {
		return out, p + n, 0, errAt(at, "block's uncompressed size is %d, its header says %d", len(out)-start, uncompressed)
	}
	return out, p + n, uint64(size + n), nil
}

// index reads the index at src[p:] and compares it with the blocks read.
func (d *Decoder) index(src []byte, p int) (int, error) {
	at := p
	count, q, ok := uvarint(src, p+1)
	if !ok {
		return q, errAt(p+1, "bad record count in index")
	}
	if count != uint64(len(d.records)) {
		return q, errAt(p+1, "index lists %d blocks, the stream has %d", count, len(d.records))
	}
	for i, r := range d.records {
		u, q2, ok := uvarint(src, q)
		if !ok {
			return q, errAt(q, "bad unpadded size in index record %d", i)
		}
		c, q3, ok := uvarint(src, q2)
		if !ok {
			return q2, errAt(q2, "bad uncompressed size in index record %d", i)
		}
		if u != r.unpadded || c != r.uncompressed {
			return q, errAt(q, "index record %d (%d, %d) differs from its block (%d, %d)", i, u, c, r.unpadded, r.uncompressed)
		}
		q = q3
	}
	for ; q&3 != 0; q++ {
		if q >= len(src) {
			return q, errAt(q, "index padding truncated")
		}
		if src[q] != 0 {
			return q, errAt(q, "index padding is not zero")
		}
	}
	if len(src)-q < 4 {
		return q, errAt(q, "index CRC32 truncated")
	}
	if binary.LittleEndian.Uint32(src[q:]) != crc32.ChecksumIEEE(src[at:q]) {
		return q, errAt(q, "index CRC32 mismatch")
	}
	return q + 4, nil
}

// lzma2 decodes the LZMA2 chunks of in (at offset base of the stream) and
// appends their output to out, which it grows as needed up to max bytes.
// It returns how many bytes of in the chunks took, up to and including
// the end marker.
func (d *Decoder) lzma2(out, in []byte, base, limit int, dictSize uint32) ([]byte, int, error) {
	s := &d.lz
	needDictReset, needProps := true, true
	dictStart := len(out)
	p := 0
	for {
		if p >= len(in) {
			return out, p, errAt(base+p, "LZMA2 data truncated")
		}
		at := p
		c := in[p]
		p++
		if c == 0 {
			return out, p, nil
		}
		if c >= 0xE0 || c == 1 {
			needProps = true
			needDictReset = false
			dictStart = len(out)
		} else if needDictReset {
			return out, p, errAt(base+at, "LZMA2 chunk 0x%02x without the dictionary reset a stream starts with", c)
		}
		if c < 0x80 {
			if c > 2 {
				return out, p, errAt(base+at, "LZMA2 control byte 0x%02x", c)
			}
			if len(in)-p < 2 {
				return out, p, errAt(base+at, "LZMA2 chunk header truncated")
			}
			n := int(in[p])<<8 | int(in[p+1]) + 1
			p += 2
			if len(in)-p < n {
				return out, p, errAt(base+at, "uncompressed LZMA2 chunk of %d bytes truncated", n)
			}
			var cut bool
			if limit-len(out) < n {
				n, cut = limit-len(out), true
			}
			out = append(out, in[p:p+n]...)
			p += n
			if cut {
				return out, p, &Error{Offset: int64(base + at), What: fmt.Sprintf("output beyond %d bytes", limit), Err: ErrTooBig}
			}
			continue
		}
		if len(in)-p < 4 {
			return out, p, errAt(base+at, "LZMA2 chunk header truncated")
		}
		usize := int(c&0x1F)<<16 | int(in[p])<<8 | int(in[p+1]) + 1
		csize := int(in[p+2])<<8 | int(in[p+3]) + 1
		p += 4
		if c >= 0xC0 {
			if p >= len(in) {
				return out, p, errAt(base+at, "LZMA2 chunk header truncated")
			}
			props := uint32(in[p])
			p++
			if props > (4*5+4)*9+8 {
				return out, p, errAt(base+p-1, "LZMA properties byte 0x%02x", props)
			}
			lc, lp, pb := props%9, props/9%5, props/45
			if lc+lp > 4 {
				return out, p, errAt(base+p-1, "LZMA properties lc=%d lp=%d exceed lc+lp=4", lc, lp)
			}
			s.lc, s.lp, s.pb = lc, lp, pb
			s.lpMask, s.pbMask = 1<<lp-1, 1<<pb-1
			needProps = false
		} else if needProps {
			return out, p, errAt(base+at, "LZMA2 chunk 0x%02x without the properties a dictionary reset needs", c)
		}
		if c >= 0xA0 {
			s.reset()
		}
		if len(in)-p < csize {
			return out, p, errAt(base+at, "LZMA2 chunk of %d compressed bytes truncated", csize)
		}
		limited := false
		end := len(out) + usize
		if usize > limit-len(out) {
			end, limited = limit, true
		}
		if end > cap(out) {
			out = slices.Grow(out, min(max(end, 2*cap(out)), limit)-len(out))
		}
		pos, n, err := s.decodeChunk(out[dictStart:end], len(out)-dictStart, dictSize, in[p:p+csize], limited)
		pos += dictStart
		out = out[:pos]
		if n > csize {
			return out, p, errAt(base+at, "LZMA2 chunk declares %d compressed bytes, its data runs past them", csize)
		}
		if limited && (err == nil || err == errTruncOut) {
			return out, p + csize, &Error{Offset: int64(base + at), What: fmt.Sprintf("output beyond %d bytes", limit), Err: ErrTooBig}
		}
		if err != nil {
			return out, p, errAt(base+at, "LZMA2 chunk: %v (output offset %d)", err, pos)
		}
		if n != csize {
			return out, p, errAt(base+at, "LZMA2 chunk declares %d compressed bytes, its data took %d", csize, n)
		}
		p += csize
	}
}
