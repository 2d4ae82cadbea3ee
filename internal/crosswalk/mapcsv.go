package crosswalk

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CSVHeader is the column layout of mapping spreadsheets. Sources and
// targets hold provision IDs separated by semicolons (IDs may contain
// spaces, as in "CR 1.1").
var CSVHeader = []string{"from", "to", "sources", "relationship", "targets", "rationale", "provenance", "confidence", "citation_title", "citation_url"}

// CSVLimits bound a mapping spreadsheet read from a stranger.
type CSVLimits struct {
	MaxBytes    int64 // whole input
	MaxRows     int
	MaxField    int // bytes per cell
	MaxIDs      int // IDs per sources or targets cell
	MaxMapsSets int
}

// DefaultCSVLimits are generous for real mapping work (the largest public
// crosswalks have a few thousand rows) and small enough for a server.
func DefaultCSVLimits() CSVLimits {
	return CSVLimits{MaxBytes: 4 << 20, MaxRows: 20000, MaxField: 4096, MaxIDs: 200, MaxMapsSets: 500}
}

// WriteMappingsCSV writes the maps of sets, one row per map, set-level
// provenance, confidence and citation filled in on every row.
func WriteMappingsCSV(w io.Writer, sets []MappingSet) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	for _, m := range sets {
		for _, mp := range m.Maps {
			conf, prov, cit := mp.Confidence, mp.Provenance, m.Citation
			if conf == "" {
				conf = m.Confidence
			}
			if prov == "" {
				prov = m.Provenance
			}
			if mp.Citation != nil {
				cit = *mp.Citation
			}
			row := []string{m.From, m.To, strings.Join(mp.Sources, ";"), mp.Relationship, strings.Join(mp.Targets, ";"),
				mp.Rationale, prov, string(conf), cit.Title, cit.URL}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write csv row for %s: %w", m.ID, err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// CSVError lists every problem of a mapping spreadsheet, each naming its line.
type CSVError struct{ Problems []string }

func (e *CSVError) Error() string {
	return fmt.Sprintf("mapping csv: %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

var errTooLarge = errors.New("input larger than the limit")

// ReadMappingsCSV reads a mapping spreadsheet into mapping sets, one per
// (from, to) pair in order of first appearance. It checks the layout and
// vocabularies, not whether the schemes and provisions exist: Catalog.With
// does that against the catalog the maps are added to.
func ReadMappingsCSV(r io.Reader, lim CSVLimits) ([]MappingSet, error) {
	lr := &io.LimitedReader{R: r, N: lim.MaxBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var problems []string
	add := func(line int, format string, args ...any) {
		if len(problems) < 100 {
			problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
	}
	header, err := cr.Read()
	if err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("mapping csv: %w (%d bytes)", errTooLarge, lim.MaxBytes)
		}
		return nil, fmt.Errorf("mapping csv: read header: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("mapping csv: %w (%d bytes)", errTooLarge, lim.MaxBytes)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, need := range []string{"from", "to", "sources", "relationship", "targets", "rationale"} {
		if _, ok := col[need]; !ok {
			add(1, "missing column %q", need)
		}
	}
	if len(problems) > 0 {
		return nil, &CSVError{Problems: problems}
	}
	var sets []MappingSet
	index := map[string]int{}
	for rows := 0; ; rows++ {
		rec, err := cr.Read()
		if lr.N <= 0 {
			return nil, fmt.Errorf("mapping csv: %w (%d bytes)", errTooLarge, lim.MaxBytes)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// FieldPos is undefined after a failed Read; the ParseError
			// carries the line.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			add(line, "%v", err)
			return nil, &CSVError{Problems: problems}
		}
		line, _ := cr.FieldPos(0)
		if rows >= lim.MaxRows {
			return nil, fmt.Errorf("mapping csv: more than %d rows", lim.MaxRows)
		}
		get := func(name string) string {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		for _, f := range rec {
			if len(f) > lim.MaxField {
				add(line, "cell longer than %d bytes", lim.MaxField)
			}
		}
		from, to := get("from"), get("to")
		if from == "" || to == "" {
			add(line, "from and to schemes are required")
			continue
		}
		ids := func(name string) []string {
			var out []string
			for _, id := range strings.Split(get(name), ";") {
				if id = strings.TrimSpace(id); id != "" {
					out = append(out, id)
				}
			}
			if len(out) == 0 {
				add(line, "%s is empty", name)
			}
			if len(out) > lim.MaxIDs {
				add(line, "%s has more than %d IDs", name, lim.MaxIDs)
			}
			return out
		}
		mp := Map{Sources: ids("sources"), Targets: ids("targets"), Relationship: get("relationship"), Rationale: get("rationale"),
			Provenance: get("provenance"), Confidence: Confidence(get("confidence"))}
		if !slices.Contains(relationships, mp.Relationship) {
			add(line, "relationship %q is not one of %s", mp.Relationship, strings.Join(relationships, ", "))
		}
		if mp.Rationale == "" {
			add(line, "rationale is empty")
		}
		if !validConfidence(mp.Confidence) {
			add(line, "confidence %q is not high, medium or low", mp.Confidence)
		}
		switch mp.Provenance {
		case "", ProvenanceOfficial, ProvenanceExpert:
		default:
			add(line, "provenance %q is not official or expert", mp.Provenance)
		}
		cit := Ref{Title: get("citation_title"), URL: get("citation_url")}
		key := from + "--" + to
		i, ok := index[key]
		if !ok {
			if len(sets) >= lim.MaxMapsSets {
				return nil, fmt.Errorf("mapping csv: more than %d scheme pairs", lim.MaxMapsSets)
			}
			prov := mp.Provenance
			if prov == "" {
				prov = ProvenanceExpert
			}
			conf := mp.Confidence
			if conf == "" {
				conf = Medium
			}
			sets = append(sets, MappingSet{ID: key, From: from, To: to, Provenance: prov, Confidence: conf, Citation: cit, Imported: true})
			i = len(sets) - 1
			index[key] = i
		}
		if cit != sets[i].Citation && (cit.URL != "" || cit.Title != "") {
			c := cit
			mp.Citation = &c
		}
		sets[i].Maps = append(sets[i].Maps, mp)
	}
	if len(problems) > 0 {
		return nil, &CSVError{Problems: problems}
	}
	for _, s := range sets {
		if s.Citation.URL == "" {
			return nil, &CSVError{Problems: []string{fmt.Sprintf("scheme pair %s: first row has no citation_url (every mapping set needs a source)", s.ID)}}
		}
	}
	return sets, nil
}

// WriteProvisionsCSV writes a scheme's provisions, one row each.
func WriteProvisionsCSV(w io.Writer, s Scheme) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"scheme", "id", "title", "kind", "category", "conditional", "levels", "statement", "text_kind", "confidence"}}
	for _, p := range s.Provisions {
		rows = append(rows, []string{s.Slug, p.ID, p.Title, p.Kind, p.Category, fmt.Sprint(p.Conditional),
			strings.Join(p.Levels, ";"), p.Statement, p.TextKind, string(p.Confidence)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write provisions csv for %s: %w", s.Slug, err)
	}
	return nil
}
