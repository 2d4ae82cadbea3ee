package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/policy"
)

func newPolicy(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "National IoT security measures by country (policy dataset)",
		Long: `The policy dataset lists national IoT security measures per jurisdiction
(ISO 3166 codes, EU for the Union): no universal default passwords, vulnerability
disclosure, support periods, security updates, labels, mandatory regimes, mutual
recognition, SBOM and reporting duties, procurement rules and market surveillance.
Each entry names its instrument, status, scope, dates, lifecycle phases, source
and confidence.

The commands read the dataset built into iotsec and need no database; with
--changes they also apply the changes government organisations proposed and
had accepted (opening the database like the other commands).

Every command prints a table on a terminal and JSON otherwise; -o table or
-o json chooses. --date (YYYY-MM-DD, today by default) is the day statuses are
computed for: an adopted measure is in force from its date.`,
		Example: `  iotsec policy countries
  iotsec policy matrix -o json
  iotsec policy show GB --date 2026-07-01
  iotsec policy measures`,
	}
	cmd.AddCommand(newPolicyCountries(e), newPolicyMeasures(e), newPolicyMatrix(e), newPolicyShow(e), newPolicyBrief(e))
	return cmd
}

type policyFlags struct {
	schemeFlags
	date    string
	changes bool
}

func (f *policyFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.output, "output", "o", "", "output: table or json (default: table on a terminal, json otherwise)")
	fs.StringVar(&f.date, "date", "", "the day statuses are computed for, YYYY-MM-DD (default today)")
	fs.BoolVar(&f.changes, "changes", false, "also apply the accepted changes stored in the database")
	config.Flags(fs, false)
}

// service returns the policy service: offline, or over the database with
// --changes.
// serviceOn is service with the day of --date (today without it), the
// start of every command that computes statuses.
func (f *policyFlags) serviceOn(cmd *cobra.Command, e *env) (*policy.Service, time.Time, func(), error) {
	d, err := date(f.date)
	if err != nil {
		return nil, time.Time{}, nil, err
	}
	svc, done, err := f.service(cmd, e)
	return svc, d, done, err
}

func (f *policyFlags) service(cmd *cobra.Command, e *env) (*policy.Service, func(), error) {
	if !f.changes {
		sv, err := offline(e)
		if err != nil {
			return nil, nil, err
		}
		return sv.Policy, func() {}, nil
	}
	s, cfg, err := open(cmd, e)
	if err != nil {
		return nil, nil, err
	}
	sv, err := services(e, s, cfg)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return sv.Policy, func() { s.Close() }, nil
}

func newPolicyCountries(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "countries",
		Short: "List the jurisdictions with their number of measures by status",
		Example: `  iotsec policy countries
  iotsec policy countries --date 2027-12-11 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			rows, err := svc.Countries(cmd.Context(), d)
			if err != nil {
				return err
			}
			return f.print(e, rows, func(w io.Writer) {
				fmt.Fprintln(w, "CODE\tNAME\tENTRIES\tIN FORCE\tADOPTED\tVOLUNTARY\tPLANNED")
				for _, r := range rows {
					fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.Code, r.Name, r.Entries, r.Status[policy.InForce], r.Status[policy.Adopted], r.Status[policy.Voluntary], r.Status[policy.Planned])
				}
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newPolicyMeasures(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:     "measures",
		Short:   "List the measure codes",
		Example: `  iotsec policy measures -o table`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, done, err := f.service(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			ms, err := svc.Measures(cmd.Context())
			if err != nil {
				return err
			}
			return f.print(e, ms, func(w io.Writer) {
				fmt.Fprintln(w, "CODE\tTITLE\tLIFECYCLE")
				for _, m := range ms {
					fmt.Fprintf(w, "%s\t%s\t%s\n", m.Code, m.Title, strings.Join(m.Lifecycle, ", "))
				}
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// statusLetter abbreviates a cell status in the matrix table.
var statusLetter = map[string]string{policy.InForce: "F", policy.Adopted: "A", policy.Voluntary: "V", policy.Planned: "P", policy.None: "-"}

func newPolicyMatrix(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "The country × measure matrix, each cell the strongest status",
		Example: `  iotsec policy matrix
  iotsec policy matrix --changes --database /var/lib/iotsec/iotsec.db -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			m, err := svc.Matrix(cmd.Context(), d)
			if err != nil {
				return err
			}
			return f.print(e, m, func(w io.Writer) {
				fmt.Fprintf(w, "National measures on %s: F in force, A adopted (not yet applicable), V voluntary, P planned, - none found\n\n", m.Date)
				fmt.Fprintf(w, "CODE\t%s\n", strings.Join(m.Measures, "\t"))
				for _, r := range m.Rows {
					cells := make([]string, len(r.Cells))
					for i, c := range r.Cells {
						cells[i] = statusLetter[c.Status]
					}
					fmt.Fprintf(w, "%s\t%s\n", r.Code, strings.Join(cells, "\t"))
				}
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newPolicyShow(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "show CODE",
		Short: "One jurisdiction's measures (ISO 3166 code, UK read as GB, or EU)",
		Example: `  iotsec policy show GB
  iotsec policy show US-CA -o json
  iotsec policy show IL          # no national measure found`,
		Args: exactArgs(1, "one country code"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			v, err := svc.Country(cmd.Context(), args[0], d)
			if err != nil {
				return err
			}
			return f.print(e, v, func(w io.Writer) {
				fmt.Fprintf(w, "%s (%s) on %s: %d measures\n", v.Name, v.Code, v.Date, len(v.Entries))
				if v.Note != "" {
					fmt.Fprintf(w, "%s\n", v.Note)
				}
				if len(v.Entries) == 0 {
					fmt.Fprintln(w, "No national measure found.")
				}
				fmt.Fprintln(w)
				fmt.Fprintln(w, "MEASURE\tSTATUS\tFROM\tINSTRUMENT\tCONFIDENCE\tSOURCE")
				for _, en := range v.Entries {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", en.Measure, en.StatusOn, dash(en.From()), cut(en.Instrument.Number, 60), en.Confidence, en.Source.URL)
				}
				if len(v.Missing) > 0 {
					fmt.Fprintf(w, "\nNo entry for: %s\n", strings.Join(v.Missing, ", "))
				}
			})
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newPolicyBrief(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "brief CODE",
		Short: "A strategy brief for a jurisdiction (Markdown, HTML or JSON), every statement citing its source",
		Long: `The strategy brief states a jurisdiction's measures in force, how they compare
with every other jurisdiction of the dataset, its gaps by lifecycle phase, the
measures it lacks that others have (with who has them), how its labels are
recognised abroad, and the catalog's gap cells for its market. Each statement
cites a numbered source, and each source is a dataset entry with its link.`,
		Example: `  iotsec policy brief GB -o md > gb.md
  iotsec policy brief SG -o html > sg.html
  iotsec policy brief SG -o pdf > sg.pdf
  iotsec policy brief IL -o md      # no national measure found`,
		Args: exactArgs(1, "one country code"),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			b, err := svc.Brief(cmd.Context(), args[0], d)
			if err != nil {
				return err
			}
			return writeDoc(e, &f, b, b)
		},
	}
	f.register(cmd.Flags())
	return cmd
}
