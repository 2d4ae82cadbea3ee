package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/iotsec/iotsec/internal/app/apptest"
	"github.com/iotsec/iotsec/internal/iotsec"
)

// TestAuditHeadAPI: an organisation fetches the signed head of its own
// audit chain; it names its newest event and verifies with the server's
// key for that organisation, not another's.
func TestAuditHeadAPI(t *testing.T) {
	f := apptest.New(t)
	ctx := context.Background()
	resp, body := f.JSON("GET", "/api/v1/audit/head", f.A.Token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET head = %d %s", resp.StatusCode, body)
	}
	var h struct {
		iotsec.AuditHead
		Checkpoint string `json:"checkpoint"`
	}
	apptest.Must(t, json.Unmarshal(body, &h))
	evs, err := f.App.Store.OrgAuditEvents(ctx, f.A.Org.ID, 0, 1000)
	apptest.Must(t, err)
	last := evs[len(evs)-1]
	if h.OrgID != f.A.Org.ID || h.Seq != last.OrgSeq || h.Hash != last.OrgHash {
		t.Errorf("head = %+v, want A's event %d %s", h.AuditHead, last.OrgSeq, last.OrgHash)
	}
	got, err := f.App.Registry.VerifyAuditHead(ctx, f.A.Org.ID, []byte(h.Checkpoint))
	if err != nil || got != h.AuditHead {
		t.Errorf("VerifyAuditHead = %+v, %v", got, err)
	}
	if _, err := f.App.Registry.VerifyAuditHead(ctx, f.B.Org.ID, []byte(h.Checkpoint)); err == nil {
		t.Error("A's head verifies as B's")
	}
}
