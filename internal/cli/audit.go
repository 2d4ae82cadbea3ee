package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newAudit(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the audit log", Example: "  iotsec audit verify\n  iotsec audit head --org Acme --out acme.head"}
	var org, headFile, out string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit log's hash chain",
		Long: `Verify reads the whole audit log in order and recomputes its hash chain. It
exits 0 when every event follows from the one before, and 1 at the first event
that was edited, deleted or re-ordered, naming it. It cannot see events cut off
the end of the log; compare the printed head hash with one kept elsewhere for
that.`,
		Example: "  iotsec audit verify\n  iotsec audit verify --database postgres://postgres@127.0.0.1:5432/iotsec\n" +
			"  iotsec audit verify --org Acme --head acme.head",
		Args: exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, _ config.Config) error {
			if org != "" {
				return verifyOrg(cmd, e, s, sv, org, headFile)
			}
			if headFile != "" {
				return usagef("--head needs --org: a signed head is of one organisation's chain")
			}
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
	}
	verify.Long += `

With --org it verifies that organisation's own chain (its events are
numbered 1, 2, 3 ... of their own), which needs none of the others' events,
and with --head also that the chain still reaches the head signed earlier
by iotsec audit head: events deleted from the end are found that way.`
	verify.Flags().StringVar(&org, "org", "", "verify one organisation's chain (ID or name)")
	verify.Flags().StringVar(&headFile, "head", "", "a signed head of the organisation's chain (iotsec audit head) the chain must still reach")
	head := &cobra.Command{
		Use:   "head",
		Short: "Print the signed head of an organisation's audit chain",
		Long: `Head prints the newest event of the organisation's audit chain (its number and
hash) as a checkpoint signed with the server's key for that organisation, which
is kept sealed under the key-encryption key. Keep the heads somewhere the
server cannot change (export one periodically, e.g. from cron); iotsec audit
verify --org ORG --head FILE then detects events deleted from the end.`,
		Example: "  iotsec audit head --org Acme --out /backup/acme-$(date +%F).head",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, _ config.Config) error {
			o, err := findOrg(cmd, s, org)
			if err != nil {
				return err
			}
			h, err := s.AuditHead(cmd.Context(), o.ID)
			if err != nil {
				return err
			}
			msg, vkey, err := sv.Registry.SignAuditHead(cmd.Context(), h)
			if err != nil {
				return err
			}
			if out != "" {
				if err := os.WriteFile(out, msg, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "head of %s's audit chain: event %d, hash %s\nwritten to %s; verifier key %s\n", o.Name, h.Seq, h.Hash, out, vkey)
				return nil
			}
			e.stdout.Write(msg)
			return nil
		}),
	}
	head.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	head.Flags().StringVar(&out, "out", "", "write the signed head to this file")
	cmd.AddCommand(verify, head)
	config.Flags(cmd.PersistentFlags(), false)
	return cmd
}

// verifyOrg verifies one organisation's chain, and that it reaches the
// signed head in headFile if one is given.
func verifyOrg(cmd *cobra.Command, e *env, s iotsec.Store, sv *app.Services, ref, headFile string) error {
	o, err := findOrg(cmd, s, ref)
	if err != nil {
		return err
	}
	var signed *iotsec.AuditHead
	if headFile != "" {
		msg, err := os.ReadFile(headFile)
		if err != nil {
			return err
		}
		h, err := sv.Registry.VerifyAuditHead(cmd.Context(), o.ID, msg)
		if err != nil {
			return err
		}
		signed = &h
	}
	atSigned := iotsec.GenesisHash // the chain's hash at the signed head's event
	var v iotsec.ChainVerifier
	var after int64
	for {
		evs, err := s.OrgAuditEvents(cmd.Context(), o.ID, after, 5000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if signed != nil && ev.OrgSeq == signed.Seq {
				atSigned = ev.OrgHash
			}
			if err := v.Next(ev.OrgLink()); err != nil {
				var brk *iotsec.ChainBreak
				if errors.As(err, &brk) {
					fmt.Fprintf(e.stdout, "audit log of %s BROKEN at its event %d: %s\n%d events before it verified\n", o.Name, brk.Seq, brk.Reason, v.Count())
				}
				return err
			}
		}
		after = evs[len(evs)-1].OrgSeq
	}
	head := iotsec.AuditHead{OrgID: o.ID, Hash: iotsec.GenesisHash}
	if h := v.Head(); h != nil {
		head.Seq, head.Hash = h.Seq, h.Hash
	}
	if signed != nil {
		switch {
		case signed.Seq > head.Seq:
			brk := &iotsec.ChainBreak{Seq: head.Seq + 1, Reason: fmt.Sprintf("the chain ends at event %d but the signed head vouches for event %d: events %d to %d were deleted",
				head.Seq, signed.Seq, head.Seq+1, signed.Seq)}
			fmt.Fprintf(e.stdout, "audit log of %s BROKEN at its event %d: %s\n", o.Name, brk.Seq, brk.Reason)
			return brk
		case atSigned != signed.Hash:
			brk := &iotsec.ChainBreak{Seq: signed.Seq, Reason: "the event differs from the one the signed head vouches for: the chain was rewritten"}
			fmt.Fprintf(e.stdout, "audit log of %s BROKEN at its event %d: %s\n", o.Name, brk.Seq, brk.Reason)
			return brk
		}
		fmt.Fprintf(e.stdout, "reaches the signed head (event %d)\n", signed.Seq)
	}
	fmt.Fprintf(e.stdout, "audit log of %s intact: %d events, head %d hash %s\n", o.Name, v.Count(), head.Seq, head.Hash)
	return nil
}
