package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
)

// UBI has no Go library. An image is a run of physical erase blocks
// (PEBs), each with an erase-counter header ("UBI#") and a volume-ID
// header ("UBI!") naming its volume and logical block; the volume table
// in the layout volume names the volumes (drivers/mtd/ubi/ubi-media.h).
// Volumes are returned as parts, so a squashfs or UBIFS inside is
// unpacked like any blob.

const (
	ubiECMagic   = 0x55424923 // "UBI#"
	ubiVIDMagic  = 0x55424921 // "UBI!"
	ubiLayoutVol = 0x7fffefff
	ubiMaxPEBs   = 1 << 20
)

// ubiCRC is the kernel's crc32(0xffffffff, ...) without final inversion.
func ubiCRC(b []byte) uint32 { return ^crc32.ChecksumIEEE(b) }

type ubiLEB struct {
	peb   int
	sqnum uint64
	size  int // data bytes (static volumes) or 0 for the whole LEB
}

// splitUBI returns the volumes of a UBI image.
func splitUBI(u *unpacker, data []byte) ([]part, int64, string, error) {
	be := binary.BigEndian
	if len(data) < 64 || be.Uint32(data) != ubiECMagic || ubiCRC(data[:60]) != be.Uint32(data[60:]) {
		return nil, 0, "", errNotFormat
	}
	vidOff, dataOff := int(be.Uint32(data[16:])), int(be.Uint32(data[20:]))
	// the PEB size is the distance to the next erase-counter header
	peb := 0
	for _, s := range []int{16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20} {
		if s+64 <= len(data) && be.Uint32(data[s:]) == ubiECMagic {
			peb = s
			break
		}
	}
	if peb == 0 {
		peb = len(data) // a single PEB
	}
	if vidOff < 64 || vidOff+64 > peb || dataOff <= vidOff || dataOff >= peb {
		return nil, 0, "", fmt.Errorf("headers at %d and %d do not fit an erase block of %d", vidOff, dataOff, peb)
	}
	lebSize := peb - dataOff
	vols := map[uint32]map[uint32]ubiLEB{}
	var errs []error
	n := 0
	for off := 0; off+peb <= len(data) || off < len(data) && n == 0; off += peb {
		if n >= ubiMaxPEBs {
			errs = append(errs, fmt.Errorf("more than %d erase blocks", ubiMaxPEBs))
			break
		}
		if err := u.check(); err != nil {
			return nil, int64(off), "", err
		}
		b := data[off:min(off+peb, len(data))]
		if be.Uint32(b) != ubiECMagic {
			break // the UBI image ends here
		}
		n++
		if len(b) < vidOff+64 {
			errs = append(errs, fmt.Errorf("erase block at %#x truncated", off))
			break
		}
		v := b[vidOff : vidOff+64]
		if be.Uint32(v) != ubiVIDMagic {
			continue // an empty erase block
		}
		if ubiCRC(v[:60]) != be.Uint32(v[60:]) {
			errs = append(errs, fmt.Errorf("erase block at %#x: volume header checksum mismatch", off))
			continue
		}
		vol, lnum, sq := be.Uint32(v[8:]), be.Uint32(v[12:]), be.Uint64(v[40:])
		size := 0
		if v[5] == 2 { // static volume: data_size says how much is used
			size = int(be.Uint32(v[20:]))
		}
		if vols[vol] == nil {
			vols[vol] = map[uint32]ubiLEB{}
		}
		if old, ok := vols[vol][lnum]; !ok || sq > old.sqnum {
			vols[vol][lnum] = ubiLEB{peb: off, sqnum: sq, size: size}
		}
	}
	spanned := int64(n * peb)
	names := ubiNames(data, vols[ubiLayoutVol], dataOff, lebSize)
	var ids []uint32
	for id := range vols {
		if id != ubiLayoutVol {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var parts []part
	var infos []string
	for _, id := range ids {
		lebs := vols[id]
		var maxL uint32
		for l := range lebs {
			maxL = max(maxL, l)
		}
		if int64(maxL+1)*int64(lebSize) > u.budget() {
			u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", u.lim.MaxBytes, ErrLimit)
			return parts, spanned, "", errors.Join(append(errs, u.stop)...)
		}
		var vb bytes.Buffer
		for l := uint32(0); l <= maxL; l++ {
			e, ok := lebs[l]
			if !ok {
				vb.Write(bytes.Repeat([]byte{0xff}, lebSize))
				continue
			}
			start := e.peb + dataOff
			end := min(e.peb+peb, len(data))
			if e.size > 0 && start+e.size <= end {
				end = start + e.size
			}
			vb.Write(data[start:end])
		}
		if err := u.charge(int64(vb.Len())); err != nil {
			return parts, spanned, "", errors.Join(append(errs, err)...)
		}
		name := names[id]
		if name == "" {
			name = fmt.Sprintf("vol%d", id)
		}
		parts = append(parts, part{name: name, data: vb.Bytes()})
		infos = append(infos, name)
	}
	return parts, spanned, fmt.Sprintf("%d erase blocks of %d; volumes %s", n, peb, strings.Join(infos, ", ")), errors.Join(errs...)
}

// ubiNames reads the volume table from the layout volume's first LEB.
func ubiNames(data []byte, layout map[uint32]ubiLEB, dataOff, lebSize int) map[uint32]string {
	names := map[uint32]string{}
	e, ok := layout[0]
	if !ok {
		return names
	}
	start := e.peb + dataOff
	tbl := data[start:min(start+lebSize, len(data))]
	for i := 0; (i+1)*172 <= len(tbl) && i < 128; i++ {
		r := tbl[i*172 : (i+1)*172]
		if ubiCRC(r[:168]) != binary.BigEndian.Uint32(r[168:]) {
			continue
		}
		nl := int(binary.BigEndian.Uint16(r[14:]))
		if nl > 0 && nl <= 127 {
			names[uint32(i)] = string(r[16 : 16+nl])
		}
	}
	return names
}
