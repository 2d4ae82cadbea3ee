package check_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""}, {"a", "*"}, {"ab", "**"}, {"admin", "a****"}, {"correct horse battery staple", "c************"},
	}
	for _, c := range cases {
		if got := check.Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHasSuffix(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"etc/shadow", "etc/shadow", true},
		{"0x10000.squashfs/etc/shadow", "etc/shadow", true},
		{"xetc/shadow", "etc/shadow", false},
		{"etc/shadow-", "etc/shadow", false},
	}
	for _, c := range cases {
		if got := check.HasSuffix(c.p, c.s); got != c.want {
			t.Errorf("HasSuffix(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

// TestTarget lists and reads the same tree from an fstest.MapFS, read
// through Open, and from the in-memory FS of package firmware, which
// hands out contents without copying.
func TestTarget(t *testing.T) {
	files := inspecttest.Files{
		"etc/passwd": {Data: []byte("root:x:0:0::/:/bin/sh\n"), Mode: 0o644},
		"bin/big":    {Data: make([]byte, 100), Mode: 0o755},
	}
	mapfs := fstest.MapFS{}
	for p, f := range files {
		mapfs[p] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	for _, c := range []struct {
		name string
		fsys func(t *testing.T) fs.FS
	}{
		{"mapfs", func(*testing.T) fs.FS { return mapfs }},
		{"memfs", func(t *testing.T) fs.FS { return inspecttest.New().WithFiles(files).FS(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			testTarget(t, c.fsys(t))
		})
	}
}

func testTarget(t *testing.T, fsys fs.FS) {
	tg, err := check.NewTarget(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range tg.Regular(nil) {
		got = append(got, f.Path)
	}
	if diff := cmp.Diff([]string{"bin/big", "etc/passwd"}, got); diff != "" {
		t.Errorf("Regular (-want +got):\n%s", diff)
	}
	tg.MaxRead = 50
	if _, err := tg.Read("bin/big"); !errors.Is(err, check.ErrTooBig) {
		t.Errorf("Read(bin/big) error = %v, want ErrTooBig", err)
	}
	if b, err := tg.Read("etc/passwd"); err != nil || len(b) != 22 {
		t.Errorf("Read(etc/passwd) = %d bytes, %v", len(b), err)
	}
	if _, err := tg.Read("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(nope) error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := check.NewTarget(ctx, fsys); !errors.Is(err, context.Canceled) {
		t.Errorf("NewTarget(cancelled) error = %v", err)
	}
}
