package vex

import (
	"fmt"
	"strings"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"

	"github.com/iotsec/iotsec/internal/vuln"
)

func readOpenVEX(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	doc, err := govex.Parse(data)
	if err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	var out []vuln.Statement
	for i := range doc.Statements {
		s := &doc.Statements[i]
		fail := func(err error) ([]vuln.Statement, error) {
			return nil, &vuln.InputError{File: name, Record: i, Err: fmt.Errorf("statements[%d]: %w", i, err)}
		}
		if err := s.Validate(); err != nil {
			return fail(err)
		}
		id := string(s.Vulnerability.Name)
		if id == "" {
			id = s.Vulnerability.ID
		}
		if id == "" {
			return fail(fmt.Errorf("vulnerability has no name"))
		}
		ts := time.Time{}
		switch {
		case s.LastUpdated != nil:
			ts = *s.LastUpdated
		case s.Timestamp != nil:
			ts = *s.Timestamp
		case doc.Timestamp != nil:
			ts = *doc.Timestamp
		}
		base := vuln.Statement{
			Vulnerability: id,
			Status:        string(s.Status),
			Justification: string(s.Justification),
			Impact:        s.ImpactStatement,
			Action:        s.ActionStatement,
			Timestamp:     ts,
			Source:        doc.ID,
		}
		for _, a := range s.Vulnerability.Aliases {
			base.Aliases = append(base.Aliases, string(a))
		}
		if len(s.Products) == 0 {
			return fail(fmt.Errorf("no products"))
		}
		for pi, p := range s.Products {
			prod := openvexRef(p.Component)
			if prod.IsZero() {
				return fail(fmt.Errorf("products[%d] has no @id or identifiers", pi))
			}
			if len(p.Subcomponents) == 0 {
				st := base
				st.Product = prod
				out = append(out, st)
			}
			for _, sc := range p.Subcomponents {
				st := base
				st.Product, st.Component = prod, openvexRef(sc.Component)
				out = append(out, st)
			}
			if len(out) > lim.MaxStatements {
				return fail(fmt.Errorf("more than %d statements: %w", lim.MaxStatements, vuln.ErrLimit))
			}
		}
	}
	return out, nil
}

func openvexRef(c govex.Component) vuln.Ref {
	var r vuln.Ref
	switch {
	case strings.HasPrefix(c.ID, "pkg:"):
		r.PURL = c.ID
	case strings.HasPrefix(c.ID, "cpe:"):
		r.CPE = c.ID
	case c.ID != "":
		r.Name = c.ID
	}
	if v := c.Identifiers[govex.PURL]; v != "" && r.PURL == "" {
		r.PURL = v
	}
	if v := c.Identifiers[govex.CPE23]; v != "" && r.CPE == "" {
		r.CPE = v
	}
	return r
}
