package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/iotsec/iotsec/internal/catalog"
)

// The scheme commands' tables: aligned columns for reading on a terminal.
// JSON (-o json) is the stable contract; tables may change.

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// cut shortens s to n characters for a table cell.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinOr(ss []string, none string) string {
	if len(ss) == 0 {
		return none
	}
	return strings.Join(ss, ", ")
}

func jurisdictions(js []string, international bool) string {
	if international {
		return joinOr(append([]string{"international"}, js...), "-")
	}
	return joinOr(js, "-")
}

func listTable(w io.Writer, rows []catalog.Row) {
	fmt.Fprintln(w, "SLUG\tTITLE\tVERSION\tJURISDICTIONS\tSTATUS\tPROVISIONS\tLEVELS")
	for _, r := range rows {
		slug := r.Slug
		if r.Origin != nil {
			slug += " *"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", slug, cut(r.Title, 52), cut(r.Version, 14), jurisdictions(r.Jurisdictions, r.International),
			r.Status, r.ProvisionCount, joinOr(r.Levels, "-"))
	}
	fmt.Fprintf(w, "\n%s", plural(len(rows), "scheme"))
	for _, r := range rows {
		if r.Origin != nil {
			fmt.Fprint(w, "; * imported")
			break
		}
	}
	fmt.Fprintln(w)
}

func dates(d catalog.Dates) string {
	var parts []string
	for _, p := range []struct {
		name string
		d    catalog.Date
	}{{"published", d.Published}, {"in force", d.InForce}, {"applies from", d.AppliesFrom}, {"closed", d.Closed}} {
		if p.d != "" {
			parts = append(parts, p.name+" "+string(p.d))
		}
	}
	return joinOr(parts, "-")
}

