package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/iotsec/iotsec/"

type pkg struct {
	ImportPath string
	Imports    []string // direct, non-test
	Deps       []string // transitive, non-test
	Standard   bool
}

func packages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", mod+"...")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errOut.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, mod)] = p
	}
	return pkgs
}

// local returns the module's packages among paths, without the prefix.
func local(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, mod) {
			out = append(out, strings.TrimPrefix(p, mod))
		}
	}
	return out
}

// under reports whether pkg is dir or inside it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// The rules of docs/architecture.md, as code.
func TestImportRules(t *testing.T) {
	pkgs := packages(t)
	std := map[string]bool{}
	stdOut, err := exec.Command("go", "list", "std").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(stdOut)) {
		std[p] = true
	}

	// 1. The domain imports only the standard library.
	for _, d := range pkgs["internal/iotsec"].Deps {
		if !std[d] {
			t.Errorf("internal/iotsec depends on %s; it may use the standard library only", d)
		}
	}

	storage := []string{"internal/sqlstore", "internal/sqlite", "internal/postgres"}
	web := []string{"internal/server", "internal/api", "internal/ui"}
	top := []string{"internal/app", "internal/cli"}
	engines := []string{"internal/catalog", "internal/firmware", "internal/inspect", "internal/sbom", "internal/vuln", "internal/assess",
		"internal/identity", "internal/pki", "internal/supply", "internal/registry", "internal/report", "internal/scan", "internal/probe", "internal/inventory", "internal/auth", "internal/queue", "internal/config"}

	for name, p := range pkgs {
		imports := local(p.Imports)
		forbid := func(why string, dirs ...string) {
			for _, imp := range imports {
				for _, d := range dirs {
					if under(imp, d) {
						t.Errorf("%s imports %s: %s", name, imp, why)
					}
				}
			}
		}
		switch {
		// 2. Engines never import storage, HTTP or the top.
		case slices.ContainsFunc(engines, func(e string) bool { return under(name, e) }):
			forbid("engines must not import storage, HTTP layers, app or cli", append(append(storage, web...), top...)...)
			for _, d := range p.Deps {
				if d == "database/sql" && name != "internal/queue" {
					t.Errorf("%s depends on database/sql; engines reach data through the iotsec.Store interfaces", name)
				}
			}
		// 3. Adapters never import each other.
		case name == "internal/sqlite":
			forbid("sqlite must not import the other adapters", "internal/postgres", "internal/api", "internal/ui", "internal/server")
			forbid("adapters must not import app or cli", top...)
		case name == "internal/postgres":
			forbid("postgres must not import the other adapters", "internal/sqlite", "internal/api", "internal/ui", "internal/server")
			forbid("adapters must not import app or cli", top...)
		case name == "internal/sqlstore":
			forbid("sqlstore must not import the adapters", "internal/sqlite", "internal/postgres", "internal/api", "internal/ui", "internal/server")
			forbid("sqlstore must not import app or cli", top...)
		case name == "internal/api" || name == "internal/ui":
			forbid("api and ui reach data through iotsec.Store, not a store implementation", storage...)
			forbid("api and ui must not import each other or the server", "internal/api", "internal/ui", "internal/server")
			forbid("api and ui must not import app or cli", top...)
		case name == "internal/server":
			forbid("the server must not import a store implementation", storage...)
			forbid("the server must not import app or cli", top...)
		case name == "internal/storetest":
			forbid("the conformance suite must not import a store implementation", storage...)
		}
		// 4. Only cli imports app; only cmd imports cli.
		for _, imp := range imports {
			if imp == "internal/app" && name != "internal/cli" {
				t.Errorf("%s imports internal/app; only internal/cli may", name)
			}
			if imp == "internal/cli" && !under(name, "cmd") {
				t.Errorf("%s imports internal/cli; only cmd/iotsec may", name)
			}
		}
	}
	// config stands alone.
	if l := local(pkgs["internal/config"].Imports); len(l) > 0 {
		t.Errorf("internal/config imports %v; it must import no package of the module", l)
	}
}
