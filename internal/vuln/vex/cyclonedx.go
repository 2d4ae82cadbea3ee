package vex

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/iotsec/iotsec/internal/vuln"
)

func readCycloneDX(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	refs := map[string]vuln.Ref{}
	var walk func(cs *[]cdx.Component, depth int) error
	walk = func(cs *[]cdx.Component, depth int) error {
		if cs == nil {
			return nil
		}
		if depth > lim.MaxDepth {
			return fmt.Errorf("components nested deeper than %d: %w", lim.MaxDepth, vuln.ErrLimit)
		}
		for _, c := range *cs {
			if c.BOMRef != "" {
				refs[c.BOMRef] = vuln.Ref{PURL: c.PackageURL, CPE: c.CPE, Name: c.Name, Version: c.Version}
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	var product vuln.Ref
	productRef := ""
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		mc := bom.Metadata.Component
		product = vuln.Ref{PURL: mc.PackageURL, CPE: mc.CPE, Name: mc.Name, Version: mc.Version}
		productRef = mc.BOMRef
	}
	if err := walk(bom.Components, 0); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Err: err}
	}
	var docTime time.Time
	if bom.Metadata != nil {
		docTime, _ = time.Parse(time.RFC3339, bom.Metadata.Timestamp)
	}
	if bom.Vulnerabilities == nil {
		return nil, nil
	}
	var out []vuln.Statement
	for i, v := range *bom.Vulnerabilities {
		fail := func(err error) ([]vuln.Statement, error) {
			return nil, &vuln.InputError{File: name, Record: i, Err: fmt.Errorf("vulnerabilities[%d] (%s): %w", i, v.ID, err)}
		}
		if v.ID == "" {
			return fail(fmt.Errorf("no id"))
		}
		if v.Analysis == nil {
			continue // a vulnerability without analysis states nothing about it
		}
		status, ok := cdxState(string(v.Analysis.State))
		if !ok {
			return fail(fmt.Errorf("analysis.state %q is not a CycloneDX state", v.Analysis.State))
		}
		st := vuln.Statement{
			Vulnerability: v.ID,
			Status:        status,
			Impact:        v.Analysis.Detail,
			Timestamp:     docTime,
			Source:        bom.SerialNumber,
		}
		if t, err := time.Parse(time.RFC3339, v.Analysis.LastUpdated); err == nil {
			st.Timestamp = t
		}
		if status == vuln.StatusNotAffected {
			st.Justification = cdxJustification(string(v.Analysis.Justification))
			if j := string(v.Analysis.Justification); j != "" {
				st.Impact = strings.TrimSpace("cyclonedx justification " + j + ". " + st.Impact)
			}
		}
		if status == vuln.StatusAffected {
			var rs []string
			if v.Analysis.Response != nil {
				for _, r := range *v.Analysis.Response {
					rs = append(rs, string(r))
				}
			}
			st.Action = v.Recommendation
			if len(rs) > 0 {
				st.Action = strings.TrimSuffix(strings.Join(rs, ", ")+": "+v.Recommendation, ": ")
			}
		}
		if v.References != nil {
			for _, r := range *v.References {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		if v.Affects == nil || len(*v.Affects) == 0 {
			return fail(fmt.Errorf("no affects"))
		}
		for ai, a := range *v.Affects {
			s := st
			ref := a.Ref
			// BOM-Link: urn:cdx:<serial>/<version>#<bom-ref>
			if strings.HasPrefix(ref, "urn:cdx:") {
				if _, frag, ok := strings.Cut(ref, "#"); ok {
					ref = frag
				}
			}
			switch {
			case ref == productRef && productRef != "":
				s.Product = product
			case refs[ref] != (vuln.Ref{}):
				s.Product, s.Component = product, refs[ref]
			default:
				return fail(fmt.Errorf("affects[%d].ref %q names no component of this BOM", ai, a.Ref))
			}
			out = append(out, s)
			if len(out) > lim.MaxStatements {
				return fail(fmt.Errorf("more than %d statements: %w", lim.MaxStatements, vuln.ErrLimit))
			}
		}
	}
	return out, nil
}
