package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/workspace"
)

func newWorkspace(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workspace",
		Short: "Workspaces: organisations reviewing mapping proposals together",
		Long: `A workspace joins organisations (a ministry, a lab, a maker) around a focus
area. Members propose mappings between schemes' provisions, new ones or a change
of an existing one; a reviewer organisation other than the proposer approves or
rejects with a reason; the proposer may withdraw while it is open; an approved
proposal is merged into every accepted member's catalog in one transaction (a
change replaces the map it changes). Reports of a period go to the other
workspaces' feeds.

The commands work on the database like the server does; --org names the
organisation acting (ID or name). list and show print a table on a terminal and
JSON otherwise (-o table or -o json chooses); the other commands print one line,
or the record as JSON with -o json.`,
		Example: `  iotsec workspace create --org Ministry --name "Consumer IoT SIG" --focus "PSTI and EN 303 645"
  iotsec workspace invite wsp_... --org Ministry --invite Lab --role reviewer
  iotsec workspace accept wsp_... --org Lab
  iotsec workspace propose wsp_... --org Maker --kind change --from uk-psti --to etsi-en-303-645 \
      --sources 1 --targets "5.1-1;5.1-2" --relationship intersects-with --confidence medium --rationale "..."
  iotsec workspace approve wsp_... mpr_... --org Lab
  iotsec workspace merge wsp_... mpr_... --org Maker`,
	}
	cmd.AddCommand(newWorkspaceList(e), newWorkspaceCreate(e), newWorkspaceShow(e), newWorkspaceInvite(e), newWorkspaceAccept(e),
		newWorkspacePropose(e), newWorkspaceReport(e), newWorkspaceRemove(e), newWorkspaceLeave(e))
	cmd.AddCommand(newWorkspaceMoves(e)...)
	return cmd
}

// wsFlags are every workspace command's flags: the acting organisation
// and the output.
type wsFlags struct {
	org    string
	output string
}

func (f *wsFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.org, "org", "", "the organisation acting (ID or name)")
	fs.StringVarP(&f.output, "output", "o", "", what)
	dbFlags(fs)
}

// run opens the database and the services and names the actor, then runs
// fn: the start of every workspace command.
func (f *wsFlags) run(e *env, fn func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, ws *workspace.Service) error) func(*cobra.Command, []string) error {
	return withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
		if f.org == "" {
			return usagef("--org is required (the organisation acting, ID or name)")
		}
		if f.output != "" && f.output != "json" && f.output != "table" {
			return usagef("-o must be table or json, not %q", f.output)
		}
		a, err := orgActor(cmd, s, f.org)
		if err != nil {
			return err
		}
		return fn(cmd, args, a, s, sv.Workspace)
	})
}

// print writes v as a table (list and show on a terminal) or JSON.
func (f *wsFlags) print(e *env, v any, table func(w io.Writer)) error {
	sf := schemeFlags{output: f.output}
	return sf.print(e, v, table)
}

// done writes one line, or v as JSON with -o json.
func (f *wsFlags) done(e *env, v any, format string, args ...any) error {
	if f.output == "json" {
		return writeJSON(e.stdout, v)
	}
	_, err := fmt.Fprintf(e.stdout, format+"\n", args...)
	return err
}

const wsOutput = "output: table or json (default: table on a terminal, json otherwise)"
const lineOutput = "output: json prints the record (default: one line)"

func newWorkspaceList(e *env) *cobra.Command {
	var f wsFlags
	cmd := &cobra.Command{
		Use:     "list --org ORG",
		Short:   "List the workspaces the organisation is in or invited to",
		Example: "  iotsec workspace list --org Lab -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			l, err := ws.List(cmd.Context(), a)
			if err != nil {
				return err
			}
			return f.print(e, l, func(w io.Writer) {
				fmt.Fprintln(w, "ID\tNAME\tMEMBERS\tYOURS")
				for _, x := range l {
					state := "invited"
					for _, m := range x.Members {
						if m.OrgID == a.OrgID && m.Accepted {
							state = string(m.Role)
						}
					}
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", x.ID, cut(x.Name, 40), len(x.Members), state)
				}
			})
		}),
	}
	f.register(cmd.Flags(), wsOutput)
	return cmd
}

