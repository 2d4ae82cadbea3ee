package firmware

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// ext2/3/4 are read by hand. github.com/masahiro331/go-ext4-filesystem was
// tried first: it maps every block of a file before reading it (a forged
// size costs gigabytes), looks each path up again from the root (so a
// directory cycle explodes), hides inode numbers (so cycles cannot be
// caught) and logs to stderr through a package global. This reader walks
// inodes, remembers the directories it has seen, and bounds every map by
// the size of the image.

const (
	extMaxDepth      = 64
	extRootInode     = 2
	extExtentsFlag   = 0x80000
	extInlineFlag    = 0x10000000
	extExtentMagic   = 0xf30a
	extIncompat64bit = 0x80
	extIncompatType  = 0x2 // directory entries carry a file type
)

type extFS struct {
	u          *unpacker
	data       []byte
	bs         int64 // block size
	ipg        int64 // inodes per group
	inodeSize  int64
	inodes     int64
	groups     []int64 // inode table block of each group
	visitedDir map[uint32]bool
}

type extInode struct {
	num   uint32
	mode  uint16
	size  int64
	flags uint32
	block []byte // the 60 bytes of i_block
}

// readExt extracts an ext2, ext3 or ext4 file system.
func readExt(u *unpacker, data []byte, s *sink) (int64, string, error) {
	if len(data) < 2048 {
		return 0, "", errNotFormat
	}
	sb := data[1024:2048]
	le := binary.LittleEndian
	if le.Uint16(sb[56:]) != 0xef53 {
		return 0, "", errNotFormat
	}
	logBlock := le.Uint32(sb[24:])
	blocks := int64(le.Uint32(sb[4:]))
	inodes := int64(le.Uint32(sb[0:]))
	perGroup := int64(le.Uint32(sb[40:]))
	blocksPerGroup := int64(le.Uint32(sb[32:]))
	firstData, rev := int64(le.Uint32(sb[20:])), le.Uint32(sb[76:])
	if logBlock > 6 || blocks == 0 || inodes == 0 || perGroup == 0 || blocksPerGroup == 0 || rev > 1 ||
		perGroup > 8<<(10+logBlock) || firstData != 0 && !(firstData == 1 && logBlock == 0) {
		return 0, "", errNotFormat
	}
	compat, incompat := le.Uint32(sb[92:]), le.Uint32(sb[96:])
	if incompat&extIncompat64bit != 0 {
		blocks |= int64(le.Uint32(sb[336:])) << 32
	}
	bs := int64(1024) << logBlock
	size := blocks * bs
	info := "ext2"
	switch {
	case incompat&0x40 != 0 || incompat&0x200 != 0: // extents or flex_bg
		info = "ext4"
	case compat&0x4 != 0: // has_journal
		info = "ext3"
	}
	var errs []error
	if size > int64(len(data)) || size <= 0 {
		errs = append(errs, fmt.Errorf("file system of %d bytes runs past end of image (%d)", size, len(data)))
		size = int64(len(data))
	}
	e := &extFS{u: u, data: data[:size], bs: bs, ipg: perGroup, inodes: inodes, inodeSize: 128, visitedDir: map[uint32]bool{}}
	if rev >= 1 {
		e.inodeSize = int64(le.Uint16(sb[88:]))
		if e.inodeSize < 128 || e.inodeSize > bs || e.inodeSize&(e.inodeSize-1) != 0 {
			return 0, "", errNotFormat
		}
	}
	descSize := int64(32)
	if incompat&extIncompat64bit != 0 {
		if d := int64(le.Uint16(sb[254:])); d >= 64 && d <= 1024 {
			descSize = d
		}
	}
	nGroups := (inodes + perGroup - 1) / perGroup
	gdt := (firstData + 1) * bs
	if nGroups > size/descSize || gdt+nGroups*descSize > size {
		return size, info, errors.Join(append(errs, fmt.Errorf("group descriptors of %d groups run past end of image", nGroups))...)
	}
	for g := range nGroups {
		d := e.data[gdt+g*descSize:]
		t := int64(le.Uint32(d[8:]))
		if descSize >= 64 {
			t |= int64(le.Uint32(d[0x28:])) << 32
		}
		e.groups = append(e.groups, t)
	}
	if err := s.dir("", 0o755); err != nil {
		return size, info, err
	}
	if err := e.walk(s, extRootInode, "", 0); err != nil {
		errs = append(errs, err)
	}
	return size, info, errors.Join(errs...)
}

