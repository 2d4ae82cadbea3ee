package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
)

func newScheme(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scheme",
		Short: "Explore IoT security schemes and how they relate (catalog and crosswalk)",
		Long: `The catalog holds every IoT security scheme iotsec knows (standards, laws,
labels, certification programmes) provision by provision, the typed mappings
between them and the mutual recognition agreements between labels.

These commands read the catalog built into iotsec and need no database. With
--org they also include the schemes and mappings that organisation imported and
those other organisations shared (opening the database like the other commands).

Every command prints a table on a terminal and JSON otherwise; -o table or
-o json chooses. Unknown schemes exit 3 and name close slugs.`,
		Example: `  iotsec scheme applies --class camera --sector consumer --market EU,UK,SG
  iotsec scheme baseline --market EU,UK,SG --class camera --sector consumer
  iotsec scheme compare sg-cls:2 eu-cra
  iotsec scheme gaps`,
	}
	cmd.AddCommand(newSchemeList(e), newSchemeShow(e), newSchemeCompare(e), newSchemeBaseline(e), newSchemeApplies(e),
		newSchemeGaps(e), newSchemeRecognise(e), newSchemeExport(e), newSchemeImport(e))
	return cmd
}

// schemeFlags are what every scheme command takes.
type schemeFlags struct {
	output string
	org    string
}

func (f *schemeFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.output, "output", "o", "", "output: table or json (default: table on a terminal, json otherwise)")
	fs.StringVar(&f.org, "org", "", "also include the schemes this organisation (ID or name) imported and those shared with it")
	config.Flags(fs, false)
}

// view returns the catalog to answer from: the embedded one, or with --org
// that organisation's, read from the database.
func (f *schemeFlags) view(cmd *cobra.Command, e *env) (*catalog.View, *catalog.Service, func(), error) {
	if f.org == "" {
		sv, err := offline(e)
		if err != nil {
			return nil, nil, nil, err
		}
		return sv.Catalog.Base(), sv.Catalog, func() {}, nil
	}
	s, cfg, err := open(cmd, e)
	if err != nil {
		return nil, nil, nil, err
	}
	o, err := findOrg(cmd, s, f.org)
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	sv, err := services(e, s, cfg)
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	v, err := sv.Catalog.For(cmd.Context(), iotsec.System(o.ID, "cli"))
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	for _, sk := range v.Skipped {
		fmt.Fprintf(e.stderr, "iotsec: import %s (%s) left out: %s\n", sk.Import.Name, sk.Import.ID, sk.Reason)
	}
	return v, sv.Catalog, func() { s.Close() }, nil
}

// print writes v as JSON, or as a table through table, as -o asks.
func (f *schemeFlags) print(e *env, v any, table func(w io.Writer)) error {
	format := f.output
	if format == "" {
		format = "json"
		if isTerminal(e.stdout) {
			format = "table"
		}
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "%s\n", b)
		return err
	case "table":
		tw := newTable(e.stdout)
		table(tw)
		return tw.Flush()
	}
	return usagef("-o %q: want table or json", f.output)
}

