package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// registryFn is a registry command's body with the actor --org names.
type registryFn func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error

func withRegistry(e *env, org *string, fn registryFn) func(*cobra.Command, []string) error {
	return withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
		a, err := orgActor(cmd, s, *org)
		if err != nil {
			return err
		}
		return fn(cmd, args, a, sv.Registry)
	})
}

func newRegistry(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Certification records: scheme operators, applications, grants, reviews, revocations",
		Long: `Registry keeps certification records of firmware versions under schemes.
A maker applies; the scheme's owner (or a delegate, such as a lab) grants,
reviews, clears, suspends and revokes; every move of a granted record is
appended to the public transparency log and the record's label is signed
again with its inclusion proof. --org names the organisation acting.`,
		Example: `  iotsec registry operator add --org CSA --scheme sg-cls
  iotsec registry apply --org Acme --firmware fw_... --scheme sg-cls --level 2
  iotsec registry grant cert_... --org CSA
  iotsec registry revoke cert_... --org CSA --reason "breach of declaration"`,
	}
	cmd.AddCommand(newRegistryOperator(e), newRegistryApply(e), newRegistryGrant(e), newRegistryList(e), newRegistryShow(e), newRegistryRecognition(e))
	for _, m := range []struct {
		use, short string
		reasons    bool
		do         func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, reasons []string) (iotsec.Certification, error)
	}{
		{"suspend", "Suspend a certification (not valid for now)", true, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, r []string) (iotsec.Certification, error) {
			return svc.Suspend(cmd.Context(), a, id, r...)
		}},
		{"revoke", "Revoke a certification for good (from applied: refuse it)", false, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, r []string) (iotsec.Certification, error) {
			return svc.Revoke(cmd.Context(), a, id, first(r))
		}},
		{"review", "Put a certified record under review", true, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, r []string) (iotsec.Certification, error) {
			return svc.Review(cmd.Context(), a, id, r)
		}},
		{"clear", "End a review: the record is certified again", false, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, r []string) (iotsec.Certification, error) {
			return svc.Clear(cmd.Context(), a, id, first(r))
		}},
		{"renew", "Apply to renew a certification that is due, as its maker", false, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, _ []string) (iotsec.Certification, error) {
			return svc.ApplyRenewal(cmd.Context(), a, id)
		}},
		{"withdraw", "Give a certification up, as its maker", false, func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id string, r []string) (iotsec.Certification, error) {
			return svc.Withdraw(cmd.Context(), a, id, first(r))
		}},
	} {
		var org string
		var reasons []string
		c := &cobra.Command{
			Use:     m.use + " ID --org ORG",
			Short:   m.short,
			Example: fmt.Sprintf("  iotsec registry %s cert_... --org CSA --reason \"...\"", m.use),
			Args:    exactArgs(1, "one argument, the record's ID"),
			RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
				rec, err := m.do(svc, cmd, a, args[0], reasons)
				if err != nil {
					return err
				}
				return printRecord(e, rec)
			}),
		}
		c.Flags().StringVar(&org, "org", "", "the organisation acting (ID or name)")
		if m.reasons {
			c.Flags().StringArrayVar(&reasons, "reason", nil, "why (repeatable)")
		} else {
			c.Flags().StringArrayVar(&reasons, "reason", nil, "why")
		}
		dbFlags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func printRecord(e *env, c iotsec.Certification) error {
	valid := ", not granted yet"
	if !c.ValidUntil.IsZero() {
		valid = fmt.Sprintf(", valid %s to %s", c.ValidFrom, c.ValidUntil)
	}
	if !c.RenewalRequestedAt.IsZero() {
		valid += ", renewal requested " + c.RenewalRequestedAt.UTC().Format(time.DateOnly)
	}
	_, err := fmt.Fprintf(e.stdout, "%s %s: %s %s %s, label %s%s\n", c.ID, c.Status, c.Scheme, c.Level, c.FirmwareID, c.LabelID, valid)
	return err
}

func newRegistryOperator(e *env) *cobra.Command {
	var org, scheme, delegateOf string
	add := &cobra.Command{
		Use:   "add --org ORG --scheme SLUG [--delegate-of ORG]",
		Short: "Record that an organisation owns a scheme, or grants for its owner",
		Long: `Add is the platform operator's act (it needs the database, not a sign-in):
who owns a scheme is decided outside any one organisation. A scheme has one
owner; a delegate (e.g. an approved lab) grants in the owner's name.`,
		Example: `  iotsec registry operator add --org CSA --scheme sg-cls
  iotsec registry operator add --org "Lab L" --scheme sg-cls --delegate-of CSA`,
		Args: exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			o, err := findOrg(cmd, s, org)
			if err != nil {
				return err
			}
			op := iotsec.SchemeOperator{OrgID: o.ID, Scheme: scheme, Role: iotsec.OperatorOwner}
			if delegateOf != "" {
				owner, err := findOrg(cmd, s, delegateOf)
				if err != nil {
					return err
				}
				op.Role, op.DelegatedBy = iotsec.OperatorDelegate, owner.ID
			}
			if err := sv.Registry.AddOperator(cmd.Context(), "system:cli", &op); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s is now the %s of %s\n", o.Name, op.Role, op.Scheme)
			return err
		}),
	}
	add.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	add.Flags().StringVar(&scheme, "scheme", "", "the scheme's catalog slug")
	add.Flags().StringVar(&delegateOf, "delegate-of", "", "the scheme's owner, for a delegate")
	dbFlags(add.Flags())
	cmd := &cobra.Command{Use: "operator", Short: "Who grants certifications of which scheme",
		Example: "  iotsec registry operator add --org CSA --scheme sg-cls"}
	cmd.AddCommand(add)
	return cmd
}

