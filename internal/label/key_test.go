package label

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

func TestGenerateKey(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA} {
		a, b, c := newKey(t, alg, 1), newKey(t, alg, 1), newKey(t, alg, 2)
		if a.ID() != b.ID() || a.ID() == c.ID() {
			t.Errorf("%s: the same stream must give the same key, another another", alg)
		}
		if a.Algorithm() != alg || a.Public().Algorithm != alg {
			t.Errorf("%s: algorithm %s", alg, a.Algorithm())
		}
		if len(a.ID()) != 43 { // base64url of a SHA-256 thumbprint
			t.Errorf("%s: kid %q", alg, a.ID())
		}
	}
	if _, err := GenerateKey("HS256", seeded(1)); err == nil {
		t.Errorf("HS256 key: no error")
	}
	if _, err := GenerateKey(ES256, strings.NewReader("short")); err == nil {
		t.Errorf("short random stream: no error")
	}
	// A stream of 0xff bytes never gives a scalar below the order.
	if _, err := GenerateKey(ES256, ones{}); err == nil {
		t.Errorf("out-of-range stream: no error")
	}
}

type ones struct{}

func (ones) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	return len(p), nil
}

// A stored key, through PEM or JWK, signs labels the old public key
// verifies and keeps its kid.
func TestKeyRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA} {
		k := newKey(t, alg, 11)
		pemBytes, err := k.MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		jwk, err := k.MarshalJWK()
		if err != nil {
			t.Fatal(err)
		}
		fromPEM, err := ParseKeyPEM(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		fromJWK, err := ParseKeyJWK(jwk)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]*SigningKey{"PEM": fromPEM, "JWK": fromJWK} {
			if got.ID() != k.ID() || got.Algorithm() != alg {
				t.Errorf("%s %s: kid %q alg %s", alg, name, got.ID(), got.Algorithm())
			}
			tok := sign(t, newIssuer(t, got), claims())
			if r := Verify(tok, KeySet{Keys: []PublicKey{k.Public()}}, t0, VerifyOptions{}); !r.Valid {
				t.Errorf("%s %s: %+v", alg, name, r.Problems)
			}
		}
		if !strings.HasPrefix(string(pemBytes), "-----BEGIN PRIVATE KEY-----\n") {
			t.Errorf("%s PEM: %.40q", alg, pemBytes)
		}
		var members map[string]any
		if err := json.Unmarshal(jwk, &members); err != nil {
			t.Fatal(err)
		}
		if members["kid"] != k.ID() || members["alg"] != string(alg) || members["use"] != "sig" || members["d"] == nil {
			t.Errorf("%s JWK: %s", alg, jwk)
		}
	}

	k := newKey(t, ES256, 12)
	pub, _ := json.Marshal(KeySet{Keys: []PublicKey{k.Public()}})
	pubJWK := pub[len(`{"keys":[`) : len(pub)-2]
	jwk, _ := k.MarshalJWK()
	rsaKey, err := rsa.GenerateKey(seeded(1), 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := func() []byte {
		b, _ := jose.JSONWebKey{Key: rsaKey}.MarshalJSON()
		return b
	}()
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), seeded(1))
	p384JWK, _ := jose.JSONWebKey{Key: p384}.MarshalJSON()
	for name, data := range map[string][]byte{
		"public JWK":  pubJWK,
		"RSA JWK":     rsaPEM,
		"P-384 JWK":   p384JWK,
		"wrong kid":   []byte(strings.Replace(string(jwk), k.ID(), "other", 1)),
		"wrong alg":   []byte(strings.Replace(string(jwk), `"ES256"`, `"EdDSA"`, 1)),
		"not JSON":    []byte("{"),
		"duplicate d": []byte(strings.Replace(string(jwk), `"d":`, `"d":"AAAA","d":`, 1)),
	} {
		if _, err := ParseKeyJWK(data); err == nil {
			t.Errorf("ParseKeyJWK(%s): no error", name)
		}
	}
	good, _ := k.MarshalPEM()
	for name, data := range map[string][]byte{
		"empty":       nil,
		"public key":  []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
		"garbage DER": []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"two blocks":  append(append([]byte{}, good...), good...),
	} {
		if _, err := ParseKeyPEM(data); err == nil {
			t.Errorf("ParseKeyPEM(%s): no error", name)
		}
	}
}

