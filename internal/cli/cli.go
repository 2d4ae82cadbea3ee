// Package cli is the iotsec command line. The whole CLI is one function,
// Run, that takes its arguments and streams and returns an exit code, so
// tests run every command in process. Commands never exit the process or
// touch os.Stdout themselves; exit codes are decided in exitCode alone.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// Exit codes. 1 is a negative verdict (a check that ran and failed), as
// with grep and diff; errors that stopped a command from running have
// their own codes.
const (
	ExitOK       = 0
	ExitFailed   = 1 // the check ran and found a problem
	ExitUsage    = 2 // bad flags or arguments, or invalid input
	ExitNotFound = 3
	// ExitFindings is what scan, probe and match return when findings (or
	// matches) reach --fail-on; issue 4's contract fixes it at 3, so for
	// those commands 3 means "findings" and nothing else: exitCode turns
	// their not-found errors (a missing input file) into ExitUsage.
	ExitFindings  = 3
	ExitConflict  = 4
	ExitForbidden = 5
	ExitError     = 6 // anything else: database unreachable, I/O, bugs
)

// env is what commands read and write instead of the process's globals.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// serveReady, if set, is told the address the server listens on.
	serveReady func(addr string)
}

// Run runs the iotsec command line with args (without the program name).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		var (
			brk *iotsec.ChainBreak
			cf  checkFailed
		)
		if !errors.As(err, &brk) && !errors.As(err, &cf) { // a failed check has already said so
			fmt.Fprintf(e.stderr, "iotsec: %v\n", err)
		}
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(e.stderr, "Run 'iotsec --help' or 'iotsec COMMAND --help' for usage.")
		}
	}
	return exitCode(err, cmd != nil && findingsCommand(cmd))
}

// findingsCommand reports whether cmd is one whose exit code 3 means
// findings reached --fail-on (README's exit-code paragraph).
func findingsCommand(cmd *cobra.Command) bool {
	switch cmd.CommandPath() {
	case "iotsec scan", "iotsec probe", "iotsec match":
		return true
	}
	return false
}

// exitCode is the one place errors become exit codes. findings says the
// command was scan, probe or match, whose 3 means findings alone: what
// would be "not found" elsewhere (a missing input file, an unknown name)
// is invalid input to them.
func exitCode(err error, findings bool) int {
	var (
		u   usageError
		brk *iotsec.ChainBreak
		fe  findingsError
		me  matchesError
		cf  checkFailed
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &fe), errors.As(err, &me):
		return ExitFindings
	case errors.As(err, &brk), errors.As(err, &cf):
		return ExitFailed
	case errors.As(err, &u):
		return ExitUsage
	case findings && (iotsec.Kind(err) == iotsec.ErrNotFound || errors.Is(err, fs.ErrNotExist)):
		return ExitUsage
	}
	switch iotsec.Kind(err) {
	case iotsec.ErrInvalid, iotsec.ErrTooLarge, iotsec.ErrUnsupported:
		return ExitUsage
	case iotsec.ErrNotFound:
		return ExitNotFound
	case iotsec.ErrConflict:
		return ExitConflict
	case iotsec.ErrForbidden, iotsec.ErrUnauthorized:
		return ExitForbidden
	case iotsec.ErrRateLimited, iotsec.ErrUnavailable:
		return ExitError
	}
	return ExitError
}

// checkFailed is a negative verdict: the check ran, printed its result, and
// found a problem (an invalid chain, audit findings).
type checkFailed struct{ what string }

func (c checkFailed) Error() string { return c.what }

