// Package policy is the policy service: the national IoT security
// measures dataset (embedded, reviewed like code), the changes government
// organisations propose to it and their review, and the views every door
// shows of it (countries, measures, the country × measure matrix, one
// country's measures).
package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

//go:embed data/measures.json
var measuresJSON []byte

// Statuses of an entry. A status is legal standing: "adopted" is adopted
// but not yet applicable; Dataset.StatusOn turns adopted into in force once
// its date has come.
const (
	InForce   = "in-force"
	Adopted   = "adopted"
	Planned   = "planned"
	Voluntary = "voluntary"
	None      = "none" // a matrix cell with no entry
)

// Statuses lists entry statuses, strongest first: a matrix cell shows the
// strongest status of its entries.
func Statuses() []string { return []string{InForce, Adopted, Voluntary, Planned} }

// Confidence levels of an entry: high (primary source), medium (primary
// source for part, or a reliable secondary one), low (unverified).
var confidences = []string{"high", "medium", "low"}

// Measure is a kind of national measure (no universal default passwords,
// a vulnerability disclosure policy, ...).
type Measure struct {
	Code string `json:"code"`
	// Short is the column heading of the matrix.
	Short       string   `json:"short"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Lifecycle   []string `json:"lifecycle"`
}

// Jurisdiction is a country (ISO 3166-1 alpha-2), a subdivision (ISO
// 3166-2, such as US-CA) or the EU.
type Jurisdiction struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
}

// Instrument is the legal or programme text an entry rests on.
type Instrument struct {
	Name   string `json:"name"`
	Number string `json:"number"`
	URL    string `json:"url"`
}

// Scope says what an entry covers: catalog product classes and sectors
// where it names them, and a sentence.
type Scope struct {
	Text    string   `json:"text"`
	Classes []string `json:"classes,omitempty"`
	Sectors []string `json:"sectors,omitempty"`
}

// Dates of an entry, each YYYY, YYYY-MM or YYYY-MM-DD.
type Dates struct {
	Adopted     string `json:"adopted,omitempty"`
	InForce     string `json:"in_force,omitempty"`
	AppliesFrom string `json:"applies_from,omitempty"`
}

// Source is where the entry's facts come from.
type Source struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Entry is one measure of one jurisdiction.
type Entry struct {
	ID           string     `json:"id"`
	Jurisdiction string     `json:"jurisdiction"`
	Measure      string     `json:"measure"`
	Instrument   Instrument `json:"instrument"`
	Status       string     `json:"status"`
	Scope        Scope      `json:"scope"`
	Dates        Dates      `json:"dates"`
	// Lifecycle phases the entry acts on; the measure's when empty.
	Lifecycle  []string `json:"lifecycle,omitempty"`
	Source     Source   `json:"source"`
	Confidence string   `json:"confidence"`
	Note       string   `json:"note,omitempty"`
	// Proposal names the accepted proposal that added or changed the
	// entry; empty for the embedded data.
	Proposal string `json:"proposal,omitempty"`
}

// Dataset is the measures, jurisdictions and entries.
type Dataset struct {
	Phases        []string       `json:"phases"`
	Measures      []Measure      `json:"measures"`
	Jurisdictions []Jurisdiction `json:"jurisdictions"`
	Entries       []Entry        `json:"entries"`
}

// Embedded decodes and validates the dataset shipped in the binary.
func Embedded() (*Dataset, error) {
	var d Dataset
	if err := decodeStrict(measuresJSON, &d); err != nil {
		return nil, fmt.Errorf("policy data: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("policy data: %w", err)
	}
	return &d, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,99}$`)
	codePattern = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
)

// ValidJurisdiction reports whether code is the EU, a known ISO 3166-1
// alpha-2 code, or a subdivision code of a known country.
func ValidJurisdiction(code string) bool {
	if !codePattern.MatchString(code) {
		return false
	}
	country, _, _ := strings.Cut(code, "-")
	_, ok := iotsec.CountryName(country)
	return ok
}

