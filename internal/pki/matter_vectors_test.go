package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/iotsec/iotsec/internal/pki/matter"
)

// matterVector is one commissioner_dut test_case_vector.json.
type matterVector struct {
	Description   string `json:"description"`
	IsSuccessCase string `json:"is_success_case"`
	BasicInfoPID  *int   `json:"basic_info_pid"`
	DACCert       string `json:"dac_cert"`
	PAICert       string `json:"pai_cert"`
	CD            string `json:"certification_declaration"`
	DACPrivateKey string `json:"dac_private_key"`
	DACPublicKey  string `json:"dac_public_key"`
}

// matterAt is the verification time for the vectors: after every valid
// DAC's notBefore (2022-09-23) and before the valid_in_future DAC (2031).
var matterAt = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// matterExpected is testdata/matter/expected.json: for each vector we
// reject, the problem codes it must produce (the rule the vector
// exercises, so it cannot pass for the wrong reason), and the deviations:
// vectors whose verdict from us differs from is_success_case, each with
// the reason. Keep the deviations short: each is a place where we follow
// the specification over the vector. The CLI's test reads the same file.
type matterExpected struct {
	Want map[string]struct {
		Codes []Code `json:"codes"`
	} `json:"want"`
	Deviations map[string]struct {
		Codes  []Code `json:"codes"`
		Reason string `json:"reason"`
	} `json:"deviations"`
}

func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := ParseCertificates(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return certs[0]
}

func matterRoots(t testing.TB) []*x509.Certificate {
	return []*x509.Certificate{
		readCert(t, "testdata/matter/paa-root-certs/Chip-Test-PAA-FFF1-Cert.der"),
		readCert(t, "testdata/matter/paa-root-certs/Chip-Test-PAA-NoVID-Cert.der"),
	}
}

func testCDKey(t testing.TB) matter.SignerKey {
	c := readCert(t, "testdata/matter/Chip-Test-CD-Signing-Cert.pem")
	return matter.SignerKey{KeyID: c.SubjectKeyId, PublicKey: c.PublicKey.(*ecdsa.PublicKey)}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func codes(r Result) []Code {
	var out []Code
	for _, p := range r.Problems {
		if !slices.Contains(out, p.Code) {
			out = append(out, p.Code)
		}
	}
	slices.Sort(out)
	return out
}

func TestMatterVectors(t *testing.T) {
	dirs, err := filepath.Glob("testdata/matter/commissioner_dut/*")
	if err != nil || len(dirs) != 45 {
		t.Fatalf("want 45 vectors, got %d (%v)", len(dirs), err)
	}
	roots := matterRoots(t)
	key := testCDKey(t)
	var exp matterExpected
	readJSON(t, "testdata/matter/expected.json", &exp)
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "test_case_vector.json"))
			if err != nil {
				t.Fatal(err)
			}
			var v matterVector
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			// As chip's commissioner_dut runner: the device reports
			// VendorID 0xFFF1 and basic_info_pid as ProductID (older
			// vectors leave it out; we then take the DAC's).
			m := &MatterOptions{VendorID: 0xFFF1, CD: mustHex(t, v.CD), CDKeys: []matter.SignerKey{key}}
			if v.BasicInfoPID != nil {
				m.ProductID = uint16(*v.BasicInfoPID)
			}
			r := VerifyDER([][]byte{mustHex(t, v.DACCert), mustHex(t, v.PAICert)},
				Options{Roots: roots, At: matterAt, Profile: ProfileMatterDAC, Matter: m})
			wantValid := v.IsSuccessCase == "true"
			want := exp.Want[name].Codes
			if dev, ok := exp.Deviations[name]; ok {
				if r.Valid == wantValid {
					t.Fatalf("listed as a deviation but the verdict now matches the vector (valid=%v); remove it from expected.json", r.Valid)
				}
				want = dev.Codes
				t.Logf("deviation: %s", dev.Reason)
			} else if r.Valid != wantValid {
				t.Fatalf("Verify(%s) valid = %v, want %v; problems %v", name, r.Valid, wantValid, r.Problems)
			}
			want = slices.Sorted(slices.Values(want))
			if diff := cmp.Diff(want, codes(r)); diff != "" {
				t.Errorf("Verify(%s) problem codes (-want +got):\n%s\nproblems: %v", name, diff, r.Problems)
			}
		})
	}
}
