package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/inventory"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newDevice(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "device", Short: "Work with devices: import, register with an IDevID, show, move through the lifecycle",
		Example: "  iotsec device import devices.csv --org Acme\n  iotsec device register SN-0001 --org Acme --product SS-1 --idevid sn-0001.pem\n  iotsec device show SN-0001 --org Acme"}
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
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
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
			res, err := inventory.Import(cmd.Context(), s, iotsec.System(o.ID, "cli"), in, inventory.JobRef{}, 0, batch, progress, identity.Next)
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
	cmd.AddCommand(imp, newDeviceRegister(e), newDeviceShow(e), newDeviceTransition(e),
		newDeviceMove(e, "decommission", iotsec.StateDecommissioned, "Take a device out of service: revoke its LDevIDs, record the data wipe",
			"the data-wipe record: method, tool, report ID (required)", `  iotsec device decommission SN-0001 --org Acme --evidence "NIST SP 800-88 purge, WipeTool 4.2, report W-1138"`),
		newDeviceMove(e, "dispose", iotsec.StateDisposed, "Record a decommissioned device's disposal (final)",
			"the disposal record: recycler, certificate of destruction (required)", `  iotsec device dispose SN-0001 --org Acme --evidence "GreenCycle BV, certificate of destruction GC-2026-0412"`),
		newDeviceTransfer(e))
	return cmd
}

