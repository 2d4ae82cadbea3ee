package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// cliActor is how the audit log names what the command line did.
const cliActor = "system:cli"

func newAdmin(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage organisations, users and API tokens directly in the database",
		Long: `Admin commands act on the database with its own authority, for setting up a
server and for recovery. Everything they change is recorded in the audit log
as done by the command line.`,
		Example: `  iotsec admin org create "Acme Devices" --kind manufacturer --country NL
  iotsec admin user create ann@acme.example --org "Acme Devices" --role owner
  iotsec admin token create --org "Acme Devices" --name ci --role maker`,
	}
	user := &cobra.Command{Use: "user", Short: "Create users and sign-in links",
		Example: "  iotsec admin user create ann@acme.example --org Acme --role admin\n  iotsec admin user link ann@acme.example"}
	user.AddCommand(newUserCreate(e), newUserLink(e))
	org := &cobra.Command{Use: "org", Short: "Create and list organisations",
		Example: "  iotsec admin org create Acme --kind manufacturer --country DE\n  iotsec admin org list"}
	org.AddCommand(newOrgCreate(e), newOrgList(e))
	token := &cobra.Command{Use: "token", Short: "Create API tokens",
		Example: "  iotsec admin token create --org Acme --name ci --role maker --expires 2160h"}
	token.AddCommand(newTokenCreate(e))
	cmd.AddCommand(user, org, token)
	return cmd
}

func newUserCreate(e *env) *cobra.Command {
	var name, org, role string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create EMAIL",
		Short: "Create a user, optionally as a member of an organisation",
		Long: `Create a user account. With --password-stdin the first line of standard input
is the password; otherwise a one-time sign-in link is printed, with which the
user signs in and sets a password.`,
		Example: `  iotsec admin user create ann@acme.example --name "Ann Smith" --org Acme --role owner
  printf '%s\n' "$PASSWORD" | iotsec admin user create bob@acme.example --password-stdin`,
		Args: exactArgs(1, "one argument, the email address"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, cfg config.Config) error {
			u := iotsec.User{Email: args[0], Name: name}
			if passwordStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				if err != nil && line == "" {
					return usagef("--password-stdin: no password on standard input")
				}
				if u.PasswordHash, err = auth.HashPassword(strings.TrimRight(line, "\r\n")); err != nil {
					return err
				}
			}
			var o iotsec.Organisation
			if org != "" {
				var err error
				if o, err = findOrg(cmd, s, org); err != nil {
					return err
				}
				if !iotsec.Role(role).Valid() {
					return usagef("--role must be one of %v", iotsec.Roles())
				}
			}
			if err := s.CreateUser(cmd.Context(), cliActor, &u); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.ID, u.Email)
			if org != "" {
				if err := s.AddMember(cmd.Context(), iotsec.System(o.ID, "cli"), u.ID, iotsec.Role(role)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "added to %s as %s\n", o.Name, role)
			}
			if !passwordStdin {
				return printLink(cmd, e, s, cfg, u, 72*time.Hour)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "display name (default: the part of the email before @)")
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name) to add the user to")
	cmd.Flags().StringVar(&role, "role", "viewer", "role in --org: owner, admin, assessor, maker or viewer")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func printLink(cmd *cobra.Command, e *env, s iotsec.Store, cfg config.Config, u iotsec.User, ttl time.Duration) error {
	svc := auth.New(s)
	svc.BaseURL = cfg.URL()
	secret, err := svc.LoginLink(cmd.Context(), u.ID, ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "one-time sign-in link for %s (valid %s):\n  %s\n", u.Email, ttl, svc.LinkURL(secret))
	if cfg.BaseURL == "" {
		fmt.Fprintf(e.stderr, "note: no base URL is configured, so the link assumes the server is reached at %s; "+
			"set base_url in the server's configuration (IOTSEC_BASE_URL, --base-url) to the address users reach it at\n", cfg.URL())
	}
	return nil
}

func newUserLink(e *env) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "link EMAIL",
		Short: "Print a one-time sign-in link for a user",
		Long:  "Print a link that signs the user in once, for a first sign-in or a forgotten password.",
		Example: `  iotsec admin user link ann@acme.example
  iotsec admin user link ann@acme.example --ttl 1h --base-url https://iotsec.acme.example`,
		Args: exactArgs(1, "one argument, the email address"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, cfg config.Config) error {
			u, err := s.GetUserByEmail(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printLink(cmd, e, s, cfg, u, ttl)
		}),
	}
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the link stays valid")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newOrgCreate(e *env) *cobra.Command {
	var kind, country, owner string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an organisation",
		Example: `  iotsec admin org create "Acme Devices" --kind manufacturer --country NL --owner ann@acme.example
  iotsec admin org create "National Cyber Agency" --kind government --country SG`,
		Args: exactArgs(1, "one argument, the organisation's name"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			var ownerID string
			if owner != "" {
				u, err := s.GetUserByEmail(cmd.Context(), owner)
				if err != nil {
					return fmt.Errorf("--owner %s: %w", owner, err)
				}
				ownerID = u.ID
			}
			o := iotsec.Organisation{Name: args[0], Kind: iotsec.OrgKind(kind), Country: country}
			if err := s.CreateOrg(cmd.Context(), cliActor, &o, ownerID); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created organisation %s (%s, %s, %s)\n", o.ID, o.Name, o.Kind, o.Country)
			return nil
		}),
	}
	cmd.Flags().StringVar(&kind, "kind", "other", "government, manufacturer, lab, operator, research or other")
	cmd.Flags().StringVar(&country, "country", "", "ISO 3166-1 alpha-2 country code (required)")
	cmd.Flags().StringVar(&owner, "owner", "", "email of an existing user who becomes the owner")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newOrgList(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List organisations",
		Example: "  iotsec admin org list\n  iotsec admin org list -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			orgs, err := s.ListOrgs(cmd.Context())
			if err != nil {
				return err
			}
			switch output {
			case "json":
				if orgs == nil {
					orgs = []iotsec.Organisation{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(orgs)
			case "table":
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tKIND\tCOUNTRY")
				for _, o := range orgs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Kind, o.Country)
				}
				return tw.Flush()
			}
			return usagef("-o must be table or json")
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newTokenCreate(e *env) *cobra.Command {
	var org, name, role string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print its secret",
		Long: `Create an API token for an organisation. The secret is printed once, alone on
standard output, so scripts can capture it; iotsec keeps only its hash.`,
		Example: `  iotsec admin token create --org Acme --name ci --role maker
  TOKEN=$(iotsec admin token create --org Acme --name importer --role maker --expires 720h)
  curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/api/v1/products`,
		Args: exactArgs(0, "no arguments; use --org, --name and --role"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
			o, err := findOrg(cmd, s, org)
			if err != nil {
				return err
			}
			secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
			t := iotsec.Token{Name: name, Role: iotsec.Role(role), Hash: hash}
			if expires > 0 {
				t.ExpiresAt = time.Now().Add(expires).UTC().Truncate(time.Second)
			}
			if err := s.CreateToken(cmd.Context(), iotsec.System(o.ID, "cli"), &t); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, secret)
			fmt.Fprintf(e.stderr, "created token %s (%s) for %s with role %s; the secret above is shown only once\n", t.ID, t.Name, o.Name, t.Role)
			return nil
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	cmd.Flags().StringVar(&role, "role", "viewer", "owner, admin, assessor, maker or viewer")
	cmd.Flags().DurationVar(&expires, "expires", 0, "lifetime, e.g. 2160h for 90 days (default: never expires)")
	config.Flags(cmd.Flags(), false)
	return cmd
}
