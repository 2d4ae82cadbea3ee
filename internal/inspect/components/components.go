// Package components identifies the software in an unpacked image: name
// and version of 37 firmware components from their binaries (busybox,
// openssl, dropbear, dnsmasq, the Linux kernel, ...; musl too from package
// data), each with evidence (file,
// offset, the matched text), a CPE 2.3 name with the vendor NVD uses and
// a package URL, ready for vulnerability matching. It reads version
// strings from binaries and, where the image keeps one, the OpenWrt
// (opkg) or Debian (dpkg) package database.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package components

import (
	"bufio"
	"bytes"
	"context"
	"fmt"

	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/package-url/packageurl-go"
)

// Category is the family name; it reports components, not findings.
const Category = "components"

// Analyser is the components family.
type Analyser struct{}

// New returns the analyser.
func New() *Analyser { return &Analyser{} }

// Name is the family name.
func (a *Analyser) Name() string { return Category }

// maxPerAnchor bounds regex work per anchor and file.
const maxPerAnchor = 64

// CPE formats a CPE 2.3 name.
func CPE(part, vendor, product, version string) string {
	if part == "" {
		part = "a"
	}
	esc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
				b.WriteRune(r)
			default:
				b.WriteByte('\\')
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	if version == "" {
		version = "*"
	} else {
		version = esc(version)
	}
	return fmt.Sprintf("cpe:2.3:%s:%s:%s:%s:*:*:*:*:*:*:*", part, esc(vendor), esc(product), version)
}

// Analyse identifies components. Files are matched on all cores: this is
// the one analyser that reads every program byte by byte.
func (a *Analyser) Analyse(ctx context.Context, t *check.Target) (check.Report, error) {
	m := newMatcher(signatures())
	files := t.Regular(func(f check.File) bool { return f.Size >= 8 && f.Size <= check.DefaultMaxRead && !skip(f.Path) })
	results := make([][]check.Component, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f := files[i]
				b, err := t.Read(f.Path)
				if err != nil || check.IsText(b) && !strings.HasSuffix(f.Name(), ".so") {
					continue // version strings live in programs, libraries and kernels
				}
				results[i] = match(m, f, b)
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return check.Report{}, err
	}
	var comps []check.Component
	for _, r := range results {
		comps = append(comps, r...)
	}
	comps = append(comps, packages(t)...)
	return check.Report{Components: dedupe(comps)}, nil
}

func skip(p string) bool {
	p = "/" + p
	for _, s := range []string{"/share/doc/", "/share/man/", "/share/locale/", "/share/licenses/", "/include/"} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

func component(name, vendor, product, part, version, p string, ev check.Evidence) check.Component {
	purl := packageurl.NewPackageURL("generic", "", name, version, nil, "").ToString()
	return check.Component{Name: name, Version: version, CPE: CPE(part, vendor, product, version), PURL: purl, Path: p, Evidence: ev}
}

// matcher is the signatures with an index of their anchors, so that one
// pass over a file finds every anchor instead of one bytes.Index pass per
// signature (36 passes over every program of the image).
type matcher struct {
	sigs    []signature
	anchor  []int    // per signature: index into anchors, -1 when it has none
	anchors [][]byte // distinct anchors, each at least 2 bytes
	// head[pair] is 1 + the first anchor starting with those two bytes,
	// next[a] 1 + the next anchor with a's first two bytes.
	head []uint8
	next []uint8
}

func newMatcher(sigs []signature) *matcher {
	m := &matcher{sigs: sigs, anchor: make([]int, len(sigs)), head: make([]uint8, 1<<16)}
	seen := map[string]int{}
	for i, s := range sigs {
		m.anchor[i] = -1
		if s.names != nil || len(s.anchor) < 2 {
			continue
		}
		a, ok := seen[s.anchor]
		if !ok {
			a = len(m.anchors)
			if a >= 255 {
				panic("components: more than 254 anchors")
			}
			seen[s.anchor] = a
			m.anchors = append(m.anchors, []byte(s.anchor))
			m.next = append(m.next, 0)
			k := uint16(s.anchor[0])<<8 | uint16(s.anchor[1])
			m.next[a] = m.head[k]
			m.head[k] = uint8(a + 1)
		}
		m.anchor[i] = a
	}
	return m
}

// find returns, per anchor, the offsets of its first max occurrences in
// b (overlapping ones included), in one pass.
func (m *matcher) find(b []byte, max int) [][]int {
	pos := make([][]int, len(m.anchors))
	head := m.head[:1<<16]
	for i := 0; i+1 < len(b); i++ {
		h := head[uint16(b[i])<<8|uint16(b[i+1])]
		for h != 0 {
			a := int(h - 1)
			if len(pos[a]) < max && bytes.HasPrefix(b[i:], m.anchors[a]) {
				pos[a] = append(pos[a], i)
			}
			h = m.next[a]
		}
	}
	return pos
}

// match runs the signatures over one file.
func match(m *matcher, f check.File, b []byte) []check.Component {
	sigs := m.sigs
	var found [][]int
	if len(m.anchors) > 0 {
		found = m.find(b, maxPerAnchor)
	}
	var out []check.Component
	var sum string
	hash := func() string {
		if sum == "" {
			sum = check.Hash(b)
		}
		return sum
	}
	for si, s := range sigs {
		if s.names != nil {
			if !s.names.MatchString(f.Name()) {
				continue
			}
			target := b
			if s.name == "uclibc" || s.name == "uclibc-ng" {
				target = []byte(f.Name())
			}
			if m := s.re.FindSubmatchIndex(target); m != nil {
				ev := check.Evidence{Text: string(target[m[0]:min(m[1], m[0]+80)]), SHA256: hash()}
				if len(target) == len(b) {
					ev.Offset = int64(m[0])
				}
				out = append(out, component(s.name, s.vendor, s.product, s.part, string(target[m[2]:m[3]]), f.Path, ev))
			}
			continue
		}
		var ats []int
		if a := m.anchor[si]; a >= 0 {
			ats = found[a]
		} else {
			ats = indexAll(b, []byte(s.anchor), maxPerAnchor)
		}
		for _, at := range ats {
			if !s.inner && at > 0 && isAlnum(b[at-1]) {
				continue
			}
			win := b[at:min(len(b), at+160)]
			m := s.re.FindSubmatchIndex(win)
			if m == nil {
				continue
			}
			ev := check.Evidence{Offset: int64(at), Text: printable(win[m[0]:m[1]]), SHA256: hash()}
			out = append(out, component(s.name, s.vendor, s.product, s.part, string(win[m[2]:m[3]]), f.Path, ev))
			break
		}
	}
	return out
}

// indexAll returns the offsets of the first max occurrences of sep in b.
func indexAll(b, sep []byte, max int) []int {
	var out []int
	for from := 0; len(out) < max; {
		i := bytes.Index(b[from:], sep)
		if i < 0 {
			break
		}
		out = append(out, from+i)
		from += i + 1
	}
	return out
}

func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b))
}

