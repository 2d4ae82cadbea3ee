package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/auth"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newMember(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "An organisation's members and the invitations to join it",
		Long: `Members of an organisation, on the database like the server. Adding a member
invites: invite prints the invitation's one-time link (valid seven days) and,
when a mail relay is configured (IOTSEC_SMTP_ADDR), e-mails it to the address;
the invitee accepts signed in, in the web UI or with iotsec invitation accept.
Nothing is said about whether the address has an account.

--org names the organisation (ID or name); the command line acts with its own
authority and the audit log records it as the command line. list prints a
table (-o json for JSON); the other commands print a line, or the record as
JSON with -o json.`,
		Example: `  iotsec member invite carol@acme.example --org Acme --role maker
  iotsec member list --org Acme
  iotsec member cancel inv_... --org Acme
  iotsec member remove carol@acme.example --org Acme`,
	}
	cmd.AddCommand(newMemberList(e), newMemberInvite(e), newMemberCancel(e), newMemberRemove(e))
	return cmd
}

// memberFlags are every member command's flags.
type memberFlags struct {
	org    string
	output string
}

func (f *memberFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.org, "org", "", "the organisation (ID or name)")
	fs.StringVarP(&f.output, "output", "o", "", what)
	dbFlags(fs)
}

// run checks the flags, opens the database and the services and names
// the organisation's actor, then runs fn.
func (f *memberFlags) run(e *env, fn func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, sv *app.Services, cfg config.Config) error) func(*cobra.Command, []string) error {
	return withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
		if f.output != "" && f.output != "json" && f.output != "table" {
			return usagef("-o must be table or json, not %q", f.output)
		}
		a, err := orgActor(cmd, s, f.org)
		if err != nil {
			return err
		}
		return fn(cmd, args, a, s, sv, cfg)
	})
}

// table writes v as a table (the default) or JSON.
func (f *memberFlags) table(e *env, v any, table func(w io.Writer)) error {
	sf := schemeFlags{output: f.output}
	if sf.output == "" {
		sf.output = "table"
	}
	return sf.print(e, v, table)
}

// done writes one line, or v as JSON with -o json.
func (f *memberFlags) done(e *env, v any, format string, args ...any) error {
	if f.output == "json" {
		return writeJSON(e.stdout, v)
	}
	_, err := fmt.Fprintf(e.stdout, format+"\n", args...)
	return err
}

const tableOutput = "output: table or json (default: table)"

// MemberList is what member list prints as JSON.
type MemberList struct {
	Members     []iotsec.Membership `json:"members"`
	Invitations []iotsec.Invitation `json:"invitations"`
}

func newMemberList(e *env) *cobra.Command {
	var f memberFlags
	cmd := &cobra.Command{
		Use:     "list --org ORG",
		Short:   "List the organisation's members and pending invitations",
		Example: "  iotsec member list --org Acme\n  iotsec member list --org Acme -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, _ *app.Services, _ config.Config) error {
			l := MemberList{Members: []iotsec.Membership{}, Invitations: []iotsec.Invitation{}}
			ms, err := s.ListMembers(cmd.Context(), a)
			if err != nil {
				return err
			}
			invs, err := s.ListInvitations(cmd.Context(), a)
			if err != nil {
				return err
			}
			l.Members, l.Invitations = append(l.Members, ms...), append(l.Invitations, invs...)
			return f.table(e, l, func(w io.Writer) {
				fmt.Fprintln(w, "USER\tEMAIL\tNAME\tROLE\tSINCE")
				for _, m := range l.Members {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.UserID, m.Email, cut(m.Name, 30), m.Role, m.CreatedAt.UTC().Format("2006-01-02"))
				}
				if len(l.Invitations) == 0 {
					fmt.Fprintln(w, "\nno pending invitations")
					return
				}
				fmt.Fprintln(w, "\nINVITATION\tEMAIL\tROLE\tINVITED BY\tEXPIRES")
				for _, v := range l.Invitations {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.ID, v.Email, v.Role, cut(actorLabel(v.InvitedBy), 30), v.ExpiresAt.UTC().Format(time.RFC3339))
				}
			})
		}),
	}
	f.register(cmd.Flags(), tableOutput)
	return cmd
}

// actorLabel is the audit log's name of an actor in short: a user's
// address, a token's name, "command line" for this program.
func actorLabel(name string) string {
	kind, rest, _ := strings.Cut(name, ":")
	if i := strings.Index(rest, " ("); i >= 0 && strings.HasSuffix(rest, ")") {
		rest = rest[i+2 : len(rest)-1]
	}
	switch {
	case kind == "token":
		return "token " + rest
	case name == cliActor:
		return "command line"
	}
	return rest
}

