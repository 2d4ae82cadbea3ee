package dataprotection

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/check"
)

func run(t *testing.T, fsys fstest.MapFS) []check.Finding {
	t.Helper()
	tg, err := check.NewTarget(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New().Analyse(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	return r.Findings
}

func brief(fs []check.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s %s", f.Rule, f.Path, f.Severity, strings.Join(f.Provisions, ",")))
	}
	sort.Strings(out)
	return out
}

// sqliteLike is the start of an SQLite file with a schema and records,
// as IoTGoat's sensordata.db holds them.
func sqliteLike() []byte {
	var b strings.Builder
	b.WriteString("SQLite format 3\x00\x10\x00\x01\x01\x00@  \x00\x00")
	b.WriteString("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, birthdate TEXT)\x00")
	for _, r := range []string{"Alice Smith\x00alice@corp.test\x001990-01-02", "Bob Jones\x00bob@mail.test\x001985-03-04", "Carol\x00carol@home.test\x002001-05-06"} {
		b.WriteString("\x03\x04" + r)
	}
	return []byte(b.String())
}

func TestAnalyse(t *testing.T) {
	fsys := fstest.MapFS{
		"www/cgi-bin/sensordata.db": {Data: sqliteLike(), Mode: 0o644},
		"etc/shadow":                {Data: []byte("root:x:::\n"), Mode: 0o644},
		"etc/ssl/private/srv.key":   {Data: []byte("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"), Mode: 0o644},
		"bin/busybox":               {Data: []byte("\x7fELF"), Mode: fs.ModeSetuid | 0o755},
		"usr/bin/passwd":            {Data: []byte("\x7fELF"), Mode: fs.ModeSetuid | 0o755},
		"usr/bin/wall":              {Data: []byte("\x7fELF"), Mode: fs.ModeSetgid | 0o755},
		"etc/config/network":        {Data: []byte("x"), Mode: 0o666},
		"var/data":                  {Mode: fs.ModeDir | 0o777},
		"tmp":                       {Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"etc/contacts.csv":          {Data: []byte("name,email\na,a@x.test\nb,b@y.test\nc,c@z.test\n"), Mode: 0o644},
		"etc/version.json":          {Data: []byte(`{"maintainer": "dev@vendor.test"}`), Mode: 0o644},
	}
	got := run(t, fsys)
	want := []string{
		"data.personal-data etc/contacts.csv medium 5.8-1",
		"data.personal-data www/cgi-bin/sensordata.db medium 5.8-1",
		"data.secret-readable etc/shadow high 5.4-1",
		"data.secret-readable etc/ssl/private/srv.key high 5.4-1",
		"data.suid bin/busybox high 5.6-7",
		"data.suid usr/bin/passwd low 5.6-7",
		"data.suid usr/bin/wall low 5.6-7",
		"data.world-writable etc/config/network medium 5.6-7",
		"data.world-writable var/data low 5.6-7",
	}
	if diff := cmp.Diff(want, brief(got)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, f := range got {
		if strings.Contains(f.Evidence.Text, "alice@") {
			t.Errorf("evidence %q shows an address unmasked", f.Evidence.Text)
		}
	}
}

func FuzzPersonal(f *testing.F) {
	f.Add(sqliteLike(), true)
	f.Fuzz(func(t *testing.T, b []byte, sqlite bool) {
		personal("f", b, sqlite)
	})
}
