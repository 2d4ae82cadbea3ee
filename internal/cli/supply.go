package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// dbFlags registers the database flags, with --db as another name for
// --database.
func dbFlags(fs *pflag.FlagSet) {
	config.Flags(fs, false)
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "db" {
			name = "database"
		}
		return pflag.NormalizedName(name)
	})
}

func newVulnDB(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "vulndb", Short: "Import and inspect the offline vulnerability data (NVD, OSV, KEV, EPSS, VEX)",
		Example: "  iotsec vulndb import nvdcve-2.0-2024.json.gz known_exploited_vulnerabilities.json\n  iotsec vulndb status"}
	var kind string
	var noRematch bool
	imp := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import vulnerability data files into the database",
		Long: `Import reads NVD CVE JSON 2.0 (yearly nvdcve-2.0-YYYY.json.gz feeds, the
-modified feed, API pages, single CVE files, and anchore/nvd-data-overrides
files or directories), OSV (JSON files, directories or zip archives such as
osv.dev's all.zip), the CISA KEV catalogue (JSON), FIRST EPSS scores (CSV,
optionally gzipped) and vendor VEX (OpenVEX, CycloneDX VEX, CSAF VEX).
The kind is detected from the content unless --kind says it. Whatever the
kind, a file is refused past 8 GiB decompressed, a compression ratio over
200:1 (past 64 MiB), a megabyte of whitespace in a row or 30 minutes; a
broken gzip checksum, length trailer or a cut stream is named as such.

Each PATH is one transaction: a truncated or corrupt file changes nothing
and the error says which file, record and byte offset broke. Importing the
same file again replaces its records (imports are idempotent).

After importing, every stored SBOM and scanned firmware version of every
organisation is matched again (no image is rescanned) and what is newly
affected is recorded: notifications, and CRA report drafts for newly known
exploited vulnerabilities. --no-rematch skips that.`,
		Example: `  iotsec vulndb import nvdcve-2.0-2024.json.gz nvdcve-2.0-modified.json.gz
  iotsec vulndb import known_exploited_vulnerabilities.json epss_scores-2026-11-24.csv.gz
  iotsec vulndb import osv/Debian/all.zip nvd-data-overrides/data`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("%s takes one or more paths", cmd.CommandPath())
			}
			return nil
		},
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			if kind != "" && !slices.Contains(supply.Kinds(), kind) {
				return usagef("--kind %q is not one of %s", kind, strings.Join(supply.Kinds(), ", "))
			}
			svc := sv.Supply
			for _, p := range args {
				rec, err := svc.Import(cmd.Context(), "cli", p, kind)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "imported %d %s records from %s (sha256 %s)\n", rec.Records, rec.Kind, p, short(rec.SHA256))
			}
			if noRematch {
				return nil
			}
			sum, err := svc.RematchAll(cmd.Context())
			if err != nil {
				return err
			}
			printSummary(e.stdout, sum)
			if sum.Failed > 0 {
				return checkFailed{fmt.Sprintf("%d firmware versions could not be matched", sum.Failed)}
			}
			return nil
		}),
	}
	imp.Flags().StringVar(&kind, "kind", "", "kind of data: "+strings.Join(supply.Kinds(), ", ")+" (default: detected)")
	imp.Flags().BoolVar(&noRematch, "no-rematch", false, "do not match stored SBOMs again after the import")
	dbFlags(imp.Flags())

	var output string
	status := &cobra.Command{
		Use:     "status",
		Short:   "Show what vulnerability data the database holds: sources, counts and dates",
		Example: "  iotsec vulndb status\n  iotsec vulndb status -o json --db postgres://iotsec@db/iotsec",
		Args:    exactArgs(0, "no arguments"),
		RunE: withStore(e, func(cmd *cobra.Command, args []string, s iotsec.Store, cfg config.Config) error {
			if output != "table" && output != "json" {
				return usagef("-o %q is not one of table, json", output)
			}
			srcs, imps, err := s.VulnSources(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(e.stdout, map[string]any{"sources": srcs, "imports": imps})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SOURCE\tRECORDS\tNEWEST\tFILES\tLAST IMPORT")
			for _, v := range srcs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", v.Kind, v.Records, day(v.Newest), v.Files, stamp(v.LastImport))
			}
			return tw.Flush()
		}),
	}
	status.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	dbFlags(status.Flags())

	var rmOrg string
	rematch := &cobra.Command{
		Use:     "rematch",
		Short:   "Match every stored SBOM and scanned firmware version against the data again",
		Example: "  iotsec vulndb rematch\n  iotsec vulndb rematch --org Acme",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			svc := sv.Supply
			var sum supply.Summary
			var err error
			if rmOrg == "" {
				sum, err = svc.RematchAll(cmd.Context())
			} else {
				o, ferr := findOrg(cmd, s, rmOrg)
				if ferr != nil {
					return ferr
				}
				sum, err = svc.RematchOrg(cmd.Context(), iotsec.System(o.ID, "cli"), nil)
			}
			if err != nil {
				return err
			}
			printSummary(e.stdout, sum)
			return nil
		}),
	}
	rematch.Flags().StringVar(&rmOrg, "org", "", "only this organisation (ID or name)")
	dbFlags(rematch.Flags())
	cmd.AddCommand(imp, status, rematch)
	return cmd
}

