package firmware

import (
	"context"
	"fmt"
	"io/fs"
)

// Entry is one item of a tree given to NewFS: a regular file, a directory
// (Mode has fs.ModeDir), a symbolic link (Mode has fs.ModeSymlink; Data
// holds the target) or a device, FIFO or socket (their type bit; Data is
// ignored).
type Entry struct {
	Path string
	Mode fs.FileMode // type bits plus permissions, setuid, setgid, sticky
	Data []byte
}

// NewFS builds an FS holding entries, as though they had been extracted
// from an archive listing them in order: names are cleaned the same way,
// missing parent directories are made with mode 0755, a later entry
// replaces an earlier one of the same name except that a directory is
// never replaced by a non-directory. Contents are kept, not copied, and
// not searched for nested images. It lets tests and tools analyse a tree
// without packing an image first. Limits are the Unpack defaults.
func NewFS(entries []Entry) (*FS, error) {
	root := &node{mode: fs.ModeDir | 0o755, children: map[string]*node{}}
	root.root = root
	var size int64
	for _, e := range entries {
		size += int64(len(e.Data))
	}
	u := &unpacker{ctx: context.Background(), lim: Limits{}.withDefaults(size), root: root}
	s := &sink{u: u, parent: root}
	for _, e := range entries {
		var err error
		switch {
		case e.Mode.IsDir():
			err = s.dir(e.Path, e.Mode)
		case e.Mode&fs.ModeSymlink != 0:
			err = s.symlink(e.Path, string(e.Data))
		case e.Mode.IsRegular():
			err = s.file(e.Path, e.Mode, e.Data)
		default:
			err = s.special(e.Path, e.Mode&fs.ModeType|perm(e.Mode))
		}
		if err != nil {
			return nil, fmt.Errorf("firmware: entry %q: %w", e.Path, err)
		}
	}
	return &FS{root: root}, nil
}
