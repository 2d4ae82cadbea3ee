package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sync"

	"github.com/iotsec/iotsec/internal/firmware/xzdec"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/therootcompany/xz"
	"github.com/ulikunitz/xz/lzma"
)

// Squashfs v4 is read by hand rather than with go-diskfs: that reader
// inflates every block with io.ReadAll (a 1 MiB block can expand to
// gigabytes), indexes fragments without bounds checks, and its errors
// carry no inode or offset. This one bounds every block to its nominal
// size, names the inode and offset of each fault, and inflates file data
// on all cores.

const (
	sqMetaSize   = 8192
	sqMaxDepth   = 256
	sqNoFragment = 0xffffffff
)

type squashfs struct {
	u        *unpacker
	data     []byte // the image, from its superblock
	comp     uint16
	block    int64
	inodes   int64 // inode table start
	dirs     int64 // directory table start
	frags    []sqFrag
	meta     map[int64]sqMetaBlock // by absolute offset
	zstd     *zstd.Decoder
	fragOnce []sync.Once
	fragData [][]byte
	fragErr  []error
	// xz holds *xz.Reader, reused across blocks. It is a pointer: the
	// runtime keeps every sync.Pool reachable until two collections after
	// its last use, and an embedded pool would keep this whole struct, and
	// through u the unpacked tree, alive that long after the scan.
	xz *sync.Pool
}

type sqMetaBlock struct {
	data []byte
	next int64
}

type sqFrag struct {
	start int64
	size  uint32
}

func sqCompName(c uint16) string {
	names := [...]string{"", "gzip", "lzma", "lzo", "xz", "lz4", "zstd"}
	if int(c) < len(names) && c > 0 {
		return names[c]
	}
	return fmt.Sprintf("compression %d", c)
}

// readSquashfs extracts a little-endian squashfs 4.0 image.
func readSquashfs(u *unpacker, data []byte, s *sink) (int64, string, error) {
	if len(data) < 96 {
		return 0, "", errNotFormat
	}
	if string(data[:4]) == "sqsh" {
		return 0, "", errNotFormat // big-endian (v3 and older, or vendor variants)
	}
	le := binary.LittleEndian
	major, minor := le.Uint16(data[28:]), le.Uint16(data[30:])
	block := int64(le.Uint32(data[12:]))
	blockLog := le.Uint16(data[22:])
	used := int64(le.Uint64(data[40:]))
	if major != 4 {
		if major >= 1 && major <= 3 && used > 0 {
			return int64(min(used, int64(len(data)))), fmt.Sprintf("v%d.%d", major, minor), fmt.Errorf("squashfs version %d.%d is not supported", major, minor)
		}
		return 0, "", errNotFormat
	}
	if block < 4096 || block > 1<<20 || block&(block-1) != 0 || int64(1)<<blockLog != block || used < 96 {
		return 0, "", errNotFormat
	}
	q := &squashfs{u: u, comp: le.Uint16(data[20:]), block: block, meta: map[int64]sqMetaBlock{}, xz: &sync.Pool{}}
	info := fmt.Sprintf("v4.%d %s", minor, sqCompName(q.comp))
	var errs []error
	if used > int64(len(data)) {
		errs = append(errs, fmt.Errorf("image of %d bytes runs past end of input (%d)", used, len(data)))
		used = int64(len(data))
	}
	if q.comp < 1 || q.comp > 6 {
		return used, info, fmt.Errorf("unknown %s", sqCompName(q.comp))
	}
	q.data = data[:used]
	if q.comp == 6 {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxWindow(maxDict))
		if err != nil {
			return used, info, err
		}
		defer d.Close()
		q.zstd = d
	}
	q.inodes = int64(le.Uint64(data[64:]))
	q.dirs = int64(le.Uint64(data[72:]))
	if q.inodes >= used || q.dirs >= used || q.dirs < q.inodes {
		return used, info, errors.Join(append(errs, errors.New("superblock: table offsets outside image"))...)
	}
	if err := q.readFragments(int64(le.Uint32(data[16:])), int64(le.Uint64(data[80:]))); err != nil {
		errs = append(errs, err)
	}
	root := le.Uint64(data[32:])
	if err := q.walk(s, root); err != nil {
		errs = append(errs, err)
	}
	return used, info, errors.Join(errs...)
}

// decompress inflates one block that must not exceed max bytes into a
// new slice.
func (q *squashfs) decompress(src []byte, limit int) ([]byte, error) {
	return q.decompressInto(src, limit, nil)
}

