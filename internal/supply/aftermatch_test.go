package supply_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/supply"
)

// TestAfterMatch: the hook sees every match of the version after each
// match, the same state again when nothing changed, and its error is the
// match's.
func TestAfterMatch(t *testing.T) {
	ctx := context.Background()
	st := apptest.Stores(t, nil)["sqlite"]
	svc := supply.New(st, nil)
	o := iotsec.Organisation{Name: "Acme", Country: "NL"}
	must(t, st.CreateOrg(ctx, "t", &o, ""))
	a := iotsec.System(o.ID, "t")
	p := iotsec.Product{Name: "Router R100", Model: "R100"}
	must(t, st.CreateProduct(ctx, a, &p))
	fw := iotsec.FirmwareVersion{ProductID: p.ID, Version: "1.2"}
	must(t, st.CreateFirmware(ctx, a, &fw))
	if _, err := svc.Import(ctx, "t", nvdDir, ""); err != nil {
		t.Fatal(err)
	}

	type call struct {
		firmware string
		matches  int
	}
	var calls []call
	var fail error
	svc.AfterMatch = func(ctx context.Context, got iotsec.Actor, firmwareID string, ms []iotsec.VulnMatch) error {
		if got.OrgID != a.OrgID {
			t.Errorf("hook actor %+v, want organisation %s", got, a.OrgID)
		}
		calls = append(calls, call{firmwareID, len(ms)})
		return fail
	}
	if _, _, err := svc.ImportSBOM(ctx, a, fw.ID, "fw.cdx.json", []byte(fwSBOM)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Rematch(ctx, a, fw.ID); err != nil {
		t.Fatal(err)
	}
	stored, err := st.ListMatches(ctx, a, iotsec.MatchFilter{FirmwareID: fw.ID, Suppressed: true, Limit: 10000})
	must(t, err)
	if len(calls) != 2 || calls[0] != calls[1] || calls[1] != (call{fw.ID, len(stored)}) || len(stored) == 0 {
		t.Errorf("hook calls %+v, want two with %s and its %d stored matches", calls, fw.ID, len(stored))
	}

	fail = errors.New("registry unavailable")
	_, err = svc.Rematch(ctx, a, fw.ID)
	if !errors.Is(err, fail) || !strings.Contains(err.Error(), fw.ID) {
		t.Errorf("re-match with a failing hook = %v, want its error naming %s", err, fw.ID)
	}
}