// Validate checks the whole dataset and names every problem.
func (d *Dataset) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	measures := map[string]bool{}
	for _, m := range d.Measures {
		if measures[m.Code] {
			add("measure %s: duplicate", m.Code)
		}
		measures[m.Code] = true
		for _, p := range m.Lifecycle {
			if !slices.Contains(d.Phases, p) {
				add("measure %s: unknown lifecycle phase %q", m.Code, p)
			}
		}
	}
	js := map[string]bool{}
	for _, j := range d.Jurisdictions {
		if js[j.Code] {
			add("jurisdiction %s: duplicate", j.Code)
		}
		js[j.Code] = true
		if !ValidJurisdiction(j.Code) {
			add("jurisdiction %s: not an ISO 3166 code or EU", j.Code)
		}
		if strings.TrimSpace(j.Name) == "" {
			add("jurisdiction %s: no name", j.Code)
		}
	}
	ids := map[string]bool{}
	for i, e := range d.Entries {
		at := fmt.Sprintf("entry %s", e.ID)
		if e.ID == "" {
			at = fmt.Sprintf("entry #%d", i+1)
		}
		if ids[e.ID] {
			add("%s: duplicate ID", at)
		}
		ids[e.ID] = true
		for _, p := range e.problems(d, js, measures) {
			add("%s: %s", at, p)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

// problems lists what is wrong with one entry, in the words of its fields.
func (e *Entry) problems(d *Dataset, js, measures map[string]bool) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !idPattern.MatchString(e.ID) {
		add("id %q must be lower-case letters, digits and dashes, at most 100", e.ID)
	}
	if !js[e.Jurisdiction] {
		add("jurisdiction %q is not in the dataset's jurisdictions", e.Jurisdiction)
	}
	if !measures[e.Measure] {
		add("measure %q is not a measure code", e.Measure)
	}
	if !slices.Contains(Statuses(), e.Status) {
		add("status %q is not one of %s", e.Status, strings.Join(Statuses(), ", "))
	}
	if strings.TrimSpace(e.Instrument.Name) == "" || strings.TrimSpace(e.Instrument.Number) == "" {
		add("instrument needs a name and a number")
	}
	for what, u := range map[string]string{"instrument.url": e.Instrument.URL, "source.url": e.Source.URL} {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			add("%s %q is not an http(s) link", what, u)
		}
	}
	if strings.TrimSpace(e.Source.Title) == "" {
		add("source has no title")
	}
	if strings.TrimSpace(e.Scope.Text) == "" {
		add("scope has no text")
	}
	if !slices.Contains(confidences, e.Confidence) {
		add("confidence %q is not high, medium or low", e.Confidence)
	}
	for what, v := range map[string]string{"adopted": e.Dates.Adopted, "in_force": e.Dates.InForce, "applies_from": e.Dates.AppliesFrom} {
		if v != "" && !validDate(v) {
			add("dates.%s %q is not YYYY, YYYY-MM or YYYY-MM-DD", what, v)
		}
	}
	for _, p := range e.Lifecycle {
		if !slices.Contains(d.Phases, p) {
			add("lifecycle phase %q unknown", p)
		}
	}
	for _, s := range []string{e.Note, e.Scope.Text, e.Instrument.Name, e.Source.Title} {
		if len(s) > 2000 {
			add("a text field is longer than 2000 characters")
		}
	}
	return out
}

func validDate(s string) bool {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(s) == len(layout) {
			if _, err := time.Parse(layout, s); err == nil {
				return true
			}
		}
	}
	return false
}

// start is the first day a date string covers.
func start(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(s) == len(layout) {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// From is the date an entry applies from: applies_from, else in_force,
// else adopted.
func (e *Entry) From() string {
	for _, d := range []string{e.Dates.AppliesFrom, e.Dates.InForce, e.Dates.Adopted} {
		if d != "" {
			return d
		}
	}
	return ""
}

// StatusOn is the entry's status on a date: an adopted or in-force entry
// whose date has not come is adopted (not yet applicable), one whose date
// has come is in force; planned and voluntary stay as they are.
func (e *Entry) StatusOn(date time.Time) string {
	switch e.Status {
	case InForce, Adopted:
		t, ok := start(e.From())
		if ok && t.After(date) {
			return Adopted
		}
		if e.Status == Adopted && ok {
			return InForce
		}
		return e.Status
	}
	return e.Status
}

// Phases of an entry: its own, else its measure's.
func (d *Dataset) PhasesOf(e *Entry) []string {
	if len(e.Lifecycle) > 0 {
		return e.Lifecycle
	}
	if m, ok := d.Measure(e.Measure); ok {
		return m.Lifecycle
	}
	return nil
}

// Measure returns the measure with the code.
func (d *Dataset) Measure(code string) (Measure, bool) {
	i := slices.IndexFunc(d.Measures, func(m Measure) bool { return m.Code == code })
	if i < 0 {
		return Measure{}, false
	}
	return d.Measures[i], true
}

// Jurisdiction returns the jurisdiction with the code.
func (d *Dataset) Jurisdiction(code string) (Jurisdiction, bool) {
	i := slices.IndexFunc(d.Jurisdictions, func(j Jurisdiction) bool { return j.Code == code })
	if i < 0 {
		return Jurisdiction{}, false
	}
	return d.Jurisdictions[i], true
}

// Entry returns the entry with the ID.
func (d *Dataset) Entry(id string) (Entry, bool) {
	i := slices.IndexFunc(d.Entries, func(e Entry) bool { return e.ID == id })
	if i < 0 {
		return Entry{}, false
	}
	return d.Entries[i], true
}

// clone copies the dataset deeply enough to change its entry list.
func (d *Dataset) clone() *Dataset {
	c := *d
	c.Entries = slices.Clone(d.Entries)
	return &c
}
