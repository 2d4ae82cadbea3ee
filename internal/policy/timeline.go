package policy

import (
	"context"
	"sort"
	"time"
)

// TimelineEvent is the date an entry of the dataset took, or takes,
// effect: its applies-from date, else its date in force, else the date it
// was adopted.
type TimelineEvent struct {
	Date         string `json:"date"` // YYYY, YYYY-MM or YYYY-MM-DD
	Jurisdiction string `json:"jurisdiction"`
	Measure      string `json:"measure"`
	Status       string `json:"status"` // on the day asked
	Entry        string `json:"entry"`
	Instrument   string `json:"instrument"`
}

// Timeline lists the dated entries of the dataset, earliest first, with
// their status on date.
func (s *Service) Timeline(ctx context.Context, date time.Time) ([]TimelineEvent, error) {
	d, err := s.Dataset(ctx)
	if err != nil {
		return nil, err
	}
	out := []TimelineEvent{}
	for i := range d.Entries {
		e := &d.Entries[i]
		from := e.From()
		if from == "" {
			continue
		}
		out = append(out, TimelineEvent{Date: from, Jurisdiction: e.Jurisdiction, Measure: e.Measure, Status: e.StatusOn(date), Entry: e.ID,
			Instrument: e.Instrument.Name})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		return out[i].Jurisdiction < out[j].Jurisdiction
	})
	return out, nil
}
