package iotsec

import (
	"strings"
	"testing"
)

func TestCanMove(t *testing.T) {
	allowed := map[RecordStatus][]RecordStatus{
		StatusApplied:     {StatusCertified, StatusWithdrawn, StatusRevoked},
		StatusCertified:   {StatusCertified, StatusSuspended, StatusUnderReview, StatusExpired, StatusRevoked, StatusWithdrawn},
		StatusUnderReview: {StatusCertified, StatusSuspended, StatusRevoked, StatusWithdrawn, StatusExpired},
		StatusSuspended:   {StatusCertified, StatusRevoked, StatusWithdrawn, StatusExpired},
		StatusExpired:     {StatusCertified},
	}
	for _, from := range RecordStatuses() {
		for _, to := range RecordStatuses() {
			if got, want := CanMove(from, to), oneOf(to, allowed[from]); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		if got, want := from.Terminal(), from == StatusRevoked || from == StatusWithdrawn; got != want {
			t.Errorf("%s.Terminal() = %v, want %v", from, got, want)
		}
	}
	if CanMove("", StatusApplied) || CanMove(StatusApplied, "granted") {
		t.Error("CanMove accepts unknown statuses")
	}
	for _, tt := range []struct {
		from, to RecordStatus
		grant    bool
	}{
		{StatusApplied, StatusCertified, true},
		{StatusExpired, StatusCertified, true},
		{StatusCertified, StatusCertified, true},
		{StatusUnderReview, StatusCertified, false},
		{StatusSuspended, StatusCertified, false},
		{StatusCertified, StatusRevoked, false},
	} {
		if got := IsGrant(tt.from, tt.to); got != tt.grant {
			t.Errorf("IsGrant(%s, %s) = %v", tt.from, tt.to, got)
		}
	}
	if MoveSide(StatusWithdrawn) != SideMaker || MoveSide(StatusCertified) != SideAuthority || MoveSide(StatusRevoked) != SideAuthority {
		t.Error("MoveSide: the maker withdraws, the authority does everything else")
	}
}

func TestCertifyRoles(t *testing.T) {
	for _, tt := range []struct {
		r           Role
		certify     bool
		applyOrDrop bool
	}{
		{RoleOwner, true, true},
		{RoleAdmin, true, true},
		{RoleAssessor, true, false},
		{RoleMaker, false, true},
		{RoleViewer, false, false},
	} {
		if got := tt.r.Allows(PermCertify); got != tt.certify {
			t.Errorf("%s.Allows(certify) = %v, want %v", tt.r, got, tt.certify)
		}
		if got := tt.r.Allows(PermWriteProducts); got != tt.applyOrDrop {
			t.Errorf("%s.Allows(write-products) = %v, want %v", tt.r, got, tt.applyOrDrop)
		}
	}
}

func TestCertificationNormalize(t *testing.T) {
	ok := func() Certification {
		return Certification{FirmwareID: "fw_1", Scheme: " cls ", Level: " 2 ", AuthorityOrgID: "org_1"}
	}
	c := ok()
	if err := c.Normalize(); err != nil || c.Scheme != "cls" || c.Level != "2" || c.Reasons == nil {
		t.Fatalf("Normalize = %v, %+v", err, c)
	}
	for _, tt := range []struct {
		field  string
		change func(*Certification)
	}{
		{"scheme", func(c *Certification) { c.Scheme = "" }},
		{"firmware_id", func(c *Certification) { c.FirmwareID = "" }},
		{"authority_org_id", func(c *Certification) { c.AuthorityOrgID = "" }},
		{"level", func(c *Certification) { c.Level = "a\nb" }},
		{"valid_until", func(c *Certification) { c.ValidFrom, c.ValidUntil = NewDate(2026, 2, 1), NewDate(2026, 1, 1) }},
		{"reasons", func(c *Certification) { c.Reasons = []string{" "} }},
	} {
		c := ok()
		tt.change(&c)
		if err := c.Normalize(); FieldOf(err) != tt.field {
			t.Errorf("%s: Normalize = %v", tt.field, err)
		}
	}
	c = ok()
	c.Status = StatusCertified
	if err := c.CheckMove(); FieldOf(err) != "valid_until" {
		t.Errorf("certified without validity: %v", err)
	}
	o := SchemeOperator{OrgID: "org_1", Scheme: "cls", Role: OperatorDelegate, DelegatedBy: "org_1"}
	if err := o.Normalize(); FieldOf(err) != "delegated_by" {
		t.Errorf("a delegate of itself: %v", err)
	}
}

func TestSecret(t *testing.T) {
	var g IDs
	a, b := g.Secret(), g.Secret()
	if len(a) != 26 || a == b || strings.Trim(a, "0123456789abcdefghjkmnpqrstvwxyz") != "" {
		t.Errorf("Secret() = %q, %q: want two different 26-character URL-safe strings", a, b)
	}
}