func showTable(w io.Writer, d catalog.Detail) {
	fmt.Fprintf(w, "%s\t%s\n", d.Slug, d.Title)
	status := d.Status
	if d.State != "" && d.State != "active" {
		status += " (" + d.State + ")"
	}
	facts := [][2]string{
		{"Version", d.Version}, {"Publisher", d.Publisher}, {"Type", d.Type}, {"Status", status},
		{"Jurisdictions", jurisdictions(d.Jurisdictions, d.International)}, {"Sectors", joinOr(d.Sectors, "-")},
		{"Product classes", joinOr(d.ProductClasses, "-")}, {"Dates", dates(d.Dates)},
		{"Source", strings.TrimSpace(d.Source.Title + " " + d.Source.URL)}, {"Licence", d.Licence},
	}
	if d.Confidence != "" {
		facts = append(facts, [2]string{"Confidence", string(d.Confidence)})
	}
	if d.Origin != nil {
		facts = append(facts, [2]string{"Imported", fmt.Sprintf("by %s (%s, %s)", d.Origin.Org, d.Origin.Import, d.Origin.Visibility)})
	}
	for _, m := range d.Dates.Milestones {
		facts = append(facts, [2]string{"Milestone", string(m.Date) + " " + m.Event})
	}
	for _, o := range d.Obligations {
		what := o.Instrument + ": " + strings.Join(o.Classes, ", ") + " in " + strings.Join(o.Jurisdictions, ", ")
		if o.Level != "" {
			what += " at level " + o.Level
		}
		if o.From != "" {
			what += " from " + string(o.From)
		}
		if o.Planned {
			what += " (planned)"
		}
		facts = append(facts, [2]string{"Obligation", what})
	}
	for _, u := range d.Uncertain {
		facts = append(facts, [2]string{"Uncertain", u})
	}
	for _, f := range facts {
		fmt.Fprintf(w, "%s\t%s\n", f[0], dash(f[1]))
	}
	if len(d.Levels) > 0 {
		fmt.Fprintln(w, "\nLEVEL\tTITLE\tASSESSMENT")
		for _, l := range d.Levels {
			fmt.Fprintf(w, "%s\t%s\t%s\n", l.ID, l.Title, dash(l.Assessment))
		}
	}
	fmt.Fprintf(w, "\nPROVISION\tKIND\tCATEGORY\tLEVELS\tTITLE\n")
	for _, p := range d.Provisions {
		kind := p.Kind
		if p.Conditional {
			kind += " (if)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.ID, kind, dash(p.Category), joinOr(p.Levels, "-"), cut(p.Title, 60))
	}
	if len(d.MappingSets) > 0 {
		fmt.Fprintln(w, "\nMAPPING SET\tMAPS\tPROVENANCE\tCONFIDENCE")
		for _, m := range d.MappingSets {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", m.ID, m.Maps, m.Provenance, m.Confidence)
		}
	}
	fmt.Fprintf(w, "\n%s\n", plural(len(d.Provisions), "provision"))
}

func covers(cs []catalog.Cover) string {
	var ids []string
	for _, c := range cs {
		id := c.ID
		if c.Coverage != catalog.CoverFull {
			id += "~"
		}
		ids = append(ids, id)
	}
	return joinOr(ids, "-")
}

func stats(s catalog.Stats) string {
	return fmt.Sprintf("%d provisions: %d full (%.1f%%), %d partial (%.1f%%), %d none (%.1f%%); %d answered through hubs",
		s.Total, s.Full, s.FullPercent, s.Partial, s.PartialPercent, s.None, s.NonePercent, s.ViaHubs)
}

func compareTable(w io.Writer, c *catalog.Comparison, gapsOnly bool) {
	fmt.Fprintf(w, "How %s (%s) is covered by %s (%s)\n", c.A, c.ATitle, c.B, c.BTitle)
	fmt.Fprintf(w, "All:\t%s\n", stats(c.Stats))
	fmt.Fprintf(w, "Mandatory:\t%s\n\n", stats(c.Mandatory))
	fmt.Fprintln(w, "PROVISION\tKIND\tCOVERAGE\tCOVERED BY\tCONFIDENCE\tPROVENANCE\tPATH")
	rows := c.Provisions
	if gapsOnly {
		rows = c.Gaps
	}
	for _, p := range rows {
		path := "direct"
		if !p.Direct {
			path = strings.Join(p.Path, " > ")
		}
		if p.Coverage == catalog.CoverNone {
			path = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, p.Coverage, cut(covers(p.Covers), 40), dash(string(p.Confidence)), dash(p.Provenance), path)
	}
	var un []string
	for _, b := range c.Unmatched {
		un = append(un, b.ID)
	}
	fmt.Fprintf(w, "\n~ covers only in part. %s asks beyond %s (no cover uses them): %s\n", c.B, c.A, joinOr(un, "nothing"))
}

func baselineTable(w io.Writer, b *catalog.Baseline) {
	var refs []string
	for _, r := range b.Schemes {
		refs = append(refs, r.String())
	}
	hub := 0
	for _, l := range b.Lines {
		if l.Hub {
			hub++
		}
	}
	fmt.Fprintf(w, "One set of requirements meeting %s\n", strings.Join(refs, ", "))
	fmt.Fprintf(w, "%d provisions come down to %d requirements: %d shared lines of %s (alone or together they fully meet what they serve) and %d kept in their own scheme's words.\n\n",
		b.Sources, len(b.Lines), hub, b.Hub, len(b.Lines)-hub)
	fmt.Fprintln(w, "REQUIREMENT\tKIND\tSERVES\tTITLE")
	for _, l := range b.Lines {
		fmt.Fprintf(w, "%s %s\t%s\t%s\t%s\n", l.Scheme, l.ID, l.Kind, strings.Join(l.Schemes, ", "), cut(l.Title, 60))
	}
}

func appliesTable(w io.Writer, a *catalog.AppliesResult) {
	q := a.Query
	fmt.Fprintf(w, "Schemes for class %s, sector %s, in %s on %s: %d mandatory, %d voluntary\n\n",
		dash(q.Class), dash(q.Sector), strings.Join(q.Markets, ", "), q.Date.Format("2006-01-02"), a.Mandatory, a.Voluntary)
	for _, n := range a.Notes {
		fmt.Fprintf(w, "Note: %s\n\n", n)
	}
	fmt.Fprintln(w, "SCHEME\tSTATUS\tLEVEL\tMARKETS\tFROM\tIN FORCE\tWHY\tNOTES")
	for _, s := range a.Schemes {
		in := "yes"
		if !s.InForce {
			in = "not yet"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Slug, s.Status, dash(s.Level), strings.Join(s.Markets, ", "), dash(string(s.From)), in,
			s.Reason, strings.Join(s.Notes, "; "))
	}
}

var gapLetter = map[string]string{
	catalog.GapMandatory: "M", catalog.GapUpcoming: "U", catalog.GapLabel: "L", catalog.GapStandard: "S", catalog.GapNone: "-",
}

func gapsTable(w io.Writer, g *catalog.GapMatrix) {
	fmt.Fprintf(w, "Strongest scheme per sector, product class and market on %s\n", g.Query.Date.Format("2006-01-02"))
	fmt.Fprintln(w, "M law in force, U law adopted but not yet applying, L label of the market, S international standards only, - nothing")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "SECTOR\tCLASS\t%s\n", strings.Join(g.Markets, "\t"))
	for _, r := range g.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = gapLetter[c.Level]
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.Sector, r.Class, strings.Join(cells, "\t"))
	}
	fmt.Fprintln(w, "\nSECTOR\tNOTHING AT ALL IN\tONLY INTERNATIONAL STANDARDS IN")
	var uncovered []string
	for _, s := range g.Sectors {
		fmt.Fprintf(w, "%s\t%s\t%s\n", s.Sector, joinOr(s.Nothing, "-"), joinOr(s.StandardsOnly, "-"))
		if s.Uncovered {
			uncovered = append(uncovered, s.Sector)
		}
	}
	fmt.Fprintf(w, "\nSectors with no law, label or scheme of their own in any market shown: %s\n", joinOr(uncovered, "none"))
	fmt.Fprintf(w, "\nCalls for missing standards and schemes (%d, covering %d cells):\n", len(g.Groups), len(g.Calls))
	for _, c := range g.Groups {
		fmt.Fprintf(w, "- %s\n", c.Text)
	}
}

