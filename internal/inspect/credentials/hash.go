package credentials

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt/apr1_crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"github.com/openwall/yescrypt-go"
	"golang.org/x/crypto/bcrypt"
)

// scheme is a password hash format.
type scheme struct {
	name string
	weak bool // broken or fast enough to brute-force offline
	// tries is how many candidate passwords the hash's cost allows; the
	// budget keeps slow hashes from stalling a scan (about a second each).
	tries int
	check func(password string) bool
}

// Work budget for one hash, in units of one SHA-512 compression roughly.
const workBudget = 1_000_000

// parseHash identifies a stored password hash. It returns ok false for
// locked or disabled entries ("*", "!", "x") and unknown formats.
func parseHash(h string) (scheme, bool) {
	switch {
	case strings.HasPrefix(h, "$1$"):
		return scheme{"md5-crypt", true, 1 << 30, cryptCheck(md5_crypt.New().Verify, h)}, true
	case strings.HasPrefix(h, "$apr1$"):
		return scheme{"apr1-md5", true, 1 << 30, cryptCheck(apr1_crypt.New().Verify, h)}, true
	case strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$") && !isMosquitto6(h):
		rounds := 5000
		if i := strings.Index(h, "rounds="); i > 0 {
			n, err := strconv.Atoi(strings.SplitN(h[i+7:], "$", 2)[0])
			if err != nil || n < 1000 || n > 999_999_999 {
				return scheme{}, false
			}
			rounds = n
		}
		name, verify := "sha256-crypt", sha256_crypt.New().Verify
		if h[1] == '6' {
			name, verify = "sha512-crypt", sha512_crypt.New().Verify
		}
		return scheme{name, false, workBudget / rounds, cryptCheck(verify, h)}, true
	case strings.HasPrefix(h, "$6$"):
		return mosquitto6(h)
	case strings.HasPrefix(h, "$7$"):
		return mosquitto7(h)
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil {
			return scheme{}, false
		}
		hb := []byte(h)
		return scheme{"bcrypt", false, max(workBudget>>(cost+4), 0), func(p string) bool {
			return bcrypt.CompareHashAndPassword(hb, []byte(p)) == nil
		}}, true
	case strings.HasPrefix(h, "$y$"):
		if len(h) < 7 {
			return scheme{}, false
		}
		// N = 2^(index+1), r = index+1 (yescrypt-go supports this subset);
		// its cost is N*r 1-KiB block operations.
		nlog := strings.IndexByte(cryptAlphabet, h[4]) + 1
		r := strings.IndexByte(cryptAlphabet, h[5]) + 1
		if nlog < 10 || nlog > 18 || r < 1 || r > 32 {
			return scheme{}, false
		}
		hb := []byte(h)
		return scheme{"yescrypt", false, workBudget / ((1 << nlog) * r / 64), func(p string) bool {
			got, err := yescrypt.Hash([]byte(p), hb)
			return err == nil && subtle.ConstantTimeCompare(got, hb) == 1
		}}, true
	case strings.HasPrefix(h, "{SHA}"):
		want := h[5:]
		return scheme{"sha1", true, 1 << 30, func(p string) bool {
			s := sha1.Sum([]byte(p))
			return base64.StdEncoding.EncodeToString(s[:]) == want
		}}, true
	case len(h) == 13 && isCryptChars(h):
		return scheme{"des-crypt", true, 1 << 30, func(p string) bool { return desCrypt(p, h[:2]) == h }}, true
	}
	return scheme{}, false
}

func cryptCheck(verify func(string, []byte) error, h string) func(string) bool {
	return func(p string) bool { return verify(h, []byte(p)) == nil }
}

func isCryptChars(s string) bool {
	for i := range len(s) {
		if strings.IndexByte(cryptAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// isMosquitto6 tells Mosquitto's "$6$salt$hash" (standard base64 of a
// salted SHA-512) from SHA-512 crypt, whose alphabet has no '+' or '='.
func isMosquitto6(h string) bool {
	parts := strings.Split(h, "$")
	return len(parts) == 4 && strings.ContainsAny(parts[2]+parts[3], "+=")
}

// mosquitto6: base64(sha512(password || salt)).
func mosquitto6(h string) (scheme, bool) {
	parts := strings.Split(h, "$")
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	want, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return scheme{}, false
	}
	return scheme{"mosquitto-sha512", true, 1 << 30, func(p string) bool {
		s := sha512.New()
		s.Write([]byte(p))
		s.Write(salt)
		return bytes.Equal(s.Sum(nil), want)
	}}, true
}

// mosquitto7: "$7$iterations$salt$hash", PBKDF2-HMAC-SHA512.
func mosquitto7(h string) (scheme, bool) {
	parts := strings.Split(h, "$")
	if len(parts) != 5 {
		return scheme{}, false
	}
	iter, err := strconv.Atoi(parts[2])
	salt, err1 := base64.StdEncoding.DecodeString(parts[3])
	want, err2 := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || err1 != nil || err2 != nil || iter < 1 || iter > 10_000_000 || len(want) == 0 || len(want) > 128 {
		return scheme{}, false
	}
	return scheme{"mosquitto-pbkdf2", false, workBudget * 2 / iter, func(p string) bool {
		got, err := pbkdf2.Key(sha512.New, p, salt, iter, len(want))
		return err == nil && bytes.Equal(got, want)
	}}, true
}
