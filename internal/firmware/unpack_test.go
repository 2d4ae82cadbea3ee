package firmware

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/ulikunitz/xz/lzma"
)

func unpackT(t testing.TB, name string, data []byte) *Image {
	t.Helper()
	im, err := Unpack(context.Background(), name, data, Limits{})
	if err != nil {
		t.Fatalf("Unpack(%s): %v", name, err)
	}
	return im
}

// checkTree asserts that dir in im holds sampleTree.
func checkTree(t *testing.T, im *Image, dir string) {
	t.Helper()
	if diff := cmp.Diff(want(sampleTree()), listing(t, im.FS, dir)); diff != "" {
		t.Errorf("listing of %s (-want +got):\n%s", dir, diff)
	}
	pre := dir + "/"
	if dir == "." {
		pre = ""
	}
	got, err := fs.ReadFile(im.FS, pre+"etc/passwd")
	if err != nil || string(got) != "root:x:0:0:root:/root:/bin/sh\n" {
		t.Errorf("ReadFile(etc/passwd) = %q, %v", got, err)
	}
	big, err := fs.ReadFile(im.FS, pre+"usr/lib/big.bin")
	if err != nil || string(big) != strings.Repeat("0123456789abcdef", 20000) {
		t.Errorf("ReadFile(usr/lib/big.bin) = %d bytes, %v", len(big), err)
	}
	// absolute and escaping links resolve inside this file system
	for _, l := range []string{"abslink", "escape"} {
		got, err := fs.ReadFile(im.FS, pre+l)
		if err != nil || !bytes.HasPrefix(got, []byte("root:x:0")) {
			t.Errorf("ReadFile(%s) = %q, %v; want the image's etc/passwd", l, got, err)
		}
	}
	st, err := im.FS.Stat(pre + "usr/sbin/passwd")
	if err != nil || st.Mode()&fs.ModeSetuid == 0 {
		t.Errorf("Stat(usr/sbin/passwd) = %v, %v; want setuid", st, err)
	}
	if err := fstest.TestFS(im.FS, pre+"etc/passwd", pre+"bin/busybox"); err != nil {
		t.Errorf("fstest: %v", err)
	}
}

func TestUnpackArchives(t *testing.T) {
	tree := sampleTree()
	cases := []struct {
		name    string
		data    func(t *testing.T) []byte
		formats []string
	}{
		{"newc", func(t *testing.T) []byte { return newc(tree) }, []string{"cpio"}},
		{"odc", func(t *testing.T) []byte { return odc(tree) }, []string{"cpio"}},
		{"tar", func(t *testing.T) []byte { return tarball(t, tree) }, []string{"tar"}},
		{"initramfs.cpio.gz", func(t *testing.T) []byte { return gz(newc(tree)) }, []string{"gzip", "cpio"}},
		{"tar.xz", func(t *testing.T) []byte { return xzc(t, tarball(t, tree)) }, []string{"xz", "tar"}},
		{"cpio.zst", func(t *testing.T) []byte { return zstdc(t, newc(tree)) }, []string{"zstd", "cpio"}},
		{"cpio.lzma", func(t *testing.T) []byte { return lzmac(t, newc(tree)) }, []string{"lzma", "cpio"}},
		{"cpio.bz2", func(t *testing.T) []byte { return filter(t, "bzip2", "bzip2", newc(tree), "-c") }, []string{"bzip2", "cpio"}},
		{"cpio.lz4-legacy", func(t *testing.T) []byte { return filter(t, "lz4", "lz4", newc(tree), "-l", "-c") }, []string{"lz4", "cpio"}},
		{"cpio.lz4", func(t *testing.T) []byte { return filter(t, "lz4", "lz4", newc(tree), "-c") }, []string{"lz4", "cpio"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := unpackT(t, c.name, c.data(t))
			if diff := cmp.Diff(c.formats, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			checkTree(t, im, ".")
		})
	}
}

func TestUnpackSquashfs(t *testing.T) {
	for _, comp := range []string{"gzip", "xz", "lzma", "lzo", "lz4", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			img := mksquashfs(t, sampleTree(), comp)
			im := unpackT(t, "root.sqfs", img)
			if diff := cmp.Diff([]string{"squashfs"}, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			if !strings.Contains(im.Parts[0].Info, comp) {
				t.Errorf("Info = %q, want %s", im.Parts[0].Info, comp)
			}
			checkTree(t, im, ".")
		})
	}
	t.Run("uncompressed-fragments", func(t *testing.T) {
		img := mksquashfs(t, sampleTree(), "gzip", "-noI", "-noD", "-noF", "-b", "4096")
		checkTree(t, unpackT(t, "root.sqfs", img), ".")
	})
	t.Run("no-fragments", func(t *testing.T) {
		img := mksquashfs(t, sampleTree(), "xz", "-no-fragments")
		checkTree(t, unpackT(t, "root.sqfs", img), ".")
	})
	// xz with a BCJ filter is not xzdec's: the general decoder takes it.
	t.Run("xz-bcj-x86", func(t *testing.T) {
		img := mksquashfs(t, sampleTree(), "xz", "-Xbcj", "x86")
		checkTree(t, unpackT(t, "root.sqfs", img), ".")
	})
}