func newWorkspaceCreate(e *env) *cobra.Command {
	var f wsFlags
	var name, focus string
	cmd := &cobra.Command{
		Use:     "create --org ORG --name NAME --focus TEXT",
		Short:   "Create a workspace; the organisation becomes its first reviewer",
		Example: `  iotsec workspace create --org Ministry --name "Consumer IoT SIG" --focus "baselines for consumer devices"`,
		Args:    exactArgs(0, "no arguments"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			w, err := ws.Create(cmd.Context(), a, iotsec.Workspace{Name: name, Focus: focus})
			if err != nil {
				return err
			}
			return f.done(e, w, "%s created: %s", w.ID, w.Name)
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "the workspace's name")
	cmd.Flags().StringVar(&focus, "focus", "", "its focus area or Special Interest Group")
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newWorkspaceShow(e *env) *cobra.Command {
	var f wsFlags
	cmd := &cobra.Command{
		Use:     "show WORKSPACE --org ORG",
		Short:   "Show a workspace: members, proposals, reports and the feed",
		Example: "  iotsec workspace show wsp_... --org Maker -o table",
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			d, err := ws.Detail(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			return f.print(e, d, func(w io.Writer) {
				fmt.Fprintf(w, "%s\t%s\n\t%s\n\nORGANISATION\tROLE\tACCEPTED\n", d.Workspace.ID, d.Workspace.Name, cut(d.Workspace.Focus, 70))
				for _, m := range d.Workspace.Members {
					fmt.Fprintf(w, "%s\t%s\t%v\n", m.OrgName, m.Role, m.Accepted)
				}
				fmt.Fprintln(w, "\nPROPOSAL\tSTATUS\tKIND\tMAPPING\tBY")
				for _, p := range d.Proposals {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s %s %s %s %s\t%s\n", p.ID, p.Status, p.Kind, p.From, strings.Join(p.Sources, ";"), p.Relationship,
						p.To, strings.Join(p.Targets, ";"), p.OrgName)
				}
				fmt.Fprintln(w, "\nREPORT\tTITLE\tPERIOD\tWORKSPACE")
				for _, r := range append(append([]iotsec.WorkspaceReport{}, d.Reports...), d.Feed...) {
					fmt.Fprintf(w, "%s\t%s\t%s to %s\t%s\n", r.ID, cut(r.Title, 40), r.From, r.To, r.WorkspaceName)
				}
			})
		}),
	}
	f.register(cmd.Flags(), wsOutput)
	return cmd
}

