package firmware

import (
	"errors"
	"io/fs"
	"testing"
)

func TestNewFS(t *testing.T) {
	var entries []Entry
	for _, e := range sampleTree() {
		entries = append(entries, Entry{Path: e.path, Mode: e.mode, Data: []byte(e.data)})
	}
	// names are cleaned as archive members are; a later entry wins
	entries = append(entries, Entry{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\n")})
	fsys, err := NewFS(entries)
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, &Image{FS: fsys}, ".")

	fsys, err = NewFS([]Entry{
		{Path: "var/run/dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
		{Path: "a", Mode: 0o644},
		{Path: "a/b", Mode: 0o600, Data: []byte("b")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := fsys.Lstat("var/run/dev/null"); err != nil || st.Mode() != fs.ModeDevice|fs.ModeCharDevice|0o666 {
		t.Errorf("Lstat(var/run/dev/null) = %v, %v", st, err)
	}
	if st, err := fsys.Stat("var/run"); err != nil || st.Mode() != fs.ModeDir|0o755 {
		t.Errorf("Stat(var/run) = %v, %v; want a 0755 directory", st, err)
	}
	if b, err := fs.ReadFile(fsys, "a/b"); err != nil || string(b) != "b" {
		t.Errorf("ReadFile(a/b) = %q, %v; want the file a replaced by a directory", b, err)
	}
	if _, err := NewFS([]Entry{{Path: "/", Mode: 0o644}}); !errors.Is(err, errEmptyName) {
		t.Errorf("NewFS(entry without a name) = %v, want errEmptyName", err)
	}
}
