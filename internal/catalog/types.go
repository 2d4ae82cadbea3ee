package catalog

import "github.com/iotsec/iotsec/internal/crosswalk"

// The shapes of the crosswalk engine the doors (API, UI, CLI) speak: the
// queries they build and the answers a View returns. They are aliases, so
// a View's methods return them unchanged, while the doors import only this
// service and never the engine (docs/architecture.md, import rules).
type (
	// SchemeRef names a scheme and optionally one of its levels (slug:level).
	SchemeRef = crosswalk.SchemeRef
	// SchemeFilter selects schemes for View.Schemes.
	SchemeFilter = crosswalk.SchemeFilter
	// Level is one assurance level of a scheme.
	Level = crosswalk.Level
	// Date is a calendar date (YYYY-MM-DD); Dates are a scheme's milestones.
	Date  = crosswalk.Date
	Dates = crosswalk.Dates

	// Comparison is View.Compare's answer: how one scheme covers another.
	Comparison       = crosswalk.Comparison
	ProvisionCompare = crosswalk.ProvisionCompare
	Cover            = crosswalk.Cover
	Brief            = crosswalk.Brief
	Stats            = crosswalk.Stats

	// AppliesQuery and AppliesResult: which schemes apply to a product.
	AppliesQuery  = crosswalk.AppliesQuery
	AppliesResult = crosswalk.AppliesResult
	// BaselineQuery and Baseline: the union of what applying schemes ask.
	BaselineQuery = crosswalk.BaselineQuery
	Baseline      = crosswalk.Baseline
	// GapQuery and GapMatrix: what is required where, by market and class.
	GapQuery  = crosswalk.GapQuery
	GapMatrix = crosswalk.GapMatrix
	// RecogniseQuery and RecognitionResult: what a held label earns abroad.
	RecogniseQuery    = crosswalk.RecogniseQuery
	RecognitionResult = crosswalk.RecognitionResult
	// Recognised is what a held label counts as under one agreement.
	Recognised = crosswalk.Recognised
	// Agreement is a mutual-recognition agreement between labels; its
	// edges are Recognitions between LabelRefs.
	Agreement   = crosswalk.Agreement
	Recognition = crosswalk.Recognition
	LabelRef    = crosswalk.LabelRef
)

// Scheme statuses (SchemeFilter.Status).
const (
	StatusMandatory         = crosswalk.StatusMandatory
	StatusVoluntary         = crosswalk.StatusVoluntary
	StatusMandatoryForClass = crosswalk.StatusMandatoryForClass
)

// Coverage of one provision by another scheme (Comparison).
const (
	CoverFull    = crosswalk.CoverFull
	CoverPartial = crosswalk.CoverPartial
	CoverNone    = crosswalk.CoverNone
)

// Gap levels of a GapMatrix cell.
const (
	GapMandatory = crosswalk.GapMandatory
	GapUpcoming  = crosswalk.GapUpcoming
	GapLabel     = crosswalk.GapLabel
	GapStandard  = crosswalk.GapStandard
	GapNone      = crosswalk.GapNone
)

// Kinds of recognition between labels (Recognition.Kind).
const (
	DeemedEquivalence = crosswalk.DeemedEquivalence
	SimplifiedRoute   = crosswalk.SimplifiedRoute
)

// ParseRef reads a scheme reference, "slug" or "slug:level".
func ParseRef(s string) SchemeRef { return crosswalk.ParseRef(s) }
