package crosswalk

import (
	"slices"
	"sort"
)

// How well a set of provisions of one scheme covers a provision of another.
const (
	CoverFull    = "full"    // meeting the covering provisions meets the covered one
	CoverPartial = "partial" // they overlap
	CoverNone    = "none"
)

// hubPenalty lowers a path's confidence for each intermediate hub: every
// hop composes two independent judgements.
const hubPenalty = 0.85

// Cover is one provision of scheme B that covers (part of) a provision of A.
type Cover struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
	Title  string `json:"title"`
	Kind   string `json:"kind"`
	// Coverage is full when this provision is part of a set that covers the
	// A provision completely, partial when it only overlaps.
	Coverage string `json:"coverage"`
}

// Hop is one mapping step of a path, for showing how a cover was found.
type Hop struct {
	From         string     `json:"from"`
	To           string     `json:"to"`
	Sources      []string   `json:"sources"`
	Targets      []string   `json:"targets"`
	Relationship string     `json:"relationship"`
	Provenance   string     `json:"provenance"`
	Confidence   Confidence `json:"confidence"`
	Rationale    string     `json:"rationale"`
	MappingSet   string     `json:"mapping_set"`
}

// ProvisionCompare says how scheme B covers one provision of scheme A.
type ProvisionCompare struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Kind     string  `json:"kind"`
	Category string  `json:"category,omitempty"`
	Coverage string  `json:"coverage"`
	Covers   []Cover `json:"covers,omitempty"`
	// Path lists the schemes the answer went through, A first and B last;
	// more than two entries means hubs were used.
	Path       []string   `json:"path,omitempty"`
	Direct     bool       `json:"direct"`
	Confidence Confidence `json:"confidence,omitempty"`
	Score      float64    `json:"score"`
	// Provenance is official only when every hop is official.
	Provenance string `json:"provenance,omitempty"`
	Hops       []Hop  `json:"hops,omitempty"`
}

// Stats counts provisions by coverage.
type Stats struct {
	Total          int     `json:"total"`
	Full           int     `json:"full"`
	Partial        int     `json:"partial"`
	None           int     `json:"none"`
	FullPercent    float64 `json:"full_percent"`
	PartialPercent float64 `json:"partial_percent"`
	NonePercent    float64 `json:"none_percent"`
	ViaHubs        int     `json:"via_hubs"`
}

func (s *Stats) add(p ProvisionCompare) {
	s.Total++
	switch p.Coverage {
	case CoverFull:
		s.Full++
	case CoverPartial:
		s.Partial++
	default:
		s.None++
	}
	if p.Coverage != CoverNone && !p.Direct {
		s.ViaHubs++
	}
}

func (s *Stats) finish() {
	if s.Total == 0 {
		return
	}
	pct := func(n int) float64 { return float64(int(float64(n)*1000/float64(s.Total)+0.5)) / 10 }
	s.FullPercent, s.PartialPercent, s.NonePercent = pct(s.Full), pct(s.Partial), pct(s.None)
}

// Brief names a provision in lists.
type Brief struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  string `json:"kind"`
}

// Comparison is Compare's answer: every provision of A and how B covers it.
type Comparison struct {
	A          SchemeRef          `json:"a"`
	B          SchemeRef          `json:"b"`
	ATitle     string             `json:"a_title"`
	BTitle     string             `json:"b_title"`
	Provisions []ProvisionCompare `json:"provisions"`
	Stats      Stats              `json:"stats"`
	// Mandatory counts only A's mandatory provisions.
	Mandatory Stats `json:"mandatory"`
	// Gaps are A's provisions B does not fully cover, in A's order.
	Gaps []ProvisionCompare `json:"gaps"`
	// BProvisions are B's provisions at B's level, the heatmap's columns.
	BProvisions []Brief `json:"b_provisions"`
	// Unmatched are B's provisions no cover uses: what B asks beyond A.
	Unmatched []Brief `json:"unmatched"`
}

