// Package catalog is the catalog and crosswalk capability's service. It
// hands out the catalog each organisation sees: the
// embedded catalog, plus the schemes and mappings the organisation
// imported, plus those other organisations shared. It is what the command
// line, the API and the web UI ask, so all three give the same answers in
// the same shapes. The crosswalk engine's shapes they speak (queries,
// answers, status constants, ParseRef) are re-exported in types.go, so no
// door imports internal/crosswalk.
//
// Merged catalogs are cached. A cache entry is checked against the store's
// scheme revision (one small read), so a replica notices an import made on
// another replica at its next request; an import's content never changes,
// so a merged catalog is cached by the set of imports it holds (with their
// visibility, which the view shows) and shared by every organisation that
// sees the same set.
//
// It reaches data through iotsec.SchemeStore only: it must not import
// storage (database/sql, sqlite, pgx), HTTP servers, app or cli.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/crosswalk/oscal"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// maxCached bounds the merged catalogs kept; past it the cache starts over.
// Each is a few megabytes, and most organisations share the entry of the
// shared imports alone.
const maxCached = 64

// Service is the catalog service: the embedded catalog and a store of imports. It is safe for
// concurrent use.
type Service struct {
	store iotsec.SchemeStore // nil: the embedded catalog only
	base  *View
	// Now is the clock for exports' last-modified times.
	Now func() time.Time
	// validator compiles the OSCAL schema on first use (it takes a while,
	// and most commands never need it).
	validator func() (*oscal.Validator, error)

	mu    sync.Mutex
	byOrg map[string]orgEntry
	byKey map[string]*View
}

type orgEntry struct {
	rev int64
	key string
}

// New returns a library over the embedded catalog base and the imports in
// store (nil for none: the command line without a database).
func New(store iotsec.SchemeStore, base *crosswalk.Catalog) *Service {
	return &Service{
		store: store, base: newView(base), Now: time.Now,
		validator: sync.OnceValues(oscal.NewValidator),
		byOrg:     map[string]orgEntry{}, byKey: map[string]*View{},
	}
}

// Base is the view of the embedded catalog alone.
func (l *Service) Base() *View { return l.base }

// Validator returns the compiled OSCAL schema.
func (l *Service) Validator() (*oscal.Validator, error) { return l.validator() }

// For returns the catalog a's organisation sees: the embedded one plus its
// own imports and every shared one.
func (l *Service) For(ctx context.Context, a iotsec.Actor) (*View, error) {
	if l.store == nil || a.OrgID == "" {
		return l.base, nil
	}
	rev, err := l.store.SchemeRevision(ctx)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if e, ok := l.byOrg[a.OrgID]; ok && e.rev == rev {
		v, ok := l.byKey[e.key]
		if ok {
			l.mu.Unlock()
			return v, nil
		}
	}
	l.mu.Unlock()
	// The revision is read before the imports, so a change in between
	// leaves an entry that the next request finds stale: never the other
	// way round.
	imps, err := l.store.LoadSchemeImports(ctx, a)
	if err != nil {
		return nil, err
	}
	// The organisation's own imports come first: where one of them clashes
	// with another's shared scheme, its own wins.
	var own, others []iotsec.SchemeImport
	for _, im := range imps {
		if im.OrgID == a.OrgID {
			own = append(own, im)
		} else {
			others = append(others, im)
		}
	}
	ordered := append(own, others...)
	// The key holds each import's visibility too: the content never
	// changes, but the view shows whether a scheme is shared.
	ids := make([]string, len(ordered))
	for i, im := range ordered {
		ids[i] = im.ID + ":" + string(im.Visibility)
	}
	key := strings.Join(ids, ",")
	l.mu.Lock()
	v, ok := l.byKey[key]
	l.mu.Unlock()
	if !ok {
		v = l.build(ordered)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byKey) >= maxCached {
		l.byKey, l.byOrg = map[string]*View{}, map[string]orgEntry{}
	}
	l.byKey[key] = v
	l.byOrg[a.OrgID] = orgEntry{rev: rev, key: key}
	return v, nil
}

// parsed is what an import's Parsed column holds.
type parsed struct {
	Schemes  []crosswalk.Scheme     `json:"schemes"`
	Mappings []crosswalk.MappingSet `json:"mappings"`
	// Agreements are recognition agreements an agreed recognition
	// request wrote (iotsec.SchemeFormatAgreement imports).
	Agreements []crosswalk.Agreement `json:"agreements,omitempty"`
}

// build merges imports into the embedded catalog. All at once when they
// fit together; otherwise one by one, skipping (and saying why) any that no
// longer fits, such as a mapping onto a scheme its owner has since
// unshared. Nothing another organisation does can break this one's view.
func (l *Service) build(imps []iotsec.SchemeImport) *View {
	if len(imps) == 0 {
		return l.base
	}
	docs := make([]parsed, len(imps))
	var bad []Skipped
	var okImps []iotsec.SchemeImport
	var okDocs []parsed
	for i, im := range imps {
		if err := json.Unmarshal(im.Parsed, &docs[i]); err != nil {
			bad = append(bad, Skipped{Import: meta(im), Reason: fmt.Sprintf("stored content does not decode: %v", err)})
			continue
		}
		// A superseding set changes the catalog of the organisation that
		// holds it, never another's: only a private import supersedes.
		if im.Visibility != iotsec.VisibilityPrivate {
			for j := range docs[i].Mappings {
				docs[i].Mappings[j].Supersedes = false
			}
		}
		okImps, okDocs = append(okImps, im), append(okDocs, docs[i])
	}
	var schemes []crosswalk.Scheme
	var sets []crosswalk.MappingSet
	var agreements []crosswalk.Agreement
	for _, d := range okDocs {
		schemes, sets = append(schemes, d.Schemes...), append(sets, d.Mappings...)
		agreements = append(agreements, d.Agreements...)
	}
	if cat, err := l.base.cat.With(schemes, sets, agreements); err == nil {
		v := newView(cat)
		for _, im := range okImps {
			v.addImport(im)
		}
		v.Skipped = bad
		return v
	}
	cat := l.base.cat
	var merged []iotsec.SchemeImport
	for i, im := range okImps {
		next, err := cat.With(okDocs[i].Schemes, okDocs[i].Mappings, okDocs[i].Agreements)
		if err != nil {
			bad = append(bad, Skipped{Import: meta(im), Reason: iotsec.Message(problem(err))})
			if ds := iotsec.DetailsOf(problem(err)); len(ds) > 0 {
				bad[len(bad)-1].Reason += ": " + strings.Join(ds, "; ")
			}
			continue
		}
		cat = next
		merged = append(merged, im)
	}
	v := newView(cat)
	for _, im := range merged {
		v.addImport(im)
	}
	v.Skipped = bad
	return v
}

// meta is an import without its content.
func meta(im iotsec.SchemeImport) iotsec.SchemeImport {
	im.Source, im.Parsed = nil, nil
	if im.Slugs == nil {
		im.Slugs = []string{}
	}
	if im.MappingSets == nil {
		im.MappingSets = []string{}
	}
	return im
}

// Skipped is an import left out of a view, and why.
type Skipped struct {
	Import iotsec.SchemeImport `json:"import"`
	Reason string              `json:"reason"`
}
