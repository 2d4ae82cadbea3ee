package est

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
)

// BenchmarkRawECDSAP256SignVerify is the crypto ceiling measured in the
// same run: one P-256 signature and one verification.
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

// benchEnroll posts one CSR per iteration to simpleenroll over real TLS on
// loopback, authenticated by an IDevID client certificate: the handler
// verifies the CSR, the in-memory backend verifies the IDevID chain and the
// CA signs (CreateCertificate also re-verifies its own signature). Each
// parallel client has its own transport.
func benchEnroll(b *testing.B, keepAlive bool) {
	f := newFixture(b)
	idev, key := f.idevid(b, "DEV-1")
	body := []byte(base64.StdEncoding.EncodeToString(makeCSR(b, newKey(b), "DEV-1").Raw))
	url := f.srv.URL + PathPrefix + "simpleenroll"
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tr := &http.Transport{
			DisableKeepAlives: !keepAlive,
			TLSClientConfig: &tls.Config{RootCAs: f.anchor, ClientSessionCache: tls.NewLRUClientSessionCache(8),
				Certificates: []tls.Certificate{{Certificate: [][]byte{idev.Raw}, PrivateKey: key}}},
		}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		for pb.Next() {
			resp, err := hc.Post(url, "application/pkcs10", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "enrol/s")
}

// BenchmarkSimpleEnrollKeepAlive reuses each client's TLS connection.
func BenchmarkSimpleEnrollKeepAlive(b *testing.B) { benchEnroll(b, true) }

// BenchmarkSimpleEnrollResumed opens a connection per enrolment but
// resumes the TLS session (TLS 1.3 PSK), the way a fleet of devices that
// each enrol once would look with session tickets.
func BenchmarkSimpleEnrollResumed(b *testing.B) { benchEnroll(b, false) }

// TestSessionResumption shows the resumed benchmark measures what it says:
// the second connection resumes the TLS session and still carries the
// client's IDevID to the backend.
func TestSessionResumption(t *testing.T) {
	f := newFixture(t)
	idev, key := f.idevid(t, "DEV-1")
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: f.anchor,
		ClientSessionCache: tls.NewLRUClientSessionCache(8), Certificates: []tls.Certificate{{Certificate: [][]byte{idev.Raw}, PrivateKey: key}}}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for i := range 2 {
		body := base64.StdEncoding.EncodeToString(makeCSR(t, newKey(t), "DEV-1").Raw)
		resp, err := hc.Post(f.srv.URL+PathPrefix+"simpleenroll", "application/pkcs10", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("enrolment %d: status %d", i, resp.StatusCode)
		}
		if resumed := resp.TLS.DidResume; resumed != (i == 1) {
			t.Errorf("enrolment %d: DidResume = %v, want %v", i, resumed, i == 1)
		}
	}
}