// usageError marks errors in how a command was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exactArgs is cobra.ExactArgs whose error counts as a usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s", cmd.CommandPath(), names)
		}
		return nil
	}
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "iotsec",
		Short: "IoT security from design to disposal",
		Long: `iotsec keeps an organisation's IoT products, firmware versions and devices,
and (as it grows) checks them against every IoT security scheme, tracks their
vulnerabilities and manages their identities. It runs as a command line and as
a multi-tenant server with a JSON API and a web UI, on SQLite or PostgreSQL.

Exit codes: 0 ok, 1 a check found a problem, 2 usage or invalid input,
3 not found, 4 conflict, 5 not allowed, 6 other errors. For scan, probe
and match, 3 means findings reached --fail-on and nothing else (a missing
input file there is invalid input, 2).`,
		Example: `  iotsec serve --demo                 # try it: web UI on http://localhost:8080
  iotsec scan router.bin              # evaluate a firmware image against every scheme
  iotsec admin org create "Acme" --kind manufacturer --country NL
  iotsec device import devices.csv --org Acme
  iotsec identity verify --roots maker-root.pem --chain device.pem --profile idevid`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("unknown command %q", args[0])
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServe(e), newMigrate(e), newVersion(e), newAdmin(e), newAudit(e), newDevice(e), newScheme(e), newIdentity(e), newCA(e), newScan(e), newProbe(e), newVulnDB(e), newMatch(e), newVEX(e), newCSAF(e), newCRA(e), newSBOM(e), newLabel(e), newRegistry(e), newLog(e), newProduct(e), newFirmware(e), newPolicy(e), newGuide(e), newStandards(e), newWorkspace(e), newMember(e), newInvitation(e))
	// Cobra's own completion command, given examples like every other.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = "  source <(iotsec completion bash)\n  iotsec completion zsh > \"${fpath[1]}/_iotsec\""
			for _, sh := range c.Commands() {
				sh.Example = "  iotsec completion " + sh.Name() + " > iotsec-completion." + sh.Name()
			}
		}
	}
	return root
}

// open reads the configuration from cmd's flags and the environment and
// opens the (migrated) store.
func open(cmd *cobra.Command, e *env) (iotsec.Store, config.Config, error) {
	cfg, err := config.Load(cmd.Flags(), e.getenv)
	if err != nil {
		return nil, cfg, usageError{err}
	}
	s, err := app.OpenDatabase(cmd.Context(), cfg)
	if err != nil {
		return nil, cfg, err
	}
	return s, cfg, nil
}

func logger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// findOrg resolves --org: an organisation ID or its exact name.
func findOrg(cmd *cobra.Command, s iotsec.Store, ref string) (iotsec.Organisation, error) {
	if ref == "" {
		return iotsec.Organisation{}, usagef("--org is required (an organisation ID or name; iotsec admin org list shows them)")
	}
	orgs, err := s.ListOrgs(cmd.Context())
	if err != nil {
		return iotsec.Organisation{}, err
	}
	for _, o := range orgs {
		if o.ID == ref || strings.EqualFold(o.Name, ref) {
			return o, nil
		}
	}
	return iotsec.Organisation{}, iotsec.NotFound(fmt.Sprintf("organisation %q", ref))
}

// isTerminal reports whether w is a character device, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// services builds the capability services over s the way the server
// builds them (app.NewServices); a nil s gives the offline ones (the
// embedded catalog and the assessment engine).
func services(e *env, s iotsec.Store, cfg config.Config) (*app.Services, error) {
	return app.NewServices(s, cfg, logger(cfg, e.stderr), app.Options{})
}

// offline returns the services that need no database, for commands that
// run without one.
func offline(e *env) (*app.Services, error) {
	return services(e, nil, config.Config{})
}

// withServices is withStore with the services built over the store.
func withServices(e *env, fn func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error) func(*cobra.Command, []string) error {
	return withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, cfg config.Config) error {
		sv, err := services(e, s, cfg)
		if err != nil {
			return err
		}
		return fn(cmd, args, s, sv, cfg)
	})
}

// withStore wraps a command that needs the database: it opens (and
// migrates) the store, runs fn, and closes the store.
func withStore(e *env, fn func(cmd *cobra.Command, args []string, s iotsec.Store, cfg config.Config) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, cfg, err := open(cmd, e)
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(cmd, args, s, cfg)
	}
}
