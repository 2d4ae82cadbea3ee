package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"slices"

	"github.com/ulikunitz/xz/lzma"
)

// JFFS2 has no Go library. The image is a log of nodes; the newest
// version of each directory entry and each data range wins. Written from
// the kernel's include/uapi/linux/jffs2.h and fs/jffs2/compr_*.c, with
// the Kaitai jffs2.ksy description as a cross-check.

const (
	jffs2Magic      = 0x1985
	jffs2NodeDirent = 0xe001
	jffs2NodeInode  = 0xe002
	jffs2Accurate   = 0x2000
	jffs2MaxGarbage = 256 << 10 // bytes of non-node data that end an image
	jffs2MaxDepth   = 64
	jffs2MaxNodes   = 4 << 20
)

type jffs2Dirent struct {
	pino, version, ino uint32
	typ                byte
	name               string
}

type jffs2Data struct {
	version, offset, isize, dsize uint32
	mode                          uint32
	compr                         byte
	data                          []byte
	at                            int
}

type jffs2 struct {
	u       *unpacker
	bo      binary.ByteOrder
	dirents map[[2]uint64]jffs2Dirent // by parent inode and name hash
	names   map[[2]uint64]string
	inodes  map[uint32][]jffs2Data
	cache   map[uint32][]byte
	visited map[uint32]bool
}

// jffs2CRC is the kernel's crc32(0, ...): no pre- or post-inversion.
func jffs2CRC(b []byte) uint32 {
	return ^crc32.Update(0xffffffff, crc32.IEEETable, b)
}

// readJFFS2 extracts a JFFS2 image of either byte order.
func readJFFS2(u *unpacker, data []byte, s *sink) (int64, string, error) {
	if len(data) < 12 {
		return 0, "", errNotFormat
	}
	j := &jffs2{u: u, dirents: map[[2]uint64]jffs2Dirent{}, inodes: map[uint32][]jffs2Data{}, cache: map[uint32][]byte{}, visited: map[uint32]bool{}}
	switch {
	case binary.LittleEndian.Uint16(data) == jffs2Magic:
		j.bo = binary.LittleEndian
	case binary.BigEndian.Uint16(data) == jffs2Magic:
		j.bo = binary.BigEndian
	default:
		return 0, "", errNotFormat
	}
	if jffs2CRC(data[:8]) != j.bo.Uint32(data[8:]) {
		return 0, "", errNotFormat
	}
	info := "little-endian"
	if j.bo == binary.BigEndian {
		info = "big-endian"
	}
	end, err := j.scan(data)
	if err != nil {
		return end, info, err
	}
	if err := s.dir("", 0o755); err != nil {
		return end, info, err
	}
	return end, info, j.walk(s, 1, "", 0)
}

// scan reads every node and returns where the image ends.
func (j *jffs2) scan(data []byte) (int64, error) {
	end, garbage, nodes := 0, 0, 0
	for pos := 0; pos+12 <= len(data); {
		if pos&0xffff == 0 {
			if err := j.u.check(); err != nil {
				return int64(end), err
			}
		}
		magic := j.bo.Uint16(data[pos:])
		totlen := int(j.bo.Uint32(data[pos+4:]))
		if magic != jffs2Magic || totlen < 12 || pos+totlen > len(data) || jffs2CRC(data[pos:pos+8]) != j.bo.Uint32(data[pos+8:]) {
			if data[pos] != 0xff && data[pos] != 0 {
				garbage += 4
				if garbage > jffs2MaxGarbage {
					break
				}
			}
			pos += 4
			continue
		}
		garbage = 0
		nodes++
		if nodes > jffs2MaxNodes {
			return int64(end), fmt.Errorf("more than %d nodes", jffs2MaxNodes)
		}
		node := data[pos : pos+totlen]
		switch j.bo.Uint16(node[2:]) | jffs2Accurate {
		case jffs2NodeDirent:
			j.dirent(node)
		case jffs2NodeInode:
			j.inode(node, pos)
		}
		pos = alignUp(pos+totlen, 4)
		end = min(pos, len(data))
	}
	if nodes == 0 {
		return 0, errNotFormat
	}
	return int64(end), nil
}

func (j *jffs2) dirent(n []byte) {
	if len(n) < 40 {
		return
	}
	d := jffs2Dirent{pino: j.bo.Uint32(n[12:]), version: j.bo.Uint32(n[16:]), ino: j.bo.Uint32(n[20:]), typ: n[29]}
	nsize := int(n[28])
	if jffs2CRC(n[:32]) != j.bo.Uint32(n[32:]) || 40+nsize > len(n) {
		return // a torn write: the node is not trusted
	}
	d.name = string(n[40 : 40+nsize])
	key := [2]uint64{uint64(d.pino), uint64(crc32.ChecksumIEEE([]byte(d.name)))}
	if old, ok := j.dirents[key]; ok && (old.version > d.version || old.name != d.name) {
		if old.name == d.name {
			return
		}
		key[1] ^= 1 << 40 // a hash collision: keep both
	}
	j.dirents[key] = d
}

