package evaluation

import (
	"context"
	"errors"

	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/inspect/components"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/scan"
)

type (
	// Result is one scan: what was found and what it means for every
	// scheme; package report renders it.
	Result = scan.Result
	// Severity is a finding's severity (critical, high, medium, low, info).
	Severity = inspect.Severity
)

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, error) { return scan.ParseSeverity(s) }

// ScanOptions steer a scan of the command line.
type ScanOptions struct {
	// Schemes are the schemes whose verdicts the result holds; empty
	// means every scheme.
	Schemes []SchemeRef
	// Progress, if set, is told as each step ends: done of total steps
	// and the stage (unpack, inspect, assess) it was in.
	Progress func(stage string, done, total int)
}

// Scan evaluates data, an image called name, without storing anything:
// unpacked within the service's Limits, inspected by every check family,
// assessed with no evidence. An image that was partly unreadable still
// gives a result, with Warnings saying what was lost; an error means no
// result.
func (s *Service) Scan(ctx context.Context, name string, data []byte, opts ScanOptions) (*Result, error) {
	res, err := scan.Run(ctx, name, data, scan.Options{Engine: s.engine, Limits: s.Limits, Schemes: opts.Schemes, Progress: opts.Progress})
	return res, notFirmware(err)
}

// notFirmware makes an input that is no firmware (or of which nothing
// could be read) invalid input, with the scan's reason.
func notFirmware(err error) error {
	if errors.Is(err, scan.ErrNotFirmware) || errors.Is(err, scan.ErrNothing) {
		return iotsec.Errorf(iotsec.ErrInvalid, "%v", err)
	}
	return err
}

// Components unpacks data, an image called name, exactly as Scan does and
// identifies its components, running no other check family. An image
// nothing can be read from is invalid input.
func (s *Service) Components(ctx context.Context, name string, data []byte) (*Result, error) {
	// scan.Run also assesses; with no findings that is quick, and it keeps
	// unpacking and identification exactly as a scan does them.
	res, err := scan.Run(ctx, name, data, scan.Options{Engine: s.engine, Limits: s.Limits, Analysers: []inspect.Analyser{components.New()}})
	return res, notFirmware(err)
}