func TestKeySetJSON(t *testing.T) {
	ks := KeySet{Keys: []PublicKey{newKey(t, ES256, 13).Public(), newKey(t, EdDSA, 14).Public()}}
	js, err := json.Marshal(ks)
	if err != nil {
		t.Fatal(err)
	}
	var back KeySet
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ks, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(js) {
		t.Errorf("JSON changed:\n%s\n%s", js, again)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"kty": "EC", "crv": "P-256", "kid": ks.Keys[0].ID, "alg": "ES256", "use": "sig", "x": doc.Keys[0]["x"], "y": doc.Keys[0]["y"]},
		{"kty": "OKP", "crv": "Ed25519", "kid": ks.Keys[1].ID, "alg": "EdDSA", "use": "sig", "x": doc.Keys[1]["x"]},
	}
	if diff := cmp.Diff(want, doc.Keys); diff != "" {
		t.Errorf("JWKS members (-want +got):\n%s", diff)
	}

	// A JWKS with a kid that is not the thumbprint is fine: the kid is
	// the issuer's to choose.
	custom := strings.Replace(string(js), ks.Keys[0].ID, "2026-12", 1)
	got, err := ParseKeySet([]byte(custom))
	if err != nil || got.Keys[0].ID != "2026-12" {
		t.Errorf("custom kid: %v %v", got, err)
	}
}

func TestParseKeySetRefuses(t *testing.T) {
	k := newKey(t, ES256, 15)
	js, _ := json.Marshal(KeySet{Keys: []PublicKey{k.Public()}})
	one := string(js[len(`{"keys":[`) : len(js)-2])
	priv, _ := k.MarshalJWK()
	many := make([]string, MaxKeys+1)
	for i := range many {
		many[i] = strings.Replace(one, k.ID(), fmt.Sprint(i), 1)
	}
	for _, tc := range []struct{ name, jwks string }{
		{"not JSON", "{"},
		{"no keys", "{}"},
		{"keys null", `{"keys":null}`},
		{"private key", `{"keys":[` + string(priv) + `]}`},
		{"no kid", `{"keys":[` + strings.Replace(one, `"kid":"`+k.ID()+`",`, "", 1) + `]}`},
		{"duplicate kid", `{"keys":[` + one + `,` + one + `]}`},
		{"use enc", `{"keys":[` + strings.Replace(one, `"use":"sig"`, `"use":"enc"`, 1) + `]}`},
		{"alg mismatch", `{"keys":[` + strings.Replace(one, `"alg":"ES256"`, `"alg":"EdDSA"`, 1) + `]}`},
		{"alg HS256", `{"keys":[` + strings.Replace(one, `"alg":"ES256"`, `"alg":"HS256"`, 1) + `]}`},
		{"oct key", `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`},
		{"point off the curve", `{"keys":[` + strings.Replace(one, `"y":"`, `"y":"A`, 1) + `]}`},
		{"too many keys", `{"keys":[` + strings.Join(many, ",") + `]}`},
		{"too large", `{"keys":[],"x":"` + strings.Repeat("a", MaxKeySetSize) + `"}`},
		{"too deep", `{"keys":[{"x":[[[[]]]]}]}`},
		{"duplicate keys member", `{"keys":[],"keys":[` + one + `]}`},
		{"data after", `{"keys":[]} {}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ks, err := ParseKeySet([]byte(tc.jwks)); err == nil {
				t.Errorf("no error: %+v", ks)
			}
		})
	}
	if ks, err := ParseKeySet([]byte(`{"keys":[]}`)); err != nil || len(ks.Keys) != 0 {
		t.Errorf("empty set: %v %v", ks, err)
	}
}

func TestIssuer(t *testing.T) {
	k := newKey(t, ES256, 16)
	if _, err := NewIssuer(nil); err == nil {
		t.Errorf("no key: no error")
	}
	if _, err := NewIssuer(k, k.Public()); err == nil {
		t.Errorf("current key also retired: no error")
	}
	iss := newIssuer(t, k)
	iss.Now = func() time.Time { return t0.Add(90 * time.Minute) }
	c := claims()
	c.ValidFrom = c.ValidFrom.In(time.FixedZone("SGT", 8*3600)).Add(123 * time.Millisecond)
	r := Verify(sign(t, iss, c), iss.Keys(), t0, VerifyOptions{})
	if !r.Valid {
		t.Fatalf("%+v", r.Problems)
	}
	if !r.Label.IssuedAt.Equal(t0.Add(90*time.Minute)) || r.Label.ValidFrom.Location() != time.UTC || r.Label.ValidFrom.Nanosecond() != 0 {
		t.Errorf("issued %v valid from %v", r.Label.IssuedAt, r.Label.ValidFrom)
	}
}

// One issuer signs from many goroutines (run with -race).
func TestIssuerConcurrent(t *testing.T) {
	iss := newIssuer(t, newKey(t, ES256, 17))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			tok, err := iss.Sign(claims())
			if err == nil && !Verify(tok, iss.Keys(), t0, VerifyOptions{}).Valid {
				err = errors.New("signed label does not verify")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
