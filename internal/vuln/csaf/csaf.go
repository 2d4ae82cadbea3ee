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
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// Input is what a CSAF document is built from.
type Input struct {
	// Category is "csaf_vex" (default), "csaf_security_advisory" or
	// "csaf_base". The first two profiles need at least one
	// vulnerability (CSAF 2.0 test 6.1.27.11): a product with none is
	// written as csaf_base, which says so in a document note.
	Category  string
	Publisher Publisher
	ID        string // tracking ID, unique for the publisher
	Title     string
	Summary   string // document note of category summary; a default one when empty
	Version   string // tracking version; "1" when empty, the number of Revisions when given
	Status    string // "draft", "interim" or "final" (default)
	Initial   time.Time
	Current   time.Time
	// Revisions, when given, are the document's history, oldest first:
	// they number 1..n, and Initial, Current and Version follow them.
	Revisions []Revision
	// Generator names the tool that wrote the document and when
	// (document.tracking.generator); Generated may be zero.
	Generator string
	Generated time.Time
	// References are links of category external (a security advisory
	// needs one, CSAF 2.0 test 6.1.27.2).
	References []Reference
	Lang       string // "en" when empty
	Products   []Product
	Vulns      []Vulnerability
}

// Revision is one entry of the revision history.
type Revision struct {
	Date    time.Time
	Summary string
}

