package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/app"
	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/iotsec"
	"github.com/iotsec/iotsec/internal/registry"
)

// labelConns is the number of client goroutines (each with its own
// keep-alive connection) of the loopback load generator.
const labelConns = 32

// BenchmarkPublicLabel is issue 11's measurement: public label
// verification under load. One server (app.New on SQLite, the full
// Handler with its middleware) on a loopback listener; in the same process
// labelConns client goroutines with keep-alive connections share b.N
// requests. Each sub-benchmark reports requests/s, the p50 and p99
// latency of one request and the process's CPU time per request:
//
//	healthz   GET /healthz, the reference ceiling of this server and client
//	document  GET /l/{label-id}.json of a certified label
//	revoke    the same while the label is revoked half-way through, by
//	          another registry service over the same database (another
//	          replica); every response to a request that started after
//	          Revoke returned must say "revoked", or the benchmark fails.
//
//	go test -run '^$' -bench BenchmarkPublicLabel -benchtime 100000x ./internal/app/
func BenchmarkPublicLabel(b *testing.B) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Workers = 0
	cfg.Data, cfg.CAKey = b.TempDir(), config.Secret(testKEK)
	a, err := app.New(ctx, cfg, quietLog(), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	url, _ := serve(b, a)

	g := newLabelGrant(b, a)
	certified := g.grant(b)

	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: labelConns, MaxIdleConnsPerHost: labelConns, MaxConnsPerHost: labelConns,
		IdleConnTimeout: time.Minute,
	}}
	b.Cleanup(client.CloseIdleConnections)

	b.Run("healthz", func(b *testing.B) {
		loadLabel(b, client, url+"/healthz", nil, nil)
	})
	b.Run("document", func(b *testing.B) {
		loadLabel(b, client, url+"/l/"+certified+".json", []byte(`"status":"certified"`), nil)
	})
	b.Run("revoke", func(b *testing.B) {
		id, labelID := g.apply(b), ""
		labelID = g.grantID(b, id)
		// Another replica: its own registry service (and caches) over the
		// same database.
		kek, err := cfg.KEK()
		if err != nil {
			b.Fatal(err)
		}
		other := registry.New(a.Store, kek, cfg.URL(), quietLog())
		var revokedAt atomic.Int64 // unix nanoseconds after Revoke returned; 0 before
		revoke := func() {
			if _, err := other.Revoke(ctx, g.judge, id, "benchmark"); err != nil {
				b.Error(err)
				return
			}
			revokedAt.Store(time.Now().UnixNano())
		}
		samples := loadLabel(b, client, url+"/l/"+labelID+".json", nil, revoke)
		after, stale := 0, 0
		for _, s := range samples {
			if at := revokedAt.Load(); at != 0 && s.start > at {
				after++
				if !bytes.Contains(s.body, []byte(`"status":"revoked"`)) {
					stale++
				}
			}
		}
		if revokedAt.Load() == 0 {
			b.Fatal("the label was not revoked")
		}
		if stale > 0 {
			b.Fatalf("%d of %d responses to requests started after the revocation are stale", stale, after)
		}
		b.ReportMetric(float64(after), "after-revoke")
	})
}

// labelGrant makes granted records of one maker under one authority.
type labelGrant struct {
	a      *app.App
	maker  iotsec.Actor
	judge  iotsec.Actor
	prodID string
	n      int
}

func newLabelGrant(b *testing.B, a *app.App) *labelGrant {
	ctx := context.Background()
	maker, csa := iotsec.Organisation{Name: "Acme Cameras", Country: "SG"}, iotsec.Organisation{Name: "CSA", Country: "SG"}
	must(b, a.Store.CreateOrg(ctx, "t", &maker, ""))
	must(b, a.Store.CreateOrg(ctx, "t", &csa, ""))
	g := &labelGrant{a: a, maker: iotsec.System(maker.ID, "t"), judge: iotsec.System(csa.ID, "t")}
	must(b, a.Registry.AddOperator(ctx, "system:test", &iotsec.SchemeOperator{OrgID: csa.ID, Scheme: "sg-cls", Role: iotsec.OperatorOwner}))
	p := iotsec.Product{Name: "Camera", Model: "CAM-1", Class: "camera"}
	must(b, a.Store.CreateProduct(ctx, g.maker, &p))
	g.prodID = p.ID
	return g
}

// apply makes a new firmware version and applies for its label.
func (g *labelGrant) apply(b *testing.B) string {
	ctx := context.Background()
	g.n++
	fw := iotsec.FirmwareVersion{ProductID: g.prodID, Version: fmt.Sprintf("1.%d.0", g.n), SupportEnd: iotsec.NewDate(2035, 12, 31)}
	must(b, g.a.Store.CreateFirmware(ctx, g.maker, &fw))
	c, err := g.a.Registry.Apply(ctx, g.maker, fw.ID, "sg-cls", "2", "")
	must(b, err)
	return c.ID
}

func (g *labelGrant) grantID(b *testing.B, id string) string {
	c, err := g.a.Registry.Grant(context.Background(), g.judge, id, registry.GrantInput{Reason: "tested"})
	must(b, err)
	if c.Status != iotsec.StatusCertified || c.Label == "" {
		b.Fatalf("granted record is %s (label %d bytes)", c.Status, len(c.Label))
	}
	return c.LabelID
}

// grant applies and grants: the label ID of a certified record.
func (g *labelGrant) grant(b *testing.B) string { return g.grantID(b, g.apply(b)) }

// labelSample is one request: when it started (unix nanoseconds), how
// long it took, and (when kept) the body.
type labelSample struct {
	start int64
	took  time.Duration
	body  []byte
}

// loadLabel sends b.N GETs of url from labelConns goroutines and reports
// requests/s, p50, p99 and CPU time per request. Every response must be 200 and, when want is
// set, contain it. When midway is set it runs once half the requests
// have been sent, while the others keep going (past b.N until it has
// returned), and every body is kept.
func loadLabel(b *testing.B, client *http.Client, url string, want []byte, midway func()) []labelSample {
	var next atomic.Int64
	var once sync.Once
	var done atomic.Bool // midway has returned (or there is none)
	done.Store(midway == nil)
	var wg sync.WaitGroup
	per := make([][]labelSample, labelConns)
	errs := make(chan error, labelConns)
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	for w := range labelConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]labelSample, 0, b.N/labelConns+1)
			buf := new(bytes.Buffer)
			for {
				i := next.Add(1)
				if i > int64(b.N) && done.Load() {
					break
				}
				if midway != nil && i >= int64(b.N)/2 {
					once.Do(func() {
						go func() { midway(); done.Store(true) }()
					})
				}
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					errs <- err
					return
				}
				buf.Reset()
				_, err = io.Copy(buf, resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET %s: %d %v: %s", url, resp.StatusCode, err, buf.Bytes())
					return
				}
				if want != nil && !bytes.Contains(buf.Bytes(), want) {
					errs <- fmt.Errorf("GET %s: no %s in %s", url, want, buf.Bytes())
					return
				}
				s := labelSample{start: t0.UnixNano(), took: took}
				if midway != nil {
					s.body = bytes.Clone(buf.Bytes())
				}
				out = append(out, s)
			}
			per[w] = out
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var all []labelSample
	lat := make([]time.Duration, 0, b.N)
	for _, p := range per {
		all = append(all, p...)
		for _, s := range p {
			lat = append(lat, s.took)
		}
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	// CPU time of the whole process (server, load generator, runtime) per
	// request: what the machine's other load does not change much;
	// 2 cores / cpu-µs/req is the ceiling on an idle 2-core machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/req")
	return all
}
