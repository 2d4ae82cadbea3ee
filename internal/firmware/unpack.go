package firmware

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults and caps for Limits.
const (
	DefaultBytesFactor = 20      // MaxBytes default: this many times the input size
	MaxBytesCap        = 4 << 30 // MaxBytes never exceeds this
	DefaultMaxFiles    = 500_000 // entries (files, directories, links)
	DefaultMaxDepth    = 8       // nested blobs: container in stream in container ...
	DefaultTimeout     = 5 * time.Minute
	minBytes           = 64 << 20 // so that tiny images may still hold a kernel
)

// Limits bound one Unpack call. Zero fields take the defaults.
type Limits struct {
	// MaxBytes bounds the bytes extracted: file contents plus decompressed
	// intermediate blobs. Default DefaultBytesFactor × input size (at least
	// 64 MiB); never more than MaxBytesCap.
	MaxBytes int64
	// MaxFiles bounds the entries created. Default DefaultMaxFiles.
	MaxFiles int
	// MaxDepth bounds nesting (a squashfs inside a TRX is depth 1, a cpio
	// inside a gzip inside a uImage is depth 2). Default DefaultMaxDepth.
	MaxDepth int
	// Timeout bounds the whole call, on top of the context's deadline.
	// Default DefaultTimeout.
	Timeout time.Duration
	// Cap is an absolute bound on MaxBytes, whatever the input's size
	// (a server's configuration); 0 means MaxBytesCap.
	Cap int64
}

