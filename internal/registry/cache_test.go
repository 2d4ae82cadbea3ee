package registry_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/registry"
)

// TestDocumentAcrossReplicas: the document served from one replica's
// memory follows every move and key rotation made on another replica over
// the same database at the next request.
func TestDocumentAcrossReplicas(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		srv := serve(t, e.svc)
		other := registry.New(e.store, kek, "https://registry.example", nil)
		other.Rules = catalogRules(t)
		other.Now = e.clock.Now
		c, err := other.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		c, err = other.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)
		url := srv.URL + "/l/" + c.LabelID + ".json"
		status := func(want label.Status) []byte {
			t.Helper()
			for range 2 { // the first read fills the cache, the second is served from it
				code, _, doc := get(t, url)
				if code != 200 {
					t.Fatalf("document: %d %s", code, doc)
				}
				if r := e.verify(doc, registry.VerifyOptions{}); r.Status != want {
					t.Fatalf("document status %s, want %s: %v", r.Status, want, codes(r))
				}
			}
			_, _, doc := get(t, url)
			return doc
		}
		first := status(label.StatusCertified)

		// The other replica rotates the authority's key and suspends: the
		// label is signed with a kid this replica has not seen.
		_, err = other.RotateKey(e.ctx, e.judge)
		must(t, err)
		e.clock.Add(time.Hour)
		_, err = other.Suspend(e.ctx, e.judge, c.ID, "audit")
		must(t, err)
		suspended := status(label.StatusSuspended)
		if labelKid(t, first) == labelKid(t, suspended) {
			t.Fatal("the label after rotation is signed with the old key")
		}
		var d registry.Document
		must(t, json.Unmarshal(suspended, &d))
		keys, err := label.ParseKeySet(d.JWKS)
		must(t, err)
		if len(keys.Keys) != 2 {
			t.Errorf("the document's JWKS has %d keys, want the authority's 2", len(keys.Keys))
		}

		e.clock.Add(time.Hour)
		_, err = other.Revoke(e.ctx, e.judge, c.ID, "breach")
		must(t, err)
		status(label.StatusRevoked)
	})
}
