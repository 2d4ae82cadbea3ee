package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/postgres"
	"github.com/iotsec/iotsec/internal/sqlite"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

// Both dialects must carry the same numbered migrations, so a schema
// change is never made for one database and forgotten for the other.
func TestDialectsHaveSameMigrations(t *testing.T) {
	lite, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []sqlstore.Migration) []string {
		var out []string
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
		return out
	}
	if len(lite) == 0 {
		t.Fatal("no migrations")
	}
	if diff := cmp.Diff(names(lite), names(pg)); diff != "" {
		t.Errorf("sqlite and postgres migrations differ (-sqlite +postgres):\n%s", diff)
	}
	for i, m := range lite {
		if m.Version != i+1 {
			t.Errorf("migration %04d_%s has number %d, want %d; numbers must run 1, 2, 3 ... without gaps", m.Version, m.Name, m.Version, i+1)
		}
	}
}

func TestMigrationsRejectBadNames(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no number", map[string]string{"m/init.sql": ""}, "NNNN_name.sql"},
		{"duplicate", map[string]string{"m/0001_a.sql": "", "m/0001_b.sql": ""}, "appears twice"},
		{"zero", map[string]string{"m/0000_a.sql": ""}, "NNNN_name.sql"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sqlstore.Migrations(mapFS(tt.files), "m")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Migrations() error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func mapFS(files map[string]string) fstest.MapFS {
	fs := fstest.MapFS{}
	for name, body := range files {
		fs[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fs
}
