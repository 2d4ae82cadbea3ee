// Package crosswalk is the catalog engine. It holds the IoT security schemes (standards, laws, labels and
// certification programmes) provision by provision, the typed mappings
// between them, the mutual recognition agreements between labels, and the
// crosswalk algebra over them: Compare, Baseline, Applies, Gaps and
// Recognise.
//
// The embedded data under data/ is read-only and reviewed like code; a
// catalog extended with user-imported schemes is built in memory with
// Catalog.With. The package is an engine: it must not import storage
// (database/sql, sqlite, pgx), HTTP servers or internal/iotsec.
package crosswalk

import (
	"fmt"
	"slices"
	"strings"
)

// Legal status of a scheme.
const (
	StatusMandatory         = "mandatory"
	StatusVoluntary         = "voluntary"
	StatusMandatoryForClass = "mandatory-for-class"
)

// Kinds of provision. A test group or label requirement takes the kind of
// what it requires.
const (
	KindMandatory   = "mandatory"
	KindRecommended = "recommended"
)

// Relationship vocabulary of OSCAL 1.2 mappings (NIST IR 8477 set theory
// relationship mapping). A map reads "sources <relationship> targets".
const (
	EquivalentTo   = "equivalent-to"
	EqualTo        = "equal-to"
	SubsetOf       = "subset-of"
	SupersetOf     = "superset-of"
	IntersectsWith = "intersects-with"
	NoRelationship = "no-relationship"
)

// Provenance of a mapping.
const (
	ProvenanceOfficial = "official" // published by the owner of one of the two schemes or by law
	ProvenanceExpert   = "expert"   // written by iotsec maintainers or an importer from the texts
	ProvenanceDerived  = "derived"  // generated from a profile's references to its base scheme
)

// Confidence that a fact or a mapping is right.
type Confidence string

// Confidence levels. Empty means the fact was confirmed at its source.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Score turns a confidence into a number in (0, 1] so path confidences can be
// multiplied. The values are a convention of this package, not of OSCAL.
func (c Confidence) Score() float64 {
	switch c {
	case Medium:
		return 0.7
	case Low:
		return 0.4
	default:
		return 0.95
	}
}

// ConfidenceOf maps a score back to a level, the inverse of Score with
// thresholds halfway between levels.
func ConfidenceOf(score float64) Confidence {
	switch {
	case score >= 0.8:
		return High
	case score >= 0.55:
		return Medium
	default:
		return Low
	}
}

// Ref points at a document: a source of facts or of a mapping.
type Ref struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
	// Clause names the part of the document the fact comes from (a
	// schedule paragraph, an article, a section), where one is cited.
	Clause string `json:"clause,omitempty"`
}

// ScopeBasis says where a scheme's inclusion or exclusion of product
// classes comes from: the clause of its instrument that puts them in or
// out of scope.
type ScopeBasis struct {
	Classes    []string   `json:"classes"`
	Excluded   bool       `json:"excluded,omitempty"`
	Source     Ref        `json:"source"`
	Confidence Confidence `json:"confidence,omitempty"`
}

// Dates of a scheme. Each is a Date string of precision year, month or day.
type Dates struct {
	Published   Date        `json:"published,omitempty"`
	InForce     Date        `json:"in_force,omitempty"`
	AppliesFrom Date        `json:"applies_from,omitempty"`
	Closed      Date        `json:"closed,omitempty"` // no new certificates or labels from this date
	Milestones  []Milestone `json:"milestones,omitempty"`
}

// Milestone is a dated event in a scheme's life (a reporting duty starting,
// a programme paused).
type Milestone struct {
	Date       Date       `json:"date"`
	Event      string     `json:"event"`
	Confidence Confidence `json:"confidence,omitempty"`
}

// Level of a scheme with levels (CLS 1-4, JC-STAR 1-4, CIC Lite/Basic/Standard,
// IEC 62443 SL-C 1-4). Levels are ordered by Rank; a provision required at a
// level is required at every higher level when the scheme is cumulative.
type Level struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Rank        int        `json:"rank"`
	Assessment  string     `json:"assessment,omitempty"` // self-declaration, third-party, lab-evaluation
	Description string     `json:"description,omitempty"`
	Confidence  Confidence `json:"confidence,omitempty"`
	// Source is where the description comes from, with its clause.
	Source *Ref `json:"source,omitempty"`
}

// Obligation is a legal duty that makes a voluntary scheme (or one of its
// levels) mandatory for a product class in a jurisdiction, such as CLS level
// 1 for home routers in Singapore.
type Obligation struct {
	Jurisdictions []string   `json:"jurisdictions"`
	Classes       []string   `json:"classes"`
	Level         string     `json:"level,omitempty"`
	From          Date       `json:"from,omitempty"`
	Planned       bool       `json:"planned,omitempty"`
	Instrument    string     `json:"instrument"`
	Source        Ref        `json:"source"`
	Confidence    Confidence `json:"confidence,omitempty"`
}

