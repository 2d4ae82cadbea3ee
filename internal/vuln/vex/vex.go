// Package vex reads vendor VEX documents (OpenVEX, CycloneDX VEX and CSAF
// VEX) into vuln.Statement records, each scoped to a product (firmware
// version), optionally a component inside it, and a vulnerability.
//
// OpenVEX is parsed with github.com/openvex/go-vex and CycloneDX with
// github.com/CycloneDX/cyclonedx-go; CSAF VEX, for which no supported Go
// library exists, is read from the fields VEX needs: the whole product
// tree (every branch category, full product names, relationships, product
// groups) and each vulnerability's status lists with their flags, threats
// and remediations. A CSAF vulnerability without a CVE or any ID is
// skipped (Limits.Warn is told); references to undefined products or
// groups, products defined twice or through themselves and contradicting
// statuses (CSAF 2.0 tests 6.1.1 to 6.1.6) refuse the document. It
// imports no storage or HTTP package.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Limits bound a VEX document.
type Limits struct {
	MaxBytes      int64
	MaxStatements int
	MaxDepth      int // CSAF product tree branch depth (CSAF 2.0 test 6.1.34: at most 30)
	// Warn, if set, is told of each entry a reader skipped because
	// iotsec cannot use it (a CSAF vulnerability without a CVE or any
	// ID), naming the file and the entry; the rest of the document is read.
	Warn func(msg string)
}

// DefaultLimits fit the largest vendor documents seen with a wide margin.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 64 << 20, MaxStatements: 1_000_000, MaxDepth: 30}
}

// Format is a VEX document format.
type Format string

const (
	OpenVEX   Format = "openvex"
	CycloneDX Format = "cyclonedx"
	CSAF      Format = "csaf"
)

// Detect tells the format of a JSON VEX document from its top-level keys.
func Detect(data []byte) (Format, error) {
	var top struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat string          `json:"bomFormat"`
		Document  *struct {
			CSAFVersion string `json:"csaf_version"`
		} `json:"document"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return "", err
	}
	switch {
	case bytes.Contains(top.Context, []byte("openvex")):
		return OpenVEX, nil
	case top.BOMFormat == "CycloneDX":
		return CycloneDX, nil
	case top.Document != nil && top.Document.CSAFVersion != "":
		return CSAF, nil
	}
	return "", errors.New("neither OpenVEX (@context), CycloneDX (bomFormat) nor CSAF (document.csaf_version)")
}

// ReadFile reads a VEX document of any of the three formats.
func ReadFile(path string, lim Limits) ([]vuln.Statement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > lim.MaxBytes {
		return nil, &vuln.InputError{File: path, Record: -1, Err: fmt.Errorf("document of %d bytes is larger than %d: %w", st.Size(), lim.MaxBytes, vuln.ErrLimit)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Read(data, path, lim)
}

// Read parses data, detecting its format; name is used in errors.
func Read(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	if int64(len(data)) > lim.MaxBytes {
		return nil, &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf("document of %d bytes is larger than %d: %w", len(data), lim.MaxBytes, vuln.ErrLimit)}
	}
	f, err := Detect(data)
	if err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	switch f {
	case OpenVEX:
		return readOpenVEX(data, name, lim)
	case CycloneDX:
		return readCycloneDX(data, name, lim)
	}
	return readCSAF(data, name, lim)
}

func jsonOffset(err error) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Offset
	}
	return 0
}

// cdxJustification maps CycloneDX impact justifications onto the OpenVEX
// labels, as grype does; the original label is kept in Impact.
func cdxJustification(j string) string {
	switch j {
	case "code_not_present":
		return "vulnerable_code_not_present"
	case "code_not_reachable":
		return "vulnerable_code_not_in_execute_path"
	case "requires_configuration", "requires_environment":
		return "vulnerable_code_cannot_be_controlled_by_adversary"
	case "requires_dependency":
		return "component_not_present"
	case "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter", "protected_by_mitigating_control":
		return "inline_mitigations_already_exist"
	}
	return ""
}

// cdxState maps a CycloneDX analysis state to a VEX status.
func cdxState(s string) (string, bool) {
	switch s {
	case "resolved", "resolved_with_pedigree":
		return vuln.StatusFixed, true
	case "exploitable":
		return vuln.StatusAffected, true
	case "in_triage":
		return vuln.StatusUnderInvestigation, true
	case "false_positive", "not_affected":
		return vuln.StatusNotAffected, true
	}
	return "", false
}
