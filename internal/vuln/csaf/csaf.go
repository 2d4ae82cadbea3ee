// Package csaf builds CSAF 2.0 documents (profiles csaf_vex and
// csaf_security_advisory) from plain inputs: a publisher, products with
// model numbers and firmware versions, and per-vulnerability statuses.
// The product tree carries the model numbers, CPEs and purls so readers
// can find their devices.
//
// It is pure: no store, no HTTP. It imports the standard library and
// internal/vuln only.
package csaf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Input is what a CSAF document is built from.
type Input struct {
	Category  string // "csaf_vex" (default) or "csaf_security_advisory"
	Publisher Publisher
	ID        string // tracking ID, unique for the publisher
	Title     string
	Version   string // tracking version; "1" when empty
	Status    string // "draft", "interim" or "final" (default)
	Initial   time.Time
	Current   time.Time
	Lang      string // "en" when empty
	Products  []Product
	Vulns     []Vulnerability
}

// Publisher is the CSAF document publisher.
type Publisher struct {
	Category  string // "vendor" when empty
	Name      string
	Namespace string // https URL of the publisher
}

// Product is a device model and its firmware versions.
type Product struct {
	Vendor       string
	Name         string // "Router R100 firmware"
	ModelNumbers []string
	Versions     []ProductVersion
}

// ProductVersion is one firmware version.
type ProductVersion struct {
	Version string
	CPE     string
	PURL    string
}

// Vulnerability is one CVE and its status per firmware version.
type Vulnerability struct {
	CVE      string
	Title    string
	Summary  string
	CVSS     *vuln.CVSS
	Statuses []Status
}

// Status is the status of a vulnerability in one firmware version.
type Status struct {
	Product       string // Product.Name
	Version       string // ProductVersion.Version
	Status        string // vuln.StatusAffected, StatusNotAffected, StatusFixed, StatusUnderInvestigation
	Justification string // OpenVEX/CSAF flag label, for not_affected
	Impact        string // why not affected
	Action        string // remediation, for affected
	FixedIn       string // the version that fixes it, for affected
}

