package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// RecognitionAgreement is the catalog agreement a recognition request
// states once agreed on day at: one edge, holders of the requesting
// scheme (at its level or above) to the addressed scheme (at its level),
// citing the request (source names it and links to url).
func RecognitionAgreement(r iotsec.RecognitionRequest, at time.Time, url string) crosswalk.Agreement {
	day := crosswalk.Date(at.UTC().Format("2006-01-02"))
	return crosswalk.Agreement{
		ID:        "recognition-" + r.ID,
		Title:     fmt.Sprintf("Recognition of %s as %s, agreed between %s and %s", ref(r.FromScheme, r.FromLevel), ref(r.ToScheme, r.ToLevel), r.FromOrgName, r.ToOrgName),
		Parties:   []string{r.FromOrgName, r.ToOrgName},
		Signed:    day,
		Effective: day,
		Status:    "active",
		Edges: []crosswalk.Recognition{{
			From: crosswalk.LabelRef{Scheme: r.FromScheme, MinLevel: r.FromLevel},
			To:   crosswalk.LabelRef{Scheme: r.ToScheme, Level: r.ToLevel},
			Kind: r.Kind, Note: r.Rationale,
		}},
		Source: crosswalk.Ref{Title: fmt.Sprintf("agreed recognition request %s between %s and %s", r.ID, r.FromOrgName, r.ToOrgName), URL: url},
		Notes:  []string{r.Rationale},
	}
}

func ref(slug, level string) string {
	if level == "" {
		return slug
	}
	return slug + " level " + level
}

// PrepareRecognition checks the agreement a recognition request states
// against the catalog a's organisation sees (both schemes and levels must
// exist there) and returns the private agreement import of a's
// organisation that adds it, storing nothing: the registry stores the two
// parties' imports with the request's move in one transaction.
func (l *Service) PrepareRecognition(ctx context.Context, a iotsec.Actor, r iotsec.RecognitionRequest, at time.Time, url string) (iotsec.SchemeImport, error) {
	var none iotsec.SchemeImport
	if l.store == nil {
		return none, fmt.Errorf("recognition: no database")
	}
	view, err := l.For(ctx, a)
	if err != nil {
		return none, err
	}
	ag := RecognitionAgreement(r, at, url)
	for field, slug := range map[string]string{"from_scheme": r.FromScheme, "to_scheme": r.ToScheme} {
		if _, err := view.cat.Scheme(slug); err != nil {
			return none, iotsec.Invalid(field, "scheme %s is not in this organisation's catalog", slug)
		}
	}
	if _, err := view.cat.With(nil, nil, []crosswalk.Agreement{ag}); err != nil {
		return none, problem(err)
	}
	body, err := json.Marshal(parsed{Agreements: []crosswalk.Agreement{ag}})
	if err != nil {
		return none, err
	}
	src, err := json.Marshal(ag)
	if err != nil {
		return none, err
	}
	return iotsec.SchemeImport{OrgID: a.OrgID, Name: "recognition request " + r.ID, Format: iotsec.SchemeFormatAgreement,
		Visibility: iotsec.VisibilityPrivate, Source: src, Parsed: body}, nil
}