// kernelBlob is a fake vmlinux starting with a version banner.
func kernelBlob() []byte {
	b := []byte("Linux version 4.14.180 (builder@buildhost) (gcc version 7.3.0) #0 Sat May 16 18:32:20 2020\n")
	return append(b, bytes.Repeat([]byte{0x42}, 4096)...)
}

func TestUnpackFirmware(t *testing.T) {
	tree := sampleTree()
	sq := func(t *testing.T) []byte { return mksquashfs(t, tree, "xz") }
	pad := func(b []byte, n int) []byte { return append(b, make([]byte, n-len(b))...) }
	cases := []struct {
		name    string
		data    func(t *testing.T) []byte
		rootfs  string // directory that must hold sampleTree
		formats []string
		kernel  string // Part path expected to hold the kernel banner
	}{
		{
			name: "sysupgrade",
			data: func(t *testing.T) []byte {
				k := uimage(2, 1, "MIPS OpenWrt Linux-4.14.180", gz(kernelBlob()))
				return append(pad(k, 0x10000), sq(t)...)
			},
			rootfs: "0x10000.squashfs", formats: []string{"uimage", "linux-kernel", "squashfs"}, kernel: "kernel",
		},
		{
			name: "trx",
			data: func(t *testing.T) []byte {
				return trx(gz(kernelBlob()), sq(t))
			},
			rootfs: "part1", formats: []string{"trx", "gzip", "linux-kernel", "squashfs"}, kernel: "part0",
		},
		{
			name: "uimage-multi",
			data: func(t *testing.T) []byte {
				k, r := kernelBlob(), gz(newc(tree))
				var p bytes.Buffer
				for _, n := range []int{len(k), len(r), 0} {
					p.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
				}
				p.Write(k)
				for p.Len()%4 != 0 {
					p.WriteByte(0)
				}
				p.Write(r)
				return uimage(4, 0, "multi", p.Bytes())
			},
			rootfs: "image-1", formats: []string{"uimage", "linux-kernel", "gzip", "cpio"}, kernel: "image-0",
		},
		{
			name: "uimage-lzma-initramfs",
			data: func(t *testing.T) []byte {
				// a kernel with an embedded gzip'd initramfs after its banner
				k := append(kernelBlob(), gz(newc(tree))...)
				return uimage(2, 3, "kernel", lzmac(t, k))
			},
			rootfs: fmt.Sprintf("kernel.extracted/%#x.gzip", len(kernelBlob())), formats: []string{"uimage", "linux-kernel", "gzip", "cpio"}, kernel: "kernel",
		},
		{
			name: "fit",
			data: func(t *testing.T) []byte {
				return fitImage(t, map[string][]byte{"kernel-1": gz(kernelBlob()), "ramdisk-1": gz(newc(tree))})
			},
			rootfs: "ramdisk-1", formats: []string{"fit", "linux-kernel", "gzip", "cpio"}, kernel: "kernel-1",
		},
		{
			name: "tar-of-images",
			data: func(t *testing.T) []byte {
				return tarball(t, []entry{
					{"sysupgrade-x", fs.ModeDir | 0o755, ""},
					{"sysupgrade-x/root", 0o644, string(sq(t))},
					{"sysupgrade-x/kernel", 0o644, string(uimage(2, 0, "k", kernelBlob()))},
				})
			},
			rootfs: "sysupgrade-x/root.extracted", formats: []string{"tar", "squashfs", "uimage", "linux-kernel"}, kernel: "sysupgrade-x/kernel.extracted/kernel",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := unpackT(t, c.name+".bin", c.data(t))
			if diff := cmp.Diff(c.formats, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s\nparts: %+v", diff, im.Parts)
			}
			checkTree(t, im, c.rootfs)
			var banner string
			for _, p := range im.Parts {
				if p.Format == "linux-kernel" && p.Path == c.kernel {
					banner = p.Info
				}
			}
			if !strings.HasPrefix(banner, "Linux version 4.14.180 ") {
				t.Errorf("kernel banner at %s = %q; parts %+v", c.kernel, banner, im.Parts)
			}
		})
	}
}

