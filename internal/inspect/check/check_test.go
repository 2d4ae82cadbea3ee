package check

import (
	"context"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""}, {"a", "*"}, {"ab", "**"}, {"admin", "a****"}, {"correct horse battery staple", "c************"},
	}
	for _, c := range cases {
		if got := Mask(c.in); got != c.want {
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
		if got := HasSuffix(c.p, c.s); got != c.want {
			t.Errorf("HasSuffix(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestTarget(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/passwd": {Data: []byte("root:x:0:0::/:/bin/sh\n"), Mode: 0o644},
		"bin/big":    {Data: make([]byte, 100), Mode: 0o755},
	}
	tg, err := NewTarget(context.Background(), fsys)
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
	if _, err := tg.Read("bin/big"); !errors.Is(err, ErrTooBig) {
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
	if _, err := NewTarget(ctx, fsys); !errors.Is(err, context.Canceled) {
		t.Errorf("NewTarget(cancelled) error = %v", err)
	}
}
