package vuln

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/iotsec/iotsec/internal/vuln/cpe"
)

// This file is what a store needs to keep advisories as rows and build a
// small Index for one SBOM: the lookup keys of an advisory and of a
// component, and a compact serialization of an advisory.
//
// A store keeps each advisory as (source, ID, blob, keys). To match an
// SBOM it loads the rows whose keys meet the union of ComponentKeys of its
// components, then, for every loaded NVD or NVD-override row, every row
// with the same ID (whatever its source, since an override replaces the
// configurations of the NVD record with its ID), and builds an Index from
// those alone with NewBuilder. That Index matches the SBOM exactly as one
// built from every advisory would (TestKeySelection).

// Kinds of Key.
const (
	KeyCPE  = "cpe"  // A part, B vendor, C product (canonical CPE 2.3 values)
	KeyPURL = "purl" // A type, B namespace, C name (as packageurl-go parses them)
)

// Key is one lookup key of the Index: a CPE (part, vendor, product) or a
// purl (type, namespace, name) under which advisories are indexed and
// components are looked up.
type Key struct{ Kind, A, B, C string }

// String is the key as one string, for a store's key column. It is
// distinct for distinct keys made by AdvisoryKeys and ComponentKeys:
// "cpe:a:thekelleys:dnsmasq" (CPE values are canonical, so a ':' inside
// one is quoted), "purl:rpm/almalinux/openssl" (each field
// path-escaped, so a '/' inside one is %2F).
func (k Key) String() string {
	if k.Kind == KeyCPE {
		return k.Kind + ":" + k.A + ":" + k.B + ":" + k.C
	}
	return k.Kind + ":" + url.PathEscape(k.A) + "/" + url.PathEscape(k.B) + "/" + url.PathEscape(k.C)
}

func compareKeys(x, y Key) int {
	return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B), cmp.Compare(x.C, y.C))
}

func sortKeys(ks []Key) []Key {
	slices.SortFunc(ks, compareKeys)
	return slices.Compact(ks)
}

func cpeKey(k cpe.Key) Key    { return Key{KeyCPE, k.Part, k.Vendor, k.Product} }
func purlKeyOf(k purlKey) Key { return Key{KeyPURL, k.Type, k.Namespace, k.Name} }

// AdvisoryKeys returns the keys under which Builder.Build indexes a: the
// (part, vendor, product) of its vulnerable CPE criteria and the purl key
// of each OSV affected package, sorted, each once. An NVD-override record
// has the keys of its own configurations; a withdrawn record (which
// AddAdvisory drops) has none.
func AdvisoryKeys(a *Advisory) []Key {
	if a.Source != SourceNVDOverrides && !a.Withdrawn.IsZero() {
		return nil
	}
	var ks []Key
	for _, k := range cpe.Products(a.Configurations) {
		ks = append(ks, cpeKey(k))
	}
	for _, af := range a.Affected {
		if pk, ok := affectedKey(af); ok {
			ks = append(ks, purlKeyOf(pk))
		}
	}
	return sortKeys(ks)
}

// ComponentKeys returns the keys Index.Match looks up for c, given the
// vendor alias table the Index is built with: for each CPE with a literal
// vendor and product, its key (for each of a, o and h when the part is
// ANY) and the keys of its aliases; and the purl key when the purl parses
// and a version is known. Sorted, each once.
func ComponentKeys(c Component, aliases []cpe.Alias) []Key {
	var ks []Key
	al := cpe.NewAliases(aliases)
	for _, s := range c.CPEs {
		n, err := cpe.ParseAny(s)
		if err != nil || !isName(n.Vendor()) || !isName(n.Product()) {
			continue
		}
		parts := []string{n.Part()}
		if n.Part() == cpe.Any {
			parts = []string{"a", "o", "h"}
		}
		for _, part := range parts {
			own := cpe.Key{Part: part, Vendor: n.Vendor(), Product: n.Product()}
			ks = append(ks, cpeKey(own))
			for _, k := range al.Of(own) {
				ks = append(ks, cpeKey(k))
			}
		}
	}
	if c.PURL != "" {
		if p, err := packageurl.FromString(c.PURL); err == nil && (p.Version != "" || c.Version != "") {
			ks = append(ks, purlKeyOf(keyOf(p)))
		}
	}
	return sortKeys(ks)
}

