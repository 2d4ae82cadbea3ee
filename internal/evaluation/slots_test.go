package evaluation

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestScansPerOrg: a scan job of an organisation that already runs its
// share of scans waits (a retry, not a failure); another organisation's
// does not wait for it; a finished scan frees its slot.
func TestScansPerOrg(t *testing.T) {
	s := &Service{ScansPerOrg: 1, running: &orgSlots{n: map[string]int{}}}
	if !s.running.take("org_a", 1) {
		t.Fatal("first slot refused")
	}
	_, err := s.ScanStored(context.Background(), iotsec.Job{Actor: iotsec.Actor{OrgID: "org_a"}}, "fw_1")
	var je *iotsec.JobError
	if !errors.As(err, &je) || je.Final || je.Retry <= 0 || !strings.Contains(je.Error(), "already runs 1 scan") {
		t.Fatalf("second scan of the same organisation: %v, want a retry saying why", err)
	}
	if !s.running.take("org_b", 1) {
		t.Error("another organisation waits for org_a's scan")
	}
	s.running.give("org_a")
	if !s.running.take("org_a", 1) {
		t.Error("a finished scan did not free its slot")
	}
}