func newWorkspaceInvite(e *env) *cobra.Command {
	var f wsFlags
	var invite, role string
	cmd := &cobra.Command{
		Use:     "invite WORKSPACE --org ORG --invite ORG [--role member|reviewer]",
		Short:   "Invite another organisation (an owner or admin of it accepts)",
		Example: "  iotsec workspace invite wsp_... --org Ministry --invite Lab --role reviewer",
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, ws *workspace.Service) error {
			o, err := findOrg(cmd, s, invite)
			if err != nil {
				return err
			}
			if err := ws.Invite(cmd.Context(), a, args[0], o.ID, iotsec.WorkspaceRole(role)); err != nil {
				return err
			}
			w, err := ws.Get(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			return f.done(e, w, "%s invited to %s as %s", o.Name, w.Name, role)
		}),
	}
	cmd.Flags().StringVar(&invite, "invite", "", "the organisation invited (ID or name)")
	cmd.Flags().StringVar(&role, "role", string(iotsec.WorkspaceMemberRole), "its role: member or reviewer")
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newWorkspaceAccept(e *env) *cobra.Command {
	var f wsFlags
	cmd := &cobra.Command{
		Use:     "accept WORKSPACE --org ORG",
		Short:   "Accept the organisation's invitation",
		Example: "  iotsec workspace accept wsp_... --org Lab",
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			if err := ws.Accept(cmd.Context(), a, args[0]); err != nil {
				return err
			}
			w, err := ws.Get(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			return f.done(e, w, "joined %s", w.Name)
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newWorkspacePropose(e *env) *cobra.Command {
	var f wsFlags
	var p iotsec.MappingProposal
	var sources, targets string
	cmd := &cobra.Command{
		Use:   "propose WORKSPACE --org ORG --from SLUG --sources IDS --relationship REL --to SLUG --targets IDS --rationale TEXT",
		Short: "Propose a new mapping, or a change of an existing one (--kind change)",
		Long: `Propose checks the mapping against the organisation's catalog (both schemes
and every provision must exist; a change must name the provisions of a map the
catalog has) and stores it as open. Provision IDs are separated by semicolons.`,
		Example: `  iotsec workspace propose wsp_... --org Maker --kind change --from uk-psti --sources 1 \
      --relationship intersects-with --to etsi-en-303-645 --targets "5.1-1;5.1-2" --rationale "narrower in scope"`,
		Args: exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			p.WorkspaceID, p.Sources, p.Targets = args[0], strings.Split(sources, ";"), strings.Split(targets, ";")
			got, err := ws.Propose(cmd.Context(), a, p)
			if err != nil {
				return err
			}
			return f.done(e, got, "%s %s: %s %s %s %s %s", got.ID, got.Status, got.From, strings.Join(got.Sources, ";"), got.Relationship,
				got.To, strings.Join(got.Targets, ";"))
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&p.Kind, "kind", iotsec.ProposalNew, "new, or change (of an existing map's relationship or confidence)")
	fs.StringVar(&p.From, "from", "", "the scheme mapped from")
	fs.StringVar(&sources, "sources", "", "its provision IDs, separated by semicolons")
	fs.StringVar(&p.Relationship, "relationship", "", "equivalent-to, equal-to, subset-of, superset-of, intersects-with or no-relationship")
	fs.StringVar(&p.To, "to", "", "the scheme mapped to")
	fs.StringVar(&targets, "targets", "", "its provision IDs, separated by semicolons")
	fs.StringVar(&p.Confidence, "confidence", "medium", "high, medium or low")
	fs.StringVar(&p.Rationale, "rationale", "", "why the provisions stand in this relationship")
	f.register(fs, lineOutput)
	return cmd
}

// newWorkspaceMoves are the commands that move one proposal:
// WORKSPACE PROPOSAL --org ORG.
func newWorkspaceMoves(e *env) []*cobra.Command {
	var out []*cobra.Command
	for _, m := range []struct {
		use, short, example string
		reason              bool
		do                  func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, text string) (any, iotsec.MappingProposal, error)
	}{
		{"comment", "Comment on a proposal (--body)", `iotsec workspace comment wsp_... mpr_... --org Ministry --body "which cases support this?"`, true,
			func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, text string) (any, iotsec.MappingProposal, error) {
				if err := ws.Comment(cmd.Context(), a, wsID, id, text); err != nil {
					return nil, iotsec.MappingProposal{}, err
				}
				p, err := ws.Proposal(cmd.Context(), a, wsID, id)
				return p, p, err
			}},
		{"approve", "Approve an open proposal (a reviewer of another organisation)", "iotsec workspace approve wsp_... mpr_... --org Lab", false,
			func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, _ string) (any, iotsec.MappingProposal, error) {
				p, err := ws.Approve(cmd.Context(), a, wsID, id)
				return p, p, err
			}},
		{"reject", "Reject an open proposal with a reason (a reviewer of another organisation)", `iotsec workspace reject wsp_... mpr_... --org Lab --reason "cite the cases first"`, true,
			func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, text string) (any, iotsec.MappingProposal, error) {
				p, err := ws.Reject(cmd.Context(), a, wsID, id, text)
				return p, p, err
			}},
		{"withdraw", "Withdraw an open proposal (the proposing organisation)", "iotsec workspace withdraw wsp_... mpr_... --org Maker", false,
			func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, _ string) (any, iotsec.MappingProposal, error) {
				p, err := ws.Withdraw(cmd.Context(), a, wsID, id)
				return p, p, err
			}},
		{"merge", "Merge an approved proposal into every accepted member's catalog", "iotsec workspace merge wsp_... mpr_... --org Maker", false,
			func(cmd *cobra.Command, ws *workspace.Service, a iotsec.Actor, wsID, id, _ string) (any, iotsec.MappingProposal, error) {
				m, err := ws.Merge(cmd.Context(), a, wsID, id)
				if err != nil {
					return nil, iotsec.MappingProposal{}, err
				}
				return m, m.Proposal, nil
			}},
	} {
		var f wsFlags
		var text string
		c := &cobra.Command{
			Use:     m.use + " WORKSPACE PROPOSAL --org ORG",
			Short:   m.short,
			Example: "  " + m.example,
			Args:    exactArgs(2, "two arguments, the workspace's and the proposal's IDs"),
			RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
				v, p, err := m.do(cmd, ws, a, args[0], args[1], text)
				if err != nil {
					return err
				}
				return f.done(e, v, "%s %s", p.ID, p.Status)
			}),
		}
		switch m.use {
		case "comment":
			c.Flags().StringVar(&text, "body", "", "the comment")
		case "reject":
			c.Flags().StringVar(&text, "reason", "", "why the proposal is rejected")
		}
		f.register(c.Flags(), lineOutput)
		out = append(out, c)
	}
	return out
}

