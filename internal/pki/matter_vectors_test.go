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

// matterDeviations lists vectors whose verdict from us differs from the
// vector's is_success_case, each with the reason. Keep it short: every
// entry is a place where we follow the specification over the vector.
var matterDeviations = map[string]struct {
	codes  []Code
	reason string
}{
	"struct_cd_authorized_paa_list_count1_valid": {
		codes: []Code{CodeMatterBasicConstraint},
		reason: "its PAI has pathLenConstraint=1 (made by an older chip-cert); the chip SDK's " +
			"VerifyAttestationCertificateFormat requires pathLen=0 for a PAI and the generator's own " +
			"struct_pai_ext_basic_pathlen1 case expects failure, so we reject it. The declaration " +
			"itself (authorized_paa_list naming the FFF1 PAA) is accepted: no matter.cd.* problem.",
	},
}

// matterWant is the problem codes each failing vector must produce: the
// rule the vector exercises, so a vector cannot pass for the wrong reason.
var matterWant = map[string][]Code{
	// The unregistered PAA's PAI names an issuer we do not trust; its DAC
	// was also issued in the past (2020) and has expired.
	"invalid_paa": {CodeChainUntrusted, CodeExpired},
	"struct_cd_authorized_paa_list_count3_invalid": {CodeMatterCDPrefix + "paa_not_authorized"},
	// certificate_id validity is a DCL lookup (chip's own runner skips the
	// case); the vector also lists a PAA that did not sign the PAI, which
	// is what rejects it here.
	"struct_cd_cert_id_mismatch":             {CodeMatterCDPrefix + "paa_not_authorized"},
	"struct_cd_cms_sig_algo_ecdsa_with_sha1": {CodeMatterCDPrefix + "signature_algorithm"},
	"struct_cd_pid_array_count01_mismatch":   {CodeMatterCDPrefix + "product_mismatch"},
	"struct_cd_signer_info_skid_invalid":     {CodeMatterCDPrefix + "signer_unknown"},
	"struct_cd_vid_mismatch":                 {CodeMatterCDPrefix + "vendor_mismatch"},
	// A v2 certificate carries no extensions, so every extension rule fails too.
	"struct_dac_cert_version_v2":                   {CodeMatterVersion, CodeMatterBasicConstraint, CodeMatterKeyUsage, CodeMatterKeyID},
	"struct_dac_ext_akid_missing":                  {CodeMatterKeyID},
	"struct_dac_ext_basic_ca_wrong":                {CodeMatterBasicConstraint},
	"struct_dac_ext_basic_critical_missing":        {CodeMatterBasicConstraint},
	"struct_dac_ext_basic_critical_wrong":          {CodeMatterBasicConstraint},
	"struct_dac_ext_basic_missing":                 {CodeMatterBasicConstraint},
	"struct_dac_ext_basic_pathlen0":                {CodeMatterBasicConstraint},
	"struct_dac_ext_basic_pathlen_presence_wrong":  {CodeMatterBasicConstraint},
	"struct_dac_ext_key_usage_critical_wrong":      {CodeMatterKeyUsage},
	"struct_dac_ext_key_usage_dig_sig_wrong":       {CodeMatterKeyUsage},
	"struct_dac_ext_key_usage_key_cert_sign_wrong": {CodeMatterKeyUsage},
	"struct_dac_ext_key_usage_missing":             {CodeMatterKeyUsage},
	"struct_dac_sig_algo_ecdsa_with_sha1":          {CodeSignatureInsecure, CodeMatterSignatureAlg},
	"struct_dac_sig_curve_secp256k1":               {CodeUnsupportedKey},
	// The declaration lists 8000 only, so it rejects the 8001 DAC too.
	"struct_dac_subject_pid_mismatch": {CodeMatterCDPrefix + "product_mismatch", CodeMatterPIDMismatch},
	"struct_dac_subject_vid_mismatch": {CodeMatterCDPrefix + "vendor_mismatch", CodeMatterVIDMismatch},
	// Their PAI (2022-09-28 to 2024-09-27) did not cover the DAC's issuance.
	"struct_dac_valid_in_future":             {CodeNotYetValid, CodeMatterIssuerValidity},
	"struct_dac_valid_in_past":               {CodeExpired, CodeMatterIssuerValidity},
	"struct_dac_vidpid_fallback_encoding_07": {CodeMatterVIDPID},
	"struct_pai_ext_basic_ca_wrong":          {CodeNotCA, CodeMatterBasicConstraint},
	"struct_pai_ext_basic_critical_wrong":    {CodeMatterBasicConstraint},
	"struct_pai_sig_algo_ecdsa_with_sha1":    {CodeSignatureInsecure, CodeMatterSignatureAlg},
	"struct_pai_vidpid_fallback_encoding_07": {CodeMatterVIDPID},
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
			want := matterWant[name]
			if dev, ok := matterDeviations[name]; ok {
				if r.Valid == wantValid {
					t.Fatalf("listed as a deviation but the verdict now matches the vector (valid=%v); remove it from matterDeviations", r.Valid)
				}
				want = dev.codes
				t.Logf("deviation: %s", dev.reason)
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
