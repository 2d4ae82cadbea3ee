package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"github.com/spf13/cobra"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

func newSBOM(e *env) *cobra.Command {
	var (
		output, encoding, out string
		fw                    struct{ Product, Model, Version, Manufacturer string }
	)
	cmd := &cobra.Command{
		Use:   "sbom IMAGE|SCAN.json",
		Short: "Write the software bill of materials of a firmware image (CycloneDX, SPDX); diff two SBOMs",
		Long: `Sbom lists the components of a firmware image as a software bill of
materials. Given an image it unpacks it and identifies its components as
'iotsec scan' does; given the output of 'iotsec scan -o json' it takes the
components from there (which one is told by content, not by name). It needs
no database and no network.

The firmware is the top component (type firmware) with the SHA-256 of the
image, named after --product or else the image's file name. Components
carry CPE, purl, version, the path where each was found (evidence) and the
SHA-256 of that file; components read from a package database (opkg, dpkg)
get no hash, as the file is the database, not the component.

Output (-o): cyclonedx (CycloneDX 1.6; --encoding json, the default, or
xml), spdx (SPDX 2.3; --encoding json, the default, or tag-value) or table
(for reading; no --encoding). The creation time is now, or
SOURCE_DATE_EPOCH (seconds since 1970) when set, for reproducible output;
the serial number is derived from the content.`,
		Example: `  iotsec sbom router.bin > router.cdx.json
  iotsec sbom router.bin -o spdx --encoding tag-value --out router.spdx
  iotsec sbom router.json -o table      # router.json from: iotsec scan router.bin -o json
  iotsec sbom router.bin --product "Router R100" --model R100 --version 1.3 --manufacturer "Acme Devices"`,
		Args: exactArgs(1, "one argument, a firmware image or the JSON output of iotsec scan"),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := sbomFormat(output, encoding, cmd.Flags().Changed("encoding"))
			if err != nil {
				return err
			}
			created, err := creationTime(e.getenv("SOURCE_DATE_EPOCH"))
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			doc, warnings, err := sbomOf(cmd, e, args[0], data)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
			doc.Created = created
			doc.Tool = toolName()
			doc.Firmware.Manufacturer = fw.Manufacturer
			doc.Firmware.Model = fw.Model
			doc.Firmware.Version = fw.Version
			if fw.Product != "" {
				doc.Firmware.Product, doc.Firmware.Name = fw.Product, ""
			}
			var buf bytes.Buffer
			if format == "" {
				sbomTable(&buf, doc)
			} else if err := supply.EncodeSBOM(&buf, doc, format); err != nil {
				return err
			}
			if out == "" {
				_, err := e.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			what := string(format)
			if what == "" {
				what = "table"
			}
			fmt.Fprintf(e.stderr, "wrote %s (%s, %s)\n", out, what, plural(len(doc.Components), "component"))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "cyclonedx", "output: cyclonedx, spdx or table")
	cmd.Flags().StringVar(&encoding, "encoding", "", "encoding: json (default) or xml for cyclonedx, json (default) or tag-value for spdx")
	cmd.Flags().StringVar(&fw.Product, "product", "", "product name of the firmware (default: the image's file name)")
	cmd.Flags().StringVar(&fw.Model, "model", "", "model number of the product")
	cmd.Flags().StringVar(&fw.Version, "version", "", "version of the firmware")
	cmd.Flags().StringVar(&fw.Manufacturer, "manufacturer", "", "manufacturer (and supplier) of the firmware")
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	cmd.AddCommand(newSBOMDiff(e), newSBOMImport(e))
	return cmd
}

// sbomFormat checks -o and --encoding together; "" means the table.
func sbomFormat(output, encoding string, set bool) (supply.SBOMFormat, error) {
	o, enc := strings.ToLower(output), strings.ToLower(encoding)
	allowed := map[string][]string{"cyclonedx": {"json", "xml"}, "spdx": {"json", "tag-value"}, "table": nil}
	encs, ok := allowed[o]
	switch {
	case !ok:
		return "", usagef("-o %q is not one of cyclonedx, spdx, table", output)
	case o == "table" && set:
		return "", usagef("--encoding is for -o cyclonedx or spdx, not for -o table")
	case o == "table":
		return "", nil
	case !set:
		enc = "json"
	case !slices.Contains(encs, enc):
		return "", usagef("--encoding %q does not go with -o %s (use %s)", encoding, o, strings.Join(encs, " or "))
	}
	switch o + "-" + enc {
	case "cyclonedx-json":
		return supply.CycloneDXJSON, nil
	case "cyclonedx-xml":
		return supply.CycloneDXXML, nil
	case "spdx-json":
		return supply.SPDXJSON, nil
	}
	return supply.SPDXTagValue, nil
}

// creationTime is SOURCE_DATE_EPOCH when set (reproducible builds), else now.
func creationTime(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Now().UTC().Truncate(time.Second), nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(epoch), 10, 64)
	if err != nil || n < 0 || n > 253402300799 { // up to 9999-12-31
		return time.Time{}, usagef("SOURCE_DATE_EPOCH %q is not a count of seconds since 1970", epoch)
	}
	return time.Unix(n, 0).UTC(), nil
}

