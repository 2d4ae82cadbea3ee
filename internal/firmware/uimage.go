package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// U-Boot legacy image: a 64-byte big-endian header (include/image.h).
const uimageHeader = 64

func uimageType(t byte) string {
	switch t {
	case 1:
		return "standalone"
	case 2:
		return "kernel"
	case 3:
		return "ramdisk"
	case 4:
		return "multi"
	case 5:
		return "firmware"
	case 6:
		return "script"
	case 7:
		return "filesystem"
	case 8:
		return "flat_dt"
	case 14:
		return "kernel_noload"
	}
	return fmt.Sprintf("type%d", t)
}

func uimageComp(c byte) string {
	names := [...]string{"none", "gzip", "bzip2", "lzma", "lzo", "lz4", "zstd"}
	if int(c) < len(names) {
		return names[c]
	}
	return "unknown"
}

// splitUImage returns a uImage's payload (or, for multi-file images, each
// image) decompressed as its header says.
func splitUImage(u *unpacker, data []byte) ([]part, int64, string, error) {
	if len(data) < uimageHeader {
		return nil, 0, "", errNotFormat
	}
	h := data[:uimageHeader]
	hdr := make([]byte, uimageHeader)
	copy(hdr, h)
	binary.BigEndian.PutUint32(hdr[4:], 0)
	if crc32.ChecksumIEEE(hdr) != binary.BigEndian.Uint32(h[4:]) {
		return nil, 0, "", errNotFormat
	}
	size := int64(binary.BigEndian.Uint32(h[12:]))
	dcrc := binary.BigEndian.Uint32(h[24:])
	typ, comp := h[30], h[31]
	name := strings.TrimRight(string(h[32:64]), "\x00")
	compName, typName := uimageComp(comp), uimageType(typ)
	info := fmt.Sprintf("%s %s %s", typName, compName, strings.ToValidUTF8(name, "?"))
	payload := data[uimageHeader:]
	var errs []error
	if size > int64(len(payload)) {
		errs = append(errs, fmt.Errorf("payload of %d bytes runs past end of image (%d left)", size, len(payload)))
	} else {
		payload = payload[:size]
		if crc32.ChecksumIEEE(payload) != dcrc {
			errs = append(errs, errors.New("payload checksum mismatch"))
		}
	}
	spanned := int64(uimageHeader + len(payload))

	var raw []part
	if typ == 4 { // multi: u32 sizes ending with 0, then 4-byte aligned images
		var sizes []int64
		p := 0
		for p+4 <= len(payload) && len(sizes) < 256 {
			n := binary.BigEndian.Uint32(payload[p:])
			p += 4
			if n == 0 {
				break
			}
			sizes = append(sizes, int64(n))
		}
		off := int64(p)
		for i, n := range sizes {
			end := min(off+n, int64(len(payload)))
			if off > end {
				errs = append(errs, fmt.Errorf("image %d at %d runs past end of payload", i, off))
				break
			}
			raw = append(raw, part{name: fmt.Sprintf("image-%d", i), data: payload[off:end]})
			if off+n > int64(len(payload)) {
				errs = append(errs, fmt.Errorf("image %d runs past end of payload", i))
				break
			}
			off = (end + 3) &^ 3
		}
	} else {
		raw = []part{{name: typName, data: payload}}
	}
	out := raw[:0:0]
	for _, p := range raw {
		d, err := uimagePayload(u, compName, typ, p.data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			if u.stop != nil {
				break
			}
		}
		if len(d) > 0 {
			out = append(out, part{name: p.name, data: d})
		}
	}
	return out, spanned, info, errors.Join(errs...)
}

// uimagePayload decompresses one image. Multi-file images compress each
// image alone; kernel payloads may carry trailing bytes after the stream.
func uimagePayload(u *unpacker, comp string, typ byte, data []byte) ([]byte, error) {
	switch comp {
	case "none":
		return data, nil
	case "lzo":
		return unlzop(u, data)
	}
	out, _, err := u.decompress(comp, data)
	if err != nil && len(out) == 0 {
		return data, err // keep it compressed rather than lose it
	}
	return out, err
}

// unlzop reads the lzop file format U-Boot uses for "lzo" payloads.
func unlzop(u *unpacker, data []byte) ([]byte, error) {
	magic := []byte{0x89, 'L', 'Z', 'O', 0, '\r', '\n', 0x1a, '\n'}
	if !bytes.HasPrefix(data, magic) || len(data) < 9+16 {
		return data, errors.New("lzop: bad magic")
	}
	p := 9
	be := binary.BigEndian
	version := be.Uint16(data[p:])
	p += 2 + 2 // version, lib version
	if version >= 0x0940 {
		p += 2 // version needed
	}
	if p+10 > len(data) {
		return data, errors.New("lzop: truncated header")
	}
	p++ // method
	if version >= 0x0940 {
		p++ // level
	}
	flags := be.Uint32(data[p:])
	p += 4
	if flags&0x800 != 0 { // filter
		p += 4
	}
	p += 4 + 4 // mode, mtime low
	if version >= 0x0940 {
		p += 4 // mtime high
	}
	if p >= len(data) {
		return data, errors.New("lzop: truncated header")
	}
	p += 1 + int(data[p]) + 4 // name, header checksum
	if flags&0x40 != 0 {      // extra field
		if p+4 > len(data) {
			return data, errors.New("lzop: truncated header")
		}
		p += 4 + int(be.Uint32(data[p:])) + 4
	}
	var out []byte
	for p+4 <= len(data) {
		dlen := int(be.Uint32(data[p:]))
		p += 4
		if dlen == 0 {
			return out, nil
		}
		if p+4 > len(data) {
			break
		}
		clen := int(be.Uint32(data[p:]))
		p += 4
		// checksums: adler32/crc32 of the uncompressed data, then of the
		// compressed data when the block is compressed
		for _, f := range []uint32{0x1, 0x100} {
			if flags&f != 0 {
				p += 4
			}
		}
		for _, f := range []uint32{0x2, 0x200} {
			if flags&f != 0 && clen < dlen {
				p += 4
			}
		}
		if dlen > 64<<20 || clen > dlen || p+clen > len(data) || p > len(data) {
			return out, fmt.Errorf("lzop: block at %d runs past end of data", p)
		}
		if err := u.charge(int64(dlen)); err != nil {
			return out, err
		}
		if clen == dlen {
			out = append(out, data[p:p+clen]...)
		} else {
			d, err := unlzo(data[p:p+clen], dlen)
			out = append(out, d...)
			if err != nil {
				return out, err
			}
		}
		p += clen
	}
	return out, errors.New("lzop: truncated")
}
