package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The kinds of package of docs/architecture.md. Every package of the
// module must be one of them, so a new package is classified on purpose.
// A directory classifies the packages below it too.
var (
	domain  = []string{"internal/iotsec"}
	engines = []string{"internal/crosswalk", "internal/firmware", "internal/inspect", "internal/assess", "internal/sbom", "internal/vuln", "internal/pki",
		"internal/probe", "internal/scan", "internal/label", "internal/translog"}
	services  = []string{"internal/catalog", "internal/evaluation", "internal/identity", "internal/supply", "internal/registry", "internal/policy", "internal/workspace", "internal/dashboard", "internal/inventory", "internal/auth"}
	renderers = []string{"internal/report"}
	doors     = []string{"internal/api", "internal/ui", "internal/cli", "internal/server"}
	storage   = []string{"internal/sqlstore", "internal/sqlite", "internal/postgres"}
	root      = []string{"internal/app"}
	// support: configuration, the job queue, the store contract, the
	// server fixture of the tests, this test and main.
	support = []string{"internal/config", "internal/queue", "internal/storetest", apptest, "internal/archtest", "cmd/iotsec"}
)

// apptest is test support: a whole server for the API's and the UI's
// tests. It sits below app, which only it and cli may import, and only
// _test.go files may import it.
const apptest = "internal/app/apptest"

const mod = "github.com/iotsec/iotsec/"

type pkg struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	IgnoredGoFiles []string // excluded by build constraints
	Imports        []string // direct, non-test
	Deps           []string // transitive, non-test
	Standard       bool
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

func in(pkg string, dirs []string) bool {
	return slices.ContainsFunc(dirs, func(d string) bool { return under(pkg, d) })
}

// kind names the class of a package, "" when it has none. The deepest
// directory that holds the package decides (apptest is support, though
// app holds it).
func kind(pkg string) string {
	k, depth := "", -1
	for _, c := range []struct {
		name string
		dirs []string
	}{{"domain", domain}, {"engine", engines}, {"service", services}, {"renderer", renderers}, {"door", doors},
		{"storage", storage}, {"app", root}, {"support", support}} {
		for _, d := range c.dirs {
			if under(pkg, d) && len(d) > depth {
				k, depth = c.name, len(d)
			}
		}
	}
	return k
}

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

	// The domain imports only the standard library.
	for _, d := range pkgs["internal/iotsec"].Deps {
		if !std[d] {
			t.Errorf("internal/iotsec depends on %s; it may use the standard library only", d)
		}
	}

	names := make([]string, 0, len(pkgs))
	for name := range pkgs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := pkgs[name]
		imports := local(p.Imports)
		// forbid reports imports of the given kinds (or directories).
		forbid := func(why string, dirs ...string) {
			for _, imp := range imports {
				if in(imp, dirs) {
					t.Errorf("%s imports %s: %s", name, imp, why)
				}
			}
		}
		// allow reports every import outside the given directories.
		allow := func(why string, dirs ...string) {
			for _, imp := range imports {
				if !in(imp, dirs) {
					t.Errorf("%s imports %s (%s): %s", name, imp, orNone(kind(imp)), why)
				}
			}
		}
		noSQL := func() {
			if slices.Contains(p.Deps, "database/sql") {
				t.Errorf("%s depends on database/sql; it reaches data through the iotsec.Store interfaces", name)
			}
		}
		top := append(append([]string{}, doors...), root...)
		switch k := kind(name); {
		case k == "":
			t.Errorf("%s is not classified: add it to domain, engines, services, renderers, doors, storage or support in this test (and docs/architecture.md)", name)
		case k == "domain":
			// checked above
		case k == "engine":
			forbid("engines never import services, renderers, doors, storage or app", slices.Concat(services, renderers, top, storage)...)
			noSQL()
		case k == "service":
			forbid("services never import doors, storage or app", slices.Concat(top, storage)...)
			noSQL()
		case k == "renderer":
			forbid("renderers never import services, doors, storage or app", slices.Concat(services, top, storage)...)
		case name == "internal/api" || name == "internal/ui":
			allow("api and ui import only the domain, services and renderers", slices.Concat(domain, services, renderers)...)
		case name == "internal/cli":
			allow("the CLI imports only the domain, services, renderers, app and config", slices.Concat(domain, services, renderers, root, []string{"internal/config"})...)
		case name == "internal/server":
			allow("the server imports only the domain, services and the api and ui doors", slices.Concat(domain, services, []string{"internal/api", "internal/ui"})...)
		case name == "internal/sqlstore":
			allow("sqlstore imports only the domain and the queue", "internal/iotsec", "internal/queue")
		case name == "internal/sqlite" || name == "internal/postgres":
			allow("a dialect imports only the domain, sqlstore and the queue", "internal/iotsec", "internal/sqlstore", "internal/queue")
		case name == "internal/queue" || name == "internal/storetest":
			allow("the queue and the store contract import only the domain", "internal/iotsec")
		case name == "internal/config":
			allow("config imports no package of the module")
		case name == apptest:
			allow("apptest imports only app, the domain, services, config, the SQL store (to open one per dialect) and the store contract's PostgreSQL schema helper",
				slices.Concat(root, domain, services, []string{"internal/config", "internal/sqlstore", "internal/storetest"})...)
		}
		// Only cli (and the tests' apptest) imports app; only cmd imports cli.
		for _, imp := range imports {
			if imp == "internal/app" && name != "internal/cli" && name != apptest {
				t.Errorf("%s imports internal/app; only internal/cli (and %s, for tests) may", name, apptest)
			}
			if imp == "internal/cli" && !under(name, "cmd") {
				t.Errorf("%s imports internal/cli; only cmd/iotsec may", name)
			}
		}
	}
}