func newWorkspaceReport(e *env) *cobra.Command {
	var f wsFlags
	var r iotsec.WorkspaceReport
	var from, to, merged string
	cmd := &cobra.Command{
		Use:     "report WORKSPACE --org ORG --title TEXT --from DATE --to DATE",
		Short:   "Publish a report of a period's work to the other workspaces' feeds",
		Example: `  iotsec workspace report wsp_... --org Lab --title "March" --from 2026-03-01 --to 2026-03-31 --merged mpr_... --gaps "5.13"`,
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			var err error
			if r.From, err = iotsec.ParseDate(from); err != nil {
				return usagef("--from: %v", err)
			}
			if r.To, err = iotsec.ParseDate(to); err != nil {
				return usagef("--to: %v", err)
			}
			r.WorkspaceID, r.Merged = args[0], strings.FieldsFunc(merged, func(c rune) bool { return c == ',' || c == ' ' || c == ';' })
			got, err := ws.Publish(cmd.Context(), a, r)
			if err != nil {
				return err
			}
			return f.done(e, got, "%s published: %s, %s to %s", got.ID, got.Title, got.From, got.To)
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&r.Title, "title", "", "the report's title")
	fs.StringVar(&from, "from", "", "the period's first day, YYYY-MM-DD")
	fs.StringVar(&to, "to", "", "its last day, YYYY-MM-DD")
	fs.StringVar(&merged, "merged", "", "the proposals merged in the period, separated by commas")
	fs.StringVar(&r.OpenQuestions, "open-questions", "", "questions left open")
	fs.StringVar(&r.Gaps, "gaps", "", "gaps found")
	f.register(fs, lineOutput)
	return cmd
}

func newWorkspaceRemove(e *env) *cobra.Command {
	var f wsFlags
	var member string
	cmd := &cobra.Command{
		Use:     "remove WORKSPACE --org ORG --member ORG",
		Short:   "Remove an organisation from the workspace (the organisation that created it)",
		Example: "  iotsec workspace remove wsp_... --org Ministry --member Maker",
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, s iotsec.Store, ws *workspace.Service) error {
			o, err := findOrg(cmd, s, member)
			if err != nil {
				return err
			}
			if err := ws.Remove(cmd.Context(), a, args[0], o.ID); err != nil {
				return err
			}
			w, err := ws.Get(cmd.Context(), a, args[0])
			if err != nil {
				return err
			}
			return f.done(e, w, "%s removed from %s", o.Name, w.Name)
		}),
	}
	cmd.Flags().StringVar(&member, "member", "", "the organisation removed (ID or name)")
	f.register(cmd.Flags(), lineOutput)
	return cmd
}

func newWorkspaceLeave(e *env) *cobra.Command {
	var f wsFlags
	cmd := &cobra.Command{
		Use:     "leave WORKSPACE --org ORG",
		Short:   "Leave a workspace, or decline its invitation",
		Example: "  iotsec workspace leave wsp_... --org Lab",
		Args:    exactArgs(1, "one argument, the workspace's ID"),
		RunE: f.run(e, func(cmd *cobra.Command, args []string, a iotsec.Actor, _ iotsec.Store, ws *workspace.Service) error {
			if err := ws.Leave(cmd.Context(), a, args[0]); err != nil {
				return err
			}
			return f.done(e, map[string]string{"workspace": args[0], "left": a.OrgID}, "left %s", args[0])
		}),
	}
	f.register(cmd.Flags(), lineOutput)
	return cmd
}
