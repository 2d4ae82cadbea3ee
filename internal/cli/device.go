package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/sqlstore"
)

func newDevice(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Work with devices", Example: "  iotsec device import devices.csv --org Acme"}
	var org string
	var batch int
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import devices from a CSV or JSON file",
		Long: `Import creates or updates devices of an organisation from a file, matching
devices by unique device ID. CSV files have a header row with the columns uid,
product (model number or product ID), and optionally firmware (version) and
state; JSON files hold an array of objects with the same keys. The whole file is
checked before anything is written. Use - to read standard input.`,
		Example: `  iotsec device import fleet.csv --org "Acme Devices"
  iotsec device import - --org Acme < fleet.json`,
		Args: exactArgs(1, "one argument, the file (or - for standard input)"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s *sqlstore.Store, _ config.Config) error {
			o, err := findOrg(cmd, s, org)
			if err != nil {
				return err
			}
			in := e.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				defer f.Close()
				in = f
			}
			var progress func(done, total int64)
			if isTerminal(e.stderr) {
				progress = func(done, total int64) {
					fmt.Fprintf(e.stderr, "\r%d / %d devices (%d%%)", done, total, done*100/max(total, 1))
					if done == total {
						fmt.Fprintln(e.stderr)
					}
				}
			}
			start := time.Now()
			res, err := inventory.Import(cmd.Context(), s, iotsec.System(o.ID, "cli"), in, "", 0, batch, progress)
			if err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			fmt.Fprintf(e.stdout, "imported %d devices into %s: %d created, %d updated\n", res.Rows, o.Name, res.Created, res.Updated)
			if isTerminal(e.stderr) {
				fmt.Fprintf(e.stderr, "took %s\n", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}),
	}
	imp.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	imp.Flags().IntVar(&batch, "batch", inventory.DefaultBatch, "devices written per transaction")
	config.Flags(imp.Flags(), false)
	cmd.AddCommand(imp)
	return cmd
}
