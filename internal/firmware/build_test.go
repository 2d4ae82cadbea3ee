package firmware

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// entry is one item of a test tree.
type entry struct {
	path string
	mode fs.FileMode // fs.ModeDir, fs.ModeSymlink or 0 plus permissions
	data string      // file contents or link target
}

// sampleTree is a small busybox-like root file system.
func sampleTree() []entry {
	return []entry{
		{"bin", fs.ModeDir | 0o755, ""},
		{"bin/busybox", 0o755, "\x7fELF fake busybox BusyBox v1.28.4 (2019-01-01)" + strings.Repeat("x", 5000)},
		{"bin/sh", fs.ModeSymlink | 0o777, "busybox"},
		{"etc", fs.ModeDir | 0o755, ""},
		{"etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\n"},
		{"etc/shadow", 0o600, "root:$1$abcdefgh$3UvdHtyOK7Wr0/KrHu6Wn.:0:0:99999:7:::\n"},
		{"etc/init.d", fs.ModeDir | 0o755, ""},
		{"etc/init.d/rcS", 0o755, "#!/bin/sh\ntelnetd -l /bin/sh\n"},
		{"usr", fs.ModeDir | 0o755, ""},
		{"usr/sbin", fs.ModeDir | 0o755, ""},
		{"usr/sbin/passwd", fs.ModeSetuid | 0o755, "suid"},
		{"usr/lib", fs.ModeDir | 0o755, ""},
		{"usr/lib/big.bin", 0o644, strings.Repeat("0123456789abcdef", 20000)},
		{"tmp", fs.ModeDir | fs.ModeSticky | 0o777, ""},
		{"abslink", fs.ModeSymlink | 0o777, "/etc/passwd"},
		{"escape", fs.ModeSymlink | 0o777, "../../../../etc/passwd"},
	}
}

