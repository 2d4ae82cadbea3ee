package vex

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// The few CSAF 2.0 fields a VEX reading needs.
type csafDoc struct {
	Document struct {
		CSAFVersion string `json:"csaf_version"`
		Category    string `json:"category"`
		Tracking    struct {
			ID                 string `json:"id"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []csafBranch  `json:"branches"`
		FullProductNames []csafProduct `json:"full_product_names"`
		Relationships    []struct {
			Category                  string      `json:"category"`
			ProductReference          string      `json:"product_reference"`
			RelatesToProductReference string      `json:"relates_to_product_reference"`
			FullProductName           csafProduct `json:"full_product_name"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE string `json:"cve"`
		IDs []struct {
			SystemName string `json:"system_name"`
			Text       string `json:"text"`
		} `json:"ids"`
		ProductStatus map[string][]string `json:"product_status"`
		Flags         []csafNote          `json:"flags"`
		Threats       []csafNote          `json:"threats"`
		Remediations  []csafNote          `json:"remediations"`
	} `json:"vulnerabilities"`
}

type csafNote struct {
	Label      string   `json:"label"`
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafProduct struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	Helper    *struct {
		CPE          string   `json:"cpe"`
		PURL         string   `json:"purl"`
		ModelNumbers []string `json:"model_numbers"`
	} `json:"product_identification_helper"`
}

func csafRef(p csafProduct, name, version string) vuln.Ref {
	r := vuln.Ref{Name: name, Version: version}
	if r.Name == "" {
		r.Name = p.Name
	}
	if p.Helper != nil {
		r.PURL, r.CPE = p.Helper.PURL, p.Helper.CPE
	}
	return r
}

// csafStatus maps a product_status list name to a VEX status.
func csafStatus(list string) string {
	switch list {
	case "known_not_affected":
		return vuln.StatusNotAffected
	case "fixed", "first_fixed":
		return vuln.StatusFixed
	case "known_affected", "first_affected", "last_affected":
		return vuln.StatusAffected
	case "under_investigation":
		return vuln.StatusUnderInvestigation
	}
	return "" // "recommended" names a version to move to, not a status
}

func readCSAF(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	var doc csafDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	if v := doc.Document.CSAFVersion; v != "2.0" {
		return nil, &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf("document.csaf_version %q is not 2.0", v)}
	}
	products := map[string]vuln.Ref{}
	var walk func(bs []csafBranch, prodName, ver string, depth int, where string) error
	walk = func(bs []csafBranch, prodName, ver string, depth int, where string) error {
		if depth > lim.MaxDepth {
			return fmt.Errorf("%s: branches nested deeper than %d: %w", where, lim.MaxDepth, vuln.ErrLimit)
		}
		for i, b := range bs {
			w := fmt.Sprintf("%s.branches[%d]", where, i)
			pn, v := prodName, ver
			switch b.Category {
			case "product_name":
				pn = b.Name
			case "product_version", "product_version_range":
				v = b.Name
			}
			if b.Product != nil {
				if b.Product.ProductID == "" {
					return fmt.Errorf("%s.product has no product_id", w)
				}
				products[b.Product.ProductID] = csafRef(*b.Product, pn, v)
			}
			if err := walk(b.Branches, pn, v, depth+1, w); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.ProductTree.Branches, "", "", 0, "product_tree"); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Err: err}
	}
	for _, p := range doc.ProductTree.FullProductNames {
		products[p.ProductID] = csafRef(p, "", "")
	}
	type pair struct{ product, component string }
	composed := map[string]pair{}
	for i, r := range doc.ProductTree.Relationships {
		id := r.FullProductName.ProductID
		if id == "" || r.ProductReference == "" || r.RelatesToProductReference == "" {
			return nil, &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf("product_tree.relationships[%d]: missing product IDs", i)}
		}
		composed[id] = pair{r.RelatesToProductReference, r.ProductReference}
	}
	resolve := func(id string) (prod, comp vuln.Ref, ok bool) {
		if p, found := composed[id]; found {
			prod, ok1 := products[p.product]
			comp, ok2 := products[p.component]
			return prod, comp, ok1 && ok2
		}
		prod, ok = products[id]
		return prod, vuln.Ref{}, ok
	}
	released, _ := time.Parse(time.RFC3339, doc.Document.Tracking.CurrentReleaseDate)
	var out []vuln.Statement
	for vi, v := range doc.Vulnerabilities {
		id := v.CVE
		var aliases []string
		for _, x := range v.IDs {
			if id == "" {
				id = x.Text
			} else {
				aliases = append(aliases, x.Text)
			}
		}
		fail := func(err error) ([]vuln.Statement, error) {
			return nil, &vuln.InputError{File: name, Record: vi, Err: fmt.Errorf("vulnerabilities[%d] (%s): %w", vi, id, err)}
		}
		if id == "" {
			return fail(fmt.Errorf("no cve and no ids"))
		}
		notes := func(ns []csafNote, pid string, label bool) string {
			for _, n := range ns {
				for _, p := range n.ProductIDs {
					if p == pid {
						if label {
							return n.Label
						}
						if n.Category == "impact" || n.Category == "vendor_fix" || n.Category == "mitigation" || n.Category == "workaround" || n.Category == "no_fix_planned" || n.Category == "none_available" {
							return n.Details
						}
					}
				}
			}
			return ""
		}
		for _, list := range []string{"known_not_affected", "fixed", "first_fixed", "known_affected", "first_affected", "last_affected", "under_investigation"} {
			for _, pid := range v.ProductStatus[list] {
				prod, comp, ok := resolve(pid)
				if !ok {
					return fail(fmt.Errorf("product_status.%s names unknown product_id %q", list, pid))
				}
				st := vuln.Statement{
					Vulnerability: id, Aliases: aliases, Product: prod, Component: comp,
					Status: csafStatus(list), Timestamp: released, Source: doc.Document.Tracking.ID,
				}
				switch st.Status {
				case vuln.StatusNotAffected:
					st.Justification = notes(v.Flags, pid, true)
					st.Impact = notes(v.Threats, pid, false)
				case vuln.StatusAffected:
					st.Action = notes(v.Remediations, pid, false)
				}
				out = append(out, st)
				if len(out) > lim.MaxStatements {
					return fail(fmt.Errorf("more than %d statements: %w", lim.MaxStatements, vuln.ErrLimit))
				}
			}
		}
	}
	return out, nil
}
