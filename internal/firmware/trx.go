package firmware

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// splitTRX returns the partitions (usually loader, kernel, rootfs) of a
// Broadcom TRX image: "HDR0", length, CRC32, flags and version, then three
// (version 1) or four (version 2) little-endian partition offsets.
func splitTRX(u *unpacker, data []byte) ([]part, int64, string, error) {
	const hdr = 28
	if len(data) < hdr {
		return nil, 0, "", errNotFormat
	}
	le := binary.LittleEndian
	length := int64(le.Uint32(data[4:]))
	version := le.Uint16(data[14:])
	if version != 1 && version != 2 || length < hdr || length > 1<<32 {
		return nil, 0, "", errNotFormat
	}
	nOff := 3
	if version == 2 {
		nOff = 4
		if len(data) < hdr+4 {
			return nil, 0, "", errNotFormat
		}
	}
	var errs []error
	end := length
	if end > int64(len(data)) {
		errs = append(errs, fmt.Errorf("length %d runs past end of image (%d)", length, len(data)))
		end = int64(len(data))
	}
	if end == length {
		// TRX CRC32: initial value ~0, no final inversion, over bytes 12..len.
		got := ^crc32.ChecksumIEEE(data[12:end])
		if got != le.Uint32(data[8:]) {
			errs = append(errs, errors.New("header checksum mismatch"))
		}
	}
	var offs []int64
	for i := range nOff {
		o := int64(le.Uint32(data[16+4*i:]))
		if o == 0 {
			continue
		}
		if o < hdr || o >= end {
			errs = append(errs, fmt.Errorf("partition %d offset %d outside image", i, o))
			continue
		}
		offs = append(offs, o)
	}
	if len(offs) == 0 {
		return nil, 0, "", errNotFormat
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	var parts []part
	for i, o := range offs {
		e := end
		if i+1 < len(offs) {
			e = offs[i+1]
		}
		parts = append(parts, part{name: fmt.Sprintf("part%d", i), data: data[o:e]})
	}
	return parts, end, fmt.Sprintf("version %d", version), errors.Join(errs...)
}