// writeTree creates the tree under dir.
func writeTree(t testing.TB, dir string, tree []entry) {
	t.Helper()
	for _, e := range tree {
		p := filepath.Join(dir, e.path)
		var err error
		switch {
		case e.mode&fs.ModeDir != 0:
			err = os.MkdirAll(p, 0o755)
		case e.mode&fs.ModeSymlink != 0:
			err = os.Symlink(e.data, p)
		default:
			err = os.WriteFile(p, []byte(e.data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// chmod after writing so that read-only directories do not block writes
	for i := len(tree) - 1; i >= 0; i-- {
		e := tree[i]
		if e.mode&fs.ModeSymlink == 0 {
			if err := os.Chmod(filepath.Join(dir, e.path), osMode(e.mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func osMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

func unixBits(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	switch {
	case m&fs.ModeDir != 0:
		v |= 0o040000
	case m&fs.ModeSymlink != 0:
		v |= 0o120000
	default:
		v |= 0o100000
	}
	return v
}

// newc builds a cpio archive in the newc format.
func newc(tree []entry) []byte {
	var b bytes.Buffer
	add := func(ino int, name string, mode uint32, data string) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name)
		b.WriteByte(0)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.WriteString(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for i, e := range tree {
		add(i+1, e.path, unixBits(e.mode), e.data)
	}
	add(0, "TRAILER!!!", 0, "")
	return b.Bytes()
}

// odc builds a cpio archive in the portable odc format.
func odc(tree []entry) []byte {
	var b bytes.Buffer
	add := func(ino int, name string, mode uint32, data string) {
		fmt.Fprintf(&b, "070707%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o", 0, ino, mode, 0, 0, 1, 0, 0, len(name)+1, len(data))
		b.WriteString(name)
		b.WriteByte(0)
		b.WriteString(data)
	}
	for i, e := range tree {
		add(i+1, e.path, unixBits(e.mode), e.data)
	}
	add(0, "TRAILER!!!", 0, "")
	return b.Bytes()
}

func tarball(t testing.TB, tree []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, e := range tree {
		h := &tar.Header{Name: e.path, Mode: int64(unixBits(e.mode) & 0o7777), Format: tar.FormatUSTAR}
		switch {
		case e.mode&fs.ModeDir != 0:
			h.Typeflag = tar.TypeDir
		case e.mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.data
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			w.Write([]byte(e.data))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func xzc(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func lzmac(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := lzma.WriterConfig{DictCap: 1 << 20, SizeInHeader: true, Size: int64(len(data))}.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func zstdc(t testing.TB, data []byte) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.EncodeAll(data, nil)
}

// uimage builds a U-Boot legacy image around payload.
func uimage(typ, comp byte, name string, payload []byte) []byte {
	h := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(h, 0x27051956)
	be.PutUint32(h[12:], uint32(len(payload)))
	be.PutUint32(h[16:], 0x80000000)
	be.PutUint32(h[20:], 0x80000000)
	be.PutUint32(h[24:], crc32.ChecksumIEEE(payload))
	h[28], h[29], h[30], h[31] = 5, 5, typ, comp // linux, mips
	copy(h[32:], name)
	be.PutUint32(h[4:], crc32.ChecksumIEEE(h))
	return append(h, payload...)
}

// trx builds a TRX v1 image with the given partitions.
func trx(parts ...[]byte) []byte {
	le := binary.LittleEndian
	h := make([]byte, 28)
	copy(h, "HDR0")
	le.PutUint16(h[14:], 1)
	body := []byte{}
	for i, p := range parts {
		le.PutUint32(h[16+4*i:], uint32(28+len(body)))
		body = append(body, p...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	img := append(h, body...)
	le.PutUint32(img[4:], uint32(len(img)))
	le.PutUint32(img[8:], ^crc32.ChecksumIEEE(img[12:]))
	return img
}

// mksquashfs builds a squashfs image with the external tool, or skips.
func mksquashfs(t testing.TB, tree []entry, comp string, extra ...string) []byte {
	t.Helper()
	tool, err := exec.LookPath("mksquashfs")
	if err != nil {
		t.Skip("mksquashfs not installed (Debian package squashfs-tools)")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	writeTree(t, root, tree)
	out := filepath.Join(dir, "img.sqfs")
	args := append([]string{root, out, "-comp", comp, "-noappend", "-all-root", "-no-progress", "-quiet"}, extra...)
	if b, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		if strings.Contains(string(b), "not supported") || strings.Contains(string(b), "Unrecognised") || strings.Contains(string(b), "Compressors available") {
			t.Skipf("mksquashfs lacks %s: %s", comp, firstLine(b))
		}
		t.Fatalf("mksquashfs: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

// runTool runs an external tool or skips when it is missing.
func runTool(t testing.TB, pkg, name string, args ...string) {
	t.Helper()
	tool, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s)", name, pkg)
	}
	if b, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, b)
	}
}

// listing renders an FS as sorted "path mode [-> target | size]" lines.
func listing(t testing.TB, fsys *FS, dir string) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		info, err := fsys.Lstat(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, dir), "/")
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			tgt, _ := fsys.ReadLink(p)
			out = append(out, fmt.Sprintf("%s %v -> %s", rel, info.Mode().Type(), tgt))
		case info.IsDir():
			out = append(out, rel+"/")
		default:
			out = append(out, fmt.Sprintf("%s %d", rel, info.Size()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// want renders a tree the way listing does.
func want(tree []entry) []string {
	var out []string
	for _, e := range tree {
		switch {
		case e.mode&fs.ModeSymlink != 0:
			out = append(out, fmt.Sprintf("%s %v -> %s", e.path, fs.ModeSymlink, e.data))
		case e.mode&fs.ModeDir != 0:
			out = append(out, e.path+"/")
		default:
			out = append(out, fmt.Sprintf("%s %d", e.path, len(e.data)))
		}
	}
	sort.Strings(out)
	return out
}

// fdtWriter writes a flattened device tree.
type fdtWriter struct {
	st, strs bytes.Buffer
	names    map[string]int
}

func (w *fdtWriter) u32(v uint32) { binary.Write(&w.st, binary.BigEndian, v) }
func (w *fdtWriter) pad() {
	for w.st.Len()%4 != 0 {
		w.st.WriteByte(0)
	}
}
func (w *fdtWriter) begin(name string) {
	w.u32(1)
	w.st.WriteString(name)
	w.st.WriteByte(0)
	w.pad()
}
func (w *fdtWriter) end() { w.u32(2) }
func (w *fdtWriter) prop(name string, v []byte) {
	if w.names == nil {
		w.names = map[string]int{}
	}
	off, ok := w.names[name]
	if !ok {
		off = w.strs.Len()
		w.names[name] = off
		w.strs.WriteString(name)
		w.strs.WriteByte(0)
	}
	w.u32(3)
	w.u32(uint32(len(v)))
	w.u32(uint32(off))
	w.st.Write(v)
	w.pad()
}
func (w *fdtWriter) bytes() []byte {
	w.u32(9)
	st, strs := w.st.Bytes(), w.strs.Bytes()
	h := make([]byte, 40+16)
	be := binary.BigEndian
	be.PutUint32(h, 0xd00dfeed)
	be.PutUint32(h[4:], uint32(len(h)+len(st)+len(strs)))
	be.PutUint32(h[8:], uint32(len(h)))
	be.PutUint32(h[12:], uint32(len(h)+len(st)))
	be.PutUint32(h[16:], 40)
	be.PutUint32(h[20:], 17)
	be.PutUint32(h[24:], 16)
	be.PutUint32(h[32:], uint32(len(strs)))
	be.PutUint32(h[36:], uint32(len(st)))
	return append(append(h, st...), strs...)
}

// fitImage builds a FIT image with one image node per entry; names
// starting with "kernel" are marked gzip-compressed.
func fitImage(t testing.TB, images map[string][]byte) []byte {
	var w fdtWriter
	w.begin("")
	w.prop("description", []byte("test FIT\x00"))
	w.begin("images")
	names := make([]string, 0, len(images))
	for n := range images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.begin(n)
		w.prop("data", images[n])
		if strings.HasPrefix(n, "kernel") {
			w.prop("type", []byte("kernel\x00"))
			w.prop("compression", []byte("gzip\x00"))
		} else {
			w.prop("compression", []byte("none\x00"))
		}
		w.end()
	}
	w.end()
	w.begin("configurations")
	w.end()
	w.end()
	return w.bytes()
}
