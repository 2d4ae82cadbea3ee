// Package inspecttest is the shared test harness of the check families of
// package inspect, after syft's cataloger tester: a test describes an
// image (paths with contents, modes and symbolic links), runs one
// analyser or several over it, and states the findings and components it
// expects, which are compared as one-line briefs with go-cmp diffs.
//
//	inspecttest.New().
//		WithFiles(inspecttest.Files{
//			"etc/cloud.conf": inspecttest.Text("server=http://api.vendor.test/\n"),
//			"usr/bin/agent":  {Data: agent, Mode: 0o755},
//			"bin/agent":      inspecttest.Symlink("../usr/bin/agent"),
//		}).
//		ExpectFindings(
//			"network.cleartext-endpoint etc/cloud.conf medium 5.5-1",
//			"network.hardcoded-host usr/bin/agent info 5.5-1",
//		).
//		Test(t, network.New())
//
// (network's TestPackageDoc runs it, agent being a binary that holds an
// https URL.)
//
// It is test support: only _test.go files may import it (a test of this
// package checks that). It imports only the standard library, go-cmp,
// internal/inspect/check and internal/firmware, whose in-memory FS holds
// the image; not package inspect itself, which imports every family, so
// that the families' own tests can use it. It keeps no package-level
// state: a Tester is a value, and each With or Expect method returns a
// changed copy, so one Tester may be the base of many cases.
package inspecttest

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/inspect/check"
)

// File is one entry of a test image. The zero Mode is a 0644 regular
// file; fs.ModeDir in Mode makes a directory, and a Link makes a symbolic
// link whatever the Mode.
type File struct {
	Data []byte      // contents of a regular file
	Mode fs.FileMode // type bits plus permissions, setuid, setgid, sticky
	Link string      // target of a symbolic link, as stored in an image
}

// Files maps slash-separated paths to entries. Missing parent directories
// are made with mode 0755.
type Files map[string]File

// Text is a 0644 regular file holding s.
func Text(s string) File { return File{Data: []byte(s)} }

// Dir is a directory with permissions perm (and setuid, setgid, sticky).
func Dir(perm fs.FileMode) File { return File{Mode: fs.ModeDir | perm} }

// Symlink is a symbolic link to target; absolute targets resolve inside
// the image.
func Symlink(target string) File { return File{Link: target} }

// Brief renders a finding as "rule path severity provisions", the
// provisions joined by commas.
func Brief(f check.Finding) string {
	return fmt.Sprintf("%s %s %s %s", f.Rule, f.Path, f.Severity, strings.Join(f.Provisions, ","))
}

// BriefLine is Brief with the evidence's line after the path:
// "rule path:line severity provisions".
func BriefLine(f check.Finding) string {
	return fmt.Sprintf("%s %s:%d %s %s", f.Rule, f.Path, f.Evidence.Line, f.Severity, strings.Join(f.Provisions, ","))
}

// BriefText is Brief followed by " | " and the evidence's text.
func BriefText(f check.Finding) string {
	return Brief(f) + " | " + f.Evidence.Text
}

// ComponentBrief renders a component as "name version cpe purl path".
func ComponentBrief(c check.Component) string {
	return fmt.Sprintf("%s %s %s %s %s", c.Name, c.Version, c.CPE, c.PURL, c.Path)
}

// Tester describes an image, the analysers' expected output and checks
// to make on it. The zero value is an empty image with no expectations;
// New returns it.
type Tester struct {
	files   Files
	maxRead int64

	brief          func(check.Finding) string
	componentBrief func(check.Component) string
	inOrder        bool

	findings      []string // expected briefs, when checkFindings
	checkFindings bool
	components    []string // expected briefs, when checkComponents
	checkComps    bool

	eachFinding   []func(testing.TB, check.Finding)
	eachComponent []func(testing.TB, check.Component)
}

// New returns a Tester for an empty image.
func New() Tester { return Tester{} }

// WithFiles adds files to the image, replacing entries of the same path.
func (x Tester) WithFiles(files Files) Tester {
	x.files = maps.Clone(x.files)
	if x.files == nil {
		x.files = Files{}
	}
	maps.Copy(x.files, files)
	return x
}

// WithFile adds one file to the image.
func (x Tester) WithFile(path string, f File) Tester {
	return x.WithFiles(Files{path: f})
}

// WithMaxRead sets the target's bound on files read whole.
func (x Tester) WithMaxRead(n int64) Tester {
	x.maxRead = n
	return x
}

// BriefWith sets how findings are rendered for ExpectFindings; the
// default is Brief.
func (x Tester) BriefWith(brief func(check.Finding) string) Tester {
	x.brief = brief
	return x
}

// ComponentBriefWith sets how components are rendered for
// ExpectComponents; the default is ComponentBrief.
func (x Tester) ComponentBriefWith(brief func(check.Component) string) Tester {
	x.componentBrief = brief
	return x
}

// InOrder makes ExpectFindings and ExpectComponents compare in the order
// reported; by default both sides are sorted first.
func (x Tester) InOrder() Tester {
	x.inOrder = true
	return x
}

