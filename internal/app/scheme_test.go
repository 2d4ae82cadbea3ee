package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/catalog"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/crosswalk"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/storetest"
)

// bundle is a scheme owner's OSCAL file: the PSTI export under slug.
func bundle(t testing.TB, lib *catalog.Service, slug string) []byte {
	t.Helper()
	f, err := lib.Export(lib.Base(), "uk-psti", catalog.FormatOSCAL)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(f.Body, []byte(`"uk-psti"`), []byte(`"`+slug+`"`))
}

func get(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSchemesAcrossReplicas: two servers on one database each cache merged
// catalogs; a scheme imported through one is in the other's answers at its
// next request, and gone from both after it is deleted.
func TestSchemesAcrossReplicas(t *testing.T) {
	for name, cfgFor := range databases(t) {
		t.Run(name, func(t *testing.T) {
			cfg := cfgFor(t)
			cfg.Workers = 0
			one, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { one.Close() })
			two, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { two.Close() })
			actor, _ := seed(t, one)
			secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
			if err := one.Store.CreateToken(context.Background(), actor, &iotsec.Token{Name: "a", Role: iotsec.RoleAdmin, Hash: hash}); err != nil {
				t.Fatal(err)
			}
			url1, _ := serve(t, one)
			url2, _ := serve(t, two)
			// Warm both caches.
			for _, u := range []string{url1, url2} {
				if code, body := get(t, u+"/api/v1/schemes/replica-label", secret); code != 404 {
					t.Fatalf("before the import: %d %s", code, body)
				}
			}
			req, _ := http.NewRequest("POST", url1+"/api/v1/schemes/imports", bytes.NewReader(bundle(t, one.Catalog, "replica-label")))
			req.Header.Set("Authorization", "Bearer "+secret)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Fatalf("import through replica one = %d", resp.StatusCode)
			}
			id := strings.TrimPrefix(resp.Header.Get("Location"), "/api/v1/schemes/imports/")
			if code, body := get(t, url2+"/api/v1/schemes/replica-label", secret); code != 200 {
				t.Errorf("replica two after the import: %d %s", code, body)
			}
			req, _ = http.NewRequest("DELETE", url2+"/api/v1/schemes/imports/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 204 {
				t.Fatalf("delete through replica two = %d", resp.StatusCode)
			}
			if code, _ := get(t, url1+"/api/v1/schemes/replica-label", secret); code != 404 {
				t.Errorf("replica one after the delete: %d, want 404", code)
			}
		})
	}
}

// benchApp is a server with two organisations: one with an imported
// scheme and a mapping of its own, the other sharing a scheme with all.
func benchApp(b *testing.B, db string) (*app.App, iotsec.Actor, string) {
	cfg := config.Default()
	cfg.Workers = 0
	if db == "sqlite" {
		cfg.Data = b.TempDir()
	} else {
		cfg.Database = storetest.PostgresDSN(b)
	}
	a, err := app.New(context.Background(), cfg, quietLog(), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	ctx := context.Background()
	actor, _ := seed(b, a)
	actor.Role = iotsec.RoleOwner
	secret, hash := iotsec.NewSecret(nil, iotsec.SecretToken)
	if err := a.Store.CreateToken(ctx, actor, &iotsec.Token{Name: "bench", Role: iotsec.RoleViewer, Hash: hash}); err != nil {
		b.Fatal(err)
	}
	other := iotsec.Organisation{Name: "Other", Country: "SG"}
	if err := a.Store.CreateOrg(ctx, "test", &other, ""); err != nil {
		b.Fatal(err)
	}
	imports := []struct {
		a     iotsec.Actor
		req   catalog.ImportRequest
		share bool
	}{
		{actor, catalog.ImportRequest{Data: bundle(b, a.Catalog, "own-label")}, false},
		{actor, catalog.ImportRequest{Format: iotsec.SchemeFormatCSV, Data: []byte("from,to,sources,relationship,targets,rationale,citation_url\n" +
			"own-label,sg-cls,1,equal-to,5.1-1;5.1-2,same,https://x.example\n")}, false},
		{iotsec.System(other.ID, "bench"), catalog.ImportRequest{Data: bundle(b, a.Catalog, "shared-label"), Visibility: iotsec.VisibilityShared}, true},
	}
	for _, im := range imports {
		if _, err := a.Catalog.Import(ctx, im.a, im.req); err != nil {
			b.Fatal(err)
		}
	}
	return a, actor, secret
}

var july2026 = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkSchemesApplies is one "what applies" answer as a request gets
// it: the organisation's merged catalog (a revision read, then the cache)
// and the query. Target under 5 ms.
func BenchmarkSchemesApplies(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			a, actor, _ := benchApp(b, db)
			ctx := context.Background()
			q := crosswalk.AppliesQuery{Class: "camera", Sector: "consumer", Markets: []string{"EU", "GB", "SG"}, Date: july2026}
			b.ReportAllocs()
			for b.Loop() {
				v, err := a.Catalog.For(ctx, actor)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := v.Applies(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSchemesAPIApplies is the same over HTTP on loopback: token
// check, catalog, query and JSON.
func BenchmarkSchemesAPIApplies(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			a, _, secret := benchApp(b, db)
			url, _ := serve(b, a)
			path := url + "/api/v1/schemes/applies?class=camera&sector=consumer&market=EU,UK,SG&date=2026-07-01"
			for b.Loop() {
				if code, body := get(b, path, secret); code != 200 {
					b.Fatalf("%d %s", code, body)
				}
			}
		})
	}
}

// BenchmarkSchemesCompareAllPairs compares every scheme with every other
// in an organisation's merged catalog (the embedded schemes plus its own
// and a shared import). Target under 50 ms.
func BenchmarkSchemesCompareAllPairs(b *testing.B) {
	a, actor, _ := benchApp(b, "sqlite")
	ctx := context.Background()
	v, err := a.Catalog.For(ctx, actor)
	if err != nil {
		b.Fatal(err)
	}
	slugs := v.Catalog().Slugs()
	b.ReportAllocs()
	for b.Loop() {
		v, err := a.Catalog.For(ctx, actor)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range slugs {
			for _, y := range slugs {
				if x != y {
					if _, err := v.Compare(x, y); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	b.ReportMetric(float64(len(slugs)*(len(slugs)-1)), "pairs")
}

// BenchmarkSchemesRebuild is the cost of a cache miss: after any import,
// share or delete, the next request of each organisation merges its
// imports into the embedded catalog again.
func BenchmarkSchemesRebuild(b *testing.B) {
	a, actor, _ := benchApp(b, "sqlite")
	ctx := context.Background()
	imps, err := a.Store.LoadSchemeImports(ctx, actor)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		// A fresh library has an empty cache: each For is a miss.
		lib := catalog.New(a.Store, a.Catalog.Base().Catalog())
		if _, err := lib.For(ctx, actor); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(imps)), "imports")
}
