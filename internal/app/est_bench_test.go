package app_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotsec/iotsec/internal/config"
	"github.com/iotsec/iotsec/internal/pki"
	"github.com/iotsec/iotsec/internal/storetest"
)

// BenchmarkRawECDSAP256SignVerify is the crypto ceiling, measured in the
// same run as the enrolment benchmark: one P-256 signature and one
// verification.
func BenchmarkRawECDSAP256SignVerify(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sum := sha256.Sum256([]byte("tbs"))
	for b.Loop() {
		sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
		if err != nil || !ecdsa.VerifyASN1(&k.PublicKey, sum[:], sig) {
			b.Fatal("sign/verify failed")
		}
	}
}

// BenchmarkESTEnroll is EST simpleenroll against the real server: TLS on
// loopback with an IDevID client certificate, the store-backed backend
// (IDevID lookup, chain and profile check against the organisation's
// anchors, device state), the CA signing, and the LDevID, its audit event
// and the device's state recorded in the database. Each client is one of
// 64 registered devices with its own connection; clients run in this
// process and share the cores with the server.
//
//	keepalive: the TLS connection is reused between enrolments;
//	resumed:   a new TCP and TLS connection per enrolment, resuming the
//	           TLS 1.3 session (a fleet where each device enrols once).
func BenchmarkESTEnroll(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		for _, mode := range []string{"keepalive", "resumed"} {
			b.Run(db+"/"+mode, func(b *testing.B) {
				cfg := config.Default()
				cfg.Workers = 0
				if db == "sqlite" {
					cfg.Data = b.TempDir()
				} else {
					cfg.Database = storetest.PostgresDSN(b)
				}
				benchEnroll(b, cfg, mode == "keepalive")
			})
		}
	}
}

func benchEnroll(b *testing.B, cfg config.Config, keepAlive bool) {
	s := startIdentity(b, cfg)
	var caRec struct{ PEM string }
	s.call("POST", "/api/v1/identity/ca", map[string]any{}, 201, &caRec)
	caCerts, err := pki.ParseCertificates([]byte(caRec.PEM))
	if err != nil {
		b.Fatal(err)
	}
	mk := newMaker(b, "Bench Root")
	s.call("POST", "/api/v1/identity/roots", map[string]any{"pem": pemOf(mk.root.Cert)}, 201, nil)
	type device struct {
		cert tls.Certificate
		body []byte
	}
	const devices = 64
	var fleet []device
	for i := range devices {
		uid := fmt.Sprintf("BN-%04d", i)
		key := newKey(b)
		idev := mk.idevid(b, uid, key)
		s.call("POST", "/api/v1/identity/devices", map[string]any{"uid": uid, "product_id": s.productID, "state": "provisioned", "idevid": pemOf(idev)}, 201, nil)
		body := []byte(base64.StdEncoding.EncodeToString(csr(b, newKey(b), uid).Raw))
		fleet = append(fleet, device{tls.Certificate{Certificate: [][]byte{idev.Raw}, PrivateKey: key}, body})
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCerts[0])
	url := "https://" + s.est + "/.well-known/est/simpleenroll"
	var next atomic.Int64
	b.SetParallelism(4)
	before := rawRate()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		d := fleet[next.Add(1)%devices]
		tr := &http.Transport{DisableKeepAlives: !keepAlive, TLSClientConfig: &tls.Config{RootCAs: pool,
			ClientSessionCache: tls.NewLRUClientSessionCache(4), Certificates: []tls.Certificate{d.cert}}}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		for pb.Next() {
			resp, err := hc.Post(url, "application/pkcs10", bytes.NewReader(d.body))
			if err != nil {
				b.Error(err)
				return
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d: %s", resp.StatusCode, msg)
				return
			}
		}
	})
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	raw := (before + rawRate()) / 2
	b.ReportMetric(rate, "enrol/s")
	// The machine may be shared: the crypto ceiling measured just before
	// and after, on all cores, says what the figure is worth.
	b.ReportMetric(raw, "raw-sign+verify/s")
	b.ReportMetric(raw/rate, "raw-per-enrol")
}

// rawRate is P-256 sign+verify operations per second on every core, over
// a quarter of a second.
func rawRate() float64 {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sum := sha256.Sum256([]byte("tbs"))
	var n atomic.Int64
	deadline := time.Now().Add(250 * time.Millisecond)
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				sig, _ := ecdsa.SignASN1(rand.Reader, k, sum[:])
				ecdsa.VerifyASN1(&k.PublicKey, sum[:], sig)
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