func newMemberInvite(e *env) *cobra.Command {
	var f memberFlags
	var role string
	cmd := &cobra.Command{
		Use:   "invite EMAIL --org ORG [--role ROLE]",
		Short: "Invite an address to join the organisation and print the one-time link",
		Long: `Invite an e-mail address to join the organisation with a role. The invitation's
one-time link is printed once (only its hash is kept) and, when a mail relay
is configured (IOTSEC_SMTP_ADDR), e-mailed to the address. The invitee accepts
signed in: in the web UI, from the link, or with iotsec invitation accept.
Inviting an address again replaces its pending invitation and link.`,
		Example: `  iotsec member invite carol@acme.example --org Acme --role maker
  iotsec member invite dan@lab.example --org Acme --role assessor --base-url https://iotsec.acme.example -o json`,
		Args: exactArgs(1, "one argument, the e-mail address"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			if !iotsec.Role(role).Valid() {
				return usagef("--role must be one of %v", iotsec.Roles())
			}
			svc := auth.New(s)
			svc.BaseURL = cfg.URL()
			// The mail goes out as the server sends it; the command waits
			// for it, to say how it went.
			var mu sync.Mutex
			var mailed []error
			if sv.Supply.Mail != nil {
				svc.Mail = func(ctx context.Context, to, subject, body string) error {
					err := sv.Supply.Mail.Send(ctx, to, subject, body)
					mu.Lock()
					mailed = append(mailed, err)
					mu.Unlock()
					return err
				}
			}
			inv, err := svc.Invite(cmd.Context(), a, args[0], iotsec.Role(role))
			if err != nil {
				return err
			}
			svc.WaitMail()
			if err := f.done(e, inv, "invited %s to %s as %s (invitation %s, valid until %s)\none-time link, shown once:\n  %s",
				inv.Email, inv.OrgName, inv.Role, inv.ID, inv.ExpiresAt.UTC().Format(time.RFC3339), inv.Link); err != nil {
				return err
			}
			switch {
			case sv.Supply.Mail == nil:
				fmt.Fprintln(e.stderr, "no mail relay is configured (IOTSEC_SMTP_ADDR): pass the link on yourself")
			case len(mailed) == 1 && mailed[0] == nil:
				fmt.Fprintf(e.stderr, "e-mailed the link to %s\n", inv.Email)
			case len(mailed) == 1:
				fmt.Fprintf(e.stderr, "could not e-mail the link to %s (%v): pass it on yourself\n", inv.Email, mailed[0])
			}
			if cfg.BaseURL == "" {
				fmt.Fprintf(e.stderr, "note: no base URL is configured, so the link assumes the server is reached at %s; "+
					"set base_url in the server's configuration (IOTSEC_BASE_URL, --base-url) to the address users reach it at\n", cfg.URL())
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&role, "role", "viewer", "the role on joining: owner, admin, assessor, maker or viewer")
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newMemberCancel(e *env) *cobra.Command {
	var f memberFlags
	cmd := &cobra.Command{
		Use:     "cancel INVITATION --org ORG",
		Short:   "Cancel a pending invitation (its link stops working)",
		Example: "  iotsec member cancel inv_... --org Acme",
		Args:    exactArgs(1, "one argument, the invitation's ID (member list shows them)"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, _ *app.Services, _ config.Config) error {
			if err := s.CancelInvitation(cmd.Context(), a, args[0]); err != nil {
				return err
			}
			return f.done(e, map[string]string{"id": args[0], "state": "cancelled"}, "cancelled invitation %s", args[0])
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newMemberRemove(e *env) *cobra.Command {
	var f memberFlags
	cmd := &cobra.Command{
		Use:   "remove EMAIL|USER --org ORG",
		Short: "Remove a member (their API tokens there are revoked)",
		Example: `  iotsec member remove carol@acme.example --org Acme
  iotsec member remove usr_... --org Acme`,
		Args: exactArgs(1, "one argument, the member's e-mail address or user ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, _ *app.Services, _ config.Config) error {
			ms, err := s.ListMembers(cmd.Context(), a)
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.UserID == args[0] || strings.EqualFold(m.Email, args[0]) {
					if err := s.RemoveMember(cmd.Context(), a, m.UserID); err != nil {
						return err
					}
					return f.done(e, m, "removed %s (%s) from %s", m.Email, m.UserID, m.OrgName)
				}
			}
			return iotsec.NotFound(fmt.Sprintf("member %q", args[0]))
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newInvitation(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invitation",
		Short: "A user's invitations to organisations: list, accept, decline",
		Long: `The invitations to a user's e-mail address, on the database like the server,
acting for the user --user names (the command line's own authority; the audit
log records the user joining). accept takes the invitation's ID or its
one-time link (or the link's secret), which also accepts an invitation sent to
another address, as the link does in the web UI.`,
		Example: `  iotsec invitation list --user carol@acme.example
  iotsec invitation accept inv_... --user carol@acme.example
  iotsec invitation accept https://iotsec.acme.example/invitations/iotsec_inv_... --user carol@acme.example
  iotsec invitation decline inv_... --user carol@acme.example`,
	}
	cmd.AddCommand(newInvitationList(e), newInvitationAccept(e), newInvitationDecline(e))
	return cmd
}

// userFlags are every invitation command's flags.
type userFlags struct {
	user   string
	output string
}

func (f *userFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.user, "user", "", "the user's e-mail address")
	fs.StringVarP(&f.output, "output", "o", "", what)
	dbFlags(fs)
}

func (f *userFlags) run(e *env, fn func(cmd *cobra.Command, args []string, u iotsec.User, s iotsec.Store) error) func(*cobra.Command, []string) error {
	return withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, _ config.Config) error {
		if f.user == "" {
			return usagef("--user is required (the user's e-mail address)")
		}
		if f.output != "" && f.output != "json" && f.output != "table" {
			return usagef("-o must be table or json, not %q", f.output)
		}
		u, err := s.GetUserByEmail(cmd.Context(), f.user)
		if err != nil {
			return err
		}
		return fn(cmd, args, u, s)
	})
}

func newInvitationList(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:     "list --user EMAIL",
		Short:   "List the pending invitations to the user's address",
		Example: "  iotsec invitation list --user carol@acme.example -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, u iotsec.User, s iotsec.Store) error {
			invs, err := s.PendingInvitations(cmd.Context(), u.Email)
			if err != nil {
				return err
			}
			invs = append([]iotsec.Invitation{}, invs...)
			mf := memberFlags{output: f.output}
			return mf.table(e, invs, func(w io.Writer) {
				if len(invs) == 0 {
					fmt.Fprintf(w, "no pending invitations to %s\n", u.Email)
					return
				}
				fmt.Fprintln(w, "INVITATION\tORGANISATION\tROLE\tINVITED BY\tEXPIRES")
				for _, v := range invs {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.ID, cut(v.OrgName, 40), v.Role, cut(actorLabel(v.InvitedBy), 30), v.ExpiresAt.UTC().Format(time.RFC3339))
				}
			})
		}),
	}
	f.register(cmd.Flags(), tableOutput)
	return cmd
}