func newDeviceRegister(e *env) *cobra.Command {
	var org, prod, idevid, profile, state string
	var untrusted bool
	cmd := &cobra.Command{
		Use:   "register UID --product MODEL [--idevid FILE]",
		Short: "Register a device with its onboarding identity (IDevID or Matter DAC)",
		Long: `Register creates a device and records its onboarding identity: the IEEE
802.1AR IDevID (or Matter DAC, with --profile matter-dac) its maker installed,
leaf first in FILE, intermediates after it. The identity must verify against the
organisation's trust anchors ('iotsec identity root add') unless
--allow-untrusted; it is immutable once recorded. Nothing is created when it is
refused.`,
		Example: `  iotsec device register SN-0001 --org Acme --product SS-1 --idevid sn-0001.pem --state provisioned
  iotsec device register DAC-17 --org Acme --product HUB-2 --idevid dac-pai.pem --profile matter-dac`,
		Args: exactArgs(1, "one argument, the device's unique ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if prod == "" {
				return usagef("--product is required (a model number or product ID)")
			}
			var b []byte
			if idevid != "" {
				var err error
				if b, err = readInput(e, idevid, "--idevid"); err != nil {
					return err
				}
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			p, err := product(cmd.Context(), ie.store, ie.actor, prod)
			if err != nil {
				return err
			}
			d, c, err := ie.svc.Register(cmd.Context(), ie.actor, identity.Registration{
				Device: iotsec.Device{UID: args[0], ProductID: p.ID, State: iotsec.State(state)},
				IDevID: b, IDevIDOptions: identity.IDevIDOptions{Profile: identity.Profile(profile), AllowUntrusted: untrusted}})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "registered device %s (%s), %s, product %s\n", d.UID, d.ID, d.State, p.Model)
			if c != nil {
				fmt.Fprintf(e.stdout, "onboarding identity (%s): %s\n", c.Profile, certLine(*c))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation (ID or name)")
	f.StringVar(&prod, "product", "", "product: model number or ID")
	f.StringVar(&idevid, "idevid", "", "the onboarding identity, PEM or DER, leaf first (- for standard input)")
	f.StringVar(&profile, "profile", "idevid", "idevid or matter-dac")
	f.StringVar(&state, "state", string(iotsec.StateManufactured), "lifecycle state: manufactured or provisioned (ready to enrol)")
	f.BoolVar(&untrusted, "allow-untrusted", false, "record an identity that does not verify (the audit will flag it)")
	config.Flags(f, false)
	return cmd
}

func newDeviceShow(e *env) *cobra.Command {
	var org, output string
	cmd := &cobra.Command{
		Use:     "show DEVICE",
		Short:   "Show a device's identity: onboarding identity, certificates, lifecycle history",
		Example: "  iotsec device show SN-0001 --org Acme\n  iotsec device show SN-0001 --org Acme -o json",
		Args:    exactArgs(1, "one argument, the device (unique ID or registry ID)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(e, output, "text")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			d, err := ie.device(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			id, err := ie.svc.DeviceIdentity(cmd.Context(), ie.actor, d.ID)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(e.stdout, id)
			}
			w := e.stdout
			fmt.Fprintf(w, "device %s (%s): %s, identity %s\n", d.UID, d.ID, d.State, id.Status)
			if id.IDevID != nil {
				fmt.Fprintf(w, "onboarding identity (%s): %s\n", id.IDevID.Profile, certLine(*id.IDevID))
			} else {
				fmt.Fprintln(w, "onboarding identity: none recorded")
			}
			fmt.Fprintln(w, "operational certificates:")
			n := 0
			for _, c := range id.Certificates {
				if c.Kind == iotsec.CertLDevID {
					fmt.Fprintf(w, "  %s\n", certLine(c))
					n++
				}
			}
			if n == 0 {
				fmt.Fprintln(w, "  none")
			}
			fmt.Fprintln(w, "history:")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, h := range id.History {
				fmt.Fprintf(tw, "  %s\t%s\t%s -> %s\tcertificates %s (%d)\t%s\t%s\n", h.At.Format(time.RFC3339), h.Event, h.From, h.To, h.Credentials, h.Changed, h.Actor,
					strings.TrimSpace(h.Evidence+" "+h.Note))
			}
			if len(id.History) == 0 {
				fmt.Fprintln(tw, "  none")
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			next := make([]string, len(id.Next))
			for i, s := range id.Next {
				next[i] = string(s)
			}
			if len(next) == 0 {
				next = []string{"none (final)"}
			}
			fmt.Fprintf(w, "may move to: %s\n", strings.Join(next, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: text or json (default text on a terminal, json otherwise)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

// move runs a lifecycle transition and reports it.
func move(cmd *cobra.Command, e *env, org, ref string, to iotsec.State, evidence, note string) error {
	ie, err := openIdentity(cmd, e, org)
	if err != nil {
		return err
	}
	defer ie.Close()
	d, err := ie.device(cmd.Context(), ref)
	if err != nil {
		return err
	}
	t, err := ie.svc.Transition(cmd.Context(), ie.actor, d.ID, identity.Move{To: to, Evidence: evidence, Note: note})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s -> %s; operational certificates: %s (%d changed)\n", d.UID, t.From, t.To, t.Credentials, t.Changed)
	return nil
}

func newDeviceTransition(e *env) *cobra.Command {
	var org, evidence, note string
	cmd := &cobra.Command{
		Use:   "transition DEVICE STATE",
		Short: "Move a device to another lifecycle state",
		Long: `Transition moves a device along its lifecycle: manufactured -> provisioned ->
operational -> suspended -> decommissioned -> disposed, with resume (suspended
-> operational), re-provisioning (operational -> provisioned) and refurbishing
(decommissioned -> provisioned). Its operational certificates follow: held on
suspension, released on resumption, revoked on decommissioning and
re-provisioning. Decommissioning and disposal need --evidence. Every step is
recorded in the device's history and the audit log.`,
		Example: `  iotsec device transition SN-0001 provisioned --org Acme
  iotsec device transition SN-0001 suspended --org Acme --note "stolen, reported 2026-03-02"`,
		Args: exactArgs(2, "two arguments, the device and the state"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return move(cmd, e, org, args[0], iotsec.State(args[1]), evidence, note)
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&evidence, "evidence", "", "data-wipe or disposal record (for decommissioned and disposed)")
	cmd.Flags().StringVar(&note, "note", "", "why")
	config.Flags(cmd.Flags(), false)
	config.CAFlags(cmd.Flags())
	return cmd
}

func newDeviceMove(e *env, name string, to iotsec.State, short, evidenceUsage, example string) *cobra.Command {
	var org, evidence, note string
	cmd := &cobra.Command{
		Use:     name + " DEVICE --evidence TEXT",
		Short:   short,
		Example: example,
		Args:    exactArgs(1, "one argument, the device"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return move(cmd, e, org, args[0], to, evidence, note)
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&evidence, "evidence", "", evidenceUsage)
	cmd.Flags().StringVar(&note, "note", "", "why")
	config.Flags(cmd.Flags(), false)
	config.CAFlags(cmd.Flags())
	return cmd
}

func newDeviceTransfer(e *env) *cobra.Command {
	var org, to, prod string
	cmd := &cobra.Command{
		Use:   "transfer DEVICE --org FROM --to ORG",
		Short: "Hand a device to another organisation (resale), with its onboarding identity",
		Long: `Transfer moves a device to another organisation on this server, acting for
both (over the API the seller offers a code and the buyer claims the device with
it). Only unsold stock (manufactured, provisioned) and decommissioned devices
change hands. The device keeps its ID and onboarding identity; its history and
the certificates the seller's CA issued stay with the seller. In the buyer's
organisation it becomes a device of --product (default: the product with the
same model number).`,
		Example: `  iotsec device transfer SN-0001 --org "Acme Devices" --to "City Utilities" --product SS-1`,
		Args:    exactArgs(1, "one argument, the device"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usagef("--to is required: the organisation taking the device")
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			d, err := ie.device(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			buyer, err := findOrg(cmd, ie.store, to)
			if err != nil {
				return err
			}
			ba := iotsec.System(buyer.ID, "cli")
			if prod == "" {
				p, err := ie.store.GetProduct(cmd.Context(), ie.actor, d.ProductID)
				if err != nil {
					return err
				}
				prod = p.Model
			}
			p, err := product(cmd.Context(), ie.store, ba, prod)
			if err != nil {
				return fmt.Errorf("in %s: %w", buyer.Name, err)
			}
			offer, err := ie.svc.OfferTransfer(cmd.Context(), ie.actor, d.ID, time.Hour)
			if err != nil {
				return err
			}
			got, err := ie.svc.ClaimTransfer(cmd.Context(), ba, offer.Code, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "transferred %s (%s, %s) from %s to %s as product %s\n", got.UID, got.ID, got.State, ie.org.Name, buyer.Name, p.Model)
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation giving the device (ID or name)")
	cmd.Flags().StringVar(&to, "to", "", "the organisation taking it (ID or name)")
	cmd.Flags().StringVar(&prod, "product", "", "its product in the taking organisation: model number or ID")
	config.Flags(cmd.Flags(), false)
	return cmd
}
