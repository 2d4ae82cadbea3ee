// Package firmwaretest builds realistic firmware trees and images for
// tests and benchmarks of firmware and inspect: a BusyBox-style root file
// system of the requested size, written to disk and packed with the
// Debian tools. Tests that need a tool it lacks are skipped with the
// package to install.
//
// It is test and demo support: _test files, the mkrouter command (which
// writes the realistic Router image for trying `iotsec scan` by hand) and
// the demo seed of internal/app (which scans Router on first start)
// import it. It must not import storage, HTTP servers, internal/iotsec or
// the testing package (the demo links it into the server's binary; TB is
// the part of testing.TB it needs).
package firmwaretest

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// File is one entry of a tree.
type File struct {
	Path string
	Mode fs.FileMode
	Data []byte
}

// Tree returns a deterministic BusyBox-style root file system of about
// size bytes: applet links, libraries and programs whose bytes compress
// about as well as MIPS code (xz to roughly 45%), configuration files,
// init scripts and web content.
func Tree(seed uint64, size int64) []File {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []File
	dir := func(p string) { out = append(out, File{p, fs.ModeDir | 0o755, nil}) }
	for _, d := range []string{"bin", "sbin", "etc", "etc/init.d", "etc/config", "lib", "usr", "usr/bin", "usr/sbin", "usr/lib", "www", "www/cgi-bin", "tmp", "var"} {
		dir(d)
	}
	out = append(out, File{"bin/busybox", 0o755, code(r, 400<<10, "BusyBox v1.28.4 (2019-01-28 21:12:21 UTC) multi-call binary.")})
	for _, a := range []string{"sh", "ash", "ls", "cat", "cp", "mv", "rm", "mount", "ps", "kill", "grep", "sed", "vi", "ping", "ifconfig", "route", "udhcpc", "telnetd", "httpd", "wget"} {
		out = append(out, File{"bin/" + a, fs.ModeSymlink | 0o777, []byte("busybox")})
	}
	out = append(out,
		File{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n")},
		File{"etc/shadow", 0o600, []byte("root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:18000:0:99999:7:::\n")},
		File{"etc/init.d/rcS", 0o755, []byte("#!/bin/sh\nmount -a\n/usr/sbin/telnetd -l /bin/login\n/usr/sbin/dnsmasq\n")},
		File{"etc/config/network", 0o644, []byte("config interface 'lan'\n\toption proto 'static'\n\toption ipaddr '192.168.1.1'\n")},
	)
	named := []struct{ path, version string }{
		{"lib/libc.so.0", ""}, {"usr/lib/libcrypto.so.1.0.0", "OpenSSL 1.0.2k  26 Jan 2017"}, {"usr/lib/libssl.so.1.0.0", "OpenSSL 1.0.2k  26 Jan 2017"},
		{"usr/sbin/dropbear", "SSH-2.0-dropbear_2017.75"}, {"usr/sbin/dnsmasq", "dnsmasq-2.73"}, {"usr/sbin/lighttpd", "lighttpd/1.4.45"},
		{"usr/sbin/hostapd", "hostapd v2.6"}, {"usr/sbin/miniupnpd", "MiniUPnPd/2.1"}, {"usr/lib/libz.so.1", " deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler "},
	}
	var used int64
	for _, f := range out {
		used += int64(len(f.Data))
	}
	for i := 0; used < size; i++ {
		var f File
		switch {
		case i < len(named):
			f = File{named[i].path, 0o755, code(r, 64<<10+r.IntN(512<<10), named[i].version)}
		case i%5 == 0:
			f = File{fmt.Sprintf("www/page%04d.html", i), 0o644, text(r, 2<<10+r.IntN(24<<10))}
		case i%5 == 1:
			f = File{fmt.Sprintf("etc/config/svc%04d", i), 0o644, text(r, 200+r.IntN(4<<10))}
		case i%5 == 2:
			f = File{fmt.Sprintf("usr/bin/prog%04d", i), 0o755, code(r, 16<<10+r.IntN(256<<10), "")}
		default:
			f = File{fmt.Sprintf("usr/lib/lib%04d.so", i), 0o755, code(r, 32<<10+r.IntN(768<<10), "")}
		}
		used += int64(len(f.Data))
		out = append(out, f)
	}
	return out
}

// code makes n bytes that compress like machine code: an ELF header,
// then instruction-like words drawn from a small vocabulary with random
// operands, with the version string in the middle.
func code(r *rand.Rand, n int, version string) []byte {
	b := make([]byte, 0, n)
	b = append(b, 0x7f, 'E', 'L', 'F', 1, 1, 1, 0)
	vocab := make([]uint32, 64)
	for i := range vocab {
		vocab[i] = r.Uint32()
	}
	for len(b) < n {
		if version != "" && len(b) > n/2 {
			b = append(b, 0)
			b = append(b, version...)
			b = append(b, 0)
			version = ""
		}
		w := vocab[r.IntN(len(vocab))] ^ uint32(r.IntN(1<<r.IntN(12)))
		b = append(b, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
	}
	return b[:n]
}

// text makes n bytes of configuration- or script-like text.
func text(r *rand.Rand, n int) []byte {
	words := strings.Fields(`config option list interface network wireless device lan wan proto static dhcp
	ipaddr netmask gateway dns enabled disabled true false service start stop restart echo if then fi
	for do done case esac div span class href http https return function var local status error`)
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(8) == 0 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	return []byte(b.String()[:n])
}

// Size is the total size of the files' contents.
func Size(files []File) int64 {
	var n int64
	for _, f := range files {
		if f.Mode.IsRegular() {
			n += int64(len(f.Data))
		}
	}
	return n
}

// Write creates files under dir.
func Write(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		var err error
		switch {
		case f.Mode.IsDir():
			err = os.MkdirAll(p, 0o755)
		case f.Mode&fs.ModeSymlink != 0:
			err = os.Symlink(string(f.Data), p)
		default:
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, f.Data, f.Mode.Perm())
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TB is what Squashfs needs of a testing.TB.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Squashfs packs files with mksquashfs using compression comp into
// dir/root.sqfs and returns its path; it skips tb when mksquashfs is not
// installed.
func Squashfs(tb TB, dir string, files []File, comp string) string {
	tb.Helper()
	tool, err := exec.LookPath("mksquashfs")
	if err != nil {
		tb.Skip("mksquashfs not installed (Debian package squashfs-tools)")
	}
	root := filepath.Join(dir, "root")
	if err := Write(root, files); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "root.sqfs")
	if b, err := exec.Command(tool, root, out, "-comp", comp, "-noappend", "-all-root", "-no-progress", "-quiet").CombinedOutput(); err != nil {
		tb.Fatalf("mksquashfs: %v: %s", err, b)
	}
	return out
}

// RealTree returns RouterFiles plus real ELF programs and libraries of
// about size bytes in all, read from the directories from (on a Debian
// machine, /usr/bin and /usr/lib/x86_64-linux-gnu hold what Debian
// packages installed), in name order so the same machine gives the same
// tree. They go under usr/bin and usr/lib with their base names. It fails
// when the directories hold less than size bytes of ELF files.
func RealTree(size int64, from ...string) ([]File, error) {
	out := RouterFiles()
	used := Size(out)
	seen := map[string]bool{}
	for _, f := range out {
		seen[f.Path] = true
	}
	for _, d := range from {
		es, err := os.ReadDir(d)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if used >= size {
				return out, nil
			}
			if !e.Type().IsRegular() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil || len(b) < 64 || string(b[:4]) != "\x7fELF" || used+int64(len(b)) > size+size/16 {
				continue
			}
			p := "usr/bin/" + e.Name()
			if strings.Contains(e.Name(), ".so") {
				p = "usr/lib/" + e.Name()
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			out = append(out, File{p, 0o755, b})
			used += int64(len(b))
		}
	}
	if used < size {
		return nil, fmt.Errorf("only %d bytes of ELF files in %v, want %d", used, from, size)
	}
	return out, nil
}
