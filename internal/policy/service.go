package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Store is what the service needs of the database: proposals, and the
// proposing organisation (its kind and country).
type Store interface {
	iotsec.PolicyStore
	GetOrg(ctx context.Context, id string) (iotsec.Organisation, error)
}

// Service is the policy capability. Built once in internal/app; a nil
// store serves the embedded dataset only (the command line's offline
// commands).
type Service struct {
	store Store
	base  *Dataset
	// Now is the clock; the zero value means time.Now.
	Now func() time.Time
	// CatalogGaps, wired in internal/app from the catalog service, lists
	// the catalog's cells of a market with no scheme of its own.
	CatalogGaps func(ctx context.Context, market string, date time.Time) ([]GapCell, error)
	// CatalogGuide, wired in internal/app from the catalog service, gives
	// a guide its baseline, schemes and assessment specification.
	CatalogGuide func(ctx context.Context, q GuideQuery) (*GuideCatalog, error)
	// CheckRules, wired in internal/app from the check engines, lists
	// iotsec's automated checks and the provisions they bear on.
	CheckRules func() []CheckRule
	// CatalogCalls, wired in internal/app from the catalog service, gives
	// the catalog's gap matrix grouped into calls.
	CatalogCalls func(ctx context.Context, date time.Time) (*CallsCatalog, error)
}

