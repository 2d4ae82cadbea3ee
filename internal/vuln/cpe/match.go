package cpe

import (
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/vuln/version"
)

// Relation is the NISTIR 7696 relation of a source attribute (from NVD)
// to a target attribute (from a component).
type Relation int

const (
	Disjoint Relation = iota
	Subset            // the source is narrower than the target (target ANY)
	Superset          // the source covers the target (source ANY or pattern)
	Equal
)

func (r Relation) String() string {
	return [...]string{"disjoint", "subset", "superset", "equal"}[r]
}

// Compare returns the relation of source attribute s to target attribute t,
// both canonical values.
func Compare(s, t string) Relation {
	switch {
	case s == Any && t == Any, s == NA && t == NA:
		return Equal
	case s == Any:
		return Superset
	case t == Any:
		return Subset
	case s == NA || t == NA:
		return Disjoint
	case s == t:
		return Equal
	case hasWildcard(s) && glob(s, t):
		return Superset
	}
	return Disjoint
}

// glob matches target t against pattern p, where unquoted '*' is any run
// and '?' any one character; a quoted pair ("\\.") is one character. It
// backtracks only to the last star, so it runs in O(len(p)·len(t)) even on
// hostile patterns.
func glob(p, t string) bool {
	// width is the length of the character at i: 2 for a quoted pair.
	width := func(s string, i int) int {
		if s[i] == '\\' && i+1 < len(s) {
			return 2
		}
		return 1
	}
	pi, ti := 0, 0
	starP, starT := -1, 0
	for ti < len(t) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starT = pi, ti
				pi++
				continue
			case '?':
				pi++
				ti += width(t, ti)
				continue
			default:
				wp, wt := width(p, pi), width(t, ti)
				if wp == wt && p[pi:pi+wp] == t[ti:ti+wt] {
					pi += wp
					ti += wt
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starT += width(t, starT)
		pi, ti = starP+1, starT
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Criterion is one cpeMatch of an NVD configuration node.
type Criterion struct {
	Name Name
	ID   string // NVD matchCriteriaId, when given
	// Version range; Start and End are plain text, empty when open.
	Start, End         string
	StartExcl, EndIncl bool
	Vulnerable         bool
}

// SetRange fills the range from the four NVD fields; at most one start and
// one end may be set.
func (c *Criterion) SetRange(startIncl, startExcl, endIncl, endExcl string) error {
	if startIncl != "" && startExcl != "" {
		return fmt.Errorf("both versionStartIncluding %q and versionStartExcluding %q", startIncl, startExcl)
	}
	if endIncl != "" && endExcl != "" {
		return fmt.Errorf("both versionEndIncluding %q and versionEndExcluding %q", endIncl, endExcl)
	}
	c.Start, c.StartExcl = startIncl, false
	if startExcl != "" {
		c.Start, c.StartExcl = startExcl, true
	}
	c.End, c.EndIncl = endExcl, false
	if endIncl != "" {
		c.End, c.EndIncl = endIncl, true
	}
	return nil
}

// HasRange reports whether the criterion has a version range.
func (c Criterion) HasRange() bool { return c.Start != "" || c.End != "" }

// Range describes the versions the criterion covers, for reasons.
func (c Criterion) Range() string {
	v := c.Name.Version()
	switch {
	case c.HasRange():
		var parts []string
		if c.Start != "" {
			op := ">="
			if c.StartExcl {
				op = ">"
			}
			parts = append(parts, op+" "+c.Start)
		}
		if c.End != "" {
			op := "<"
			if c.EndIncl {
				op = "<="
			}
			parts = append(parts, op+" "+c.End)
		}
		return "versions " + strings.Join(parts, ", ")
	case v == Any:
		return "all versions"
	case v == NA:
		return "no version (NA)"
	}
	s := "version " + Unquote(v)
	if u := c.Name.Update(); u != Any && u != NA {
		s += " update " + Unquote(u)
	}
	return s
}

// Fixed returns the first fixed version the criterion implies: the
// excluded end of its range, when it has one.
func (c Criterion) Fixed() string {
	if c.End != "" && !c.EndIncl {
		return c.End
	}
	return ""
}

// Target is a component's CPE prepared for matching against many
// criteria: its version is parsed once.
type Target struct {
	Name    Name
	verText string // version plus a literal update (7.4 + p1)
	ver     version.Version
}

// NewTarget prepares n for matching.
func NewTarget(n Name) Target {
	t := Target{Name: n}
	if tv := n.Version(); tv != Any && tv != NA {
		t.verText = Unquote(tv)
		if tu := n.Update(); isLiteral(tu) {
			t.verText += Unquote(tu)
		}
		t.ver = version.Parse(t.verText)
	}
	return t
}

// Match reports whether target, a component's CPE, is one of the
// products the criterion names, ignoring its Vulnerable flag. The string
// says why not when it is false.
func (c Criterion) Match(target Name) (bool, string) { return c.MatchTarget(NewTarget(target)) }

// MatchTarget is Match for a prepared target.
func (c Criterion) MatchTarget(t Target) (bool, string) { return c.match(t, true) }

// Holds is MatchTarget without the reason, for the hot path: refusals
// are the common case and their text is never read there.
func (c Criterion) Holds(t Target) bool {
	ok, _ := c.match(t, false)
	return ok
}

func (c Criterion) match(t Target, explain bool) (bool, string) {
	s, target := c.Name, t.Name
	if r := Compare(s.Part(), target.Part()); r == Disjoint {
		return false, "part differs"
	}
	rv, rp := Compare(s.Vendor(), target.Vendor()), Compare(s.Product(), target.Product())
	if rv == Disjoint || rp == Disjoint {
		return false, "vendor or product differs"
	}
	// Dependency-Track #3178: a component with ANY vendor matched
	// cpe:2.3:h:intel:*; opposite relations on vendor and product are
	// ambiguous and refused.
	if (rv == Subset && rp == Superset) || (rv == Superset && rp == Subset) {
		if !explain {
			return false, ""
		}
		return false, fmt.Sprintf("ambiguous vendor/product relation (%s/%s)", rv, rp)
	}
	if ok, why := c.matchVersion(t, explain); !ok {
		return false, why
	}
	for _, i := range []int{AttrEdition, AttrLanguage, AttrSWEdition, AttrTargetHW, AttrOther} {
		if r := Compare(s.Attr(i), target.Attr(i)); r == Disjoint {
			return false, attrNames[i] + " differs"
		}
	}
	sw, tsw := s.TargetSW(), target.TargetSW()
	switch r := Compare(sw, tsw); {
	case r == Disjoint:
		return false, "target_sw differs"
	case r == Subset && OtherPlatform(Unquote(sw)):
		// grype only_vulnerable_targets: a criterion for the Rust crate or
		// the npm package of the same name is not the C library.
		if !explain {
			return false, ""
		}
		return false, fmt.Sprintf("criterion is for target_sw %q, another software platform", Unquote(sw))
	}
	return true, ""
}

func (c Criterion) matchVersion(t Target, explain bool) (bool, string) {
	target := t.Name
	sv, tv := c.Name.Version(), target.Version()
	su, tu := c.Name.Update(), target.Update()
	if tv == Any || tv == NA {
		if (sv == Any && !c.HasRange()) || (sv == NA && tv == NA) {
			return true, ""
		}
		return false, "component has no version"
	}
	tver := t.verText
	switch {
	case sv == NA:
		// Bogus unversioned criteria (Dependency-Track #3268) name no version.
		return false, "criterion has version NA"
	case sv == Any && !c.HasRange():
		return true, ""
	case sv == Any:
		v := t.ver
		if !v.Valid() {
			if !explain {
				return false, ""
			}
			return false, fmt.Sprintf("component version %q has no order", tver)
		}
		if c.Start != "" {
			x := v.CompareString(c.Start)
			if x < 0 || (x == 0 && c.StartExcl) {
				if !explain {
					return false, ""
				}
				return false, "below " + c.Range()
			}
		}
		if c.End != "" {
			x := v.CompareString(c.End)
			if x > 0 || (x == 0 && !c.EndIncl) {
				if !explain {
					return false, ""
				}
				return false, "above " + c.Range()
			}
		}
		return true, ""
	case hasWildcard(sv):
		if glob(sv, tv) {
			return true, ""
		}
		return false, "version differs"
	}
	// Exact version. A criterion update such as rc1 must be claimed by the
	// component, through its update attribute or its version string
	// (6.8-rc1), so the final 6.8 does not match 6.8:rc1.
	if isLiteral(su) {
		if (tv == sv && tu == su) || version.Compare(tver, Unquote(sv)+Unquote(su)) == 0 {
			return true, ""
		}
		return false, "version or update differs"
	}
	if tv != sv && version.Compare(Unquote(tv), Unquote(sv)) != 0 {
		return false, "version differs"
	}
	if su == NA && isLiteral(tu) {
		return false, "update differs"
	}
	return true, ""
}

// OtherPlatform reports whether a criterion target_sw names a language
// or application platform whose packages share product names with C
// libraries (openssl the Rust crate, curl the npm package ...). Such a
// criterion only matches a component that states the same target_sw.
func OtherPlatform(sw string) bool {
	switch sw {
	case "rust", "node.js", "nodejs", "npm", "python", "pypi", "ruby", "rubygems", "rails",
		"perl", "php", "go", "golang", "java", "maven", ".net", "dotnet", "nuget", "c#",
		"crates.io", "composer", "wordpress", "drupal", "joomla", "joomla!", "jenkins",
		"typo3", "moodle", "magento", "prestashop", "chrome", "firefox", "visual_studio_code",
		"elixir", "erlang", "haskell", "r", "swift", "dart", "lua", "julia", "kotlin", "scala",
		"grafana", "kibana", "confluence", "jira":
		return true
	}
	return false
}
