package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// The product and firmware commands are plain records: they go to the
// store directly, as the API's and the UI's product pages do.

func newProduct(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "product",
		Short: "Create and list an organisation's products",
		Example: `  iotsec product create "Smart Socket" --org Acme --model SS-1 --class appliance --market EU,GB --support-months 60
  iotsec product list --org Acme`,
	}
	cmd.AddCommand(newProductCreate(e), newProductList(e))
	return cmd
}

func newProductCreate(e *env) *cobra.Command {
	var org, model, class, sector, markets, policy, desc, output string
	var months int
	cmd := &cobra.Command{
		Use:   "create NAME --org ORG --model MODEL",
		Short: "Create a product (a model the organisation makes or runs)",
		Long: `Create a product of the organisation. --model is its model number, unique in
the organisation; devices and firmware versions name the product by it.
--support-months is the support period promised from each firmware release:
a firmware version added without its own support end gets it.`,
		Example: `  iotsec product create "Smart Socket" --org Acme --model SS-1 --class appliance --market EU,GB --support-months 60
  iotsec product create "Camera C2" --org Acme --model C2 --class camera --sector consumer -o json`,
		Args: exactArgs(1, "one argument, the product's name"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			format, err := outputFormat(e, output, "text", "id")
			if err != nil {
				return err
			}
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			p := iotsec.Product{
				Name: args[0], Model: model, Class: iotsec.ProductClass(class), Sector: iotsec.Sector(sector),
				Description: desc, SupportMonths: months, SupportPolicy: policy,
			}
			for _, m := range strings.Split(markets, ",") {
				if m = strings.TrimSpace(m); m != "" {
					p.Markets = append(p.Markets, m)
				}
			}
			if err := s.CreateProduct(cmd.Context(), a, &p); err != nil {
				return err
			}
			switch format {
			case "json":
				return writeJSON(e.stdout, p)
			case "id":
				_, err = fmt.Fprintln(e.stdout, p.ID)
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "created product %s (%s), model %s\n", p.Name, p.ID, p.Model)
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "the organisation (ID or name)")
	f.StringVar(&model, "model", "", "model number, unique in the organisation (required)")
	f.StringVar(&class, "class", "other", "product class: "+joinClasses())
	f.StringVar(&sector, "sector", "consumer", "sector the product is sold into")
	f.StringVar(&markets, "market", "", "markets, comma-separated ISO 3166-1 codes or EU")
	f.IntVar(&months, "support-months", 0, "support period promised from each firmware release, in months (0: not stated)")
	f.StringVar(&policy, "support-policy", "", "the support policy in words (what is covered, where it is published)")
	f.StringVar(&desc, "description", "", "a short description")
	f.StringVarP(&output, "output", "o", "", "output: text, id (the new ID alone, for scripts) or json (default text on a terminal, json otherwise)")
	config.Flags(f, false)
	return cmd
}

func joinClasses() string {
	var out []string
	for _, c := range iotsec.ProductClasses() {
		out = append(out, string(c))
	}
	return strings.Join(out, ", ")
}

func newProductList(e *env) *cobra.Command {
	var org, output string
	cmd := &cobra.Command{
		Use:     "list --org ORG",
		Short:   "List the organisation's products",
		Example: "  iotsec product list --org Acme\n  iotsec product list --org Acme -o json",
		Args:    exactArgs(0, "no arguments; use --org"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			format, err := outputFormat(e, output, "table")
			if err != nil {
				return err
			}
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			ps, err := s.ListProducts(cmd.Context(), a)
			if err != nil {
				return err
			}
			if format == "json" {
				if ps == nil {
					ps = []iotsec.Product{}
				}
				return writeJSON(e.stdout, ps)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tMODEL\tNAME\tCLASS\tMARKETS\tSUPPORT")
			for _, p := range ps {
				support := "not stated"
				if p.SupportMonths > 0 {
					support = fmt.Sprintf("%d months", p.SupportMonths)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Model, p.Name, p.Class, strings.Join(p.Markets, ","), support)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: table or json (default table on a terminal, json otherwise)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newFirmware(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "firmware",
		Short: "Add and list firmware versions of products",
		Example: `  iotsec firmware add --org Acme --product SS-1 --version 1.4.0 --released 2026-03-01
  iotsec firmware list --org Acme --product SS-1`,
	}
	cmd.AddCommand(newFirmwareAdd(e), newFirmwareList(e))
	return cmd
}

func newFirmwareAdd(e *env) *cobra.Command {
	var org, prod, version, released, supportEnd, output string
	cmd := &cobra.Command{
		Use:   "add --org ORG --product MODEL --version V",
		Short: "Add a firmware version to a product",
		Long: `Add a firmware version to a product. Without --support-end the version is
supported for the product's support period from --released. Upload an image
for scanning in the web UI or with PUT /api/v1/firmware/{id}/image.`,
		Example: `  iotsec firmware add --org Acme --product SS-1 --version 1.4.0 --released 2026-03-01
  FW=$(iotsec firmware add --org Acme --product SS-1 --version 1.4.1 -o id)`,
		Args: exactArgs(0, "no arguments; use --org, --product and --version"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			format, err := outputFormat(e, output, "text", "id")
			if err != nil {
				return err
			}
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			if prod == "" {
				return usagef("--product is required (a model number or product ID)")
			}
			p, err := product(cmd.Context(), s, a, prod)
			if err != nil {
				return err
			}
			f := iotsec.FirmwareVersion{ProductID: p.ID, Version: version}
			for _, d := range []struct {
				flag, v string
				dst     *iotsec.Date
			}{{"--released", released, &f.ReleasedOn}, {"--support-end", supportEnd, &f.SupportEnd}} {
				if d.v == "" {
					continue
				}
				if *d.dst, err = iotsec.ParseDate(d.v); err != nil {
					return usagef("%s: %v", d.flag, err)
				}
			}
			if err := s.CreateFirmware(cmd.Context(), a, &f); err != nil {
				return err
			}
			switch format {
			case "json":
				return writeJSON(e.stdout, f)
			case "id":
				_, err = fmt.Fprintln(e.stdout, f.ID)
				return err
			}
			end := "not stated"
			if !f.SupportEnd.IsZero() {
				end = f.SupportEnd.String()
			}
			_, err = fmt.Fprintf(e.stdout, "added firmware %s %s (%s), supported until %s\n", p.Model, f.Version, f.ID, end)
			return err
		}),
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "the organisation (ID or name)")
	f.StringVar(&prod, "product", "", "the product: model number or ID (required)")
	f.StringVar(&version, "version", "", "the version string (required)")
	f.StringVar(&released, "released", "", "release date, YYYY-MM-DD")
	f.StringVar(&supportEnd, "support-end", "", "last day of security updates, YYYY-MM-DD (default: release + the product's support period)")
	f.StringVarP(&output, "output", "o", "", "output: text, id (the new ID alone, for scripts) or json (default text on a terminal, json otherwise)")
	config.Flags(f, false)
	return cmd
}

func newFirmwareList(e *env) *cobra.Command {
	var org, prod, output string
	cmd := &cobra.Command{
		Use:     "list --org ORG [--product MODEL]",
		Short:   "List firmware versions, of one product or all",
		Example: "  iotsec firmware list --org Acme\n  iotsec firmware list --org Acme --product SS-1 -o json",
		Args:    exactArgs(0, "no arguments; use --org and --product"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			format, err := outputFormat(e, output, "table")
			if err != nil {
				return err
			}
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			ps, err := s.ListProducts(cmd.Context(), a)
			if err != nil {
				return err
			}
			models := make(map[string]string, len(ps))
			for _, p := range ps {
				models[p.ID] = p.Model
			}
			var productID string
			if prod != "" {
				p, err := product(cmd.Context(), s, a, prod)
				if err != nil {
					return err
				}
				productID = p.ID
			}
			fs, err := s.ListFirmware(cmd.Context(), a, productID)
			if err != nil {
				return err
			}
			if format == "json" {
				if fs == nil {
					fs = []iotsec.FirmwareVersion{}
				}
				return writeJSON(e.stdout, fs)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPRODUCT\tVERSION\tRELEASED\tSUPPORT END\tIMAGE")
			for _, f := range fs {
				img := "no image"
				if f.ImageDigest != "" {
					img = f.ImageDigest[:min(len(f.ImageDigest), 19)]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, models[f.ProductID], f.Version, dateOr(f.ReleasedOn), dateOr(f.SupportEnd), img)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (ID or name)")
	cmd.Flags().StringVar(&prod, "product", "", "only this product's versions: model number or ID")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: table or json (default table on a terminal, json otherwise)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func dateOr(d iotsec.Date) string {
	if d.IsZero() {
		return "-"
	}
	return d.String()
}