// dedupe keeps one component per name and version, the first by path.
func dedupe(in []check.Component) []check.Component {
	sort.SliceStable(in, func(i, j int) bool {
		if in[i].Name != in[j].Name {
			return in[i].Name < in[j].Name
		}
		if in[i].Version != in[j].Version {
			return in[i].Version < in[j].Version
		}
		return in[i].Path < in[j].Path
	})
	var out []check.Component
	for _, c := range in {
		if n := len(out); n > 0 && out[n-1].Name == c.Name && out[n-1].Version == c.Version {
			continue
		}
		out = append(out, c)
	}
	return out
}

var (
	openwrtRelease = regexp.MustCompile(`-\d+$`)
	debianRevision = regexp.MustCompile(`-[^-]*$`)
)

// packages reads the opkg and dpkg databases.
func packages(t *check.Target) []check.Component {
	var out []check.Component
	for _, f := range t.Regular(func(f check.File) bool {
		return check.HasSuffix(f.Path, "usr/lib/opkg/status") || check.HasSuffix(f.Path, "var/lib/dpkg/status") ||
			strings.Contains(f.Path, "usr/lib/opkg/info/") && strings.HasSuffix(f.Path, ".control")
	}) {
		b, err := t.Read(f.Path)
		if err != nil || len(b) > 32<<20 {
			continue
		}
		deb := strings.HasSuffix(f.Path, "dpkg/status")
		sum := check.Hash(b)
		off := 0
		for _, para := range strings.Split(string(b), "\n\n") {
			fields := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(para))
			for sc.Scan() {
				if k, v, ok := strings.Cut(sc.Text(), ": "); ok && !strings.HasPrefix(k, " ") {
					fields[k] = v
				}
			}
			pkg, ver := fields["Package"], fields["Version"]
			paraOff := off
			off += len(para) + 2
			if pkg == "" || ver == "" {
				continue
			}
			name, vendor, product, part, ok := packageCPE(pkg)
			if !ok {
				continue
			}
			up := ver
			if i := strings.IndexByte(up, ':'); i >= 0 && i < 3 { // epoch
				up = up[i+1:]
			}
			ns, typ := "openwrt", "generic"
			if deb {
				up = debianRevision.ReplaceAllString(up, "")
				ns, typ = "debian", "deb"
			} else {
				up = openwrtRelease.ReplaceAllString(up, "")
			}
			purl := packageurl.NewPackageURL(typ, ns, pkg, ver, nil, "").ToString()
			ev := check.Evidence{Offset: int64(paraOff), Line: check.LineAt(b, paraOff), Text: "Package: " + pkg + ", Version: " + ver, SHA256: sum}
			out = append(out, check.Component{Name: name, Version: up, CPE: CPE(part, vendor, product, up), PURL: purl, Path: f.Path, Evidence: ev})
		}
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
