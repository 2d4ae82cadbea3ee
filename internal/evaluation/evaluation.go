// Package evaluation is the evaluation capability's service: it takes
// firmware images (spools, stores and queues their scans, and runs the
// scan jobs), keeps what assessors record (evidence, ICS, IXIT), and
// decides a firmware version's verdicts for any scheme from what is
// stored. It also runs the command line's scan, which needs no database.
// The API, the web UI, the CLI and the job queue all go through one
// Service, which the composition root builds once.
//
// It is a service: it imports the domain and the engines (scan, assess,
// crosswalk, firmware, inspect, probe) and reaches data through the iotsec store
// interfaces only. It must not import storage (sqlstore, sqlite, postgres,
// database/sql), HTTP servers, or the doors and the top (api, ui, cli,
// server, app), and it does not import the other services: the supply
// chain's re-match after a scan is injected as AfterScan.
package evaluation

import (
	"context"
	"fmt"
	"strings"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/firmware"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Store is what the service reads and writes.
type Store interface {
	iotsec.EvaluationStore
	GetProduct(ctx context.Context, a iotsec.Actor, id string) (iotsec.Product, error)
	GetFirmware(ctx context.Context, a iotsec.Actor, id string) (iotsec.FirmwareVersion, error)
	GetJob(ctx context.Context, a iotsec.Actor, id string) (iotsec.Job, error)
	// SaveProgress reports a scan job's progress.
	SaveProgress(ctx context.Context, p iotsec.Progress) error
}

// Service is the evaluation capability. Its exported fields are settings
// the composition root fills in once, before the service is used.
type Service struct {
	store  Store // nil for the command line, which stores nothing
	engine *assess.Engine

	// Limits bound the unpacking of one image; the zero value means the
	// firmware engine's defaults (the command line's). A server runs
	// several scans at once and sets a lower bound.
	Limits firmware.Limits
	// MaxImage is the largest image Upload takes, in bytes.
	MaxImage int64
	// SpoolDir is where uploads are spooled before they are stored; ""
	// means the system's temporary directory.
	SpoolDir string
	// FreeMemory returns the memory of a scan job to the system when it
	// ends (a server's long-lived process; the command line exits).
	FreeMemory bool
	// AfterScan, if set, runs when a scan job has stored its results (the
	// supply-chain service matches the new components); its error fails
	// the job. It is a func, not an import, so that services stay apart.
	AfterScan func(ctx context.Context, a iotsec.Actor, firmwareID string) error
	// AfterEvaluate, if set, runs when a version's verdicts may have
	// changed: after a scan job (and AfterScan) and after an assessor's
	// evidence is stored (the registry puts a certified record whose level
	// now fails under review). Its error fails the job or the request; the
	// evidence stays stored.
	AfterEvaluate func(ctx context.Context, a iotsec.Actor, firmwareID string) error
}

// New returns the service over store (nil when nothing is stored, as for
// the command line's scans) with the assessment engine, which decides
// and projects the verdicts.
func New(store Store, engine *assess.Engine) *Service {
	return &Service{store: store, engine: engine, MaxImage: 512 << 20}
}

// The engine types the doors render, re-exported so that the doors need
// not import the engines.
type (
	// Verdict is a verdict on an EN 303 645 provision (PASS, FAIL, ...).
	Verdict = assess.Verdict
	// SchemeVerdict is a scheme's standing, with its levels.
	SchemeVerdict = assess.SchemeVerdict
	// ProvisionResult is the verdict on one EN 303 645 provision and what
	// it rests on.
	ProvisionResult = assess.Result
	// Assessment is the verdict on every EN 303 645 provision.
	Assessment = assess.Assessment
	// ICS is an implementation conformance statement (EN 303 645 Annex B).
	ICS = assess.ICS
	// IXITEntry is one item of implementation extra information for
	// testing.
	IXITEntry = assess.IXITEntry
	// SchemeRef names a scheme and, optionally, one of its levels.
	SchemeRef = crosswalk.SchemeRef
	// Category is a category of IXIT items.
	Category = crosswalk.Category
)

// Verdicts an assessor may record, and the standings of a scheme.
const (
	Pass          = assess.Pass
	Fail          = assess.Fail
	NotApplicable = assess.NotApplicable
	Inconclusive  = assess.Inconclusive
	AtRisk        = assess.AtRisk
	NoEvidence    = assess.NoEvidence

	StatusMet        = assess.StatusMet
	StatusNotMet     = assess.StatusNotMet
	StatusIncomplete = assess.StatusIncomplete
)

// MaxICSBytes is the largest ICS file SaveICS reads.
const MaxICSBytes = assess.MaxICSBytes

// Verdicts lists the verdicts an assessor may record, in the order forms
// offer them.
func (s *Service) Verdicts() []Verdict { return assess.Verdicts() }

// Provisions lists the EN 303 645 provision IDs in catalog order.
func (s *Service) Provisions() []string { return s.engine.Provisions() }

// IXITCategories lists the categories an IXIT item may have.
func (s *Service) IXITCategories() []Category { return s.engine.IXITCategories() }

// ShortTitle returns a scheme's short title, or its slug when the catalog
// does not know it.
func (s *Service) ShortTitle(slug string) string {
	sc, err := s.engine.Catalog().Scheme(slug)
	if err != nil || sc.ShortTitle == "" {
		return slug
	}
	return sc.ShortTitle
}

// Slugs lists the slugs of every scheme the catalog knows.
func (s *Service) Slugs() []string { return s.engine.Catalog().Slugs() }

// SchemeError is a scheme reference the catalog does not know: no scheme
// has its slug, or (Level) the scheme has no such level.
type SchemeError struct {
	Ref   SchemeRef
	Level bool
}

func (e *SchemeError) Error() string {
	if e.Level {
		return fmt.Sprintf("%s has no level %q", e.Ref.Slug, e.Ref.Level)
	}
	return fmt.Sprintf("no scheme %q", e.Ref.Slug)
}

// SchemeRefs reads scheme references (slug or slug:level; each value may
// hold several, comma-separated) and checks them against the catalog. An
// unknown one is an invalid "scheme" whose cause is a *SchemeError.
func (s *Service) SchemeRefs(values []string) ([]SchemeRef, error) {
	var refs []SchemeRef
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			ref := crosswalk.ParseRef(part)
			sc, err := s.engine.Catalog().Scheme(ref.Slug)
			if err != nil {
				se := &SchemeError{Ref: ref}
				return nil, &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "scheme", Message: se.Error(), Err: se}
			}
			if ref.Level != "" {
				if _, ok := sc.Level(ref.Level); !ok {
					se := &SchemeError{Ref: ref, Level: true}
					return nil, &iotsec.Error{Kind: iotsec.ErrInvalid, Field: "scheme", Message: se.Error(), Err: se}
				}
			}
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// Refs names whole schemes by slug, unchecked: for lists the door fixes.
func Refs(slugs ...string) []SchemeRef {
	out := make([]SchemeRef, len(slugs))
	for i, s := range slugs {
		out[i] = SchemeRef{Slug: s}
	}
	return out
}
