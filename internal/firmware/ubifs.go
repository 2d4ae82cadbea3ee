package firmware

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// UBIFS has no Go library. Instead of walking its B+ tree index, every
// node of every logical erase block is scanned and the newest (highest
// sequence number) node of each key wins, as recovery tools do; a
// deletion entry, being newer, hides the entry it deletes. Layout from
// fs/ubifs/ubifs-media.h.

const (
	ubifsMagic    = 0x06101831
	ubifsBlock    = 4096
	ubifsRootIno  = 1
	ubifsMaxDepth = 64
	ubifsMaxNodes = 4 << 20
)

type ubifsIno struct {
	sqnum uint64
	size  int64
	mode  uint32
	data  []byte
}

type ubifsData struct {
	sqnum uint64
	size  int
	compr uint16
	data  []byte
}

type ubifsDent struct {
	sqnum uint64
	inum  uint64
	name  string
}

type ubifs struct {
	u       *unpacker
	inodes  map[uint64]ubifsIno
	data    map[[2]uint64]ubifsData
	dents   map[uint64]map[string]ubifsDent
	visited map[uint64]bool
	zstd    *zstd.Decoder
}

// readUBIFS extracts a UBIFS image (the contents of a UBI volume).
func readUBIFS(u *unpacker, data []byte, s *sink) (int64, string, error) {
	le := binary.LittleEndian
	if len(data) < 4096 || le.Uint32(data) != ubifsMagic || data[20] != 6 {
		return 0, "", errNotFormat
	}
	leb := int(le.Uint32(data[36:]))
	if leb < 4096 || leb > 16<<20 || ubiCRC(data[8:min(len(data), int(le.Uint32(data[16:])))]) != le.Uint32(data[4:]) {
		return 0, "", errNotFormat
	}
	x := &ubifs{u: u, inodes: map[uint64]ubifsIno{}, data: map[[2]uint64]ubifsData{}, dents: map[uint64]map[string]ubifsDent{}, visited: map[uint64]bool{}}
	nodes := 0
	for lebOff := 0; lebOff < len(data); lebOff += leb {
		if err := u.check(); err != nil {
			return int64(lebOff), "", err
		}
		end := min(lebOff+leb, len(data))
		for pos := lebOff; pos+24 <= end; {
			if le.Uint32(data[pos:]) != ubifsMagic {
				if data[pos] == 0xff {
					break // free space up to the end of the LEB
				}
				pos += 8
				continue
			}
			n := int(le.Uint32(data[pos+16:]))
			if n < 24 || pos+n > end || ubiCRC(data[pos+8:pos+n]) != le.Uint32(data[pos+4:]) {
				pos += 8
				continue
			}
			nodes++
			if nodes > ubifsMaxNodes {
				return int64(len(data)), "", fmt.Errorf("more than %d nodes", ubifsMaxNodes)
			}
			x.node(data[pos : pos+n])
			pos += alignUp(n, 8)
		}
	}
	if err := s.dir("", 0o755); err != nil {
		return int64(len(data)), "", err
	}
	if x.zstd != nil {
		defer x.zstd.Close()
	}
	return int64(len(data)), fmt.Sprintf("LEB %d", leb), x.walk(s, ubifsRootIno, "", 0)
}

func (x *ubifs) node(n []byte) {
	le := binary.LittleEndian
	sq := le.Uint64(n[8:])
	switch n[20] {
	case 0: // inode
		if len(n) < 160 {
			return
		}
		ino := uint64(le.Uint32(n[24:]))
		dl := int(le.Uint32(n[112:]))
		in := ubifsIno{sqnum: sq, size: int64(le.Uint64(n[48:])), mode: le.Uint32(n[104:])}
		if 160+dl <= len(n) {
			in.data = n[160 : 160+dl]
		}
		if old, ok := x.inodes[ino]; !ok || sq > old.sqnum {
			x.inodes[ino] = in
		}
	case 1: // data
		if len(n) < 48 {
			return
		}
		key := [2]uint64{uint64(le.Uint32(n[24:])), uint64(le.Uint32(n[28:]) & 0x1fffffff)}
		d := ubifsData{sqnum: sq, size: int(le.Uint32(n[40:])), compr: le.Uint16(n[44:]), data: n[48:]}
		if old, ok := x.data[key]; !ok || sq > old.sqnum {
			x.data[key] = d
		}
	case 2: // directory entry
		if len(n) < 56 {
			return
		}
		parent := uint64(le.Uint32(n[24:]))
		nl := int(le.Uint16(n[50:]))
		if 56+nl > len(n) {
			return
		}
		d := ubifsDent{sqnum: sq, inum: le.Uint64(n[40:]), name: string(n[56 : 56+nl])}
		if x.dents[parent] == nil {
			x.dents[parent] = map[string]ubifsDent{}
		}
		if old, ok := x.dents[parent][d.name]; !ok || sq > old.sqnum {
			x.dents[parent][d.name] = d
		}
	}
}