// Category groups provisions (EN 303 645 clause 5.1, IEC 62443 FR 1).
type Category struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// TestCase is one test case of an assessment specification (TS 103 701).
type TestCase struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"` // conceptual, functional, conceptual-functional
	Units      int        `json:"units,omitempty"`
	Confidence Confidence `json:"confidence,omitempty"`
}

// Provision is one requirement of a scheme.
type Provision struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Kind is mandatory or recommended within the scheme.
	Kind        string `json:"kind"`
	Category    string `json:"category,omitempty"`
	Conditional bool   `json:"conditional,omitempty"`
	// Statement is the requirement in one line: a quote where the source's
	// licence allows it and TextKind says "quote", otherwise our paraphrase.
	Statement string `json:"statement,omitempty"`
	TextKind  string `json:"text_kind,omitempty"` // quote, paraphrase
	// Levels lists the scheme levels at which the provision is required.
	Levels []string `json:"levels,omitempty"`
	// MinLevel, in data files, expands to every level of equal or higher rank.
	MinLevel string `json:"min_level,omitempty"`
	// Ref names the provision of the profile's base scheme this one takes.
	Ref        string     `json:"ref,omitempty"`
	Tests      []TestCase `json:"tests,omitempty"`
	Confidence Confidence `json:"confidence,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// Profile says a scheme is a selection of another scheme's provisions
// (CLS, the Finnish label, TS 103 701 test groups). Loading turns each
// provision's Ref into an equal-to mapping onto the base.
type Profile struct {
	Of         string     `json:"of"`
	Provenance string     `json:"provenance"`
	Source     Ref        `json:"source"`
	Confidence Confidence `json:"confidence,omitempty"`
	Rationale  string     `json:"rationale"`
}

// Scheme is a standard, law, label or certification programme.
type Scheme struct {
	Slug       string `json:"slug"`
	Title      string `json:"title"`
	ShortTitle string `json:"short_title,omitempty"`
	Version    string `json:"version"`
	Publisher  string `json:"publisher"`
	// Type says what the scheme is: standard, test-specification, law,
	// regulation, label, certification, guidance.
	Type string `json:"type"`
	// Jurisdictions are ISO 3166-1 alpha-2 codes or EU. International
	// standards have none and International set.
	Jurisdictions   []string `json:"jurisdictions"`
	International   bool     `json:"international,omitempty"`
	Sectors         []string `json:"sectors"`
	ProductClasses  []string `json:"product_classes"` // "*" for every class of the sectors
	ExcludedClasses []string `json:"excluded_classes,omitempty"`
	// Scope cites, for every class of ProductClasses and ExcludedClasses,
	// the clause that includes or excludes it.
	Scope       []ScopeBasis `json:"scope,omitempty"`
	Status      string       `json:"status"`
	State       string       `json:"state,omitempty"` // active, stalled, closed
	Dates       Dates        `json:"dates"`
	Levels      []Level      `json:"levels,omitempty"`
	Cumulative  bool         `json:"cumulative,omitempty"`
	Obligations []Obligation `json:"obligations,omitempty"`
	Basis       []string     `json:"basis,omitempty"` // slugs this scheme builds on
	Profile     *Profile     `json:"profile,omitempty"`
	// Validity is how long a grant of a label or certification scheme
	// lasts and when its renewal may be asked for; nil when the scheme
	// publishes no figure (a grant then names its own end).
	Validity   *Validity   `json:"validity,omitempty"`
	Source     Ref         `json:"source"`
	References []Ref       `json:"references,omitempty"`
	Licence    string      `json:"licence"`
	Confidence Confidence  `json:"confidence,omitempty"`
	Uncertain  []string    `json:"uncertain,omitempty"`
	Notes      []string    `json:"notes,omitempty"`
	Categories []Category  `json:"categories,omitempty"`
	IXIT       []Category  `json:"ixit,omitempty"`
	Provisions []Provision `json:"provisions"`
	// Imported is set on schemes that came from a user's OSCAL or CSV file.
	Imported bool `json:"imported,omitempty"`
}

// Validity is a scheme's rule for how long a grant lasts: Months from the
// first day, renewable in the RenewalWindowDays before the last day.
type Validity struct {
	Months            int    `json:"months"`
	RenewalWindowDays int    `json:"renewal_window_days"`
	Source            string `json:"source"` // where the figures come from
}

// Summary is the row of a scheme list.
type Summary struct {
	Slug           string   `json:"slug"`
	Title          string   `json:"title"`
	Version        string   `json:"version"`
	Publisher      string   `json:"publisher"`
	Jurisdictions  []string `json:"jurisdictions"`
	International  bool     `json:"international,omitempty"`
	Sectors        []string `json:"sectors"`
	Status         string   `json:"status"`
	State          string   `json:"state,omitempty"`
	ProvisionCount int      `json:"provision_count"`
	Levels         []string `json:"levels,omitempty"`
	Imported       bool     `json:"imported,omitempty"`
}

// Summary returns the list row of the scheme.
func (s *Scheme) Summary() Summary {
	sum := Summary{
		Slug: s.Slug, Title: s.Title, Version: s.Version, Publisher: s.Publisher,
		Jurisdictions: s.Jurisdictions, International: s.International,
		Sectors: s.Sectors, Status: s.Status, State: s.State,
		ProvisionCount: len(s.Provisions), Imported: s.Imported,
	}
	for _, l := range s.Levels {
		sum.Levels = append(sum.Levels, l.ID)
	}
	return sum
}

// Provision returns the provision with the given ID.
func (s *Scheme) Provision(id string) (*Provision, bool) {
	for i := range s.Provisions {
		if s.Provisions[i].ID == id {
			return &s.Provisions[i], true
		}
	}
	return nil, false
}

// Level returns the level with the given ID.
func (s *Scheme) Level(id string) (*Level, bool) {
	for i := range s.Levels {
		if s.Levels[i].ID == id {
			return &s.Levels[i], true
		}
	}
	return nil, false
}

// AtLevel reports whether provision p is required at level (every provision
// is, when level is empty or the provision has no levels).
func (p *Provision) AtLevel(level string) bool {
	return level == "" || len(p.Levels) == 0 || slices.Contains(p.Levels, level)
}

// Map is one many-to-many mapping entry: Sources (provision IDs of the
// set's From scheme) stand in Relationship to Targets (provision IDs of To).
type Map struct {
	Sources      []string   `json:"sources"`
	Targets      []string   `json:"targets"`
	Relationship string     `json:"relationship"`
	Rationale    string     `json:"rationale"`
	Confidence   Confidence `json:"confidence,omitempty"` // defaults to the set's
	Provenance   string     `json:"provenance,omitempty"` // defaults to the set's
	Citation     *Ref       `json:"citation,omitempty"`   // defaults to the set's
}

// MappingSet is every map from one scheme to another, with the provenance
// and source they share. It becomes one OSCAL mapping-collection.
type MappingSet struct {
	ID         string     `json:"id"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Title      string     `json:"title,omitempty"`
	Provenance string     `json:"provenance"`
	Citation   Ref        `json:"citation"`
	Confidence Confidence `json:"confidence"`
	Notes      []string   `json:"notes,omitempty"`
	Maps       []Map      `json:"maps"`
	Imported   bool       `json:"imported,omitempty"`
	// Supersedes says the set's maps replace, in the catalog that holds
	// it, the maps of other sets between the same two schemes over the same
	// source and target provisions (read in either direction): a reviewed
	// change of an existing map's relationship or confidence. Each of its
	// maps must replace at least one; sets are applied in order, so a
	// later superseding set replaces an earlier one.
	Supersedes bool `json:"supersedes,omitempty"`
}

