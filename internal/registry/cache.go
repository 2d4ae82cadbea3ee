package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/iotsec/iotsec/internal/iotsec"
)

// The label document path (/l/{label-id}.json) is the registry's hot
// public read: every app and `iotsec label verify` fetches it, and a
// revocation must show at the next request on every replica. So each
// request reads the record (one query: its status and signed label, the
// two things of the document a move changes), and everything else comes
// from memory:
//
//   - the log's verifier key: translog_keys is append-only, one key per
//     origin, so once read it is kept for good;
//   - the JWKS of each authority: keys are added (RotateKey) and retired
//     (which leaves the JWKS as it was), never changed or deleted. A label
//     whose kid the cache does not know makes it re-read every key at
//     once (a rotation on another replica); otherwise it is re-read after
//     jwksTTL, so keys an authority added since (which the label does not
//     need) appear within that time, as /registry/jwks.json's max-age;
//   - the document's JSON per label ID, kept with the status and label it
//     was built from and the JWKS it carries: served only while the
//     record still reads the same.

// jwksTTL bounds how long a JWKS is served from memory when the label's
// kid is in it.
const jwksTTL = time.Minute

// maxCachedDocuments bounds the document cache (a document with its
// label is a few KiB); when full it is emptied. A miss costs the JSON
// encoding only: the record is read on every request anyway.
const maxCachedDocuments = 4096

type docCache struct {
	mu   sync.RWMutex
	keys *keyCache
	docs map[string]cachedDoc
}

// keyCache is one read of every authority's keys.
type keyCache struct {
	at    time.Time
	orgOf map[string]string // kid → authority
	jwks  map[string][]byte // authority → its JWKS; "" → every authority's
}

type cachedDoc struct {
	status iotsec.RecordStatus
	label  string
	jwks   []byte // the JWKS it carries
	body   []byte // the response: JSON and a newline
}

// cache returns the service's document cache, making it on first use.
func (s *Service) cache() *docCache {
	s.cacheOnce.Do(func() { s.docs = &docCache{docs: map[string]cachedDoc{}} })
	return s.docs
}

// loadKeys reads every authority's keys into a new keyCache.
func (s *Service) loadKeys(ctx context.Context) (*keyCache, error) {
	keys, err := s.Store.ListRegistryKeys(ctx, "")
	if err != nil {
		return nil, err
	}
	kc := &keyCache{at: time.Now(), orgOf: map[string]string{}, jwks: map[string][]byte{}}
	byOrg := map[string][]json.RawMessage{}
	all := make([]json.RawMessage, 0, len(keys))
	for _, k := range keys {
		kc.orgOf[k.KID] = k.OrgID
		byOrg[k.OrgID] = append(byOrg[k.OrgID], json.RawMessage(k.PublicJWK))
		all = append(all, json.RawMessage(k.PublicJWK))
	}
	byOrg[""] = all
	for org, raw := range byOrg {
		b, err := json.Marshal(struct {
			Keys []json.RawMessage `json:"keys"`
		}{raw})
		if err != nil {
			return nil, err
		}
		kc.jwks[org] = b
	}
	return kc, nil
}

// documentJWKS is the JWKS of the authority whose key (kid) signed a
// label, from the cache when it knows the kid and is fresh, else read
// again; when no authority has the kid, every authority's keys.
func (s *Service) documentJWKS(ctx context.Context, kid string) ([]byte, error) {
	c := s.cache()
	c.mu.RLock()
	kc := c.keys
	c.mu.RUnlock()
	if kc != nil && time.Since(kc.at) < jwksTTL {
		if org, ok := kc.orgOf[kid]; ok {
			return kc.jwks[org], nil
		}
	}
	kc, err := s.loadKeys(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.keys = kc
	c.mu.Unlock()
	return kc.jwks[kc.orgOf[kid]], nil
}

// documentJSON is the label document of labelID as served: JSON and a
// newline, from the cache when the record still reads the same.
func (s *Service) documentJSON(ctx context.Context, labelID string) ([]byte, error) {
	status, lbl, err := s.Store.LabelState(ctx, labelID)
	if err != nil {
		return nil, err
	}
	if lbl == "" {
		return nil, iotsec.Errorf(iotsec.ErrUnavailable, "the label of this record is being issued; try again")
	}
	jwks, err := s.documentJWKS(ctx, labelKID(lbl))
	if err != nil {
		return nil, err
	}
	c := s.cache()
	c.mu.RLock()
	d, ok := c.docs[labelID]
	c.mu.RUnlock()
	if ok && d.status == status && d.label == lbl && bytes.Equal(d.jwks, jwks) {
		return d.body, nil
	}
	vkey, err := s.LogVerifierKey(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(Document{Label: lbl, Status: LabelStatus(status), JWKS: jwks,
		Log: LogInfo{Origin: s.Origin(), Key: vkey}, Page: s.PageURL(labelID)})
	if err != nil {
		return nil, err
	}
	d = cachedDoc{status: status, label: lbl, jwks: jwks, body: append(b, '\n')}
	c.mu.Lock()
	if len(c.docs) >= maxCachedDocuments {
		clear(c.docs)
	}
	c.docs[labelID] = d
	c.mu.Unlock()
	return d.body, nil
}