func newInvitationAccept(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "accept INVITATION|LINK --user EMAIL",
		Short: "Accept an invitation: the user becomes a member with its role",
		Example: `  iotsec invitation accept inv_... --user carol@acme.example
  iotsec invitation accept https://iotsec.acme.example/invitations/iotsec_inv_... --user carol@acme.example`,
		Args: exactArgs(1, "one argument, the invitation's ID or its one-time link"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, u iotsec.User, s iotsec.Store) error {
			ref := args[0]
			if i := strings.LastIndex(ref, "/invitations/"); i >= 0 {
				ref = ref[i+len("/invitations/"):]
			}
			var m iotsec.Membership
			var err error
			if strings.HasPrefix(ref, iotsec.SecretInvite) {
				m, err = auth.New(s).AcceptLink(cmd.Context(), u.ID, ref)
			} else {
				m, err = s.AcceptInvitation(cmd.Context(), u.ID, ref, nil)
			}
			if err != nil {
				return err
			}
			return f.done(e, m, "%s joined %s as %s", u.Email, m.OrgName, m.Role)
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newInvitationDecline(e *env) *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:     "decline INVITATION --user EMAIL",
		Short:   "Decline an invitation to the user's address",
		Example: "  iotsec invitation decline inv_... --user carol@acme.example",
		Args:    exactArgs(1, "one argument, the invitation's ID (invitation list shows them)"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, u iotsec.User, s iotsec.Store) error {
			if err := s.DeclineInvitation(cmd.Context(), u.ID, args[0]); err != nil {
				return err
			}
			return f.done(e, map[string]string{"id": args[0], "state": "declined"}, "%s declined invitation %s", u.Email, args[0])
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

// done writes one line, or v as JSON with -o json.
func (f *userFlags) done(e *env, v any, format string, args ...any) error {
	if f.output == "json" {
		return writeJSON(e.stdout, v)
	}
	_, err := fmt.Fprintf(e.stdout, format+"\n", args...)
	return err
}