// ProductID is the product_id the builder gives a firmware version.
func ProductID(product, version string) string {
	var b strings.Builder
	for _, r := range product + "-" + version {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Build returns the CSAF document, or an error naming the input that
// breaks a CSAF 2.0 rule (a status for an unknown product version, a
// not_affected status without justification or impact, an affected one
// without remediation).
func Build(in Input) (map[string]any, error) {
	if in.ID == "" || in.Title == "" || in.Publisher.Name == "" || in.Publisher.Namespace == "" {
		return nil, errors.New("id, title, publisher name and namespace are required")
	}
	if !strings.HasPrefix(in.Publisher.Namespace, "https://") {
		return nil, fmt.Errorf("publisher namespace %q is not an https URL", in.Publisher.Namespace)
	}
	if in.Initial.IsZero() || in.Current.IsZero() {
		return nil, errors.New("initial and current release dates are required")
	}
	cat := or(in.Category, "csaf_vex")
	if cat != "csaf_vex" && cat != "csaf_security_advisory" {
		return nil, fmt.Errorf("category %q is neither csaf_vex nor csaf_security_advisory", cat)
	}
	version := or(in.Version, "1")
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }

	known := map[string]bool{}
	var branches []any
	byVendor := map[string][]any{}
	var vendors []string
	for pi, p := range in.Products {
		if p.Name == "" || p.Vendor == "" || len(p.Versions) == 0 {
			return nil, fmt.Errorf("products[%d]: vendor, name and at least one version are required", pi)
		}
		var vbs []any
		for vi, v := range p.Versions {
			id := ProductID(p.Name, v.Version)
			if known[id] {
				return nil, fmt.Errorf("products[%d].versions[%d]: %s %s listed twice", pi, vi, p.Name, v.Version)
			}
			known[id] = true
			prod := map[string]any{"product_id": id, "name": p.Name + " " + v.Version}
			helper := map[string]any{}
			if v.CPE != "" {
				helper["cpe"] = v.CPE
			}
			if v.PURL != "" {
				helper["purl"] = v.PURL
			}
			if len(p.ModelNumbers) > 0 {
				helper["model_numbers"] = p.ModelNumbers
			}
			if len(helper) > 0 {
				prod["product_identification_helper"] = helper
			}
			vbs = append(vbs, map[string]any{"category": "product_version", "name": v.Version, "product": prod})
		}
		if _, ok := byVendor[p.Vendor]; !ok {
			vendors = append(vendors, p.Vendor)
		}
		byVendor[p.Vendor] = append(byVendor[p.Vendor], map[string]any{"category": "product_name", "name": p.Name, "branches": vbs})
	}
	for _, v := range vendors {
		branches = append(branches, map[string]any{"category": "vendor", "name": v, "branches": byVendor[v]})
	}

	var vulns []any
	for vi, v := range in.Vulns {
		if v.CVE == "" {
			return nil, fmt.Errorf("vulnerabilities[%d]: cve is required", vi)
		}
		lists := map[string][]string{}
		flags := map[string][]string{}
		threats := map[string][]string{}
		remeds := map[string][]string{}
		var all []string
		for si, s := range v.Statuses {
			at := fmt.Sprintf("vulnerabilities[%d] (%s) statuses[%d]", vi, v.CVE, si)
			id := ProductID(s.Product, s.Version)
			if !known[id] {
				return nil, fmt.Errorf("%s: %s %s is not in products", at, s.Product, s.Version)
			}
			all = append(all, id)
			switch s.Status {
			case vuln.StatusNotAffected:
				if s.Justification == "" && s.Impact == "" {
					return nil, fmt.Errorf("%s: not_affected needs a justification or an impact statement", at)
				}
				lists["known_not_affected"] = append(lists["known_not_affected"], id)
				if s.Justification != "" {
					flags[s.Justification] = append(flags[s.Justification], id)
				}
				if s.Impact != "" {
					threats[s.Impact] = append(threats[s.Impact], id)
				}
			case vuln.StatusAffected:
				action := s.Action
				if s.FixedIn != "" {
					action = strings.TrimSpace(action + " Update to version " + s.FixedIn + ".")
				}
				if action == "" {
					return nil, fmt.Errorf("%s: affected needs an action or a fixed version", at)
				}
				lists["known_affected"] = append(lists["known_affected"], id)
				remeds[action] = append(remeds[action], id)
			case vuln.StatusFixed:
				lists["fixed"] = append(lists["fixed"], id)
			case vuln.StatusUnderInvestigation:
				lists["under_investigation"] = append(lists["under_investigation"], id)
			default:
				return nil, fmt.Errorf("%s: status %q is not a VEX status", at, s.Status)
			}
		}
		if len(lists) == 0 {
			return nil, fmt.Errorf("vulnerabilities[%d] (%s): no status", vi, v.CVE)
		}
		out := map[string]any{"cve": v.CVE, "product_status": lists}
		if v.Title != "" {
			out["title"] = v.Title
		}
		if v.Summary != "" {
			out["notes"] = []any{map[string]any{"category": "summary", "text": v.Summary}}
		}
		if len(flags) > 0 {
			out["flags"] = group(flags, func(k string, ids []string) any { return map[string]any{"label": k, "product_ids": ids} })
		}
		if len(threats) > 0 {
			out["threats"] = group(threats, func(k string, ids []string) any {
				return map[string]any{"category": "impact", "details": k, "product_ids": ids}
			})
		}
		if len(remeds) > 0 {
			out["remediations"] = group(remeds, func(k string, ids []string) any {
				return map[string]any{"category": "vendor_fix", "details": k, "product_ids": ids}
			})
		}
		if v.CVSS != nil && strings.HasPrefix(v.CVSS.Version, "3.") {
			out["scores"] = []any{map[string]any{
				"cvss_v3":  map[string]any{"version": v.CVSS.Version, "vectorString": v.CVSS.Vector, "baseScore": v.CVSS.Score, "baseSeverity": strings.ToUpper(v.CVSS.Severity)},
				"products": all,
			}}
		}
		vulns = append(vulns, out)
	}

	doc := map[string]any{
		"document": map[string]any{
			"category":     cat,
			"csaf_version": "2.0",
			"lang":         or(in.Lang, "en"),
			"title":        in.Title,
			"publisher": map[string]any{
				"category":  or(in.Publisher.Category, "vendor"),
				"name":      in.Publisher.Name,
				"namespace": in.Publisher.Namespace,
			},
			"tracking": map[string]any{
				"id":                   in.ID,
				"status":               or(in.Status, "final"),
				"version":              version,
				"initial_release_date": ts(in.Initial),
				"current_release_date": ts(in.Current),
				"revision_history":     []any{map[string]any{"date": ts(in.Current), "number": version, "summary": "Current release."}},
			},
		},
		"product_tree": map[string]any{"branches": branches},
	}
	if len(vulns) > 0 {
		doc["vulnerabilities"] = vulns
	}
	return doc, nil
}

// group turns a map of text to product IDs into a list sorted by text,
// so the output is deterministic.
func group(m map[string][]string, f func(string, []string) any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, f(k, m[k]))
	}
	return out
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Write builds the document and writes it as indented JSON.
func Write(w io.Writer, in Input) error {
	doc, err := Build(in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