func (j *jffs2) inode(n []byte, at int) {
	if len(n) < 68 || jffs2CRC(n[:60]) != j.bo.Uint32(n[64:]) {
		return
	}
	ino := j.bo.Uint32(n[12:])
	d := jffs2Data{version: j.bo.Uint32(n[16:]), mode: j.bo.Uint32(n[20:]), isize: j.bo.Uint32(n[28:]),
		offset: j.bo.Uint32(n[44:]), dsize: j.bo.Uint32(n[52:]), compr: n[56], at: at}
	csize := int(j.bo.Uint32(n[48:]))
	if 68+csize > len(n) {
		return
	}
	d.data = n[68 : 68+csize]
	if len(j.inodes[ino]) < 1<<20 {
		j.inodes[ino] = append(j.inodes[ino], d)
	}
}

// latest is the newest node of an inode, which holds its mode and size.
func (j *jffs2) latest(ino uint32) (jffs2Data, bool) {
	ns := j.inodes[ino]
	if len(ns) == 0 {
		return jffs2Data{}, false
	}
	best := ns[0]
	for _, n := range ns[1:] {
		if n.version > best.version {
			best = n
		}
	}
	return best, true
}

// content assembles an inode's data from its nodes, oldest first.
func (j *jffs2) content(ino uint32) ([]byte, error) {
	if b, ok := j.cache[ino]; ok {
		return b, nil
	}
	last, ok := j.latest(ino)
	if !ok {
		return nil, nil
	}
	size := int64(last.isize)
	if size > j.u.budget() {
		j.u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", j.u.lim.MaxBytes, ErrLimit)
		return nil, j.u.stop
	}
	ns := slices.Clone(j.inodes[ino])
	slices.SortStableFunc(ns, func(a, b jffs2Data) int { return int(int64(a.version) - int64(b.version)) })
	out := make([]byte, size)
	var errs []error
	for _, n := range ns {
		if int64(n.offset) >= size || n.dsize == 0 {
			continue
		}
		want := int(min(int64(n.dsize), size-int64(n.offset)))
		d, err := j.decompress(n, want)
		if err != nil {
			errs = append(errs, fmt.Errorf("inode %d: node at %#x: %w", ino, n.at, err))
		}
		copy(out[n.offset:], d)
	}
	j.cache[ino] = out
	return out, errors.Join(errs...)
}

func (j *jffs2) decompress(n jffs2Data, want int) ([]byte, error) {
	switch n.compr {
	case 0, 4: // none, copy
		return n.data[:min(len(n.data), want)], nil
	case 1: // zero
		return make([]byte, want), nil
	case 2:
		return rtime(n.data, want)
	case 6:
		return inflateBlock(n.data, want)
	case 7:
		return unlzo(n.data, want)
	case 8:
		// the kernel's raw LZMA: lc=0 lp=0 pb=0, 8 KiB dictionary
		hdr := make([]byte, 13, 13+len(n.data))
		binary.LittleEndian.PutUint32(hdr[1:], 0x2000)
		binary.LittleEndian.PutUint64(hdr[5:], uint64(n.dsize))
		r, err := lzma.NewReader(bytes.NewReader(append(hdr, n.data...)))
		if err != nil {
			return nil, fmt.Errorf("lzma: %w", err)
		}
		out, err := readLimit(r, int64(want))
		if err != nil && !errors.Is(err, errTooBig) {
			return out, fmt.Errorf("lzma: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported compression %d", n.compr)
}

// rtime is JFFS2's run-length compressor (fs/jffs2/compr_rtime.c).
func rtime(in []byte, want int) ([]byte, error) {
	var positions [256]int
	out := make([]byte, 0, want)
	for pos := 0; len(out) < want; {
		if pos+2 > len(in) {
			return out, errors.New("rtime: input truncated")
		}
		value, repeat := in[pos], int(in[pos+1])
		pos += 2
		out = append(out, value)
		back := positions[value]
		positions[value] = len(out)
		for ; repeat > 0 && len(out) < want; repeat-- {
			if back >= len(out) {
				return out, errors.New("rtime: bad back reference")
			}
			out = append(out, out[back])
			back++
		}
	}
	return out, nil
}

// walk extracts the directory inode ino as p.
func (j *jffs2) walk(s *sink, ino uint32, p string, depth int) error {
	if depth > jffs2MaxDepth || j.visited[ino] {
		return fmt.Errorf("%s: inode %d: directory loop or nesting too deep", orRoot(p), ino)
	}
	j.visited[ino] = true
	var kids []jffs2Dirent
	for _, d := range j.dirents {
		if d.pino == ino && d.ino != 0 {
			kids = append(kids, d)
		}
	}
	slices.SortFunc(kids, func(a, b jffs2Dirent) int {
		if a.name < b.name {
			return -1
		}
		if a.name > b.name {
			return 1
		}
		return 0
	})
	var errs []error
	for _, d := range kids {
		if err := j.u.check(); err != nil {
			return err
		}
		cp := path.Join(p, safeName(d.name))
		meta, ok := j.latest(d.ino)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: inode %d has no inode node", cp, d.ino))
			continue
		}
		mode := extMode(uint16(meta.mode))
		switch {
		case mode.IsDir():
			if err := s.dir(cp, mode); err != nil {
				return err
			}
			if err := j.walk(s, d.ino, cp, depth+1); err != nil {
				if j.u.stop != nil {
					return err
				}
				errs = append(errs, err)
			}
		case mode.IsRegular(), mode&fs.ModeSymlink != 0:
			b, err := j.content(d.ino)
			if j.u.stop != nil {
				return j.u.stop
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", cp, err))
			}
			if mode.IsRegular() {
				err = s.file(cp, mode, b)
			} else {
				err = s.symlink(cp, string(b))
			}
			if err != nil {
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
