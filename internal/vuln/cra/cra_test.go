package cra

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDeadlines(t *testing.T) {
	aware := time.Date(2026, 9, 12, 16, 30, 0, 0, time.UTC) // a Saturday afternoon
	fix := time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		e    Event
		want []Deadline
	}{
		{"exploited, no fix yet", Event{Kind: ExploitedVulnerability, Aware: aware}, []Deadline{
			{Report: "early warning", Due: time.Date(2026, 9, 13, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(a)"},
			{Report: "vulnerability notification", Due: time.Date(2026, 9, 15, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(b)"},
			{Report: "final report", Pending: "due 14 days after a corrective or mitigating measure is available", Rule: "Art. 14(2)(c)"},
		}},
		{"exploited, fixed", Event{Kind: ExploitedVulnerability, Aware: aware, FixAvailable: fix}, []Deadline{
			{Report: "early warning", Due: time.Date(2026, 9, 13, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(a)"},
			{Report: "vulnerability notification", Due: time.Date(2026, 9, 15, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(b)"},
			{Report: "final report", Due: time.Date(2026, 10, 4, 9, 0, 0, 0, time.UTC), Rule: "Art. 14(2)(c)"},
		}},
		{"exploited, fixed before awareness", Event{Kind: ExploitedVulnerability, Aware: aware, FixAvailable: aware.AddDate(-1, 0, 0)}, []Deadline{
			{Report: "early warning", Due: time.Date(2026, 9, 13, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(a)"},
			{Report: "vulnerability notification", Due: time.Date(2026, 9, 15, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(b)"},
			{Report: "final report", Due: time.Date(2026, 9, 26, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(2)(c)"},
		}},
		{"severe incident, notified", Event{Kind: SevereIncident, Aware: aware, NotificationSent: time.Date(2026, 9, 14, 10, 0, 0, 0, time.UTC)}, []Deadline{
			{Report: "early warning", Due: time.Date(2026, 9, 13, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(4)(a)"},
			{Report: "incident notification", Due: time.Date(2026, 9, 15, 16, 30, 0, 0, time.UTC), Rule: "Art. 14(4)(b)"},
			{Report: "final report", Due: time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC), Rule: "Art. 14(4)(c)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Deadlines(tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Deadlines mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Deadlines(Event{}); err == nil {
		t.Error("Deadlines without awareness time succeeded")
	}
	if _, err := Deadlines(Event{Kind: 7, Aware: aware}); err == nil {
		t.Error("Deadlines with unknown kind succeeded")
	}
}

func TestOverdue(t *testing.T) {
	aware := time.Date(2026, 9, 12, 0, 0, 0, 0, time.UTC)
	ds, _ := Deadlines(Event{Kind: ExploitedVulnerability, Aware: aware})
	now := aware.Add(80 * time.Hour)
	got := Overdue(ds, map[string]bool{"early warning": true}, now)
	if len(got) != 1 || got[0].Report != "vulnerability notification" {
		t.Errorf("Overdue = %+v, want the notification only", got)
	}
}
