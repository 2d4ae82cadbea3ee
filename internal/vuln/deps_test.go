package vuln_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImports keeps the engine free of storage, HTTP and the
// project's domain package (DESIGN.md, rule 1).
func TestEngineImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found; this test lists package dependencies with it")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/iotsec/iotsec/internal/vuln/...", "github.com/iotsec/iotsec/internal/sbom").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"database/sql", "net/http", "github.com/iotsec/iotsec/internal/iotsec",
		"github.com/iotsec/iotsec/internal/sqlite", "github.com/iotsec/iotsec/internal/postgres",
		"github.com/iotsec/iotsec/internal/server", "github.com/iotsec/iotsec/internal/api"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("the supply chain engine depends on %s", dep)
			}
		}
	}
}
