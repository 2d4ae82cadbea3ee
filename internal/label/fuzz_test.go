package label

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

// FuzzVerify runs Verify on arbitrary tokens and key sets:
//
//	go test -run='^$' -fuzz=FuzzVerify ./internal/label/
//
// Verify must never panic, and its result must be consistent: valid
// exactly when there is no problem, and claims only behind a verified
// signature.
func FuzzVerify(f *testing.F) {
	for i, alg := range []Algorithm{ES256, EdDSA} {
		iss := newIssuer(f, newKey(f, alg, byte(20+i)))
		c := claims()
		c.Proof = json.RawMessage(`{"index":1}`)
		tok := sign(f, iss, c)
		jwks, err := json.Marshal(iss.Keys())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok, jwks)
		f.Add(tok, []byte(`{"keys":[]}`))
		f.Add(bytes.Replace(tok, []byte("."), []byte(".."), 1), jwks)
		f.Add(token([]byte(`{"alg":"none","typ":"`+Type+`"}`), []byte(`{}`), nil), jwks)
	}
	f.Add([]byte("a.b.c"), []byte(`{"keys":[{"kty":"oct","k":"AA"}]}`))
	f.Fuzz(func(t *testing.T, tok, jwks []byte) {
		keys, _ := ParseKeySet(jwks)
		for _, opts := range []VerifyOptions{{}, {Status: StatusRevoked, CheckProof: func(Claims, json.RawMessage) error { return nil }}} {
			r := Verify(tok, keys, t0, opts)
			if r.Valid != (len(r.Problems) == 0) {
				t.Fatalf("valid %v with problems %+v", r.Valid, r.Problems)
			}
			if r.Valid && (r.Label == nil || r.Kid == "" || r.Status != StatusCertified) {
				t.Fatalf("valid without claims, key or certified status: %+v", r)
			}
			if r.Label != nil && r.Kid == "" {
				t.Fatalf("claims without a verified key")
			}
			if opts.Status == StatusRevoked && r.Valid {
				t.Fatalf("valid while revoked")
			}
			for _, p := range r.Problems {
				if p.Code == "" || p.Detail == "" {
					t.Fatalf("empty problem %+v", p)
				}
			}
		}
	})
}

// BenchmarkVerify measures Verify per label beside the raw signature
// verification of the same signing input, in the same run:
//
//	go test -run='^$' -bench=BenchmarkVerify -count=5 ./internal/label/
func BenchmarkVerify(b *testing.B) {
	for i, alg := range []Algorithm{ES256, EdDSA} {
		k := newKey(b, alg, byte(30+i))
		iss := newIssuer(b, k)
		tok := sign(b, iss, claims())
		keys := iss.Keys()
		dot := bytes.LastIndexByte(tok, '.')
		input := tok[:dot]
		sig, err := base64.RawURLEncoding.DecodeString(string(tok[dot+1:]))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(alg)+"/label", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tok)))
			for b.Loop() {
				if r := Verify(tok, keys, t0, VerifyOptions{}); !r.Valid {
					b.Fatal(r.Problems)
				}
			}
		})
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tok)))
			switch pub := k.Public().Key.(type) {
			case *ecdsa.PublicKey:
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				for b.Loop() {
					h := sha256.Sum256(input)
					if !ecdsa.Verify(pub, h[:], r, s) {
						b.Fatal("bad signature")
					}
				}
			case ed25519.PublicKey:
				for b.Loop() {
					if !ed25519.Verify(pub, input, sig) {
						b.Fatal("bad signature")
					}
				}
			}
		})
	}
}

// BenchmarkVerifyRatio alternates one Verify and one raw verification
// of the same label in every iteration and times each, so both see the
// same machine load; it reports each cost and their ratio:
//
//	go test -run='^$' -bench=BenchmarkVerifyRatio -count=5 ./internal/label/
func BenchmarkVerifyRatio(b *testing.B) {
	for i, alg := range []Algorithm{ES256, EdDSA} {
		k := newKey(b, alg, byte(30+i))
		iss := newIssuer(b, k)
		tok := sign(b, iss, claims())
		keys := iss.Keys()
		dot := bytes.LastIndexByte(tok, '.')
		input := tok[:dot]
		sig, err := base64.RawURLEncoding.DecodeString(string(tok[dot+1:]))
		if err != nil {
			b.Fatal(err)
		}
		raw := func() bool {
			switch pub := k.Public().Key.(type) {
			case *ecdsa.PublicKey:
				h := sha256.Sum256(input)
				return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
			case ed25519.PublicKey:
				return ed25519.Verify(pub, input, sig)
			}
			return false
		}
		b.Run(string(alg), func(b *testing.B) {
			var label, plain time.Duration
			for b.Loop() {
				t := time.Now()
				if r := Verify(tok, keys, t0, VerifyOptions{}); !r.Valid {
					b.Fatal(r.Problems)
				}
				label += time.Since(t)
				t = time.Now()
				if !raw() {
					b.Fatal("bad signature")
				}
				plain += time.Since(t)
			}
			b.ReportMetric(float64(label.Nanoseconds())/float64(b.N), "label-ns/op")
			b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "raw-ns/op")
			b.ReportMetric(float64(label)/float64(plain), "label/raw")
		})
	}
}

// BenchmarkSign measures Issuer.Sign per label.
func BenchmarkSign(b *testing.B) {
	for i, alg := range []Algorithm{ES256, EdDSA} {
		iss := newIssuer(b, newKey(b, alg, byte(40+i)))
		c := claims()
		b.Run(string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := iss.Sign(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