func (l Limits) withDefaults(size int64) Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = max(size*DefaultBytesFactor, minBytes)
	}
	l.MaxBytes = min(l.MaxBytes, MaxBytesCap)
	if l.Cap > 0 {
		l.MaxBytes = min(l.MaxBytes, l.Cap)
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// ErrLimit is wrapped by errors about a limit being reached.
var ErrLimit = errors.New("limit exceeded")

// Error is one problem found while unpacking: what could be read stays in
// the image, and the error says where reading stopped and why.
type Error struct {
	Image  string // the input's name
	Format string // format being read, e.g. "squashfs"
	Offset int64  // offset of that format inside the blob named by In
	In     string // path in FS of the containing blob; "" is the input
	Err    error
}

func (e *Error) Error() string {
	where := fmt.Sprintf("%s at %#x", e.Format, e.Offset)
	if e.In != "" {
		where += " in " + e.In
	}
	return fmt.Sprintf("unpack %s: %s: %v", e.Image, where, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Part is one format found in the image.
type Part struct {
	Format string // "squashfs", "uimage", "gzip", "linux-kernel", ...
	Offset int64  // offset inside the containing blob
	Size   int64  // bytes of the containing blob it spans
	In     string // path in FS of the containing blob; "" is the input
	Path   string // path in FS where its contents are ("." is the root)
	Info   string // detail: compression, image name, kernel banner ...
}

// Image is the result of Unpack.
type Image struct {
	Name   string
	Size   int64
	SHA256 string // of the input, hex
	FS     *FS
	Parts  []Part
	Files  int   // entries created
	Bytes  int64 // bytes extracted, intermediates included
}

// Formats lists the distinct formats found, in order of discovery.
func (im *Image) Formats() []string {
	var out []string
	for _, p := range im.Parts {
		if !slices.Contains(out, p.Format) {
			out = append(out, p.Format)
		}
	}
	return out
}

// UnpackFile reads the file at name and unpacks it.
func UnpackFile(ctx context.Context, name string, lim Limits) (*Image, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("unpack %s: %w", path.Base(name), err)
	}
	return Unpack(ctx, path.Base(name), data, lim)
}

// Unpack unpacks data, an image called name, into an in-memory FS. It
// returns the image together with an error (errors.Join of *Error values)
// when parts of the input could not be read or a limit was reached; the
// image then holds everything read up to that point. The FS keeps
// references into data, which must not be modified afterwards.
func Unpack(ctx context.Context, name string, data []byte, lim Limits) (*Image, error) {
	lim = lim.withDefaults(int64(len(data)))
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	root := &node{mode: fs.ModeDir | 0o755, children: map[string]*node{}}
	root.root = root
	u := &unpacker{ctx: ctx, name: name, lim: lim, root: root, formats: formats()}
	u.blob(root, "", "", data, modeTop, 0)
	sum := sha256.Sum256(data)
	im := &Image{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), FS: &FS{root: root}, Parts: u.parts, Files: u.files, Bytes: u.bytes}
	err := errors.Join(u.errs...)
	if u.stop != nil && !errors.Is(err, u.stop) {
		// stopped between formats: no parser reported it
		err = errors.Join(err, fmt.Errorf("unpack %s: %w", name, u.stop))
	}
	return im, err
}

type unpacker struct {
	ctx     context.Context
	name    string
	lim     Limits
	bytes   int64
	files   int
	root    *node
	parts   []Part
	errs    []error
	stop    error // a limit or the context: nothing more is done
	formats []format
}

// check reports whether work may go on.
func (u *unpacker) check() error {
	if u.stop != nil {
		return u.stop
	}
	if err := u.ctx.Err(); err != nil {
		u.stop = fmt.Errorf("time limit: %w", err)
	}
	return u.stop
}

// charge accounts n extracted bytes.
func (u *unpacker) charge(n int64) error {
	if err := u.check(); err != nil {
		return err
	}
	if u.bytes+n > u.lim.MaxBytes {
		u.stop = fmt.Errorf("extracted bytes would exceed %d: %w", u.lim.MaxBytes, ErrLimit)
		return u.stop
	}
	u.bytes += n
	return nil
}

// count accounts one new entry.
func (u *unpacker) count() error {
	if err := u.check(); err != nil {
		return err
	}
	if u.files >= u.lim.MaxFiles {
		u.stop = fmt.Errorf("more than %d files: %w", u.lim.MaxFiles, ErrLimit)
		return u.stop
	}
	u.files++
	return nil
}

// budget is how many more bytes may be extracted.
func (u *unpacker) budget() int64 { return max(u.lim.MaxBytes-u.bytes, 0) }

func (u *unpacker) fail(format string, off int64, in string, err error) {
	u.errs = append(u.errs, &Error{Image: u.name, Format: format, Offset: off, In: in, Err: err})
}

// decompress inflates a stream named by its compression and charges it.
func (u *unpacker) decompress(comp string, data []byte) ([]byte, int64, error) {
	dec := decompressorFor(comp)
	if dec == nil {
		return nil, 0, fmt.Errorf("unsupported compression %q", comp)
	}
	out, n, err := dec(data, u.budget())
	if errors.Is(err, errTooBig) {
		u.stop = fmt.Errorf("%s: extracted bytes would exceed %d: %w", comp, u.lim.MaxBytes, ErrLimit)
		err = u.stop
	}
	if cerr := u.charge(int64(len(out))); cerr != nil && err == nil {
		err = cerr
	}
	return out, n, err
}

type blobMode int

const (
	modeTop    blobMode = iota // the input: results go into the root
	modePart                   // a container's part or a stream's output
	modeNested                 // a file inside an extracted tree: offset 0 only
)

// blob unpacks data. in names data's place for messages ("" for the
// input). The format at offset 0, if any, is unpacked in place: into
// parent itself in modeTop, as parent/name in the other modes. In
// modePart, data without a format at offset 0 is stored as the file
// parent/name. Formats carved from further offsets go beside it, as
// 0xOFFSET.format in the root (modeTop) or in parent/name.extracted
// (modePart). modeNested looks at offset 0 only and keeps only file
// systems, archives and containers.
func (u *unpacker) blob(parent *node, name, in string, data []byte, mode blobMode, depth int) {
	if u.check() != nil {
		return
	}
	if depth > u.lim.MaxDepth {
		u.fail("blob", 0, in, fmt.Errorf("nesting deeper than %d: %w", u.lim.MaxDepth, ErrLimit))
		if mode == modePart {
			u.addFile(parent, name, data)
		}
		return
	}
	var hits []hit
	var claimed int64
	placed, tried := false, false
	if h, ok := u.atZero(data); ok && mode != modeNested {
		tried = true
		// The format at offset 0 usually claims (nearly) the whole blob,
		// as a bare squashfs does: carve only what it leaves, rather than
		// search every byte it claimed for every magic.
		var elems []string
		if mode != modeTop {
			elems = []string{name}
		}
		if n, ok := u.try(h, data, parent, elems, in, mode, depth); ok {
			claimed, placed = max(n, 1), true
			for _, r := range u.scan(data[min(claimed, int64(len(data))):], false) {
				hits = append(hits, hit{r.off + claimed, r.f})
			}
		}
	}
	if !placed {
		hits = u.scan(data, mode == modeNested)
		if tried && len(hits) > 0 && hits[0].off == 0 {
			hits = hits[1:] // the format at offset 0, tried above
		}
	}
	if mode == modeTop && len(hits) == 0 && !tried {
		// nothing to unpack (a bare program or kernel): the input itself
		// is the one file, so that analysers still see it
		u.addFile(parent, u.name, data)
		u.kernelBanner(path.Join(nodePath(parent), safeName(u.name)), data)
		return
	}
	if !tried && len(hits) > 0 && hits[0].off == 0 {
		var elems []string
		if mode != modeTop {
			elems = []string{name}
		}
		if n, ok := u.try(hits[0], data, parent, elems, in, mode, depth); ok {
			claimed, placed = max(n, 1), true
		}
		hits = hits[1:]
	}
	switch {
	case mode == modeNested:
		return
	case mode == modePart && !placed:
		u.addFile(parent, name, data)
		u.kernelBanner(path.Join(nodePath(parent), safeName(name)), data)
	}
	var dir []string
	if mode == modePart {
		dir = []string{name + ".extracted"}
	}
	for _, h := range hits {
		if u.check() != nil {
			return
		}
		if h.off < claimed {
			continue
		}
		elems := append(slices.Clone(dir), fmt.Sprintf("%#x.%s", h.off, h.f.name))
		h := h
		if n, ok := u.try(h, data[h.off:], parent, elems, in, modePart, depth); ok {
			claimed = h.off + max(n, 1)
		}
	}
}

// try unpacks one hit at the start of data into parent/elems (parent
// itself when elems is empty) and reports the bytes it spans and whether
// it was the format at all.
func (u *unpacker) try(h hit, data []byte, parent *node, elems []string, in string, mode blobMode, depth int) (int64, bool) {
	f := h.f
	where := path.Join(append([]string{nodePath(parent)}, elems...)...)
	record := func(n int64, info string) {
		p := where
		if p == "" {
			p = "."
		}
		u.parts = append(u.parts, Part{Format: f.name, Offset: h.off, Size: n, In: in, Path: p, Info: info})
	}
	switch f.kind {
	case kindStream:
		out, n, err := u.decompress(f.name, data)
		// Short garbage after a chance magic is no stream; a stream the
		// input starts with is reported however little it yields.
		if len(out) == 0 || err != nil && len(out) < 512 && u.stop == nil && !(h.off == 0 && in == "") {
			if err != nil && (u.stop != nil || h.off == 0 && in == "") {
				u.fail(f.name, h.off, in, err)
			}
			return 0, false
		}
		if err != nil {
			u.fail(f.name, h.off, in, err)
		}
		record(n, "")
		if len(elems) == 0 {
			// the input is one stream: unpack its output in place when it
			// starts with a format, else keep it as a file
			if hs := u.scan(out, true); len(hs) > 0 || mode == modeNested {
				u.blob(parent, "", where, out, modeTop, depth+1)
			} else {
				name := strings.TrimSuffix(u.name, path.Ext(u.name))
				if name == "" || name == u.name {
					name = "data"
				}
				u.blob(parent, name, where, out, modePart, depth+1)
			}
			return n, true
		}
		dir, err := u.mkdirs(parent, elems[:len(elems)-1])
		if err != nil {
			return n, true
		}
		next := modePart
		if mode == modeNested {
			next = modeNested
		}
		u.blob(dir, elems[len(elems)-1], where, out, next, depth+1)
		return n, true
	case kindTree:
		s := &sink{u: u, parent: parent, elems: elems}
		n, info, err := f.tree(u, data, s)
		if errors.Is(err, errNotFormat) && s.base == nil {
			return 0, false
		}
		if err != nil {
			u.fail(f.name, h.off, in, err)
		}
		if s.base == nil && n == 0 {
			return 0, false
		}
		s.ensure() // an empty file system is still one
		record(n, info)
		for _, nf := range s.nested {
			if u.check() != nil {
				break
			}
			u.blob(nf.dir, nf.name+".extracted", path.Join(nodePath(nf.dir), nf.name), nf.data, modeNested, depth+1)
		}
		return n, true
	case kindContainer:
		parts, n, info, err := f.split(u, data)
		if errors.Is(err, errNotFormat) {
			return 0, false
		}
		if err != nil {
			u.fail(f.name, h.off, in, err)
		}
		if len(parts) == 0 && n == 0 {
			return 0, false
		}
		record(n, info)
		dir, derr := u.mkdirs(parent, elems)
		if derr != nil {
			return n, true
		}
		for _, p := range parts {
			nm := safeName(p.name)
			u.blob(dir, nm, path.Join(where, nm), p.data, modePart, depth+1)
		}
		return n, true
	}
	return 0, false
}

// covers reports whether a format spanning n bytes covers data, allowing
// trailing padding of 0x00 or 0xff bytes.
func covers(data []byte, n int64) bool {
	if n >= int64(len(data)) {
		return true
	}
	if n <= 0 {
		return false
	}
	tail := data[n:]
	return allByte(tail, 0) || allByte(tail, 0xff)
}

func allByte(b []byte, c byte) bool {
	for _, x := range b {
		if x != c {
			return false
		}
	}
	return true
}

// kernelBanner records Linux version banners found in a blob.
func (u *unpacker) kernelBanner(in string, data []byte) {
	const marker = "Linux version "
	i := bytes.Index(data, []byte(marker))
	for i >= 0 {
		line := data[i:min(len(data), i+256)]
		if j := bytes.IndexAny(line, "\n\x00"); j >= 0 {
			line = line[:j]
		}
		v := line[len(marker):]
		// a version starts with a digit; "Linux version %s" format strings do not
		if len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
			p := in
			if p == "" {
				p = "."
			}
			u.parts = append(u.parts, Part{Format: "linux-kernel", Offset: int64(i), Size: int64(len(line)), In: in, Path: p, Info: strings.ToValidUTF8(string(line), "?")})
			return
		}
		k := bytes.Index(data[i+1:], []byte(marker))
		if k < 0 {
			return
		}
		i += 1 + k
	}
}

