package update

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/check"
)

func run(t *testing.T, fsys fstest.MapFS) []string {
	t.Helper()
	tg, err := check.NewTarget(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New().Analyse(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %s %s", f.Rule, f.Path, f.Severity, strings.Join(f.Provisions, ",")))
	}
	sort.Strings(out)
	return out
}

func TestAnalyse(t *testing.T) {
	cases := []struct {
		name string
		fsys fstest.MapFS
		want []string
	}{
		{
			name: "none",
			fsys: fstest.MapFS{"bin/busybox": {Data: []byte("x")}},
			want: []string{"update.none . high 5.3-1,5.3-2"},
		},
		{
			name: "openwrt-signed",
			fsys: fstest.MapFS{
				"rootfs/sbin/sysupgrade":                {Data: []byte("#!/bin/sh\n. /lib/upgrade/common.sh\n")},
				"rootfs/lib/upgrade/fwtool.sh":          {Data: []byte("fwtool_check_signature() {\n\t[ \"$REQUIRE_IMAGE_SIGNATURE\" = 1 ] || return 0\n}\n")},
				"rootfs/bin/opkg":                       {Data: []byte("\x7fELF")},
				"rootfs/etc/opkg.conf":                  {Data: []byte("dest root /\noption overlay_root /overlay\noption check_signature\n")},
				"rootfs/etc/opkg/keys/b5043e70f9a75cde": {Data: []byte("untrusted comment: public key\nRWS1BD5w+adc3j2Hqg9+b66CvLR7NlHbsj7wjNVj0XGt/othDgIAOJS+\n")},
				"rootfs/etc/opkg/distfeeds.conf":        {Data: []byte("src/gz openwrt_core http://downloads.openwrt.org/releases/18.06.2/targets/x86/generic/packages\n")},
			},
			want: []string{
				"update.mechanism rootfs/bin/opkg info 5.3-2",
				"update.mechanism rootfs/sbin/sysupgrade info 5.3-2",
				"update.plain-http rootfs/etc/opkg/distfeeds.conf medium 5.3-7,5.5-1",
			},
		},
		{
			name: "vendor-script-unsigned",
			fsys: fstest.MapFS{
				"usr/sbin/fw_upgrade.sh": {Data: []byte("#!/bin/sh\nwget -O /tmp/fw.bin http://update.example-vendor.com/cam/fw.bin\nmtd write /tmp/fw.bin firmware\n")},
			},
			want: []string{
				"update.mechanism usr/sbin/fw_upgrade.sh info 5.3-2",
				"update.plain-http usr/sbin/fw_upgrade.sh high 5.3-7,5.5-1",
				"update.unverified usr/sbin/fw_upgrade.sh high 5.3-9,5.3-10",
			},
		},
		{
			name: "rauc-and-mender",
			fsys: fstest.MapFS{
				"usr/bin/rauc":           {Data: []byte("x")},
				"etc/rauc/system.conf":   {Data: []byte("[system]\ncompatible=x\n[keyring]\npath=/etc/rauc/ca.pem\n")},
				"usr/bin/mender":         {Data: []byte("x")},
				"etc/mender/mender.conf": {Data: []byte(`{"ServerURL": "https://hosted.mender.io"}`)},
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
			if diff := cmp.Diff(c.want, run(t, c.fsys)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzAnalyse(f *testing.F) {
	f.Add([]byte("option check_signature\nsrc/gz x http://a.b/c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := fstest.MapFS{"etc/opkg.conf": {Data: b}, "bin/opkg": {Data: b}, "usr/sbin/fw_update.sh": {Data: b}}
		tg, _ := check.NewTarget(context.Background(), fsys)
		New().Analyse(context.Background(), tg)
	})
}
