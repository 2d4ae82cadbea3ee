package vuln

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"time"
)

// FeedLimits bound one feed file whatever kind it is said to be: the
// readers of each kind add their own (records, criteria, statements),
// these hold before any of them sees a byte, so a decompression bomb is
// refused the same way under every --kind.
type FeedLimits struct {
	MaxBytes int64 // decompressed bytes
	// MaxRatio bounds decompressed bytes per compressed byte once more
	// than RatioFloor bytes came out (NVD's yearly feeds are about 12:1,
	// gzip's ceiling is about 1032:1).
	MaxRatio   int64
	RatioFloor int64
	// MaxBlank bounds JSON whitespace (space, tab, CR, LF) in a row: no
	// feed has a megabyte of it, and a decoder that skips it may hold it
	// all in its buffer.
	MaxBlank int64
	// MaxDuration bounds one import.
	MaxDuration time.Duration
}

// DefaultFeedLimits fit the largest feeds (NVD yearly files of 400 MB
// decompressed, OSV archives of a few GB) with a margin.
func DefaultFeedLimits() FeedLimits {
	return FeedLimits{MaxBytes: 8 << 30, MaxRatio: 200, RatioFloor: 64 << 20, MaxBlank: 1 << 20, MaxDuration: 30 * time.Minute}
}

// FeedReader reads a feed file's content: gzip is detected by its magic
// bytes and undone, and every limit of FeedLimits and the context's
// deadline are checked as the bytes go by. Its errors are *InputError
// naming the file, the decompressed offset and, for gzip, what is wrong
// (checksum, length trailer, truncation) at which compressed offset.
type FeedReader struct {
	ctx  context.Context
	name string
	lim  FeedLimits
	raw  *trailReader
	zr   *gzip.Reader
	r    io.Reader
	crc  hash.Hash32
	size uint32 // of the current gzip member, mod 2^32
	n    int64  // decompressed bytes delivered
	run  int64  // whitespace in a row
	err  error
}

// NewFeedReader starts reading r; name is used in errors.
func NewFeedReader(ctx context.Context, r io.Reader, name string, lim FeedLimits) (*FeedReader, error) {
	f := &FeedReader{ctx: ctx, name: name, lim: lim, raw: &trailReader{br: bufio.NewReaderSize(r, 64<<10)}}
	f.r = f.raw
	if magic, _ := f.raw.br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(f.raw)
		if err != nil {
			return nil, f.gzipErr(err)
		}
		zr.Multistream(false)
		f.zr, f.r, f.crc = zr, zr, crc32.NewIEEE()
		// A gzip inside the gzip would be undone again by a reader below
		// and escape these limits.
		if inner, err := f.peekInner(); err != nil {
			return nil, err
		} else if inner {
			return nil, &InputError{File: name, Record: -1, Err: errors.New("gzip inside gzip: decompress it once before importing")}
		}
	}
	return f, nil
}

// peekInner reports whether the decompressed data starts with gzip's
// magic bytes; it keeps what it read.
func (f *FeedReader) peekInner() (bool, error) {
	var head [2]byte
	n, err := io.ReadFull(f.zr, head[:])
	f.account(head[:n])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false, f.gzipErr(err)
	}
	f.r = io.MultiReader(bytesReader(head[:n]), readerFunc(f.readMember))
	return n == 2 && head[0] == 0x1f && head[1] == 0x8b, nil
}

type readerFunc func([]byte) (int, error)

func (r readerFunc) Read(p []byte) (int, error) { return r(p) }

func bytesReader(b []byte) io.Reader {
	c := append([]byte(nil), b...)
	return readerFunc(func(p []byte) (int, error) {
		if len(c) == 0 {
			return 0, io.EOF
		}
		n := copy(p, c)
		c = c[n:]
		return n, nil
	})
}

// Offset is how many decompressed bytes were read.
func (f *FeedReader) Offset() int64 { return f.n }

// Consumed is how many bytes of the file were read.
func (f *FeedReader) Consumed() int64 { return f.raw.n }

// Read reads decompressed bytes within the limits.
func (f *FeedReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if err := f.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 0, f.fail(fmt.Errorf("import took longer than its time limit (%s): %w", f.lim.MaxDuration, ErrLimit))
		}
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Never read past the limit: one byte more says there is more.
	if left := f.lim.MaxBytes - f.n + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := f.r.Read(p)
	if f.zr == nil {
		if lerr := f.check(p[:n]); lerr != nil {
			return 0, lerr
		}
		return n, err
	}
	if err != nil && err != io.EOF {
		return 0, f.gzipErr(err)
	}
	if lerr := f.check(p[:n]); lerr != nil {
		return 0, lerr
	}
	return n, err
}

