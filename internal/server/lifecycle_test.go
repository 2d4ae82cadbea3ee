package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// lifecycle is the device lifecycle as docs/identity describes it,
// written out here rather than read from the code under test.
var lifecycle = map[iotsec.State][]iotsec.State{
	iotsec.StateManufactured:   {iotsec.StateProvisioned, iotsec.StateDecommissioned},
	iotsec.StateProvisioned:    {iotsec.StateOperational, iotsec.StateDecommissioned},
	iotsec.StateOperational:    {iotsec.StateSuspended, iotsec.StateProvisioned, iotsec.StateDecommissioned},
	iotsec.StateSuspended:      {iotsec.StateOperational, iotsec.StateDecommissioned},
	iotsec.StateDecommissioned: {iotsec.StateProvisioned, iotsec.StateDisposed},
	iotsec.StateDisposed:       nil,
}

// TestOneLifecycle: a device's state changes through PATCH only by the
// identity service's transitions (recorded in its history, evidence
// kept) or is refused with field "state" naming the states allowed; a
// bulk import never moves an existing device and creates new ones only in
// an initial state.
func TestOneLifecycle(t *testing.T) {
	f := apptest.New(t)
	ctx := context.Background()
	st := f.App.Store
	a := f.A.Actor()
	n := 0
	device := func(state iotsec.State) iotsec.Device {
		t.Helper()
		n++
		d := iotsec.Device{UID: fmt.Sprintf("LC-%03d", n), ProductID: f.A.Product.ID, State: state}
		apptest.Must(t, st.CreateDevice(ctx, a, &d))
		return d
	}
	wantRefusal := func(t *testing.T, status int, body []byte, wantStatus int, allowed []iotsec.State) {
		t.Helper()
		if status != wantStatus {
			t.Fatalf("status %d %s, want %d", status, body, wantStatus)
		}
		p := apptest.DecodeProblem(t, body)
		if p.Field() != "state" {
			t.Errorf("refusal about %q, want state: %s", p.Field(), body)
		}
		for _, s := range allowed {
			if !strings.Contains(p.Detail, string(s)) {
				t.Errorf("refusal %q does not name the allowed %s", p.Detail, s)
			}
		}
	}
	for _, from := range iotsec.States() {
		for _, to := range iotsec.States() {
			if from == to {
				continue
			}
			allowed := slices.Contains(lifecycle[from], to)
			t.Run(fmt.Sprintf("PATCH %s to %s", from, to), func(t *testing.T) {
				d := device(from)
				body := fmt.Sprintf(`{"state":%q,"evidence":"wiped with tool X, report R-%d"}`, to, n)
				resp, b := f.JSON("PATCH", "/api/v1/devices/"+d.ID, f.A.Token, body)
				got, err := st.GetDevice(ctx, a, d.ID)
				apptest.Must(t, err)
				history, err := st.ListTransitions(ctx, a, d.ID)
				apptest.Must(t, err)
				if !allowed {
					if got.State != from || len(history) != 0 {
						t.Errorf("refused move changed the device: %s, %d transitions", got.State, len(history))
					}
					wantRefusal(t, resp.StatusCode, b, 409, lifecycle[from])
					return
				}
				if resp.StatusCode != 200 || got.State != to {
					t.Fatalf("PATCH = %d %s; device %s", resp.StatusCode, b, got.State)
				}
				var out iotsec.Device
				json.Unmarshal(b, &out)
				if out.State != to {
					t.Errorf("answer says %s", out.State)
				}
				if len(history) != 1 || history[0].From != from || history[0].To != to {
					t.Fatalf("history %+v, want one transition %s to %s", history, from, to)
				}
				if to == iotsec.StateDecommissioned && !strings.Contains(history[0].Evidence, "wiped") {
					t.Errorf("evidence not kept: %+v", history[0])
				}
			})
			t.Run(fmt.Sprintf("import %s to %s", from, to), func(t *testing.T) {
				d := device(from)
				csv := fmt.Sprintf("uid,product,state\n%s,%s,%s\n", d.UID, f.A.Product.Model, to)
				resp, b := f.Do("POST", "/api/v1/devices/import", f.A.Token, "text/csv", strings.NewReader(csv))
				wantRefusal(t, resp.StatusCode, b, 400, lifecycle[from])
				if got, _ := st.GetDevice(ctx, a, d.ID); got.State != from {
					t.Errorf("device is %s after a refused import", got.State)
				}
			})
		}
	}
	// Decommissioning needs the wipe evidence, by PATCH as by a transition.
	d := device(iotsec.StateOperational)
	resp, b := f.JSON("PATCH", "/api/v1/devices/"+d.ID, f.A.Token, `{"state":"decommissioned"}`)
	if p := apptest.DecodeProblem(t, b); resp.StatusCode != 400 || p.Field() != "evidence" {
		t.Errorf("decommission without evidence = %d %s", resp.StatusCode, b)
	}
	// New devices start in an initial state, by the import as by POST.
	for _, s := range iotsec.States() {
		initial := s == iotsec.StateManufactured || s == iotsec.StateProvisioned || s == iotsec.StateOperational
		n++
		csv := fmt.Sprintf("uid,product,state\nNEW-%03d,%s,%s\n", n, f.A.Product.Model, s)
		resp, b := f.Do("POST", "/api/v1/devices/import", f.A.Token, "text/csv", strings.NewReader(csv))
		if initial && resp.StatusCode != 202 || !initial && resp.StatusCode != 400 {
			t.Errorf("import of a new %s device = %d %s", s, resp.StatusCode, b)
		}
		post := fmt.Sprintf(`{"uid":"NEWP-%03d","product_id":%q,"state":%q}`, n, f.A.Product.ID, s)
		resp, b = f.JSON("POST", "/api/v1/devices", f.A.Token, post)
		if initial && resp.StatusCode != 201 || !initial && (resp.StatusCode != 400 || apptest.DecodeProblem(t, b).Field() != "state") {
			t.Errorf("POST of a new %s device = %d %s", s, resp.StatusCode, b)
		}
	}
}
