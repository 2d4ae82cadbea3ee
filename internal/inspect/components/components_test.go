package components

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

// bin embeds s in a fake ELF between NULs, as .rodata strings sit.
func bin(s ...string) inspecttest.File {
	return inspecttest.Text("\x7fELF\x01\x01\x01\x00" + strings.Join(s, "\x00") + "\x00tail")
}

func TestSignatures(t *testing.T) {
	files := inspecttest.Files{
		"bin/busybox":                bin("BusyBox v1.28.4 (2019-01-28 21:12:21 UTC) multi-call binary."),
		"usr/lib/libcrypto.so.1.0.0": bin("OpenSSL 1.0.2k  26 Jan 2017"),
		"usr/sbin/dropbear":          bin("SSH-2.0-dropbear_2017.75"),
		"usr/sbin/sshd":              bin("OpenSSH_7.4p1"),
		"usr/sbin/dnsmasq":           bin("dnsmasq-2.73"),
		"usr/sbin/lighttpd":          bin("lighttpd/1.4.45"),
		"usr/sbin/nginx":             bin("Server: nginx/1.12.2"),
		"usr/sbin/uhttpd":            bin("uhttpd v2018-11-28"),
		"bin/boa":                    bin("Server: Boa/0.94.14rc21"),
		"bin/webs":                   bin("Server: GoAhead-Webs/2.5.0"),
		"usr/bin/curl":               bin("curl/7.60.0"),
		"usr/lib/libcurl.so.4":       bin("libcurl/7.61.1 OpenSSL"),
		"usr/bin/wget":               bin("User-Agent: Wget/1.19.5"),
		"lib/libuClibc-0.9.33.2.so":  bin("uClibc"),
		"lib/libuClibc-1.0.31.so":    bin("uClibc-ng"),
		"lib/libc.so.6":              bin("GNU C Library (GNU libc) stable release version 2.27."),
		"boot/vmlinux":               bin("Linux version 4.14.180 (builder@buildhost) (gcc version 7.3.0 (OpenWrt GCC 7.3.0 r7676-cddd7b4c77)) #0 Sat May 16 18:32:20 2020"),
		"usr/sbin/hostapd":           bin("hostapd v2.6"),
		"usr/sbin/wpa_supplicant":    bin("wpa_supplicant v2.7-devel"),
		"usr/sbin/miniupnpd":         bin("OpenWRT/18.06 UPnP/1.1 MiniUPnPd/2.1"),
		"usr/sbin/mosquitto":         bin("mosquitto version 1.4.15 (build date 2018)"),
		"usr/sbin/smbd":              bin("Samba 3.6.25"),
		"usr/sbin/avahi-daemon":      bin("avahi 0.7"),
		"usr/sbin/iptables":          bin("iptables v1.6.2"),
		"usr/sbin/openvpn":           bin("OpenVPN 2.4.5 mips-openwrt-linux-gnu [SSL (OpenSSL)]"),
		"usr/lib/libsqlite3.so.0":    bin("3.21.0\x00\x002017-10-24 18:55:49 1a584e499906b5c87ec7d43d4abce641fdf017c42125b083109bc77c4de48827"),
		"lib/libz.so.1":              bin(" deflate 1.2.11 Copyright 1995-2017 Jean-loup Gailly and Mark Adler "),
		"boot/u-boot.bin":            bin("U-Boot 2018.03 (May 01 2018 - 10:00:00)"),
		"usr/bin/lua":                bin("Lua 5.1.5  Copyright (C) 1994-2012 Lua.org, PUC-Rio"),
		"usr/bin/php-cgi":            bin("X-Powered-By: PHP/7.2.34"),
		"bin/dmesg":                  bin("util-linux 2.32"),
		"usr/lib/libmbedtls.so":      bin("mbed TLS 2.16.3"),
		"usr/sbin/pppd":              bin("pppd version 2.4.7"),
		"usr/sbin/ntpd":              bin("ntpd 4.2.8p10@1.3728-o"),
		"bin/bash":                   bin("GNU bash, version 4.4.23(1)-release"),
		"usr/lib/libupnp.so":         bin("Portable SDK for UPnP devices/1.6.19"),
		"usr/lib/libexpat.so":        bin("expat_2.2.5"),
		"lib/modules/4.14.180/x.ko":  bin("vermagic=4.14.180 SMP mod_unload MIPS32_R2 32BIT"),
		"usr/share/doc/x/README":     bin("BusyBox v9.9.9"),
	}
	r := inspecttest.New().WithFiles(files).
		ExpectComponents(
			"avahi 0.7 cpe:2.3:a:avahi:avahi:0.7:*:*:*:*:*:*:* pkg:generic/avahi@0.7 usr/sbin/avahi-daemon",
			"bash 4.4.23 cpe:2.3:a:gnu:bash:4.4.23:*:*:*:*:*:*:* pkg:generic/bash@4.4.23 bin/bash",
			"boa 0.94.14rc21 cpe:2.3:a:boa:boa:0.94.14rc21:*:*:*:*:*:*:* pkg:generic/boa@0.94.14rc21 bin/boa",
			"busybox 1.28.4 cpe:2.3:a:busybox:busybox:1.28.4:*:*:*:*:*:*:* pkg:generic/busybox@1.28.4 bin/busybox",
			"curl 7.60.0 cpe:2.3:a:haxx:curl:7.60.0:*:*:*:*:*:*:* pkg:generic/curl@7.60.0 usr/bin/curl",
			"dnsmasq 2.73 cpe:2.3:a:thekelleys:dnsmasq:2.73:*:*:*:*:*:*:* pkg:generic/dnsmasq@2.73 usr/sbin/dnsmasq",
			"dropbear 2017.75 cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2017.75:*:*:*:*:*:*:* pkg:generic/dropbear@2017.75 usr/sbin/dropbear",
			"expat 2.2.5 cpe:2.3:a:libexpat_project:libexpat:2.2.5:*:*:*:*:*:*:* pkg:generic/expat@2.2.5 usr/lib/libexpat.so",
			"glibc 2.27 cpe:2.3:a:gnu:glibc:2.27:*:*:*:*:*:*:* pkg:generic/glibc@2.27 lib/libc.so.6",
			"goahead 2.5.0 cpe:2.3:a:embedthis:goahead:2.5.0:*:*:*:*:*:*:* pkg:generic/goahead@2.5.0 bin/webs",
			"hostapd 2.6 cpe:2.3:a:w1.fi:hostapd:2.6:*:*:*:*:*:*:* pkg:generic/hostapd@2.6 usr/sbin/hostapd",
			"iptables 1.6.2 cpe:2.3:a:netfilter:iptables:1.6.2:*:*:*:*:*:*:* pkg:generic/iptables@1.6.2 usr/sbin/iptables",
			"libcurl 7.61.1 cpe:2.3:a:haxx:curl:7.61.1:*:*:*:*:*:*:* pkg:generic/libcurl@7.61.1 usr/lib/libcurl.so.4",
			"libupnp 1.6.19 cpe:2.3:a:libupnp_project:libupnp:1.6.19:*:*:*:*:*:*:* pkg:generic/libupnp@1.6.19 usr/lib/libupnp.so",
			"lighttpd 1.4.45 cpe:2.3:a:lighttpd:lighttpd:1.4.45:*:*:*:*:*:*:* pkg:generic/lighttpd@1.4.45 usr/sbin/lighttpd",
			"linux 4.14.180 cpe:2.3:o:linux:linux_kernel:4.14.180:*:*:*:*:*:*:* pkg:generic/linux@4.14.180 boot/vmlinux",
			"lua 5.1.5 cpe:2.3:a:lua:lua:5.1.5:*:*:*:*:*:*:* pkg:generic/lua@5.1.5 usr/bin/lua",
			"mbedtls 2.16.3 cpe:2.3:a:arm:mbed_tls:2.16.3:*:*:*:*:*:*:* pkg:generic/mbedtls@2.16.3 usr/lib/libmbedtls.so",
			"miniupnpd 2.1 cpe:2.3:a:miniupnp_project:miniupnpd:2.1:*:*:*:*:*:*:* pkg:generic/miniupnpd@2.1 usr/sbin/miniupnpd",
			"mosquitto 1.4.15 cpe:2.3:a:eclipse:mosquitto:1.4.15:*:*:*:*:*:*:* pkg:generic/mosquitto@1.4.15 usr/sbin/mosquitto",
			"nginx 1.12.2 cpe:2.3:a:f5:nginx_open_source:1.12.2:*:*:*:*:*:*:* pkg:generic/nginx@1.12.2 usr/sbin/nginx",
			"ntp 4.2.8p10 cpe:2.3:a:ntp:ntp:4.2.8p10:*:*:*:*:*:*:* pkg:generic/ntp@4.2.8p10 usr/sbin/ntpd",
			"openssh 7.4p1 cpe:2.3:a:openbsd:openssh:7.4p1:*:*:*:*:*:*:* pkg:generic/openssh@7.4p1 usr/sbin/sshd",
			"openssl 1.0.2k cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:* pkg:generic/openssl@1.0.2k usr/lib/libcrypto.so.1.0.0",
			"openvpn 2.4.5 cpe:2.3:a:openvpn:openvpn:2.4.5:*:*:*:*:*:*:* pkg:generic/openvpn@2.4.5 usr/sbin/openvpn",
			"php 7.2.34 cpe:2.3:a:php:php:7.2.34:*:*:*:*:*:*:* pkg:generic/php@7.2.34 usr/bin/php-cgi",
			"pppd 2.4.7 cpe:2.3:a:point-to-point_protocol_project:point-to-point_protocol:2.4.7:*:*:*:*:*:*:* pkg:generic/pppd@2.4.7 usr/sbin/pppd",
			"samba 3.6.25 cpe:2.3:a:samba:samba:3.6.25:*:*:*:*:*:*:* pkg:generic/samba@3.6.25 usr/sbin/smbd",
			"sqlite 3.21.0 cpe:2.3:a:sqlite:sqlite:3.21.0:*:*:*:*:*:*:* pkg:generic/sqlite@3.21.0 usr/lib/libsqlite3.so.0",
			"u-boot 2018.03 cpe:2.3:a:denx:u-boot:2018.03:*:*:*:*:*:*:* pkg:generic/u-boot@2018.03 boot/u-boot.bin",
			"uclibc 0.9.33.2 cpe:2.3:a:uclibc:uclibc:0.9.33.2:*:*:*:*:*:*:* pkg:generic/uclibc@0.9.33.2 lib/libuClibc-0.9.33.2.so",
			"uclibc-ng 1.0.31 cpe:2.3:a:uclibc-ng_project:uclibc-ng:1.0.31:*:*:*:*:*:*:* pkg:generic/uclibc-ng@1.0.31 lib/libuClibc-1.0.31.so",
			"uhttpd 2018-11-28 cpe:2.3:a:openwrt:uhttpd:2018-11-28:*:*:*:*:*:*:* pkg:generic/uhttpd@2018-11-28 usr/sbin/uhttpd",
			"util-linux 2.32 cpe:2.3:a:kernel:util-linux:2.32:*:*:*:*:*:*:* pkg:generic/util-linux@2.32 bin/dmesg",
			"wget 1.19.5 cpe:2.3:a:gnu:wget:1.19.5:*:*:*:*:*:*:* pkg:generic/wget@1.19.5 usr/bin/wget",
			"wpa_supplicant 2.7 cpe:2.3:a:w1.fi:wpa_supplicant:2.7:*:*:*:*:*:*:* pkg:generic/wpa_supplicant@2.7 usr/sbin/wpa_supplicant",
			"zlib 1.2.11 cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:* pkg:generic/zlib@1.2.11 lib/libz.so.1",
		).
		ForEachComponent(func(t testing.TB, c check.Component) {
			if c.Evidence.SHA256 == "" || c.Evidence.Text == "" {
				t.Errorf("%s: evidence %+v", c.Name, c.Evidence)
			}
		}).
		Test(t, New())
	names := map[string]bool{}
	for _, c := range r.Components {
		names[c.Name] = true
	}
	if len(names) < 30 {
		t.Errorf("%d distinct components, want at least 30", len(names))
	}
}