// Reference is a link to more about the document.
type Reference struct {
	URL     string
	Summary string
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

// Categories are the document categories Build writes.
func Categories() []string { return []string{"csaf_vex", "csaf_security_advisory", "csaf_base"} }

// PublisherCategories are CSAF 2.0's publisher categories.
func PublisherCategories() []string {
	return []string{"coordinator", "discoverer", "other", "translator", "user", "vendor"}
}

// Build returns the CSAF document, or an error naming the input that
// breaks a CSAF 2.0 rule (a status for an unknown product version, a
// not_affected status without justification or impact, an affected one
// without remediation, a csaf_vex without vulnerability).
func Build(in Input) (map[string]any, error) {
	if in.ID == "" || in.Title == "" || in.Publisher.Name == "" || in.Publisher.Namespace == "" {
		return nil, errors.New("id, title, publisher name and namespace are required")
	}
	if err := CheckNamespace(in.Publisher.Namespace); err != nil {
		return nil, err
	}
	pubCat := or(in.Publisher.Category, "vendor")
	if !slices.Contains(PublisherCategories(), pubCat) {
		return nil, fmt.Errorf("publisher category %q is not one of %s", pubCat, strings.Join(PublisherCategories(), ", "))
	}
	if strings.TrimSpace(in.ID) != in.ID || strings.ContainsAny(in.ID, "\r\n") {
		return nil, fmt.Errorf("id %q has surrounding space or a line break", in.ID)
	}
	cat := or(in.Category, "csaf_vex")
	if !slices.Contains(Categories(), cat) {
		return nil, fmt.Errorf("category %q is not one of %s", cat, strings.Join(Categories(), ", "))
	}
	if (cat == "csaf_vex" || cat == "csaf_security_advisory") && len(in.Vulns) == 0 {
		return nil, fmt.Errorf("a %s document needs at least one vulnerability (CSAF 2.0 test 6.1.27.11); write csaf_base instead", cat)
	}
	if cat == "csaf_security_advisory" && len(in.References) == 0 {
		return nil, errors.New("a csaf_security_advisory needs a reference (CSAF 2.0 test 6.1.27.2)")
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	version := or(in.Version, "1")
	var history []any
	if len(in.Revisions) > 0 {
		for i, r := range in.Revisions {
			if r.Date.IsZero() || r.Summary == "" {
				return nil, fmt.Errorf("revisions[%d]: date and summary are required", i)
			}
			if i > 0 && r.Date.Before(in.Revisions[i-1].Date) {
				return nil, fmt.Errorf("revisions[%d]: %s is before the revision it follows", i, ts(r.Date))
			}
			history = append(history, map[string]any{"date": ts(r.Date), "number": strconv.Itoa(i + 1), "summary": r.Summary})
		}
		version = strconv.Itoa(len(in.Revisions))
		in.Initial, in.Current = in.Revisions[0].Date, in.Revisions[len(in.Revisions)-1].Date
	} else {
		if in.Initial.IsZero() || in.Current.IsZero() {
			return nil, errors.New("initial and current release dates are required")
		}
		if _, err := strconv.Atoi(version); err != nil {
			return nil, fmt.Errorf("version %q: only integer versions are written", version)
		}
		history = []any{map[string]any{"date": ts(in.Current), "number": version, "summary": "Current release."}}
	}
	if in.Current.Before(in.Initial) {
		return nil, errors.New("current release date is before the initial one")
	}
	status := or(in.Status, "final")
	if status != "draft" && status != "interim" && status != "final" {
		return nil, fmt.Errorf("status %q is not draft, interim or final", status)
	}

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
			if v.Version == "" {
				return nil, fmt.Errorf("products[%d].versions[%d]: version is empty", pi, vi)
			}
			if rangeLike(v.Version) {
				return nil, fmt.Errorf("products[%d].versions[%d]: %q reads as a version range, which a product_version may not be (CSAF 2.0 test 6.1.31)", pi, vi, v.Version)
			}
			id := ProductID(p.Name, v.Version)
			if known[id] {
				return nil, fmt.Errorf("products[%d].versions[%d]: %s %s listed twice", pi, vi, p.Name, v.Version)
			}
			known[id] = true
			prod := map[string]any{"product_id": id, "name": p.Vendor + " " + p.Name + " " + v.Version}
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
	seen := map[string]bool{}
	for vi, v := range in.Vulns {
		if v.CVE == "" {
			return nil, fmt.Errorf("vulnerabilities[%d]: cve is required", vi)
		}
		if seen[v.CVE] {
			return nil, fmt.Errorf("vulnerabilities[%d]: %s listed twice (CSAF 2.0 test 6.1.23)", vi, v.CVE)
		}
		seen[v.CVE] = true
		lists := map[string][]string{}
		flags := map[string][]string{}
		threats := map[string][]string{}
		remeds := map[string][]string{}
		var all []string
		stated := map[string]bool{}
		for si, s := range v.Statuses {
			at := fmt.Sprintf("vulnerabilities[%d] (%s) statuses[%d]", vi, v.CVE, si)
			id := ProductID(s.Product, s.Version)
			if !known[id] {
				return nil, fmt.Errorf("%s: %s %s is not in products", at, s.Product, s.Version)
			}
			if stated[id] {
				return nil, fmt.Errorf("%s: a second status for %s %s", at, s.Product, s.Version)
			}
			stated[id] = true
			all = append(all, id)
			switch s.Status {
			case vuln.StatusNotAffected:
				if s.Justification == "" && s.Impact == "" {
					return nil, fmt.Errorf("%s: not_affected needs a justification or an impact statement", at)
				}
				if s.Justification != "" && !slices.Contains(Justifications(), s.Justification) {
					return nil, fmt.Errorf("%s: justification %q is not one of %s", at, s.Justification, strings.Join(Justifications(), ", "))
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
				if s.FixedIn != "" && !strings.Contains(action, s.FixedIn) {
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
		// Every vulnerability carries a note (CSAF 2.0 test 6.1.27.5).
		if v.Summary != "" {
			out["notes"] = []any{map[string]any{"category": "summary", "text": v.Summary}}
		} else {
			out["notes"] = []any{map[string]any{"category": "general", "title": "Status",
				"text": v.CVE + ": the status of each product version listed in product_status, as its maker states it or as matching its components against the vulnerability data finds it."}}
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
		if v.CVSS != nil {
			if m, ok := cvss3(v.CVSS.Vector); ok {
				out["scores"] = []any{map[string]any{"cvss_v3": m, "products": all}}
			}
		}
		vulns = append(vulns, out)
	}

	summary := in.Summary
	if summary == "" {
		summary = in.Title + "."
	}
	tracking := map[string]any{
		"id":                   in.ID,
		"status":               status,
		"version":              version,
		"initial_release_date": ts(in.Initial),
		"current_release_date": ts(in.Current),
		"revision_history":     history,
	}
	if in.Generator != "" {
		gen := map[string]any{"engine": engine(in.Generator)}
		if !in.Generated.IsZero() {
			gen["date"] = ts(in.Generated)
		}
		tracking["generator"] = gen
	}
	document := map[string]any{
		"category":     cat,
		"csaf_version": "2.0",
		"lang":         or(in.Lang, "en"),
		"title":        in.Title,
		"notes":        []any{map[string]any{"category": "summary", "text": summary}},
		"publisher": map[string]any{
			"category":  pubCat,
			"name":      in.Publisher.Name,
			"namespace": in.Publisher.Namespace,
		},
		"tracking": tracking,
	}
	if len(in.References) > 0 {
		var refs []any
		for i, r := range in.References {
			if err := CheckNamespace(r.URL); err != nil || r.Summary == "" {
				return nil, fmt.Errorf("references[%d]: an absolute URL and a summary are required", i)
			}
			refs = append(refs, map[string]any{"category": "external", "url": r.URL, "summary": r.Summary})
		}
		document["references"] = refs
	}
	doc := map[string]any{"document": document}
	if len(branches) > 0 {
		doc["product_tree"] = map[string]any{"branches": branches}
	} else if cat != "csaf_base" {
		return nil, fmt.Errorf("a %s document needs a product tree (CSAF 2.0 test 6.1.27.4): give at least one product", cat)
	}
	if len(vulns) > 0 {
		doc["vulnerabilities"] = vulns
	}
	return doc, nil
}

// Justifications are the VEX justification labels CSAF 2.0 flags take.
func Justifications() []string {
	return []string{"component_not_present", "inline_mitigations_already_exist", "vulnerable_code_cannot_be_controlled_by_adversary",
		"vulnerable_code_not_in_execute_path", "vulnerable_code_not_present"}
}

// CheckNamespace says whether u is an absolute http or https URL with a
// host, as a publisher namespace must be.
func CheckNamespace(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return fmt.Errorf("publisher namespace %q is not an absolute http(s) URL", u)
	}
	if strings.HasSuffix(strings.ToLower(p.Hostname()), ".invalid") {
		return fmt.Errorf("publisher namespace %q is under .invalid, a name that never resolves", u)
	}
	return nil
}

// engine splits "iotsec 1.2.3" into the generator engine's name and
// version.
func engine(s string) map[string]any {
	name, ver, ok := strings.Cut(s, " ")
	if !ok || ver == "" {
		return map[string]any{"name": s}
	}
	return map[string]any{"name": name, "version": ver}
}

// rangeLike is CSAF 2.0 test 6.1.31's reading of a product_version name
// as a version range.
func rangeLike(v string) bool {
	l := strings.ToLower(v)
	if strings.ContainsAny(l, "<>") {
		return true
	}
	for _, w := range strings.Fields(l) {
		switch w {
		case "after", "all", "before", "earlier", "later", "prior", "versions":
			return true
		}
	}
	return false
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
