package xzdec

import "encoding/binary"

// The LZMA decoder, written from the format's description (the LZMA SDK's
// lzma-specification.txt and the LZMA2 chunk layout of the xz format).
// It decodes into a flat output buffer that is also its dictionary: a
// distance d refers to out[pos-d-1], valid while it stays inside the
// bytes written since the last dictionary reset and inside the declared
// dictionary size. The range decoder's state lives in locals of the
// decoding loop and every bit is decoded by rcBit, which the compiler
// inlines.

const (
	numStates   = 12
	posStatesMx = 1 << 4 // pb ≤ 4
	probInit    = 1 << 10
	litSize     = 0x300
	endPosModel = 14  // distance slots below this use probability trees
	numSpecial  = 115 // cells 1..114 of the reverse trees of slots 4..13
	alignBits   = 4
)

// lenProbs are the probabilities of one length decoder.
type lenProbs struct {
	choice  uint16
	choice2 uint16
	low     [posStatesMx << 3]uint16
	mid     [posStatesMx << 3]uint16
	high    [256]uint16
}

// lzmaState is the LZMA state that survives from chunk to chunk of an
// LZMA2 stream until a state reset.
type lzmaState struct {
	isMatch    [numStates << 4]uint16
	isRep      [numStates]uint16
	isRepG0    [numStates]uint16
	isRepG1    [numStates]uint16
	isRepG2    [numStates]uint16
	isRep0Long [numStates << 4]uint16
	posSlot    [4 << 6]uint16
	special    [numSpecial]uint16
	align      [1 << alignBits]uint16
	matchLen   lenProbs
	repLen     lenProbs
	lit        [litSize << 4]uint16 // lc+lp ≤ 4

	state                  uint32
	rep0, rep1, rep2, rep3 uint32
	lc, lp, pb             uint32
	lpMask, pbMask         uint32

	// in holds the compressed bytes of the chunk being decoded, so that
	// the range decoder reads with a 16-bit index and no bounds check.
	in chunkIn
}

// chunkIn holds an LZMA2 chunk's compressed bytes (at most 64 KiB).
type chunkIn [1 << 16]byte

func fill(p []uint16) {
	for i := range p {
		p[i] = probInit
	}
}

// reset puts every probability and the state machine back to their
// initial values (an LZMA2 state reset), for the current lc/lp.
func (s *lzmaState) reset() {
	fill(s.isMatch[:])
	fill(s.isRep[:])
	fill(s.isRepG0[:])
	fill(s.isRepG1[:])
	fill(s.isRepG2[:])
	fill(s.isRep0Long[:])
	fill(s.posSlot[:])
	fill(s.special[:])
	fill(s.align[:])
	for _, l := range []*lenProbs{&s.matchLen, &s.repLen} {
		l.choice, l.choice2 = probInit, probInit
		fill(l.low[:])
		fill(l.mid[:])
		fill(l.high[:])
	}
	fill(s.lit[:litSize<<(s.lc+s.lp)])
	s.state = 0
	s.rep0, s.rep1, s.rep2, s.rep3 = 0, 0, 0, 0
}

// rcBit decodes one bit with probability *p. The range decoder is
// normalised before the bit, as in the specification. in holds the
// chunk's compressed bytes (at most 64 KiB) and whatever follows them;
// reading past the chunk is caught by the caller, which compares ip with
// the chunk's compressed size.
func rcBit(p *uint16, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	if rng < 1<<24 {
		rng <<= 8
		code = code<<8 | uint32(in[uint16(ip)])
		ip++
	}
	prob := uint32(*p)
	bound := (rng >> 11) * prob
	if code < bound {
		*p = uint16(prob + (2048-prob)>>5)
		return bound, code, ip, 0
	}
	*p = uint16(prob - prob>>5)
	return rng - bound, code - bound, ip, 1
}

// rcLiteral decodes a literal's eight bits. It is a function of its own
// so that its loop has the registers to itself: inlined into the decoding
// loop, whose state is live across it, the range decoder spilled.
//
//go:noinline
func rcLiteral(probs *[litSize]uint16, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	sym := uint32(1)
	for sym < 0x100 {
		var b uint32
		rng, code, ip, b = rcBit(&probs[sym], rng, code, in, ip)
		sym = sym<<1 | b
	}
	return rng, code, ip, sym
}

// rcMatchedLiteral decodes a literal after a match, with the byte at the
// last distance, m, steering the probabilities while its bits agree.
//
//go:noinline
func rcMatchedLiteral(probs *[litSize]uint16, m, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	sym := uint32(1)
	offs := uint32(0x100)
	for sym < 0x100 {
		m <<= 1
		mb := m & offs
		var b uint32
		rng, code, ip, b = rcBit(&probs[offs+mb+sym], rng, code, in, ip)
		sym = sym<<1 | b
		if b != 0 {
			offs = mb
		} else {
			offs ^= mb
		}
	}
	return rng, code, ip, sym
}

