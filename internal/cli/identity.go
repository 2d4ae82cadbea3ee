package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/identity"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newIdentity(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "identity",
		Short: "Verify device certificates; manage trust anchors, enrolment tokens and identity audits",
		Long: `Identity covers devices' certificates: 'verify' checks a chain offline (no
database), the others work on an organisation's identity registry: the trust
anchors its devices' onboarding identities (IEEE 802.1AR IDevIDs, Matter DACs)
chain to, one-time EST enrolment tokens, and the identity audit.

The certificate authority that issues operational certificates (LDevIDs) is
'iotsec ca'; devices and their lifecycle are 'iotsec device'.`,
		Example: `  iotsec identity verify --roots maker-root.pem --chain device.pem --profile idevid
  iotsec identity root add maker-root.pem --org Acme
  iotsec identity audit --org Acme -o json`,
	}
	root := &cobra.Command{Use: "root", Short: "Trust anchors: makers' IDevID roots, Matter PAAs, intermediates",
		Example: "  iotsec identity root add maker-root.pem --org Acme\n  iotsec identity root list --org Acme"}
	root.AddCommand(newRootAdd(e), newRootList(e), newRootCRL(e))
	token := &cobra.Command{Use: "token", Short: "One-time EST enrolment tokens for devices without an IDevID",
		Example: "  iotsec identity token create SN-0042 --org Acme --expires 48h"}
	token.AddCommand(newTokenCreateEnrol(e))
	cmd.AddCommand(newVerify(e), root, token, newIdentityAudit(e))
	return cmd
}

// outputFormat resolves -o: text on a terminal and json otherwise when not
// given.
func outputFormat(e *env, o string, allowed ...string) (string, error) {
	if o == "" {
		if isTerminal(e.stdout) {
			return allowed[0], nil
		}
		return "json", nil
	}
	for _, a := range allowed {
		if o == a {
			return o, nil
		}
	}
	if o == "json" {
		return o, nil
	}
	return "", usagef("-o must be %s or json", strings.Join(allowed, ", "))
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readInput reads a file (or - for standard input) within the bundle
// limit.
func readInput(e *env, name, flag string) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%s: %v", flag, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, identity.MaxBundleSize+1))
	if err != nil {
		return nil, usagef("%s: %v", flag, err)
	}
	if len(b) > identity.MaxBundleSize {
		return nil, usagef("%s: larger than %d bytes", flag, identity.MaxBundleSize)
	}
	return b, nil
}

// parseAt reads --at: RFC 3339 or a date (midnight UTC).
func parseAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--at %q: want RFC 3339 (2026-03-01T12:00:00Z) or a date (2026-03-01)", s)
}

// readFile reads a file (or - for standard input) for VerifyFiles: at
// most one byte over the bundle limit, so an oversized file becomes a
// problem in the result rather than an error. Only a file that cannot be
// opened or read is a usage error.
func readFile(e *env, name, flag string) (identity.InputFile, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return identity.InputFile{}, usagef("%s: %v", flag, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, identity.MaxBundleSize+1))
	if err != nil {
		return identity.InputFile{}, usagef("%s: %v", flag, err)
	}
	return identity.InputFile{Name: name, Data: b}, nil
}

// parseID reads --vid/--pid: four hex digits, optionally 0x-prefixed.
func parseID(flag, s string) (uint16, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), 16, 16)
	if err != nil || v == 0 {
		return 0, usagef("%s %q: want a non-zero hexadecimal ID such as FFF1", flag, s)
	}
	return uint16(v), nil
}

