package firmware

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// maxLinkHops bounds symbolic link resolution, as the kernel's ELOOP does.
const maxLinkHops = 40

// node is one entry of the in-memory tree. A node is immutable once
// Unpack returns, which makes FS safe for concurrent readers.
type node struct {
	name     string
	mode     fs.FileMode // type bits and permissions
	data     []byte      // regular files
	target   string      // symbolic links, as stored in the image
	children map[string]*node
	parent   *node
	// root is the root of the file system this node was extracted from:
	// absolute symlink targets resolve against it, and ".." stops there.
	root    *node
	modTime time.Time
}

func (n *node) isDir() bool { return n.mode.IsDir() }

// FS is the read-only view of an unpacked image. It implements fs.FS,
// fs.ReadDirFS, fs.ReadFileFS, fs.StatFS and fs.ReadLinkFS. Symbolic links
// are followed by Open, Stat and ReadFile but never leave the file system
// they were found in; ReadDir and Lstat report them as links.
type FS struct {
	root *node
}

var (
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
	_ fs.ReadLinkFS = (*FS)(nil)
)

// lookup resolves name. With follow, a final symbolic link is followed.
func (f *FS) lookup(op, name string, follow bool) (*node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return f.root, nil
	}
	hops := 0
	n, err := walk(f.root, strings.Split(name, "/"), follow, &hops)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

var errLoop = errors.New("too many levels of symbolic links")

// walk resolves elems starting at dir.
func walk(dir *node, elems []string, follow bool, hops *int) (*node, error) {
	cur := dir
	for i, e := range elems {
		switch e {
		case "", ".":
			continue
		case "..":
			if cur != cur.root && cur.parent != nil {
				cur = cur.parent
			}
			continue
		}
		if !cur.isDir() {
			return nil, fs.ErrNotExist
		}
		next, ok := cur.children[e]
		if !ok {
			return nil, fs.ErrNotExist
		}
		last := i == len(elems)-1
		if next.mode&fs.ModeSymlink != 0 && (!last || follow) {
			*hops++
			if *hops > maxLinkHops {
				return nil, errLoop
			}
			start := cur
			if strings.HasPrefix(next.target, "/") {
				start = next.root
			}
			var err error
			next, err = walk(start, strings.Split(next.target, "/"), true, hops)
			if err != nil {
				return nil, err
			}
		}
		cur = next
	}
	return cur, nil
}

// Open opens the named file, following symbolic links inside the image.
func (f *FS) Open(name string) (fs.File, error) {
	n, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	return &file{n: n, name: path.Base(name)}, nil
}

// Stat returns information about the named file, following links.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return info{n: n, name: path.Base(name)}, nil
}

// Lstat returns information about the named file without following a
// final symbolic link.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return info{n: n, name: path.Base(name)}, nil
}

// ReadLink returns the target of a symbolic link as stored in the image.
func (f *FS) ReadLink(name string) (string, error) {
	n, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.target, nil
}

// ReadFile returns a copy of the contents of the named file. Open the
// file and use its ReadAt method to read without copying.
func (f *FS) ReadFile(name string) ([]byte, error) {
	n, err := f.lookup("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if !n.mode.IsRegular() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	return slices.Clone(n.data), nil
}

// ReadDir lists the named directory sorted by name.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return n.entries(), nil
}

func (n *node) entries() []fs.DirEntry {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]fs.DirEntry, len(names))
	for i, k := range names {
		out[i] = fs.FileInfoToDirEntry(info{n: n.children[k], name: k})
	}
	return out
}

type info struct {
	n    *node
	name string
}

func (i info) Name() string {
	if i.name == "." || i.name == "/" {
		return "."
	}
	return i.name
}
func (i info) Size() int64 {
	if i.n.mode&fs.ModeSymlink != 0 {
		return int64(len(i.n.target))
	}
	return int64(len(i.n.data))
}
func (i info) Mode() fs.FileMode  { return i.n.mode }
func (i info) ModTime() time.Time { return i.n.modTime }
func (i info) IsDir() bool        { return i.n.isDir() }
func (i info) Sys() any           { return nil }

type file struct {
	n    *node
	name string
	off  int64
	dirs []fs.DirEntry
	dpos int
}

func (f *file) Stat() (fs.FileInfo, error) { return info{n: f.n, name: f.name}, nil }
func (f *file) Close() error               { return nil }

func (f *file) Read(p []byte) (int, error) {
	if f.n.isDir() {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: errors.New("is a directory")}
	}
	if f.off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.off:])
	f.off += int64(n)
	return n, nil
}

// ReadAt lets callers such as debug/elf read files without copying.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.off + offset
	case io.SeekEnd:
		abs = int64(len(f.n.data)) + offset
	default:
		return 0, fs.ErrInvalid
	}
	if abs < 0 {
		return 0, fs.ErrInvalid
	}
	f.off = abs
	return abs, nil
}

func (f *file) ReadDir(count int) ([]fs.DirEntry, error) {
	if !f.n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: f.name, Err: errors.New("not a directory")}
	}
	if f.dirs == nil {
		f.dirs = f.n.entries()
	}
	rest := f.dirs[f.dpos:]
	if count <= 0 {
		f.dpos = len(f.dirs)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if count > len(rest) {
		count = len(rest)
	}
	f.dpos += count
	return rest[:count], nil
}

// Data returns the contents of the named file without copying, for
// analysers that read many files; the slice must not be modified.
func (f *FS) Data(name string) ([]byte, error) {
	n, err := f.lookup("read", name, true)
	if err != nil {
		return nil, err
	}
	if !n.mode.IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return n.data, nil
}
