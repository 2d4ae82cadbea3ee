package vuln

import (
	"strings"

	"github.com/package-url/packageurl-go"
)

// purlKey is the index key of a package: type, namespace and name.
type purlKey struct {
	Type, Namespace, Name string
}

// ecosystemPURL maps an OSV ecosystem (without release) to a purl type
// and namespace. OSS-Fuzz and other source-level ecosystems have none:
// their records carry GIT ranges that cannot be matched offline.
func ecosystemPURL(eco string) (typ, ns string, ok bool) {
	switch eco {
	case "AlmaLinux":
		return "rpm", "almalinux", true
	case "Rocky Linux":
		return "rpm", "rocky-linux", true
	case "Red Hat":
		return "rpm", "redhat", true
	case "openSUSE":
		return "rpm", "opensuse", true
	case "SUSE":
		return "rpm", "suse", true
	case "openEuler":
		return "rpm", "openeuler", true
	case "Mageia":
		return "rpm", "mageia", true
	case "Alpine":
		return "apk", "alpine", true
	case "Wolfi":
		return "apk", "wolfi", true
	case "Chainguard":
		return "apk", "chainguard", true
	case "Alpaquita":
		return "apk", "alpaquita", true
	case "MinimOS":
		return "apk", "minimos", true
	case "Debian":
		return "deb", "debian", true
	case "Ubuntu":
		return "deb", "ubuntu", true
	case "npm":
		return "npm", "", true
	case "PyPI":
		return "pypi", "", true
	case "Go":
		return "golang", "", true
	case "crates.io":
		return "cargo", "", true
	case "Maven":
		return "maven", "", true
	case "NuGet":
		return "nuget", "", true
	case "RubyGems":
		return "gem", "", true
	case "Packagist":
		return "composer", "", true
	case "Pub":
		return "pub", "", true
	case "Hex":
		return "hex", "", true
	case "CRAN":
		return "cran", "", true
	case "Hackage":
		return "hackage", "", true
	case "SwiftURL":
		return "swift", "", true
	case "ConanCenter":
		return "conan", "", true
	}
	return "", "", false
}

// purlEcosystem is the inverse of ecosystemPURL: the OSV ecosystem whose
// version rules apply to a purl.
func purlEcosystem(typ, ns string) string {
	switch typ {
	case "rpm":
		switch ns {
		case "almalinux":
			return "AlmaLinux"
		case "rocky-linux", "rocky":
			return "Rocky Linux"
		case "opensuse":
			return "openSUSE"
		case "suse":
			return "SUSE"
		case "openeuler":
			return "openEuler"
		case "mageia":
			return "Mageia"
		}
		return "Red Hat"
	case "apk":
		switch ns {
		case "wolfi":
			return "Wolfi"
		case "chainguard":
			return "Chainguard"
		case "alpaquita":
			return "Alpaquita"
		case "minimos":
			return "MinimOS"
		}
		return "Alpine"
	case "deb":
		if ns == "ubuntu" {
			return "Ubuntu"
		}
		return "Debian"
	}
	for _, eco := range []string{"npm", "PyPI", "Go", "crates.io", "Maven", "NuGet", "RubyGems", "Packagist", "Pub", "Hex", "CRAN", "Hackage", "SwiftURL", "ConanCenter"} {
		if t, _, _ := ecosystemPURL(eco); t == typ {
			return eco
		}
	}
	return ""
}

// affectedKey returns the purl key of an OSV affected package.
func affectedKey(a Affected) (purlKey, bool) {
	if a.PURL != "" {
		if p, err := packageurl.FromString(a.PURL); err == nil {
			return keyOf(p), true
		}
	}
	eco, _, _ := strings.Cut(a.Ecosystem, ":")
	typ, ns, ok := ecosystemPURL(eco)
	if !ok || a.Name == "" {
		return purlKey{}, false
	}
	name := a.Name
	switch typ {
	case "maven":
		ns, name, _ = strings.Cut(name, ":")
		if name == "" {
			return purlKey{}, false
		}
	case "npm", "composer", "golang", "swift":
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
	}
	p := packageurl.PackageURL{Type: typ, Namespace: ns, Name: name}
	if err := p.Normalize(); err != nil {
		return purlKey{}, false
	}
	return keyOf(p), true
}

func keyOf(p packageurl.PackageURL) purlKey {
	return purlKey{p.Type, p.Namespace, p.Name}
}

// releaseMatches reports whether an OSV ecosystem release ("9" of
// "AlmaLinux:9", "v3.18" of "Alpine:v3.18") fits a purl distro qualifier
// ("almalinux-9.3", "alpine-3.18.4", "bookworm" never fits "12").
func releaseMatches(release, distro string) bool {
	if release == "" || distro == "" {
		return true
	}
	if i := strings.LastIndexByte(distro, '-'); i >= 0 {
		distro = distro[i+1:]
	}
	r := strings.TrimPrefix(strings.ToLower(release), "v")
	d := strings.TrimPrefix(strings.ToLower(distro), "v")
	d = strings.TrimPrefix(d, "el")
	return d == r || strings.HasPrefix(d, r+".")
}