func newRegistryApply(e *env) *cobra.Command {
	var org, firmware, scheme, level, lab string
	cmd := &cobra.Command{
		Use:     "apply --org ORG --firmware FW --scheme SLUG [--level L] [--lab ORG]",
		Short:   "Apply, as the maker, for a certification of a firmware version",
		Example: "  iotsec registry apply --org Acme --firmware fw_... --scheme sg-cls --level 2",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			labID := ""
			if lab != "" {
				l, err := findOrg(cmd, s, lab)
				if err != nil {
					return err
				}
				labID = l.ID
			}
			c, err := sv.Registry.Apply(cmd.Context(), a, firmware, scheme, level, labID)
			if err != nil {
				return err
			}
			return printRecord(e, c)
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the maker (ID or name)")
	cmd.Flags().StringVar(&firmware, "firmware", "", "firmware version ID")
	cmd.Flags().StringVar(&scheme, "scheme", "", "the scheme's catalog slug")
	cmd.Flags().StringVar(&level, "level", "", "the level applied for")
	cmd.Flags().StringVar(&lab, "lab", "", "the lab that tested it (ID or name)")
	dbFlags(cmd.Flags())
	return cmd
}

func newRegistryGrant(e *env) *cobra.Command {
	var org, from, until, reason string
	cmd := &cobra.Command{
		Use:   "grant ID --org ORG [--from DATE] [--until DATE]",
		Short: "Grant (or renew, or reinstate) a certification as the scheme's authority",
		Long: `Grant certifies a record. The validity period starts --from (default today)
and ends --until, or by the scheme's rule (de-it-sik and jp-jc-star 2 years,
sg-cls 3 years), never after the maker's support end of the firmware version.`,
		Example: "  iotsec registry grant cert_... --org CSA\n  iotsec registry grant cert_... --org CSA --until 2027-12-31",
		Args:    exactArgs(1, "one argument, the record's ID"),
		RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			in := registry.GrantInput{Reason: reason}
			var err error
			if from != "" {
				if in.ValidFrom, err = iotsec.ParseDate(from); err != nil {
					return usagef("--from: %v", err)
				}
			}
			if until != "" {
				if in.ValidUntil, err = iotsec.ParseDate(until); err != nil {
					return usagef("--until: %v", err)
				}
			}
			c, err := svc.Grant(cmd.Context(), a, args[0], in)
			if err != nil {
				return err
			}
			return printRecord(e, c)
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the authority or its delegate (ID or name)")
	cmd.Flags().StringVar(&from, "from", "", "first day of validity (YYYY-MM-DD)")
	cmd.Flags().StringVar(&until, "until", "", "last day of validity (YYYY-MM-DD)")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	dbFlags(cmd.Flags())
	return cmd
}

func newRegistryList(e *env) *cobra.Command {
	var org, status, scheme string
	var asAuthority bool
	cmd := &cobra.Command{
		Use:     "list --org ORG [--as-authority] [--status S] [--scheme SLUG]",
		Short:   "List certification records (as JSON)",
		Example: "  iotsec registry list --org Acme\n  iotsec registry list --org CSA --as-authority --status under-review",
		Args:    exactArgs(0, "no arguments"),
		RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			cs, err := svc.List(cmd.Context(), a, iotsec.CertificationFilter{AsAuthority: asAuthority, Status: iotsec.RecordStatus(status), Scheme: scheme})
			if err != nil {
				return err
			}
			return writeJSON(e.stdout, cs)
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	cmd.Flags().BoolVar(&asAuthority, "as-authority", false, "the records the organisation grants, not its own")
	cmd.Flags().StringVar(&status, "status", "", "only records of this status")
	cmd.Flags().StringVar(&scheme, "scheme", "", "only records of this scheme")
	dbFlags(cmd.Flags())
	return cmd
}

func newRegistryShow(e *env) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:     "show ID --org ORG",
		Short:   "Show a certification record and its history (as JSON)",
		Example: "  iotsec registry show cert_... --org Acme",
		Args:    exactArgs(1, "one argument, the record's ID"),
		RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			c, err := svc.Get(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			h, err := svc.History(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			out := struct {
				iotsec.Certification
				RenewalDue   bool                        `json:"renewal_due"`
				RenewalOpens *iotsec.Date                `json:"renewal_opens,omitempty"`
				History      []iotsec.CertificationEvent `json:"history"`
			}{Certification: c, RenewalDue: svc.RenewalDue(c, iotsec.DateOf(svc.Now())), History: h}
			if d, ok := svc.RenewalOpens(c); ok {
				out.RenewalOpens = &d
			}
			return writeJSON(e.stdout, out)
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	dbFlags(cmd.Flags())
	return cmd
}

func newLabelShow(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "show LABEL-ID [--out LABEL.json]",
		Short:   "Write a label's document (label, status, JWKS, log key), as /l/LABEL-ID.json serves it",
		Example: "  iotsec label show Xy3... --out LABEL.json",
		Args:    exactArgs(1, "one argument, the label ID"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			d, err := sv.Registry.Document(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if out == "" {
				return writeJSON(e.stdout, d)
			}
			b, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(out, append(b, '\n'), 0o644)
		}),
	}
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	dbFlags(cmd.Flags())
	return cmd
}

func newLabelQR(e *env) *cobra.Command {
	var out string
	var svg bool
	cmd := &cobra.Command{
		Use:   "qr LABEL-ID --out FILE [--svg]",
		Short: "Write the QR code of a label's public page, for the physical label (PNG, or SVG)",
		Example: `  iotsec label qr Xy3... --out label.png
  iotsec label qr Xy3... --svg --out label.svg`,
		Args: exactArgs(1, "one argument, the label ID"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			if out == "" {
				return usagef("--out: the file to write the QR code to")
			}
			b, err := sv.Registry.QR(cmd.Context(), args[0], svg)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: a QR code of %s\n", out, sv.Registry.PageURL(args[0]))
			return nil
		}),
	}
	cmd.Flags().StringVar(&out, "out", "", "the file to write")
	cmd.Flags().BoolVar(&svg, "svg", false, "SVG instead of PNG")
	dbFlags(cmd.Flags())
	return cmd
}

func newLog(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "log",
		Short:   "The registry's transparency log: checkpoints and proofs",
		Example: "  iotsec log checkpoint > checkpoint.txt\n  iotsec log proof --index 5 --size 12",
	}
	checkpoint := &cobra.Command{
		Use:     "checkpoint",
		Short:   "Print the latest signed checkpoint of the log",
		Example: "  iotsec log checkpoint > checkpoint.txt",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			cp, err := sv.Registry.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(e.stdout, cp.Text)
			return err
		}),
	}
	dbFlags(checkpoint.Flags())
	var index, size, oldSize int64
	proof := &cobra.Command{
		Use:   "proof --index N [--size M] | --old N --size M",
		Short: "Print an inclusion proof bundle, or a consistency proof with --old",
		Example: `  iotsec log proof --index 5 --size 12
  iotsec log proof --old 10 --size 12`,
		Args: exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			if cmd.Flags().Changed("old") {
				c, err := sv.Registry.Consistency(cmd.Context(), oldSize, size)
				if err != nil {
					return err
				}
				return writeJSON(e.stdout, c)
			}
			if !cmd.Flags().Changed("index") {
				return usagef("--index or --old is required")
			}
			b, err := sv.Registry.Proof(cmd.Context(), index, size)
			if err != nil {
				return err
			}
			return writeJSON(e.stdout, b)
		}),
	}
	proof.Flags().Int64Var(&index, "index", 0, "the entry")
	proof.Flags().Int64Var(&size, "size", 0, "the tree size (default the latest checkpoint's)")
	proof.Flags().Int64Var(&oldSize, "old", 0, "prove the tree of this size is contained in --size")
	dbFlags(proof.Flags())
	cmd.AddCommand(checkpoint, proof)
	return cmd
}

func newLabelIssue(e *env) *cobra.Command {
	var org, out string
	cmd := &cobra.Command{
		Use:   "issue RECORD-ID --org ORG -o LABEL.json",
		Short: "Write the signed label bundle of a certified record, with its inclusion proof, for `label verify`",
		Long: `Issue writes the label document of a certified record the organisation holds
(as the maker or the scheme's authority): the signed label with its inclusion
proof against a signed checkpoint of the transparency log, the authority's
JWKS and the log's key, so that "iotsec label verify LABEL.json" checks it
offline. A record that is not certified has no label to issue.`,
		Example: "  iotsec label issue cer_... --org Acme -o LABEL.json",
		Args:    exactArgs(1, "one argument, the record's ID"),
		RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			d, err := svc.Bundle(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				return writeJSON(e.stdout, d)
			}
			b, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "wrote the label %s (%s) to %s\n", d.Page, d.Status, out)
			return err
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "the file to write (default standard output)")
	dbFlags(cmd.Flags())
	return cmd
}