func toolName() string {
	if v := app.Version(); v != "" && v != "unknown" {
		return "iotsec " + v
	}
	return "iotsec"
}

// sbomOf reads data as the JSON output of iotsec scan when it is a JSON
// object, else scans it as a firmware image.
func sbomOf(cmd *cobra.Command, e *env, path string, data []byte) (*supply.SBOMDocument, []string, error) {
	if f, err := supply.DetectSBOM(data); err == nil {
		return nil, nil, iotsec.Errorf(iotsec.ErrInvalid, "%s is already an SBOM (%s); give a firmware image or the output of iotsec scan -o json", path, f)
	}
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' {
		doc, err := fromScanJSON(path, trim)
		return doc, nil, err
	}
	doc, warnings, err := fromImage(cmd, e, path, data)
	if err == nil && len(doc.Components) == 0 {
		warnings = append(warnings, "no components identified in "+filepath.Base(path))
	}
	return doc, warnings, err
}

// fromImage runs the scan's unpacking and its component family only.
func fromImage(cmd *cobra.Command, e *env, path string, data []byte) (*supply.SBOMDocument, []string, error) {
	sv, err := offline(e)
	if err != nil {
		return nil, nil, err
	}
	res, err := sv.Evaluation.Components(cmd.Context(), filepath.Base(path), data)
	if err != nil {
		return nil, nil, err
	}
	return supply.ImageSBOM(res.Image.Name, res.Image.SHA256, res.Components), res.Warnings, nil
}

// maxScanJSON bounds a scan document given as input.
const maxScanJSON = 256 << 20