// rcTree decodes an n-bit symbol, most significant bit first, with the
// probabilities of a tree p (indexed from 1).
func rcTree(p []uint16, n uint, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	sym := uint32(1)
	lim := uint32(1) << n
	for sym < lim {
		var b uint32
		rng, code, ip, b = rcBit(&p[sym], rng, code, in, ip)
		sym = sym<<1 | b
	}
	return rng, code, ip, sym - lim
}

// rcReverse decodes an n-bit symbol, least significant bit first.
func rcReverse(p []uint16, n uint, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	sym, res := uint32(1), uint32(0)
	for i := range n {
		var b uint32
		rng, code, ip, b = rcBit(&p[sym], rng, code, in, ip)
		sym = sym<<1 | b
		res |= b << i
	}
	return rng, code, ip, res
}

// rcLen decodes a match length minus 2.
func rcLen(l *lenProbs, posState uint32, rng, code uint32, in *chunkIn, ip uint32) (uint32, uint32, uint32, uint32) {
	var b, n uint32
	rng, code, ip, b = rcBit(&l.choice, rng, code, in, ip)
	if b == 0 {
		o := posState << 3
		rng, code, ip, n = rcTree(l.low[o:o+8], 3, rng, code, in, ip)
		return rng, code, ip, n
	}
	rng, code, ip, b = rcBit(&l.choice2, rng, code, in, ip)
	if b == 0 {
		o := posState << 3
		rng, code, ip, n = rcTree(l.mid[o:o+8], 3, rng, code, in, ip)
		return rng, code, ip, 8 + n
	}
	rng, code, ip, n = rcTree(l.high[:], 8, rng, code, in, ip)
	return rng, code, ip, 16 + n
}

// chunkError says what went wrong inside an LZMA chunk; the LZMA2 layer
// adds where.
type chunkError string

func (e chunkError) Error() string { return string(e) }

const (
	errDistance = chunkError("match distance beyond the data decoded since the dictionary reset or beyond the dictionary size")
	errCrossing = chunkError("match runs past the end of its chunk")
	errMarker   = chunkError("end-of-payload marker inside an LZMA2 chunk")
	errTruncOut = chunkError("output limit reached")
)