// ExpectFindings states the briefs of all the findings expected; with no
// argument, that there are none.
func (x Tester) ExpectFindings(briefs ...string) Tester {
	x.findings = slices.Clone(briefs)
	x.checkFindings = true
	return x
}

// ExpectNoFindings states that nothing is to be found.
func (x Tester) ExpectNoFindings() Tester { return x.ExpectFindings() }

// ExpectComponents states the briefs of all the components expected.
func (x Tester) ExpectComponents(briefs ...string) Tester {
	x.components = slices.Clone(briefs)
	x.checkComps = true
	return x
}

// ForEachFinding adds a check made on every finding.
func (x Tester) ForEachFinding(fn func(t testing.TB, f check.Finding)) Tester {
	x.eachFinding = append(slices.Clip(x.eachFinding), fn)
	return x
}

// ForEachComponent adds a check made on every component.
func (x Tester) ForEachComponent(fn func(t testing.TB, c check.Component)) Tester {
	x.eachComponent = append(slices.Clip(x.eachComponent), fn)
	return x
}

// Entries lists the image as firmware entries, sorted by path.
func (x Tester) Entries() []firmware.Entry {
	out := make([]firmware.Entry, 0, len(x.files))
	for _, p := range slices.Sorted(maps.Keys(x.files)) {
		f := x.files[p]
		e := firmware.Entry{Path: p, Mode: f.Mode, Data: f.Data}
		switch {
		case f.Link != "":
			e.Mode, e.Data = fs.ModeSymlink|0o777, []byte(f.Link)
		case f.Mode == 0:
			e.Mode = 0o644
		}
		out = append(out, e)
	}
	return out
}

// FS builds the image as the in-memory file system of package firmware.
func (x Tester) FS(t testing.TB) fs.FS {
	t.Helper()
	fsys, err := firmware.NewFS(x.Entries())
	if err != nil {
		t.Fatalf("inspecttest: %v", err)
	}
	return fsys
}

// Target builds the image and lists it as analysers see it.
func (x Tester) Target(t testing.TB) *check.Target {
	t.Helper()
	tg, err := check.NewTarget(t.Context(), x.FS(t))
	if err != nil {
		t.Fatalf("inspecttest: %v", err)
	}
	if x.maxRead > 0 {
		tg.MaxRead = x.maxRead
	}
	return tg
}

// Test runs the analysers in turn over one target built from the image,
// merges their reports in that order as inspect.Run does, and checks
// them: what every report must satisfy (each finding has a rule, a title,
// a known severity, provisions, the analyser's name as category and the
// path of a file in the image or "."; each component a name and such a
// path), then the expectations and ForEach checks. An analyser's error
// is fatal. It returns the merged report for further checks.
func (x Tester) Test(t testing.TB, analysers ...check.Analyser) check.Report {
	t.Helper()
	if len(analysers) == 0 {
		t.Fatal("inspecttest: no analyser to run")
	}
	tg := x.Target(t)
	paths := map[string]bool{".": true}
	for _, f := range tg.Files {
		paths[f.Path] = true
	}
	var out check.Report
	for _, a := range analysers {
		r, err := a.Analyse(t.Context(), tg)
		if err != nil {
			t.Fatalf("%s: %v", a.Name(), err)
		}
		for _, f := range r.Findings {
			if f.Rule == "" || f.Title == "" || f.Severity.Rank() < 0 || len(f.Provisions) == 0 || f.Category != a.Name() || !paths[f.Path] {
				t.Errorf("%s: malformed finding %+v: want a rule, a title, a known severity, provisions, category %q and the path of a file in the image", a.Name(), f, a.Name())
			}
		}
		for _, c := range r.Components {
			if c.Name == "" || !paths[c.Path] {
				t.Errorf("%s: malformed component %+v: want a name and the path of a file in the image", a.Name(), c)
			}
		}
		out.Findings = append(out.Findings, r.Findings...)
		out.Components = append(out.Components, r.Components...)
	}
	if x.checkFindings {
		brief := x.brief
		if brief == nil {
			brief = Brief
		}
		got := make([]string, 0, len(out.Findings))
		for _, f := range out.Findings {
			got = append(got, brief(f))
		}
		if diff := x.diff(x.findings, got); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
	}
	if x.checkComps {
		brief := x.componentBrief
		if brief == nil {
			brief = ComponentBrief
		}
		got := make([]string, 0, len(out.Components))
		for _, c := range out.Components {
			got = append(got, brief(c))
		}
		if diff := x.diff(x.components, got); diff != "" {
			t.Errorf("components (-want +got):\n%s", diff)
		}
	}
	for _, f := range out.Findings {
		for _, each := range x.eachFinding {
			each(t, f)
		}
	}
	for _, c := range out.Components {
		for _, each := range x.eachComponent {
			each(t, c)
		}
	}
	return out
}

// diff compares briefs, sorted unless in order.
func (x Tester) diff(want, got []string) string {
	if !x.inOrder {
		want, got = slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
	}
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}
