package supply_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sbom"
	"github.com/iotsec/iotsec/internal/supply"
)

// A component's SBOM type follows its CPE part, then where it was found.
func TestImageSBOMTypes(t *testing.T) {
	for _, tt := range []struct {
		c    inspect.Component
		want string
	}{
		{inspect.Component{Name: "linux", CPE: "cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*", Path: "kernel"}, sbom.TypeOS},
		{inspect.Component{Name: "x", CPE: "cpe:2.3:h:acme:r100:-:*:*:*:*:*:*:*", Path: "bin/x"}, sbom.TypeDevice},
		{inspect.Component{Name: "openssl", CPE: "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*", Path: "usr/lib/libcrypto.so.3"}, sbom.TypeLibrary},
		{inspect.Component{Name: "uclibc", Path: "lib/ld-uClibc.so.0"}, sbom.TypeLibrary},
		{inspect.Component{Name: "musl", Path: "usr/lib/opkg/status"}, sbom.TypeLibrary},
		{inspect.Component{Name: "busybox", CPE: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*", Path: "bin/busybox"}, sbom.TypeApplication},
		{inspect.Component{Name: "dnsmasq", Path: "0x10000.gzip/usr/sbin/dnsmasq"}, sbom.TypeApplication},
	} {
		d := supply.ImageSBOM("fw.bin", "", []inspect.Component{tt.c})
		if got := d.Components[0].Type; got != tt.want {
			t.Errorf("type of %s at %s = %s, want %s", tt.c.Name, tt.c.Path, got, tt.want)
		}
	}
}

// Components from a package database carry no hash: the digest is the
// database's. Two components of one name and version keep distinct refs.
func TestImageSBOM(t *testing.T) {
	db := strings.Repeat("d", 64)
	bin := strings.Repeat("b", 64)
	d := supply.ImageSBOM("fw.bin", strings.ToUpper(strings.Repeat("a", 64)), []inspect.Component{
		{Name: "musl", Version: "1.2.4", PURL: "pkg:generic/openwrt/musl@1.2.4-1", Path: "usr/lib/opkg/status", Evidence: inspect.Evidence{SHA256: db}},
		{Name: "busybox", Version: "1.36.1", Path: "rootfs-b/bin/busybox", Evidence: inspect.Evidence{SHA256: bin}},
		{Name: "BusyBox", Version: "1.9", Path: "old/bin/busybox"},
		{Name: "busybox", Version: "1.36.1", Path: "rootfs-a/bin/busybox", Evidence: inspect.Evidence{SHA256: bin}},
	})
	var got []string
	for _, c := range d.Components {
		got = append(got, c.Ref+" "+strings.Join(c.Files, ",")+" "+strings.Repeat("#", len(c.Hashes)))
	}
	want := []string{"BusyBox@1.9 old/bin/busybox ", "busybox@1.36.1 rootfs-a/bin/busybox #", "busybox@1.36.1-2 rootfs-b/bin/busybox #", "musl@1.2.4 usr/lib/opkg/status "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	if d.Firmware.Name != "fw.bin" || d.Firmware.Hashes[0].Value != strings.Repeat("a", 64) {
		t.Errorf("firmware %+v", d.Firmware)
	}
	// The document is valid: written and read back without problems, and
	// it differs from itself in nothing.
	var buf bytes.Buffer
	if err := supply.EncodeSBOM(&buf, d, supply.CycloneDXJSON); err != nil {
		t.Fatal(err)
	}
	if f, err := supply.DetectSBOM(buf.Bytes()); err != nil || f != supply.CycloneDXJSON {
		t.Errorf("DetectSBOM = %q, %v; want %q", f, err, supply.CycloneDXJSON)
	}
	path := filepath.Join(t.TempDir(), "fw.cdx.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, f, err := supply.DecodeSBOMFile(path)
	if err != nil || f != supply.CycloneDXJSON {
		t.Fatalf("DecodeSBOMFile = %q, %v", f, err)
	}
	if diff := supply.DiffSBOMs(d, back); !diff.IsEmpty() {
		t.Errorf("read back, the SBOM differs: %+v", diff)
	}
}

func TestCheckCPE(t *testing.T) {
	if err := supply.CheckCPE("cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"); err != nil {
		t.Errorf("a valid CPE: %v", err)
	}
	if err := supply.CheckCPE("busybox"); err == nil {
		t.Error("CheckCPE(busybox) = nil, want an error")
	}
}

// An SBOM or VEX file that cannot be read is invalid input, and says
// which it was; nothing reaches the store.
func TestMatchSBOMFileInvalid(t *testing.T) {
	dir := t.TempDir()
	sv := supply.New(nil, nil)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"not": "an sbom"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sv.MatchSBOMFile(ctx, bad, nil, nil); iotsec.Kind(err) != iotsec.ErrInvalid || !strings.Contains(err.Error(), "sbom") {
		t.Errorf("MatchSBOMFile(not an SBOM) = %v, want invalid sbom", err)
	}
	var buf bytes.Buffer
	if err := supply.EncodeSBOM(&buf, supply.ImageSBOM("fw.bin", "", nil), supply.CycloneDXJSON); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "fw.cdx.json")
	if err := os.WriteFile(good, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sv.MatchSBOMFile(ctx, good, []string{bad}, nil); iotsec.Kind(err) != iotsec.ErrInvalid || !strings.Contains(err.Error(), "vex") {
		t.Errorf("MatchSBOMFile(VEX not VEX) = %v, want invalid vex", err)
	}
}