// date reads --date, defaulting to today.
func date(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC().Truncate(24 * time.Hour), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, usagef("--date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

func newSchemeList(e *env) *cobra.Command {
	var f schemeFlags
	var filter catalog.SchemeFilter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the schemes of the catalog",
		Example: `  iotsec scheme list
  iotsec scheme list --jurisdiction SG -o table
  iotsec scheme list --sector industrial --status voluntary -o json
  iotsec scheme list --org "Acme Devices"      # with the organisation's imported schemes`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			rows, err := v.Schemes(filter)
			if err != nil {
				return err
			}
			return f.print(e, rows, func(w io.Writer) { listTable(w, rows) })
		},
	}
	cmd.Flags().StringVar(&filter.Jurisdiction, "jurisdiction", "", "only schemes with force in this market (ISO code or EU), or \"international\"")
	cmd.Flags().StringVar(&filter.Sector, "sector", "", "only schemes for this sector")
	cmd.Flags().StringVar(&filter.Status, "status", "", "only schemes of this legal status: mandatory, voluntary or mandatory-for-class")
	cmd.Flags().StringVar(&filter.Type, "type", "", "only schemes of this type: standard, law, regulation, label, certification, guidance, test-specification")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeShow(e *env) *cobra.Command {
	var f schemeFlags
	cmd := &cobra.Command{
		Use:   "show SLUG",
		Short: "Show a scheme with its levels, dates, source and provisions",
		Example: `  iotsec scheme show uk-psti
  iotsec scheme show sg-cls -o json | jq '.provisions[] | select(.levels | index("2"))'`,
		Args: exactArgs(1, "one argument, the scheme's slug"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			d, err := v.Scheme(args[0])
			if err != nil {
				return err
			}
			return f.print(e, d, func(w io.Writer) { showTable(w, d) })
		},
	}
	f.register(cmd.Flags())
	return cmd
}

func newSchemeCompare(e *env) *cobra.Command {
	var f schemeFlags
	var gapsOnly bool
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Say, provision by provision, how scheme B covers scheme A",
		Long: `Compare takes each provision of A and finds the provisions of B that cover it:
fully, partly or not at all. A direct mapping between the two decides when there
is one; otherwise the answer goes through the hub schemes (EN 303 645, then the
NIST baselines), with the confidence lowered for every hop and the path shown.
A and B are slugs, or slug:level for one level of a scheme with levels.`,
		Example: `  iotsec scheme compare sg-cls:2 eu-cra
  iotsec scheme compare eu-cra sg-cls:2 --gaps
  iotsec scheme compare uk-psti etsi-en-303-645 -o json`,
		Args: exactArgs(2, "two arguments, the schemes A and B (slug or slug:level)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			c, err := v.Compare(args[0], args[1])
			if err != nil {
				return err
			}
			return f.print(e, c, func(w io.Writer) { compareTable(w, c, gapsOnly) })
		},
	}
	cmd.Flags().BoolVar(&gapsOnly, "gaps", false, "list only A's provisions B does not fully cover (tables only; JSON always has both)")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeBaseline(e *env) *cobra.Command {
	var f schemeFlags
	var q catalog.BaselineQuery
	var schemes []string
	var day string
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Derive one de-duplicated set of requirements that meets several schemes at once",
		Long: `Baseline takes the schemes named with --scheme, plus the mandatory schemes that
apply in --market to --class and --sector on --date (and the voluntary ones at
their lowest level with --voluntary), and projects every provision onto EN 303
645. Provisions it covers fully become one shared line; the rest stay in their
own words. Every line says which schemes it serves.`,
		Example: `  iotsec scheme baseline --market EU,UK,SG --class camera --sector consumer
  iotsec scheme baseline --market EU,UK,SG --class camera --sector consumer --voluntary
  iotsec scheme baseline --scheme uk-psti,sg-cls:2,jp-jc-star:1`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Date, err = date(day); err != nil {
				return err
			}
			for _, s := range schemes {
				q.Schemes = append(q.Schemes, catalog.ParseRef(s))
			}
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			b, err := v.Baseline(q)
			if err != nil {
				return err
			}
			return f.print(e, b, func(w io.Writer) { baselineTable(w, b) })
		},
	}
	cmd.Flags().StringSliceVar(&q.Markets, "market", nil, "markets (ISO codes or EU, comma-separated; UK reads as GB)")
	cmd.Flags().StringSliceVar(&schemes, "scheme", nil, "schemes to include (slug or slug:level, comma-separated)")
	cmd.Flags().StringVar(&q.Class, "class", "", "product class, for the schemes of --market")
	cmd.Flags().StringVar(&q.Sector, "sector", "", "sector, for the schemes of --market")
	cmd.Flags().BoolVar(&q.Voluntary, "voluntary", false, "also meet the voluntary labels of --market, at their lowest level")
	cmd.Flags().StringVar(&day, "date", "", "the day the answer is for, YYYY-MM-DD (default today)")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeApplies(e *env) *cobra.Command {
	var f schemeFlags
	var q catalog.AppliesQuery
	var day string
	cmd := &cobra.Command{
		Use:   "applies",
		Short: "Say which schemes apply to a product: mandatory or voluntary, in which markets, from when",
		Example: `  iotsec scheme applies --class camera --sector consumer --market EU,UK,SG
  iotsec scheme applies --class router --market SG --date 2026-07-01 -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Date, err = date(day); err != nil {
				return err
			}
			if len(q.Markets) == 0 {
				return usagef("--market is required (ISO codes or EU, comma-separated)")
			}
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			a, err := v.Applies(q)
			if err != nil {
				return err
			}
			return f.print(e, a, func(w io.Writer) { appliesTable(w, a) })
		},
	}
	cmd.Flags().StringVar(&q.Class, "class", "", "product class (camera, router, smart-speaker, ...)")
	cmd.Flags().StringVar(&q.Sector, "sector", "", "sector (consumer, enterprise, industrial, automotive, medical, energy, public)")
	cmd.Flags().StringSliceVar(&q.Markets, "market", nil, "markets (ISO codes or EU, comma-separated; UK reads as GB)")
	cmd.Flags().StringVar(&day, "date", "", "the day the answer is for, YYYY-MM-DD (default today)")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeGaps(e *env) *cobra.Command {
	var f schemeFlags
	var q catalog.GapQuery
	var day string
	cmd := &cobra.Command{
		Use:   "gaps",
		Short: "Show where no appropriate scheme exists: sector × product class × market",
		Long: `Gaps draws, for every sector and product class, the strongest scheme of the
catalog in each market: a law in force (M), one adopted but not yet applying
(U), a label of the market (L), only international standards (S), or nothing
(-). It sums the matrix up per sector and lists the empty cells as calls for
missing standards and schemes. Gaps are relative to this catalog: rules it does
not encode show as gaps.`,
		Example: `  iotsec scheme gaps
  iotsec scheme gaps --sector energy,public --market EU,SG,JP
  iotsec scheme gaps -o json | jq '.sectors[] | select(.uncovered)'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Date, err = date(day); err != nil {
				return err
			}
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			g, err := v.Gaps(q)
			if err != nil {
				return err
			}
			return f.print(e, g, func(w io.Writer) { gapsTable(w, g) })
		},
	}
	cmd.Flags().StringSliceVar(&q.Sectors, "sector", nil, "sectors (default all)")
	cmd.Flags().StringSliceVar(&q.Classes, "class", nil, "product classes (default all)")
	cmd.Flags().StringSliceVar(&q.Markets, "market", nil, "markets (default EU, DE, FI, GB, US, SG, JP, KR, AU, CA)")
	cmd.Flags().StringVar(&day, "date", "", "the day the answer is for, YYYY-MM-DD (default today)")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeRecognise(e *env) *cobra.Command {
	var f schemeFlags
	var q catalog.RecogniseQuery
	var day string
	cmd := &cobra.Command{
		Use:   "recognise SLUG",
		Short: "Say what a label held counts as in other markets (mutual recognition)",
		Example: `  iotsec scheme recognise sg-cls --level 3
  iotsec scheme recognise fi-label --class camera -o json`,
		Args: exactArgs(1, "one argument, the slug of the label held"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Date, err = date(day); err != nil {
				return err
			}
			q.Slug = args[0]
			v, _, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			r, err := v.Recognise(q)
			if err != nil {
				return err
			}
			return f.print(e, r, func(w io.Writer) { recogniseTable(w, r) })
		},
	}
	cmd.Flags().StringVar(&q.Level, "level", "", "the level held (default the scheme's lowest)")
	cmd.Flags().StringVar(&q.Class, "class", "", "product class (agreements often exclude some)")
	cmd.Flags().StringVar(&day, "date", "", "the day the answer is for, YYYY-MM-DD (default today)")
	f.register(cmd.Flags())
	return cmd
}

