package cpe

// Alias says that several (vendor, product) pairs name the same software
// in NVD data, as when NVD analysts used two vendor spellings.
type Alias struct {
	Part  string
	Names [][2]string // vendor, product, canonical form
	Note  string      // where the aliasing was seen
}

// DefaultAliases is the alias table for firmware components. Each entry
// was seen in real NVD or Buildroot data (see docs/supplychain.md).
func DefaultAliases() []Alias {
	return []Alias{
		{"a", [][2]string{{"thekelleys", "dnsmasq"}, {"dnsmasq", "dnsmasq"}},
			"dnsmasq is listed under two vendors in NVD data (supplychain.md §1.6)"},
		{"a", [][2]string{{"miniupnp_project", "miniupnpd"}, {"miniupnp.free", "miniupnpd"}},
			"CVE-2017-1000494 and CVE-2019-12107 use the two vendor spellings"},
		{"a", [][2]string{{"dropbear_ssh_project", "dropbear_ssh"}, {"matt_johnston", "dropbear_ssh_server"}},
			"[unverified] older dropbear CVEs (2012 and before) name the author as vendor"},
		{"a", [][2]string{{"haxx", "curl"}, {"haxx", "libcurl"}},
			"one source tree builds curl and libcurl; NVD files CVEs under either (nvd-overrides: 90 haxx:curl, 50 haxx:libcurl)"},
		{"a", [][2]string{{"uclibc", "uclibc"}, {"uclibc-ng_project", "uclibc-ng"}},
			"uClibc-ng is the maintained fork; CVE-2021-43523 and CVE-2022-30295 list both"},
		{"a", [][2]string{{"nginx", "nginx"}, {"f5", "nginx"}, {"f5", "nginx_open_source"}},
			"nginx open source moved under F5; nvd-overrides uses all three spellings"},
	}
}

// Aliases answers which keys name the same software as a given key.
type Aliases struct {
	m map[Key][]Key
}

// NewAliases builds the lookup from a table; an entry's names are all
// equivalent to one another.
func NewAliases(table []Alias) Aliases {
	a := Aliases{m: map[Key][]Key{}}
	for _, e := range table {
		var keys []Key
		for _, n := range e.Names {
			keys = append(keys, Key{e.Part, n[0], n[1]})
		}
		for _, k := range keys {
			for _, o := range keys {
				if o != k && !contains(a.m[k], o) {
					a.m[k] = append(a.m[k], o)
				}
			}
		}
	}
	return a
}

// Of returns the keys other than k that name the same software.
func (a Aliases) Of(k Key) []Key { return a.m[k] }

func contains(ks []Key, k Key) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}
