package inspecttest

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/inspect/check"
)

const self = "github.com/iotsec/iotsec/internal/inspect/inspecttest"

// imports lists the import paths of the Go file at p.
func imports(t *testing.T, p string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, im := range f.Imports {
		s, _ := strconv.Unquote(im.Path.Value)
		out = append(out, s)
	}
	return out
}

// TestOnlyTestsImport walks the module and fails on any file other than a
// _test.go file that imports this package.
func TestOnlyTestsImport(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		for _, im := range imports(t, p) {
			if im == self {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s imports %s, which only tests may import", rel, self)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOwnImports keeps this package to the standard library, go-cmp,
// internal/inspect/check and internal/firmware, and free of package-level
// variables.
func TestOwnImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		for _, im := range imports(t, p) {
			first, _, _ := strings.Cut(im, "/")
			switch {
			case !strings.Contains(first, "."): // standard library
			case im == "github.com/google/go-cmp/cmp" || strings.HasPrefix(im, "github.com/google/go-cmp/cmp/"):
			case im == "github.com/iotsec/iotsec/internal/inspect/check", im == "github.com/iotsec/iotsec/internal/firmware":
			default:
				t.Errorf("%s imports %s", p, im)
			}
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				t.Errorf("%s: package-level variable at %v", p, g.Pos())
			}
		}
	}
}

// echo reports one finding per regular file and one component per file
// named "lib*", so the harness's own behaviour can be checked.
type echo struct{ err error }

func (echo) Name() string { return "echo" }

func (e echo) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	var r check.Report
	for _, f := range t.Regular(nil) {
		b, err := t.Read(f.Path)
		if err != nil {
			return r, err
		}
		r.Findings = append(r.Findings, check.Finding{Rule: "echo.file", Category: "echo", Severity: check.Info,
			Title: "file", Path: f.Path, Evidence: check.Evidence{Line: 1, Text: string(b)}, Provisions: []string{"5.0-1"}})
		if strings.HasPrefix(f.Name(), "lib") {
			r.Components = append(r.Components, check.Component{Name: f.Name(), Version: "1", Path: f.Path})
		}
	}
	return r, e.err
}

func TestTester(t *testing.T) {
	base := New().WithFiles(Files{
		"etc/motd":     Text("hi"),
		"lib/libz.so":  {Data: []byte("z"), Mode: 0o755},
		"var/data":     Dir(0o777),
		"lib/libc.so":  Symlink("/lib/libz.so"),
		"etc/cfg/a":    {Data: []byte("a")},
		"etc/cfg/a/b/": Text("a is now a directory"),
	})
	var seen []string
	r := base.
		ExpectFindings(
			"echo.file etc/motd info 5.0-1",
			"echo.file etc/cfg/a/b info 5.0-1",
			"echo.file lib/libz.so info 5.0-1",
		).
		ExpectComponents("libz.so 1   lib/libz.so").
		ForEachFinding(func(t testing.TB, f check.Finding) { seen = append(seen, f.Path) }).
		Test(t, echo{})
	if len(r.Findings) != 3 || len(r.Components) != 1 || len(seen) != 3 {
		t.Errorf("report %+v, ForEachFinding saw %v", r, seen)
	}

	// the base is not changed by what was derived from it
	base.BriefWith(BriefText).InOrder().
		ExpectFindings(
			"echo.file etc/cfg/a/b info 5.0-1 | a is now a directory",
			"echo.file etc/motd info 5.0-1 | hi",
			"echo.file lib/libz.so info 5.0-1 | z",
		).Test(t, echo{})
	if got := base.Test(t, echo{}, echo{}); len(got.Findings) != 6 {
		t.Errorf("two analysers: %d findings, want 6", len(got.Findings))
	}

	tg := base.WithMaxRead(1).Target(t)
	var got []string
	for _, f := range tg.Files {
		got = append(got, f.Mode.String()+" "+f.Path)
	}
	want := []string{
		"drwxr-xr-x etc", "drwxr-xr-x etc/cfg", "drwxr-xr-x etc/cfg/a", "-rw-r--r-- etc/cfg/a/b",
		"-rw-r--r-- etc/motd", "drwxr-xr-x lib", "Lrwxrwxrwx lib/libc.so", "-rwxr-xr-x lib/libz.so",
		"drwxr-xr-x var", "drwxrwxrwx var/data",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
	if b, err := tg.Read("lib/libc.so"); err != nil || string(b) != "z" {
		t.Errorf("Read(lib/libc.so) = %q, %v; want the link followed", b, err)
	}
	if _, err := tg.Read("etc/motd"); !errors.Is(err, check.ErrTooBig) {
		t.Errorf("Read(etc/motd) with MaxRead 1: %v, want ErrTooBig", err)
	}
}

// recorder collects what the harness reports instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

type fatal struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}
func (r *recorder) Fatal(args ...any) {
	r.errs = append(r.errs, fmt.Sprint(args...))
	panic(fatal{})
}

