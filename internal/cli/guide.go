package cli

import (
	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/policy"
)

func newGuide(e *env) *cobra.Command {
	var f policyFlags
	var q policy.GuideQuery
	cmd := &cobra.Command{
		Use:   "guide",
		Short: "A good practice guide for a product class, sector and markets (Markdown, HTML, JSON or PDF)",
		Long: `The good practice guide lists the catalog's harmonised baseline for a product
class in a sector and markets: for each requirement, what it means for a maker
(the catalog's own text), the schemes' provisions it meets, which iotsec
automated checks bear on it (finding rules), the test cases a lab runs for it
(ETSI TS 103 701 shape) and the date from which each market requires it. Each
statement cites a numbered source: a catalog scheme or provision, or an
iotsec rule.`,
		Example: `  iotsec guide --class camera --sector consumer --market EU,UK,SG -o md > camera.md
  iotsec guide --class camera --sector consumer --market EU,UK,SG -o html > camera.html
  iotsec guide --class smart-speaker --sector consumer --market US -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			q.Date = d
			g, err := svc.Guide(cmd.Context(), q)
			if err != nil {
				return err
			}
			return writeDoc(e, &f, g, g)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Lookup("output").Usage = "output: md, html, json or pdf (default md)"
	cmd.Flags().StringVar(&q.Class, "class", "", "product class (iotsec scheme vocabulary lists them), e.g. camera")
	cmd.Flags().StringVar(&q.Sector, "sector", "", "sector, e.g. consumer")
	cmd.Flags().StringSliceVar(&q.Markets, "market", nil, "markets, ISO 3166 codes or EU, comma separated (UK reads as GB)")
	return cmd
}

// document is a generated document: Markdown, HTML and PDF.
type document interface {
	Markdown() ([]byte, error)
	HTML() ([]byte, error)
	PDF() ([]byte, error)
}

// writeDoc writes d in the format -o asks for (md by default).
func writeDoc(e *env, f *policyFlags, d document, v any) error {
	var out []byte
	var err error
	switch f.output {
	case "", "md", "markdown":
		out, err = d.Markdown()
	case "html":
		out, err = d.HTML()
	case "pdf":
		out, err = d.PDF()
	case "json":
		return f.print(e, v, nil)
	default:
		return usagef("-o %q: want md, html, json or pdf", f.output)
	}
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}

func newStandards(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "standards",
		Short: "Documents for standards bodies (calls for missing standards)",
		Example: `  iotsec standards calls -o md > calls.md
  iotsec standards calls -o pdf > calls.pdf`,
	}
	cmd.AddCommand(newStandardsCalls(e))
	return cmd
}

func newStandardsCalls(e *env) *cobra.Command {
	var f policyFlags
	cmd := &cobra.Command{
		Use:   "calls",
		Short: "Calls for missing standards, grouped, from the catalog's gap matrix (Markdown, HTML, JSON or PDF)",
		Long: `The catalog's gap matrix (sector × product class × market) written as calls to
standards bodies: the cells with no scheme at all (a missing standard) or only
international standards (a missing scheme of the market), grouped by kind and
markets, each call with its sectors, product classes, markets and the cells
behind it, citing the matrix and the standards it names.`,
		Example: `  iotsec standards calls -o md > calls.md
  iotsec standards calls -o html > calls.html
  iotsec standards calls -o json --date 2027-12-11`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, d, done, err := f.serviceOn(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			c, err := svc.Calls(cmd.Context(), d)
			if err != nil {
				return err
			}
			return writeDoc(e, &f, c, c)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().Lookup("output").Usage = "output: md, html, json or pdf (default md)"
	return cmd
}