func recogniseTable(w io.Writer, r *catalog.RecognitionResult) {
	held := r.Query.Slug
	if r.Query.Level != "" {
		held += " level " + r.Query.Level
	}
	fmt.Fprintf(w, "What %s counts as elsewhere (%d)\n\n", held, len(r.Counts))
	fmt.Fprintln(w, "AGREEMENT\tKIND\tCOUNTS AS\tLEVEL\tJURISDICTIONS\tSTATUS\tEFFECTIVE\tNOTE")
	for _, c := range r.Counts {
		to := c.Scheme
		if to == "" {
			to = c.External
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Agreement, c.Kind, to, dash(c.Level), joinOr(c.Jurisdictions, "-"), c.Status,
			dash(string(c.Effective)), cut(c.Note, 60))
	}
}

func importTable(w io.Writer, org string, r *catalog.ImportResult) {
	im := r.Import
	fmt.Fprintf(w, "Imported %s into %s as %s (%s, %s)\n", im.Name, org, im.ID, im.Format, im.Visibility)
	if len(r.Schemes) > 0 {
		fmt.Fprintln(w, "\nSCHEME\tTITLE\tPROVISIONS\tLEVELS")
		for _, s := range r.Schemes {
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", s.Slug, cut(s.Title, 52), s.ProvisionCount, joinOr(s.Levels, "-"))
		}
	}
	if len(r.MappingSets) > 0 {
		fmt.Fprintln(w, "\nMAPPING SET\tFROM\tTO\tMAPS")
		for _, m := range r.MappingSets {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", m.ID, m.From, m.To, m.Maps)
		}
	}
}
