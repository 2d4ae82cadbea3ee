package firmware

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"testing"
	"time"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxBytes: 32 << 20, MaxFiles: 5000, MaxDepth: 4, Timeout: 5 * time.Second}

func fuzzUnpacker() (*unpacker, *node) {
	root := &node{mode: fs.ModeDir | 0o755, children: map[string]*node{}}
	root.root = root
	lim := fuzzLimits.withDefaults(0)
	return &unpacker{ctx: context.Background(), name: "fuzz", lim: lim, root: root, formats: formats()}, root
}

// walkAll reads every file of the result, as an analyser would.
func walkAll(t *testing.T, im *Image) {
	fs.WalkDir(im.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fs.ReadFile(im.FS, p)
		}
		return nil
	})
}

func seedFile(f *testing.F, name string) {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

func FuzzUnpack(f *testing.F) {
	tree := sampleTree()[:8]
	f.Add(newc(tree))
	f.Add(gz(odc(tree)))
	f.Add(uimage(2, 1, "k", gz(kernelBlob())))
	f.Add(trx(gz(newc(tree)), newc(tree)))
	f.Add(fitImage(f, map[string][]byte{"kernel": gz(kernelBlob())}))
	seedFile(f, "squashfs.bin")
	seedFile(f, "cramfs.bin")
	seedFile(f, "gzip.bin")
	f.Fuzz(func(t *testing.T, data []byte) {
		im, _ := Unpack(context.Background(), "fuzz", data, fuzzLimits)
		if im == nil {
			t.Fatal("nil image")
		}
		walkAll(t, im)
	})
}

// fuzzTree runs one tree parser on arbitrary bytes.
func fuzzTree(f *testing.F, parse func(*unpacker, []byte, *sink) (int64, string, error)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		u, root := fuzzUnpacker()
		s := &sink{u: u, parent: root}
		n, _, _ := parse(u, data, s)
		if n < 0 || n > int64(len(data)) {
			t.Fatalf("spanned %d of %d bytes", n, len(data))
		}
		walkAll(t, &Image{FS: &FS{root: root}})
	})
}

func fuzzSplit(f *testing.F, split func(*unpacker, []byte) ([]part, int64, string, error)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		u, _ := fuzzUnpacker()
		_, n, _, _ := split(u, data)
		if n < 0 || n > int64(len(data)) {
			t.Fatalf("spanned %d of %d bytes", n, len(data))
		}
	})
}

func FuzzCpio(f *testing.F) {
	f.Add(newc(sampleTree()[:6]))
	f.Add(odc(sampleTree()[:6]))
	fuzzTree(f, readCpio)
}

func FuzzTar(f *testing.F) {
	f.Add(tarball(f, sampleTree()[:6]))
	fuzzTree(f, readTar)
}

func FuzzSquashfs(f *testing.F) {
	seedFile(f, "squashfs.bin")
	for _, c := range []string{"gzip", "xz", "lzo", "lz4", "zstd"} {
		if _, err := os.Stat("/usr/bin/mksquashfs"); err == nil {
			f.Add(mksquashfs(f, sampleTree()[:8], c, "-b", "4096"))
		}
	}
	fuzzTree(f, readSquashfs)
}

func FuzzUImage(f *testing.F) {
	f.Add(uimage(2, 1, "k", gz(kernelBlob())))
	f.Add(uimage(4, 0, "multi", append([]byte{0, 0, 0, 4, 0, 0, 0, 0}, "abcd"...)))
	fuzzSplit(f, splitUImage)
}

func FuzzTRX(f *testing.F) {
	f.Add(trx([]byte("kernel"), []byte("rootfs")))
	fuzzSplit(f, splitTRX)
}

func FuzzFIT(f *testing.F) {
	f.Add(fitImage(f, map[string][]byte{"kernel": gz(kernelBlob()), "fdt": []byte("dtb")}))
	fuzzSplit(f, splitFIT)
}

func FuzzExt(f *testing.F) {
	if _, err := exec.LookPath("genext2fs"); err == nil {
		dir := f.TempDir()
		writeTree(f, dir+"/root", sampleTree()[:8])
		if exec.Command("genext2fs", "-b", "64", "-d", dir+"/root", dir+"/img").Run() == nil {
			if b, err := os.ReadFile(dir + "/img"); err == nil {
				f.Add(b)
			}
		}
	}
	fuzzTree(f, readExt)
}

func FuzzCramfs(f *testing.F) {
	seedFile(f, "cramfs.bin")
	fuzzTree(f, readCramfs)
}

func FuzzJFFS2(f *testing.F) {
	if _, err := exec.LookPath("mkfs.jffs2"); err == nil {
		dir := f.TempDir()
		writeTree(f, dir+"/root", sampleTree()[:8])
		for _, endian := range []string{"-l", "-b"} {
			if exec.Command("mkfs.jffs2", "-r", dir+"/root", "-o", dir+"/img", "-e", "0x1000", "-n", endian).Run() == nil {
				if b, err := os.ReadFile(dir + "/img"); err == nil {
					f.Add(b)
				}
			}
		}
	}
	fuzzTree(f, readJFFS2)
}

// smallUBI builds small UBIFS and UBI images for seeds, when the tools are
// installed.
func smallUBI(f *testing.F) (ubifs, ubi []byte) {
	if _, err := exec.LookPath("mkfs.ubifs"); err != nil {
		return nil, nil
	}
	dir := f.TempDir()
	writeTree(f, dir+"/root", sampleTree()[:8])
	if exec.Command("mkfs.ubifs", "-r", dir+"/root", "-m", "512", "-e", "15360", "-c", "32", "-o", dir+"/r.ubifs").Run() != nil {
		return nil, nil
	}
	ubifs, _ = os.ReadFile(dir + "/r.ubifs")
	os.WriteFile(dir+"/ubi.ini", []byte("[r]\nmode=ubi\nimage="+dir+"/r.ubifs\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\n"), 0o644)
	if exec.Command("ubinize", "-o", dir+"/r.ubi", "-m", "512", "-p", "16KiB", "-s", "512", dir+"/ubi.ini").Run() == nil {
		ubi, _ = os.ReadFile(dir + "/r.ubi")
	}
	return ubifs, ubi
}

func FuzzUBIFS(f *testing.F) {
	if b, _ := smallUBI(f); b != nil {
		f.Add(b)
	}
	fuzzTree(f, readUBIFS)
}

func FuzzUBI(f *testing.F) {
	if _, b := smallUBI(f); b != nil {
		f.Add(b)
	}
	fuzzSplit(f, splitUBI)
}