// fromScanJSON reads the components of an `iotsec scan -o json` document.
func fromScanJSON(path string, data []byte) (*supply.SBOMDocument, error) {
	if len(data) > maxScanJSON {
		return nil, iotsec.Errorf(iotsec.ErrTooLarge, "%s: scan document larger than %d bytes", path, maxScanJSON)
	}
	var in struct {
		Image *struct {
			Name   string `json:"name"`
			SHA256 string `json:"sha256"`
		} `json:"image"`
		Components *[]evaluation.Component `json:"components"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, iotsec.Errorf(iotsec.ErrInvalid, "%s is JSON but not the output of iotsec scan -o json: %v", path, jsonLocated(data, err))
	}
	if in.Image == nil || in.Components == nil {
		return nil, iotsec.Errorf(iotsec.ErrInvalid, "%s is JSON but not the output of iotsec scan -o json (it has no \"image\" and \"components\")", path)
	}
	lim := supply.DefaultSBOMLimits()
	if n := len(*in.Components); n > lim.MaxComponents {
		return nil, iotsec.Errorf(iotsec.ErrTooLarge, "%s: %d components, more than %d", path, n, lim.MaxComponents)
	}
	var probs []supply.SBOMProblem
	add := func(at, format string, args ...any) {
		if len(probs) < lim.MaxErrors {
			probs = append(probs, supply.SBOMProblem{Path: at, Msg: fmt.Sprintf(format, args...)})
		}
	}
	if h := in.Image.SHA256; h != "" && !isHex(h, 64) {
		add("image.sha256", "%q is not 64 hex digits", h)
	}
	for i, c := range *in.Components {
		at := fmt.Sprintf("components[%d]", i)
		if c.Name != "" {
			at += " (" + c.Name + ")"
		}
		if strings.TrimSpace(c.Name) == "" {
			add(at+".name", "no name")
		}
		if c.PURL != "" {
			if _, err := packageurl.FromString(c.PURL); err != nil {
				add(at+".purl", "%q: %v", c.PURL, err)
			}
		}
		if c.CPE != "" {
			if err := supply.CheckCPE(c.CPE); err != nil {
				add(at+".cpe", "%q: %v", c.CPE, err)
			}
		}
		if h := c.Evidence.SHA256; h != "" && !isHex(h, 64) {
			add(at+".evidence.sha256", "%q is not 64 hex digits", h)
		}
	}
	if len(probs) > 0 {
		return nil, invalidSBOM{&supply.SBOMValidationError{File: path, Problems: probs}}
	}
	name := in.Image.Name
	if name == "" {
		name = filepath.Base(path)
	}
	return supply.ImageSBOM(name, in.Image.SHA256, *in.Components), nil
}

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// jsonLocated adds line and column to a JSON syntax or type error.
func jsonLocated(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}

func sbomTable(w io.Writer, d *supply.SBOMDocument) {
	fw := d.Firmware
	name := fw.Name
	if name == "" {
		name = fw.Product
	}
	fmt.Fprintf(w, "Firmware: %s", name)
	if fw.Version != "" {
		fmt.Fprintf(w, " %s", fw.Version)
	}
	for _, h := range fw.Hashes {
		fmt.Fprintf(w, " (%s %s)", h.Alg, h.Value)
	}
	fmt.Fprintln(w)
	if fw.Product != "" || fw.Model != "" || fw.Manufacturer != "" {
		fmt.Fprintf(w, "Product: %s, model %s, manufacturer %s\n", dash(fw.Product), dash(fw.Model), dash(fw.Manufacturer))
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "NAME\tVERSION\tCPE\tPURL\tPATH")
	for _, c := range d.Components {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, dash(c.Version), joinOr(c.CPEs, "-"), dash(c.PURL), joinOr(c.Files, "-"))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", plural(len(d.Components), "component"))
}

// invalidSBOM prints every problem of a validation error on its own line;
// it is invalid input (exit 2).
type invalidSBOM struct{ v *supply.SBOMValidationError }

func (e invalidSBOM) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not valid: %s", e.v.File, plural(len(e.v.Problems), "problem"))
	for _, p := range e.v.Problems {
		b.WriteString("\n  " + p.String())
	}
	if e.v.More {
		b.WriteString("\n  ... (more problems not shown)")
	}
	return b.String()
}

func (e invalidSBOM) Is(target error) bool { return target == iotsec.ErrInvalid }
func (e invalidSBOM) Unwrap() error        { return e.v }

// decodeSBOM reads an SBOM file for diff; every failure to read it as one
// is invalid input.
func decodeSBOM(path string) (*supply.SBOMDocument, supply.SBOMFormat, error) {
	d, f, err := supply.DecodeSBOMFile(path)
	var v *supply.SBOMValidationError
	switch {
	case err == nil:
		return d, f, nil
	case errors.As(err, &v):
		return nil, f, invalidSBOM{v}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return nil, f, usagef("%v", err)
	case errors.Is(err, supply.ErrSBOMLimit):
		return nil, f, iotsec.Errorf(iotsec.ErrTooLarge, "%v", err)
	}
	return nil, f, iotsec.Errorf(iotsec.ErrInvalid, "%s is not a readable SBOM: %v", path, strings.TrimPrefix(err.Error(), path+": "))
}

func newSBOMDiff(e *env) *cobra.Command {
	var (
		output   string
		exitCode bool
	)
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show which components were added, removed or changed between two SBOMs",
		Long: `Diff reads two SBOMs (CycloneDX 1.6 JSON or XML, SPDX 2.3 JSON or tag-value,
in any combination; the format is told by content), validates both, and
says what changed from A to B. Components are the same across the two when
their purls name the same package (type, namespace, name: the version does
not count), or, without purl, when type and name are equal.

The exit code is 0 whether or not they differ, like git diff; with
--exit-code it is 1 when they differ. An invalid SBOM exits with 2 and
every problem found, each with the element it concerns.

-o json prints one object with three lists, always present:

  {"added": [COMPONENT], "removed": [COMPONENT], "changed": [CHANGE]}

  COMPONENT  {"ref", "type", "name", "version", "supplier", "purl": strings,
              "cpes", "licenses", "files": lists of strings,
              "hashes": [{"alg", "value"}]}
  CHANGE     {"key": the identity both share ("purl:generic//busybox"),
              "name": the name in B, "old", "new": COMPONENT,
              "fields": [{"field", "old", "new"}]}

"field" is one of version, hashes, licenses, cpe, purl, supplier, files;
"old" and "new" are strings: lists joined with ", ", hashes as ALG:VALUE,
"" when absent. Each of the three lists is sorted by identity key.`,
		Example: `  iotsec sbom diff router-1.2.cdx.json router-1.3.cdx.json
  iotsec sbom diff router-1.2.cdx.json router-1.3.spdx -o json
  iotsec sbom diff old.cdx.xml new.cdx.xml --exit-code || echo "components changed"`,
		Args: exactArgs(2, "two arguments, the SBOMs A and B"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := strings.ToLower(output)
			if o != "table" && o != "json" {
				return usagef("-o %q is not one of table, json", output)
			}
			a, fa, err := decodeSBOM(args[0])
			if err != nil {
				return err
			}
			b, fb, err := decodeSBOM(args[1])
			if err != nil {
				return err
			}
			d := supply.DiffSBOMs(a, b)
			if o == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(diffJSON(d)); err != nil {
					return err
				}
			} else {
				diffTable(e.stdout, args[0], args[1], a, b, fa, fb, d)
			}
			if exitCode && !d.IsEmpty() {
				return checkFailed{"the SBOMs differ"}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit with 1 when the SBOMs differ")
	return cmd
}

type jsonHash struct {
	Alg   string `json:"alg"`
	Value string `json:"value"`
}

type jsonComponent struct {
	Ref      string     `json:"ref"`
	Type     string     `json:"type"`
	Name     string     `json:"name"`
	Version  string     `json:"version"`
	Supplier string     `json:"supplier"`
	PURL     string     `json:"purl"`
	CPEs     []string   `json:"cpes"`
	Licenses []string   `json:"licenses"`
	Files    []string   `json:"files"`
	Hashes   []jsonHash `json:"hashes"`
}

type jsonField struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

type jsonChange struct {
	Key    string        `json:"key"`
	Name   string        `json:"name"`
	Old    jsonComponent `json:"old"`
	New    jsonComponent `json:"new"`
	Fields []jsonField   `json:"fields"`
}

type jsonDiff struct {
	Added   []jsonComponent `json:"added"`
	Removed []jsonComponent `json:"removed"`
	Changed []jsonChange    `json:"changed"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toJSONComponent(c supply.SBOMComponent) jsonComponent {
	hs := []jsonHash{}
	for _, h := range c.Hashes {
		hs = append(hs, jsonHash{h.Alg, h.Value})
	}
	return jsonComponent{Ref: c.Ref, Type: c.Type, Name: c.Name, Version: c.Version, Supplier: c.Supplier, PURL: c.PURL,
		CPEs: nonNil(c.CPEs), Licenses: nonNil(c.Licenses), Files: nonNil(c.Files), Hashes: hs}
}

func diffJSON(d supply.SBOMDiff) jsonDiff {
	out := jsonDiff{Added: []jsonComponent{}, Removed: []jsonComponent{}, Changed: []jsonChange{}}
	for _, c := range d.Added {
		out.Added = append(out.Added, toJSONComponent(c))
	}
	for _, c := range d.Removed {
		out.Removed = append(out.Removed, toJSONComponent(c))
	}
	for _, ch := range d.Changed {
		jc := jsonChange{Key: ch.Key, Name: ch.New.Name, Old: toJSONComponent(ch.Old), New: toJSONComponent(ch.New), Fields: []jsonField{}}
		for _, f := range ch.Fields {
			o, n := fieldValue(ch.Old, f), fieldValue(ch.New, f)
			jc.Fields = append(jc.Fields, jsonField{f, o, n})
		}
		out.Changed = append(out.Changed, jc)
	}
	return out
}

// fieldValue renders one field of Change.Fields as a string.
func fieldValue(c supply.SBOMComponent, field string) string {
	switch field {
	case "version":
		return c.Version
	case "hashes":
		var hs []string
		for _, h := range c.Hashes {
			hs = append(hs, h.Alg+":"+h.Value)
		}
		return strings.Join(hs, ", ")
	case "licenses":
		return strings.Join(c.Licenses, ", ")
	case "cpe":
		return strings.Join(c.CPEs, ", ")
	case "purl":
		return c.PURL
	case "supplier":
		return c.Supplier
	case "files":
		return strings.Join(c.Files, ", ")
	}
	return ""
}

func describeDoc(path string, d *supply.SBOMDocument, f supply.SBOMFormat) string {
	name := d.Firmware.Name
	if name == "" {
		name = d.Firmware.Product
	}
	s := path + ": " + dash(name)
	if d.Firmware.Version != "" {
		s += " " + d.Firmware.Version
	}
	return fmt.Sprintf("%s (%s, %s)", s, f, plural(len(d.Components), "component"))
}

func nameVersion(c supply.SBOMComponent) string {
	s := c.Name
	if c.Version != "" {
		s += " " + c.Version
	}
	if c.PURL != "" {
		s += "  " + c.PURL
	} else if len(c.CPEs) > 0 {
		s += "  " + c.CPEs[0]
	}
	return s
}

func diffTable(w io.Writer, pa, pb string, a, b *supply.SBOMDocument, fa, fb supply.SBOMFormat, d supply.SBOMDiff) {
	fmt.Fprintf(w, "--- %s\n+++ %s\n", describeDoc(pa, a, fa), describeDoc(pb, b, fb))
	if d.IsEmpty() {
		fmt.Fprintln(w, "no differences in components")
		return
	}
	for _, c := range d.Added {
		fmt.Fprintf(w, "+ %s\n", nameVersion(c))
	}
	for _, c := range d.Removed {
		fmt.Fprintf(w, "- %s\n", nameVersion(c))
	}
	for _, ch := range d.Changed {
		head := ch.New.Name
		if ch.Old.Version != ch.New.Version {
			head += " " + dash(ch.Old.Version) + " -> " + dash(ch.New.Version)
		} else if ch.New.Version != "" {
			head += " " + ch.New.Version
		}
		fmt.Fprintf(w, "~ %s\n", head)
		for _, f := range ch.Fields {
			fmt.Fprintf(w, "    %s: %s -> %s\n", f, orNone(fieldValue(ch.Old, f)), orNone(fieldValue(ch.New, f)))
		}
	}
	fmt.Fprintf(w, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
