package dataprotection

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/inspecttest"
)

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
	files := inspecttest.Files{
		"www/cgi-bin/sensordata.db": {Data: sqliteLike(), Mode: 0o644},
		"etc/shadow":                {Data: []byte("root:x:::\n"), Mode: 0o644},
		"etc/ssl/private/srv.key":   {Data: []byte("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"), Mode: 0o644},
		"bin/busybox":               {Data: []byte("\x7fELF"), Mode: fs.ModeSetuid | 0o755},
		"usr/bin/passwd":            {Data: []byte("\x7fELF"), Mode: fs.ModeSetuid | 0o755},
		"usr/bin/wall":              {Data: []byte("\x7fELF"), Mode: fs.ModeSetgid | 0o755},
		"etc/config/network":        {Data: []byte("x"), Mode: 0o666},
		"var/data":                  inspecttest.Dir(0o777),
		"tmp":                       inspecttest.Dir(fs.ModeSticky | 0o777),
		"bin/sh":                    inspecttest.Symlink("busybox"), // links are 0777 but not writable through
		"etc/contacts.csv":          {Data: []byte("name,email\na,a@x.test\nb,b@y.test\nc,c@z.test\n"), Mode: 0o644},
		"etc/version.json":          {Data: []byte(`{"maintainer": "dev@vendor.test"}`), Mode: 0o644},
	}
	inspecttest.New().WithFiles(files).
		ExpectFindings(
			"data.personal-data etc/contacts.csv medium 5.8-1",
			"data.personal-data www/cgi-bin/sensordata.db medium 5.8-1",
			"data.secret-readable etc/shadow high 5.4-1",
			"data.secret-readable etc/ssl/private/srv.key high 5.4-1",
			"data.suid bin/busybox high 5.6-7",
			"data.suid usr/bin/passwd low 5.6-7",
			"data.suid usr/bin/wall low 5.6-7",
			"data.world-writable etc/config/network medium 5.6-7",
			"data.world-writable var/data low 5.6-7",
		).
		ForEachFinding(func(t testing.TB, f check.Finding) {
			if strings.Contains(f.Evidence.Text, "alice@") {
				t.Errorf("evidence %q shows an address unmasked", f.Evidence.Text)
			}
		}).
		Test(t, New())
}

func FuzzPersonal(f *testing.F) {
	f.Add(sqliteLike(), true)
	f.Fuzz(func(t *testing.T, b []byte, sqlite bool) {
		personal("f", b, sqlite)
	})
}
