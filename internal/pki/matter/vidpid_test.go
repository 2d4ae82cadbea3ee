package matter

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The common names are the fallback-encoding examples of the Matter
// specification as used by chip's gen_commissioner_dut_test_vectors.py
// (vidpid_fallback_encoding_01..17).
func TestParseIDs(t *testing.T) {
	attr := func(vid, pid string) []pkix.AttributeTypeAndValue {
		var out []pkix.AttributeTypeAndValue
		if vid != "" {
			out = append(out, pkix.AttributeTypeAndValue{Type: OIDVendorID, Value: vid})
		}
		if pid != "" {
			out = append(out, pkix.AttributeTypeAndValue{Type: OIDProductID, Value: pid})
		}
		return out
	}
	both := func(v, p uint16, fb bool) IDs { return IDs{VID: v, PID: p, HasVID: true, HasPID: true, Fallback: fb} }
	tests := []struct {
		cn       string
		vid, pid string // Matter attributes
		want     IDs
		wantErr  bool
	}{
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FFF1 Mpid:00B1", want: both(0xFFF1, 0xB1, true)},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mpid:00B1 Mvid:FFF1", want: both(0xFFF1, 0xB1, true)},
		{cn: "Mpid:00B1,ACME Matter Devel DAC 5CDA9899,Mvid:FFF1", want: both(0xFFF1, 0xB1, true)},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FFF1Mpid:00B1", want: both(0xFFF1, 0xB1, true)},
		{cn: "Mvid:FFF1ACME Matter Devel DAC 5CDAMpid:00B19899", want: both(0xFFF1, 0xB1, true)},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FF1 Mpid:00B1", want: IDs{PID: 0xB1, HasPID: true, Fallback: true}},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:fff1 Mpid:00B1", want: IDs{PID: 0xB1, HasPID: true, Fallback: true}},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FFF1 Mpid:B1", want: IDs{VID: 0xFFF1, HasVID: true, Fallback: true}},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mpid: Mvid:FFF1", want: IDs{VID: 0xFFF1, HasVID: true, Fallback: true}},
		{cn: "Mvid:FFF Mpid:00B10x", want: IDs{PID: 0xB1, HasPID: true, Fallback: true}},
		{cn: "MpidMvid:FFF10 Matter Test Mpid:00B1", want: both(0xFFF1, 0xB1, true)},
		{cn: "Matter Devel DAC Mpid:Mvid:Fff1", want: IDs{}},
		{cn: "Matter Devel DAC Mpid:00B1 MVID:FFF1", want: IDs{PID: 0xB1, HasPID: true, Fallback: true}},
		{cn: "Matter Devel DAC Mpid_00B1 Mvid_FFF1", want: IDs{}},
		// 15-17: Matter attributes win over the common name.
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FFF2 Mpid:00B2", vid: "FFF1", pid: "00B1", want: both(0xFFF1, 0xB1, false)},
		{cn: "ACME Matter Devel DAC 5CDA9899 Mvid:FFF1 Mpid:00B1", vid: "FFF2", pid: "00B2", want: both(0xFFF2, 0xB2, false)},
		{cn: "Mvid:FFF1", pid: "00B1", want: IDs{PID: 0xB1, HasPID: true}},
		// Malformed attributes are errors, not absences.
		{cn: "x", vid: "fff1", wantErr: true},
		{cn: "x", vid: "FFF", wantErr: true},
		{cn: "x", vid: "FFF10", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.cn+"/"+tt.vid+tt.pid, func(t *testing.T) {
			name := pkix.Name{Names: append([]pkix.AttributeTypeAndValue{{Type: oidCommonName, Value: tt.cn}}, attr(tt.vid, tt.pid)...)}
			got, err := ParseIDs(name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseIDs(%q) error = %v, want error %v", tt.cn, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" && !tt.wantErr {
				t.Errorf("ParseIDs(%q) (-want +got):\n%s", tt.cn, diff)
			}
		})
	}
}

func TestDecodeTLV(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"struct with uint and string", []byte{0x15, 0x24, 0x00, 0x01, 0x2c, 0x01, 0x02, 'h', 'i', 0x18}, false},
		{"truncated string", []byte{0x15, 0x2c, 0x01, 0x09, 'h', 0x18}, true},
		{"missing end", []byte{0x15, 0x24, 0x00, 0x01}, true},
		{"trailing bytes", []byte{0x15, 0x18, 0x00}, true},
		{"reserved type", []byte{0x1f}, true},
		{"too deep", []byte{0x15, 0x15, 0x15, 0x15, 0x15, 0x15, 0x18, 0x18, 0x18, 0x18, 0x18, 0x18}, true},
		{"huge length", []byte{0x13, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeTLV(tt.in)
			if (err != nil) != tt.wantErr {
				t.Errorf("decodeTLV(% x) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseDeclaration(f *testing.F) {
	// Seeds: the declarations of the chip vectors kept by package identity.
	files, _ := filepath.Glob("../testdata/matter/commissioner_dut/*/test_case_vector.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var v struct {
			CD string `json:"certification_declaration"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			f.Fatal(err)
		}
		der, err := hex.DecodeString(v.CD)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	// Any key ID: the fuzzer may find the envelope shape, never a valid
	// signature, so parsing must always end in a Failure.
	keys := []SignerKey{{KeyID: []byte{0x62, 0xfa, 0x82, 0x33, 0x59, 0xac, 0xfa, 0xa9, 0x96, 0x3e, 0x1c, 0xfa, 0x14, 0x0a, 0xdd, 0xf5, 0x04, 0xf3, 0x71, 0x60}, PublicKey: &key.PublicKey}}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDeclaration(b, keys)
		if err == nil || d != nil {
			t.Fatalf("ParseDeclaration accepted a declaration signed by no trusted key")
		}
		if _, ok := err.(*Failure); !ok {
			t.Fatalf("ParseDeclaration error %T, want *Failure", err)
		}
		if d, f := decodeElements(b); f == nil && d == nil {
			t.Fatalf("decodeElements returned neither result nor failure")
		}
	})
}

func FuzzParseRevocationSet(f *testing.F) {
	b, err := os.ReadFile("../testdata/matter/revoked-attestation-certificates/revocation-sets/revocation-set-for-paa.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`[{"type":"revocation_set","issuer_subject_key_id":"00","issuer_name":"","revoked_serial_numbers":["0x1"]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sets, err := ParseRevocationSet(b)
		if err != nil && sets != nil {
			t.Fatal("ParseRevocationSet returned sets with an error")
		}
		for _, s := range sets {
			if len(s.IssuerKeyID) == 0 {
				t.Fatal("entry without issuer key ID accepted")
			}
		}
	})
}