func TestUnpackErrors(t *testing.T) {
	tree := sampleTree()
	cases := []struct {
		name    string
		data    func(t *testing.T) []byte
		lim     Limits
		wantErr string // substring of the error
		isLimit bool
		has     string // a file that must still be there
	}{
		{
			name:    "truncated-cpio",
			data:    func(t *testing.T) []byte { b := newc(tree); return b[:len(b)-200] },
			wantErr: "unpack x: cpio at 0x0: entry at ",
			has:     "etc/passwd",
		},
		{
			name: "truncated-squashfs",
			data: func(t *testing.T) []byte {
				b := mksquashfs(t, tree, "gzip", "-noI", "-noD", "-noF", "-no-fragments")
				return b[:len(b)*2/3]
			},
			wantErr: "unpack x: squashfs at 0x0: image of",
		},
		{
			name: "bad-uimage-crc",
			data: func(t *testing.T) []byte {
				b := uimage(2, 1, "k", gz(newc(tree)))
				b[len(b)-10] ^= 0xff
				return b
			},
			wantErr: "unpack x: uimage at 0x0: payload checksum mismatch",
		},
		{
			name:    "bytes-limit",
			data:    func(t *testing.T) []byte { return gz(make([]byte, 10<<20)) },
			lim:     Limits{MaxBytes: 1 << 20},
			wantErr: "extracted bytes would exceed 1048576",
			isLimit: true,
		},
		{
			name:    "files-limit",
			data:    func(t *testing.T) []byte { return newc(manyFiles(2000)) },
			lim:     Limits{MaxFiles: 1000},
			wantErr: "more than 1000 files",
			isLimit: true,
		},
		{
			name: "depth-limit",
			data: func(t *testing.T) []byte {
				b := newc(tree)
				for range 5 {
					b = gz(b)
				}
				return b
			},
			lim:     Limits{MaxDepth: 3},
			wantErr: "nesting deeper than 3",
			isLimit: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, err := Unpack(context.Background(), "x", c.data(t), c.lim)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Unpack() error = %v, want it to contain %q", err, c.wantErr)
			}
			if c.isLimit != errors.Is(err, ErrLimit) {
				t.Errorf("errors.Is(%v, ErrLimit) = %v, want %v", err, !c.isLimit, c.isLimit)
			}
			if im == nil {
				t.Fatal("no image with the error")
			}
			if c.has != "" {
				if _, err := fs.Stat(im.FS, c.has); err != nil {
					t.Errorf("partial image lacks %s: %v", c.has, err)
				}
			}
		})
	}
}