func newVerify(e *env) *cobra.Command {
	var chain, at, profile, output, cd, vid, pid string
	var roots, crls, names, ekus, cdSigners []string
	cmd := &cobra.Command{
		Use:   "verify --roots ROOTS.pem --chain CHAIN.pem",
		Short: "Verify a device certificate chain offline",
		Long: `Verify builds a path from the chain's first certificate (the leaf) through the
chain's other certificates to one of the roots, and checks it: RFC 5280
(validity, basic constraints, path length, key usage, critical extensions,
name constraints for every name, key identifiers), the CRLs given, and the
profile's rules: x509 (a device end-entity certificate), idevid (IEEE
802.1AR) or matter-dac (Matter DAC, PAI, PAA). It needs no database.

For matter-dac, --cd gives the Certification Declaration the device returned
(DER or hex) and --cd-signer the certificates of the keys trusted to sign it;
--vid and --pid the VendorID and ProductID the device reports (Basic
Information cluster).

The result is {"valid": bool, "chain": [subjects, leaf first], "problems":
[{"code": ..., "detail": ...}]}, with stable problem codes (docs/identity.md),
whatever the files hold: a certificate or CRL that does not parse, or a file
over the limits, is a problem naming the file and the item's index. The exit
code is 0 when the chain is valid and 1 when it is not; 2 only for bad flags
or a file that cannot be read. Output is text on a terminal and JSON
otherwise, unless -o says.`,
		Example: `  iotsec identity verify --roots maker-root.pem --chain device.pem --profile idevid
  iotsec identity verify --roots root.pem --chain leaf.pem --name sensor-7.example.com --eku clientAuth
  iotsec identity verify --roots paa.pem --chain dac-pai.pem --profile matter-dac --crl pai.crl \
      --cd cd.der --cd-signer cd-signing.pem --vid FFF1 --pid 8000 -o json
  iotsec identity verify --roots root.pem --chain leaf.pem --at 2030-01-01`,
		Args: exactArgs(0, "no arguments; use --roots and --chain"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(e, output, "text")
			if err != nil {
				return err
			}
			if len(roots) == 0 || chain == "" {
				return usagef("--roots and --chain are required")
			}
			p, err := identity.ParseProfile(profile)
			if err != nil {
				return usagef("--profile: %v", err)
			}
			opts := identity.VerifyOptions{At: time.Now().UTC(), Profile: p, Names: names}
			if at != "" {
				if opts.At, err = parseAt(at); err != nil {
					return err
				}
			}
			for _, s := range ekus {
				eku, ok := identity.ParseExtKeyUsage(s)
				if !ok {
					return usagef("--eku %q: want serverAuth, clientAuth, codeSigning, emailProtection, timeStamping or OCSPSigning", s)
				}
				opts.ExtKeyUsage = append(opts.ExtKeyUsage, eku)
			}
			matter := cd != "" || len(cdSigners) > 0 || vid != "" || pid != ""
			if matter && p != identity.Profile("matter-dac") {
				return usagef("--cd, --cd-signer, --vid and --pid need --profile matter-dac")
			}
			if (cd == "") != (len(cdSigners) == 0) {
				return usagef("--cd and --cd-signer go together: the declaration and the keys trusted to sign it")
			}
			var in identity.VerifyInput
			if matter {
				m := &identity.MatterOptions{}
				if vid != "" {
					if m.VendorID, err = parseID("--vid", vid); err != nil {
						return err
					}
				}
				if pid != "" {
					if m.ProductID, err = parseID("--pid", pid); err != nil {
						return err
					}
				}
				opts.Matter = m
				if cd != "" {
					f, err := readFile(e, cd, "--cd")
					if err != nil {
						return err
					}
					in.CD = &f
				}
				for _, s := range cdSigners {
					f, err := readFile(e, s, "--cd-signer")
					if err != nil {
						return err
					}
					in.CDSigners = append(in.CDSigners, f)
				}
			}
			for _, r := range roots {
				f, err := readFile(e, r, "--roots")
				if err != nil {
					return err
				}
				in.Roots = append(in.Roots, f)
			}
			for _, c := range crls {
				f, err := readFile(e, c, "--crl")
				if err != nil {
					return err
				}
				in.CRLs = append(in.CRLs, f)
			}
			if in.Chain, err = readFile(e, chain, "--chain"); err != nil {
				return err
			}
			r := identity.VerifyFiles(in, opts)
			if format == "json" {
				err = writeJSON(e.stdout, r)
			} else {
				err = printVerdict(e.stdout, r)
			}
			if err != nil {
				return err
			}
			if !r.Valid {
				return checkFailed{"the chain is not valid"}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&roots, "roots", nil, "trust anchors, PEM or DER (required; repeat for several files)")
	f.StringVar(&chain, "chain", "", "the leaf, then any intermediates, PEM or DER (required)")
	f.StringArrayVar(&crls, "crl", nil, "CRL, PEM or DER (repeat for several)")
	f.StringVar(&profile, "profile", "x509", "x509, idevid or matter-dac")
	f.StringVar(&at, "at", "", "verification time, RFC 3339 or YYYY-MM-DD (default now)")
	f.StringArrayVar(&names, "name", nil, "name the leaf must carry (SAN, subject serialNumber or CN), checked against name constraints too; repeat for several")
	f.StringArrayVar(&ekus, "eku", nil, "extended key usage the chain must allow (serverAuth, clientAuth, ...); repeat for several")
	f.StringVar(&cd, "cd", "", "matter-dac: the Certification Declaration, DER or hex")
	f.StringArrayVar(&cdSigners, "cd-signer", nil, "matter-dac: certificate of a key trusted to sign declarations, PEM or DER (repeat for several)")
	f.StringVar(&vid, "vid", "", "matter-dac: the device's VendorID, hex (e.g. FFF1)")
	f.StringVar(&pid, "pid", "", "matter-dac: the device's ProductID, hex (e.g. 8000)")
	f.StringVarP(&output, "output", "o", "", "output: text or json (default text on a terminal, json otherwise)")
	return cmd
}

func printVerdict(w io.Writer, r identity.Result) error {
	verdict := "VALID"
	if !r.Valid {
		verdict = "NOT VALID"
	}
	fmt.Fprintln(w, verdict)
	fmt.Fprintln(w, "chain (leaf first):")
	for i, s := range r.Chain {
		fmt.Fprintf(w, "  %d  %s\n", i, s)
	}
	if len(r.Chain) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(w, "problems:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, p := range r.Problems {
			fmt.Fprintf(tw, "  %s\t%s\n", p.Code, p.Detail)
		}
		return tw.Flush()
	}
	return nil
}

// identityEnv is an open store with the identity service over it, acting
// for one organisation with the database's authority.
type identityEnv struct {
	store iotsec.Store
	svc   *identity.Service
	org   iotsec.Organisation
	actor iotsec.Actor
	cfg   config.Config
}

// openIdentity opens the store and the identity service for --org.
func openIdentity(cmd *cobra.Command, e *env, org string) (*identityEnv, error) {
	s, cfg, err := open(cmd, e)
	if err != nil {
		return nil, err
	}
	sv, err := services(e, s, cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	o, err := findOrg(cmd, s, org)
	if err != nil {
		s.Close()
		return nil, err
	}
	return &identityEnv{store: s, svc: sv.Identity, org: o, actor: iotsec.System(o.ID, "cli"), cfg: cfg}, nil
}

func (ie *identityEnv) Close() error { return ie.store.Close() }

// device finds a device of the organisation by unique ID or registry ID.
func (ie *identityEnv) device(ctx context.Context, ref string) (iotsec.Device, error) {
	if strings.HasPrefix(ref, iotsec.PrefixDevice+"_") {
		if d, err := ie.store.GetDevice(ctx, ie.actor, ref); err == nil {
			return d, nil
		}
	}
	ds, err := ie.store.ListDevices(ctx, ie.actor, iotsec.DeviceFilter{UID: ref, Limit: 1})
	if err != nil {
		return iotsec.Device{}, err
	}
	if len(ds) == 0 {
		return iotsec.Device{}, iotsec.NotFound(fmt.Sprintf("device %q in %s", ref, ie.org.Name))
	}
	return ds[0], nil
}

// product finds a product of an organisation by model number or ID.
func product(ctx context.Context, s iotsec.Store, a iotsec.Actor, ref string) (iotsec.Product, error) {
	ps, err := s.ListProducts(ctx, a)
	if err != nil {
		return iotsec.Product{}, err
	}
	for _, p := range ps {
		if p.ID == ref || p.Model == ref {
			return p, nil
		}
	}
	for _, p := range ps {
		if strings.EqualFold(p.Model, ref) {
			return p, nil
		}
	}
	return iotsec.Product{}, iotsec.NotFound(fmt.Sprintf("product %q (by model number or ID)", ref))
}

func newRootAdd(e *env) *cobra.Command {
	var org, kind, name string
	cmd := &cobra.Command{
		Use:   "add FILE",
		Short: "Register trust anchors from a PEM or DER file",
		Long: `Add registers every certificate in FILE as a trust anchor of the organisation:
a maker's IDevID root (or issuing CA), a Matter PAA, or an intermediate that
helps build paths to them. Onboarding identities are verified against these,
when registered and when devices enrol over EST.`,
		Example: `  iotsec identity root add acme-idevid-root.pem --org Acme
  iotsec identity root add paa.pem --org Acme --kind matter-paa
  iotsec identity root add acme-issuing-ca.pem --org Acme --kind intermediate`,
		Args: exactArgs(1, "one argument, the file (or - for standard input)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readInput(e, args[0], "FILE")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			ts, err := ie.svc.AddAnchors(cmd.Context(), ie.actor, iotsec.AnchorKind(kind), name, b)
			for _, t := range ts {
				fmt.Fprintf(e.stdout, "registered %s %s (%s), SHA-256 %s, valid until %s\n", t.Kind, t.ID, t.Subject, t.Fingerprint, t.NotAfter.Format(time.DateOnly))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&kind, "kind", string(iotsec.AnchorIDevIDRoot), "idevid-root, matter-paa or intermediate")
	cmd.Flags().StringVar(&name, "name", "", "name (default: the certificate's common name)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newRootList(e *env) *cobra.Command {
	var org, output string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the organisation's trust anchors",
		Example: "  iotsec identity root list --org Acme\n  iotsec identity root list --org Acme -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(e, output, "table")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			ts, err := ie.store.ListAnchors(cmd.Context(), ie.actor)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(e.stdout, ts)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tNAME\tNOT AFTER\tCRL\tSHA-256")
			for _, t := range ts {
				crl := "-"
				if !t.CRLNextUpdate.IsZero() {
					crl = "until " + t.CRLNextUpdate.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Kind, t.Name, t.NotAfter.Format(time.DateOnly), crl, t.Fingerprint[:16])
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: table or json (default table on a terminal, json otherwise)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newRootCRL(e *env) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:   "crl ANCHOR-ID FILE",
		Short: "Add the CRL a trust anchor's issuer published",
		Long: `Crl stores the CRL a maker published for a registered root or intermediate,
after checking the anchor signed it. IDevIDs it lists can no longer enrol, and
onboarding identities registered later are checked against it.`,
		Example: "  iotsec identity root crl ta_06h1... acme-idevid.crl --org Acme",
		Args:    exactArgs(2, "two arguments, the anchor ID and the CRL file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readInput(e, args[1], "FILE")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			t, err := ie.svc.AddAnchorCRL(cmd.Context(), ie.actor, args[0], b)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "stored the CRL of %s; next update %s\n", t.Subject, t.CRLNextUpdate.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newTokenCreateEnrol(e *env) *cobra.Command {
	var org string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create DEVICE",
		Short: "Create a one-time enrolment token for a device and print it",
		Long: `Create makes a one-time token with which a device that has no IDevID enrols
over EST (as the HTTP Basic password, or a Bearer token). The token is printed
once, alone on standard output; iotsec keeps only its hash. DEVICE is the
device's unique ID or registry ID.`,
		Example: `  iotsec identity token create SN-0042 --org Acme
  TOKEN=$(iotsec identity token create SN-0042 --org Acme --expires 1h)`,
		Args: exactArgs(1, "one argument, the device"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			d, err := ie.device(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			t, err := ie.svc.CreateEnrolToken(cmd.Context(), ie.actor, d.ID, expires)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, t.Secret)
			fmt.Fprintf(e.stderr, "created enrolment token %s for %s, valid until %s; the token above is shown only once\n", t.ID, d.UID, t.ExpiresAt.Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().DurationVar(&expires, "expires", identity.DefaultTokenTTL, "lifetime, e.g. 24h")
	config.Flags(cmd.Flags(), false)
	return cmd
}

func newIdentityAudit(e *env) *cobra.Command {
	var org, output string
	var expiring, maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit the organisation's device identities",
		Long: `Audit checks every certificate in the organisation's registry: one certificate
or one key on several devices (cloning), weak keys, certificates expiring soon
or expired in service, revoked certificates on operational devices, revoked
issuers with active leaves, old LDevIDs, duplicate device IDs, and IDevIDs that
do not chain to a registered root. It exits 1 when it finds anything.`,
		Example: `  iotsec identity audit --org Acme
  iotsec identity audit --org Acme -o json --expiring-within 2160h`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(e, output, "table")
			if err != nil {
				return err
			}
			ie, err := openIdentity(cmd, e, org)
			if err != nil {
				return err
			}
			defer ie.Close()
			fs, err := ie.svc.Audit(cmd.Context(), ie.actor, identity.AuditOptions{ExpiringWithin: expiring, MaxAge: maxAge})
			if err != nil {
				return err
			}
			if format == "json" {
				err = writeJSON(e.stdout, fs)
			} else {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEVERITY\tRULE\tDEVICES\tDETAIL")
				for _, f := range fs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Rule, strings.Join(f.DeviceUIDs, ","), f.Detail)
				}
				if err = tw.Flush(); err == nil {
					fmt.Fprintf(e.stdout, "%d finding%s\n", len(fs), map[bool]string{true: "", false: "s"}[len(fs) == 1])
				}
			}
			if err != nil {
				return err
			}
			if len(fs) > 0 {
				return checkFailed{"the audit found problems"}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: table or json (default table on a terminal, json otherwise)")
	cmd.Flags().DurationVar(&expiring, "expiring-within", 30*24*time.Hour, "flag certificates expiring within this time")
	cmd.Flags().DurationVar(&maxAge, "max-age", 398*24*time.Hour, "flag LDevIDs older than this")
	config.Flags(cmd.Flags(), false)
	return cmd
}

// certLine describes a certificate on one line.
func certLine(c iotsec.DeviceCert) string {
	s := fmt.Sprintf("%s  serial %s  %s  until %s  via %s", c.Status, c.Serial, c.Subject, c.NotAfter.Format(time.DateOnly), c.Via)
	if c.Status != iotsec.CertActive {
		s += fmt.Sprintf("  (%s %s)", c.Reason, c.RevokedAt.Format(time.RFC3339))
	}
	return s
}