// decompressInto inflates one block that must not exceed max bytes. When
// scratch holds at least limit+1 bytes, xz, lz4 and zstd blocks are
// inflated into it (the result aliases scratch), so reading a file's
// blocks allocates nothing per block.
func (q *squashfs) decompressInto(src []byte, limit int, scratch []byte) ([]byte, error) {
	if len(scratch) < limit+1 {
		scratch = nil
	}
	var out []byte
	var err error
	switch q.comp {
	case 1:
		var r interface{ Read([]byte) (int, error) }
		r, err = zlib.NewReader(bytes.NewReader(src))
		if err == nil {
			out, err = readLimit(r, int64(limit))
		}
	case 2:
		var r *lzma.Reader
		r, err = lzma.ReaderConfig{DictCap: maxDict}.NewReader(bytes.NewReader(src))
		if err == nil {
			out, err = readLimit(r, int64(limit))
		}
	case 3:
		out, err = unlzo(src, limit)
	case 4:
		buf := scratch
		if buf == nil {
			buf = make([]byte, 0, limit)
		}
		out, _, err = xzdec.Decode(buf[:0], src, limit, maxDict)
		switch {
		case errors.Is(err, xzdec.ErrTooBig):
			err = errTooBig
		case errors.Is(err, xzdec.ErrUnsupported):
			// BCJ or delta filters (mksquashfs -Xbcj): the general decoder.
			out, err = q.unxzFilters(src, limit, scratch)
		}
	case 5:
		out = scratch[:min(len(scratch), limit)]
		if out == nil {
			out = make([]byte, limit)
		}
		var n int
		n, err = lz4.UncompressBlock(src, out)
		out = out[:max(n, 0)]
	case 6:
		out = scratch[:0]
		if out == nil {
			out = make([]byte, 0, limit)
		}
		out, err = q.zstd.DecodeAll(src, out)
		if len(out) > limit {
			out, err = out[:limit], errTooBig
		}
	}
	if errors.Is(err, errTooBig) {
		return out, fmt.Errorf("block inflates beyond %d bytes", limit)
	}
	if err != nil {
		return out, fmt.Errorf("%s: %w", sqCompName(q.comp), err)
	}
	return out, nil
}

// unxzFilters inflates an xz block whose filter chain xzdec does not
// handle, with therootcompany/xz.
func (q *squashfs) unxzFilters(src []byte, limit int, scratch []byte) ([]byte, error) {
	if d, ok := xzDict(src); ok && d > maxDict {
		return nil, fmt.Errorf("xz dictionary of %d bytes exceeds %d", d, maxDict)
	}
	r, _ := q.xz.Get().(*xz.Reader)
	var err error
	if r == nil {
		r, err = xz.NewReader(bytes.NewReader(src), maxDict)
	} else {
		err = r.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, err
	}
	defer q.xz.Put(r)
	r.Multistream(false)
	if scratch != nil {
		return readFullInto(r, scratch[:limit+1], limit)
	}
	return readFull(r, limit)
}

// metaBlock reads the metadata block at absolute offset off.
func (q *squashfs) metaBlock(off int64) (sqMetaBlock, error) {
	if b, ok := q.meta[off]; ok {
		return b, nil
	}
	if off < 0 || off+2 > int64(len(q.data)) {
		return sqMetaBlock{}, fmt.Errorf("metadata block at %d runs past end of image", off)
	}
	h := binary.LittleEndian.Uint16(q.data[off:])
	size := int64(h & 0x7fff)
	if size == 0 || off+2+size > int64(len(q.data)) {
		return sqMetaBlock{}, fmt.Errorf("metadata block at %d runs past end of image", off)
	}
	raw := q.data[off+2 : off+2+size]
	var d []byte
	if h&0x8000 != 0 {
		d = raw
	} else {
		var err error
		if d, err = q.decompress(raw, sqMetaSize); err != nil {
			return sqMetaBlock{}, fmt.Errorf("metadata block at %d: %w", off, err)
		}
	}
	b := sqMetaBlock{data: d, next: off + 2 + size}
	if len(q.meta) < 1<<16 {
		q.meta[off] = b
	}
	return b, nil
}

// metaReader reads a run of bytes spanning metadata blocks.
type metaReader struct {
	q   *squashfs
	blk int64 // absolute offset of the current block
	off int   // offset inside its decompressed data
}

func (m *metaReader) read(n int) ([]byte, error) {
	if n < 0 || n > 1<<24 {
		return nil, fmt.Errorf("metadata read of %d bytes", n)
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		b, err := m.q.metaBlock(m.blk)
		if err != nil {
			return out, err
		}
		if m.off > len(b.data) {
			return out, fmt.Errorf("offset %d beyond metadata block at %d", m.off, m.blk)
		}
		k := copy(out[len(out):n], b.data[m.off:])
		out = out[:len(out)+k]
		m.off += k
		if len(out) < n {
			m.blk, m.off = b.next, 0
		}
	}
	return out, nil
}

