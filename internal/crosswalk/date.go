package crosswalk

import (
	"fmt"
	"time"
)

// Date is a calendar date of year, month or day precision, written
// "2006", "2006-01" or "2006-01-02". Sources often give only a month
// ("CLS launched 2020-10"); the precision is kept rather than invented.
type Date string

var dateLayouts = []string{"2006-01-02", "2006-01", "2006"}

// Time returns the first day of the period the date names.
func (d Date) Time() (time.Time, error) {
	if d == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	for _, l := range dateLayouts {
		if len(l) != len(d) {
			continue
		}
		if t, err := time.Parse(l, string(d)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q: want YYYY, YYYY-MM or YYYY-MM-DD", string(d))
}

// Valid reports whether d is empty or parses.
func (d Date) Valid() bool {
	if d == "" {
		return true
	}
	_, err := d.Time()
	return err == nil
}

// OnOrBefore reports whether the period d starts on or before t. An empty
// date is treated as always in effect.
func (d Date) OnOrBefore(t time.Time) bool {
	if d == "" {
		return true
	}
	dt, err := d.Time()
	if err != nil {
		return false
	}
	return !dt.After(t)
}