// Compare says, for each provision of a (at a.Level), which provisions of b
// (at b.Level) cover it and how. A direct mapping between the two schemes
// decides when one exists for the provision; otherwise the answer goes
// through the hub schemes (EN 303 645, then the NIST baselines), with the
// confidence lowered per hop and the path shown.
func (c *Catalog) Compare(a, b SchemeRef) (*Comparison, error) {
	sa, pa, err := c.provisions(a)
	if err != nil {
		return nil, err
	}
	sb, pb, err := c.provisions(b)
	if err != nil {
		return nil, err
	}
	inB := make(members, len(pb))
	for i, p := range pb {
		inB[p.ID] = member{p, i}
	}
	out := &Comparison{A: a, B: b, ATitle: sa.Title, BTitle: sb.Title, Provisions: make([]ProvisionCompare, 0, len(pa)),
		Gaps: []ProvisionCompare{}, BProvisions: make([]Brief, 0, len(pb)), Unmatched: []Brief{}}
	used := map[string]bool{}
	routes := withTarget(c.routes(a.Slug, b.Slug), b.Slug)
	for _, p := range pa {
		pc := c.compareProvision(a.Slug, p, b.Slug, inB, routes)
		for _, cv := range pc.Covers {
			used[cv.ID] = true
		}
		out.Provisions = append(out.Provisions, pc)
		out.Stats.add(pc)
		if p.Kind == KindMandatory {
			out.Mandatory.add(pc)
		}
		if pc.Coverage != CoverFull {
			out.Gaps = append(out.Gaps, pc)
		}
	}
	out.Stats.finish()
	out.Mandatory.finish()
	for _, p := range pb {
		br := Brief{ID: p.ID, Title: p.Title, Kind: p.Kind}
		out.BProvisions = append(out.BProvisions, br)
		if !used[p.ID] {
			out.Unmatched = append(out.Unmatched, br)
		}
	}
	return out, nil
}

// routes lists the intermediate scheme sequences to try from a to b: one
// hub, then two hubs, never a or b themselves.
func (c *Catalog) routes(a, b string) [][]string {
	var out [][]string
	for _, h := range c.hubs {
		if h != a && h != b {
			out = append(out, []string{h})
		}
	}
	for _, h1 := range c.hubs {
		for _, h2 := range c.hubs {
			if h1 != h2 && h1 != a && h1 != b && h2 != a && h2 != b {
				out = append(out, []string{h1, h2})
			}
		}
	}
	return out
}

// member is a provision of the target scheme (at its level) and its
// position, so covers list in the scheme's order.
type member struct {
	*Provision
	pos int
}

type members map[string]member

var coverRank = map[string]int{CoverNone: 0, CoverPartial: 1, CoverFull: 2}

// withTarget appends b to every route, once per comparison rather than
// once per provision.
func withTarget(routes [][]string, b string) [][]string {
	out := make([][]string, len(routes))
	for i, r := range routes {
		out[i] = append(slices.Clone(r), b)
	}
	return out
}

func (c *Catalog) compareProvision(a string, p *Provision, b string, inB members, routes [][]string) ProvisionCompare {
	pc := ProvisionCompare{ID: p.ID, Title: p.Title, Kind: p.Kind, Category: p.Category, Coverage: CoverNone}
	start := walkState{full: []string{p.ID}, all: []string{p.ID}, score: 1}
	if _, direct := c.adj[a][p.ID][b]; direct {
		w := c.walk(a, start, []string{b}, inB, true)
		c.fill(&pc, w, []string{a, b}, inB, b)
		pc.Direct = true
		return pc
	}
	// Search without recording hops, then walk the winner again to record
	// them: most routes lose, and hop records are what allocates.
	byTo := c.adj[a][p.ID]
	if len(byTo) == 0 {
		return pc // mapped nowhere: no route can reach b
	}
	var best *walkState
	var bestRoute []string
	for _, r := range routes {
		if len(byTo[r[0]]) == 0 {
			continue
		}
		if best != nil && best.coverage() == CoverFull && len(r) > len(bestRoute) {
			break // routes are ordered by length; a longer one cannot win
		}
		w := c.walk(a, start, r, inB, false)
		if w.coverage() == CoverNone {
			continue
		}
		if best == nil || better(w, *best, len(r), len(bestRoute)) {
			wc := w
			best, bestRoute = &wc, r
		}
	}
	if best != nil {
		w := c.walk(a, start, bestRoute, inB, true)
		c.fill(&pc, w, append([]string{a}, bestRoute...), inB, b)
	}
	return pc
}