func (x *ubifs) decompress(d ubifsData) ([]byte, error) {
	if d.size < 0 || d.size > ubifsBlock {
		return nil, fmt.Errorf("data node of %d bytes", d.size)
	}
	switch d.compr {
	case 0:
		return d.data[:min(len(d.data), d.size)], nil
	case 1:
		return unlzo(d.data, d.size)
	case 2: // raw deflate, no zlib header
		out, err := readLimit(flate.NewReader(bytes.NewReader(d.data)), int64(d.size))
		if err != nil && !errors.Is(err, errTooBig) {
			return out, fmt.Errorf("deflate: %w", err)
		}
		return out, nil
	case 3:
		if x.zstd == nil {
			z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxDict))
			if err != nil {
				return nil, err
			}
			x.zstd = z
		}
		out, err := x.zstd.DecodeAll(d.data, make([]byte, 0, d.size))
		return out[:min(len(out), d.size)], err
	}
	return nil, fmt.Errorf("unsupported compression %d", d.compr)
}

func (x *ubifs) content(ino uint64, in ubifsIno) ([]byte, error) {
	if in.size < 0 || in.size > x.u.budget() {
		x.u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", x.u.lim.MaxBytes, ErrLimit)
		return nil, x.u.stop
	}
	out := make([]byte, in.size)
	var errs []error
	for blk := int64(0); blk*ubifsBlock < in.size; blk++ {
		d, ok := x.data[[2]uint64{ino, uint64(blk)}]
		if !ok {
			continue // a hole
		}
		b, err := x.decompress(d)
		if err != nil {
			errs = append(errs, fmt.Errorf("inode %d: block %d: %w", ino, blk, err))
		}
		copy(out[blk*ubifsBlock:], b)
	}
	return out, errors.Join(errs...)
}

func (x *ubifs) walk(s *sink, ino uint64, p string, depth int) error {
	if depth > ubifsMaxDepth || x.visited[ino] {
		return fmt.Errorf("%s: inode %d: directory loop or nesting too deep", orRoot(p), ino)
	}
	x.visited[ino] = true
	var names []string
	for n, d := range x.dents[ino] {
		if d.inum != 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var errs []error
	for _, n := range names {
		if err := x.u.check(); err != nil {
			return err
		}
		d := x.dents[ino][n]
		cp := path.Join(p, safeName(n))
		in, ok := x.inodes[d.inum]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: inode %d not found", cp, d.inum))
			continue
		}
		mode := extMode(uint16(in.mode))
		switch {
		case mode.IsDir():
			if err := s.dir(cp, mode); err != nil {
				return err
			}
			if err := x.walk(s, d.inum, cp, depth+1); err != nil {
				if x.u.stop != nil {
					return err
				}
				errs = append(errs, err)
			}
		case mode&fs.ModeSymlink != 0:
			if err := s.symlink(cp, string(in.data)); err != nil {
				return err
			}
		case mode.IsRegular():
			b, err := x.content(d.inum, in)
			if x.u.stop != nil {
				return x.u.stop
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", cp, err))
			}
			if err := s.file(cp, mode, b); err != nil {
				return err
			}
		default:
			if err := s.special(cp, mode); err != nil {
				return err
			}
		}
	}
	return errors.Join(errs...)
}
