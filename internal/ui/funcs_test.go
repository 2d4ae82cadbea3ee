package ui

import (
	"html/template"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/evaluation"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// execFunc renders {{fn .}} with the handler's real template functions.
func execFunc(t *testing.T, fn string, in any) string {
	t.Helper()
	h := &Handler{Now: time.Now}
	tmpl, err := template.New("t").Funcs(h.funcs()).Parse("{{" + fn + " .}}")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, in); err != nil {
		t.Fatalf("%s %v: %v", fn, in, err)
	}
	return b.String()
}

func TestBadges(t *testing.T) {
	tests := []struct {
		fn   string
		in   any
		want string
	}{
		{"state", iotsec.StateOperational, `<span class="badge ok">operational</span>`},
		{"state", iotsec.StateSuspended, `<span class="badge warn">suspended</span>`},
		{"state", iotsec.StateProvisioned, `<span class="badge info">provisioned</span>`},
		{"state", iotsec.StateDisposed, `<span class="badge">disposed</span>`},
		{"status", "mandatory", `<span class="badge bad">mandatory</span>`},
		{"status", "mandatory-for-class", `<span class="badge warn">mandatory-for-class</span>`},
		{"status", "voluntary", `<span class="badge info">voluntary</span>`},
		{"coverage", "full", `<span class="badge ok">full</span>`},
		{"coverage", "partial", `<span class="badge warn">partial</span>`},
		{"coverage", "none", `<span class="badge bad">none</span>`},
		{"certstatus", iotsec.CertActive, `<span class="badge ok">active</span>`},
		{"certstatus", iotsec.CertHold, `<span class="badge warn">hold</span>`},
		{"certstatus", iotsec.CertRevoked, `<span class="badge bad">revoked</span>`},
		{"idstatus", "enrolled", `<span class="badge ok">enrolled</span>`},
		{"idstatus", "onboarding-only", `<span class="badge info">onboarding-only</span>`},
		{"idstatus", "revoked", `<span class="badge bad">revoked</span>`},
		{"verdict", evaluation.Fail, `<span class="badge bad">FAIL</span>`},
		{"verdict", evaluation.AtRisk, `<span class="badge warn">AT-RISK</span>`},
		{"verdict", evaluation.Pass, `<span class="badge ok">PASS</span>`},
		{"verdict", evaluation.NotApplicable, `<span class="badge info">NOT-APPLICABLE</span>`},
		{"jobstate", iotsec.JobQueued, `<span class="badge info">queued</span>`},
		{"jobstate", iotsec.JobRunning, `<span class="badge warn">running</span>`},
		{"jobstate", iotsec.JobSucceeded, `<span class="badge ok">succeeded</span>`},
		{"jobstate", iotsec.JobFailed, `<span class="badge bad">failed</span>`},
		{"recordstatus", iotsec.StatusApplied, `<span class="badge info">applied</span>`},
		{"recordstatus", iotsec.StatusCertified, `<span class="badge ok">certified</span>`},
		{"recordstatus", iotsec.StatusUnderReview, `<span class="badge warn">under-review</span>`},
		{"recordstatus", iotsec.StatusSuspended, `<span class="badge warn">suspended</span>`},
		{"recordstatus", iotsec.StatusExpired, `<span class="badge bad">expired</span>`},
		{"recordstatus", iotsec.StatusRevoked, `<span class="badge bad">revoked</span>`},
		{"recordstatus", iotsec.StatusWithdrawn, `<span class="badge bad">withdrawn</span>`},
		{"deliverystate", iotsec.DeliveryQueued, `<span class="badge">queued</span>`},
		{"deliverystate", iotsec.DeliveryRetrying, `<span class="badge warn">retrying</span>`},
		{"deliverystate", iotsec.DeliverySent, `<span class="badge ok">sent</span>`},
		{"deliverystate", iotsec.DeliveryFailed, `<span class="badge bad">failed</span>`},
		{"severity", "critical", `<span class="badge bad">critical</span>`},
		{"severity", "medium", `<span class="badge warn">medium</span>`},
		{"severity", "low", `<span class="badge info">low</span>`},
		{"severity", "unknown", `<span class="badge">unknown</span>`},
		{"schemestatus", evaluation.StatusNotMet, `<span class="badge bad">not met</span>`},
		{"schemestatus", evaluation.StatusMet, `<span class="badge ok">met</span>`},
		{"vexstatus", iotsec.VEXNotAffected, `<span class="badge ok">not affected</span>`},
		{"vexstatus", iotsec.VEXUnderInvestigation, `<span class="badge warn">under investigation</span>`},
		{"vexstatus", iotsec.VEXAffected, `<span class="badge bad">affected</span>`},
		{"vexstatus", "", ``},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.fn] = true
		if got := execFunc(t, tt.fn, tt.in); got != tt.want {
			t.Errorf("%s %q = %s, want %s", tt.fn, tt.in, got, tt.want)
		}
		// The same function given hostile text of the same type must
		// escape it.
		hostile := reflect.ValueOf(`<script>alert("x")</script>`).Convert(reflect.TypeOf(tt.in)).Interface()
		got := execFunc(t, tt.fn, hostile)
		if strings.Contains(got, "<script") || !strings.Contains(got, "&lt;script&gt;") || !strings.HasPrefix(got, `<span class="badge">`) {
			t.Errorf("%s of hostile text = %s", tt.fn, got)
		}
	}
	for name := range badges() {
		if !covered[name] {
			t.Errorf("badge function %s has no test case", name)
		}
	}
}

// TestBadgeEscapesClass: the class is escaped too, so a class can never
// leave its attribute.
func TestBadgeEscapesClass(t *testing.T) {
	got := badge(`x" onclick="alert(1)`, "<b>")
	want := `<span class="badge x&#34; onclick=&#34;alert(1)">&lt;b&gt;</span>`
	if string(got) != want {
		t.Errorf("badge = %s, want %s", got, want)
	}
}
