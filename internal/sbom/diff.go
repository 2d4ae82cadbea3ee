package sbom

import (
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln/version"
)

// Diff is what changed between two SBOMs of a firmware (1.2 to 1.3).
type Diff struct {
	Added   []Component
	Removed []Component
	Changed []Change
}

// Change is a component present in both with different details.
type Change struct {
	Key      string // the identity both share
	Old, New Component
	Fields   []string // "version", "hashes", "licenses", "cpe", "purl", "supplier", "files"
}

// IsEmpty reports whether nothing changed.
func (d Diff) IsEmpty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// identity is what makes two components "the same" across firmware
// versions: the purl without version and qualifiers, else the type and
// lower-case name. Refs are not used: tools regenerate them.
func identity(c Component) string {
	if c.PURL != "" {
		if p, err := packageurl.FromString(c.PURL); err == nil {
			return "purl:" + p.Type + "/" + p.Namespace + "/" + p.Name
		}
	}
	return "name:" + orDefault(c.Type, TypeLibrary) + "/" + strings.ToLower(c.Name)
}

// Compare returns the difference from a to b. Components sharing an
// identity several times (two busybox builds) are paired in version order.
func Compare(a, b *Document) Diff {
	group := func(d *Document) map[string][]Component {
		m := map[string][]Component{}
		for _, c := range d.Components {
			k := identity(c)
			m[k] = append(m[k], c)
		}
		for _, cs := range m {
			slices.SortFunc(cs, func(x, y Component) int { return version.Compare(x.Version, y.Version) })
		}
		return m
	}
	ga, gb := group(a), group(b)
	var d Diff
	keys := map[string]bool{}
	for k := range ga {
		keys[k] = true
	}
	for k := range gb {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		as, bs := ga[k], gb[k]
		n := min(len(as), len(bs))
		for i := range n {
			if f := changed(as[i], bs[i]); len(f) > 0 {
				d.Changed = append(d.Changed, Change{Key: k, Old: as[i], New: bs[i], Fields: f})
			}
		}
		d.Removed = append(d.Removed, as[n:]...)
		d.Added = append(d.Added, bs[n:]...)
	}
	return d
}

func changed(a, b Component) []string {
	var f []string
	if a.Version != b.Version {
		f = append(f, "version")
	}
	if !slices.Equal(a.Hashes, b.Hashes) {
		f = append(f, "hashes")
	}
	if !slices.Equal(a.Licenses, b.Licenses) {
		f = append(f, "licenses")
	}
	if !slices.Equal(a.CPEs, b.CPEs) {
		f = append(f, "cpe")
	}
	if a.PURL != b.PURL {
		f = append(f, "purl")
	}
	if a.Supplier != b.Supplier {
		f = append(f, "supplier")
	}
	if !slices.Equal(a.Files, b.Files) {
		f = append(f, "files")
	}
	return f
}
