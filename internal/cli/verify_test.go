package cli

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// verifyResult is the JSON contract of `identity verify`.
type verifyResult struct {
	Valid    bool     `json:"valid"`
	Chain    []string `json:"chain"`
	Problems []struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	} `json:"problems"`
}

// verifyJSON runs `identity verify -o json` and decodes its result; the
// exit code must be 0 for a valid chain and 1 otherwise.
func verifyJSON(t *testing.T, args ...string) verifyResult {
	t.Helper()
	out, errOut, code := runCLI(t, t.TempDir(), append([]string{"identity", "verify", "-o", "json"}, args...)...)
	var r verifyResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d, stdout is not the JSON result: %v\nstdout: %s\nstderr: %s", code, err, out, errOut)
	}
	if r.Chain == nil || r.Problems == nil {
		t.Errorf("chain and problems must be lists, never null: %s", out)
	}
	want := ExitOK
	if !r.Valid {
		want = ExitFailed
	}
	if code != want || r.Valid != (len(r.Problems) == 0) {
		t.Errorf("exit %d, valid %v with %d problems; want exit %d", code, r.Valid, len(r.Problems), want)
	}
	return r
}

func (r verifyResult) codes() []string {
	var out []string
	for _, p := range r.Problems {
		if !slices.Contains(out, p.Code) {
			out = append(out, p.Code)
		}
	}
	slices.Sort(out)
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestIdentityVerifyMatterVectors runs every Matter commissioner_dut
// vector in internal/pki/testdata through the command, with the
// Certification Declaration (--cd, --cd-signer) and the device's IDs
// (--vid FFF1 as chip's runner, --pid from basic_info_pid), and checks
// the verdict and problem codes against internal/pki's expectations.
func TestIdentityVerifyMatterVectors(t *testing.T) {
	const data = "../pki/testdata/matter"
	dirs, err := filepath.Glob(data + "/commissioner_dut/*")
	if err != nil || len(dirs) != 45 {
		t.Fatalf("want 45 vectors, got %d (%v)", len(dirs), err)
	}
	var exp struct {
		Want map[string]struct {
			Codes []string `json:"codes"`
		} `json:"want"`
		Deviations map[string]struct {
			Codes  []string `json:"codes"`
			Reason string   `json:"reason"`
		} `json:"deviations"`
	}
	b, err := os.ReadFile(data + "/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	passed, deviations := 0, 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			var v struct {
				IsSuccessCase string `json:"is_success_case"`
				BasicInfoPID  *int   `json:"basic_info_pid"`
				DACCert       string `json:"dac_cert"`
				PAICert       string `json:"pai_cert"`
				CD            string `json:"certification_declaration"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "test_case_vector.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			tmp := t.TempDir()
			der := func(s string) []byte {
				d, err := hex.DecodeString(s)
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			// The chain as a device sends it: DAC then PAI, PEM; the
			// declaration as DER.
			chain := writeFile(t, tmp, "chain.pem", append(pemCert(der(v.DACCert)), pemCert(der(v.PAICert))...))
			cd := writeFile(t, tmp, "cd.der", der(v.CD))
			args := []string{"--profile", "matter-dac", "--at", "2025-06-01", "--chain", chain,
				"--roots", data + "/paa-root-certs/Chip-Test-PAA-FFF1-Cert.der",
				"--roots", data + "/paa-root-certs/Chip-Test-PAA-NoVID-Cert.der",
				"--cd", cd, "--cd-signer", data + "/Chip-Test-CD-Signing-Cert.pem", "--vid", "FFF1"}
			if v.BasicInfoPID != nil {
				args = append(args, "--pid", fmt.Sprintf("%04X", *v.BasicInfoPID))
			}
			r := verifyJSON(t, args...)
			wantValid := v.IsSuccessCase == "true"
			want := exp.Want[name].Codes
			if dev, ok := exp.Deviations[name]; ok {
				if r.Valid == wantValid {
					t.Fatalf("listed as a deviation but the verdict now matches the vector")
				}
				want = dev.Codes
				deviations++
			} else if r.Valid != wantValid {
				t.Fatalf("valid = %v, want %v; problems %v", r.Valid, wantValid, r.Problems)
			} else {
				passed++
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(want)), r.codes()); diff != "" {
				t.Errorf("problem codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
		})
	}
	t.Logf("Matter vectors through the CLI: %d of %d agree with is_success_case, %d listed deviations", passed, len(dirs), deviations)
}

// TestIdentityVerifyLimbo runs the applicable x509-limbo testcases
// through the command itself (the pki package's TestLimbo runs them
// through the function the command calls): same verdicts, same
// allow-list.
func TestIdentityVerifyLimbo(t *testing.T) {
	const data = "../pki/testdata/x509-limbo"
	var f struct {
		Testcases []struct {
			ID                     string     `json:"id"`
			TrustedCerts           []string   `json:"trusted_certs"`
			UntrustedIntermediates []string   `json:"untrusted_intermediates"`
			PeerCertificate        string     `json:"peer_certificate"`
			CRLs                   []string   `json:"crls"`
			ValidationTime         *time.Time `json:"validation_time"`
			ExpectedPeerName       *struct {
				Value string `json:"value"`
			} `json:"expected_peer_name"`
			ExpectedPeerNames []struct {
				Value string `json:"value"`
			} `json:"expected_peer_names"`
			ExtendedKeyUsage []string `json:"extended_key_usage"`
			ExpectedResult   string   `json:"expected_result"`
		} `json:"testcases"`
	}
	b, err := os.ReadFile(data + "/limbo.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	dev, err := os.ReadFile(data + "/deviations.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(dev))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			id, _, _ := strings.Cut(line, " ")
			listed[id] = true
		}
	}
	agree := 0
	for _, tc := range f.Testcases {
		t.Run(tc.ID, func(t *testing.T) {
			tmp := t.TempDir()
			args := []string{"--profile", "x509",
				"--roots", writeFile(t, tmp, "roots.pem", []byte(strings.Join(tc.TrustedCerts, ""))),
				"--chain", writeFile(t, tmp, "chain.pem", []byte(tc.PeerCertificate+strings.Join(tc.UntrustedIntermediates, "")))}
			at := "2026-06-29"
			if tc.ValidationTime != nil {
				at = tc.ValidationTime.Format(time.RFC3339Nano)
			}
			args = append(args, "--at", at)
			if len(tc.CRLs) > 0 {
				args = append(args, "--crl", writeFile(t, tmp, "crls.pem", []byte(strings.Join(tc.CRLs, ""))))
			}
			if tc.ExpectedPeerName != nil {
				args = append(args, "--name", tc.ExpectedPeerName.Value)
			}
			for _, n := range tc.ExpectedPeerNames {
				args = append(args, "--name", n.Value)
			}
			for _, e := range tc.ExtendedKeyUsage {
				args = append(args, "--eku", e)
			}
			r := verifyJSON(t, args...)
			want := tc.ExpectedResult == "SUCCESS"
			if r.Valid == want {
				agree++
			}
			if (r.Valid != want) != listed[tc.ID] {
				t.Errorf("valid = %v, expected %s, allow-listed %v; problems %v", r.Valid, tc.ExpectedResult, listed[tc.ID], r.Problems)
			}
		})
	}
	t.Logf("x509-limbo through the CLI: %d of %d agree", agree, len(f.Testcases))
}

// TestIdentityVerifyJSONContract: whatever the files hold, the command
// prints the JSON result with problems naming the file and the item, and
// exits 1; only flags and unreadable files exit 2.
func TestIdentityVerifyJSONContract(t *testing.T) {
	dir := t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	serial := int64(100)
	issue := func(tpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
		serial++
		tpl.SerialNumber = big.NewInt(serial)
		tpl.NotBefore, tpl.NotAfter = at.AddDate(-1, 0, 0), at.AddDate(5, 0, 0)
		if parent == nil {
			parent = tpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	}
	rootKey := key()
	root := issue(ca("Root"), nil, &rootKey.PublicKey, rootKey)
	leafKey := key()
	leaf := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "device"}, DNSNames: []string{"device.example"},
		KeyUsage: x509.KeyUsageDigitalSignature}, root, &leafKey.PublicKey, rootKey)
	// A chain of 70: the leaf under 69 CAs, each signing the next.
	long := [][]byte{}
	parent, parentKey := root, rootKey
	var cas []*x509.Certificate
	for i := 0; i < 69; i++ {
		k := key()
		c := issue(ca(fmt.Sprintf("CA %02d", i)), parent, &k.PublicKey, parentKey)
		cas = append(cas, c)
		parent, parentKey = c, k
	}
	deep := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "deep device"}}, parent, &leafKey.PublicKey, parentKey)
	long = append(long, pemCert(deep.Raw))
	for i := len(cas) - 1; i >= 0; i-- {
		long = append(long, pemCert(cas[i].Raw))
	}
	rootPEM, leafPEM := pemCert(root.Raw), pemCert(leaf.Raw)
	garbage := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	f := func(name string, data []byte) string { return writeFile(t, dir, name, data) }

	tests := []struct {
		name   string
		args   []string
		codes  []string
		detail string // a substring of some problem's detail
	}{
		{"valid", []string{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM)}, nil, ""},
		{"roots file with one unparseable certificate among good ones",
			[]string{"--roots", f("roots-1bad.pem", slices.Concat(rootPEM, garbage)), "--chain", f("leaf.pem", leafPEM)},
			[]string{"cert.malformed"}, "roots-1bad.pem: certificate 2 "},
		{"roots file of garbage only",
			[]string{"--roots", f("garbage.pem", garbage), "--chain", f("leaf.pem", leafPEM)},
			[]string{"cert.malformed", "chain.untrusted"}, "garbage.pem: certificate 1 "},
		{"second roots file bad", []string{"--roots", f("root.pem", rootPEM), "--roots", f("text.pem", []byte("hello")),
			"--chain", f("leaf.pem", leafPEM)}, []string{"cert.malformed"}, "text.pem: certificate 1 "},
		{"chain over 64 certificates", []string{"--roots", f("root.pem", rootPEM), "--chain", f("long.pem", bytes.Join(long, nil))},
			[]string{"chain.too_long"}, "long.pem holds 70 certificates"},
		{"unparseable intermediate in the chain", []string{"--roots", f("root.pem", rootPEM), "--chain", f("chain-bad.pem", slices.Concat(leafPEM, garbage))},
			[]string{"cert.malformed"}, "chain-bad.pem: certificate 2 "},
		{"unparseable leaf", []string{"--roots", f("root.pem", rootPEM), "--chain", f("garbage-leaf.pem", garbage)},
			[]string{"cert.malformed"}, "garbage-leaf.pem: certificate 1 "},
		{"empty chain file", []string{"--roots", f("root.pem", rootPEM), "--chain", f("empty.pem", nil)},
			[]string{"chain.empty", "input.malformed"}, "empty.pem: empty"},
		{"chain file without certificates", []string{"--roots", f("root.pem", rootPEM), "--chain", f("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}))},
			[]string{"chain.empty", "input.malformed"}, "key.pem: no CERTIFICATE PEM block"},
		{"roots file over the size limit", []string{"--roots", f("huge.pem", bytes.Repeat(rootPEM, 1<<20/len(rootPEM)+1)), "--chain", f("leaf.pem", leafPEM)},
			[]string{"chain.untrusted", "input.too_large"}, "huge.pem: "},
		{"unparseable CRL", []string{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM), "--crl", f("bad.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte("x")}))},
			[]string{"crl.malformed"}, "bad.crl: CRL 1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verifyJSON(t, append([]string{"--at", "2026-01-01"}, tt.args...)...)
			if diff := cmp.Diff(tt.codes, r.codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s\n%v", diff, r.Problems)
			}
			if tt.detail != "" && !slices.ContainsFunc(r.Problems, func(p struct {
				Code   string `json:"code"`
				Detail string `json:"detail"`
			}) bool {
				return strings.Contains(p.Detail, tt.detail)
			}) {
				t.Errorf("no problem detail contains %q: %v", tt.detail, r.Problems)
			}
		})
	}

	// Usage errors: flags, and files that cannot be read.
	for _, args := range [][]string{
		{"--roots", filepath.Join(dir, "missing.pem"), "--chain", f("leaf.pem", leafPEM)},
		{"--roots", f("root.pem", rootPEM)},
		{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM), "--eku", "teleport"},
		{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM), "--pid", "8000"},
		{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM), "--profile", "matter-dac", "--cd", f("leaf.pem", leafPEM)},
		{"--roots", f("root.pem", rootPEM), "--chain", f("leaf.pem", leafPEM), "--profile", "matter-dac", "--vid", "xyz"},
	} {
		if _, _, code := runCLI(t, dir, append([]string{"identity", "verify", "-o", "json"}, args...)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}
