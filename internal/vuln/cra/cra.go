// Package cra computes the reporting deadlines of Article 14 of the EU
// Cyber Resilience Act (Regulation (EU) 2024/2847) for a manufacturer that
// becomes aware of an actively exploited vulnerability or a severe
// incident in a product with digital elements.
//
// It is pure: times in, times out. It imports only the standard library.
package cra

import (
	"errors"
	"time"
)

// Kind is what triggers the reporting obligation.
type Kind int

const (
	// ExploitedVulnerability: Art. 14(1) and (2), an actively exploited
	// vulnerability contained in the product.
	ExploitedVulnerability Kind = iota
	// SevereIncident: Art. 14(3) and (4), a severe incident having an
	// impact on the security of the product.
	SevereIncident
)

// Event is what the manufacturer knows.
type Event struct {
	Kind  Kind
	Aware time.Time // when the manufacturer became aware (a KEV entry naming the product, a report ...)
	// FixAvailable is when a corrective or mitigating measure became
	// available; zero while there is none.
	FixAvailable time.Time
	// NotificationSent is when the incident notification (second report)
	// was submitted; zero while it was not.
	NotificationSent time.Time
}

// Deadline is one report and when it is due.
type Deadline struct {
	Report  string    // "early warning", "vulnerability notification", "final report" ...
	Due     time.Time // zero when it cannot be computed yet
	Pending string    // why Due is zero
	Rule    string    // the provision
}

// Deadlines returns the three reports due for e, in order.
//
//   - early warning: 24 hours after awareness (Art. 14(2)(a), 14(4)(a));
//   - notification: 72 hours after awareness (Art. 14(2)(b), 14(4)(b));
//   - final report: for an exploited vulnerability no later than 14 days
//     after a corrective or mitigating measure is available (Art.
//     14(2)(c)); for a severe incident within one month after the
//     incident notification (Art. 14(4)(c)).
func Deadlines(e Event) ([]Deadline, error) {
	if e.Aware.IsZero() {
		return nil, errors.New("awareness time is required")
	}
	out := []Deadline{{Report: "early warning", Due: e.Aware.Add(24 * time.Hour)}}
	switch e.Kind {
	case ExploitedVulnerability:
		out[0].Rule = "Art. 14(2)(a)"
		out = append(out, Deadline{Report: "vulnerability notification", Due: e.Aware.Add(72 * time.Hour), Rule: "Art. 14(2)(b)"})
		final := Deadline{Report: "final report", Rule: "Art. 14(2)(c)"}
		if e.FixAvailable.IsZero() {
			final.Pending = "due 14 days after a corrective or mitigating measure is available"
		} else {
			// A fix older than the awareness (an old bug now exploited)
			// cannot put the deadline before the manufacturer knew:
			// count from the later of the two. [U] the Regulation does
			// not address this case.
			from := e.FixAvailable
			if from.Before(e.Aware) {
				from = e.Aware
			}
			final.Due = from.AddDate(0, 0, 14)
		}
		out = append(out, final)
	case SevereIncident:
		out[0].Rule = "Art. 14(4)(a)"
		out = append(out, Deadline{Report: "incident notification", Due: e.Aware.Add(72 * time.Hour), Rule: "Art. 14(4)(b)"})
		final := Deadline{Report: "final report", Rule: "Art. 14(4)(c)"}
		if e.NotificationSent.IsZero() {
			final.Pending = "due one month after the incident notification is submitted"
		} else {
			final.Due = e.NotificationSent.AddDate(0, 1, 0)
		}
		out = append(out, final)
	default:
		return nil, errors.New("unknown event kind")
	}
	return out, nil
}

// Overdue returns the reports of ds that are due before now and not in sent.
func Overdue(ds []Deadline, sent map[string]bool, now time.Time) []Deadline {
	var out []Deadline
	for _, d := range ds {
		if !d.Due.IsZero() && d.Due.Before(now) && !sent[d.Report] {
			out = append(out, d)
		}
	}
	return out
}