// New builds the service over store (nil: embedded data only).
func New(store Store) (*Service, error) {
	base, err := Embedded()
	if err != nil {
		return nil, err
	}
	return &Service{store: store, base: base, Now: time.Now}, nil
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Dataset is the embedded dataset with every accepted proposal applied,
// in the order they were accepted.
func (s *Service) Dataset(ctx context.Context) (*Dataset, error) {
	if s.store == nil {
		return s.base, nil
	}
	acc, err := s.store.AcceptedPolicyProposals(ctx)
	if err != nil {
		return nil, err
	}
	if len(acc) == 0 {
		return s.base, nil
	}
	d := s.base.clone()
	for _, p := range acc {
		// A proposal was valid against the dataset when accepted; one that
		// no longer applies (its entry withdrawn since) is skipped.
		_ = apply(d, p)
	}
	return d, nil
}

// apply changes d by one accepted proposal.
func apply(d *Dataset, p iotsec.PolicyProposal) error {
	i := slices.IndexFunc(d.Entries, func(e Entry) bool { return e.ID == p.EntryID })
	switch p.Action {
	case iotsec.PolicyWithdraw:
		if i < 0 {
			return iotsec.Invalid("entry_id", "no entry %s to withdraw", p.EntryID)
		}
		d.Entries = slices.Delete(d.Entries, i, i+1)
		return nil
	}
	var e Entry
	if err := decodeStrict(p.Entry, &e); err != nil {
		return iotsec.Invalid("entry", "%v", err)
	}
	e.Proposal = p.ID
	if p.Action == iotsec.PolicyAdd {
		if i >= 0 {
			return iotsec.Invalid("entry_id", "entry %s exists; propose a change instead", p.EntryID)
		}
		d.Entries = append(d.Entries, e)
		return nil
	}
	if i < 0 {
		return iotsec.Invalid("entry_id", "no entry %s to change", p.EntryID)
	}
	d.Entries[i] = e
	return nil
}

// Countries is one row per jurisdiction: how many entries it has in each
// status on date.
type CountryRow struct {
	Code    string         `json:"code"`
	Name    string         `json:"name"`
	Entries int            `json:"entries"`
	Status  map[string]int `json:"status"`
	Note    string         `json:"note,omitempty"`
}

// Countries lists every jurisdiction of the dataset with its counts.
func (s *Service) Countries(ctx context.Context, date time.Time) ([]CountryRow, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]CountryRow, 0, len(d.Jurisdictions))
	for _, j := range d.Jurisdictions {
		r := CountryRow{Code: j.Code, Name: j.Name, Note: j.Note, Status: map[string]int{}}
		for i := range d.Entries {
			if e := &d.Entries[i]; e.Jurisdiction == j.Code {
				r.Entries++
				r.Status[e.StatusOn(date)]++
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// Measures lists the measure codes.
func (s *Service) Measures(ctx context.Context) ([]Measure, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	return d.Measures, nil
}

// Matrix is the country × measure table on a date: each cell the
// strongest status of the jurisdiction's entries for the measure, and
// those entries.
type Matrix struct {
	Date     string      `json:"date"`
	Measures []string    `json:"measures"`
	Rows     []MatrixRow `json:"rows"`
}

// MatrixRow is one jurisdiction's cells, in the order of Matrix.Measures.
type MatrixRow struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Cells []Cell `json:"cells"`
}

// Cell is one jurisdiction and measure.
type Cell struct {
	Measure string   `json:"measure"`
	Status  string   `json:"status"`
	Entries []string `json:"entries,omitempty"`
}

// Matrix returns the country × measure matrix on date.
func (s *Service) Matrix(ctx context.Context, date time.Time) (*Matrix, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	return d.Matrix(date), nil
}

// Matrix computes the country × measure matrix of d on date.
func (d *Dataset) Matrix(date time.Time) *Matrix {
	m := &Matrix{Date: date.Format("2006-01-02")}
	for _, ms := range d.Measures {
		m.Measures = append(m.Measures, ms.Code)
	}
	for _, j := range d.Jurisdictions {
		r := MatrixRow{Code: j.Code, Name: j.Name}
		for _, code := range m.Measures {
			c := Cell{Measure: code, Status: None}
			for i := range d.Entries {
				e := &d.Entries[i]
				if e.Jurisdiction != j.Code || e.Measure != code {
					continue
				}
				c.Entries = append(c.Entries, e.ID)
				if st := e.StatusOn(date); c.Status == None || rank(st) < rank(c.Status) {
					c.Status = st
				}
			}
			r.Cells = append(r.Cells, c)
		}
		m.Rows = append(m.Rows, r)
	}
	return m
}

func rank(status string) int {
	if i := slices.Index(Statuses(), status); i >= 0 {
		return i
	}
	return len(Statuses())
}

// CountryView is one jurisdiction's measures on a date.
type CountryView struct {
	Jurisdiction
	Date    string      `json:"date"`
	Entries []EntryView `json:"entries"`
	// Missing lists the measure codes the jurisdiction has no entry for.
	Missing []string `json:"missing"`
}

// EntryView is an entry with its status on the view's date and phases.
type EntryView struct {
	Entry
	StatusOn string   `json:"status_on"`
	Phases   []string `json:"phases"`
}

// Country returns a jurisdiction's entries on date, ordered by measure
// then ID. code is an ISO 3166 code or EU; UK is read as GB.
func (s *Service) Country(ctx context.Context, code string, date time.Time) (*CountryView, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	return d.Country(code, date)
}

// NormaliseCode upper-cases a jurisdiction code and reads UK as GB.
func NormaliseCode(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "UK" {
		return "GB"
	}
	return c
}

// Country is Service.Country over d.
func (d *Dataset) Country(code string, date time.Time) (*CountryView, error) {
	code = NormaliseCode(code)
	j, ok := d.Jurisdiction(code)
	if !ok {
		if !ValidJurisdiction(code) {
			return nil, iotsec.NotFound(fmt.Sprintf("country %q (want an ISO 3166 code or EU)", code))
		}
		// A real country the dataset does not list has no national
		// measure found, which is an answer, not an error.
		name, _ := iotsec.CountryName(code)
		if name == "" {
			name = code
		}
		j = Jurisdiction{Code: code, Name: name, Note: "Not in the dataset: no national measure found."}
	}
	v := &CountryView{Jurisdiction: j, Date: date.Format("2006-01-02"), Entries: []EntryView{}, Missing: []string{}}
	has := map[string]bool{}
	for _, ms := range d.Measures {
		for i := range d.Entries {
			e := &d.Entries[i]
			if e.Jurisdiction != code || e.Measure != ms.Code {
				continue
			}
			v.Entries = append(v.Entries, EntryView{Entry: *e, StatusOn: e.StatusOn(date), Phases: d.PhasesOf(e)})
			has[ms.Code] = true
		}
	}
	for _, ms := range d.Measures {
		if !has[ms.Code] {
			v.Missing = append(v.Missing, ms.Code)
		}
	}
	return v, nil
}

// Proposal is what a government organisation sends: the action, the
// entry (for add and change) or its ID (withdraw), and why.
type Proposal struct {
	Action    iotsec.PolicyAction `json:"action"`
	EntryID   string              `json:"entry_id,omitempty"`
	Entry     *Entry              `json:"entry,omitempty"`
	Rationale string              `json:"rationale"`
}

// ProposalView is a stored proposal with its entry decoded and history.
type ProposalView struct {
	iotsec.PolicyProposal
	Entry   *Entry               `json:"entry,omitempty"`
	History []iotsec.PolicyEvent `json:"history,omitempty"`
}

func view(p iotsec.PolicyProposal, h []iotsec.PolicyEvent) ProposalView {
	v := ProposalView{PolicyProposal: p, History: h}
	if len(p.Entry) > 0 {
		var e Entry
		if json.Unmarshal(p.Entry, &e) == nil {
			v.Entry = &e
		}
	}
	return v
}

func (s *Service) needStore() error {
	if s.store == nil {
		return iotsec.Errorf(iotsec.ErrInvalid, "proposals need a database")
	}
	return nil
}

// Propose stores a proposal of the actor's organisation, which must be a
// government organisation of the jurisdiction (or of the country a
// subdivision belongs to). The entry is checked against the dataset as it
// stands now.
func (s *Service) Propose(ctx context.Context, a iotsec.Actor, in Proposal) (ProposalView, error) {
	if err := s.needStore(); err != nil {
		return ProposalView{}, err
	}
	if err := a.Can(iotsec.PermWriteSchemes); err != nil {
		return ProposalView{}, err
	}
	org, err := s.store.GetOrg(ctx, a.OrgID)
	if err != nil {
		return ProposalView{}, err
	}
	if org.Kind != iotsec.OrgGovernment {
		return ProposalView{}, iotsec.Forbidden("only government organisations propose changes to national measures; this organisation is of kind %s", org.Kind)
	}
	d, err := s.Dataset(ctx)
	if err != nil {
		return ProposalView{}, err
	}
	p := iotsec.PolicyProposal{Action: in.Action, EntryID: strings.TrimSpace(in.EntryID), Rationale: in.Rationale}
	if in.Entry != nil {
		in.Entry.Proposal = ""
		if p.EntryID == "" {
			p.EntryID = in.Entry.ID
		}
		if in.Entry.ID != p.EntryID {
			return ProposalView{}, iotsec.Invalid("entry_id", "names %s but the entry's id is %s", p.EntryID, in.Entry.ID)
		}
		if p.Entry, err = json.Marshal(in.Entry); err != nil {
			return ProposalView{}, err
		}
		p.Jurisdiction = in.Entry.Jurisdiction
	} else if e, ok := d.Entry(p.EntryID); ok {
		p.Jurisdiction = e.Jurisdiction
	}
	if in.Action == iotsec.PolicyWithdraw && in.Entry != nil {
		return ProposalView{}, iotsec.Invalid("entry", "a withdrawal names the entry by entry_id and carries none")
	}
	if in.Action != iotsec.PolicyWithdraw && in.Entry == nil {
		return ProposalView{}, iotsec.Invalid("entry", "an addition or change carries the entry")
	}
	// The proposing government speaks for its own country.
	if j := p.Jurisdiction; j != "" && j != org.Country && !strings.HasPrefix(j, org.Country+"-") {
		return ProposalView{}, iotsec.Forbidden("a government organisation of %s proposes measures of %s only, not of %s", org.Country, org.Country, j)
	}
	if in.Entry != nil {
		js := map[string]bool{}
		for _, j := range d.Jurisdictions {
			js[j.Code] = true
		}
		if ValidJurisdiction(in.Entry.Jurisdiction) {
			js[in.Entry.Jurisdiction] = true // a new jurisdiction is allowed
		}
		ms := map[string]bool{}
		for _, m := range d.Measures {
			ms[m.Code] = true
		}
		if probs := in.Entry.problems(d, js, ms); len(probs) > 0 {
			return ProposalView{}, iotsec.Invalid("entry", "%s", strings.Join(probs, "; "))
		}
	}
	// Check it applies to today's dataset.
	if err := p.Normalize(); err != nil {
		return ProposalView{}, err
	}
	if err := apply(d.clone(), p); err != nil {
		return ProposalView{}, err
	}
	if err := s.store.CreatePolicyProposal(ctx, a, &p); err != nil {
		return ProposalView{}, err
	}
	return view(p, nil), nil
}

// Proposals lists the organisation's proposals (status filters when set).
func (s *Service) Proposals(ctx context.Context, a iotsec.Actor, status iotsec.PolicyStatus) ([]ProposalView, error) {
	if err := s.needStore(); err != nil {
		return nil, err
	}
	ps, err := s.store.ListPolicyProposals(ctx, a, status)
	if err != nil {
		return nil, err
	}
	out := make([]ProposalView, 0, len(ps))
	for _, p := range ps {
		out = append(out, view(p, nil))
	}
	return out, nil
}

// Proposal returns one of the organisation's proposals with its history.
func (s *Service) Proposal(ctx context.Context, a iotsec.Actor, id string) (ProposalView, error) {
	if err := s.needStore(); err != nil {
		return ProposalView{}, err
	}
	p, h, err := s.store.GetPolicyProposal(ctx, a, id)
	if err != nil {
		return ProposalView{}, err
	}
	return view(p, h), nil
}

// Review accepts or rejects a pending proposal; an accepted one changes
// the dataset every organisation sees from then on.
func (s *Service) Review(ctx context.Context, a iotsec.Actor, id string, accept bool, note string) (ProposalView, error) {
	if err := s.needStore(); err != nil {
		return ProposalView{}, err
	}
	if accept {
		p, _, err := s.store.GetPolicyProposal(ctx, a, id)
		if err != nil {
			return ProposalView{}, err
		}
		d, err := s.Dataset(ctx)
		if err != nil {
			return ProposalView{}, err
		}
		if p.Status == iotsec.PolicyPending {
			if err := apply(d.clone(), p); err != nil {
				return ProposalView{}, iotsec.Conflict("the proposal no longer applies to the dataset: %v", err)
			}
		}
	}
	p, err := s.store.ReviewPolicyProposal(ctx, a, id, accept, strings.TrimSpace(note))
	if err != nil {
		return ProposalView{}, err
	}
	return view(p, nil), nil
}

// History lists the accepted proposals that changed a jurisdiction's
// entries, oldest first: the public record of changes.
func (s *Service) History(ctx context.Context, code string) ([]ProposalView, error) {
	if s.store == nil {
		return []ProposalView{}, nil
	}
	acc, err := s.store.AcceptedPolicyProposals(ctx)
	if err != nil {
		return nil, err
	}
	code = NormaliseCode(code)
	out := []ProposalView{}
	for _, p := range acc {
		if p.Jurisdiction == code {
			v := view(p, nil)
			v.ProposerID = ""
			out = append(out, v)
		}
	}
	return out, nil
}