func (e *extFS) inode(n uint32) (*extInode, error) {
	if n == 0 || int64(n) > e.inodes {
		return nil, fmt.Errorf("inode %d out of range", n)
	}
	g, i := (int64(n)-1)/e.ipg, (int64(n)-1)%e.ipg
	off := e.groups[g]*e.bs + i*e.inodeSize
	if e.groups[g] <= 0 || off < 0 || off+128 > int64(len(e.data)) {
		return nil, fmt.Errorf("inode %d: inode table runs past end of image", n)
	}
	b := e.data[off : off+128]
	le := binary.LittleEndian
	in := &extInode{num: n, mode: le.Uint16(b), flags: le.Uint32(b[32:]), block: b[40:100]}
	in.size = int64(le.Uint32(b[4:]))
	if in.mode&0xf000 == 0x8000 { // i_size_high is used by regular files
		in.size |= int64(le.Uint32(b[108:])) << 32
	}
	return in, nil
}

// blocks returns the physical block of each logical block of in, 0 for
// holes, for the first n logical blocks.
func (e *extFS) blocks(in *extInode, n int64) ([]int64, error) {
	out := make([]int64, n)
	le := binary.LittleEndian
	if in.flags&extExtentsFlag != 0 {
		return out, e.extents(in.num, in.block, out, 0)
	}
	for i := int64(0); i < 12 && i < n; i++ {
		out[i] = int64(le.Uint32(in.block[4*i:]))
	}
	next := int64(12)
	for level, idx := range []int{12, 13, 14} {
		if next >= n {
			break
		}
		ptr := int64(le.Uint32(in.block[4*idx:]))
		var err error
		next, err = e.indirect(in.num, ptr, level, next, out)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// indirect fills out from an indirect block of the given level (0 single,
// 1 double, 2 triple) starting at logical block next.
func (e *extFS) indirect(ino uint32, ptr int64, level int, next int64, out []int64) (int64, error) {
	per := e.bs / 4
	span := int64(1)
	for range level {
		span *= per
	}
	if ptr == 0 { // a hole of span*per blocks
		return next + span*per, nil
	}
	if ptr*e.bs+e.bs > int64(len(e.data)) || ptr < 0 {
		return next, fmt.Errorf("inode %d: indirect block %d runs past end of image", ino, ptr)
	}
	blk := e.data[ptr*e.bs : ptr*e.bs+e.bs]
	for i := int64(0); i < per && next < int64(len(out)); i++ {
		p := int64(binary.LittleEndian.Uint32(blk[4*i:]))
		if level == 0 {
			out[next] = p
			next++
			continue
		}
		var err error
		if next, err = e.indirect(ino, p, level-1, next, out); err != nil {
			return next, err
		}
	}
	return next, nil
}

// extents fills out from an extent tree node.
func (e *extFS) extents(ino uint32, node []byte, out []int64, depth int) error {
	le := binary.LittleEndian
	if len(node) < 12 || le.Uint16(node) != extExtentMagic {
		return fmt.Errorf("inode %d: bad extent header", ino)
	}
	entries, d := int(le.Uint16(node[2:])), int(le.Uint16(node[6:]))
	if d > 5 || depth > 5 || 12+12*entries > len(node) {
		return fmt.Errorf("inode %d: extent tree too deep or too full", ino)
	}
	for i := range entries {
		x := node[12+12*i:]
		lblk := int64(le.Uint32(x))
		if d == 0 {
			n := int64(le.Uint16(x[4:]))
			if n > 32768 { // uninitialised extent: reads as zeros
				continue
			}
			start := int64(le.Uint16(x[6:]))<<32 | int64(le.Uint32(x[8:]))
			for k := int64(0); k < n && lblk+k < int64(len(out)); k++ {
				out[lblk+k] = start + k
			}
			continue
		}
		leaf := int64(le.Uint16(x[8:]))<<32 | int64(le.Uint32(x[4:]))
		if leaf <= 0 || leaf*e.bs+e.bs > int64(len(e.data)) {
			return fmt.Errorf("inode %d: extent node %d runs past end of image", ino, leaf)
		}
		if err := e.extents(ino, e.data[leaf*e.bs:leaf*e.bs+e.bs], out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// read returns the contents of in.
func (e *extFS) read(in *extInode) ([]byte, error) {
	if in.size > int64(len(e.data)) || in.size < 0 {
		return nil, fmt.Errorf("inode %d: size %d larger than the file system (sparse files are not read)", in.num, in.size)
	}
	if in.flags&extInlineFlag != 0 {
		return in.block[:min(in.size, 60)], nil
	}
	if in.size > e.u.budget() {
		e.u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", e.u.lim.MaxBytes, ErrLimit)
		return nil, e.u.stop
	}
	n := (in.size + e.bs - 1) / e.bs
	blks, err := e.blocks(in, n)
	out := make([]byte, in.size)
	for i, b := range blks {
		if b == 0 {
			continue
		}
		off := b * e.bs
		if off < 0 || off+e.bs > int64(len(e.data)) {
			return out, fmt.Errorf("inode %d: block %d runs past end of image", in.num, b)
		}
		copy(out[int64(i)*e.bs:], e.data[off:off+e.bs])
	}
	return out, err
}

func extMode(m uint16) fs.FileMode {
	p := unixMode(uint32(m))
	switch m & 0xf000 {
	case 0x4000:
		return fs.ModeDir | p
	case 0xa000:
		return fs.ModeSymlink | p
	case 0x2000:
		return fs.ModeDevice | fs.ModeCharDevice | p
	case 0x6000:
		return fs.ModeDevice | p
	case 0x1000:
		return fs.ModeNamedPipe | p
	case 0xc000:
		return fs.ModeSocket | p
	}
	return p
}

// walk extracts the directory inode ino as p.
func (e *extFS) walk(s *sink, ino uint32, p string, depth int) error {
	if err := e.u.check(); err != nil {
		return err
	}
	if depth > extMaxDepth || e.visitedDir[ino] {
		return fmt.Errorf("%s: inode %d: directory loop or nesting too deep", orRoot(p), ino)
	}
	e.visitedDir[ino] = true
	dir, err := e.inode(ino)
	if err != nil {
		return fmt.Errorf("%s: %w", orRoot(p), err)
	}
	b, err := e.read(dir)
	if e.u.stop != nil {
		return e.u.stop
	}
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", orRoot(p), err))
	}
	le := binary.LittleEndian
	for off := 0; off+8 <= len(b); {
		child := le.Uint32(b[off:])
		rec := int(le.Uint16(b[off+4:]))
		nameLen := int(b[off+6])
		if rec < 8 || off+rec > len(b) {
			break
		}
		if off+8+nameLen > len(b) {
			break
		}
		name := string(b[off+8 : off+8+nameLen])
		off += rec
		if child == 0 || name == "." || name == ".." || name == "lost+found" && depth == 0 {
			continue
		}
		cp := path.Join(p, safeName(name))
		in, err := e.inode(child)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cp, err))
			continue
		}
		mode := extMode(in.mode)
		switch {
		case mode.IsDir():
			if err := s.dir(cp, mode); err != nil {
				return err
			}
			if err := e.walk(s, child, cp, depth+1); err != nil {
				if e.u.stop != nil {
					return err
				}
				errs = append(errs, err)
			}
		case mode&fs.ModeSymlink != 0:
			var t []byte
			if in.size < 60 && in.flags&extExtentsFlag == 0 {
				t = in.block[:in.size]
			} else if in.size <= 4096 {
				t, err = e.read(in)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", cp, err))
				}
			}
			if err := s.symlink(cp, string(t)); err != nil {
				return err
			}
		case mode.IsRegular():
			data, err := e.read(in)
			if e.u.stop != nil {
				return e.u.stop
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", cp, err))
			}
			if err := s.file(cp, mode, data); err != nil {
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