func TestPackageDatabase(t *testing.T) {
	files := inspecttest.Files{
		"usr/lib/opkg/status": inspecttest.Text("Package: dnsmasq\nVersion: 2.73-1\nStatus: install user installed\n\nPackage: dropbear\nVersion: 2017.75-7.1\n\nPackage: libc\nVersion: 1.1.19-1\n\nPackage: luci-base\nVersion: git-19.020\n"),
		"var/lib/dpkg/status": inspecttest.Text("Package: openssl\nStatus: install ok installed\nVersion: 3.0.19-1~deb12u2\n\nPackage: zlib1g\nVersion: 1:1.2.13.dfsg-1\n"),
	}
	// reported sorted by name and version, one per name and version
	inspecttest.New().WithFiles(files).InOrder().
		ExpectComponents(
			"dnsmasq 2.73 cpe:2.3:a:thekelleys:dnsmasq:2.73:*:*:*:*:*:*:* pkg:generic/openwrt/dnsmasq@2.73-1 usr/lib/opkg/status",
			"dropbear 2017.75-7.1 cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2017.75-7.1:*:*:*:*:*:*:* pkg:generic/openwrt/dropbear@2017.75-7.1 usr/lib/opkg/status",
			"musl 1.1.19 cpe:2.3:a:musl-libc:musl:1.1.19:*:*:*:*:*:*:* pkg:generic/openwrt/libc@1.1.19-1 usr/lib/opkg/status",
			"openssl 3.0.19 cpe:2.3:a:openssl:openssl:3.0.19:*:*:*:*:*:*:* pkg:deb/debian/openssl@3.0.19-1~deb12u2 var/lib/dpkg/status",
			"zlib 1.2.13.dfsg cpe:2.3:a:zlib:zlib:1.2.13.dfsg:*:*:*:*:*:*:* pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1 var/lib/dpkg/status",
		).
		Test(t, New())
}