func manyFiles(n int) []entry {
	out := []entry{{"d", fs.ModeDir | 0o755, ""}}
	for i := range n {
		out = append(out, entry{path: "d/f" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + itoa(i), mode: 0o644, data: "x"})
	}
	return out
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

func TestPathEscape(t *testing.T) {
	tree := []entry{
		{"../../../etc/evil", 0o644, "evil"},
		{"/abs/file", 0o644, "abs"},
		{"a/./b/../c", 0o644, "c"},
		{"loop1", fs.ModeSymlink | 0o777, "loop2"},
		{"loop2", fs.ModeSymlink | 0o777, "loop1"},
		{"up", fs.ModeSymlink | 0o777, "../../../../../../"},
	}
	for _, data := range [][]byte{newc(tree), odc(tree)} {
		im := unpackT(t, "evil.cpio", data)
		got := listing(t, im.FS, ".")
		wantList := []string{"a/", "a/b/", "a/b/c 1", "abs/", "abs/file 3", "etc/", "etc/evil 4",
			"loop1 L--------- -> loop2", "loop2 L--------- -> loop1", "up L--------- -> ../../../../../../"}
		if diff := cmp.Diff(wantList, got); diff != "" {
			t.Errorf("listing (-want +got):\n%s", diff)
		}
		if _, err := im.FS.Open("loop1"); err == nil || !strings.Contains(err.Error(), "too many levels") {
			t.Errorf("Open(loop1) error = %v, want a link loop", err)
		}
		// "up" resolves to the root of the image, never above it
		ents, err := fs.ReadDir(im.FS, "up")
		if err != nil || len(ents) != 6 {
			t.Errorf("ReadDir(up) = %d entries, %v; want the image root", len(ents), err)
		}
	}
}

func TestUnpackExt(t *testing.T) {
	cases := []struct {
		name string
		tool string
		pkg  string
		args func(root, img string) []string
		info string
	}{
		{"ext2-genext2fs", "genext2fs", "genext2fs", func(root, img string) []string { return []string{"-b", "4096", "-d", root, img} }, "ext2"},
		{"ext4", "mkfs.ext4", "e2fsprogs", func(root, img string) []string { return []string{"-q", "-F", "-d", root, img, "8M"} }, "ext4"},
		{"ext3", "mkfs.ext3", "e2fsprogs", func(root, img string) []string { return []string{"-q", "-F", "-d", root, img, "8M"} }, "ext3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			root, img := dir+"/root", dir+"/img"
			writeTree(t, root, sampleTree())
			runTool(t, c.pkg, c.tool, c.args(root, img)...)
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			im := unpackT(t, "rootfs.ext", data)
			if diff := cmp.Diff([]string{"ext"}, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			if im.Parts[0].Info != c.info {
				t.Errorf("Info = %q, want %q", im.Parts[0].Info, c.info)
			}
			checkTree(t, im, ".")
		})
	}
}

func TestUnpackSamples(t *testing.T) {
	cases := []struct {
		file    string
		formats []string
		listing []string
	}{
		{"squashfs.bin", []string{"squashfs"}, []string{"lsb-release 104"}},
		{"gzip.bin", []string{"gzip"}, []string{"gzip 104"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			im, err := Unpack(context.Background(), c.file, data, Limits{})
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if diff := cmp.Diff(c.formats, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.listing, listing(t, im.FS, ".")); diff != "" {
				t.Errorf("listing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnpackCramfs(t *testing.T) {
	t.Run("sample", func(t *testing.T) {
		data, err := os.ReadFile("testdata/cramfs.bin")
		if err != nil {
			t.Fatal(err)
		}
		im := unpackT(t, "cramfs.bin", data)
		if diff := cmp.Diff([]string{"cramfs"}, im.Formats()); diff != "" {
			t.Errorf("Formats() (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"lsb-release 104"}, listing(t, im.FS, ".")); diff != "" {
			t.Errorf("listing (-want +got):\n%s", diff)
		}
		got, _ := fs.ReadFile(im.FS, "lsb-release")
		if !bytes.HasPrefix(got, []byte("DISTRIB_ID=Ubuntu\n")) {
			t.Errorf("lsb-release = %q", got)
		}
	})
	for _, endian := range []string{"little", "big"} {
		t.Run(endian, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir+"/root", sampleTree())
			runTool(t, "util-linux", "mkfs.cramfs", "-N", endian, dir+"/root", dir+"/img")
			data, err := os.ReadFile(dir + "/img")
			if err != nil {
				t.Fatal(err)
			}
			im := unpackT(t, "root.cramfs", data)
			if im.Parts[0].Info != endian+"-endian" {
				t.Errorf("Info = %q", im.Parts[0].Info)
			}
			checkTree(t, im, ".")
		})
	}
}

func TestUnpackJFFS2(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		compr byte // a compressor the image must use
	}{
		{"le-zlib", []string{"-l"}, 6},
		{"be-zlib", []string{"-b"}, 6},
		{"le-rtime", []string{"-l", "-m", "priority", "-x", "zlib", "-x", "lzo"}, 2},
		{"le-none", []string{"-l", "-m", "none"}, 0},
		{"be-lzo", []string{"-b", "-X", "lzo", "-y", "40:lzo"}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir+"/root", sampleTree())
			runTool(t, "mtd-utils", "mkfs.jffs2", append([]string{"-r", dir + "/root", "-o", dir + "/img", "-e", "0x10000", "-n"}, c.args...)...)
			data, err := os.ReadFile(dir + "/img")
			if err != nil {
				t.Fatal(err)
			}
			if !jffs2Uses(t, data, c.compr) {
				t.Errorf("image has no node compressed with %d", c.compr)
			}
			im := unpackT(t, "root.jffs2", data)
			if diff := cmp.Diff([]string{"jffs2"}, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			checkTree(t, im, ".")
		})
	}
}

func jffs2Uses(t *testing.T, data []byte, compr byte) bool {
	u, _ := fuzzUnpacker()
	bo := binary.ByteOrder(binary.LittleEndian)
	if data[0] == 0x19 {
		bo = binary.BigEndian
	}
	j := &jffs2{u: u, bo: bo, dirents: map[[2]uint64]jffs2Dirent{}, inodes: map[uint32][]jffs2Data{}}
	if _, err := j.scan(data); err != nil {
		t.Fatal(err)
	}
	for _, ns := range j.inodes {
		for _, n := range ns {
			if n.compr == compr && n.dsize > 0 {
				return true
			}
		}
	}
	return false
}

// jffs2Node builds one little-endian node with valid CRCs.
func jffs2Node(typ uint16, body []byte, crcLen, crcAt int) []byte {
	le := binary.LittleEndian
	n := make([]byte, 12, 12+len(body))
	le.PutUint16(n, jffs2Magic)
	le.PutUint16(n[2:], typ)
	le.PutUint32(n[4:], uint32(12+len(body)))
	le.PutUint32(n[8:], jffs2CRC(n[:8]))
	n = append(n, body...)
	le.PutUint32(n[crcAt:], jffs2CRC(n[:crcLen]))
	for len(n)%4 != 0 {
		n = append(n, 0)
	}
	return n
}

func TestJFFS2LZMA(t *testing.T) {
	le := binary.LittleEndian
	content := bytes.Repeat([]byte("jffs2 lzma node "), 64)
	var c bytes.Buffer
	w, err := lzma.WriterConfig{Properties: &lzma.Properties{LC: 0, LP: 0, PB: 0}, DictCap: 0x2000, SizeInHeader: true, Size: int64(len(content))}.NewWriter(&c)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	w.Close()
	raw := c.Bytes()[13:] // the kernel stores the stream without its header
	name := "hello.txt"
	d := make([]byte, 28+len(name))
	le.PutUint32(d[0:], 1) // parent
	le.PutUint32(d[4:], 1) // version
	le.PutUint32(d[8:], 2) // inode
	d[16], d[17] = byte(len(name)), 8
	copy(d[28:], name)
	dirent := jffs2Node(jffs2NodeDirent, d, 32, 32)
	le.PutUint32(dirent[36:], jffs2CRC([]byte(name)))
	in := make([]byte, 56+len(raw))
	le.PutUint32(in[0:], 2)
	le.PutUint32(in[4:], 1)
	le.PutUint32(in[8:], 0o100644)
	le.PutUint32(in[16:], uint32(len(content)))
	le.PutUint32(in[36:], uint32(len(raw)))
	le.PutUint32(in[40:], uint32(len(content)))
	in[44] = 8 // lzma
	copy(in[56:], raw)
	inode := jffs2Node(jffs2NodeInode, in, 60, 64)
	im := unpackT(t, "lzma.jffs2", append(dirent, inode...))
	got, err := fs.ReadFile(im.FS, "hello.txt")
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("ReadFile(hello.txt) = %q, %v", got, err)
	}
}

// ubinize wraps volumes (name, file, static) into a UBI image.
func ubinize(t *testing.T, dir string, vols ...[3]string) []byte {
	t.Helper()
	var ini strings.Builder
	for i, v := range vols {
		typ := "dynamic"
		if v[2] == "static" {
			typ = "static"
		}
		fmt.Fprintf(&ini, "[%s]\nmode=ubi\nimage=%s\nvol_id=%d\nvol_type=%s\nvol_name=%s\n\n", v[0], v[1], i, typ, v[0])
	}
	if err := os.WriteFile(dir+"/ubi.ini", []byte(ini.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, "mtd-utils", "ubinize", "-o", dir+"/img.ubi", "-m", "2048", "-p", "128KiB", "-s", "2048", dir+"/ubi.ini")
	b, err := os.ReadFile(dir + "/img.ubi")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnpackUBI(t *testing.T) {
	for _, comp := range []string{"lzo", "zlib", "zstd", "none"} {
		t.Run("ubifs-"+comp, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir+"/root", sampleTree())
			runTool(t, "mtd-utils", "mkfs.ubifs", "-r", dir+"/root", "-m", "2048", "-e", "126976", "-c", "256", "-x", comp, "-o", dir+"/root.ubifs")
			img := ubinize(t, dir, [3]string{"rootfs", dir + "/root.ubifs", "dynamic"})
			im := unpackT(t, "root.ubi", img)
			if diff := cmp.Diff([]string{"ubi", "ubifs"}, im.Formats()); diff != "" {
				t.Errorf("Formats() (-want +got):\n%s", diff)
			}
			checkTree(t, im, "rootfs")
		})
	}
	t.Run("squashfs-and-ubifs", func(t *testing.T) {
		dir := t.TempDir()
		sq := mksquashfs(t, sampleTree(), "xz")
		if err := os.WriteFile(dir+"/root.sqfs", sq, 0o644); err != nil {
			t.Fatal(err)
		}
		writeTree(t, dir+"/data", []entry{{"etc", fs.ModeDir | 0o755, ""}, {"etc/config", 0o644, "overlay"}})
		runTool(t, "mtd-utils", "mkfs.ubifs", "-r", dir+"/data", "-m", "2048", "-e", "126976", "-c", "64", "-o", dir+"/data.ubifs")
		img := ubinize(t, dir, [3]string{"rootfs", dir + "/root.sqfs", "static"}, [3]string{"rootfs_data", dir + "/data.ubifs", "dynamic"})
		im := unpackT(t, "sysupgrade.ubi", img)
		checkTree(t, im, "rootfs")
		if got, err := fs.ReadFile(im.FS, "rootfs_data/etc/config"); err != nil || string(got) != "overlay" {
			t.Errorf("rootfs_data/etc/config = %q, %v", got, err)
		}
	})
}

// filter pipes data through an external compressor, or skips.
func filter(t *testing.T, pkg, name string, data []byte, args ...string) []byte {
	t.Helper()
	tool, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (Debian package %s)", name, pkg)
	}
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func TestHostile(t *testing.T) {
	t.Run("sparse-squashfs-bomb", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(dir+"/root", 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(dir + "/root/huge")
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(1 << 30) // 1 GiB of holes, a few bytes in the image
		f.Close()
		runTool(t, "squashfs-tools", "mksquashfs", dir+"/root", dir+"/img", "-noappend", "-no-progress", "-quiet")
		data, _ := os.ReadFile(dir + "/img")
		if len(data) > 1<<20 {
			t.Fatalf("image is %d bytes", len(data))
		}
		_, err = Unpack(context.Background(), "bomb.sqfs", data, Limits{})
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "squashfs at 0x0") {
			t.Errorf("Unpack() error = %v, want a squashfs limit error", err)
		}
	})
	t.Run("gzip-bomb", func(t *testing.T) {
		// 64 MiB of zeros compress to 64 KiB; the default limit is 64 MiB
		data := gz(make([]byte, 65<<20))
		_, err := Unpack(context.Background(), "bomb.gz", data, Limits{})
		if !errors.Is(err, ErrLimit) {
			t.Errorf("Unpack() error = %v, want a limit error", err)
		}
	})
	t.Run("many-files", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds a 60 MB archive")
		}
		tree := make([]entry, 0, DefaultMaxFiles+10)
		for i := range DefaultMaxFiles + 10 {
			tree = append(tree, entry{path: "f" + itoa(i), mode: 0o644})
		}
		_, err := Unpack(context.Background(), "many.cpio", newc(tree), Limits{})
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than 500000 files") {
			t.Errorf("Unpack() error = %v, want a file-count limit error", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Unpack(ctx, "x.cpio", newc(sampleTree()), Limits{})
		if err == nil || !strings.Contains(err.Error(), "time limit") {
			t.Errorf("Unpack() error = %v, want a time limit error", err)
		}
	})
}

