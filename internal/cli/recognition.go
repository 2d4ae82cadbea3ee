package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// newRegistryRecognition is `iotsec registry recognition`: requests
// between scheme owners to recognise each other's labels.
func newRegistryRecognition(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recognition",
		Short: "Recognition requests between scheme owners",
		Long: `A scheme's owner asks the owner of another scheme to recognise its label;
the other owner agrees (the recognition is written into both organisations'
catalogs) or refuses with a reason; the requester may withdraw while the
request is submitted. Only the two organisations see a request.`,
		Example: `  iotsec registry recognition request --org KISA --from kr-cic:standard --to jp-jc-star:2 --rationale "..."
  iotsec registry recognition agree rrq_... --org IPA`,
	}
	var org, from, to, kind, rationale string
	req := &cobra.Command{
		Use:     "request --org ORG --from SLUG[:LEVEL] --to SLUG[:LEVEL] --rationale TEXT [--kind simplified-route]",
		Short:   "Ask the owner of another scheme to recognise one the organisation owns",
		Example: `  iotsec registry recognition request --org KISA --from kr-cic:standard --to jp-jc-star:2 --rationale "KC standard tests every level 2 requirement"`,
		Args:    exactArgs(0, "no arguments"),
		RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			fs, fl := splitRef(from)
			ts, tl := splitRef(to)
			r, err := svc.RequestRecognition(cmd.Context(), a, iotsec.RecognitionRequest{FromScheme: fs, FromLevel: fl, ToScheme: ts, ToLevel: tl,
				Kind: kind, Rationale: rationale})
			if err != nil {
				return err
			}
			return printRecognition(e, r)
		}),
	}
	req.Flags().StringVar(&org, "org", "", "the requesting organisation, owner of the --from scheme (ID or name)")
	req.Flags().StringVar(&from, "from", "", "the organisation's scheme, and the lowest level recognised: SLUG or SLUG:LEVEL")
	req.Flags().StringVar(&to, "to", "", "the other scheme, and the level it counts as: SLUG or SLUG:LEVEL")
	req.Flags().StringVar(&kind, "kind", "", "deemed-equivalence (default) or simplified-route")
	req.Flags().StringVar(&rationale, "rationale", "", "why, with the evidence")
	dbFlags(req.Flags())

	var listOrg string
	list := &cobra.Command{
		Use:     "list --org ORG",
		Short:   "List the requests the organisation sent or received (as JSON)",
		Example: "  iotsec registry recognition list --org IPA",
		Args:    exactArgs(0, "no arguments"),
		RunE: withRegistry(e, &listOrg, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
			rs, err := svc.Recognitions(cmd.Context(), a)
			if err != nil {
				return err
			}
			return writeJSON(e.stdout, rs)
		}),
	}
	list.Flags().StringVar(&listOrg, "org", "", "the organisation (ID or name)")
	dbFlags(list.Flags())
	cmd.AddCommand(req, list)

	for _, m := range []struct {
		use, short string
		do         func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id, reason string) (iotsec.RecognitionRequest, error)
	}{
		{"agree", "Agree to a request addressed to the organisation: both catalogs get the recognition", func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id, _ string) (iotsec.RecognitionRequest, error) {
			return svc.AgreeRecognition(cmd.Context(), a, id)
		}},
		{"refuse", "Refuse a request addressed to the organisation, with a reason", func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id, reason string) (iotsec.RecognitionRequest, error) {
			return svc.RefuseRecognition(cmd.Context(), a, id, reason)
		}},
		{"withdraw", "Withdraw a request the organisation sent", func(svc *registry.Service, cmd *cobra.Command, a iotsec.Actor, id, reason string) (iotsec.RecognitionRequest, error) {
			return svc.WithdrawRecognition(cmd.Context(), a, id, reason)
		}},
	} {
		var org, reason string
		c := &cobra.Command{
			Use:     m.use + " ID --org ORG",
			Short:   m.short,
			Example: fmt.Sprintf("  iotsec registry recognition %s rrq_... --org IPA --reason \"...\"", m.use),
			Args:    exactArgs(1, "one argument, the request's ID"),
			RunE: withRegistry(e, &org, func(cmd *cobra.Command, args []string, a iotsec.Actor, svc *registry.Service) error {
				r, err := m.do(svc, cmd, a, args[0], reason)
				if err != nil {
					return err
				}
				return printRecognition(e, r)
			}),
		}
		c.Flags().StringVar(&org, "org", "", "the organisation acting (ID or name)")
		c.Flags().StringVar(&reason, "reason", "", "why")
		dbFlags(c.Flags())
		cmd.AddCommand(c)
	}
	return cmd
}

func splitRef(s string) (slug, level string) {
	for i := range len(s) {
		if s[i] == ':' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func printRecognition(e *env, r iotsec.RecognitionRequest) error {
	lvl := func(slug, level string) string {
		if level == "" {
			return slug
		}
		return slug + ":" + level
	}
	_, err := fmt.Fprintf(e.stdout, "%s %s: %s as %s (%s), %s to %s\n", r.ID, r.Status, lvl(r.FromScheme, r.FromLevel), lvl(r.ToScheme, r.ToLevel),
		r.Kind, r.FromOrgName, r.ToOrgName)
	return err
}