// TestRealBinaries reads the versions of this machine's own programs and
// compares them with what dpkg says.
func TestRealBinaries(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query not installed: not a Debian system")
	}
	cases := []struct{ file, pkg, name string }{
		{"/usr/bin/openssl", "openssl", "openssl"},
		{"/bin/bash", "bash", "bash"},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "libc6", "glibc"},
		{"/usr/lib/x86_64-linux-gnu/libz.so.1", "zlib1g", "zlib"},
		{"/usr/lib/x86_64-linux-gnu/libcurl.so.4", "libcurl4", "libcurl"},
		{"/usr/bin/wget", "wget", "wget"},
		{"/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "libsqlite3-0", "sqlite"},
		{"/usr/bin/ssh", "openssh-client", "openssh"},
		{"/usr/lib/x86_64-linux-gnu/libexpat.so.1", "libexpat1", "expat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(c.file)
			if err != nil {
				t.Skipf("%s: %v", c.file, err)
			}
			out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", c.pkg).Output()
			if err != nil {
				t.Skipf("%s not installed", c.pkg)
			}
			ver := string(out)
			if i := strings.IndexByte(ver, ':'); i >= 0 {
				ver = ver[i+1:]
			}
			ver = strings.TrimSuffix(strings.SplitN(ver, "-", 2)[0], ".dfsg")
			r := inspecttest.New().WithFile(strings.TrimPrefix(c.file, "/"), inspecttest.File{Data: b}).Test(t, New())
			var got []string
			for _, comp := range r.Components {
				if comp.Name == c.name {
					got = append(got, comp.Version)
				}
			}
			if len(got) == 0 || !strings.HasPrefix(ver, got[0]) {
				t.Errorf("%s: versions %v, dpkg says %s", c.file, got, ver)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte("BusyBox v1.2.3 OpenSSL 1.0.2k  26 Jan 2017 Linux version 4.1.1 ("))
	m := newMatcher(signatures())
	f.Fuzz(func(t *testing.T, b []byte) {
		match(m, check.File{Path: "libsqlite3.so.0"}, b)
	})
}

// The one-pass anchor index finds exactly what one bytes.Index pass per
// anchor finds.
func FuzzAnchors(f *testing.F) {
	f.Add([]byte("BusyBox vBusyBox v1.2 OpenSSL OpenSSL 1.0 iptables v1.8 deflate 1.2 Wget LuaLua 5.1 xx"))
	f.Add(bytes.Repeat([]byte("tables v"), 100))
	m := newMatcher(signatures())
	f.Fuzz(func(t *testing.T, b []byte) {
		got := m.find(b, maxPerAnchor)
		for a, anc := range m.anchors {
			want := indexAll(b, anc, maxPerAnchor)
			if len(want) == 0 && len(got[a]) == 0 {
				continue
			}
			if !slices.Equal(got[a], want) {
				t.Fatalf("anchor %q: one pass found %v, bytes.Index %v", anc, got[a], want)
			}
		}
	})
}