// BestCVSS returns the metric a match shows for an advisory with these
// metrics: the newest CVSS version, and for one version NVD's own
// (Primary) before a CNA's. It is nil for an empty list.
func BestCVSS(list []CVSS) *CVSS { return bestCVSS(list) }

// IDs returns the advisory's ID, aliases and related IDs, each once, in
// that order: the IDs under which KEV and EPSS records are looked up.
func (a *Advisory) IDs() []string {
	out := make([]string, 0, 1+len(a.Aliases)+len(a.Related))
	for _, group := range [][]string{{a.ID}, a.Aliases, a.Related} {
		for _, id := range group {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Limits of a serialized advisory. They are those of the readers'
// default limits (nvd MaxCriteria, osv MaxAffected and MaxRecordBytes,
// with room for the NVD fields), so whatever a reader yields with its
// defaults can be stored and loaded again.
const (
	maxWireBytes    = 32 << 20
	maxWireCriteria = 50_000
	maxWireAffected = 10_000
)

// The wire form of an Advisory: plain JSON with short names, empty fields
// left out, CPE names as their 2.3 formatted strings.
type wireAdvisory struct {
	ID        string         `json:"id"`
	Source    string         `json:"src"`
	Aliases   []string       `json:"al,omitempty"`
	Related   []string       `json:"rel,omitempty"`
	Published time.Time      `json:"pub,omitzero"`
	Modified  time.Time      `json:"mod,omitzero"`
	Withdrawn time.Time      `json:"wd,omitzero"`
	Status    string         `json:"st,omitempty"`
	Summary   string         `json:"sum,omitempty"`
	CVSS      []wireCVSS     `json:"cvss,omitempty"`
	KEVAdded  time.Time      `json:"kev,omitzero"`
	Configs   []wireConfig   `json:"cfg,omitempty"`
	Affected  []wireAffected `json:"aff,omitempty"`
}

type wireCVSS struct {
	Version  string  `json:"v,omitempty"`
	Vector   string  `json:"vec,omitempty"`
	Score    float64 `json:"sc,omitempty"`
	Severity string  `json:"sev,omitempty"`
	Source   string  `json:"by,omitempty"`
	Primary  bool    `json:"p,omitempty"`
}

type wireConfig struct {
	And    bool       `json:"and,omitempty"`
	Negate bool       `json:"neg,omitempty"`
	Nodes  []wireNode `json:"n,omitempty"`
}

type wireNode struct {
	And      bool            `json:"and,omitempty"`
	Negate   bool            `json:"neg,omitempty"`
	Criteria []wireCriterion `json:"c,omitempty"`
}

// wireCriterion marks the platform (vulnerable:false) criteria rather than
// the vulnerable ones, which are most of them.
type wireCriterion struct {
	Name      string `json:"cpe"`
	ID        string `json:"id,omitempty"`
	Start     string `json:"s,omitempty"`
	End       string `json:"e,omitempty"`
	StartExcl bool   `json:"sx,omitempty"`
	EndIncl   bool   `json:"ei,omitempty"`
	Platform  bool   `json:"pf,omitempty"`
}

type wireAffected struct {
	Ecosystem string      `json:"eco,omitempty"`
	Name      string      `json:"n,omitempty"`
	PURL      string      `json:"purl,omitempty"`
	Ranges    []wireRange `json:"r,omitempty"`
	Versions  []string    `json:"v,omitempty"`
}

type wireRange struct {
	Type   string      `json:"t,omitempty"`
	Repo   string      `json:"repo,omitempty"`
	Events []wireEvent `json:"ev,omitempty"`
}

type wireEvent struct {
	Introduced   string `json:"i,omitempty"`
	Fixed        string `json:"f,omitempty"`
	LastAffected string `json:"la,omitempty"`
	Limit        string `json:"l,omitempty"`
}

// MarshalAdvisory serializes a for storage: compact JSON that
// UnmarshalAdvisory reads back equal (CPE names compare by their string;
// empty slices come back nil; strings must be valid UTF-8, as the readers
// yield them). It refuses what UnmarshalAdvisory would refuse: no ID or
// source, a zero CPE name, a range flag without its version, an OSV event
// with two fields set, over 50,000 criteria or 10,000 affected packages,
// over 32 MiB serialized.
func MarshalAdvisory(a *Advisory) ([]byte, error) {
	if err := validateAdvisory(a); err != nil {
		return nil, err
	}
	w := wireAdvisory{
		ID: a.ID, Source: a.Source, Aliases: a.Aliases, Related: a.Related,
		Published: a.Published, Modified: a.Modified, Withdrawn: a.Withdrawn,
		Status: a.Status, Summary: a.Summary, KEVAdded: a.KEVAdded,
	}
	if len(a.CVSS) > 0 {
		w.CVSS = make([]wireCVSS, len(a.CVSS))
		for i, m := range a.CVSS {
			w.CVSS[i] = wireCVSS(m)
		}
	}
	if len(a.Configurations) > 0 {
		w.Configs = make([]wireConfig, len(a.Configurations))
	}
	for i, c := range a.Configurations {
		wc := wireConfig{And: c.And, Negate: c.Negate}
		if len(c.Nodes) > 0 {
			wc.Nodes = make([]wireNode, len(c.Nodes))
		}
		for j, n := range c.Nodes {
			wn := wireNode{And: n.And, Negate: n.Negate}
			if len(n.Criteria) > 0 {
				wn.Criteria = make([]wireCriterion, len(n.Criteria))
			}
			for k, cr := range n.Criteria {
				wn.Criteria[k] = wireCriterion{
					Name: cr.Name.String(), ID: cr.ID, Start: cr.Start, End: cr.End,
					StartExcl: cr.StartExcl, EndIncl: cr.EndIncl, Platform: !cr.Vulnerable,
				}
			}
			wc.Nodes[j] = wn
		}
		w.Configs[i] = wc
	}
	if len(a.Affected) > 0 {
		w.Affected = make([]wireAffected, len(a.Affected))
	}
	for i, af := range a.Affected {
		wa := wireAffected{Ecosystem: af.Ecosystem, Name: af.Name, PURL: af.PURL, Versions: af.Versions}
		if len(af.Ranges) > 0 {
			wa.Ranges = make([]wireRange, len(af.Ranges))
		}
		for j, r := range af.Ranges {
			wr := wireRange{Type: r.Type, Repo: r.Repo}
			if len(r.Events) > 0 {
				wr.Events = make([]wireEvent, len(r.Events))
			}
			for k, ev := range r.Events {
				wr.Events[k] = wireEvent(ev)
			}
			wa.Ranges[j] = wr
		}
		w.Affected[i] = wa
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // summaries hold < > &; \u003c costs five bytes more
	if err := enc.Encode(&w); err != nil {
		return nil, fmt.Errorf("advisory %s %s: %w", a.Source, a.ID, err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(out) > maxWireBytes {
		return nil, fmt.Errorf("advisory %s %s: %d bytes serialized, more than %d: %w", a.Source, a.ID, len(out), maxWireBytes, ErrLimit)
	}
	return out, nil
}

// UnmarshalAdvisory reads an advisory written by MarshalAdvisory. It
// refuses, with an error saying where, input over 32 MiB, anything but one
// JSON object of the wire form (unknown fields, trailing data), a record
// without ID or source, a CPE name that does not parse, a range flag
// without its bound, an OSV event with more than one field set, and more
// than 50,000 criteria or 10,000 affected packages.
func UnmarshalAdvisory(data []byte) (*Advisory, error) {
	if len(data) > maxWireBytes {
		return nil, fmt.Errorf("advisory: %d bytes, more than %d: %w", len(data), maxWireBytes, ErrLimit)
	}
	var w wireAdvisory
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("advisory: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("advisory: data after the object at byte %d", dec.InputOffset())
	}
	a := &Advisory{
		ID: w.ID, Source: w.Source, Aliases: w.Aliases, Related: w.Related,
		Published: w.Published, Modified: w.Modified, Withdrawn: w.Withdrawn,
		Status: w.Status, Summary: w.Summary, KEVAdded: w.KEVAdded,
	}
	// Counted before anything is allocated for them.
	count := 0
	for _, wc := range w.Configs {
		for _, wn := range wc.Nodes {
			count += len(wn.Criteria)
		}
	}
	if count > maxWireCriteria || len(w.Affected) > maxWireAffected {
		return nil, fmt.Errorf("advisory %s %s: %d criteria, %d affected packages: more than %d or %d: %w",
			w.Source, w.ID, count, len(w.Affected), maxWireCriteria, maxWireAffected, ErrLimit)
	}
	if len(w.CVSS) > 0 {
		a.CVSS = make([]CVSS, len(w.CVSS))
		for i, m := range w.CVSS {
			a.CVSS[i] = CVSS(m)
		}
	}
	if len(w.Configs) > 0 {
		a.Configurations = make([]cpe.Configuration, len(w.Configs))
	}
	for i, wc := range w.Configs {
		c := cpe.Configuration{And: wc.And, Negate: wc.Negate}
		if len(wc.Nodes) > 0 {
			c.Nodes = make([]cpe.Node, len(wc.Nodes))
		}
		for j, wn := range wc.Nodes {
			n := cpe.Node{And: wn.And, Negate: wn.Negate}
			if len(wn.Criteria) > 0 {
				n.Criteria = make([]cpe.Criterion, len(wn.Criteria))
			}
			for k, wr := range wn.Criteria {
				name, err := cpe.Parse(wr.Name)
				if err != nil {
					return nil, fmt.Errorf("advisory %s %s: cfg[%d].n[%d].c[%d]: %w", w.Source, w.ID, i, j, k, err)
				}
				n.Criteria[k] = cpe.Criterion{
					Name: name, ID: wr.ID, Start: wr.Start, End: wr.End,
					StartExcl: wr.StartExcl, EndIncl: wr.EndIncl, Vulnerable: !wr.Platform,
				}
			}
			c.Nodes[j] = n
		}
		a.Configurations[i] = c
	}
	if len(w.Affected) > 0 {
		a.Affected = make([]Affected, len(w.Affected))
	}
	for i, wa := range w.Affected {
		af := Affected{Ecosystem: wa.Ecosystem, Name: wa.Name, PURL: wa.PURL, Versions: wa.Versions}
		if len(wa.Ranges) > 0 {
			af.Ranges = make([]Range, len(wa.Ranges))
		}
		for j, wr := range wa.Ranges {
			r := Range{Type: wr.Type, Repo: wr.Repo}
			if len(wr.Events) > 0 {
				r.Events = make([]Event, len(wr.Events))
			}
			for k, ev := range wr.Events {
				r.Events[k] = Event(ev)
			}
			af.Ranges[j] = r
		}
		a.Affected[i] = af
	}
	if err := validateAdvisory(a); err != nil {
		return nil, err
	}
	return a, nil
}

// validateAdvisory checks what both MarshalAdvisory and UnmarshalAdvisory
// require, so that every stored advisory can be loaded again.
func validateAdvisory(a *Advisory) error {
	if a.ID == "" || a.Source == "" {
		return errors.New("advisory: no ID or source")
	}
	count := 0
	for i, c := range a.Configurations {
		for j, n := range c.Nodes {
			count += len(n.Criteria)
			if count > maxWireCriteria {
				return fmt.Errorf("advisory %s %s: more than %d criteria: %w", a.Source, a.ID, maxWireCriteria, ErrLimit)
			}
			for k, cr := range n.Criteria {
				switch {
				case cr.Name.IsZero():
					return fmt.Errorf("advisory %s %s: cfg[%d].n[%d].c[%d]: no CPE name", a.Source, a.ID, i, j, k)
				case cr.StartExcl && cr.Start == "", cr.EndIncl && cr.End == "":
					return fmt.Errorf("advisory %s %s: cfg[%d].n[%d].c[%d]: range flag without its version", a.Source, a.ID, i, j, k)
				}
			}
		}
	}
	if len(a.Affected) > maxWireAffected {
		return fmt.Errorf("advisory %s %s: more than %d affected packages: %w", a.Source, a.ID, maxWireAffected, ErrLimit)
	}
	for i, af := range a.Affected {
		for j, r := range af.Ranges {
			for k, ev := range r.Events {
				set := 0
				for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
					if v != "" {
						set++
					}
				}
				if set > 1 {
					return fmt.Errorf("advisory %s %s: aff[%d].r[%d].ev[%d]: more than one of introduced, fixed, last_affected, limit", a.Source, a.ID, i, j, k)
				}
			}
		}
	}
	return nil
}