func newSchemeExport(e *env) *cobra.Command {
	var f schemeFlags
	var format, file, dir, zipFile string
	cmd := &cobra.Command{
		Use:   "export SLUG",
		Short: "Export a scheme as OSCAL or CSV",
		Long: `Export writes one scheme to standard output (or --file):
  oscal           the scheme's OSCAL 1.2 catalog, one document validated against
                  the OSCAL schema; --dir or --zip write the catalog, a profile
                  per level and the scheme's mapping sets as mapping collections,
                  one validated document per file (SLUG.catalog.json,
                  SLUG.LEVEL.profile.json, SET.mapping.json)
  csv             the mapping sets touching the scheme as a mapping spreadsheet,
                  the format "iotsec scheme import" reads
  provisions-csv  the scheme's provisions, one row each
The format of the file is set by --format; -o is accepted for symmetry and ignored.`,
		Example: `  iotsec scheme export sg-cls --format oscal > sg-cls.catalog.json
  iotsec scheme export sg-cls --dir sg-cls-oscal
  iotsec scheme export sg-cls --zip sg-cls-oscal.zip
  iotsec scheme export uk-psti --format csv --file psti-mappings.csv`,
		Args: exactArgs(1, "one argument, the scheme's slug"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := btoi(file != "") + btoi(dir != "") + btoi(zipFile != ""); n > 1 {
				return usagef("--file, --dir and --zip exclude each other")
			}
			if (dir != "" || zipFile != "") && format != catalog.FormatOSCAL {
				return usagef("--dir and --zip write OSCAL documents; --format %s writes one file (use --file)", format)
			}
			v, lib, done, err := f.view(cmd, e)
			if err != nil {
				return err
			}
			defer done()
			if dir != "" || zipFile != "" {
				docs, err := lib.ExportOSCAL(v, args[0])
				if err != nil {
					return err
				}
				if dir != "" {
					return writeDir(e, dir, docs)
				}
				return writeZip(e, zipFile, docs)
			}
			out, err := lib.Export(v, args[0], format)
			if err != nil {
				return err
			}
			if file == "" {
				_, err = e.stdout.Write(out.Body)
				return err
			}
			if err := os.WriteFile(file, out.Body, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote %s (%d bytes)\n", file, len(out.Body))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "oscal", "oscal, csv or provisions-csv")
	cmd.Flags().StringVar(&file, "file", "", "write to this file instead of standard output")
	cmd.Flags().StringVar(&dir, "dir", "", "write every OSCAL document (catalog, profiles, mapping collections) into this directory")
	cmd.Flags().StringVar(&zipFile, "zip", "", "write every OSCAL document into this zip file")
	f.register(cmd.Flags())
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeDir writes each document to its own file in dir (made if missing).
func writeDir(e *env, dir string, docs []catalog.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range docs {
		name := filepath.Join(dir, d.Name)
		if err := os.WriteFile(name, d.Body, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s (%d bytes)\n", name, len(d.Body))
	}
	return nil
}

// writeZip writes the documents into one zip file, one entry each.
func writeZip(e *env, name string, docs []catalog.File) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, d := range docs {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: d.Name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		if _, err := w.Write(d.Body); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s (%d documents, %d bytes)\n", name, len(docs), buf.Len())
	return nil
}

func newSchemeImport(e *env) *cobra.Command {
	var f schemeFlags
	var req catalog.ImportRequest
	var share bool
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import an OSCAL scheme or a mapping spreadsheet into an organisation's catalog",
		Long: `Import adds schemes and mappings to the catalog an organisation sees: an OSCAL
catalog, profile or mapping-collection (several files, or a zip of them, are
imported together, as "scheme export --dir" or "--zip" writes them; a JSON array of documents, the old bundle,
is still read), or a mapping CSV with the columns from, to, sources,
relationship, targets, rationale, provenance, confidence, citation_title,
citation_url. Third-party catalogs (NIST SP 800-53) get a slug from their title; a profile
of a catalog imported earlier becomes a scheme of its own. The file is checked whole against the catalog (dangling
references, duplicate IDs, profile cycles) and refused with every problem named.
Imports are private to the organisation unless --share makes them visible (read
only) to every organisation. Use - to read standard input.`,
		Example: `  iotsec scheme import acme-label.oscal.json --org "Acme Labs"
  iotsec scheme import sg-cls-oscal/*.json --org "Acme Labs"
  iotsec scheme import cls-to-cra.csv --org "Acme Labs" --share`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.org == "" {
				return usagef("--org is required (an organisation ID or name; iotsec admin org list shows them)")
			}
			var err error
			switch {
			case len(args) > 1 || strings.HasSuffix(strings.ToLower(args[0]), ".zip"):
				for _, a := range args {
					data, err := readLimited(a, catalog.MaxBytes())
					if err != nil {
						return usagef("%v", err)
					}
					if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
						req.Files = append(req.Files, catalog.ImportFile{Name: filepath.Base(a), Data: data})
						continue
					}
					files, err := unzipOSCAL(a, data)
					if err != nil {
						return usagef("%v", err)
					}
					req.Files = append(req.Files, files...)
				}
				if len(req.Files) == 0 {
					return usagef("%s: no .json files", args[0])
				}
				if req.Name == "" {
					req.Name = filepath.Base(args[0])
					if len(args) > 1 {
						req.Name += fmt.Sprintf(" and %d more", len(args)-1)
					}
				}
			case args[0] == "-":
				req.Data, err = io.ReadAll(io.LimitReader(e.stdin, catalog.MaxBytes()+1))
				req.Name = "stdin"
			default:
				req.Data, err = readLimited(args[0], catalog.MaxBytes())
				if req.Name == "" {
					req.Name = args[0][strings.LastIndexAny(args[0], `/\`)+1:]
				}
			}
			if err != nil {
				return usagef("%v", err)
			}
			if share {
				req.Visibility = iotsec.VisibilityShared
			}
			s, cfg, err := open(cmd, e)
			if err != nil {
				return err
			}
			defer s.Close()
			o, err := findOrg(cmd, s, f.org)
			if err != nil {
				return err
			}
			sv, err := services(e, s, cfg)
			if err != nil {
				return err
			}
			res, err := sv.Catalog.Import(cmd.Context(), iotsec.System(o.ID, "cli"), req)
			if err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			return f.print(e, res, func(w io.Writer) { importTable(w, o.Name, res) })
		},
	}
	cmd.Flags().StringVar(&req.Name, "name", "", "a label for the import (default the file name)")
	cmd.Flags().StringVar(&req.Format, "format", "", "oscal or csv (default: guessed from the content)")
	cmd.Flags().BoolVar(&share, "share", false, "make the import visible to every organisation")
	f.register(cmd.Flags())
	cmd.Flags().Lookup("org").Usage = "organisation (ID or name) to import into"
	return cmd
}

// maxZipEntries bounds the documents a zip may carry (OSCAL's own
// document limit applies after).
const maxZipEntries = 256

// unzipOSCAL reads the .json entries of a zip as "scheme export --zip"
// writes it, bounding their number and total unpacked size.
func unzipOSCAL(name string, data []byte) ([]catalog.ImportFile, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("%s: %d entries, limit %d", name, len(zr.File), maxZipEntries)
	}
	var out []catalog.ImportFile
	left := catalog.MaxBytes()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(f.Name), ".json") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", name, f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, left+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", name, f.Name, err)
		}
		if left -= int64(len(b)); left < 0 {
			return nil, fmt.Errorf("%s: unpacks to more than %d bytes", name, catalog.MaxBytes())
		}
		out = append(out, catalog.ImportFile{Name: path.Base(f.Name), Data: b})
	}
	return out, nil
}

// readLimited reads a file of at most max bytes; a bigger one is read only
// up to max+1, so the size check fails rather than memory.
func readLimited(name string, max int64) ([]byte, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, max+1))
}
