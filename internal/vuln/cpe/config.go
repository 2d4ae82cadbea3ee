package cpe

import (
	"fmt"
	"strings"
)

// Node is one node of an NVD configuration: cpeMatch entries joined by
// Operator ("OR" or "AND"), optionally negated.
type Node struct {
	And      bool
	Negate   bool
	Criteria []Criterion
}

// Configuration is one NVD configuration: nodes joined by And (NVD writes
// "operator":"AND" when a vulnerable product needs a platform).
type Configuration struct {
	And    bool
	Negate bool
	Nodes  []Node
}

// Result says why a configuration matched a component.
type Result struct {
	Configuration int       // index in the record's configurations
	Node          int       // index of the node holding the criterion
	Criterion     Criterion // the vulnerable criterion the component matched
	// PlatformAssumed is set when an AND configuration names a platform
	// (vulnerable:false) that was not checked because no platform was given.
	PlatformAssumed bool
}

// Reason is a one-line account of the match.
func (r Result) Reason(target Name) string {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration %d node %d: %s %s matched %s", r.Configuration+1, r.Node+1,
		r.Criterion.Name, r.Criterion.Range(), target.Version())
	if r.Criterion.ID != "" {
		fmt.Fprintf(&b, " (match criteria %s)", r.Criterion.ID)
	}
	if r.PlatformAssumed {
		b.WriteString("; platform condition assumed")
	}
	return b.String()
}

// Platform is what is known about the platform a component runs on.
// Known false means the platform is unknown: nodes made only of
// vulnerable:false criteria are then taken as satisfied and the result
// says so. Known true checks such nodes against Names (the firmware's own
// CPE, the hardware, the other components).
type Platform struct {
	Known bool
	Names []Target
}

// NewPlatform returns a known platform made of names.
func NewPlatform(names ...Name) Platform {
	p := Platform{Known: true}
	for _, n := range names {
		p.Names = append(p.Names, NewTarget(n))
	}
	return p
}

// Match evaluates configuration c (at index idx of its record) for the
// component target. Only vulnerable criteria can make target affected; a
// vulnerable:false criterion is platform context and never a target, so
// a Chrome CVE running on Linux does not match the kernel.
func (c Configuration) Match(idx int, target Name, p Platform) (Result, bool) {
	return c.MatchTarget(idx, NewTarget(target), p)
}

// MatchTarget is Match for a prepared target.
func (c Configuration) MatchTarget(idx int, target Target, p Platform) (Result, bool) {
	var res Result
	found := false
	for ni, n := range c.Nodes {
		for _, cr := range n.Criteria {
			if !cr.Vulnerable {
				continue
			}
			if cr.Holds(target) {
				res = Result{Configuration: idx, Node: ni, Criterion: cr}
				found = true
				break
			}
		}
		if found {
			break
		}
	}
	if !found {
		return Result{}, false
	}
	if len(c.Nodes) == 1 && !c.Negate && !c.Nodes[0].Negate && !c.Nodes[0].And {
		return res, true // the common single OR node: nothing else to check
	}
	assumed := false
	val := func(n Node) bool {
		platformOnly := true
		for _, cr := range n.Criteria {
			if cr.Vulnerable {
				platformOnly = false
			}
		}
		if platformOnly && !p.Known {
			assumed = true
			return true
		}
		v := n.And
		for _, cr := range n.Criteria {
			ok := satisfied(cr, target, p)
			if n.And {
				v = v && ok
			} else {
				v = v || ok
			}
		}
		if len(n.Criteria) == 0 {
			v = false
		}
		return v != n.Negate
	}
	v := c.And
	for _, n := range c.Nodes {
		if c.And {
			v = v && val(n)
		} else {
			v = v || val(n)
		}
	}
	if v == c.Negate {
		return Result{}, false
	}
	res.PlatformAssumed = assumed
	return res, true
}

// satisfied reports whether criterion cr holds for the component or one
// of the known platform names.
func satisfied(cr Criterion, target Target, p Platform) bool {
	if cr.Holds(target) {
		return true
	}
	for _, n := range p.Names {
		if cr.Holds(n) {
			return true
		}
	}
	return false
}

// Products lists the (part, vendor, product) keys of the vulnerable
// criteria of the configurations, each once, for indexing.
func Products(cfgs []Configuration) []Key {
	var keys []Key
	seen := map[Key]bool{}
	for _, c := range cfgs {
		for _, n := range c.Nodes {
			for _, cr := range n.Criteria {
				if !cr.Vulnerable {
					continue
				}
				k := KeyOf(cr.Name)
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// Key is the index key of a CPE: part, vendor and product in canonical form.
type Key struct {
	Part, Vendor, Product string
}

// KeyOf returns the key of n.
func KeyOf(n Name) Key { return Key{n.Part(), n.Vendor(), n.Product()} }

func (k Key) String() string { return k.Part + ":" + k.Vendor + ":" + k.Product }
