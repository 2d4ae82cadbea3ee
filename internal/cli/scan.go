package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/report"
)

// findingsError says a scan found problems at or above --fail-on. It is a
// verdict, not a failure to run: exitCode maps it to ExitFindings.
type findingsError struct {
	n   int
	sev evaluation.Severity
}

func (e findingsError) Error() string {
	return fmt.Sprintf("%d findings at or above %s", e.n, e.sev)
}

func newScan(e *env) *cobra.Command {
	var (
		output  string
		schemes []string
		failOn  string
	)
	cmd := &cobra.Command{
		Use:   "scan IMAGE",
		Short: "Evaluate a firmware image against every IoT security scheme",
		Long: `Scan unpacks a firmware image (uImage, FIT, TRX, squashfs, cpio, tar, JFFS2,
UBI/UBIFS, cramfs, ext2/3/4 and compressed streams, nested), checks it for
default and weak credentials, keys and certificates, unhardened binaries,
services such as telnet, update mechanisms, data protection and cleartext
endpoints, identifies its components (with CPE and purl), and says which
schemes and levels it fails and why: the EN 303 645 verdicts are projected
through the catalog's mappings onto every scheme.

Automated checks only fail a provision or support it; a PASS needs an
assessor's evidence (record it on the server). It needs no database.

Output formats: table (default), json (the machine-readable document:
image, findings, components, verdicts, stats), sarif (SARIF 2.1.0 for
code-scanning dashboards) and html (a printable, self-contained report).
With --fail-on, the exit code is 3 when any finding is at least that
severe, so CI can gate on it.`,
		Example: `  iotsec scan router.bin
  iotsec scan router.bin -o json > router.json
  iotsec scan router.bin -o sarif > iotsec.sarif --fail-on high
  iotsec scan router.bin -o html > report.html --scheme sg-cls --scheme uk-psti --scheme eu-cra`,
		Args: exactArgs(1, "one argument, the image file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format := strings.ToLower(output)
			if !containsString(report.Formats(), format) {
				return usagef("-o %q is not one of %s", output, strings.Join(report.Formats(), ", "))
			}
			var sev evaluation.Severity
			if failOn != "" {
				var err error
				if sev, err = evaluation.ParseSeverity(failOn); err != nil {
					return usagef("--fail-on: %v", err)
				}
			}
			// No store: this scan needs no database.
			sv, err := offline(e)
			if err != nil {
				return err
			}
			svc := sv.Evaluation
			refs, err := svc.SchemeRefs(schemes)
			if err != nil {
				var se *evaluation.SchemeError
				if !errors.As(err, &se) {
					return err
				}
				if se.Level {
					return usagef("--scheme %s: %s has no level %q", se.Ref, se.Ref.Slug, se.Ref.Level)
				}
				return usagef("--scheme %s: no such scheme (iotsec knows %s)", se.Ref.Slug, strings.Join(svc.Slugs(), ", "))
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			opts := evaluation.ScanOptions{Schemes: refs}
			if isTerminal(e.stderr) {
				opts.Progress = func(stage string, done, total int) {
					const width = 30
					n := width * done / total
					fmt.Fprintf(e.stderr, "\r[%s%s] %d/%d %-8s", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total, stage)
					if done == total {
						fmt.Fprint(e.stderr, "\r"+strings.Repeat(" ", width+20)+"\r")
					}
				}
			}
			res, err := svc.Scan(cmd.Context(), filepath.Base(args[0]), data, opts)
			if err != nil {
				return err
			}
			if err := report.Write(e.stdout, format, res, report.Meta{Tool: "iotsec " + app.Version()}); err != nil {
				return err
			}
			if sev != "" && res.Reaches(sev) {
				n := 0
				for _, f := range res.Findings {
					if f.Severity.Rank() >= sev.Rank() {
						n++
					}
				}
				return findingsError{n: n, sev: sev}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json, sarif or html")
	cmd.Flags().StringArrayVar(&schemes, "scheme", nil, "report only this scheme (slug or slug:level); repeatable")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit with code 3 when a finding is at least this severe (critical, high, medium, low, info)")
	return cmd
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
