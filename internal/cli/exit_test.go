package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestExitCode pins the exit-code contract of README: every error kind,
// the CLI's own verdicts, and the rule that scan, probe and match return
// 3 for findings only.
func TestExitCode(t *testing.T) {
	missing := fmt.Errorf("read image: %w", &fs.PathError{Op: "open", Path: "none.bin", Err: fs.ErrNotExist})
	tests := []struct {
		name     string
		err      error
		other    int // any other command
		findings int // scan, probe, match
	}{
		{"ok", nil, ExitOK, ExitOK},
		{"findings", findingsError{n: 2, sev: "high"}, ExitFindings, ExitFindings},
		{"matches", matchesError{2, "critical"}, ExitFindings, ExitFindings},
		{"check failed", checkFailed{"audit found 2 problems"}, ExitFailed, ExitFailed},
		{"chain break", &iotsec.ChainBreak{}, ExitFailed, ExitFailed},
		{"usage", usagef("--org is required"), ExitUsage, ExitUsage},
		{"invalid", iotsec.Invalid("sbom", "not JSON"), ExitUsage, ExitUsage},
		{"too large", iotsec.Errorf(iotsec.ErrTooLarge, "big"), ExitUsage, ExitUsage},
		{"unsupported", iotsec.Errorf(iotsec.ErrUnsupported, "xml"), ExitUsage, ExitUsage},
		{"not found", iotsec.NotFound("organisation \"Nope\""), ExitNotFound, ExitUsage},
		{"wrapped not found", fmt.Errorf("match: %w", iotsec.NotFound("firmware")), ExitNotFound, ExitUsage},
		{"missing file", missing, ExitError, ExitUsage},
		{"conflict", iotsec.Conflict("taken"), ExitConflict, ExitConflict},
		{"forbidden", iotsec.Forbidden("no"), ExitForbidden, ExitForbidden},
		{"unauthorized", iotsec.Errorf(iotsec.ErrUnauthorized, "who"), ExitForbidden, ExitForbidden},
		{"rate limited", iotsec.Errorf(iotsec.ErrRateLimited, "slow"), ExitError, ExitError},
		{"unavailable", iotsec.Errorf(iotsec.ErrUnavailable, "later"), ExitError, ExitError},
		{"internal", errors.New("disk on fire"), ExitError, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err, false); got != tt.other {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.other)
			}
			if got := exitCode(tt.err, true); got != tt.findings {
				t.Errorf("exitCode(%v) for scan, probe, match = %d, want %d", tt.err, got, tt.findings)
			}
			if tt.findings == ExitFindings && tt.err != nil && !errors.As(tt.err, new(findingsError)) && !errors.As(tt.err, new(matchesError)) {
				t.Errorf("%v gives scan, probe and match exit 3 without being findings", tt.err)
			}
		})
	}
	// Every domain kind is in the table, so a new kind cannot slip past.
	for _, k := range iotsec.Kinds() {
		found := false
		for _, tt := range tests {
			found = found || iotsec.Kind(tt.err) == k
		}
		if !found {
			t.Errorf("kind %v has no row in TestExitCode", k)
		}
	}
}

// TestScanMissingInput: scan names a missing image as invalid input (2),
// never 3, its findings code. (match's is a step of TestSupplyGolden,
// where the database holds data, so the file is what is missing.)
func TestScanMissingInput(t *testing.T) {
	dir := t.TempDir()
	args := []string{"scan", filepath.Join(dir, "none.bin")}
	if _, errOut, code := runCLI(t, dir, args...); code != ExitUsage {
		t.Errorf("%v = %d (%s), want %d", args, code, errOut, ExitUsage)
	}
}
