package matter

import (
	"errors"
	"fmt"
)

// Limits for the TLV reader. A Certification Declaration is a few hundred
// bytes (the Matter spec caps the attestation response at 900), so these are
// generous while keeping hostile input cheap.
const (
	maxTLVSize     = 4096
	maxTLVDepth    = 4
	maxTLVElements = 512
)

// tlvType is the element type of a Matter TLV element (Matter Core
// Specification, appendix A).
type tlvType uint8

const (
	tlvInt tlvType = iota + 1
	tlvUint
	tlvBool
	tlvFloat
	tlvUTF8
	tlvBytes
	tlvNull
	tlvStruct
	tlvArray
	tlvList
)

// tlvElement is one decoded element. Context tags are the only tags the
// certification elements use; other tag forms are kept as tagOther.
type tlvElement struct {
	Tag      int // context tag, or tagAnonymous / tagOther
	Type     tlvType
	Uint     uint64
	Int      int64
	Bool     bool
	Bytes    []byte // octet string or UTF-8 string
	Children []tlvElement
}

const (
	tagAnonymous = -1
	tagOther     = -2
)

var errTLVTruncated = errors.New("truncated")

type tlvReader struct {
	b        []byte
	off      int
	elements int
}

// decodeTLV decodes exactly one top-level element spanning all of b.
func decodeTLV(b []byte) (tlvElement, error) {
	if len(b) > maxTLVSize {
		return tlvElement{}, fmt.Errorf("tlv: %d bytes exceeds limit %d", len(b), maxTLVSize)
	}
	r := &tlvReader{b: b}
	e, end, err := r.element(0)
	if err != nil {
		return tlvElement{}, err
	}
	if end {
		return tlvElement{}, &tlvError{Offset: 0, Err: errors.New("unexpected end of container")}
	}
	if r.off != len(b) {
		return tlvElement{}, fmt.Errorf("tlv: offset %d: %d trailing bytes", r.off, len(b)-r.off)
	}
	return e, nil
}

func (r *tlvReader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, errTLVTruncated
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *tlvReader) uintN(n int) (uint64, error) {
	s, err := r.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v, nil
}

// element reads one element; end reports an end-of-container marker.
func (r *tlvReader) element(depth int) (e tlvElement, end bool, err error) {
	start := r.off
	defer func() {
		// Wrap once, at the innermost element, so the offset names the
		// element that broke rather than its container.
		var te *tlvError
		if err != nil && !errors.As(err, &te) {
			err = &tlvError{Offset: start, Err: err}
		}
	}()
	r.elements++
	if r.elements > maxTLVElements {
		return e, false, fmt.Errorf("more than %d elements", maxTLVElements)
	}
	c, err := r.take(1)
	if err != nil {
		return e, false, err
	}
	control := c[0]
	et := control & 0x1f
	if et == 0x18 {
		if control != 0x18 {
			return e, false, errors.New("tagged end of container")
		}
		return e, true, nil
	}
	switch control >> 5 {
	case 0:
		e.Tag = tagAnonymous
	case 1:
		t, err := r.take(1)
		if err != nil {
			return e, false, err
		}
		e.Tag = int(t[0])
	case 2, 4:
		if _, err := r.take(2); err != nil {
			return e, false, err
		}
		e.Tag = tagOther
	case 3, 5:
		if _, err := r.take(4); err != nil {
			return e, false, err
		}
		e.Tag = tagOther
	case 6:
		if _, err := r.take(6); err != nil {
			return e, false, err
		}
		e.Tag = tagOther
	case 7:
		if _, err := r.take(8); err != nil {
			return e, false, err
		}
		e.Tag = tagOther
	}
	switch {
	case et <= 0x03:
		n := 1 << et
		v, err := r.uintN(n)
		if err != nil {
			return e, false, err
		}
		shift := 64 - 8*n
		e.Type, e.Int = tlvInt, int64(v<<shift)>>shift
	case et <= 0x07:
		v, err := r.uintN(1 << (et - 4))
		if err != nil {
			return e, false, err
		}
		e.Type, e.Uint = tlvUint, v
	case et == 0x08 || et == 0x09:
		e.Type, e.Bool = tlvBool, et == 0x09
	case et == 0x0a || et == 0x0b:
		if _, err := r.take(4 << (et - 0x0a)); err != nil {
			return e, false, err
		}
		e.Type = tlvFloat
	case et >= 0x0c && et <= 0x13:
		n, err := r.uintN(1 << ((et - 0x0c) % 4))
		if err != nil {
			return e, false, err
		}
		if n > uint64(len(r.b)) {
			return e, false, errTLVTruncated
		}
		s, err := r.take(int(n))
		if err != nil {
			return e, false, err
		}
		e.Type, e.Bytes = tlvBytes, s
		if et < 0x10 {
			e.Type = tlvUTF8
		}
	case et == 0x14:
		e.Type = tlvNull
	case et >= 0x15 && et <= 0x17:
		if depth >= maxTLVDepth {
			return e, false, fmt.Errorf("nesting deeper than %d", maxTLVDepth)
		}
		e.Type = tlvStruct + tlvType(et-0x15)
		for {
			child, end, err := r.element(depth + 1)
			if err != nil {
				return e, false, err
			}
			if end {
				break
			}
			e.Children = append(e.Children, child)
		}
	default:
		return e, false, fmt.Errorf("reserved element type 0x%02x", et)
	}
	return e, false, nil
}

// tlvError says where in the TLV input decoding failed.
type tlvError struct {
	Offset int
	Err    error
}

func (e *tlvError) Error() string { return fmt.Sprintf("tlv: offset %d: %v", e.Offset, e.Err) }
func (e *tlvError) Unwrap() error { return e.Err }

// unsigned returns the element's value as a non-negative integer. Matter TLV
// lets an encoder pick the signed or unsigned form for a value, and chip's
// test declarations use both, so both are accepted when non-negative.
func (e tlvElement) unsigned() (uint64, bool) {
	switch {
	case e.Type == tlvUint:
		return e.Uint, true
	case e.Type == tlvInt && e.Int >= 0:
		return uint64(e.Int), true
	}
	return 0, false
}
