// Package inspect runs analysers over an unpacked firmware image (any
// fs.FS; package firmware makes one) and collects their findings and the
// components they identify. Each check family is its own package under
// inspect/; Default lists them in a plain slice, with no registration.
//
// It is an engine: it must not import storage, HTTP servers or the
// project's domain package internal/iotsec.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/iotsec/iotsec/internal/inspect/check"
	"github.com/iotsec/iotsec/internal/inspect/components"
	"github.com/iotsec/iotsec/internal/inspect/credentials"
	"github.com/iotsec/iotsec/internal/inspect/cryptomaterial"
	"github.com/iotsec/iotsec/internal/inspect/dataprotection"
	"github.com/iotsec/iotsec/internal/inspect/hardening"
	"github.com/iotsec/iotsec/internal/inspect/network"
	"github.com/iotsec/iotsec/internal/inspect/surface"
	"github.com/iotsec/iotsec/internal/inspect/update"
)

// Shapes shared with the families, re-exported for callers.
type (
	Finding   = check.Finding
	Component = check.Component
	Evidence  = check.Evidence
	Severity  = check.Severity
	Report    = check.Report
	Analyser  = check.Analyser
)

// Default returns every check family, in the order their findings are
// reported.
func Default() []Analyser {
	return []Analyser{
		credentials.New(),
		cryptomaterial.New(),
		hardening.New(),
		surface.New(),
		update.New(),
		dataprotection.New(),
		network.New(),
		components.New(),
	}
}

// Run lists fsys once and runs the analysers on it concurrently. Their
// results are merged in the order of the list. An analyser that fails
// contributes what it found before failing, and its error is returned
// joined with the others.
func Run(ctx context.Context, fsys fs.FS, analysers []Analyser) (Report, error) {
	t, err := check.NewTarget(ctx, fsys)
	if err != nil {
		return Report{}, fmt.Errorf("inspect: %w", err)
	}
	results := make([]Report, len(analysers))
	errs := make([]error, len(analysers))
	var wg sync.WaitGroup
	for i, a := range analysers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.Analyse(ctx, t)
			results[i] = r
			if err != nil {
				errs[i] = fmt.Errorf("inspect %s: %w", a.Name(), err)
			}
		}()
	}
	wg.Wait()
	var out Report
	for _, r := range results {
		out.Findings = append(out.Findings, r.Findings...)
		out.Components = append(out.Components, r.Components...)
	}
	return out, errors.Join(errs...)
}
