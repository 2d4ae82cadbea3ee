package registry_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/label"
	"github.com/iotsec/iotsec/internal/registry"
	"github.com/iotsec/iotsec/internal/translog"
)

func serve(t *testing.T, svc *registry.Service) *httptest.Server {
	mux := http.NewServeMux()
	for _, r := range svc.Routes() {
		mux.HandleFunc(r.Method+" "+r.Path, r.Handler)
	}
	// The web UI routes /l/{label-id}[.json]; the JSON is the service's.
	mux.HandleFunc("GET /l/{file}", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutSuffix(r.PathValue("file"), ".json"); ok {
			svc.ServeDocument(w, r, id)
			return
		}
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, resp.Header, b
}

func TestPublicEndpoints(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		srv := serve(t, e.svc)
		c, err := e.svc.Apply(e.ctx, e.maker, e.firmware, "sg-cls", "2", "")
		must(t, err)
		if code, _, _ := get(t, srv.URL+"/l/"+c.LabelID+".json"); code != http.StatusNotFound {
			t.Fatalf("document before the grant: %d", code)
		}
		c, err = e.svc.Grant(e.ctx, e.judge, c.ID, registry.GrantInput{})
		must(t, err)

		code, h, doc := get(t, srv.URL+"/l/"+c.LabelID+".json")
		if code != 200 || h.Get("Content-Type") != "application/json" {
			t.Fatalf("document: %d %s", code, doc)
		}
		if r := e.verify(doc, registry.VerifyOptions{}); !r.Valid {
			t.Fatalf("served document: %v", codes(r))
		}
		// Revocation shows at once.
		e.clock.Add(time.Hour)
		_, err = e.svc.Revoke(e.ctx, e.judge, c.ID, "breach")
		must(t, err)
		_, _, doc = get(t, srv.URL+"/l/"+c.LabelID+".json")
		if r := e.verify(doc, registry.VerifyOptions{}); r.Valid || r.Status != label.StatusRevoked {
			t.Fatalf("after revocation: %+v", r)
		}

		code, h, png := get(t, srv.URL+"/l/"+c.LabelID+"/qr.png")
		if code != 200 || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("qr.png: %d %s", code, h.Get("Content-Type"))
		}
		code, h, svg := get(t, srv.URL+"/l/"+c.LabelID+"/qr.svg")
		if code != 200 || h.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("qr.svg: %d %s", code, h.Get("Content-Type"))
		}
		for _, path := range []string{"/l/nope.json", "/l/nope/qr.png", "/l/" + c.LabelID} {
			if code, _, _ := get(t, srv.URL+path); code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, code)
			}
		}

		code, _, jwks := get(t, srv.URL+"/registry/jwks.json")
		if _, err := label.ParseKeySet(jwks); code != 200 || err != nil {
			t.Errorf("jwks: %d %v", code, err)
		}

		code, _, cp := get(t, srv.URL+"/log/checkpoint")
		vkey, err := e.svc.LogVerifierKey(e.ctx)
		must(t, err)
		v, err := translog.NewVerifier(vkey)
		must(t, err)
		latest, err := translog.VerifyCheckpoint(cp, v)
		if code != 200 || err != nil || latest.Size != 2 {
			t.Fatalf("checkpoint: %d %v %+v", code, err, latest)
		}

		recs, err := e.store.LogRecords(e.ctx, 0, 2)
		must(t, err)
		for i, rec := range recs {
			code, _, body := get(t, fmt.Sprintf("%s/log/proof?index=%d&size=2", srv.URL, i))
			b, err := translog.ParseBundle(body)
			if code != 200 || err != nil {
				t.Fatalf("proof %d: %d %v %s", i, code, err, body)
			}
			if _, err := b.Verify(v, rec.Data); err != nil {
				t.Errorf("proof %d: %v", i, err)
			}
		}
		_, _, body := get(t, srv.URL+"/log/proof?index=0")
		if _, err := translog.ParseBundle(body); err != nil {
			t.Errorf("proof at the latest checkpoint: %v", err)
		}

		first, err := e.store.CheckpointAt(e.ctx, 1)
		must(t, err)
		code, _, body = get(t, srv.URL+"/log/consistency?old=1&new=2")
		var cons struct {
			OldSize, NewSize int64
			Proof            []string
		}
		if err := json.Unmarshal(body, &cons); code != 200 || err != nil {
			t.Fatalf("consistency: %d %v %s", code, err, body)
		}
		var proof translog.TreeProof
		for _, s := range cons.Proof {
			b, err := base64.StdEncoding.DecodeString(s)
			must(t, err)
			var h translog.Hash
			copy(h[:], b)
			proof = append(proof, h)
		}
		if _, err := translog.VerifyConsistency(v, []byte(first.Text), cp, proof); err != nil {
			t.Errorf("monitor over HTTP: %v", err)
		}

		for path, want := range map[string]int{
			"/log/proof":                   400,
			"/log/proof?index=-1":          400,
			"/log/proof?index=5&size=2":    400,
			"/log/proof?index=0&size=99":   404,
			"/log/consistency?old=2&new=1": 400,
			"/log/consistency?old=0&new=9": 400,
			"/log/consistency?old=x&new=1": 400,
		} {
			if code, _, body := get(t, srv.URL+path); code != want {
				t.Errorf("%s: %d, want %d (%s)", path, code, want, strings.TrimSpace(string(body)))
			}
		}
	})
}
