// Package report renders a scan (package scan's Result) for people and
// machines: a text table for terminals, the JSON document, SARIF 2.1.0 for
// code-scanning dashboards, and a self-contained printable HTML report
// with its summary charts drawn as inline SVG.
//
// It is an engine: it must not import storage (database/sql, sqlite, pgx),
// HTTP servers or the top of the program (app, cli).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iotsec/iotsec/internal/assess"
	"github.com/iotsec/iotsec/internal/inspect"
	"github.com/iotsec/iotsec/internal/scan"
)

// Formats lists the output formats.
func Formats() []string { return []string{"table", "json", "sarif", "html"} }

// Meta is what a report says about itself beyond the scan.
type Meta struct {
	Tool      string    // e.g. "iotsec v1.2.0"
	Product   string    // product and firmware version, when the server renders it
	Version   string    //
	Generated time.Time // zero: not shown
	// NoVerdicts, when set, says why the firmware version has no
	// verdicts (no image uploaded, or its image could not be scanned, and
	// nothing an assessor recorded): the reports say so instead of a page
	// of verdicts that rest on nothing.
	NoVerdicts string
}

// NoImageNote is what the reports say about a firmware version with no
// image and nothing recorded.
const NoImageNote = "No image uploaded: nothing has been scanned and no assessor has recorded evidence, so there are no verdicts yet. Upload the firmware image to scan it."

// Write renders r in format.
func Write(w io.Writer, format string, r *scan.Result, m Meta) error {
	switch format {
	case "table", "":
		return table(w, r, m)
	case "json":
		if m.NoVerdicts != "" {
			return noVerdictsJSON(w, r, m.NoVerdicts)
		}
		return JSON(w, r)
	case "sarif":
		return SARIF(w, r, m)
	case "html":
		return HTML(w, r, m)
	}
	return fmt.Errorf("output format %q is not one of %s", format, strings.Join(Formats(), ", "))
}

// JSON writes the scan document, indented.
func JSON(w io.Writer, r *scan.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// noVerdictsJSON writes the scan document of a version without
// verdicts: none, and the note saying why.
func noVerdictsJSON(w io.Writer, r *scan.Result, why string) error {
	doc := struct {
		*scan.Result
		Verdicts   map[string]any `json:"verdicts"`
		NoVerdicts string         `json:"no_verdicts"`
	}{r, map[string]any{}, why}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// severities in report order.
var severities = []inspect.Severity{"critical", "high", "medium", "low", "info"}

// countBy counts findings by key.
func countBy(fs []inspect.Finding, key func(inspect.Finding) string) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[key(f)]++
	}
	return out
}

// severityLine is "17 findings: 1 critical, 4 high, ...".
func severityLine(fs []inspect.Finding) string {
	c := countBy(fs, func(f inspect.Finding) string { return string(f.Severity) })
	var parts []string
	for _, s := range severities {
		if c[string(s)] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[string(s)], s))
		}
	}
	if len(parts) == 0 {
		return "no findings"
	}
	n := "findings"
	if len(fs) == 1 {
		n = "finding"
	}
	return fmt.Sprintf("%d %s: %s", len(fs), n, strings.Join(parts, ", "))
}

// Table writes a plain-text report: the image, findings, components and
// one line per scheme (and level) saying whether it is met and why.
func Table(w io.Writer, r *scan.Result) error { return table(w, r, Meta{}) }

func table(w io.Writer, r *scan.Result, m Meta) error {
	ew := &errWriter{w: w}
	if m.NoVerdicts != "" {
		fmt.Fprintf(ew, "%s\n", m.NoVerdicts)
		return ew.err
	}
	img := r.Image
	fmt.Fprintf(ew, "%s  %d bytes  sha256:%s\n", img.Name, img.Size, img.SHA256)
	fmt.Fprintf(ew, "formats: %s; %d files, %d bytes unpacked\n", strings.Join(img.Formats, ", "), r.Stats.Files, r.Stats.Bytes)
	for _, warn := range r.Warnings {
		fmt.Fprintf(ew, "warning: %s\n", warn)
	}
	fmt.Fprintf(ew, "\nFINDINGS (%s)\n", severityLine(r.Findings))
	if len(r.Findings) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tPATH\tTITLE")
		for _, f := range r.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Rule, f.Path, oneLine(f.Title))
		}
		tw.Flush()
	}
	fmt.Fprintf(ew, "\nCOMPONENTS (%d)\n", len(r.Components))
	if len(r.Components) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tCPE\tPATH")
		for _, c := range r.Components {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, orDash(c.Version), orDash(c.CPE), c.Path)
		}
		tw.Flush()
	}
	fmt.Fprintf(ew, "\nSCHEMES (EN 303 645 verdicts projected through the catalog's mappings)\n")
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	line := func(status, summary, why string) {
		fmt.Fprintf(tw, "%s\t%s\n", statusWord(status), summary)
		if why != "" {
			fmt.Fprintf(tw, "\t  not a FAIL because %s\n", why)
		}
	}
	for _, v := range r.Schemes {
		if len(v.Levels) == 0 {
			line(v.Status, v.Summary, v.WhyNotFail)
			continue
		}
		for _, l := range v.Levels {
			line(l.Status, l.Summary, l.WhyNotFail)
		}
	}
	tw.Flush()
	if len(r.Schemes) > 0 {
		fmt.Fprintf(ew, "\nWHY, PROVISION BY PROVISION (%s)\n", basisLegend())
	}
	for _, v := range r.Schemes {
		fmt.Fprintf(ew, "%s\n", schemeName(v))
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  PROVISION\tVERDICT\tBASIS\tWHY")
		for _, rd := range readings(v) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", rd.IDList(), rd.Verdict, rd.Basis, oneLine(rd.Why))
		}
		tw.Flush()
	}
	fmt.Fprintf(ew, "\nAutomated checks only fail or support a provision; PASS needs an assessor's evidence.\n")
	return ew.err
}

func statusWord(s string) string {
	switch s {
	case assess.StatusNotMet:
		return "NOT MET"
	case assess.StatusMet:
		return "MET"
	}
	return "INCOMPLETE"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sortedKeys returns the keys of m by descending count, then name.
func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]] != m[out[j]] {
			return m[out[i]] > m[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
