package pki

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// limboCase is one C2SP x509-limbo testcase (testdata/x509-limbo/README.md).
type limboCase struct {
	ID                     string      `json:"id"`
	Description            string      `json:"description"`
	Features               []string    `json:"features"`
	TrustedCerts           []string    `json:"trusted_certs"`
	UntrustedIntermediates []string    `json:"untrusted_intermediates"`
	PeerCertificate        string      `json:"peer_certificate"`
	CRLs                   []string    `json:"crls"`
	ValidationTime         *time.Time  `json:"validation_time"`
	ExpectedPeerName       *limboName  `json:"expected_peer_name"`
	ExpectedPeerNames      []limboName `json:"expected_peer_names"`
	ExtendedKeyUsage       []string    `json:"extended_key_usage"`
	KeyUsage               []string    `json:"key_usage"`
	ExpectedResult         string      `json:"expected_result"`
}

type limboName struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// limboAt is the verification time of testcases without one: the day the
// testcases were compiled. Their certificates are valid from 1970 to 2969,
// so any time would do; a fixed one keeps the test off the clock.
var limboAt = time.Date(2026, 6, 29, 0, 0, 0, 0, time.UTC)

func loadLimbo(t testing.TB) []limboCase {
	t.Helper()
	var f struct {
		Testcases []limboCase `json:"testcases"`
	}
	readJSON(t, "testdata/x509-limbo/limbo.json", &f)
	return f.Testcases
}

// loadDeviations reads the allow-list: one "id  reason" per line, # for
// comments.
func loadDeviations(t testing.TB, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(readFile(t, path))))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("%s:%d: want \"id reason\", got %q", path, n, line)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("%s:%d: %s listed twice", path, n, id)
		}
		out[id] = strings.TrimSpace(reason)
	}
	return out
}

// limboInput turns a testcase into what `iotsec identity verify --profile
// x509` reads: the files (the peer first in the chain file, as the CLI
// wants), --name for each expected peer name and --eku.
func limboInput(tc limboCase) (Input, Options) {
	in := Input{
		Chain: File{Name: "chain.pem", Data: []byte(tc.PeerCertificate + strings.Join(tc.UntrustedIntermediates, ""))},
		Roots: []File{{Name: "roots.pem", Data: []byte(strings.Join(tc.TrustedCerts, ""))}},
	}
	if len(tc.CRLs) > 0 {
		in.CRLs = []File{{Name: "crls.pem", Data: []byte(strings.Join(tc.CRLs, ""))}}
	}
	opts := Options{Profile: ProfileX509, At: limboAt}
	if tc.ValidationTime != nil {
		opts.At = *tc.ValidationTime
	}
	for _, n := range limboNames(tc) {
		opts.Names = append(opts.Names, n.Value)
	}
	for _, e := range tc.ExtendedKeyUsage {
		eku, ok := ParseExtKeyUsage(e)
		if !ok {
			panic("limbo: unknown EKU " + e)
		}
		opts.ExtKeyUsage = append(opts.ExtKeyUsage, eku)
	}
	return in, opts
}

func limboNames(tc limboCase) []limboName {
	names := slices.Clone(tc.ExpectedPeerNames)
	if tc.ExpectedPeerName != nil {
		names = append(names, *tc.ExpectedPeerName)
	}
	return names
}

