package firmware

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/anchore/go-lzo"
	"github.com/iotsec/iotsec/internal/firmware/xzdec"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/therootcompany/xz"
	"github.com/ulikunitz/xz/lzma"
)

// maxDict bounds the dictionary an xz or lzma header may ask for, so a
// forged header cannot make the decoder allocate gigabytes up front.
const maxDict = 64 << 20

// readFull reads r to the end into one buffer of at most limit bytes,
// for blocks whose size is known in advance.
func readFull(r io.Reader, limit int) ([]byte, error) {
	return readFullInto(r, make([]byte, limit+1), limit)
}

// readFullInto is readFull into buf, which holds limit+1 bytes.
func readFullInto(r io.Reader, buf []byte, limit int) ([]byte, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			return buf[:n], nil
		}
		if err != nil {
			return buf[:n], err
		}
	}
	return buf[:limit], errTooBig
}

// errTooBig reports decompressed output beyond the caller's budget.
var errTooBig = errors.New("decompressed size exceeds limit")

// readLimit reads r to the end but never more than max bytes. It returns
// what it read even on error, so truncated streams still yield data.
func readLimit(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if n > max {
		return buf.Bytes()[:max], errTooBig
	}
	if err != nil {
		return buf.Bytes(), err
	}
	return buf.Bytes(), nil
}

// decompressor inflates one stream from the start of data and reports how
// many input bytes it consumed (an upper bound for buffered decoders).
type decompressor func(data []byte, max int64) (out []byte, consumed int64, err error)

// decompressorFor returns the decompressor for a name used in uImage
// headers and stream magic, or nil.
func decompressorFor(name string) decompressor {
	switch name {
	case "gzip":
		return gunzip
	case "zlib":
		return inflateZlib
	case "xz":
		return unxz
	case "lzma":
		return unlzma
	case "zstd":
		return unzstd
	case "bzip2":
		return bunzip2
	case "lz4":
		return unlz4
	}
	return nil
}

func gunzip(data []byte, max int64) ([]byte, int64, error) {
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, 0, fmt.Errorf("gzip header: %w", err)
	}
	zr.Multistream(false)
	out, err := readLimit(zr, max)
	return out, int64(len(data) - br.Len()), wrapStream("gzip", err)
}

func inflateZlib(data []byte, max int64) ([]byte, int64, error) {
	br := bytes.NewReader(data)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, 0, fmt.Errorf("zlib header: %w", err)
	}
	out, err := readLimit(zr, max)
	return out, int64(len(data) - br.Len()), wrapStream("zlib", err)
}