func printSummary(w io.Writer, sum supply.Summary) {
	fmt.Fprintf(w, "matched %d firmware versions again: %d matches, %d newly affected, %d CRA report drafts\n",
		sum.Firmware, sum.Matches, sum.New, sum.CRADrafts)
	for _, r := range sum.NewDetails {
		ids := []string{}
		for _, m := range r.New {
			if !m.Suppressed && !slices.Contains(ids, m.VulnID) {
				ids = append(ids, m.VulnID)
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(w, "  %s: newly affected by %s\n", r.FirmwareID, strings.Join(ids, ", "))
		}
	}
	for _, msg := range sum.Errors {
		fmt.Fprintf(w, "  failed: %s\n", msg)
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// matchesError says matches reached --fail-on: a verdict, exit code 3 as
// scan's findings.
type matchesError struct {
	n   int
	sev string
}

func (e matchesError) Error() string {
	return fmt.Sprintf("%d open matches at or above %s", e.n, e.sev)
}

func matchFailed(n int, sev string) error { return matchesError{n, sev} }

func newMatch(e *env) *cobra.Command {
	var (
		output, failOn string
		vexFiles       []string
		platform       []string
	)
	cmd := &cobra.Command{
		Use:   "match SBOM",
		Short: "Match an SBOM's components against the offline vulnerability data",
		Long: `Match reads an SBOM (CycloneDX 1.x JSON or XML, SPDX 2.3 JSON or tag-value)
and matches its components against the vulnerability data in the database
(import it with iotsec vulndb import): CPEs against NVD configurations,
purls against OSV ranges. Each match says why (which configuration and
range, or which OSV range), and carries CVSS, KEV status, EPSS and the
fixed version when known. VEX statements from --vex files (OpenVEX,
CycloneDX VEX, CSAF) and vendor VEX in the database apply.

-o json prints {"matches": [...]}, each with component (name, version,
cpe, purl), vulnerability (id, source, aliases, severity, cvss, kev, epss),
fixed_version, vex, via and reason. With --fail-on, the exit code is 3 when
a match not suppressed by VEX is at least that severe (low, medium, high,
critical; kev: any known exploited vulnerability).`,
		Example: `  iotsec match firmware.cdx.json
  iotsec match firmware.spdx.json -o json --db postgres://iotsec@db/iotsec
  iotsec match firmware.cdx.json --vex our-analysis.openvex.json --fail-on high`,
		Args: exactArgs(1, "one argument, the SBOM file"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			if output != "table" && output != "json" {
				return usagef("-o %q is not one of table, json", output)
			}
			failOn = strings.ToLower(failOn)
			if failOn != "" && failOn != "kev" && supply.SeverityRank(failOn) < 2 {
				return usagef("--fail-on %q is not one of low, medium, high, critical, kev", failOn)
			}
			if err := requireData(cmd, s, cfg); err != nil {
				return err
			}
			res, err := sv.Supply.MatchSBOMFile(cmd.Context(), args[0], vexFiles, platform)
			if err != nil {
				return err
			}
			ms := res.Matches
			if output == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				err = enc.Encode(map[string]any{"matches": ms})
			} else {
				err = matchTable(e.stdout, res)
			}
			if err != nil || failOn == "" {
				return err
			}
			n := 0
			for _, m := range ms {
				if m.Suppressed() {
					continue
				}
				if failOn == "kev" && m.Vulnerability.KEV != nil || failOn != "kev" && supply.SeverityRank(supply.Row(m).Severity) >= supply.SeverityRank(failOn) {
					n++
				}
			}
			if n > 0 {
				return matchFailed(n, failOn)
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when a match is at least this severe: low, medium, high, critical, or kev")
	cmd.Flags().StringArrayVar(&vexFiles, "vex", nil, "VEX document to apply (OpenVEX, CycloneDX VEX or CSAF); repeatable")
	cmd.Flags().StringArrayVar(&platform, "platform", nil, "CPE of the hardware the firmware runs on, for platform (AND) configurations; repeatable")
	dbFlags(cmd.Flags())
	return cmd
}

// requireData refuses to match against an empty database: no matches
// there would read as "not vulnerable".
func requireData(cmd *cobra.Command, s iotsec.Store, cfg config.Config) error {
	srcs, _, err := s.VulnSources(cmd.Context())
	if err != nil {
		return err
	}
	for _, v := range srcs {
		if v.Kind != "kev" && v.Kind != "epss" && v.Kind != "vex" && v.Records > 0 {
			return nil
		}
	}
	return usagef("the database %s holds no NVD or OSV records: import some with iotsec vulndb import (or name another database with --db)", cfg.Redacted())
}

func matchTable(w io.Writer, res supply.SBOMMatches) error {
	ms := res.Matches
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tVULNERABILITY\tSEVERITY\tCVSS\tKEV\tEPSS\tFIXED IN\tVEX")
	open := 0
	for _, m := range ms {
		r := supply.Row(m)
		cvss, kev, epss := "-", "-", "-"
		if m.Vulnerability.CVSS != nil {
			cvss = fmt.Sprintf("%.1f", m.Vulnerability.CVSS.Score)
		}
		if m.Vulnerability.KEV != nil {
			kev = "KEV " + day(m.Vulnerability.KEV.DateAdded)
		}
		if m.Vulnerability.EPSS != nil {
			epss = fmt.Sprintf("%.3f", m.Vulnerability.EPSS.Score)
		}
		vx := "-"
		if m.VEX != nil {
			vx = m.VEX.Status
			if m.VEX.Justification != "" {
				vx += " (" + m.VEX.Justification + ")"
			}
		}
		if !m.Suppressed() {
			open++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Component.Name, orDash(m.Component.Version), m.Vulnerability.ID, r.Severity,
			cvss, kev, epss, orDash(m.FixedVersion), vx)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ms) > 0 {
		fmt.Fprintln(w, "\nwhy:")
	}
	for _, m := range ms {
		fmt.Fprintf(w, "  %s in %s %s: %s\n", m.Vulnerability.ID, m.Component.Name, m.Component.Version, m.Reason)
		if m.VEX != nil && m.VEX.Impact != "" {
			fmt.Fprintf(w, "    vex: %s\n", m.VEX.Impact)
		}
	}
	_, err := fmt.Fprintf(w, "%d components, %d matches, %d open (not suppressed by VEX)\n", res.Components, len(ms), open)
	return err
}

// firmwareActor resolves --org to an actor for the command line.
func orgActor(cmd *cobra.Command, s iotsec.Store, org string) (iotsec.Actor, error) {
	o, err := findOrg(cmd, s, org)
	if err != nil {
		return iotsec.Actor{}, err
	}
	return iotsec.System(o.ID, "cli"), nil
}

func newSBOMImport(e *env) *cobra.Command {
	var org, firmware string
	cmd := &cobra.Command{
		Use:     "import FILE",
		Short:   "Store a maker's SBOM for a firmware version and match it",
		Example: "  iotsec sbom import r100-1.2.cdx.json --org Acme --firmware fw_...",
		Long: `Import validates an SBOM (CycloneDX or SPDX, JSON, XML or tag-value),
stores it for a firmware version, replacing the components its scan found,
and matches it against the vulnerability data. Validation errors point at
the element (components[2] (bom-ref a).hashes[0]: ...).`,
		Args: exactArgs(1, "one argument, the SBOM file"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			if firmware == "" {
				return usagef("--firmware is required (a firmware version ID)")
			}
			max := supply.DefaultSBOMLimits().MaxBytes
			data, err := readLimited(args[0], max)
			if err != nil {
				return iotsec.Errorf(iotsec.ErrNotFound, "%v", err)
			}
			if int64(len(data)) > max {
				return iotsec.Errorf(iotsec.ErrTooLarge, "%s is larger than %d bytes", args[0], max)
			}
			b, res, err := sv.Supply.ImportSBOM(cmd.Context(), a, firmware, baseName(args[0]), data)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "stored %s SBOM with %d components for %s: %d matches, %d new, %d CRA report drafts\n",
				b.Format, b.Components, firmware, res.Matches, len(res.New), len(res.CRADrafts))
			return nil
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&firmware, "firmware", "", "firmware version ID")
	dbFlags(cmd.Flags())
	return cmd
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func newVEX(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "vex", Short: "Record and export VEX statements for firmware versions",
		Example: "  iotsec vex add CVE-2023-28450 --org Acme --firmware fw_... --status fixed\n  iotsec vex export --org Acme --firmware fw_... -o cyclonedx"}
	var org, firmware string
	var st iotsec.VEXStatement
	add := &cobra.Command{
		Use:   "add VULNERABILITY",
		Short: "Record a VEX statement (status and justification) for a firmware version",
		Long: `Add records the maker's analysis of a vulnerability in a firmware version,
or in one component of it (--component, --component-version), and matches
the version again so the statement applies. Statuses: not_affected (needs
--justification or --impact), affected (needs --action), fixed,
under_investigation. Justifications: ` + strings.Join(iotsec.VEXJustifications(), ", ") + `.`,
		Example: `  iotsec vex add CVE-2023-28450 --org Acme --firmware fw_... --component dnsmasq \
      --status not_affected --justification vulnerable_code_not_in_execute_path`,
		Args: exactArgs(1, "one argument, the vulnerability ID"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			st.FirmwareID, st.VulnID = firmware, args[0]
			st, res, err := sv.Supply.AddVEX(cmd.Context(), a, st)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "recorded %s: %s is %s in %s%s; %d matches now\n", st.ID, st.VulnID, st.Status, firmware,
				map[bool]string{true: " (" + st.Component + ")", false: ""}[st.Component != ""], res.Matches)
			return nil
		}),
	}
	add.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	add.Flags().StringVar(&firmware, "firmware", "", "firmware version ID")
	add.Flags().StringVar(&st.Status, "status", "", "not_affected, affected, fixed or under_investigation")
	add.Flags().StringVar(&st.Component, "component", "", "component name (default: the whole firmware version)")
	add.Flags().StringVar(&st.ComponentVersion, "component-version", "", "component version")
	add.Flags().StringVar(&st.Justification, "justification", "", "why not affected: "+strings.Join(iotsec.VEXJustifications(), ", "))
	add.Flags().StringVar(&st.Impact, "impact", "", "impact statement (why not affected, in words)")
	add.Flags().StringVar(&st.Action, "action", "", "action statement (what users should do, for affected)")
	dbFlags(add.Flags())

	var format string
	export := &cobra.Command{
		Use:     "export",
		Short:   "Export a firmware version's VEX statements as OpenVEX or CycloneDX VEX",
		Example: "  iotsec vex export --org Acme --firmware fw_... > r100-1.2.openvex.json",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			if !slices.Contains(supply.VEXFormats(), format) {
				return usagef("-o %q is not one of %s", format, strings.Join(supply.VEXFormats(), ", "))
			}
			return sv.Supply.WriteVEX(cmd.Context(), a, firmware, format, e.stdout)
		}),
	}
	export.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	export.Flags().StringVar(&firmware, "firmware", "", "firmware version ID")
	export.Flags().StringVarP(&format, "output", "o", "openvex", "format: openvex or cyclonedx")
	dbFlags(export.Flags())
	cmd.AddCommand(add, export)
	return cmd
}

func newCSAF(e *env) *cobra.Command {
	var org, product string
	cmd := &cobra.Command{
		Use:     "csaf",
		Short:   "Write a CSAF 2.0 VEX advisory for a product and its firmware versions",
		Example: "  iotsec csaf --org Acme --product prd_... > r100.csaf.json",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			if product == "" {
				return usagef("--product is required (a product ID)")
			}
			return sv.Supply.WriteCSAF(cmd.Context(), a, product, e.stdout)
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	cmd.Flags().StringVar(&product, "product", "", "product ID")
	dbFlags(cmd.Flags())
	return cmd
}

func newCRA(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "cra", Short: "Cyber Resilience Act reports of actively exploited vulnerabilities",
		Example: "  iotsec cra list --org Acme"}
	var org, output string
	list := &cobra.Command{
		Use:     "list",
		Short:   "List CRA report drafts with their deadlines (early warning 24 h, notification 72 h, final report)",
		Example: "  iotsec cra list --org Acme -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: withServices(e, func(cmd *cobra.Command, args []string, s iotsec.Store, sv *app.Services, cfg config.Config) error {
			a, err := orgActor(cmd, s, org)
			if err != nil {
				return err
			}
			if output != "table" && output != "json" {
				return usagef("-o %q is not one of table, json", output)
			}
			svc := sv.Supply
			rs, err := s.ListCRAReports(cmd.Context(), a)
			if err != nil {
				return err
			}
			views := []supply.CRAView{}
			for _, r := range rs {
				v, err := svc.CRA(r)
				if err != nil {
					return err
				}
				views = append(views, v)
			}
			if output == "json" {
				return writeJSON(e.stdout, map[string]any{"reports": views})
			}
			names := map[string]string{}
			if ps, err := s.ListProducts(cmd.Context(), a); err == nil {
				for _, p := range ps {
					names[p.ID] = p.Name
				}
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REPORT\tVULNERABILITY\tPRODUCT\tAWARE\tSTAGE\tDUE\tSTATE")
			for _, v := range views {
				for i, d := range v.Deadlines {
					id, vid, prod, aware := "", "", "", ""
					if i == 0 {
						id, vid, prod, aware = v.ID, v.VulnID, orDash(names[v.ProductID]), stamp(v.AwareAt)
					}
					due, state := stamp(d.Due), "open"
					if d.Due.IsZero() {
						due = "pending: " + d.Pending
					}
					switch {
					case !d.Sent.IsZero():
						state = "sent " + stamp(d.Sent)
					case d.Overdue:
						state = "OVERDUE"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t%s\t%s\n", id, vid, prod, aware, d.Report, d.Rule, due, state)
				}
			}
			return tw.Flush()
		}),
	}
	list.Flags().StringVar(&org, "org", "", "organisation (ID or name)")
	list.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	dbFlags(list.Flags())
	cmd.AddCommand(list)
	return cmd
}
