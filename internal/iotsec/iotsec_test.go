package iotsec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		r, other Role
		covers   bool
	}{
		{RoleOwner, RoleOwner, true},
		{RoleAdmin, RoleOwner, false},
		{RoleAdmin, RoleAdmin, true},
		{RoleAdmin, RoleViewer, true},
		{RoleMaker, RoleAssessor, false},
		{RoleAssessor, RoleMaker, false},
		{RoleMaker, RoleViewer, true},
		{RoleViewer, RoleMaker, false},
	} {
		if got := tt.r.Covers(tt.other); got != tt.covers {
			t.Errorf("%s.Covers(%s) = %v, want %v", tt.r, tt.other, got, tt.covers)
		}
	}
	if err := (Actor{OrgID: "o", Role: RoleViewer}).Can(PermWriteProducts); Kind(err) != ErrForbidden {
		t.Errorf("viewer Can(write) = %v", err)
	}
	if err := (Actor{Role: RoleOwner}).Can(PermRead); Kind(err) != ErrForbidden {
		t.Errorf("actor without org Can(read) = %v", err)
	}
	for _, r := range Roles() {
		if !r.Allows(PermRead) {
			t.Errorf("%s cannot read", r)
		}
	}
}

func TestErrors(t *testing.T) {
	err := fmt.Errorf("create product: %w", Invalid("name", "is required"))
	if Kind(err) != ErrInvalid || !errors.Is(err, ErrInvalid) || FieldOf(err) != "name" || Message(err) != "name: is required" {
		t.Errorf("wrapped Invalid: kind %v field %q message %q", Kind(err), FieldOf(err), Message(err))
	}
	if Message(errors.New("pq: password authentication failed for db secret")) != "internal error" {
		t.Error("internal errors leak their text")
	}
	if Kind(NotFound("device")) != ErrNotFound || Kind(nil) != nil {
		t.Error("Kind")
	}
}

func TestIDs(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &IDs{Now: func() time.Time { now = now.Add(time.Millisecond); return now }}
	prev := ""
	seen := map[string]bool{}
	for range 1000 {
		id := g.New(PrefixDevice)
		if len(id) != len("dev_")+26 || id <= prev || seen[id] {
			t.Fatalf("ID %q after %q: want unique, increasing, 26 characters after the prefix", id, prev)
		}
		seen[id], prev = true, id
	}
	// Random part makes IDs minted in the same millisecond differ.
	same := &IDs{Now: func() time.Time { return now }, Rand: bytes.NewReader([]byte("abcdefghijklmnopqrst"))}
	if a, b := same.New("x"), same.New("x"); a >= b {
		t.Errorf("same-millisecond IDs %s, %s: want the second above the first", a, b)
	}
	// Another generator in the same millisecond (another replica) draws
	// its own random part.
	other := &IDs{Now: func() time.Time { return now }, Rand: bytes.NewReader([]byte("zyxwvutsrqponmlkjihg"))}
	if a, b := same.New("x"), other.New("x"); a == b {
		t.Errorf("two generators minted the same ID %s", a)
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-02-28")
	if err != nil || d.AddDays(1).String() != "2026-03-01" {
		t.Fatalf("ParseDate/AddDays: %v %v", d, err)
	}
	for _, bad := range []string{"2026-2-28", "28/02/2026", "2026-02-30"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	var v struct {
		D Date `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":null}`), &v); err != nil || !v.D.IsZero() {
		t.Errorf("null date: %v %v", v.D, err)
	}
	b, _ := json.Marshal(struct{ D Date }{NewDate(2030, 12, 31)})
	if string(b) != `{"D":"2030-12-31"}` {
		t.Errorf("Marshal = %s", b)
	}
	f := FirmwareVersion{SupportEnd: NewDate(2030, 12, 31)}
	if !f.Supported(NewDate(2030, 12, 31)) || f.Supported(NewDate(2031, 1, 1)) {
		t.Error("Supported: the last day of support counts, the day after does not")
	}
}

func TestMarkets(t *testing.T) {
	got, err := NormalizeMarkets("markets", []string{" us", "UK", "eu", "GB", ""})
	if err != nil || fmt.Sprint(got) != "[EU GB US]" {
		t.Errorf("NormalizeMarkets = %v, %v", got, err)
	}
	if _, err := NormalizeMarkets("markets", []string{"XK1"}); FieldOf(err) != "markets" {
		t.Errorf("bad market error = %v", err)
	}
}

func TestAuditChain(t *testing.T) {
	var events []AuditEvent
	var prev *AuditEvent
	for i := range 5 {
		e := AuditEvent{Time: time.Date(2026, 1, 1, 0, 0, i, 123456789, time.UTC), Actor: "a", Action: "x.y", Target: fmt.Sprint(i), Details: `{"n":1}`}
		e.Seal(prev)
		events = append(events, e)
		prev = &events[len(events)-1]
	}
	verify := func(evs []AuditEvent) error {
		var v ChainVerifier
		for _, e := range evs {
			if err := v.Next(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := verify(events); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	// Fields that only differ in where one ends and the next begins must
	// not hash alike.
	a := AuditEvent{Actor: "ab", Action: "c"}
	b := AuditEvent{Actor: "a", Action: "bc"}
	if a.ComputeHash() == b.ComputeHash() {
		t.Error("length-prefixing failed: shifted fields hash alike")
	}
	for _, tt := range []struct {
		name   string
		tamper func([]AuditEvent) []AuditEvent
		seq    int64
	}{
		{"edit", func(e []AuditEvent) []AuditEvent { e[2].Details = `{"n":2}`; return e }, 3},
		{"edit time", func(e []AuditEvent) []AuditEvent { e[1].Time = e[1].Time.Add(time.Second); return e }, 2},
		{"delete", func(e []AuditEvent) []AuditEvent { return append(e[:1], e[2:]...) }, 2},
		{"delete first", func(e []AuditEvent) []AuditEvent { return e[1:] }, 1},
		{"edit and rehash one", func(e []AuditEvent) []AuditEvent { e[1].Target = "z"; e[1].Hash = e[1].ComputeHash(); return e }, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.tamper(append([]AuditEvent(nil), events...))
			var brk *ChainBreak
			if err := verify(evs); !errors.As(err, &brk) || brk.Seq != tt.seq {
				t.Errorf("break = %v, want at event %d", err, tt.seq)
			}
		})
	}
}

func TestSupportUntil(t *testing.T) {
	rel := NewDate(2026, 1, 15)
	tests := []struct {
		fw     FirmwareVersion
		months int
		want   Date
	}{
		{FirmwareVersion{ReleasedOn: rel, SupportEnd: NewDate(2027, 1, 1)}, 60, NewDate(2027, 1, 1)}, // the version's own date wins
		{FirmwareVersion{ReleasedOn: rel}, 60, NewDate(2031, 1, 14)},
		{FirmwareVersion{ReleasedOn: rel}, 0, Date{}},
		{FirmwareVersion{}, 60, Date{}},
	}
	for _, tt := range tests {
		if got := tt.fw.SupportUntil(Product{SupportMonths: tt.months}); !got.Equal(tt.want) {
			t.Errorf("%+v with %d months: %v, want %v", tt.fw, tt.months, got, tt.want)
		}
	}
}
