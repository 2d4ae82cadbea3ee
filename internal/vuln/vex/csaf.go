package vex

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/vuln"
)

// The CSAF 2.0 fields a VEX reading needs: the whole product tree, the
// product groups and, per vulnerability, its IDs, product status and the
// flags, threats and remediations that explain it.
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
		ProductGroups []struct {
			GroupID    string   `json:"group_id"`
			ProductIDs []string `json:"product_ids"`
		} `json:"product_groups"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE   string `json:"cve"`
		Title string `json:"title"`
		IDs   []struct {
			SystemName string `json:"system_name"`
			Text       string `json:"text"`
		} `json:"ids"`
		ProductStatus map[string][]string `json:"product_status"`
		Scores        []struct {
			Products []string `json:"products"`
		} `json:"scores"`
		Flags        []csafNote `json:"flags"`
		Threats      []csafNote `json:"threats"`
		Remediations []csafNote `json:"remediations"`
	} `json:"vulnerabilities"`
}

type csafNote struct {
	Label      string   `json:"label"`
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	GroupIDs   []string `json:"group_ids"`
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

// csafStatusLists are the product_status lists that make statements, in
// the order statements are made; "recommended" names a version to move
// to, not a status.
var csafStatusLists = []string{"known_not_affected", "fixed", "first_fixed", "known_affected", "first_affected", "last_affected", "under_investigation"}

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
	return ""
}

// csafPath is what the branches above a product say about it.
type csafPath struct {
	family, name string
	versions     []string // product_version(_range), then service_pack and patch_level, outermost first
}

// version joins the version-bearing branches: "12.2SE 12.2(55)SE" for a
// service pack under a release train, "1.2.3" when a deeper name
// already starts with the one above it.
func (p csafPath) version() string {
	var out []string
	for _, v := range p.versions {
		if n := len(out); n > 0 && strings.HasPrefix(v, out[n-1]) {
			out[n-1] = v
			continue
		}
		out = append(out, v)
	}
	return strings.Join(out, " ")
}

// csafRef names a product: the product_name branch above it (else the
// product_family) with the version its branches give, or its full name
// when no branch names it; the identification helper adds purl and CPE.
func csafRef(p csafProduct, path csafPath) vuln.Ref {
	r := vuln.Ref{Name: path.name, Version: path.version()}
	if r.Name == "" {
		r.Name = path.family
	}
	if r.Name == "" {
		r.Name, r.Version = p.Name, ""
	}
	if p.Helper != nil {
		r.PURL, r.CPE = p.Helper.PURL, p.Helper.CPE
	}
	return r
}

func readCSAF(data []byte, name string, lim Limits) ([]vuln.Statement, error) {
	r, err := parseCSAF(data, name, lim)
	if err != nil {
		return nil, err
	}
	return r.statements, nil
}

// csafRead is a CSAF document as read: every product it defines (by
// product_id: the product and, for a relationship, the component) and
// the statements.
type csafRead struct {
	products   map[string][2]vuln.Ref
	statements []vuln.Statement
}

func parseCSAF(data []byte, name string, lim Limits) (*csafRead, error) {
	var doc csafDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Offset: jsonOffset(err), Err: err}
	}
	docErr := func(format string, args ...any) error {
		return &vuln.InputError{File: name, Record: -1, Err: fmt.Errorf(format, args...)}
	}
	if v := doc.Document.CSAFVersion; v != "2.0" {
		return nil, docErr("document.csaf_version %q is not 2.0", v)
	}
	products := map[string]vuln.Ref{}
	defined := map[string]string{} // product_id: where
	define := func(id, where string) error {
		if id == "" {
			return fmt.Errorf("%s has no product_id", where)
		}
		if at, dup := defined[id]; dup {
			return fmt.Errorf("%s: product_id %q is defined twice, also at %s (CSAF 2.0 test 6.1.2)", where, id, at)
		}
		defined[id] = where
		return nil
	}
	var walk func(bs []csafBranch, path csafPath, depth int, where string, full map[string]string) error
	walk = func(bs []csafBranch, path csafPath, depth int, where string, full map[string]string) error {
		if depth > lim.MaxDepth {
			return fmt.Errorf("%s: branches nested deeper than %d: %w", where, lim.MaxDepth, vuln.ErrLimit)
		}
		for i, b := range bs {
			w := fmt.Sprintf("%s.branches[%d]", where, i)
			if (b.Product == nil) == (len(b.Branches) == 0) {
				return fmt.Errorf("%s (%s %q) has %s: a branch holds either a product or branches", w, b.Category, b.Name, map[bool]string{true: "neither", false: "both"}[b.Product == nil])
			}
			p := path
			p.versions = slices.Clip(p.versions)
			switch b.Category {
			case "product_family":
				p.family = b.Name
			case "product_name":
				p.name = b.Name
			case "product_version", "product_version_range", "service_pack", "patch_level":
				p.versions = append(p.versions, b.Name)
			}
			if b.Product != nil {
				if err := define(b.Product.ProductID, w+".product"); err != nil {
					return err
				}
				products[b.Product.ProductID] = csafRef(*b.Product, p)
				full[b.Product.ProductID] = b.Product.Name
			}
			if err := walk(b.Branches, p, depth+1, w, full); err != nil {
				return err
			}
		}
		return nil
	}
	full := map[string]string{} // product_id: full product name
	if err := walk(doc.ProductTree.Branches, csafPath{}, 0, "product_tree", full); err != nil {
		return nil, &vuln.InputError{File: name, Record: -1, Err: err}
	}
	// Branches iotsec does not name by (architecture, language,
	// host_name, specification, legacy) can tell two products apart that
	// have the same name and versions: those are named by their full
	// product names, which the standard makes whole.
	seen := map[vuln.Ref][]string{}
	for id, r := range products {
		seen[r] = append(seen[r], id)
	}
	for r, ids := range seen {
		if len(ids) > 1 && r.PURL == "" && r.CPE == "" {
			for _, id := range ids {
				if full[id] != "" {
					products[id] = vuln.Ref{Name: full[id], Version: r.Version}
				}
			}
		}
	}
	for i, p := range doc.ProductTree.FullProductNames {
		if err := define(p.ProductID, fmt.Sprintf("product_tree.full_product_names[%d]", i)); err != nil {
			return nil, &vuln.InputError{File: name, Record: -1, Err: err}
		}
		products[p.ProductID] = csafRef(p, csafPath{})
	}
	type pair struct{ product, component string }
	composed := map[string]pair{}
	for i, r := range doc.ProductTree.Relationships {
		w := fmt.Sprintf("product_tree.relationships[%d]", i)
		id := r.FullProductName.ProductID
		if r.ProductReference == "" || r.RelatesToProductReference == "" {
			return nil, docErr("%s: missing product_reference or relates_to_product_reference", w)
		}
		if err := define(id, w+".full_product_name"); err != nil {
			return nil, &vuln.InputError{File: name, Record: -1, Err: err}
		}
		composed[id] = pair{r.RelatesToProductReference, r.ProductReference}
	}
	// A relationship may build on another; resolve each to the product
	// and component it finally names, refusing references to nothing and
	// circles (CSAF 2.0 tests 6.1.1 and 6.1.3).
	type resolved struct{ prod, comp vuln.Ref }
	final := map[string]resolved{}
	var resolve func(id string, seen []string) (resolved, error)
	resolve = func(id string, seen []string) (resolved, error) {
		if r, ok := final[id]; ok {
			return r, nil
		}
		if slices.Contains(seen, id) {
			return resolved{}, fmt.Errorf("relationships define product_id %q through itself, %s (CSAF 2.0 test 6.1.3)", id, strings.Join(append(seen, id), " -> "))
		}
		p, ok := composed[id]
		if !ok {
			ref, ok := products[id]
			if !ok {
				return resolved{}, fmt.Errorf("unknown product_id %q", id)
			}
			return resolved{prod: ref}, nil
		}
		if len(seen) > lim.MaxDepth {
			return resolved{}, fmt.Errorf("relationships nested deeper than %d: %w", lim.MaxDepth, vuln.ErrLimit)
		}
		prod, err := resolve(p.product, append(seen, id))
		if err != nil {
			return resolved{}, err
		}
		comp, err := resolve(p.component, append(seen, id))
		if err != nil {
			return resolved{}, err
		}
		// A component of a component is still one component of the
		// product at the top.
		r := resolved{prod: prod.prod, comp: comp.prod}
		if !comp.comp.IsZero() {
			r.comp = comp.comp
		}
		final[id] = r
		return r, nil
	}
	for i, r := range doc.ProductTree.Relationships {
		if _, err := resolve(r.FullProductName.ProductID, nil); err != nil {
			return nil, docErr("product_tree.relationships[%d]: %v", i, err)
		}
	}
	groups := map[string][]string{}
	for i, g := range doc.ProductTree.ProductGroups {
		w := fmt.Sprintf("product_tree.product_groups[%d]", i)
		if g.GroupID == "" {
			return nil, docErr("%s has no group_id", w)
		}
		if _, dup := groups[g.GroupID]; dup {
			return nil, docErr("%s: group_id %q is defined twice (CSAF 2.0 test 6.1.5)", w, g.GroupID)
		}
		for j, id := range g.ProductIDs {
			if _, ok := defined[id]; !ok {
				return nil, docErr("%s.product_ids[%d]: unknown product_id %q (CSAF 2.0 test 6.1.1)", w, j, id)
			}
		}
		groups[g.GroupID] = g.ProductIDs
	}
	read := &csafRead{products: map[string][2]vuln.Ref{}}
	for id := range defined {
		p, err := resolve(id, nil)
		if err != nil {
			return nil, docErr("product_id %q: %v", id, err)
		}
		read.products[id] = [2]vuln.Ref{p.prod, p.comp}
	}
	released, _ := time.Parse(time.RFC3339, doc.Document.Tracking.CurrentReleaseDate)
	var out []vuln.Statement
	for vi, v := range doc.Vulnerabilities {
		id := v.CVE
		var aliases []string
		for _, x := range v.IDs {
			switch {
			case x.Text == "" || x.Text == id || slices.Contains(aliases, x.Text):
			case id == "":
				id = x.Text
			default:
				aliases = append(aliases, x.Text)
			}
		}
		fail := func(err error) (*csafRead, error) {
			return nil, &vuln.InputError{File: name, Record: vi, Err: fmt.Errorf("vulnerabilities[%d] (%s): %w", vi, orTitle(id, v.Title), err)}
		}
		// The explanations per product, through groups too; an unknown
		// group is a reference to nothing (CSAF 2.0 test 6.1.4).
		explain := map[string]map[string]string{} // kind: product_id: text
		for _, set := range []struct {
			kind  string
			notes []csafNote
		}{{"flag", v.Flags}, {"threat", v.Threats}, {"remediation", v.Remediations}} {
			m := map[string]string{}
			explain[set.kind] = m
			for ni, n := range set.notes {
				ids := slices.Clone(n.ProductIDs)
				for _, pid := range n.ProductIDs {
					if _, ok := defined[pid]; !ok {
						return fail(fmt.Errorf("%ss[%d] names unknown product_id %q (CSAF 2.0 test 6.1.1)", set.kind, ni, pid))
					}
				}
				for _, g := range n.GroupIDs {
					members, ok := groups[g]
					if !ok {
						return fail(fmt.Errorf("%ss[%d] names unknown group_id %q (CSAF 2.0 test 6.1.4)", set.kind, ni, g))
					}
					ids = append(ids, members...)
				}
				text := n.Details
				switch {
				case set.kind == "flag":
					text = n.Label
				case set.kind == "threat" && n.Category != "impact":
					continue
				case set.kind == "remediation" && !slices.Contains([]string{"vendor_fix", "mitigation", "workaround", "no_fix_planned", "none_available"}, n.Category):
					continue
				}
				for _, pid := range ids {
					if _, seen := m[pid]; !seen {
						m[pid] = text
					}
				}
			}
		}
		for si, sc := range v.Scores {
			for _, pid := range sc.Products {
				if _, ok := defined[pid]; !ok {
					return fail(fmt.Errorf("scores[%d] names unknown product_id %q (CSAF 2.0 test 6.1.1)", si, pid))
				}
			}
		}
		// Check every list before a statement is made: a broken
		// vulnerability breaks the document, with or without an ID.
		status := map[string]string{} // product_id: list
		for _, list := range csafStatusLists {
			for _, pid := range v.ProductStatus[list] {
				if prev, ok := status[pid]; ok && csafStatus(prev) != csafStatus(list) {
					return fail(fmt.Errorf("product_id %q is both %s and %s (CSAF 2.0 test 6.1.6)", pid, prev, list))
				}
				status[pid] = list
				if _, ok := defined[pid]; !ok {
					return fail(fmt.Errorf("product_status.%s names unknown product_id %q (CSAF 2.0 test 6.1.1)", list, pid))
				}
			}
		}
		for _, pid := range v.ProductStatus["recommended"] {
			if _, ok := defined[pid]; !ok {
				return fail(fmt.Errorf("product_status.recommended names unknown product_id %q (CSAF 2.0 test 6.1.1)", pid))
			}
		}
		if id == "" {
			// Nothing to match it by; the rest of the document stands.
			if lim.Warn != nil {
				lim.Warn(fmt.Sprintf("%s: vulnerabilities[%d] (%s) has no cve and no ids: skipped", name, vi, orTitle("", v.Title)))
			}
			continue
		}
		made := map[string]bool{}
		for _, list := range csafStatusLists {
			for _, pid := range v.ProductStatus[list] {
				if made[pid] {
					continue // fixed and first_fixed, say: one statement
				}
				made[pid] = true
				p := read.products[pid]
				st := vuln.Statement{
					Vulnerability: id, Aliases: aliases, Product: p[0], Component: p[1],
					Status: csafStatus(list), Timestamp: released, Source: doc.Document.Tracking.ID,
				}
				switch st.Status {
				case vuln.StatusNotAffected:
					st.Justification = explain["flag"][pid]
					st.Impact = explain["threat"][pid]
				case vuln.StatusAffected:
					st.Action = explain["remediation"][pid]
				}
				out = append(out, st)
				if len(out) > lim.MaxStatements {
					return fail(fmt.Errorf("more than %d statements: %w", lim.MaxStatements, vuln.ErrLimit))
				}
			}
		}
	}
	read.statements = out
	return read, nil
}

func orTitle(id, title string) string {
	if id != "" {
		return id
	}
	if title != "" {
		return fmt.Sprintf("%q", title)
	}
	return "untitled"
}
