package components

import "regexp"

// signature identifies one component from bytes in a file. anchor is a
// literal that must occur (found with bytes.Index, which is fast); re runs
// on a window after each anchor and captures the version. names, when
// set, limits the signature to files whose base name matches, and then
// re runs on the whole file without an anchor.
type signature struct {
	name    string
	vendor  string // CPE vendor
	product string // CPE product
	part    string // CPE part: "a" application, "o" operating system
	aliases []string
	anchor  string
	re      *regexp.Regexp
	names   *regexp.Regexp
	// inner anchors may follow a letter ("deflate", "iptables");
	// others must start a word.
	inner bool
}

// signatures lists the components recognised in binaries and data.
// CPE vendor:product pairs are those NVD uses (checked against NVD CVE
// records where the shared test data has them; see docs/evaluation.md for
// the ones marked uncertain). Version patterns are our own, written from
// the strings these programs embed.
func signatures() []signature {
	re := regexp.MustCompile
	return []signature{
		{name: "busybox", vendor: "busybox", product: "busybox", anchor: "BusyBox v", re: re(`^BusyBox v(\d+\.\d+\.\d+)`)},
		{name: "openssl", vendor: "openssl", product: "openssl", anchor: "OpenSSL ", re: re(`^OpenSSL (\d\.\d+\.\d+[a-z]{0,2})\s+\d{1,2} [A-Z][a-z]{2} \d{4}`)},
		{name: "dropbear", vendor: "dropbear_ssh_project", product: "dropbear_ssh", anchor: "dropbear_", re: re(`^dropbear_(\d{4}\.\d{2,3}(?:\.\d+)?)`)},
		{name: "openssh", vendor: "openbsd", product: "openssh", anchor: "OpenSSH_", re: re(`^OpenSSH_(\d+\.\d+(?:\.\d+)?(?:p\d+)?)`)},
		{name: "dnsmasq", vendor: "thekelleys", product: "dnsmasq", aliases: []string{"dnsmasq:dnsmasq"}, anchor: "dnsmasq-", re: re(`^dnsmasq-(\d+\.\d+(?:\.\d+)?)`)},
		{name: "lighttpd", vendor: "lighttpd", product: "lighttpd", anchor: "lighttpd/", re: re(`^lighttpd/(\d+\.\d+\.\d+)`)},
		{name: "nginx", vendor: "f5", product: "nginx_open_source", aliases: []string{"nginx:nginx", "f5:nginx"}, anchor: "nginx/", re: re(`^nginx/(\d+\.\d+\.\d+)`)},
		{name: "uhttpd", vendor: "openwrt", product: "uhttpd", anchor: "uhttpd", re: re(`^uhttpd[ /-]v?(\d{4}-\d{2}-\d{2}|\d+\.\d+(?:\.\d+)?)`)},
		{name: "boa", vendor: "boa", product: "boa", anchor: "Boa/", re: re(`^Boa/(\d+\.\d+\.\d+(?:rc\d+)?)`)},
		{name: "goahead", vendor: "embedthis", product: "goahead", anchor: "GoAhead", re: re(`^GoAhead[-/ ](?:Webs/|http/)?(\d+\.\d+\.\d+)`)},
		{name: "curl", vendor: "haxx", product: "curl", aliases: []string{"haxx:libcurl"}, anchor: "curl/", re: re(`^curl/(\d+\.\d+\.\d+)`)},
		{name: "libcurl", vendor: "haxx", product: "curl", aliases: []string{"haxx:libcurl"}, anchor: "libcurl/", re: re(`^libcurl/(\d+\.\d+\.\d+)`)},
		{name: "wget", vendor: "gnu", product: "wget", anchor: "Wget", re: re(`^Wget/(\d+\.\d+(?:\.\d+)?)`)},
		// wget embeds its build flags, whose paths name the source tree
		{name: "wget", vendor: "gnu", product: "wget", names: re(`^wget$`), re: re(`/wget-(\d+\.\d+(?:\.\d+)?)[=/ ]`)},
		{name: "uclibc", vendor: "uclibc", product: "uclibc", names: re(`^(?:libuClibc|ld-uClibc)-0\.\d+\.\d+(?:\.\d+)?\.so$`), re: re(`(?:libuClibc|ld-uClibc)-(0\.\d+\.\d+(?:\.\d+)?)\.so`)},
		{name: "uclibc-ng", vendor: "uclibc-ng_project", product: "uclibc-ng", names: re(`^(?:libuClibc|ld-uClibc)-1\.\d+\.\d+\.so$`), re: re(`(?:libuClibc|ld-uClibc)-(1\.\d+\.\d+)\.so`)},
		{name: "glibc", vendor: "gnu", product: "glibc", anchor: "GNU C Library", re: re(`^GNU C Library \([^)]{0,80}\) (?:stable )?release version (\d+\.\d+(?:\.\d+)?)`)},
		{name: "linux", vendor: "linux", product: "linux_kernel", part: "o", anchor: "Linux version ", re: re(`^Linux version (\d+\.\d+(?:\.\d+)?)[^\s]* \(`)},
		{name: "linux", vendor: "linux", product: "linux_kernel", part: "o", anchor: "vermagic=", re: re(`^vermagic=(\d+\.\d+(?:\.\d+)?)`)},
		{name: "hostapd", vendor: "w1.fi", product: "hostapd", anchor: "hostapd v", re: re(`^hostapd v(\d+\.\d+(?:\.\d+)?)`)},
		{name: "wpa_supplicant", vendor: "w1.fi", product: "wpa_supplicant", anchor: "wpa_supplicant v", re: re(`^wpa_supplicant v(\d+\.\d+(?:\.\d+)?)`)},
		{name: "miniupnpd", vendor: "miniupnp_project", product: "miniupnpd", aliases: []string{"miniupnp.free:miniupnpd"}, anchor: "MiniUPnPd/", re: re(`^MiniUPnPd/(\d+\.\d+(?:\.\d+)?)`)},
		{name: "mosquitto", vendor: "eclipse", product: "mosquitto", anchor: "mosquitto version ", re: re(`^mosquitto version (\d+\.\d+\.\d+)`)},
		{name: "samba", vendor: "samba", product: "samba", anchor: "Samba ", re: re(`^Samba (\d\.\d+\.\d+)`)},
		{name: "avahi", vendor: "avahi", product: "avahi", anchor: "avahi ", re: re(`^avahi (\d+\.\d+(?:\.\d+)?)\x00`)},
		{name: "iptables", vendor: "netfilter", product: "iptables", anchor: "tables v", inner: true, re: re(`^tables v(\d+\.\d+\.\d+)`)},
		{name: "openvpn", vendor: "openvpn", product: "openvpn", anchor: "OpenVPN ", re: re(`^OpenVPN (\d+\.\d+\.\d+)`)},
		{name: "sqlite", vendor: "sqlite", product: "sqlite", names: re(`^(?:libsqlite3\.so.*|sqlite3)$`), re: re(`\x00(3\.[1-9]\d\.\d{1,2})\x00`)},
		{name: "zlib", vendor: "zlib", product: "zlib", anchor: "flate ", inner: true, re: re(`^flate (\d+\.\d+\.\d+(?:\.\d+)?) Copyright`)},
		{name: "u-boot", vendor: "denx", product: "u-boot", anchor: "U-Boot ", re: re(`^U-Boot (\d{4}\.\d{2}(?:-rc\d+)?)`)},
		{name: "lua", vendor: "lua", product: "lua", anchor: "Lua ", re: re(`^Lua (\d+\.\d+\.\d+)\s+Copyright`)},
		{name: "php", vendor: "php", product: "php", anchor: "PHP/", re: re(`^PHP/(\d+\.\d+\.\d+)`)},
		{name: "util-linux", vendor: "kernel", product: "util-linux", anchor: "util-linux ", re: re(`^util-linux (\d+\.\d+(?:\.\d+)?)`)},
		{name: "mbedtls", vendor: "arm", product: "mbed_tls", anchor: "mbed TLS ", re: re(`^mbed TLS (\d+\.\d+\.\d+)`)},
		{name: "pppd", vendor: "point-to-point_protocol_project", product: "point-to-point_protocol", anchor: "pppd version ", re: re(`^pppd version (\d+\.\d+\.\d+)`)},
		{name: "ntp", vendor: "ntp", product: "ntp", anchor: "ntpd ", re: re(`^ntpd (\d+\.\d+\.\d+(?:p\d+)?)`)},
		{name: "bash", vendor: "gnu", product: "bash", anchor: "GNU bash, version ", re: re(`^GNU bash, version (\d+\.\d+(?:\.\d+)?)`)},
		{name: "bash", vendor: "gnu", product: "bash", anchor: "Bash version ", re: re(`^Bash version (\d+\.\d+(?:\.\d+)?)`)},
		{name: "libupnp", vendor: "libupnp_project", product: "libupnp", anchor: "Portable SDK for UPnP devices/", re: re(`^Portable SDK for UPnP devices/(\d+\.\d+\.\d+)`)},
		{name: "expat", vendor: "libexpat_project", product: "libexpat", anchor: "expat_", re: re(`^expat_(\d+\.\d+\.\d+)`)},
	}
}