func (q *squashfs) readFragments(count, index int64) error {
	if count == 0 {
		return nil
	}
	if count > int64(len(q.data))/16+1 || index < 0 || index+8*((count*16+sqMetaSize-1)/sqMetaSize) > int64(len(q.data)) {
		return fmt.Errorf("fragment table of %d entries runs past end of image", count)
	}
	le := binary.LittleEndian
	for i := int64(0); i*sqMetaSize/16 < count; i++ {
		ptr := int64(le.Uint64(q.data[index+8*i:]))
		m := &metaReader{q: q, blk: ptr}
		n := min(count-i*sqMetaSize/16, sqMetaSize/16)
		b, err := m.read(int(n * 16))
		if err != nil {
			return fmt.Errorf("fragment table: %w", err)
		}
		for j := 0; j+16 <= len(b); j += 16 {
			q.frags = append(q.frags, sqFrag{start: int64(le.Uint64(b[j:])), size: le.Uint32(b[j+8:])})
		}
	}
	q.fragOnce = make([]sync.Once, len(q.frags))
	q.fragData = make([][]byte, len(q.frags))
	q.fragErr = make([]error, len(q.frags))
	return nil
}

// sqInode is the part of an inode the extractor needs.
type sqInode struct {
	num    uint32
	typ    uint16
	mode   fs.FileMode
	size   int64
	start  int64 // directory: block; file: first data block
	offset int   // directory: offset in block
	frag   uint32
	fragAt int64
	blocks []uint32
	target string
}

func (q *squashfs) inode(ref uint64) (*sqInode, error) {
	m := &metaReader{q: q, blk: q.inodes + int64(ref>>16), off: int(ref & 0xffff)}
	h, err := m.read(16)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	in := &sqInode{typ: le.Uint16(h), mode: unixMode(uint32(le.Uint16(h[2:]))), num: le.Uint32(h[12:])}
	fail := func(what string, err error) (*sqInode, error) {
		return nil, fmt.Errorf("inode %d: %s: %w", in.num, what, err)
	}
	switch in.typ {
	case 1: // basic directory
		b, err := m.read(16)
		if err != nil {
			return fail("header", err)
		}
		in.start, in.size, in.offset = int64(le.Uint32(b)), int64(le.Uint16(b[8:])), int(le.Uint16(b[10:]))
	case 8: // extended directory
		b, err := m.read(24)
		if err != nil {
			return fail("header", err)
		}
		in.size, in.start, in.offset = int64(le.Uint32(b[4:])), int64(le.Uint32(b[8:])), int(le.Uint16(b[18:]))
	case 2, 9: // file
		var b []byte
		if in.typ == 2 {
			if b, err = m.read(16); err != nil {
				return fail("header", err)
			}
			in.start, in.frag, in.fragAt, in.size = int64(le.Uint32(b)), le.Uint32(b[4:]), int64(le.Uint32(b[8:])), int64(le.Uint32(b[12:]))
		} else {
			if b, err = m.read(40); err != nil {
				return fail("header", err)
			}
			in.start, in.size = int64(le.Uint64(b)), int64(le.Uint64(b[8:]))
			in.frag, in.fragAt = le.Uint32(b[28:]), int64(le.Uint32(b[32:]))
		}
		if in.size < 0 {
			return nil, fmt.Errorf("inode %d: negative file size", in.num)
		}
		n := in.size / q.block
		if in.frag == sqNoFragment && in.size%q.block != 0 {
			n++
		}
		// sparse files have block lists longer than the image itself, so
		// only the list's own size is bounded here; the file size is
		// charged against the byte limit before any block is read
		if n > 1<<22 {
			return nil, fmt.Errorf("inode %d: block list of %d entries is too long", in.num, n)
		}
		b, err = m.read(int(n * 4))
		if err != nil {
			return nil, fmt.Errorf("inode %d: block list runs past end of image", in.num)
		}
		in.blocks = make([]uint32, n)
		for i := range in.blocks {
			in.blocks[i] = le.Uint32(b[4*i:])
		}
	case 3, 10: // symlink
		b, err := m.read(8)
		if err != nil {
			return fail("header", err)
		}
		n := int(le.Uint32(b[4:]))
		if n > 4096 {
			return nil, fmt.Errorf("inode %d: symlink target of %d bytes", in.num, n)
		}
		t, err := m.read(n)
		if err != nil {
			return fail("target", err)
		}
		in.target = string(t)
	case 4, 5, 6, 7, 11, 12, 13, 14:
	default:
		return nil, fmt.Errorf("inode %d: unknown type %d", in.num, in.typ)
	}
	return in, nil
}