// better prefers fuller coverage, then shorter routes, then higher confidence.
func better(w, than walkState, wLen, thanLen int) bool {
	if r, t := coverRank[w.coverage()], coverRank[than.coverage()]; r != t {
		return r > t
	}
	if wLen != thanLen {
		return wLen < thanLen
	}
	return w.score > than.score
}

// walkState is the provisions reached in the current scheme: all overlap
// the starting provision, full (when not nil) jointly contains it.
type walkState struct {
	full, all []string
	score     float64
	hops      []Hop
	official  bool
}

func (w walkState) coverage() string {
	switch {
	case w.full != nil && len(w.full) > 0:
		return CoverFull
	case len(w.all) > 0:
		return CoverPartial
	}
	return CoverNone
}

// walk follows mappings from scheme `from` through each scheme of path.
// The last step keeps only provisions of the target level (inB).
func (c *Catalog) walk(from string, st walkState, path []string, inB members, record bool) walkState {
	st.official = true
	cur := from
	for i, next := range path {
		last := i == len(path)-1
		var nextFull, nextAll []string
		fullOK := st.full != nil
		minScore := 1.0
		for _, x := range st.all {
			xFull := false
			xInFull := slices.Contains(st.full, x)
			for _, e := range c.adj[cur][x][next] {
				if e.rel == NoRelationship {
					continue
				}
				targets := e.targets
				if last {
					targets = filterIn(targets, inB)
					if len(targets) == 0 {
						continue
					}
				}
				isFull := (e.rel == EqualTo || e.rel == EquivalentTo || e.rel == SubsetOf) && len(targets) == len(e.targets)
				if xInFull && isFull {
					xFull = true
					nextFull = appendNew(nextFull, targets...)
				}
				nextAll = appendNew(nextAll, targets...)
				if s := e.confidence.Score(); s < minScore {
					minScore = s
				}
				if e.provenance != ProvenanceOfficial && e.provenance != ProvenanceDerived {
					st.official = false
				}
				if !record {
					continue
				}
				st.hops = append(st.hops, Hop{From: cur, To: next, Sources: e.sources, Targets: e.targets, Relationship: e.rel,
					Provenance: e.provenance, Confidence: e.confidence, Rationale: e.rationale, MappingSet: e.set})
			}
			if xInFull && !xFull {
				fullOK = false
			}
		}
		if !fullOK {
			nextFull = nil
		}
		st.full, st.all = nextFull, nextAll
		if len(nextAll) == 0 {
			st.full = nil
			return st
		}
		st.score *= minScore
		if !last {
			st.score *= hubPenalty
		}
		cur = next
	}
	return st
}

func filterIn(ids []string, in members) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if _, ok := in[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

func appendNew(s []string, ids ...string) []string {
	for _, id := range ids {
		if !slices.Contains(s, id) {
			s = append(s, id)
		}
	}
	return s
}

func (c *Catalog) fill(pc *ProvisionCompare, w walkState, path []string, inB members, b string) {
	pc.Coverage = w.coverage()
	if pc.Coverage == CoverNone {
		// An explicit no-relationship map still explains the answer.
		pc.Hops = w.hops
		pc.Path = path
		return
	}
	pc.Path = path
	pc.Hops = w.hops
	pc.Score = float64(int(w.score*1000+0.5)) / 1000
	pc.Confidence = ConfidenceOf(w.score)
	pc.Provenance = ProvenanceExpert
	if w.official {
		pc.Provenance = ProvenanceOfficial
	}
	full := map[string]bool{}
	for _, id := range w.full {
		full[id] = true
	}
	ids := slices.Clone(w.all)
	sort.Slice(ids, func(i, j int) bool { return inB[ids[i]].pos < inB[ids[j]].pos })
	for _, id := range ids {
		p := inB[id]
		cov := CoverPartial
		if full[id] {
			cov = CoverFull
		}
		pc.Covers = append(pc.Covers, Cover{Scheme: b, ID: id, Title: p.Title, Kind: p.Kind, Coverage: cov})
	}
}