// failures runs fn with a recorder and returns what it reported.
func failures(t *testing.T, fn func(t testing.TB)) []string {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if v := recover(); v != nil && v != (fatal{}) {
				panic(v)
			}
		}()
		fn(r)
	}()
	return r.errs
}

// malformed reports a finding that breaks the rules every report keeps.
type malformed struct{}

func (malformed) Name() string { return "malformed" }
func (malformed) Analyse(context.Context, *check.Target) (check.Report, error) {
	return check.Report{
		Findings:   []check.Finding{{Rule: "m.x", Category: "other", Severity: "dire", Path: "nowhere"}},
		Components: []check.Component{{Path: "nowhere"}},
	}, nil
}

func TestFailures(t *testing.T) {
	img := New().WithFile("etc/motd", Text("hi"))
	cases := []struct {
		name string
		fn   func(t testing.TB)
		want []string // prefixes of the failures
	}{
		{"finding-missing", func(t testing.TB) {
			img.ExpectFindings("echo.file etc/motd info 5.0-1", "echo.file etc/other info 5.0-1").Test(t, echo{})
		}, []string{"findings (-want +got):"}},
		{"finding-unexpected", func(t testing.TB) { img.ExpectNoFindings().Test(t, echo{}) }, []string{"findings (-want +got):"}},
		{"order", func(t testing.TB) {
			New().WithFiles(Files{"a": Text("a"), "b": Text("b")}).InOrder().
				ExpectFindings("echo.file b info 5.0-1", "echo.file a info 5.0-1").Test(t, echo{})
		}, []string{"findings (-want +got):"}},
		{"component", func(t testing.TB) {
			New().WithFile("libx", Text("x")).ExpectComponents().Test(t, echo{})
		}, []string{"components (-want +got):"}},
		{"for-each", func(t testing.TB) {
			img.ForEachFinding(func(t testing.TB, f check.Finding) { t.Errorf("saw %s", f.Path) }).Test(t, echo{})
		}, []string{"saw etc/motd"}},
		{"analyser-error", func(t testing.TB) { img.Test(t, echo{err: errors.New("boom")}) }, []string{"echo: boom"}},
		{"no-analyser", func(t testing.TB) { img.Test(t) }, []string{"inspecttest: no analyser"}},
		{"malformed", func(t testing.TB) { img.Test(t, malformed{}) }, []string{"malformed: malformed finding", "malformed: malformed component"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := failures(t, c.fn)
			if len(got) != len(c.want) {
				t.Fatalf("failures %q, want %d", got, len(c.want))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("failure %q, want it to start %q", got[i], c.want[i])
				}
			}
		})
	}
}

// TestBriefs pins the brief formats the families' tests are written in.
func TestBriefs(t *testing.T) {
	f := check.Finding{Rule: "r.x", Path: "etc/x", Severity: check.High, Provisions: []string{"5.1-1", "5.4-3"},
		Evidence: check.Evidence{Line: 7, Text: "x=1"}}
	c := check.Component{Name: "zlib", Version: "1.2.11", CPE: "cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:*", PURL: "pkg:generic/zlib@1.2.11", Path: "lib/libz.so.1"}
	got := []string{Brief(f), BriefLine(f), BriefText(f), ComponentBrief(c)}
	want := []string{
		"r.x etc/x high 5.1-1,5.4-3",
		"r.x etc/x:7 high 5.1-1,5.4-3",
		"r.x etc/x high 5.1-1,5.4-3 | x=1",
		"zlib 1.2.11 cpe:2.3:a:zlib:zlib:1.2.11:*:*:*:*:*:*:* pkg:generic/zlib@1.2.11 lib/libz.so.1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("briefs (-want +got):\n%s", diff)
	}
}