type sqEntry struct {
	name string
	ref  uint64
}

func (q *squashfs) readDir(in *sqInode) ([]sqEntry, error) {
	size := in.size - 3
	if size <= 0 {
		return nil, nil
	}
	m := &metaReader{q: q, blk: q.dirs + in.start, off: in.offset}
	le := binary.LittleEndian
	var out []sqEntry
	for read := int64(0); read < size; {
		h, err := m.read(12)
		if err != nil {
			return out, err
		}
		read += 12
		count := int(le.Uint32(h)) + 1
		start := uint64(le.Uint32(h[4:]))
		if count > 256 {
			return out, fmt.Errorf("directory header with %d entries", count)
		}
		for range count {
			e, err := m.read(8)
			if err != nil {
				return out, err
			}
			nl := int(le.Uint16(e[6:])) + 1
			name, err := m.read(nl)
			if err != nil {
				return out, err
			}
			read += int64(8 + nl)
			out = append(out, sqEntry{name: safeName(string(name)), ref: start<<16 | uint64(le.Uint16(e))})
			if len(out) > 1<<20 {
				return out, errors.New("directory too large")
			}
		}
	}
	return out, nil
}

// sqFile is a regular file waiting for its data.
type sqFile struct {
	path string
	in   *sqInode
	data []byte
	mu   sync.Mutex
	bad  int // index of the first block that failed (len(in.blocks): the tail)
	err  error
}

// fail records the error of block i, keeping the first block's.
func (f *sqFile) fail(i int, err error) {
	f.mu.Lock()
	if f.err == nil || i < f.bad {
		f.bad, f.err = i, err
	}
	f.mu.Unlock()
}

// sqJob is one data block of a file to inflate, or the file's tail in a
// fragment (tail set).
type sqJob struct {
	f    *sqFile
	i    int    // block index
	raw  []byte // compressed block
	at   int64  // its offset in the image
	dst  []byte // where its bytes go in f.data
	tail bool
}

// walk lists the tree, then inflates file data on all cores and adds the
// files in tree order.
func (q *squashfs) walk(s *sink, root uint64) error {
	var errs []error
	var files []*sqFile
	seen := map[uint64]bool{}
	var budget int64 = q.u.budget()
	var visit func(ref uint64, p string, depth int) error
	visit = func(ref uint64, p string, depth int) error {
		if err := q.u.check(); err != nil {
			return err
		}
		in, err := q.inode(ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", orRoot(p), err))
			return nil
		}
		switch in.typ {
		case 1, 8:
			if seen[ref] || depth > sqMaxDepth {
				errs = append(errs, fmt.Errorf("%s: inode %d: directory loop or too deep", orRoot(p), in.num))
				return nil
			}
			seen[ref] = true
			if err := s.dir(p, in.mode); err != nil {
				return err
			}
			ents, err := q.readDir(in)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: inode %d: %w", orRoot(p), in.num, err))
			}
			for _, e := range ents {
				if err := visit(e.ref, path.Join(p, e.name), depth+1); err != nil {
					return err
				}
			}
		case 2, 9:
			budget -= in.size
			if budget < 0 {
				q.u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", q.u.lim.MaxBytes, ErrLimit)
				return q.u.stop
			}
			files = append(files, &sqFile{path: p, in: in})
		case 3, 10:
			return s.symlink(p, in.target)
		case 4, 11:
			return s.special(p, fs.ModeDevice|in.mode)
		case 5, 12:
			return s.special(p, fs.ModeDevice|fs.ModeCharDevice|in.mode)
		case 6, 13:
			return s.special(p, fs.ModeNamedPipe|in.mode)
		case 7, 14:
			return s.special(p, fs.ModeSocket|in.mode)
		}
		return nil
	}
	if err := visit(root, "", 0); err != nil {
		errs = append(errs, err)
		return errors.Join(errs...)
	}
	q.inflate(files)
	for _, f := range files {
		if f.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.path, f.err))
		}
		if err := s.file(f.path, f.in.mode, f.data); err != nil {
			errs = append(errs, err)
			break
		}
	}
	return errors.Join(errs...)
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// inflate reads the data of files with one worker per core. The work is
// one data block at a time, not one file, so that a large library keeps
// every core busy rather than one; each worker inflates into its own
// scratch buffer and copies the block to its place in the file, whose
// buffer is allocated at its declared size (already charged to the
// budget by walk). A file that fails keeps the bytes before its first
// failed block.
func (q *squashfs) inflate(files []*sqFile) {
	n := runtime.GOMAXPROCS(0)
	work := make(chan sqJob, 2*n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := make([]byte, q.block+1)
			for j := range work {
				q.inflateBlock(j, scratch)
			}
		}()
	}
	for _, f := range files {
		if q.u.ctx.Err() != nil {
			f.err = q.u.ctx.Err()
			continue
		}
		q.dispatch(f, work)
	}
	close(work)
	wg.Wait()
	for _, f := range files {
		if f.err != nil && f.data != nil {
			f.data = f.data[:min(int64(f.bad)*q.block, int64(len(f.data)))]
		}
	}
}

