package firmware

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
)

type kind int

const (
	kindTree      kind = iota // file system or archive: entries into a sink
	kindContainer             // header plus parts, each a blob
	kindStream                // one compressed stream
)

// magic is a byte string found at offset at from the start of a format.
type magic struct {
	at int
	b  []byte
}

type format struct {
	name   string
	kind   kind
	magics []magic
	// nested formats are also tried on files inside extracted trees.
	nested bool
	// tree extracts into s and returns the bytes spanned and a detail.
	tree func(u *unpacker, data []byte, s *sink) (int64, string, error)
	// split returns the parts of a container, decompressed.
	split func(u *unpacker, data []byte) ([]part, int64, string, error)
	// valid, if set, rejects false hits of a stream cheaply.
	valid func(data []byte) bool
}

type part struct {
	name string
	data []byte
}

type hit struct {
	off int64
	f   *format
}

// errNotFormat marks a magic hit that turned out not to be the format;
// it is not reported.
var errNotFormat = errors.New("not this format")

// maxHitsPerMagic bounds carving work on hostile blobs full of magic.
const maxHitsPerMagic = 1 << 14

// formats lists what Unpack recognises, in order of preference when two
// match at the same offset.
func formats() []format {
	return []format{
		{name: "uimage", kind: kindContainer, nested: true, magics: []magic{{0, []byte{0x27, 0x05, 0x19, 0x56}}}, split: splitUImage},
		{name: "trx", kind: kindContainer, nested: true, magics: []magic{{0, []byte("HDR0")}}, split: splitTRX},
		{name: "fit", kind: kindContainer, nested: true, magics: []magic{{0, []byte{0xd0, 0x0d, 0xfe, 0xed}}}, split: splitFIT},
		{name: "ubi", kind: kindContainer, nested: true, magics: []magic{{0, []byte("UBI#")}}, split: splitUBI},
		{name: "ubifs", kind: kindTree, nested: true, magics: []magic{{0, []byte{0x31, 0x18, 0x10, 0x06}}}, tree: readUBIFS},
		{name: "squashfs", kind: kindTree, nested: true, magics: []magic{{0, []byte("hsqs")}, {0, []byte("sqsh")}}, tree: readSquashfs},
		{name: "cpio", kind: kindTree, nested: true, magics: []magic{{0, []byte("070701")}, {0, []byte("070702")}, {0, []byte("070707")}}, tree: readCpio},
		{name: "tar", kind: kindTree, nested: true, magics: []magic{{257, []byte("ustar")}}, tree: readTar},
		{name: "cramfs", kind: kindTree, nested: true, magics: []magic{{0, []byte{0x45, 0x3d, 0xcd, 0x28}}, {0, []byte{0x28, 0xcd, 0x3d, 0x45}}}, tree: readCramfs},
		{name: "jffs2", kind: kindTree, nested: true, magics: []magic{{0, []byte{0x85, 0x19}}, {0, []byte{0x19, 0x85}}}, tree: readJFFS2, valid: validJFFS2},
		{name: "ext", kind: kindTree, nested: true, magics: []magic{{1080, []byte{0x53, 0xef}}}, tree: readExt},
		{name: "gzip", kind: kindStream, nested: true, magics: []magic{{0, []byte{0x1f, 0x8b, 0x08}}}},
		{name: "xz", kind: kindStream, nested: true, magics: []magic{{0, []byte{0xfd, '7', 'z', 'X', 'Z', 0}}}},
		{name: "zstd", kind: kindStream, nested: true, magics: []magic{{0, []byte{0x28, 0xb5, 0x2f, 0xfd}}}},
		{name: "bzip2", kind: kindStream, nested: true, magics: []magic{{4, []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}}}, valid: validBzip2},
		{name: "lz4", kind: kindStream, magics: []magic{{0, []byte{0x04, 0x22, 0x4d, 0x18}}, {0, []byte{0x02, 0x21, 0x4c, 0x18}}}},
		{name: "lzma", kind: kindStream, magics: []magic{{0, []byte{0x5d, 0, 0}}}, valid: validLzma},
	}
}

// validJFFS2 checks the node header CRC, so that the two-byte magic is
// not tried everywhere it occurs by chance.
func validJFFS2(d []byte) bool {
	if len(d) < 12 {
		return false
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if d[0] == 0x19 {
		bo = binary.BigEndian
	}
	return jffs2CRC(d[:8]) == bo.Uint32(d[8:])
}

func validBzip2(d []byte) bool {
	return len(d) > 10 && d[0] == 'B' && d[1] == 'Z' && d[2] == 'h' && d[3] >= '1' && d[3] <= '9'
}

// validLzma accepts the .lzma ("LZMA alone") headers firmware uses: the
// usual properties byte, a plausible dictionary and size.
func validLzma(d []byte) bool {
	if len(d) < 13 || d[0] != 0x5d {
		return false
	}
	dict := uint32(d[1]) | uint32(d[2])<<8 | uint32(d[3])<<16 | uint32(d[4])<<24
	if dict < 1<<12 || dict > maxDict {
		return false
	}
	size := d[5:13]
	if allByte(size, 0xff) {
		return true
	}
	return size[4] == 0 && size[5] == 0 && size[6] == 0 && size[7] == 0 // under 4 GiB
}

// scan finds candidate formats in data, sorted by offset. With atZero
// only nested formats at offset 0 are considered.
func (u *unpacker) scan(data []byte, atZero bool) []hit {
	var hits []hit
	for i := range u.formats {
		f := &u.formats[i]
		if atZero && !f.nested {
			continue
		}
		for _, m := range f.magics {
			if atZero {
				if len(data) >= m.at+len(m.b) && bytes.Equal(data[m.at:m.at+len(m.b)], m.b) && (f.valid == nil || f.valid(data)) {
					hits = append(hits, hit{0, f})
				}
				continue
			}
			from, n := m.at, 0
			for from < len(data) && n < maxHitsPerMagic {
				i := bytes.Index(data[from:], m.b)
				if i < 0 {
					break
				}
				pos := from + i
				start := pos - m.at
				from = pos + 1
				if f.valid != nil && !f.valid(data[start:]) {
					continue
				}
				hits = append(hits, hit{int64(start), f})
				n++
			}
		}
	}
	order := func(f *format) int {
		for i := range u.formats {
			if &u.formats[i] == f {
				return i
			}
		}
		return len(u.formats)
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.off != b.off {
			if a.off < b.off {
				return -1
			}
			return 1
		}
		return order(a.f) - order(b.f)
	})
	return hits
}

// atZero returns the hit scan(data, false) would sort first when one
// starts at offset 0: the first format, in table order, whose magic and
// check hold at offset 0.
func (u *unpacker) atZero(data []byte) (hit, bool) {
	for i := range u.formats {
		f := &u.formats[i]
		for _, m := range f.magics {
			if len(data) >= m.at+len(m.b) && bytes.Equal(data[m.at:m.at+len(m.b)], m.b) && (f.valid == nil || f.valid(data)) {
				return hit{0, f}, true
			}
		}
	}
	return hit{}, false
}

// nestable reports whether a file inside a tree starts with a format
// worth unpacking.
func (u *unpacker) nestable(data []byte) bool {
	if len(data) < 64 {
		return false
	}
	for i := range u.formats {
		f := &u.formats[i]
		if !f.nested {
			continue
		}
		for _, m := range f.magics {
			if len(data) >= m.at+len(m.b) && bytes.Equal(data[m.at:m.at+len(m.b)], m.b) {
				return true
			}
		}
	}
	return false
}
