package pki

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the engine free of storage, the project's server and
// the in-flux domain package (DESIGN.md rule 1).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/iotsec/iotsec/internal/pki/...").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v\n%s", err, out)
	}
	forbidden := []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx",
		"github.com/iotsec/iotsec/internal/iotsec", "github.com/iotsec/iotsec/internal/server",
		"github.com/iotsec/iotsec/internal/api", "github.com/iotsec/iotsec/internal/sqlite", "github.com/iotsec/iotsec/internal/postgres"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("pki packages depend on %s", dep)
			}
		}
	}
}