// TestAppTestOnlyInTests: apptest starts a whole server with two
// organisations for tests; no file but a _test.go file may import it,
// whatever its build constraints.
func TestAppTestOnlyInTests(t *testing.T) {
	pkgs := packages(t)
	if _, ok := pkgs[apptest]; !ok {
		t.Fatalf("%s is not in the module; this test guards nothing", apptest)
	}
	for name, p := range pkgs {
		for _, g := range slices.Concat(p.GoFiles, p.IgnoredGoFiles) {
			if strings.HasSuffix(g, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, g), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range f.Imports {
				if strings.Trim(is.Path.Value, `"`) == mod+apptest {
					t.Errorf("%s/%s imports %s, which only _test.go files may import", name, g, apptest)
				}
			}
		}
	}
}

// TestPackageVars: no package-level mutable state. A package-level var may
// be assigned only in its declaration; it is then a constant that Go
// cannot spell as one (an error value, a table, a compiled pattern). An
// assignment anywhere else, in its own package or another, is state.
func TestPackageVars(t *testing.T) {
	pkgs := packages(t)
	fset := token.NewFileSet()
	type file struct {
		pkg string
		f   *ast.File
	}
	var files []file
	vars := map[string]map[string]bool{} // package -> its package-level vars
	specs := map[*ast.ValueSpec]string{} // package-level declarations -> package
	for name, p := range pkgs {
		vars[name] = map[string]bool{}
		for _, g := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, g), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, file{name, f})
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					specs[vs] = name
					for _, id := range vs.Names {
						if id.Name != "_" {
							vars[name][id.Name] = true
						}
					}
				}
			}
		}
	}
	for _, fl := range files {
		imported := map[string]string{} // local name -> package of the module
		for _, is := range fl.f.Imports {
			path := strings.Trim(is.Path.Value, `"`)
			if !strings.HasPrefix(path, mod) {
				continue
			}
			path = strings.TrimPrefix(path, mod)
			n := path[strings.LastIndex(path, "/")+1:]
			if is.Name != nil {
				n = is.Name.Name
			}
			imported[n] = path
		}
		// target names the package-level var e assigns to, if any.
		target := func(e ast.Expr) (string, bool) {
			for {
				switch v := e.(type) {
				case *ast.ParenExpr:
					e = v.X
				case *ast.StarExpr:
					e = v.X
				case *ast.IndexExpr:
					e = v.X
				case *ast.SelectorExpr:
					if id, ok := v.X.(*ast.Ident); ok && id.Obj == nil {
						if p, ok := imported[id.Name]; ok && vars[p][v.Sel.Name] {
							return p + "." + v.Sel.Name, true
						}
					}
					e = v.X
				case *ast.Ident:
					if v.Obj != nil {
						vs, ok := v.Obj.Decl.(*ast.ValueSpec)
						if ok && specs[vs] == fl.pkg {
							return fl.pkg + "." + v.Name, true
						}
						return "", false
					}
					// Unresolved in this file: a var of another file of
					// the package, if the package has one of that name.
					if vars[fl.pkg][v.Name] {
						return fl.pkg + "." + v.Name, true
					}
					return "", false
				default:
					return "", false
				}
			}
		}
		report := func(lhs ast.Expr) {
			if v, ok := target(lhs); ok {
				t.Errorf("%s: assigns package-level var %s outside its declaration; pass it in (a field, a parameter) instead",
					fset.Position(lhs.Pos()), v)
			}
		}
		for _, d := range fl.f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch s := n.(type) {
				case *ast.AssignStmt:
					if s.Tok != token.DEFINE {
						for _, l := range s.Lhs {
							report(l)
						}
					}
				case *ast.IncDecStmt:
					report(s.X)
				case *ast.RangeStmt:
					if s.Tok == token.ASSIGN {
						for _, l := range []ast.Expr{s.Key, s.Value} {
							if l != nil {
								report(l)
							}
						}
					}
				}
				return true
			})
		}
	}
}

func orNone(k string) string {
	if k == "" {
		return "unclassified"
	}
	return fmt.Sprint(k)
}
