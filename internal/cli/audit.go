package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newAudit(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the audit log", Example: "  iotsec audit verify"}
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Verify the audit log's hash chain",
		Long: `Verify reads the whole audit log in order and recomputes its hash chain. It
exits 0 when every event follows from the one before, and 1 at the first event
that was edited, deleted or re-ordered, naming it. It cannot see events cut off
the end of the log; compare the printed head hash with one kept elsewhere for
that.`,
		Example: "  iotsec audit verify\n  iotsec audit verify --database postgres://postgres@127.0.0.1:5432/iotsec",
		Args:    exactArgs(0, "no arguments"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			var v iotsec.ChainVerifier
			var after int64
			for {
				evs, err := s.AuditEvents(cmd.Context(), after, 5000)
				if err != nil {
					return err
				}
				if len(evs) == 0 {
					break
				}
				for _, ev := range evs {
					if err := v.Next(ev); err != nil {
						var brk *iotsec.ChainBreak
						if errors.As(err, &brk) {
							fmt.Fprintf(e.stdout, "audit log BROKEN at event %d: %s\n%d events before it verified\n", brk.Seq, brk.Reason, v.Count())
						}
						return err
					}
				}
				after = evs[len(evs)-1].Seq
			}
			head := iotsec.GenesisHash
			if h := v.Head(); h != nil {
				head = h.Hash
			}
			fmt.Fprintf(e.stdout, "audit log intact: %d events, head hash %s\n", v.Count(), head)
			return nil
		}),
	})
	config.Flags(cmd.PersistentFlags(), false)
	return cmd
}