// xzDict reads the LZMA2 dictionary size of an xz stream's first block.
// The xz reader sizes its window from this header, not from its
// configuration, so a forged header could ask for gigabytes.
func xzDict(data []byte) (int64, bool) {
	const streamHeader = 12
	if len(data) < streamHeader+2 {
		return 0, false
	}
	h := data[streamHeader:]
	size := (int(h[0]) + 1) * 4
	if h[0] == 0 || size > len(h) {
		return 0, false
	}
	h = h[1:size]
	flags := h[0]
	p := 1
	varint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && p < len(h); i++ {
			b := h[p]
			p++
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 { // compressed size present
		if _, ok := varint(); !ok {
			return 0, false
		}
	}
	if flags&0x80 != 0 { // uncompressed size present
		if _, ok := varint(); !ok {
			return 0, false
		}
	}
	for range int(flags&3) + 1 {
		id, ok := varint()
		if !ok {
			return 0, false
		}
		n, ok := varint()
		if !ok || p+int(n) > len(h) {
			return 0, false
		}
		if id == 0x21 && n == 1 { // LZMA2: one byte encodes the dictionary
			b := h[p]
			if b > 40 {
				return 0, false
			}
			if b == 40 {
				return 1<<32 - 1, true
			}
			return int64(2|b&1) << (b/2 + 11), true
		}
		p += int(n)
	}
	return 0, false
}

func unxz(data []byte, max int64) ([]byte, int64, error) {
	out, n, err := xzdec.Decode(nil, data, int(min(max, math.MaxInt)), maxDict)
	switch {
	case err == nil:
		return out, int64(n), nil
	case errors.Is(err, xzdec.ErrTooBig):
		return out, int64(n), errTooBig
	case !errors.Is(err, xzdec.ErrUnsupported):
		return out, int64(n), err
	}
	// BCJ or delta filters: the general decoder.
	if d, ok := xzDict(data); ok && d > maxDict {
		return nil, 0, fmt.Errorf("xz dictionary of %d bytes exceeds %d", d, maxDict)
	}
	br := bytes.NewReader(data)
	zr, err := xz.NewReader(br, maxDict)
	if err != nil {
		return nil, 0, fmt.Errorf("xz header: %w", err)
	}
	zr.Multistream(false)
	out, err = readLimit(zr, max)
	return out, int64(len(data) - br.Len()), wrapStream("xz", err)
}

func unlzma(data []byte, max int64) ([]byte, int64, error) {
	if len(data) < 13 {
		return nil, 0, errors.New("lzma header: truncated")
	}
	br := bytes.NewReader(data)
	zr, err := lzma.ReaderConfig{DictCap: maxDict}.NewReader(br)
	if err != nil {
		return nil, 0, fmt.Errorf("lzma header: %w", err)
	}
	out, err := readLimit(zr, max)
	return out, int64(len(data) - br.Len()), wrapStream("lzma", err)
}

func unzstd(data []byte, max int64) ([]byte, int64, error) {
	br := bytes.NewReader(data)
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max)+1), zstd.WithDecoderMaxWindow(maxDict))
	if err != nil {
		return nil, 0, fmt.Errorf("zstd header: %w", err)
	}
	defer zr.Close()
	out, err := readLimit(zr, max)
	return out, int64(len(data) - br.Len()), wrapStream("zstd", err)
}

func bunzip2(data []byte, max int64) ([]byte, int64, error) {
	br := bytes.NewReader(data)
	out, err := readLimit(bzip2.NewReader(br), max)
	return out, int64(len(data) - br.Len()), wrapStream("bzip2", err)
}

func unlz4(data []byte, max int64) ([]byte, int64, error) {
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == 0x184c2102 {
		return unlz4Legacy(data, max)
	}
	br := bytes.NewReader(data)
	out, err := readLimit(lz4.NewReader(br), max)
	return out, int64(len(data) - br.Len()), wrapStream("lz4", err)
}

// unlz4Legacy reads the legacy LZ4 frame that Linux kernels use: the
// magic, then blocks of (le32 size, data) each inflating to at most 8 MiB,
// ended by end of input, a zero size or another magic.
func unlz4Legacy(data []byte, max int64) ([]byte, int64, error) {
	const blockMax = 8 << 20
	var out []byte
	pos := 4
	for pos+4 <= len(data) {
		n := int(binary.LittleEndian.Uint32(data[pos:]))
		if n == 0 || n == 0x184c2102 || n > len(data)-pos-4 || n > blockMax {
			break
		}
		dst := make([]byte, blockMax)
		k, err := lz4.UncompressBlock(data[pos+4:pos+4+n], dst)
		if err != nil {
			return out, int64(pos), fmt.Errorf("lz4 block at %d: %w", pos, err)
		}
		if int64(len(out)+k) > max {
			return out, int64(pos), errTooBig
		}
		out = append(out, dst[:k]...)
		pos += 4 + n
	}
	return out, int64(pos), nil
}

// unlzo inflates a raw LZO1X block of known maximum size, as squashfs,
// JFFS2 and UBIFS store them.
func unlzo(src []byte, size int) ([]byte, error) {
	dst := make([]byte, size)
	n, err := lzo.Decompress(src, dst)
	if err != nil && !errors.Is(err, lzo.ErrInputNotConsumed) {
		return dst[:n], fmt.Errorf("lzo: %w", err)
	}
	return dst[:n], nil
}

func wrapStream(name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errTooBig):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s stream truncated", name)
	default:
		return fmt.Errorf("%s stream: %w", name, err)
	}
}