// addFile stores a raw blob as a file.
func (u *unpacker) addFile(parent *node, name string, data []byte) {
	if u.count() != nil {
		return
	}
	name = safeName(name)
	parent.children[name] = &node{name: name, mode: 0o644, data: data, parent: parent, root: parent.root}
}

// mkdirs makes the directories elems below parent (outside any file
// system, so they share parent's root) and returns the last.
func (u *unpacker) mkdirs(parent *node, elems []string) (*node, error) {
	cur := parent
	for _, e := range elems {
		e = safeName(e)
		next, ok := cur.children[e]
		if !ok || !next.isDir() {
			if err := u.count(); err != nil {
				return nil, err
			}
			next = &node{name: e, mode: fs.ModeDir | 0o755, children: map[string]*node{}, parent: cur, root: cur.root}
			cur.children[e] = next
		}
		cur = next
	}
	return cur, nil
}

// nodePath is n's path in the FS ("" for the root).
func nodePath(n *node) string {
	var elems []string
	for ; n != nil && n.parent != nil; n = n.parent {
		elems = append(elems, n.name)
	}
	slices.Reverse(elems)
	return strings.Join(elems, "/")
}

// safeName makes one path element valid for io/fs.
func safeName(s string) string {
	s = strings.ToValidUTF8(s, "_")
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == 0 {
			return '_'
		}
		return r
	}, s)
	switch s {
	case "", ".", "..":
		return "_"
	}
	if !utf8.ValidString(s) {
		return "_"
	}
	return s
}

// cleanPath splits an archive member name into safe elements: leading
// slashes, "." and ".." are dropped, so no name escapes its root.
func cleanPath(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".", "..":
			continue
		}
		out = append(out, safeName(e))
	}
	return out
}
