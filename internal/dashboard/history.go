package dashboard

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// Snapshots: once a day the figures of an organisation's CISO and
// executive dashboards are stored by key (iotsec.DashboardSnapshot), so the
// CISO sees what changed since last week and the executive sees trends.
// The keys are the figures' own: a fleet figure's Key ("kev-devices"),
// "identity:" and "labels:" with the health or status, the executive's
// figure keys ("at-risk", "open-cra") and "ready:", "labelled:" and
// "products:" with a market code.

// SnapshotFigures computes the figures a snapshot keeps, from the same
// CISO and executive structs the dashboards show.
func (s *Service) SnapshotFigures(ctx context.Context, a iotsec.Actor) (map[string]int, error) {
	c, err := s.ciso(ctx, a, false)
	if err != nil {
		return nil, err
	}
	e, err := s.executive(ctx, a, false)
	if err != nil {
		return nil, err
	}
	return snapshotOf(c, e), nil
}

func snapshotOf(c CISO, e Executive) map[string]int {
	m := map[string]int{}
	for _, f := range c.Fleet {
		m[f.Key] = f.Value
	}
	for _, f := range c.IdentityFigs {
		m["identity:"+f.Key] = f.Value
	}
	for _, f := range c.Labels {
		m["labels:"+f.Key] = f.Value
	}
	for _, f := range e.Figures {
		m[f.Key] = f.Value
	}
	for _, mk := range e.Markets {
		m["ready:"+mk.Code] = mk.Ready
		m["labelled:"+mk.Code] = mk.Labelled
		m["products:"+mk.Code] = mk.Products
	}
	return m
}

// Snapshot computes and stores the organisation's snapshot of the
// service's today, replacing one of the same day; source says why
// ("job", "start", "demo").
func (s *Service) Snapshot(ctx context.Context, a iotsec.Actor, source string) (iotsec.DashboardSnapshot, error) {
	figs, err := s.SnapshotFigures(ctx, a)
	if err != nil {
		return iotsec.DashboardSnapshot{}, err
	}
	now := s.Now()
	snap := iotsec.DashboardSnapshot{OrgID: a.OrgID, Day: iotsec.DateOf(now), TakenAt: now, Source: source, Figures: figs}
	return snap, s.Store.PutDashboardSnapshot(ctx, snap)
}

// SnapshotAll stores today's snapshot of every organisation that has
// none yet (all of them with replace), as the system. An organisation's
// failure does not stop the others'; the errors are joined.
func (s *Service) SnapshotAll(ctx context.Context, source string, replace bool) (int, error) {
	orgs, err := s.Store.ListOrgs(ctx)
	if err != nil {
		return 0, err
	}
	today := iotsec.DateOf(s.Now())
	n := 0
	var errs []error
	for _, o := range orgs {
		a := iotsec.System(o.ID, "dashboard-snapshot")
		if !replace {
			have, err := s.Store.DashboardSnapshots(ctx, a, today)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(have) > 0 {
				continue
			}
		}
		if _, err := s.Snapshot(ctx, a, source); err != nil {
			errs = append(errs, fmt.Errorf("dashboard snapshot of %s: %w", o.Name, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Delta is a figure now against the same figure in an older snapshot.
type Delta struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Now   int    `json:"now"`
	Then  int    `json:"then"`
	Delta int    `json:"delta"` // Now - Then
	Href  string `json:"href"`
}

// WeekChange is what changed since the newest snapshot at least seven
// days old.
type WeekChange struct {
	Since  iotsec.Date `json:"since"`  // the snapshot's day
	Source string      `json:"source"` // how it was taken (job, start, demo)
	Deltas []Delta     `json:"deltas"`
}

// weekChange compares the CISO's figures with the newest snapshot of
// day-7 or older among snaps (oldest first); nil when there is none.
func weekChange(c CISO, snaps []iotsec.DashboardSnapshot) *WeekChange {
	week := c.Day.AddDays(-7)
	var then *iotsec.DashboardSnapshot
	for i := range snaps {
		if !week.Before(snaps[i].Day) {
			then = &snaps[i]
		}
	}
	if then == nil {
		return nil
	}
	out := &WeekChange{Since: then.Day, Source: then.Source}
	add := func(key, prefix string, f Figure) {
		old := then.Figures[prefix+key]
		out.Deltas = append(out.Deltas, Delta{prefix + key, f.Label, f.Value, old, f.Value - old, f.Href})
	}
	for _, f := range c.Fleet {
		add(f.Key, "", f)
	}
	for _, f := range c.IdentityFigs {
		add(f.Key, "identity:", f)
	}
	for _, f := range c.Labels {
		f.Label = "Labels " + strings.ReplaceAll(f.Label, "-", " ")
		add(f.Key, "labels:", f)
	}
	return out
}

// Point is one value of a trend.
type Point struct {
	Day    iotsec.Date `json:"day"`
	Value  int         `json:"value"`
	Source string      `json:"source"` // the snapshot's source; "now" for today's live figure
}

// Trend is a weekly series of one figure, oldest first, ending with
// today's live figure.
type Trend struct {
	Key    string  `json:"key"`
	Label  string  `json:"label"`
	Unit   string  `json:"unit"` // "" (a count) or "%"
	Href   string  `json:"href"`
	Points []Point `json:"points"`
}

// TrendWeeks is how many weeks the executive's trends go back.
const TrendWeeks = 12

// trends builds the executive's weekly series: for each of the
// TrendWeeks weeks before today, the newest snapshot of that week (days
// today-7k-6 to today-7k), then today's live figures. A week without a
// snapshot has no point.
func trends(e Executive, snaps []iotsec.DashboardSnapshot) []Trend {
	type series struct {
		key, label, unit, href string
		now                    int
	}
	var ss []series
	for _, f := range e.Figures {
		if f.Key == "at-risk" || f.Key == "open-cra" {
			ss = append(ss, series{f.Key, f.Label, "", f.Href, f.Value})
		}
	}
	for _, m := range e.Markets {
		ss = append(ss, series{"ready:" + m.Code, "Ready for " + m.Code, "%", "/policy/" + m.Code, m.Ready})
	}
	// The newest snapshot of each week, oldest week first.
	var weeks []iotsec.DashboardSnapshot
	for k := TrendWeeks; k >= 1; k-- {
		end, start := e.Day.AddDays(-7*(k-1)-1), e.Day.AddDays(-7*k)
		var pick *iotsec.DashboardSnapshot
		for i := range snaps {
			d := snaps[i].Day
			if !d.Before(start) && !end.Before(d) {
				pick = &snaps[i]
			}
		}
		if pick != nil {
			weeks = append(weeks, *pick)
		}
	}
	out := make([]Trend, 0, len(ss))
	for _, x := range ss {
		t := Trend{Key: x.key, Label: x.label, Unit: x.unit, Href: x.href}
		for _, w := range weeks {
			if v, ok := w.Figures[x.key]; ok {
				t.Points = append(t.Points, Point{w.Day, v, w.Source})
			}
		}
		t.Points = append(t.Points, Point{e.Day, x.now, "now"})
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Unit < out[j].Unit })
	return out
}
