package inspect_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

// file is one entry of a test root file system.
type file struct {
	path string
	mode fs.FileMode
	data []byte
}

func dir(p string) file { return file{p, fs.ModeDir | 0o755, nil} }
func reg(p string, mode fs.FileMode, data string) file {
	return file{p, mode, []byte(data)}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newc writes a cpio archive (newc).
func newc(files []file) []byte {
	var b bytes.Buffer
	add := func(ino int, name string, mode uint32, data []byte) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for i, f := range files {
		m := uint32(f.mode.Perm())
		if f.mode&fs.ModeSetuid != 0 {
			m |= 0o4000
		}
		switch {
		case f.mode.IsDir():
			m |= 0o040000
		case f.mode&fs.ModeSymlink != 0:
			m |= 0o120000
		default:
			m |= 0o100000
		}
		add(i+1, f.path, m, f.data)
	}
	add(0, "TRAILER!!!", 0, nil)
	return b.Bytes()
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// uimage wraps a gzip'd kernel in a U-Boot legacy header.
func uimage(payload []byte) []byte {
	h := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(h, 0x27051956)
	be.PutUint32(h[12:], uint32(len(payload)))
	be.PutUint32(h[24:], crc32.ChecksumIEEE(payload))
	h[28], h[29], h[30], h[31] = 5, 5, 2, 1
	copy(h[32:], "MIPS OpenWrt Linux-4.14.180")
	be.PutUint32(h[4:], crc32.ChecksumIEEE(h))
	return append(h, payload...)
}

// rootfs packs files as xz squashfs when mksquashfs is installed, else as
// a gzip'd cpio; it returns the image and the format name.
func rootfs(t testing.TB, files []file, comp string) ([]byte, string) {
	t.Helper()
	tool, err := exec.LookPath("mksquashfs")
	if err != nil {
		t.Log("mksquashfs not installed (Debian package squashfs-tools): using a gzip'd cpio root file system")
		return gz(newc(files)), "gzip"
	}
	d := t.TempDir()
	for _, f := range files {
		p := filepath.Join(d, "root", f.path)
		switch {
		case f.mode.IsDir():
			os.MkdirAll(p, 0o755)
		case f.mode&fs.ModeSymlink != 0:
			os.Symlink(string(f.data), p)
		default:
			os.WriteFile(p, f.data, 0o644)
			os.Chmod(p, f.mode.Perm()|f.mode&(fs.ModeSetuid|fs.ModeSetgid))
		}
	}
	out := filepath.Join(d, "root.sqfs")
	if b, err := exec.Command(tool, filepath.Join(d, "root"), out, "-comp", comp, "-noappend", "-all-root", "-no-progress", "-quiet").CombinedOutput(); err != nil {
		t.Fatalf("mksquashfs: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, "squashfs"
}

// router builds a sysupgrade-style image: a uImage kernel padded to
// 64 KiB, then the root file system.
func router(t testing.TB, files []file) ([]byte, string) {
	kernel := append([]byte("\x00\x00Linux version 4.14.180 (builder@buildhost) (gcc version 7.3.0) #0 Sat May 16 18:32:20 2020\n\x00"), bytes.Repeat([]byte{0x42, 0}, 4096)...)
	k := uimage(gz(kernel))
	k = append(k, make([]byte, 0x10000-len(k))...)
	root, format := rootfs(t, files, "xz")
	return append(k, root...), "0x10000." + format
}

func weakKeyAndCert(t testing.TB) (key, cert []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "router.local"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour * 3650)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// busybox is a stand-in for BusyBox: a real MIPS ELF with its version
// string appended, as the real binary carries it in .rodata.
func busybox(t testing.TB, elf string) string {
	return string(fixture(t, elf)) + "\x00BusyBox v1.28.4 (2019-01-28 21:12:21 UTC) multi-call binary.\x00"
}

func planted(t testing.TB) []file {
	key, cert := weakKeyAndCert(t)
	return []file{
		dir("bin"), reg("bin/busybox", 0o755, busybox(t, "hardened-mipsel")),
		dir("etc"), dir("etc/init.d"), dir("etc/ssl"), dir("etc/ssl/private"), dir("etc/config"),
		reg("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/ash\n"),
		reg("etc/shadow", 0o600, "root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:18000:0:99999:7:::\n"), // admin
		reg("etc/init.d/rcS", 0o755, "#!/bin/sh\n/usr/sbin/telnetd -l /bin/login\n"),
		reg("etc/ssl/private/device.key", 0o600, string(key)),
		reg("etc/ssl/device.crt", 0o644, string(cert)),
		reg("etc/config/network", 0o666, "config interface 'lan'\n"),
		reg("etc/config/cloud", 0o644, "config cloud\n\toption url 'http://telemetry.vendor-cloud.test/ingest'\n"),
		dir("usr"), dir("usr/bin"), reg("usr/bin/app", 0o755, string(fixture(t, "unhardened-mipsel"))),
	}
}

func clean(t testing.TB) []file {
	return []file{
		dir("bin"), reg("bin/busybox", 0o755, busybox(t, "hardened-mipsel")),
		dir("etc"), dir("etc/init.d"),
		reg("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534::/:/bin/false\n"),
		reg("etc/shadow", 0o600, "root:$6$s4lt1234$Ihf89muVTo.OZBlqyjkMIrtaAWWTawpfxNnfmGwMxmtAb3/z5zLH5Kpgjdfo.nH59hWY2j8Yt.1rwEwIHqoyv1:18000:0:99999:7:::\n"),
		reg("etc/init.d/rcS", 0o755, "#!/bin/sh\ndropbear -s -g\n"),
		dir("sbin"), reg("sbin/sysupgrade", 0o755, "#!/bin/sh\n. /lib/upgrade/common.sh\n"),
		dir("lib"), dir("lib/upgrade"), reg("lib/upgrade/fwtool.sh", 0o644, "[ \"$REQUIRE_IMAGE_SIGNATURE\" = 1 ] && fwtool_check_signature\n"),
		dir("usr"), dir("usr/bin"), reg("usr/bin/app", 0o755, string(fixture(t, "hardened-mipsel"))),
	}
}

func scan(t testing.TB, img []byte) (*firmware.Image, inspect.Report) {
	t.Helper()
	im, err := firmware.Unpack(context.Background(), "router.bin", img, firmware.Limits{})
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	r, err := inspect.Run(context.Background(), im.FS, inspect.Default())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return im, r
}

func TestPlanted(t *testing.T) {
	img, root := router(t, planted(t))
	im, r := scan(t, img)
	want := []struct {
		rule, path, provision string
	}{
		{"credentials.default-password", "etc/shadow", "5.1-1"},
		{"credentials.weak-hash", "etc/shadow", "5.1-3"},
		{"crypto.private-key", "etc/ssl/private/device.key", "5.4-3"},
		{"crypto.short-private-key", "etc/ssl/private/device.key", "5.5-1"},
		{"crypto.cert-short-key", "etc/ssl/device.crt", "5.5-1"},
		{"crypto.cert-self-signed", "etc/ssl/device.crt", "5.5-1"},
		{"binary.no-canary", "usr/bin/app", "5.6-9"},
		{"binary.no-pie", "usr/bin/app", "5.6-9"},
		{"binary.no-relro", "usr/bin/app", "5.6-9"},
		{"binary.dangerous-functions", "usr/bin/app", "5.13-1"},
		{"surface.telnet", "etc/init.d/rcS", "5.6-1"},
		{"update.none", ".", "5.3-1"},
		{"data.world-writable", "etc/config/network", "5.6-7"},
		{"network.cleartext-endpoint", "etc/config/cloud", "5.5-1"},
	}
	for _, w := range want {
		p := w.path
		if p != "." {
			p = root + "/" + p
		}
		found := false
		for _, f := range r.Findings {
			if f.Rule == w.rule && f.Path == p && slices.Contains(f.Provisions, w.provision) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s at %s bearing on %s", w.rule, p, w.provision)
		}
	}
	comps := map[string]string{}
	for _, c := range r.Components {
		comps[c.Name] = c.Version + " " + c.CPE
	}
	for name, v := range map[string]string{
		"busybox": "1.28.4 cpe:2.3:a:busybox:busybox:1.28.4:*:*:*:*:*:*:*",
		"linux":   "4.14.180 cpe:2.3:o:linux:linux_kernel:4.14.180:*:*:*:*:*:*:*",
	} {
		if comps[name] != v {
			t.Errorf("component %s = %q, want %q", name, comps[name], v)
		}
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Evidence.Text, "admin") || strings.Contains(f.Evidence.Text, "PRIVATE KEY-----\nMII") {
			t.Errorf("%s: evidence %q leaks a secret", f.Rule, f.Evidence.Text)
		}
	}
	if !slices.Contains(im.Formats(), "uimage") {
		t.Errorf("formats %v lack uimage", im.Formats())
	}
}

func TestCleanImage(t *testing.T) {
	img, _ := router(t, clean(t))
	_, r := scan(t, img)
	for _, f := range r.Findings {
		if f.Severity != inspect.Severity("info") {
			t.Errorf("clean image: %s %s %s: %s (%s)", f.Severity, f.Rule, f.Path, f.Title, f.Evidence.Text)
		}
	}
}

// TestDefaultOnTree runs every family over the planted tree, unpacked
// already, with the test harness: each report keeps the shape the
// harness requires, and the harness merges them as Run does.
func TestDefaultOnTree(t *testing.T) {
	files := inspecttest.Files{}
	for _, f := range planted(t) {
		files[f.path] = inspecttest.File{Data: f.data, Mode: f.mode}
	}
	tree := inspecttest.New().WithFiles(files)
	got := tree.Test(t, inspect.Default()...)
	want, err := inspect.Run(t.Context(), tree.FS(t), inspect.Default())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("harness report (-Run +harness):\n%s", diff)
	}
	if len(got.Findings) < 14 || len(got.Components) == 0 {
		t.Errorf("%d findings and %d components, want the planted ones", len(got.Findings), len(got.Components))
	}
}
