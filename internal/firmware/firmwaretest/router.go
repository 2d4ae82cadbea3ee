package firmwaretest

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
)

// Real MIPS programs and a weak key pair, so that a generated image reads
// like a router's (see testdata/README.md for how each was made).
var (
	//go:embed testdata/hardened-mipsel
	hardenedELF []byte
	//go:embed testdata/unhardened-mipsel
	unhardenedELF []byte
	//go:embed testdata/weak.key
	weakKey []byte
	//go:embed testdata/weak.crt
	weakCert []byte
)

// RouterFiles is the root file system of a small home router with the
// problems real ones have: root's password is "admin" (MD5-crypt), telnetd
// starts at boot, a 1024-bit RSA key with a self-signed SHA-1
// certificate, an unhardened program calling strcpy and system, no update
// mechanism, a world-writable configuration file, a cleartext cloud
// endpoint, and old BusyBox, Dropbear, dnsmasq and OpenSSL.
func RouterFiles() []File {
	dir := func(p string) File { return File{p, fs.ModeDir | 0o755, nil} }
	prog := func(elf []byte, version string) []byte {
		return append(append(bytes.Clone(elf), 0), version+"\x00"...)
	}
	return []File{
		dir("bin"), dir("etc"), dir("etc/init.d"), dir("etc/config"), dir("etc/ssl"), dir("etc/ssl/private"),
		dir("usr"), dir("usr/bin"), dir("usr/sbin"), dir("usr/lib"), dir("www"),
		{"bin/busybox", 0o755, prog(hardenedELF, "BusyBox v1.28.4 (2019-01-28 21:12:21 UTC) multi-call binary.")},
		{"bin/sh", fs.ModeSymlink | 0o777, []byte("busybox")},
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n")},
		{"etc/shadow", 0o600, []byte("root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:18000:0:99999:7:::\nnobody:*:18000:0:99999:7:::\n")},
		{"etc/init.d/rcS", 0o755, []byte("#!/bin/sh\nmount -a\n/usr/sbin/telnetd -l /bin/login\n/usr/sbin/dropbear -R\n/usr/sbin/dnsmasq\n/usr/bin/app &\n")},
		{"etc/config/network", 0o666, []byte("config interface 'lan'\n\toption proto 'static'\n\toption ipaddr '192.168.1.1'\n")},
		{"etc/config/cloud", 0o644, []byte("config cloud\n\toption url 'http://telemetry.vendor-cloud.example/ingest'\n")},
		{"etc/ssl/private/device.key", 0o600, weakKey},
		{"etc/ssl/device.crt", 0o644, weakCert},
		{"usr/bin/app", 0o755, unhardenedELF},
		{"usr/sbin/dropbear", 0o755, prog(hardenedELF, "SSH-2.0-dropbear_2017.75")},
		{"usr/sbin/dnsmasq", 0o755, prog(hardenedELF, "dnsmasq-2.73")},
		{"usr/lib/libcrypto.so.1.0.0", 0o755, prog(hardenedELF, "OpenSSL 1.0.2k  26 Jan 2017")},
		{"www/index.html", 0o644, []byte("<html><body>Router</body></html>\n")},
	}
}

// Router returns a sysupgrade-style image of RouterFiles: a U-Boot
// uImage holding a gzip'd kernel that announces Linux 4.14.180, padded to
// 64 KiB, then the root file system as a gzip'd newc cpio. It is built in
// Go, byte for byte the same on every run, and needs no tools.
func Router() []byte {
	kernel := append([]byte("\x00\x00Linux version 4.14.180 (builder@buildhost) (gcc version 7.3.0) #0 Sat May 16 18:32:20 2020\n\x00"),
		bytes.Repeat([]byte{0x42, 0}, 4096)...)
	img := UImage("MIPS OpenWrt Linux-4.14.180", Gzip(kernel))
	img = append(img, make([]byte, 0x10000-len(img))...)
	return append(img, Gzip(Cpio(RouterFiles()))...)
}

// Gzip compresses data without a timestamp, so output is reproducible.
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// UImage wraps payload (a gzip'd MIPS kernel) in a U-Boot legacy header.
func UImage(name string, payload []byte) []byte {
	h := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(h, 0x27051956)
	be.PutUint32(h[12:], uint32(len(payload)))
	be.PutUint32(h[16:], 0x80000000)
	be.PutUint32(h[20:], 0x80000000)
	be.PutUint32(h[24:], crc32.ChecksumIEEE(payload))
	h[28], h[29], h[30], h[31] = 5, 5, 2, 1 // Linux, MIPS, kernel, gzip
	copy(h[32:], name)
	be.PutUint32(h[4:], crc32.ChecksumIEEE(h))
	return append(h, payload...)
}

// Cpio writes files as a newc archive with every time zero.
func Cpio(files []File) []byte {
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
		m := uint32(f.Mode.Perm())
		switch {
		case f.Mode.IsDir():
			m |= 0o040000
		case f.Mode&fs.ModeSymlink != 0:
			m |= 0o120000
		default:
			m |= 0o100000
		}
		add(i+1, f.Path, m, f.Data)
	}
	add(0, "TRAILER!!!", 0, nil)
	return b.Bytes()
}