// dispatch sends the blocks of one file to the workers.
func (q *squashfs) dispatch(f *sqFile, work chan<- sqJob) {
	in := f.in
	f.data = make([]byte, in.size)
	pos := in.start
	var off int64
	for i, b := range in.blocks {
		want := min(q.block, in.size-off)
		if want <= 0 {
			break
		}
		if err := q.u.ctx.Err(); err != nil {
			f.fail(i, err)
			return
		}
		dst := f.data[off : off+want]
		off += want
		size := int64(b & 0xffffff)
		if size == 0 { // sparse: the buffer is zero already
			continue
		}
		if pos < 0 || pos+size > int64(len(q.data)) {
			f.fail(i, fmt.Errorf("inode %d: data block %d at %d runs past end of image", in.num, i, pos))
			return
		}
		raw := q.data[pos : pos+size]
		pos += size
		if b&(1<<24) != 0 {
			if copy(dst, raw) < len(dst) {
				f.fail(i, fmt.Errorf("inode %d: data block %d at %d holds %d of %d bytes", in.num, i, pos-size, len(raw), want))
				return
			}
			continue
		}
		work <- sqJob{f: f, i: i, raw: raw, at: pos - size, dst: dst}
	}
	if off < in.size {
		if in.frag == sqNoFragment {
			f.fail(len(in.blocks), fmt.Errorf("inode %d: %d of %d bytes read", in.num, off, in.size))
			return
		}
		work <- sqJob{f: f, i: len(in.blocks), dst: f.data[off:], tail: true}
	}
}

// inflateBlock inflates one job into its place.
func (q *squashfs) inflateBlock(j sqJob, scratch []byte) {
	in := j.f.in
	if j.tail {
		fd, err := q.fragment(in.frag)
		if err != nil {
			j.f.fail(j.i, fmt.Errorf("inode %d: %w", in.num, err))
			return
		}
		n := int64(len(j.dst))
		if in.fragAt < 0 || in.fragAt+n > int64(len(fd)) {
			j.f.fail(j.i, fmt.Errorf("inode %d: tail runs past end of fragment %d", in.num, in.frag))
			return
		}
		copy(j.dst, fd[in.fragAt:in.fragAt+n])
		return
	}
	d, err := q.decompressInto(j.raw, int(q.block), scratch)
	if err != nil {
		j.f.fail(j.i, fmt.Errorf("inode %d: data block %d at %d: %w", in.num, j.i, j.at, err))
		return
	}
	if len(d) < len(j.dst) {
		j.f.fail(j.i, fmt.Errorf("inode %d: data block %d at %d inflates to %d bytes, want %d", in.num, j.i, j.at, len(d), len(j.dst)))
		return
	}
	copy(j.dst, d)
}

func (q *squashfs) fragment(i uint32) ([]byte, error) {
	if int(i) >= len(q.frags) {
		return nil, fmt.Errorf("fragment %d not in table of %d", i, len(q.frags))
	}
	q.fragOnce[i].Do(func() {
		f := q.frags[i]
		size := int64(f.size & 0xffffff)
		if f.start < 0 || f.start+size > int64(len(q.data)) {
			q.fragErr[i] = fmt.Errorf("fragment %d at %d runs past end of image", i, f.start)
			return
		}
		raw := q.data[f.start : f.start+size]
		if f.size&(1<<24) != 0 {
			q.fragData[i] = raw
			return
		}
		q.fragData[i], q.fragErr[i] = q.decompress(raw, int(q.block))
		if q.fragErr[i] != nil {
			q.fragErr[i] = fmt.Errorf("fragment %d at %d: %w", i, f.start, q.fragErr[i])
		}
	})
	return q.fragData[i], q.fragErr[i]
}
