package matter

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Limits for a revocation set file.
const (
	MaxRevocationSetSize    = 8 << 20
	maxRevocationSetEntries = 100000
)

// RevocationSet is one entry of a Matter revocation set: the serial numbers
// one issuer (a PAA or PAI) has revoked, as commissioners build them from
// the CRLs the DCL points to (chip's credentials/generate-revocation-set.py).
type RevocationSet struct {
	IssuerKeyID []byte     // issuer_subject_key_id
	IssuerName  []byte     // issuer_name: the issuer's DER subject
	Serials     []*big.Int // revoked_serial_numbers
	// CRLSigner and CRLSignerDelegator are the DER certificates the set was
	// verified with (informational; whoever built the set checked them).
	CRLSigner, CRLSignerDelegator []byte
}

// ParseRevocationSet reads a revocation set JSON file (a list of objects
// with "type": "revocation_set").
func ParseRevocationSet(data []byte) ([]RevocationSet, error) {
	if len(data) > MaxRevocationSetSize {
		return nil, fmt.Errorf("revocation set: %d bytes exceeds limit %d", len(data), MaxRevocationSetSize)
	}
	var raw []struct {
		Type               string   `json:"type"`
		IssuerSubjectKeyID string   `json:"issuer_subject_key_id"`
		IssuerName         string   `json:"issuer_name"`
		RevokedSerials     []string `json:"revoked_serial_numbers"`
		CRLSignerCert      string   `json:"crl_signer_cert"`
		CRLSignerDelegator string   `json:"crl_signer_delegator"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("revocation set: %w", err)
	}
	if len(raw) > maxRevocationSetEntries {
		return nil, fmt.Errorf("revocation set: %d entries exceeds limit %d", len(raw), maxRevocationSetEntries)
	}
	out := make([]RevocationSet, 0, len(raw))
	for i, r := range raw {
		if r.Type != "revocation_set" {
			return nil, fmt.Errorf("revocation set entry %d: type %q, want revocation_set", i, r.Type)
		}
		var s RevocationSet
		var err error
		if s.IssuerKeyID, err = hex.DecodeString(r.IssuerSubjectKeyID); err != nil || len(s.IssuerKeyID) == 0 {
			return nil, fmt.Errorf("revocation set entry %d: issuer_subject_key_id %q is not hex", i, r.IssuerSubjectKeyID)
		}
		if s.IssuerName, err = base64.StdEncoding.DecodeString(r.IssuerName); err != nil {
			return nil, fmt.Errorf("revocation set entry %d: issuer_name: %v", i, err)
		}
		for _, sn := range r.RevokedSerials {
			v, ok := new(big.Int).SetString(strings.TrimPrefix(sn, "0x"), 16)
			if !ok {
				return nil, fmt.Errorf("revocation set entry %d: serial %q is not hex", i, sn)
			}
			s.Serials = append(s.Serials, v)
		}
		if r.CRLSignerCert != "" {
			if s.CRLSigner, err = base64.StdEncoding.DecodeString(r.CRLSignerCert); err != nil {
				return nil, fmt.Errorf("revocation set entry %d: crl_signer_cert: %v", i, err)
			}
		}
		if r.CRLSignerDelegator != "" {
			if s.CRLSignerDelegator, err = base64.StdEncoding.DecodeString(r.CRLSignerDelegator); err != nil {
				return nil, fmt.Errorf("revocation set entry %d: crl_signer_delegator: %v", i, err)
			}
		}
		out = append(out, s)
	}
	return out, nil
}