// decodeChunk decodes LZMA data from in into dict[pos:len(dict)], where
// dict holds the output since the last dictionary reset. It returns the
// new position and how many input bytes the range decoder consumed,
// including its five initial bytes. When limited is true, len(dict) is
// the caller's output limit rather than the chunk's end: a match crossing
// it is cut there and errTruncOut returned.
//
// Only the range decoder, the position and the state are locals: the
// repeat distances and the properties stay in s, so that the literal
// loop, which most bits go through, keeps its values in registers.
func (s *lzmaState) decodeChunk(dict []byte, pos int, dictSize uint32, src []byte, limited bool) (int, int, error) {
	if len(src) < 5 || src[0] != 0 {
		return pos, 0, chunkError("range decoder: first byte is not zero")
	}
	if len(src) > len(s.in) {
		return pos, 0, chunkError("compressed chunk over 64 KiB")
	}
	in := &s.in
	// Bytes past the chunk read as zero, as on every call: a corrupt
	// chunk's output must not depend on the chunk decoded before it.
	clear(in[copy(in[:], src):])
	rng := uint32(0xFFFFFFFF)
	code := uint32(in[1])<<24 | uint32(in[2])<<16 | uint32(in[3])<<8 | uint32(in[4])
	ip := uint32(5)
	state := s.state
	var b uint32
	var err error
	for pos < len(dict) {
		posState := uint32(pos) & s.pbMask
		rng, code, ip, b = rcBit(&s.isMatch[state<<4|posState], rng, code, in, ip)
		if b == 0 {
			// Literal.
			prev := uint32(0)
			if pos > 0 {
				prev = uint32(dict[pos-1])
			}
			o := litSize * ((uint32(pos)&s.lpMask)<<s.lc | prev>>(8-s.lc))
			probs := (*[litSize]uint16)(s.lit[o : o+litSize])
			var sym uint32
			if state < 7 {
				rng, code, ip, sym = rcLiteral(probs, rng, code, in, ip)
			} else {
				m := uint32(dict[pos-int(s.rep0)-1])
				rng, code, ip, sym = rcMatchedLiteral(probs, m, rng, code, in, ip)
			}
			dict[pos] = byte(sym)
			pos++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}
		var n uint32
		rng, code, ip, b = rcBit(&s.isRep[state], rng, code, in, ip)
		if b == 0 {
			// Match with a new distance.
			s.rep3, s.rep2, s.rep1 = s.rep2, s.rep1, s.rep0
			rng, code, ip, n = rcLen(&s.matchLen, posState, rng, code, in, ip)
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
			ls := min(n, 3) << 6
			var slot, dist uint32
			rng, code, ip, slot = rcTree(s.posSlot[ls:ls+64], 6, rng, code, in, ip)
			if slot < 4 {
				dist = slot
			} else {
				nd := uint(slot>>1 - 1)
				dist = (2 | slot&1) << nd
				if slot < endPosModel {
					o := dist - slot
					var r uint32
					rng, code, ip, r = rcReverse(s.special[o:o+(1<<nd)], nd, rng, code, in, ip)
					dist += r
				} else {
					// Direct bits, then four bits with the align tree.
					var d uint32
					for range nd - alignBits {
						if rng < 1<<24 {
							rng <<= 8
							code = code<<8 | uint32(in[uint16(ip)])
							ip++
						}
						rng >>= 1
						code -= rng
						t := 0 - code>>31 // all ones when code went below zero
						code += rng & t
						d = d<<1 + (t + 1)
					}
					var r uint32
					rng, code, ip, r = rcReverse(s.align[:], alignBits, rng, code, in, ip)
					dist += d<<alignBits + r
					if dist == 0xFFFFFFFF {
						err = errMarker
						break
					}
				}
			}
			s.rep0 = dist
		} else {
			rng, code, ip, b = rcBit(&s.isRepG0[state], rng, code, in, ip)
			if b == 0 {
				rng, code, ip, b = rcBit(&s.isRep0Long[state<<4|posState], rng, code, in, ip)
				if b == 0 {
					// Short rep: one byte at distance rep0.
					if s.rep0 >= uint32(pos) || s.rep0 >= dictSize {
						err = errDistance
						break
					}
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					dict[pos] = dict[pos-int(s.rep0)-1]
					pos++
					continue
				}
			} else {
				var d uint32
				rng, code, ip, b = rcBit(&s.isRepG1[state], rng, code, in, ip)
				if b == 0 {
					d = s.rep1
				} else {
					rng, code, ip, b = rcBit(&s.isRepG2[state], rng, code, in, ip)
					if b == 0 {
						d = s.rep2
					} else {
						d = s.rep3
						s.rep3 = s.rep2
					}
					s.rep2 = s.rep1
				}
				s.rep1 = s.rep0
				s.rep0 = d
			}
			rng, code, ip, n = rcLen(&s.repLen, posState, rng, code, in, ip)
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		}
		// Copy n+2 bytes from distance rep0.
		dist := s.rep0
		if dist >= uint32(pos) || dist >= dictSize {
			err = errDistance
			break
		}
		length := int(n) + 2
		if length > len(dict)-pos {
			if !limited {
				err = errCrossing
				break
			}
			length = len(dict) - pos
			err = errTruncOut
		}
		pos = copyMatch(dict, pos, int(dist)+1, length)
		if err != nil {
			break
		}
	}
	if err == nil || err == errTruncOut {
		// Leave the range decoder normalised, so that it has read its
		// whole chunk.
		if rng < 1<<24 {
			code = code<<8 | uint32(in[uint16(ip)])
			ip++
		}
		if err == nil && code != 0 && !limited {
			err = chunkError("range decoder did not end at zero")
		}
	}
	s.state = state
	return pos, int(ip), err
}

// copyMatch copies length bytes from distance d back to dict[pos:] and
// returns the new position; 1 ≤ d ≤ pos and pos+length ≤ len(dict).
func copyMatch(dict []byte, pos, d, length int) int {
	src := pos - d
	end := pos + length
	switch {
	case d >= 8 && end+8 <= len(dict):
		// Eight bytes at a time; the last word may write past end, into
		// bytes not decoded yet, and never reads what it wrote.
		for p := pos; p < end; p, src = p+8, src+8 {
			binary.LittleEndian.PutUint64(dict[p:], binary.LittleEndian.Uint64(dict[src:]))
		}
	case d >= length:
		copy(dict[pos:end], dict[src:src+length])
	case d == 1:
		c := dict[src]
		for i := pos; i < end; i++ {
			dict[i] = c
		}
	default:
		// Overlapping: the bytes repeat with period d, so each copy can
		// take everything written since src.
		for p := pos; p < end; {
			p += copy(dict[p:end], dict[src:p])
		}
	}
	return end
}
