package evaluation

import (
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/report"
)

// A version shows no verdicts while nothing they could rest on exists:
// no image, a scan that has not ended, or one that failed, and nothing
// an assessor recorded.
func TestNoVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   Stored
		want string // a prefix of the reason; "" for verdicts
	}{
		{"no image", Stored{}, report.NoImageNote},
		{"scan queued", Stored{Scan: iotsec.Scan{State: iotsec.ScanQueued, JobID: "job_1"}}, "The image is being scanned"},
		{"scan failed", Stored{Scan: iotsec.Scan{State: iotsec.ScanFailed, Error: "not firmware"}}, "The image could not be scanned (not firmware)"},
		{"scanned", Stored{Scan: iotsec.Scan{State: iotsec.ScanSucceeded}}, ""},
		{"queued with evidence", Stored{Scan: iotsec.Scan{State: iotsec.ScanQueued}, Evidence: []iotsec.Evidence{{Provision: "5.1-1"}}}, ""},
		{"no image with IXIT", Stored{IXIT: []IXITEntry{{}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.st.NoVerdicts()
			if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
				t.Errorf("NoVerdicts() = %q, want %q...", got, tc.want)
			}
		})
	}
}
