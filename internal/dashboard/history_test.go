package dashboard

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotsec/iotsec/internal/iotsec"
)

func snap(day iotsec.Date, src string, figs map[string]int) iotsec.DashboardSnapshot {
	return iotsec.DashboardSnapshot{Day: day, Source: src, Figures: figs}
}

// TestWeekChange: the snapshot compared is the newest at least seven days
// old; none when every snapshot is younger.
func TestWeekChange(t *testing.T) {
	today := iotsec.NewDate(2026, 3, 20)
	c := CISO{Day: today, Fleet: []Figure{{"devices", "Devices", 15, "/devices"}},
		IdentityFigs: []Figure{{"revoked", "Revoked", 2, "/identity"}}, Labels: []Figure{{"under-review", "under-review", 1, "/registry"}}}
	for _, tt := range []struct {
		name  string
		snaps []iotsec.DashboardSnapshot
		want  *WeekChange
	}{
		{"none", nil, nil},
		{"only younger", []iotsec.DashboardSnapshot{snap(today.AddDays(-6), "job", nil), snap(today, "job", nil)}, nil},
		{"exactly a week", []iotsec.DashboardSnapshot{snap(today.AddDays(-9), "demo", map[string]int{"devices": 1}),
			snap(today.AddDays(-7), "job", map[string]int{"devices": 10, "identity:revoked": 3}), snap(today.AddDays(-6), "job", map[string]int{"devices": 99})},
			&WeekChange{Since: today.AddDays(-7), Source: "job", Deltas: []Delta{
				{"devices", "Devices", 15, 10, 5, "/devices"},
				{"identity:revoked", "Revoked", 2, 3, -1, "/identity"},
				{"labels:under-review", "Labels under review", 1, 0, 1, "/registry"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, weekChange(c, tt.snaps)); diff != "" {
				t.Errorf("weekChange (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrends: a point per week from the week's newest snapshot, weeks
// without one left out, and today's figure last.
func TestTrends(t *testing.T) {
	today := iotsec.NewDate(2026, 3, 20)
	e := Executive{Day: today, Figures: []Figure{{"at-risk", "Products at risk", 4, "/products"}, {"products", "Products", 9, "/products"}},
		Markets: []Market{{Code: "EU", Ready: 50}}}
	snaps := []iotsec.DashboardSnapshot{
		snap(today.AddDays(-7*TrendWeeks-1), "job", map[string]int{"at-risk": 100}), // before the first week
		snap(today.AddDays(-21), "job", map[string]int{"at-risk": 1, "ready:EU": 10}),
		snap(today.AddDays(-16), "job", map[string]int{"at-risk": 2, "ready:EU": 20}), // newest of its week
		snap(today.AddDays(-3), "demo", map[string]int{"at-risk": 3}),                 // no ready:EU then
		snap(today, "job", map[string]int{"at-risk": 50}),                             // today's: the live figure wins
	}
	want := []Trend{
		{Key: "at-risk", Label: "Products at risk", Href: "/products", Points: []Point{
			{today.AddDays(-16), 2, "job"}, {today.AddDays(-3), 3, "demo"}, {today, 4, "now"}}},
		{Key: "ready:EU", Label: "Ready for EU", Unit: "%", Href: "/policy/EU", Points: []Point{
			{today.AddDays(-16), 20, "job"}, {today, 50, "now"}}},
	}
	if diff := cmp.Diff(want, trends(e, snaps), cmp.AllowUnexported(iotsec.Date{})); diff != "" {
		t.Errorf("trends (-want +got):\n%s", diff)
	}
}

func TestKEVIDs(t *testing.T) {
	for _, tt := range []struct {
		reason string
		want   []string
	}{
		{"CVE-2023-28450 in dnsmasq 2.89 is known to be exploited (CISA KEV)", []string{"CVE-2023-28450"}},
		{"CVE-1 in a is known to be exploited (CISA KEV); 5.1-1 fails; GHSA-x in b is known to be exploited (CISA KEV)", []string{"CVE-1", "GHSA-x"}},
		{"provision 5.1-1 fails", nil},
		{"", nil},
	} {
		if diff := cmp.Diff(tt.want, kevIDs(tt.reason)); diff != "" {
			t.Errorf("kevIDs(%q) (-want +got):\n%s", tt.reason, diff)
		}
	}
	if m := median(nil); m != -1 {
		t.Errorf("median(nil) = %d", m)
	}
	if m := median([]int{9, 1, 5, 7}); m != 7 {
		t.Errorf("median(9 1 5 7) = %d, want the upper middle 7", m)
	}
}
