package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
)

func newMigrate(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Long: `Migrate applies the schema migrations this binary carries that the database
does not have yet. Migrations only go forward. Several processes may run it at
once; they take turns. 'iotsec serve' migrates on start too.`,
		Example: `  iotsec migrate
  iotsec migrate --database postgres://postgres@127.0.0.1:5432/iotsec`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), e.getenv)
			if err != nil {
				return usageError{err}
			}
			applied, v, err := app.Migrate(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(e.stdout, "database %s is up to date at migration %d\n", cfg.Redacted(), v)
				return nil
			}
			fmt.Fprintf(e.stdout, "applied migrations %v to %s; now at migration %d\n", applied, cfg.Redacted(), v)
			return nil
		},
	}
	config.Flags(cmd.Flags(), false)
	return cmd
}
