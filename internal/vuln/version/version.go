// Package version orders the version strings found in firmware components
// (busybox 1.35.0, OpenSSL 1.1.1k, dropbear 2018.76, dnsmasq 2.90rc1,
// OpenSSH 9.3p2, date stamps) where no ecosystem rule applies, which is the
// case for CPE ranges in NVD data.
//
// A version is read as an optional epoch ("1:"), a release of numeric
// fields and a suffix of tokens. Releases compare numerically with missing
// fields taken as zero (1.0 == 1.0.0). In the suffix, pre-release words
// (alpha, beta, rc, pre, dev, test, snapshot; "a" or "b" followed by digits)
// sort before the bare release and every other token sorts after it, so
// 2.90rc1 < 2.90 < 2.90p1 and 1.1.1 < 1.1.1a < 1.1.1k < 1.1.2.
//
// It imports only the standard library.
package version

import "strings"

// MaxLen is the longest version string Parse reads; longer input is cut.
// Versions come from untrusted SBOMs and feeds.
const MaxLen = 256

// Kind of a suffix token; the order of the constants is the sort order.
const (
	kindPre    = iota // pre-release word: rc, beta, ...
	kindEnd           // end of the version
	kindWord          // any other letters: OpenSSL k, OpenSSH p
	kindNumber        // digits
)

type token struct {
	kind int
	text string // lower-case letters, or digits without leading zeros
}

// Version is a parsed version. The zero Version is the empty version.
type Version struct {
	epoch string
	toks  []token // release numbers, then the suffix
	nrel  int     // release fields kept (trailing zeros dropped)
	suf   int     // index of the first suffix token
	valid bool
}

// Valid reports whether the version starts with a digit (after an optional
// "v" and epoch). Names such as "custom" or "git" carry no order, so range
// checks must not be decided on them.
func (v Version) Valid() bool { return v.valid }

// Parse reads s. It never fails: any string gets a place in the order, and
// Valid says whether the result can be trusted for ranges.
func Parse(s string) Version {
	v := parseInto(s, nil)
	v.toks = append([]token(nil), v.toks...) // own the tokens, not the caller's buffer
	return v
}

// parseInto parses s using buf for the tokens, so that a caller with a
// stack array compares without allocating.
func parseInto(s string, buf []token) Version {
	if len(s) > MaxLen {
		s = s[:MaxLen]
	}
	s = strings.ToLower(strings.TrimSpace(s))
	var v Version
	// Epoch: digits followed by a colon, as in Debian and RPM versions.
	if i := strings.IndexByte(s, ':'); i > 0 && allDigits(s[:i]) {
		v.epoch = trimZeros(s[:i])
		s = s[i+1:]
	}
	if len(s) > 1 && s[0] == 'v' && isDigit(s[1]) {
		s = s[1:]
	}
	v.valid = len(s) > 0 && isDigit(s[0])
	v.toks = tokenize(s, buf)
	// The release is the leading run of numbers; it ends at the first
	// letter run. Trailing zero fields are dropped (1.0 == 1.0.0).
	for v.suf < len(v.toks) && v.toks[v.suf].kind == kindNumber {
		v.suf++
	}
	v.nrel = v.suf
	for v.nrel > 0 && v.toks[v.nrel-1].text == "" {
		v.nrel--
	}
	return v
}

// tokenize appends to toks the runs of digits and runs of letters of s;
// every other byte separates. Digit runs keep no leading zeros ("" is zero).
func tokenize(s string, toks []token) []token {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			toks = append(toks, token{kindNumber, trimZeros(s[i:j])})
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			w := s[i:j]
			if (w == "a" || w == "b") && j < len(s) && isDigit(s[j]) {
				// "a1", "b2": alpha and beta in the Python style.
				if w == "a" {
					w = "alpha"
				} else {
					w = "beta"
				}
			}
			if r, ok := preKey(w); ok {
				toks = append(toks, token{kindPre, r})
			} else {
				toks = append(toks, token{kindWord, w})
			}
			i = j
		default:
			i++
		}
	}
	return toks
}

// preKey maps a pre-release word to a key whose byte order is the order of
// the stages: dev < snapshot < test < alpha < beta < pre < rc.
func preKey(w string) (string, bool) {
	switch w {
	case "dev":
		return "0dev", true
	case "snapshot":
		return "1snapshot", true
	case "test":
		return "2test", true
	case "alpha":
		return "3alpha", true
	case "beta":
		return "4beta", true
	case "pre", "preview":
		return "5pre", true
	case "rc":
		return "6rc", true
	}
	return "", false
}

// Compare returns -1, 0 or +1 as a is less than, equal to or greater than b.
// It does not allocate for versions of up to 32 fields.
func Compare(a, b string) int {
	var ba, bb [32]token
	return parseInto(a, ba[:0]).Compare(parseInto(b, bb[:0]))
}

// CompareString orders v against s without allocating for versions of up
// to 32 fields; the matcher parses a component version once and compares it
// with many range bounds.
func (v Version) CompareString(s string) int {
	var buf [32]token
	return v.Compare(parseInto(s, buf[:0]))
}

// Compare orders v against w.
func (v Version) Compare(w Version) int {
	if c := cmpNum(v.epoch, w.epoch); c != 0 {
		return c
	}
	n := max(v.nrel, w.nrel)
	for i := range n {
		if c := cmpNum(field(v.toks[:v.nrel], i), field(w.toks[:w.nrel], i)); c != 0 {
			return c
		}
	}
	vs, ws := v.toks[v.suf:], w.toks[w.suf:]
	n = max(len(vs), len(ws))
	for i := range n {
		a, b := tok(vs, i), tok(ws, i)
		if a.kind != b.kind {
			return sign(a.kind - b.kind)
		}
		var c int
		if a.kind == kindNumber {
			c = cmpNum(a.text, b.text)
		} else {
			c = cmpStr(a.text, b.text)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// String returns the normalised form, for debugging and reasons.
func (v Version) String() string {
	var b strings.Builder
	if v.epoch != "" {
		b.WriteString(v.epoch + ":")
	}
	for i, t := range v.toks[:v.nrel] {
		if i > 0 {
			b.WriteByte('.')
		}
		f := t.text
		if f == "" {
			f = "0"
		}
		b.WriteString(f)
	}
	for _, t := range v.toks[v.suf:] {
		b.WriteByte('~')
		if t.kind == kindNumber && t.text == "" {
			b.WriteByte('0')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

func field(f []token, i int) string {
	if i < len(f) {
		return f[i].text
	}
	return ""
}

func tok(t []token, i int) token {
	if i < len(t) {
		return t[i]
	}
	return token{kind: kindEnd}
}

// cmpNum compares two digit strings without leading zeros.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return cmpStr(a, b)
}

// cmpStr is strings.Compare written with operators, which escape analysis
// sees through (strings.Compare's assembly makes its arguments escape).
func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string { return strings.TrimLeft(s, "0") }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' }
