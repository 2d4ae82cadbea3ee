package server

import (
	"testing"
	"time"
)

func TestFairAdmit(t *testing.T) {
	f := newFair(Fairness{Rate: 1, Burst: 3, InFlight: 2})
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	// Two at once, the third waits for one to end.
	d1, _ := f.admit("A", now)
	d2, _ := f.admit("A", now)
	if d1 == nil || d2 == nil {
		t.Fatal("the first two were refused")
	}
	if d, wait := f.admit("A", now); d != nil || wait != time.Second {
		t.Fatalf("third in flight admitted (wait %s)", wait)
	}
	d1()
	d3, _ := f.admit("A", now)
	if d3 == nil {
		t.Fatal("refused after one ended")
	}
	d2()
	d3()
	// The bucket of 3 is empty now: the next comes in a second.
	if d, wait := f.admit("A", now); d != nil || wait != time.Second {
		t.Fatalf("over the burst admitted (wait %s)", wait)
	}
	// Another organisation has its own share.
	if d, _ := f.admit("B", now); d == nil {
		t.Fatal("B refused for A's flood")
	}
	if d, _ := f.admit("A", now.Add(time.Second)); d == nil {
		t.Fatal("A refused after its wait")
	}
}
