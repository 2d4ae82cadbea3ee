package update

import (
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

func TestAnalyse(t *testing.T) {
	cases := []struct {
		name  string
		files inspecttest.Files
		want  []string
	}{
		{
			name:  "none",
			files: inspecttest.Files{"bin/busybox": inspecttest.Text("x")},
			want:  []string{"update.none . high 5.3-1,5.3-2"},
		},
		{
			name: "openwrt-signed",
			files: inspecttest.Files{
				"rootfs/sbin/sysupgrade":                inspecttest.Text("#!/bin/sh\n. /lib/upgrade/common.sh\n"),
				"rootfs/lib/upgrade/fwtool.sh":          inspecttest.Text("fwtool_check_signature() {\n\t[ \"$REQUIRE_IMAGE_SIGNATURE\" = 1 ] || return 0\n}\n"),
				"rootfs/bin/opkg":                       inspecttest.Text("\x7fELF"),
				"rootfs/etc/opkg.conf":                  inspecttest.Text("dest root /\noption overlay_root /overlay\noption check_signature\n"),
				"rootfs/etc/opkg/keys/b5043e70f9a75cde": inspecttest.Text("untrusted comment: public key\nRWS1BD5w+adc3j2Hqg9+b66CvLR7NlHbsj7wjNVj0XGt/othDgIAOJS+\n"),
				"rootfs/etc/opkg/distfeeds.conf":        inspecttest.Text("src/gz openwrt_core http://downloads.openwrt.org/releases/18.06.2/targets/x86/generic/packages\n"),
			},
			want: []string{
				"update.mechanism rootfs/bin/opkg info 5.3-2",
				"update.mechanism rootfs/sbin/sysupgrade info 5.3-2",
				"update.plain-http rootfs/etc/opkg/distfeeds.conf medium 5.3-7,5.5-1",
			},
		},
		{
			name: "vendor-script-unsigned",
			files: inspecttest.Files{
				"usr/sbin/fw_upgrade.sh": inspecttest.Text("#!/bin/sh\nwget -O /tmp/fw.bin http://update.example-vendor.com/cam/fw.bin\nmtd write /tmp/fw.bin firmware\n"),
			},
			want: []string{
				"update.mechanism usr/sbin/fw_upgrade.sh info 5.3-2",
				"update.plain-http usr/sbin/fw_upgrade.sh high 5.3-7,5.5-1",
				"update.unverified usr/sbin/fw_upgrade.sh high 5.3-9,5.3-10",
			},
		},
		{
			name: "rauc-and-mender",
			files: inspecttest.Files{
				"usr/bin/rauc":           inspecttest.Text("x"),
				"etc/rauc/system.conf":   inspecttest.Text("[system]\ncompatible=x\n[keyring]\npath=/etc/rauc/ca.pem\n"),
				"usr/bin/mender":         inspecttest.Text("x"),
				"etc/mender/mender.conf": inspecttest.Text(`{"ServerURL": "https://hosted.mender.io"}`),
			},
			want: []string{
				"update.mechanism usr/bin/mender info 5.3-2",
				"update.mechanism usr/bin/rauc info 5.3-2",
				"update.unverified usr/bin/mender high 5.3-9,5.3-10",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inspecttest.New().WithFiles(c.files).ExpectFindings(c.want...).Test(t, New())
		})
	}
}

func FuzzAnalyse(f *testing.F) {
	f.Add([]byte("option check_signature\nsrc/gz x http://a.b/c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tg := inspecttest.New().WithFiles(inspecttest.Files{"etc/opkg.conf": {Data: b}, "bin/opkg": {Data: b}, "usr/sbin/fw_update.sh": {Data: b}}).Target(t)
		New().Analyse(t.Context(), tg)
	})
}