// readMember reads the gzip stream, member by member, keeping the
// CRC-32 and length of the current member so that a wrong trailer can be
// named.
func (f *FeedReader) readMember(p []byte) (int, error) {
	n, err := f.zr.Read(p)
	f.account(p[:n])
	if err == gzip.ErrChecksum {
		return n, f.trailerErr()
	}
	if err != io.EOF {
		return n, err
	}
	// End of a member: another may follow (concatenated gzip).
	if _, perr := f.raw.br.Peek(1); perr != nil {
		return n, io.EOF
	}
	if rerr := f.zr.Reset(f.raw); rerr != nil {
		return n, rerr
	}
	f.zr.Multistream(false)
	f.crc.Reset()
	f.size = 0
	if n == 0 {
		return f.readMember(p)
	}
	return n, nil
}

func (f *FeedReader) account(b []byte) {
	f.crc.Write(b)
	f.size += uint32(len(b))
}

// check applies the limits to the bytes just read, which count as read.
func (f *FeedReader) check(b []byte) error {
	for i, c := range b {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			f.run++
			if f.run > f.lim.MaxBlank {
				f.n += int64(i)
				return f.fail(fmt.Errorf("more than %d bytes of whitespace in a row: %w", f.lim.MaxBlank, ErrLimit))
			}
		} else {
			f.run = 0
		}
	}
	f.n += int64(len(b))
	if f.n > f.lim.MaxBytes {
		f.n = f.lim.MaxBytes
		return f.fail(fmt.Errorf("more than %d bytes decompressed: %w", f.lim.MaxBytes, ErrLimit))
	}
	if f.zr != nil && f.n > f.lim.RatioFloor && f.n > f.lim.MaxRatio*f.raw.n {
		return f.fail(fmt.Errorf("%d compressed bytes decompress to %d, more than %d times their size (a decompression bomb?): %w",
			f.raw.n, f.n, f.lim.MaxRatio, ErrLimit))
	}
	return nil
}

func (f *FeedReader) fail(err error) error {
	f.err = &InputError{File: f.name, Record: -1, Offset: f.n, Err: err}
	return f.err
}

// gzipErr names a gzip failure and where in the file it happened.
func (f *FeedReader) gzipErr(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		f.err = err
		return err
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("truncated gzip stream: the file ends after %d bytes, inside the compressed data or its trailer", f.raw.n)
	case errors.Is(err, gzip.ErrHeader):
		err = fmt.Errorf("invalid gzip header at byte %d of the file", f.raw.n)
	case errors.As(err, &corrupt):
		err = fmt.Errorf("corrupt gzip data at byte %d of the file", int64(corrupt))
	default:
		err = fmt.Errorf("gzip: %w", err)
	}
	return f.fail(err)
}

// trailerErr says which half of a gzip member's trailer is wrong: the
// reader's ErrChecksum stands for both.
func (f *FeedReader) trailerErr() error {
	t := f.raw.last
	crc, size := binary.LittleEndian.Uint32(t[:4]), binary.LittleEndian.Uint32(t[4:])
	at := f.raw.n - 8
	if crc != f.crc.Sum32() {
		return &InputError{File: f.name, Record: -1, Offset: f.n, Err: fmt.Errorf(
			"gzip checksum mismatch: the data's CRC-32 is %08x, the trailer at byte %d of the file says %08x", f.crc.Sum32(), at, crc)}
	}
	if size != f.size {
		return &InputError{File: f.name, Record: -1, Offset: f.n, Err: fmt.Errorf(
			"gzip length trailer mismatch: the data is %d bytes (mod 2^32), the trailer at byte %d of the file says %d", f.size, at+4, size)}
	}
	return &InputError{File: f.name, Record: -1, Offset: f.n, Err: errors.New("gzip trailer mismatch")}
}

// trailReader counts the bytes it gives and keeps the last eight: a gzip
// member's trailer once the member is read.
type trailReader struct {
	br   *bufio.Reader
	n    int64
	last [8]byte
}

func (t *trailReader) keep(b []byte) {
	if len(b) >= 8 {
		copy(t.last[:], b[len(b)-8:])
		return
	}
	copy(t.last[:], t.last[len(b):])
	copy(t.last[8-len(b):], b)
}

func (t *trailReader) Read(p []byte) (int, error) {
	n, err := t.br.Read(p)
	t.n += int64(n)
	t.keep(p[:n])
	return n, err
}

func (t *trailReader) ReadByte() (byte, error) {
	c, err := t.br.ReadByte()
	if err == nil {
		t.n++
		copy(t.last[:7], t.last[1:])
		t.last[7] = c
	}
	return c, err
}