// Kinds of recognition between labels.
const (
	DeemedEquivalence = "deemed-equivalence" // the held label counts as the other
	SimplifiedRoute   = "simplified-route"   // the held label shortens the application
)

// LabelRef names a scheme and, optionally, the lowest level that qualifies.
// Schemes outside the catalog are named in External.
type LabelRef struct {
	Scheme   string `json:"scheme,omitempty"`
	MinLevel string `json:"min_level,omitempty"`
	Level    string `json:"level,omitempty"` // the level granted, on the receiving side
	External string `json:"external,omitempty"`
}

// Recognition is one directed edge of an agreement: holders of From get To.
type Recognition struct {
	From    LabelRef `json:"from"`
	To      LabelRef `json:"to"`
	Kind    string   `json:"kind"`
	Classes []string `json:"classes,omitempty"` // empty: the agreement's scope
	Note    string   `json:"note,omitempty"`
}

// Agreement is a mutual recognition arrangement between label owners.
type Agreement struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Parties    []string      `json:"parties"`
	Signed     Date          `json:"signed,omitempty"`
	Effective  Date          `json:"effective,omitempty"`
	Status     string        `json:"status"` // active, dormant, pending
	Scope      string        `json:"scope,omitempty"`
	Classes    []string      `json:"classes,omitempty"`
	Excluded   []string      `json:"excluded_classes,omitempty"`
	Edges      []Recognition `json:"edges"`
	Source     Ref           `json:"source"`
	Confidence Confidence    `json:"confidence,omitempty"`
	Notes      []string      `json:"notes,omitempty"`
}

// SchemeRef names a scheme and optionally one of its levels, written
// "slug" or "slug:level" on the command line.
type SchemeRef struct {
	Slug  string `json:"slug"`
	Level string `json:"level,omitempty"`
}

// ParseRef parses "slug" or "slug:level".
func ParseRef(s string) SchemeRef {
	slug, level, _ := strings.Cut(strings.TrimSpace(s), ":")
	return SchemeRef{Slug: slug, Level: level}
}

func (r SchemeRef) String() string {
	if r.Level == "" {
		return r.Slug
	}
	return r.Slug + ":" + r.Level
}

// ProvisionRef names one provision of one scheme.
type ProvisionRef struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

func (r ProvisionRef) String() string { return r.Scheme + " " + r.ID }

// QueryError is returned for a query the caller got wrong (a market code
// that is not one, a missing date); Field names the query part at fault.
type QueryError struct {
	Field, Message string
}

func (e *QueryError) Error() string { return e.Field + ": " + e.Message }

// NotFoundError is returned for an unknown scheme, level or provision.
type NotFoundError struct {
	What, Name string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.What, e.Name) }
