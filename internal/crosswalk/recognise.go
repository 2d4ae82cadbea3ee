package crosswalk

import (
	"fmt"
	"slices"
	"time"
)

// RecogniseQuery names a label held: a scheme, its level and optionally the
// product class (agreements often exclude classes) and a date.
type RecogniseQuery struct {
	Slug  string    `json:"slug"`
	Level string    `json:"level,omitempty"`
	Class string    `json:"class,omitempty"`
	Date  time.Time `json:"date"`
}

// Recognised is what a held label counts as under one agreement.
type Recognised struct {
	Agreement string `json:"agreement"`
	Title     string `json:"title"`
	Kind      string `json:"kind"` // deemed-equivalence, simplified-route
	// Scheme and Level are what the label counts as (or gives a simplified
	// route to); External names a label outside the catalog.
	Scheme        string   `json:"scheme,omitempty"`
	SchemeTitle   string   `json:"scheme_title,omitempty"`
	Level         string   `json:"level,omitempty"`
	External      string   `json:"external,omitempty"`
	Jurisdictions []string `json:"jurisdictions,omitempty"`
	// Status is the agreement's status, or "not-yet-effective" before its
	// effective date.
	Status     string     `json:"status"`
	Signed     Date       `json:"signed,omitempty"`
	Effective  Date       `json:"effective,omitempty"`
	Scope      string     `json:"scope,omitempty"`
	Classes    []string   `json:"classes,omitempty"`
	Excluded   []string   `json:"excluded_classes,omitempty"`
	Note       string     `json:"note,omitempty"`
	Notes      []string   `json:"notes,omitempty"`
	Source     Ref        `json:"source"`
	Confidence Confidence `json:"confidence,omitempty"`
}

// RecognitionResult is Recognise's answer.
type RecognitionResult struct {
	Query  RecogniseQuery `json:"query"`
	Counts []Recognised   `json:"counts_as"`
}

// Recognise lists what a held label counts as elsewhere under the mutual
// recognition agreements: deemed equivalence or a simplified route, with
// the agreement's dates, scope and status. Only direct agreements count;
// recognition is not transitive in law. A levelled scheme with no level
// given is read at its lowest level.
func (c *Catalog) Recognise(q RecogniseQuery) (*RecognitionResult, error) {
	s, ok := c.schemes[q.Slug]
	if !ok {
		return nil, &NotFoundError{What: "scheme", Name: q.Slug}
	}
	if q.Date.IsZero() {
		return nil, &QueryError{Field: "date", Message: "no date (pass the current date explicitly)"}
	}
	q.Class = c.NormaliseClass(q.Class)
	if q.Class != "" {
		if _, ok := c.classes[q.Class]; !ok {
			return nil, &NotFoundError{What: "product class", Name: q.Class}
		}
	}
	held := q.Level
	if held == "" && len(s.Levels) > 0 {
		held = lowestLevel(s)
	}
	var heldRank int
	if held != "" {
		l, ok := s.Level(held)
		if !ok {
			return nil, fmt.Errorf("scheme %s level %s: %w", q.Slug, held, ErrLevel)
		}
		heldRank = l.Rank
	}
	out := &RecognitionResult{Query: q, Counts: []Recognised{}}
	for _, a := range c.data.Agreements {
		for _, e := range a.Edges {
			if e.From.Scheme != q.Slug {
				continue
			}
			if e.From.MinLevel != "" {
				min, _ := s.Level(e.From.MinLevel)
				if heldRank < min.Rank {
					continue
				}
			}
			classes := e.Classes
			if len(classes) == 0 {
				classes = a.Classes
			}
			if q.Class != "" && (slices.Contains(a.Excluded, q.Class) || (len(classes) > 0 && !slices.Contains(classes, q.Class))) {
				continue
			}
			r := Recognised{Agreement: a.ID, Title: a.Title, Kind: e.Kind, Scheme: e.To.Scheme, Level: e.To.Level,
				External: e.To.External, Status: a.Status, Signed: a.Signed, Effective: a.Effective, Scope: a.Scope,
				Classes: classes, Excluded: a.Excluded, Note: e.Note, Notes: a.Notes, Source: a.Source, Confidence: a.Confidence}
			if to, ok := c.schemes[e.To.Scheme]; ok {
				r.SchemeTitle, r.Jurisdictions = to.Title, to.Jurisdictions
				if to.State == "closed" {
					r.Notes = append(slices.Clone(r.Notes), to.Slug+" no longer takes new applications")
				}
			}
			if a.Effective != "" && !a.Effective.OnOrBefore(q.Date) {
				r.Status = "not-yet-effective"
			}
			out.Counts = append(out.Counts, r)
		}
	}
	return out, nil
}