// packageCPE maps distribution package names (OpenWrt opkg, Debian dpkg)
// to components, for images that keep a package database.
func packageCPE(pkg string) (name, vendor, product, part string, ok bool) {
	for _, s := range signatures() {
		if s.name == pkg {
			return s.name, s.vendor, s.product, s.part, true
		}
	}
	switch pkg {
	case "libopenssl", "libopenssl1.1", "libopenssl3", "libssl1.1", "libssl3", "openssl-util":
		return "openssl", "openssl", "openssl", "", true
	case "libcurl", "libcurl4":
		return "libcurl", "haxx", "curl", "", true
	case "libc", "musl":
		return "musl", "musl-libc", "musl", "", true
	case "dnsmasq-full", "dnsmasq-dhcpv6":
		return "dnsmasq", "thekelleys", "dnsmasq", "", true
	case "wpad", "wpad-mini", "wpad-basic", "hostapd-common":
		return "hostapd", "w1.fi", "hostapd", "", true
	case "miniupnpd-iptables", "miniupnpd-nftables":
		return "miniupnpd", "miniupnp_project", "miniupnpd", "", true
	case "libmosquitto", "mosquitto-ssl", "mosquitto-nossl":
		return "mosquitto", "eclipse", "mosquitto", "", true
	case "zlib1g":
		return "zlib", "zlib", "zlib", "", true
	case "liblua", "lua5.1", "lua5.3":
		return "lua", "lua", "lua", "", true
	case "libsqlite3", "libsqlite3-0", "sqlite3-cli":
		return "sqlite", "sqlite", "sqlite", "", true
	case "uhttpd", "lighttpd", "nginx", "openvpn-openssl", "openvpn-mbedtls", "samba36-server", "samba4-server", "avahi-daemon", "iptables", "wget", "curl":
		base := map[string]string{"openvpn-openssl": "openvpn", "openvpn-mbedtls": "openvpn", "samba36-server": "samba", "samba4-server": "samba", "avahi-daemon": "avahi"}[pkg]
		if base == "" {
			base = pkg
		}
		for _, s := range signatures() {
			if s.name == base {
				return s.name, s.vendor, s.product, s.part, true
			}
		}
	case "libc6":
		return "glibc", "gnu", "glibc", "", true
	case "libmbedtls", "libmbedtls12":
		return "mbedtls", "arm", "mbed_tls", "", true
	case "ppp", "ppp-mod-pppoe":
		return "pppd", "point-to-point_protocol_project", "point-to-point_protocol", "", true
	case "uboot-envtools":
		return "u-boot", "denx", "u-boot", "", true
	}
	return "", "", "", "", false
}
