package translog

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// benchRecord is a registry-sized log entry (about 120 bytes).
func benchRecord(i int64) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"event":"granted","product":"camera-x","firmware":"1.4.0","scheme":"cls","level":2,"by":"lab-17"}`+"\n", i)
}

// truncate cuts m back to n records: a benchmark that appends keeps the
// log near its size and the memory bounded.
func (m *Memory) truncate(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hashes = m.hashes[:tlog.StoredHashCount(n)]
	m.ends = m.ends[:n]
	m.data = m.data[:m.ends[n-1]]
}

// BenchmarkLog builds a log of 1,000,000 records in memory once, then
// measures appending to it, making proofs in it and checking them.
//
//	go test -run='^$' -bench=BenchmarkLog -benchmem ./internal/translog/
func BenchmarkLog(b *testing.B) {
	const size = 1_000_000
	m := NewMemory()
	l, err := New(origin, m)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := int64(0); i < size; i += 1000 {
		recs := make([][]byte, 1000)
		for j := range recs {
			recs[j] = benchRecord(i + int64(j))
		}
		if _, err := l.Append(recs); err != nil {
			b.Fatal(err)
		}
	}
	built := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("built %d records in batches of 1000 in %v (%.0f records/s); heap %d MiB (%d stored hashes, %d MiB of records)",
		size, built.Round(time.Millisecond), size/built.Seconds(), ms.HeapAlloc>>20, len(m.hashes), len(m.data)>>20)

	signer, verifier, _, _ := key(b, origin, "bench")
	cp, signed, err := l.Checkpoint(signer)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	type sample struct {
		index  int64
		leaf   []byte
		proof  tlog.RecordProof
		bundle []byte
	}
	samples := make([]sample, 1024)
	for i := range samples {
		x := rng.Int64N(size)
		bd, err := l.Bundle(x, signed)
		if err != nil {
			b.Fatal(err)
		}
		js, err := json.Marshal(bd)
		if err != nil {
			b.Fatal(err)
		}
		samples[i] = sample{x, benchRecord(x), bd.Proof, js}
	}

	for _, batch := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("append/batch=%d", batch), func(b *testing.B) {
			recs := make([][]byte, batch)
			for j := range recs {
				recs[j] = benchRecord(int64(size + j))
			}
			n := 0
			for b.Loop() {
				if _, err := l.Append(recs); err != nil {
					b.Fatal(err)
				}
				if n += batch; n >= 100_000 {
					b.StopTimer()
					m.truncate(size)
					n = 0
					b.StartTimer()
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			m.truncate(size)
		})
	}
	b.Run("tree-hash", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.TreeHash(size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkpoint", func(b *testing.B) { // tree hash and Ed25519 signature
		for b.Loop() {
			if _, _, err := l.Checkpoint(signer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prove-inclusion", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := l.ProveInclusion(samples[i%len(samples)].index, size); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("prove-consistency", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := l.ProveConsistency(samples[i%len(samples)].index+1, size); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("bundle", func(b *testing.B) { // what issuing a label costs the log
		i := 0
		for b.Loop() {
			if _, err := l.Bundle(samples[i%len(samples)].index, signed); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// The raw costs the verifications below are made of, in the same run.
	b.Run("raw-ed25519-verify", func(b *testing.B) {
		pub, priv, _ := ed25519.GenerateKey(rand.NewChaCha8([32]byte{}))
		msg := cp.Text()
		sig := ed25519.Sign(priv, msg)
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("ed25519.Verify failed")
			}
		}
	})
	b.Run("raw-node-hash", func(b *testing.B) { // one SHA-256 of 65 bytes
		var h tlog.Hash
		for b.Loop() {
			h = tlog.NodeHash(h, cp.Hash)
		}
	})
	b.Run("verify-checkpoint", func(b *testing.B) { // Ed25519 and parsing only
		for b.Loop() {
			if _, err := VerifyCheckpoint(signed, verifier); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check-inclusion", func(b *testing.B) { // the Merkle path only
		i := 0
		for b.Loop() {
			s := samples[i%len(samples)]
			if err := CheckInclusion(cp, s.leaf, s.index, s.proof); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("verify-inclusion", func(b *testing.B) { // signature and path
		i := 0
		for b.Loop() {
			s := samples[i%len(samples)]
			if _, err := VerifyInclusion(verifier, signed, s.leaf, s.index, s.proof); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("verify-bundle", func(b *testing.B) { // what label verify does: JSON, signature, path
		i := 0
		for b.Loop() {
			s := samples[i%len(samples)]
			bd, err := ParseBundle(s.bundle)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bd.Verify(verifier, s.leaf); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("verify-consistency", func(b *testing.B) {
		olds := make([][]byte, 64)
		proofs := make([]tlog.TreeProof, len(olds))
		for i := range olds {
			n := samples[i].index + 1
			h, _ := l.TreeHash(n)
			olds[i], _ = Checkpoint{Origin: origin, Size: n, Hash: h}.Sign(signer)
			proofs[i], _ = l.ProveConsistency(n, size)
		}
		i := 0
		for b.Loop() {
			if _, err := VerifyConsistency(verifier, olds[i%len(olds)], signed, proofs[i%len(olds)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