func TestUnpackBareFile(t *testing.T) {
	data := append([]byte("\x7fELF\x02\x01\x01\x00"), kernelBlob()...)
	im := unpackT(t, "vmlinux", data)
	if diff := cmp.Diff([]string{"vmlinux " + itoa(len(data))}, listing(t, im.FS, ".")); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"linux-kernel"}, im.Formats()); diff != "" {
		t.Errorf("Formats() (-want +got):\n%s", diff)
	}
	if im.Parts[0].Path != "vmlinux" || len(im.SHA256) != 64 {
		t.Errorf("part %+v, sha256 %q", im.Parts[0], im.SHA256)
	}
}

// TestSquashfsBlocks checks that a file's blocks, inflated on all cores,
// land in order, and that a file with a corrupt block keeps the blocks
// before it and names the block.
func TestSquashfsBlocks(t *testing.T) {
	var big strings.Builder
	for i := 0; big.Len() < 40*4096+1000; i++ {
		fmt.Fprintf(&big, "line %d of a large library %x\n", i, i*i*7919)
	}
	tree := []entry{{"lib", fs.ModeDir | 0o755, ""}, {"lib/big", 0o644, big.String()}}
	img := mksquashfs(t, tree, "xz", "-b", "4096", "-no-fragments")
	got, err := fs.ReadFile(unpackT(t, "root.sqfs", img).FS, "lib/big")
	if err != nil || string(got) != big.String() {
		t.Fatalf("big: %v, %d bytes, equal %v", err, len(got), string(got) == big.String())
	}
	// Each xz block starts with the stream magic; the file's data blocks
	// come first in the image. Damage the third.
	magic := []byte{0xFD, '7', 'z', 'X', 'Z', 0}
	at := 0
	for range 3 {
		i := bytes.Index(img[at+1:], magic)
		if i < 0 {
			t.Fatal("fewer than three xz blocks")
		}
		at += 1 + i
	}
	bad := bytes.Clone(img)
	bad[at+40] ^= 0x55
	im, err := Unpack(context.Background(), "x", bad, Limits{})
	want := fmt.Sprintf("data block 2 at %d", at)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want it to name %q", err, want)
	}
	got, rerr := fs.ReadFile(im.FS, "lib/big")
	if rerr != nil || string(got) != big.String()[:2*4096] {
		t.Errorf("big after a bad block 2: %v, %d bytes, want the first %d", rerr, len(got), 2*4096)
	}
}