// goAlone is crypto/x509's verdict on a testcase, for comparison: Verify
// with the same roots, intermediates, time and EKUs, then VerifyHostname
// for DNS and IP names (Go has no e-mail name check; those are compared
// with the leaf's e-mail SANs). Go does not read CRLs.
func goAlone(tc limboCase, at time.Time) bool {
	parse := func(pems []string) ([]*x509.Certificate, bool) {
		var out []*x509.Certificate
		for _, p := range pems {
			b, _ := pem.Decode([]byte(p))
			if b == nil {
				return nil, false
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, false
			}
			out = append(out, c)
		}
		return out, true
	}
	leafs, ok := parse([]string{tc.PeerCertificate})
	if !ok {
		return false
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	rs, ok := parse(tc.TrustedCerts)
	if !ok {
		return false
	}
	for _, r := range rs {
		roots.AddCert(r)
	}
	is, ok := parse(tc.UntrustedIntermediates)
	if !ok {
		return false
	}
	for _, c := range is {
		inters.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if len(tc.ExtendedKeyUsage) > 0 {
		opts.KeyUsages = nil
		for _, e := range tc.ExtendedKeyUsage {
			eku, _ := ParseExtKeyUsage(e)
			opts.KeyUsages = append(opts.KeyUsages, eku)
		}
	}
	leaf := leafs[0]
	if _, err := leaf.Verify(opts); err != nil {
		return false
	}
	for _, n := range limboNames(tc) {
		switch n.Kind {
		case "DNS", "IP":
			if leaf.VerifyHostname(n.Value) != nil {
				return false
			}
		case "RFC822":
			if !slices.Contains(leaf.EmailAddresses, n.Value) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// TestLimbo runs the x509-limbo testcases that apply to iotsec's x509
// profile (testdata/x509-limbo/README.md says which) through VerifyInput,
// the function `iotsec identity verify` calls, and compares each verdict
// with the testcase's expected result. A disagreement must be on the
// allow-list with its reason, and an allow-listed case that agrees fails
// the test too, so the list stays honest.
func TestLimbo(t *testing.T) {
	cases := loadLimbo(t)
	if len(cases) != 133 {
		t.Fatalf("want the 133 applicable testcases, got %d", len(cases))
	}
	dev := loadDeviations(t, "testdata/x509-limbo/deviations.txt")
	seen := map[string]bool{}
	agree, goAgree := 0, 0
	for _, tc := range cases {
		seen[tc.ID] = true
		want := tc.ExpectedResult == "SUCCESS"
		in, opts := limboInput(tc)
		t.Run(tc.ID, func(t *testing.T) {
			start := time.Now()
			r := VerifyInput(in, opts)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if r.Valid && len(r.Problems) > 0 || !r.Valid && len(r.Problems) == 0 {
				t.Fatalf("inconsistent result %+v", r)
			}
			if r.Valid == want {
				agree++
			}
			if goAlone(tc, opts.At) == want {
				goAgree++
			}
			reason, listed := dev[tc.ID]
			switch {
			case r.Valid != want && !listed:
				t.Errorf("valid = %v, want %v (%s); problems: %v\n%s", r.Valid, want, tc.ExpectedResult, r.Problems, tc.Description)
			case r.Valid == want && listed:
				t.Errorf("allow-listed (%s) but now agrees with the expected %s: remove it from deviations.txt", reason, tc.ExpectedResult)
			case listed:
				t.Logf("deviation: %s (problems: %v)", reason, r.Problems)
			}
		})
	}
	for id := range dev {
		if !seen[id] {
			t.Errorf("deviations.txt lists %s, which is not an applicable testcase", id)
		}
	}
	t.Logf("x509-limbo: iotsec --profile x509 agrees with %d of %d testcases (%d allow-listed deviations); crypto/x509 alone agrees with %d",
		agree, len(cases), len(dev), goAgree)
	if agree < 128 {
		t.Errorf("agreement %d of %d is below the floor of 128", agree, len(cases))
	}
}

// TestLimboNamesClassified checks that every expected peer name kind in
// the corpus is one --name can express.
func TestLimboNamesClassified(t *testing.T) {
	for _, tc := range loadLimbo(t) {
		for _, n := range limboNames(tc) {
			kind := nameKind(n.Value)
			want := map[string]string{"DNS": "dns", "IP": "ip", "RFC822": "email"}[n.Kind]
			if kind != want {
				t.Errorf("%s: %q classified %s, want %s", tc.ID, n.Value, kind, want)
			}
			if kind == "ip" && net.ParseIP(n.Value) == nil {
				t.Errorf("%s: %q", tc.ID, n.Value)
			}
		}
	}
}
