package firmware

import (
	"errors"
	"io/fs"
)

// sink receives the entries of one file system or archive. Its base
// directory is made on the first entry, so a false magic hit leaves no
// trace; it is the root that absolute symbolic links inside resolve to.
type sink struct {
	u      *unpacker
	parent *node
	elems  []string // base is parent/elems...; parent itself when empty
	base   *node
	nested []nestedFile
}

// nestedFile is a file whose content starts with a known format, to be
// unpacked once the tree holding it is complete.
type nestedFile struct {
	dir  *node
	name string
	data []byte
}

var errEmptyName = errors.New("entry without a name")

func (s *sink) ensure() (*node, error) {
	if s.base != nil {
		return s.base, nil
	}
	if len(s.elems) == 0 {
		s.base = s.parent
		return s.base, nil
	}
	dir, err := s.u.mkdirs(s.parent, s.elems[:len(s.elems)-1])
	if err != nil {
		return nil, err
	}
	name := safeName(s.elems[len(s.elems)-1])
	if ex, ok := dir.children[name]; ok && ex.isDir() {
		s.base = ex
		return ex, nil
	}
	if err := s.u.count(); err != nil {
		return nil, err
	}
	b := &node{name: name, mode: fs.ModeDir | 0o755, children: map[string]*node{}, parent: dir}
	b.root = b
	dir.children[name] = b
	s.base = b
	return b, nil
}

// place finds or makes the directory holding p and returns it with p's
// last element. Existing non-directories on the way are replaced, as
// extracting an archive would.
func (s *sink) place(p string) (*node, string, error) {
	base, err := s.ensure()
	if err != nil {
		return nil, "", err
	}
	elems := cleanPath(p)
	if len(elems) == 0 {
		return nil, "", errEmptyName
	}
	cur := base
	for _, e := range elems[:len(elems)-1] {
		next, ok := cur.children[e]
		if !ok || !next.isDir() {
			if err := s.u.count(); err != nil {
				return nil, "", err
			}
			next = &node{name: e, mode: fs.ModeDir | 0o755, children: map[string]*node{}, parent: cur, root: base}
			cur.children[e] = next
		}
		cur = next
	}
	return cur, elems[len(elems)-1], nil
}

// perm keeps the permission and special bits of a mode.
func perm(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// unixMode converts st_mode permission bits to fs.FileMode bits.
func unixMode(m uint32) fs.FileMode {
	out := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// dir makes the directory p (the root when p names no element).
func (s *sink) dir(p string, mode fs.FileMode) error {
	if len(cleanPath(p)) == 0 {
		b, err := s.ensure()
		if err == nil && s.base != s.parent {
			b.mode = fs.ModeDir | perm(mode)
		}
		return err
	}
	d, name, err := s.place(p)
	if err != nil {
		return err
	}
	if ex, ok := d.children[name]; ok && ex.isDir() {
		ex.mode = fs.ModeDir | perm(mode)
		return nil
	}
	if err := s.u.count(); err != nil {
		return err
	}
	d.children[name] = &node{name: name, mode: fs.ModeDir | perm(mode), children: map[string]*node{}, parent: d, root: s.base}
	return nil
}

// file adds the regular file p. The data slice is kept, not copied.
func (s *sink) file(p string, mode fs.FileMode, data []byte) error {
	d, name, err := s.place(p)
	if err != nil {
		return err
	}
	if ex, ok := d.children[name]; ok && ex.isDir() {
		return nil // a directory wins over a later file of the same name
	}
	if err := s.u.count(); err != nil {
		return err
	}
	if err := s.u.charge(int64(len(data))); err != nil {
		return err
	}
	d.children[name] = &node{name: name, mode: perm(mode), data: data, parent: d, root: s.base}
	if s.u.nestable(data) {
		s.nested = append(s.nested, nestedFile{dir: d, name: name, data: data})
	}
	return nil
}

// special adds a device, FIFO or socket as an empty entry of that type.
func (s *sink) special(p string, mode fs.FileMode) error {
	d, name, err := s.place(p)
	if err != nil {
		return err
	}
	if ex, ok := d.children[name]; ok && ex.isDir() {
		return nil
	}
	if err := s.u.count(); err != nil {
		return err
	}
	d.children[name] = &node{name: name, mode: mode, parent: d, root: s.base}
	return nil
}

// symlink adds a symbolic link. Its target is kept as stored; FS resolves
// it inside this sink's root.
func (s *sink) symlink(p, target string) error {
	d, name, err := s.place(p)
	if err != nil {
		return err
	}
	if ex, ok := d.children[name]; ok && ex.isDir() {
		return nil
	}
	if err := s.u.count(); err != nil {
		return err
	}
	if len(target) > 4096 {
		target = target[:4096]
	}
	d.children[name] = &node{name: name, mode: fs.ModeSymlink | 0o777, target: target, parent: d, root: s.base}
	return nil
}

// link adds a hard link to an earlier regular file, sharing its data.
func (s *sink) link(p, target string) error {
	base, err := s.ensure()
	if err != nil {
		return err
	}
	var t *node = base
	for _, e := range cleanPath(target) {
		if t == nil || !t.isDir() {
			t = nil
			break
		}
		t = t.children[e]
	}
	if t == nil || !t.mode.IsRegular() {
		return s.file(p, 0o644, nil)
	}
	d, name, err := s.place(p)
	if err != nil {
		return err
	}
	if ex, ok := d.children[name]; ok && ex.isDir() {
		return nil
	}
	if err := s.u.count(); err != nil {
		return err
	}
	d.children[name] = &node{name: name, mode: t.mode, data: t.data, parent: d, root: s.base}
	return nil
}
