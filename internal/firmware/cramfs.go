package firmware

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// cramfs has no Go library; it is small: a superblock, 12-byte inodes
// with their names, and files as 4 KiB zlib blocks behind a table of end
// pointers (linux/fs/cramfs, include/uapi/linux/cramfs_fs.h).

const (
	cramfsMagic    = 0x28cd3d45
	cramfsPage     = 4096
	cramfsMaxDepth = 64
	cramfsFlagExt  = 0x800 // extended block pointers
)

type cramfs struct {
	u       *unpacker
	data    []byte
	bo      binary.ByteOrder
	ext     bool
	visited map[uint32]bool
}

type cramInode struct {
	mode   uint16
	size   uint32
	offset uint32 // bytes
	name   string
	len    int // bytes of inode and name
}

func (c *cramfs) inode(off int) (cramInode, error) {
	if off < 0 || off+12 > len(c.data) {
		return cramInode{}, fmt.Errorf("inode at %d runs past end of image", off)
	}
	w0, w1, w2 := c.bo.Uint32(c.data[off:]), c.bo.Uint32(c.data[off+4:]), c.bo.Uint32(c.data[off+8:])
	var in cramInode
	var nameLen int
	if c.bo == binary.LittleEndian {
		in.mode, in.size = uint16(w0), w1&0xffffff
		nameLen, in.offset = int(w2&0x3f)*4, (w2>>6)*4
	} else {
		in.mode, in.size = uint16(w0>>16), w1>>8
		nameLen, in.offset = int(w2>>26)*4, (w2&0x3ffffff)*4
	}
	if off+12+nameLen > len(c.data) {
		return in, fmt.Errorf("inode at %d: name runs past end of image", off)
	}
	name := c.data[off+12 : off+12+nameLen]
	for len(name) > 0 && name[len(name)-1] == 0 {
		name = name[:len(name)-1]
	}
	in.name, in.len = string(name), 12+nameLen
	return in, nil
}

// readCramfs extracts a cramfs image of either byte order.
func readCramfs(u *unpacker, data []byte, s *sink) (int64, string, error) {
	if len(data) < 76 {
		return 0, "", errNotFormat
	}
	c := &cramfs{u: u, visited: map[uint32]bool{}}
	switch {
	case binary.LittleEndian.Uint32(data) == cramfsMagic:
		c.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(data) == cramfsMagic:
		c.bo = binary.BigEndian
	default:
		return 0, "", errNotFormat
	}
	if string(data[16:32]) != "Compressed ROMFS" {
		return 0, "", errNotFormat
	}
	size := int64(c.bo.Uint32(data[4:]))
	flags := c.bo.Uint32(data[8:])
	c.ext = flags&cramfsFlagExt != 0
	info := "little-endian"
	if c.bo == binary.BigEndian {
		info = "big-endian"
	}
	var errs []error
	if size < 76 || size > int64(len(data)) {
		if size >= 76 {
			errs = append(errs, fmt.Errorf("image of %d bytes runs past end of input (%d)", size, len(data)))
		}
		size = int64(len(data))
	}
	c.data = data[:size]
	root, err := c.inode(64)
	if err != nil {
		return size, info, err
	}
	if err := s.dir("", 0o755); err != nil {
		return size, info, err
	}
	if err := c.walk(s, root, "", 0); err != nil {
		errs = append(errs, err)
	}
	return size, info, errors.Join(errs...)
}

func (c *cramfs) walk(s *sink, dir cramInode, p string, depth int) error {
	if depth > cramfsMaxDepth || c.visited[dir.offset] {
		return fmt.Errorf("%s: directory loop or nesting too deep", orRoot(p))
	}
	c.visited[dir.offset] = true
	var errs []error
	end := int(dir.offset) + int(dir.size)
	if end > len(c.data) {
		errs = append(errs, fmt.Errorf("%s: directory at %d runs past end of image", orRoot(p), dir.offset))
		end = len(c.data)
	}
	for off := int(dir.offset); off < end && dir.offset != 0; {
		if err := c.u.check(); err != nil {
			return err
		}
		in, err := c.inode(off)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("%s: %w", orRoot(p), err))...)
		}
		off += in.len
		cp := path.Join(p, safeName(in.name))
		mode := extMode(in.mode) // cramfs keeps the st_mode layout
		switch {
		case mode.IsDir():
			if err := s.dir(cp, mode); err != nil {
				return err
			}
			if err := c.walk(s, in, cp, depth+1); err != nil {
				if c.u.stop != nil {
					return err
				}
				errs = append(errs, err)
			}
		case mode.IsRegular(), mode&fs.ModeSymlink != 0:
			b, err := c.read(in)
			if c.u.stop != nil {
				return c.u.stop
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

// read inflates a file: nblocks end pointers, then zlib blocks.
func (c *cramfs) read(in cramInode) ([]byte, error) {
	if in.size == 0 || in.offset == 0 {
		return nil, nil
	}
	if int64(in.size) > c.u.budget() {
		c.u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", c.u.lim.MaxBytes, ErrLimit)
		return nil, c.u.stop
	}
	n := (int(in.size) + cramfsPage - 1) / cramfsPage
	tbl := int(in.offset)
	if tbl+4*n > len(c.data) {
		return nil, fmt.Errorf("block table at %d runs past end of image", tbl)
	}
	out := make([]byte, 0, in.size)
	start := tbl + 4*n
	for i := range n {
		ptr := c.bo.Uint32(c.data[tbl+4*i:])
		want := min(cramfsPage, int(in.size)-len(out))
		if c.ext {
			// bit 31: uncompressed; bit 30: direct pointer to the start
			raw, direct := ptr&(1<<31) != 0, ptr&(1<<30) != 0
			p := int(ptr&0x3fffffff) << 2
			if direct {
				if raw {
					if p+want > len(c.data) {
						return out, fmt.Errorf("block %d at %d runs past end of image", i, p)
					}
					out = append(out, c.data[p:p+want]...)
					continue
				}
				start = p
				// the compressed length follows from the next block; let the
				// zlib stream end itself
				d, err := inflateBlock(c.data[start:], want)
				out = append(out, d...)
				if err != nil {
					return out, fmt.Errorf("block %d at %d: %w", i, start, err)
				}
				continue
			}
			ptr &= 0x3fffffff
		}
		end := int(ptr)
		if end < start || end > len(c.data) {
			return out, fmt.Errorf("block %d at %d runs past end of image", i, start)
		}
		if end == start { // a hole
			out = append(out, make([]byte, want)...)
			continue
		}
		d, err := inflateBlock(c.data[start:end], want)
		out = append(out, d...)
		if err != nil {
			return out, fmt.Errorf("block %d at %d: %w", i, start, err)
		}
		start = end
	}
	return out, nil
}

// inflateBlock inflates one zlib block of at most want bytes.
func inflateBlock(src []byte, want int) ([]byte, error) {
	out, _, err := inflateZlib(src, int64(want))
	if errors.Is(err, errTooBig) {
		return out[:want], fmt.Errorf("block inflates beyond %d bytes", want)
	}
	return out, err
}
