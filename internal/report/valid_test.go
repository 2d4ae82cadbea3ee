package report_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/report"
	"github.com/iotsec/iotsec/internal/scan"
)

var (
	tagRE  = regexp.MustCompile(`^<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"<]*")?)*)\s*(/?)>`)
	attrRE = regexp.MustCompile(`\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="[^"]*")?`)
	// void elements have no end tag
	void = []string{"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
	// parents an element must be directly inside
	parents = map[string][]string{"tr": {"table", "thead", "tbody", "tfoot"}, "td": {"tr"}, "th": {"tr"}, "li": {"ul", "ol"},
		"dt": {"dl"}, "dd": {"dl"}, "head": {"html"}, "body": {"html"}, "title": {"head", "svg"}, "meta": {"head"}, "style": {"head"}}
	// elements a paragraph cannot hold (the parser would close it first)
	block = []string{"p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "pre", "section", "header", "footer"}
)

// htmlProblems lists what is wrong unless s is an HTML document whose every element is
// closed explicitly and in order (void elements and self-closed SVG
// elements aside), whose every "<" opens a tag, whose attributes are
// quoted and not repeated, and whose tables, lists and paragraphs hold
// only what a browser would keep inside them. It is stricter than an HTML
// parser, so a report that passes reads the same in every browser.
func htmlProblems(s string) []string {
	var out []string
	errorf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !strings.HasPrefix(s, "<!doctype html>\n") {
		errorf("no <!doctype html> first")
	}
	s = strings.TrimPrefix(s, "<!doctype html>\n")
	var stack []string
	line := func(i int) int { return 1 + strings.Count(s[:i], "\n") }
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		m := tagRE.FindStringSubmatch(s[i:])
		if m == nil {
			errorf("line %d: %q does not open a well-formed tag", line(i), s[i:min(i+40, len(s))])
			i++
			continue
		}
		end, tag, attrs, self := m[1] == "/", strings.ToLower(m[2]), m[3], m[4] == "/"
		seen := map[string]bool{}
		for _, a := range attrRE.FindAllStringSubmatch(attrs, -1) {
			if seen[a[1]] {
				errorf("line %d: <%s> repeats attribute %s", line(i), tag, a[1])
			}
			seen[a[1]] = true
		}
		switch {
		case end:
			if len(stack) == 0 || stack[len(stack)-1] != tag {
				errorf("line %d: </%s> closes %v", line(i), tag, stack)
				return out
			}
			stack = stack[:len(stack)-1]
		default:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			if ps, ok := parents[tag]; ok && !slices.Contains(ps, parent) {
				errorf("line %d: <%s> inside <%s>", line(i), tag, parent)
			}
			if parent == "p" && slices.Contains(block, tag) {
				errorf("line %d: <%s> inside <p>", line(i), tag)
			}
			if !self && !slices.Contains(void, tag) {
				stack = append(stack, tag)
			}
		}
		i += len(m[0])
		if !end && (tag == "style" || tag == "script") {
			k := strings.Index(s[i:], "</"+tag+">")
			if k < 0 {
				errorf("<%s> never closed", tag)
				return out
			}
			i += k
		}
	}
	if len(stack) != 0 {
		errorf("elements left open at the end: %v", stack)
	}
	return out
}

// TestHTMLValid checks the HTML report of both images, and that the check
// catches what it should.
func TestHTMLValid(t *testing.T) {
	for name, r := range map[string]*scan.Result{"router": routerScan(t), "at-risk": atRiskScan(t)} {
		var b bytes.Buffer
		if err := report.HTML(&b, r, report.Meta{Tool: "iotsec test", Product: "R <1> & \"2\"", Version: "1.0"}); err != nil {
			t.Fatal(err)
		}
		for _, p := range htmlProblems(b.String()) {
			t.Errorf("%s report: %s", name, p)
		}
	}
	for _, bad := range []string{
		"<!doctype html>\n<html><body><p>a</body></html>",
		"<!doctype html>\n<html><body><p>a<table></table></p></body></html>",
		"<!doctype html>\n<html><body><td>a</td></body></html>",
		"<!doctype html>\n<html><body>a < b</body></html>",
		"<!doctype html>\n<html><body><span class=x>a</span></body></html>",
		"<!doctype html>\n<html><body><span class=\"a\" class=\"b\">a</span></body></html>",
	} {
		if len(htmlProblems(bad)) == 0 {
			t.Errorf("htmlProblems accepts %q", bad)
		}
	}
}
