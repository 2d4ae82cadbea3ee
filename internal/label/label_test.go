package label

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// seeded is a deterministic random stream for keys.
func seeded(seed byte) io.Reader { return rand.NewChaCha8([32]byte{seed}) }

func newKey(t testing.TB, alg Algorithm, seed byte) *SigningKey {
	t.Helper()
	k, err := GenerateKey(alg, seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newIssuer(t testing.TB, k *SigningKey, retired ...PublicKey) *Issuer {
	t.Helper()
	iss, err := NewIssuer(k, retired...)
	if err != nil {
		t.Fatal(err)
	}
	iss.Now = func() time.Time { return t0 }
	return iss
}

// claims is a CLS level 2 label of a camera's firmware 1.4.0.
func claims() Claims {
	return Claims{
		SchemaVersion:   SchemaVersion,
		LabelID:         "CSA-311228-0042",
		Registry:        "https://registry.example.org",
		Maker:           Party{Name: "Aurora Devices Pte Ltd", Contact: "https://aurora.example/contact"},
		ProductName:     "Aurora indoor camera",
		Model:           "AC-200",
		FirmwareVersion: "1.4.0",
		Scheme:          Scheme{Slug: "sg-cls", Title: "Cybersecurity Labelling Scheme (IoT)"},
		Level:           "2",
		GrantedBy:       Party{Name: "Cyber Security Agency of Singapore", Contact: "mailto:cls@csa.example"},
		TestedBy:        &Party{Name: "Example Test Lab", Contact: "lab@testlab.example"},
		Status:          StatusCertified,
		ValidFrom:       t0.Add(-24 * time.Hour),
		ValidUntil:      t0.AddDate(3, 0, 0),
		SupportEnd:      "2030-12-31",
		UpdateDelivery:  UpdateAutomaticOptOut,
		SecurityContact: "security@aurora.example",
		SBOMAvailable:   true,
		PageURL:         "https://registry.example.org/l/CSA-311228-0042",
	}
}

func sign(t testing.TB, iss *Issuer, c Claims) []byte {
	t.Helper()
	tok, err := iss.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func codes(r Result) []Code {
	out := []Code{}
	for _, p := range r.Problems {
		out = append(out, p.Code)
	}
	return out
}

func TestSignVerify(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			k := newKey(t, alg, 1)
			iss := newIssuer(t, k)
			c := claims()
			c.Proof = json.RawMessage(`{"index":7,"hashes":["AAAA"]}`)
			tok := sign(t, iss, c)

			r := Verify(tok, iss.Keys(), t0, VerifyOptions{})
			if !r.Valid || len(r.Problems) != 0 {
				t.Fatalf("not valid: %+v", r.Problems)
			}
			want := c
			want.IssuedAt = t0
			if diff := cmp.Diff(&want, r.Label); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if r.Status != StatusCertified || r.Kid != k.ID() {
				t.Errorf("status %q kid %q; want certified, %q", r.Status, r.Kid, k.ID())
			}

			// The header is exactly alg, kid, typ.
			h, _ := base64.RawURLEncoding.DecodeString(strings.Split(string(tok), ".")[0])
			var got map[string]string
			if err := json.Unmarshal(h, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]string{"alg": string(alg), "kid": k.ID(), "typ": Type}, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}

			// White space around the token (a file's newline) is fine.
			if r := Verify(append(append([]byte(" \n"), tok...), "\r\n"...), iss.Keys(), t0, VerifyOptions{}); !r.Valid {
				t.Errorf("token with surrounding white space: %+v", r.Problems)
			}

			// The result's JSON is the contract the CLI prints.
			js, err := json.Marshal(Verify([]byte("x"), KeySet{}, t0, VerifyOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"valid":false,"status":"unknown","label":null,"problems":[{"code":"label.malformed","detail":"a label is a compact JWS of three base64url parts; this has 1"}]}`; string(js) != want {
				t.Errorf("result JSON\n got %s\nwant %s", js, want)
			}
		})
	}
}

// Every single-byte change of a label must fail: each bit of each byte
// flipped; each byte next to a part boundary (where base64url has unused
// bits) and every 5th byte replaced by every base64url character; a
// byte inserted or removed anywhere.
func TestEveryByteChangeFails(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for _, alg := range []Algorithm{ES256, EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			iss := newIssuer(t, newKey(t, alg, 2))
			tok := sign(t, iss, claims())
			keys := iss.Keys()
			n := 0
			check := func(bad []byte, what string) {
				n++
				if r := Verify(bad, keys, t0, VerifyOptions{}); r.Valid || r.Label != nil {
					t.Fatalf("%s: still valid (label %v)", what, r.Label != nil)
				}
			}
			bad := make([]byte, len(tok))
			for i := range tok {
				for bit := range 8 {
					copy(bad, tok)
					bad[i] ^= 1 << bit
					if i == 0 || i == len(tok)-1 {
						if isSpace(bad[i]) { // trimmed: the rest must still fail
							bad[i] = '\t'
						}
					}
					check(bad, fmt.Sprintf("byte %d bit %d", i, bit))
				}
				if i%5 != 0 && !nearDot(tok, i) {
					continue
				}
				for _, c := range []byte(alphabet) {
					if c == tok[i] {
						continue
					}
					copy(bad, tok)
					bad[i] = c
					check(bad, fmt.Sprintf("byte %d = %q", i, c))
				}
			}
			// A byte added or removed anywhere fails too.
			for i := range tok {
				if i > 0 { // a leading newline is white space around the token
					check(append(append(bytes.Clone(tok[:i]), '\n'), tok[i:]...), fmt.Sprintf("newline at %d", i))
				}
				check(append(bytes.Clone(tok[:i]), tok[i+1:]...), fmt.Sprintf("byte %d removed", i))
			}
			t.Logf("%d changed labels of %d bytes refused", n, len(tok))
		})
	}
}

// nearDot reports whether tok[i] is within two bytes of a part boundary
// or an end.
func nearDot(tok []byte, i int) bool {
	for d := -2; d <= 2; d++ {
		if j := i + d; j < 0 || j >= len(tok) || tok[j] == '.' {
			return true
		}
	}
	return false
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

func TestRotation(t *testing.T) {
	old := newIssuer(t, newKey(t, ES256, 3))
	first := sign(t, old, claims())
	cur, err := old.Rotate(newKey(t, EdDSA, 4))
	if err != nil {
		t.Fatal(err)
	}
	c := claims()
	c.LabelID = "CSA-311228-0043"
	second := sign(t, cur, c)

	// The published JWKS, through its JSON, lists both keys, current
	// first.
	js, err := json.Marshal(cur.Keys())
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := ParseKeySet(js)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := []string{jwks.Keys[0].ID, jwks.Keys[1].ID}, []string{cur.Key().ID(), old.Key().ID()}; !cmp.Equal(got, want) {
		t.Errorf("kids %v, want %v", got, want)
	}
	for name, tok := range map[string][]byte{"signed by the retired key": first, "signed by the current key": second} {
		if r := Verify(tok, jwks, t0, VerifyOptions{}); !r.Valid {
			t.Errorf("%s: %+v", name, r.Problems)
		}
	}
	// Without the retired key in the set, its labels name an unknown key.
	only := KeySet{Keys: jwks.Keys[:1]}
	if got := codes(Verify(first, only, t0, VerifyOptions{})); !cmp.Equal(got, []Code{CodeUnknownKey}) {
		t.Errorf("retired key dropped: %v", got)
	}
	// The old issuer is unchanged.
	if len(old.Keys().Keys) != 1 {
		t.Errorf("Rotate changed its receiver")
	}
	if _, err := cur.Rotate(old.Key()); err == nil {
		t.Errorf("rotating back to a retired key: no error")
	}
}

// token builds a compact JWS by hand, for labels no Issuer would make.
func token(header, payload, sig []byte) []byte {
	e := base64.RawURLEncoding
	return []byte(e.EncodeToString(header) + "." + e.EncodeToString(payload) + "." + e.EncodeToString(sig))
}

func payloadOf(t *testing.T, c Claims) []byte {
	t.Helper()
	c.IssuedAt = t0
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signRaw signs any header and payload with k, as a registry gone wrong
// (or an attacker holding the key) could.
func signRaw(t *testing.T, k *SigningKey, header, payload []byte) []byte {
	t.Helper()
	e := base64.RawURLEncoding
	input := e.EncodeToString(header) + "." + e.EncodeToString(payload)
	sig, err := rawSign(k, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(input + "." + e.EncodeToString(sig))
}

// rawSign signs the JWS signing input with k: r||s for ES256, as JWS
// (RFC 7518 §3.4) wants, or the Ed25519 signature.
func rawSign(k *SigningKey, input []byte) ([]byte, error) {
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(crand.Reader, p, h[:])
		if err != nil {
			return nil, err
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...), nil
	case ed25519.PrivateKey:
		return ed25519.Sign(p, input), nil
	}
	return nil, fmt.Errorf("%T", k.priv)
}

func TestRefusedTokens(t *testing.T) {
	k := newKey(t, ES256, 5)
	ed := newKey(t, EdDSA, 6)
	iss := newIssuer(t, k)
	keys := KeySet{Keys: []PublicKey{k.Public(), ed.Public()}}
	good := payloadOf(t, claims())
	hdr := func(alg, kid string) []byte {
		return fmt.Appendf(nil, `{"alg":%q,"kid":%q,"typ":%q}`, alg, kid, Type)
	}
	hs256 := func() []byte {
		// The classic confusion: HMAC keyed with the public key's JSON.
		h := hdr("HS256", k.ID())
		js, _ := json.Marshal(keys)
		input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(good)
		m := hmac.New(sha256.New, js)
		m.Write([]byte(input))
		return []byte(input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)))
	}
	valid := sign(t, iss, claims())
	parts := strings.Split(string(valid), ".")

	for _, tc := range []struct {
		name  string
		token []byte
		want  Code
	}{
		{"alg none", token(hdr("none", k.ID()), good, nil), CodeAlgorithm},
		{"alg none, no kid", token([]byte(`{"alg":"none"}`), good, nil), CodeAlgorithm},
		{"HS256 keyed with the JWKS", hs256(), CodeAlgorithm},
		{"RS256", token(hdr("RS256", k.ID()), good, make([]byte, 256)), CodeAlgorithm},
		{"ES384", token(hdr("ES384", k.ID()), good, make([]byte, 96)), CodeAlgorithm},
		{"alg ES256 on the Ed25519 key", signRaw(t, ed, hdr("ES256", ed.ID()), good), CodeAlgorithm},
		{"alg EdDSA on the P-256 key", token(hdr("EdDSA", k.ID()), good, make([]byte, 64)), CodeAlgorithm},
		{"unknown kid", token(hdr("ES256", "nope"), good, make([]byte, 64)), CodeUnknownKey},
		{"no kid", token([]byte(`{"alg":"ES256","typ":"`+Type+`"}`), good, make([]byte, 64)), CodeUnknownKey},
		{"zero signature", token(hdr("ES256", k.ID()), good, make([]byte, 64)), CodeSignature},
		{"signature of another label", []byte(parts[0] + "." + base64.RawURLEncoding.EncodeToString(payloadOf(t, func() Claims { c := claims(); c.Level = "4"; return c }())) + "." + parts[2]), CodeSignature},
		{"no typ", signRaw(t, k, []byte(`{"alg":"ES256","kid":"`+k.ID()+`"}`), good), CodeMalformed},
		{"typ JWT", signRaw(t, k, []byte(`{"alg":"ES256","kid":"`+k.ID()+`","typ":"JWT"}`), good), CodeMalformed},
		{"embedded jwk", signRaw(t, k, []byte(`{"alg":"ES256","kid":"`+k.ID()+`","typ":"`+Type+`","jwk":{}}`), good), CodeMalformed},
		{"crit", signRaw(t, k, []byte(`{"alg":"ES256","kid":"`+k.ID()+`","typ":"`+Type+`","crit":["b64"],"b64":false}`), good), CodeMalformed},
		{"jku", signRaw(t, k, []byte(`{"alg":"ES256","kid":"`+k.ID()+`","typ":"`+Type+`","jku":"https://evil.example/jwks"}`), good), CodeMalformed},
		{"duplicate alg", signRaw(t, k, []byte(`{"alg":"none","alg":"ES256","kid":"`+k.ID()+`","typ":"`+Type+`"}`), good), CodeMalformed},
		{"ALG in capitals", signRaw(t, k, []byte(`{"alg":"ES256","ALG":"none","kid":"`+k.ID()+`","typ":"`+Type+`"}`), good), CodeMalformed},
		{"signed duplicate claim", signRaw(t, k, hdr("ES256", k.ID()), append(bytes.TrimSuffix(good, []byte("}")), `,"Status":"revoked"}`...)), CodeMalformed},
		{"signed claims not JSON", signRaw(t, k, hdr("ES256", k.ID()), []byte("certified")), CodeMalformed},
		{"signed claims, schema 2", signRaw(t, k, hdr("ES256", k.ID()), bytes.Replace(good, []byte(`"schema_version":1`), []byte(`"schema_version":2`), 1)), CodeMalformed},
		{"signed claims without label_id", signRaw(t, k, hdr("ES256", k.ID()), bytes.Replace(good, []byte(`"label_id":"CSA-311228-0042"`), []byte(`"label_id":""`), 1)), CodeMalformed},
		{"signed claims, data after", signRaw(t, k, hdr("ES256", k.ID()), append(bytes.Clone(good), " {}"...)), CodeMalformed},
		{"padding", []byte(parts[0] + "." + parts[1] + "." + parts[2] + "=="), CodeMalformed},
		{"standard base64", standardBase64(t, func() []byte { return signRaw(t, k, hdr("ES256", k.ID()), good) }), CodeMalformed},
		{"JSON serialization", []byte(`{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`), CodeMalformed},
		{"empty", nil, CodeMalformed},
		{"dots", []byte(".."), CodeMalformed},
		{"four parts", append(bytes.Clone(valid), ".AAAA"...), CodeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.token, keys, t0, VerifyOptions{})
			if got := codes(r); !cmp.Equal(got, []Code{tc.want}) {
				t.Errorf("problems %+v, want [%s]", r.Problems, tc.want)
			}
			if r.Valid || r.Label != nil || r.Status != StatusUnknown {
				t.Errorf("valid %v, label %v, status %q", r.Valid, r.Label != nil, r.Status)
			}
		})
	}
	// A key set built by hand with the wrong material for its algorithm.
	lying := KeySet{Keys: []PublicKey{{ID: k.ID(), Algorithm: ES256, Key: ed.Public().Key}}}
	if got := codes(Verify(valid, lying, t0, VerifyOptions{})); !cmp.Equal(got, []Code{CodeAlgorithm}) {
		t.Errorf("ES256 kid holding an Ed25519 key: %v", got)
	}
}

func TestValidity(t *testing.T) {
	iss := newIssuer(t, newKey(t, EdDSA, 7))
	c := claims()
	for _, tc := range []struct {
		name   string
		edit   func(*Claims)
		now    time.Time
		opts   VerifyOptions
		status Status
		want   []Code
	}{
		{name: "valid", now: t0, status: StatusCertified, want: []Code{}},
		{name: "at valid_from", now: c.ValidFrom, status: StatusCertified, want: []Code{}},
		{name: "before valid_from", now: c.ValidFrom.Add(-time.Second), status: StatusCertified, want: []Code{CodeNotYetValid}},
		{name: "last second", now: c.ValidUntil.Add(-time.Second), status: StatusCertified, want: []Code{}},
		{name: "at valid_until", now: c.ValidUntil, status: StatusExpired, want: []Code{CodeExpired}},
		{name: "support ends today", edit: func(c *Claims) { c.SupportEnd = DateOf(t0) }, now: t0, status: StatusCertified, want: []Code{}},
		{name: "support ended yesterday", edit: func(c *Claims) { c.SupportEnd = DateOf(t0.AddDate(0, 0, -1)) }, now: t0, status: StatusExpired, want: []Code{CodeSupportEnded}},
		{name: "no support date", edit: func(c *Claims) { c.SupportEnd = "" }, now: c.ValidUntil.Add(-time.Hour), status: StatusCertified, want: []Code{}},
		{name: "revoked now", now: t0, opts: VerifyOptions{Status: StatusRevoked}, status: StatusRevoked, want: []Code{CodeStatus}},
		{name: "under review now", now: t0, opts: VerifyOptions{Status: StatusUnderReview}, status: StatusUnderReview, want: []Code{CodeStatus}},
		{name: "still certified", now: t0, opts: VerifyOptions{Status: StatusCertified}, status: StatusCertified, want: []Code{}},
		{name: "suspended at issue", edit: func(c *Claims) { c.Status = StatusSuspended }, now: t0, status: StatusSuspended, want: []Code{CodeStatus}},
		{name: "revoked at issue, expired too", edit: func(c *Claims) { c.Status = StatusRevoked }, now: c.ValidUntil, status: StatusRevoked, want: []Code{CodeExpired, CodeStatus}},
		{name: "registry matches", now: t0, opts: VerifyOptions{Registry: c.Registry}, status: StatusCertified, want: []Code{}},
		{name: "another registry", now: t0, opts: VerifyOptions{Registry: "https://other.example"}, status: StatusCertified, want: []Code{CodeRegistry}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claims()
			if tc.edit != nil {
				tc.edit(&c)
			}
			r := Verify(sign(t, iss, c), iss.Keys(), tc.now, tc.opts)
			if diff := cmp.Diff(tc.want, codes(r)); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%+v", diff, r.Problems)
			}
			if r.Status != tc.status || r.Valid != (len(tc.want) == 0) || r.Label == nil {
				t.Errorf("status %q valid %v label %v; want %q", r.Status, r.Valid, r.Label != nil, tc.status)
			}
		})
	}
}

func TestProofHook(t *testing.T) {
	iss := newIssuer(t, newKey(t, ES256, 8))
	proof := `{"checkpoint":"example.org/log\n7\nAAAA\n","index":3}`
	withProof := claims()
	withProof.Proof = json.RawMessage(proof)
	proven, bare := sign(t, iss, withProof), sign(t, iss, claims())

	var seen string
	ok := func(c Claims, p json.RawMessage) error { seen = c.LabelID + " " + string(p); return nil }
	forked := func(Claims, json.RawMessage) error { return errors.New("the proof does not match checkpoint 7") }
	for _, tc := range []struct {
		name  string
		token []byte
		check func(Claims, json.RawMessage) error
		want  []Code
	}{
		{"no hook, no proof", bare, nil, []Code{}},
		{"no hook, a proof", proven, nil, []Code{}},
		{"hook, no proof", bare, ok, []Code{CodeProof}},
		{"hook accepts", proven, ok, []Code{}},
		{"hook refuses", proven, forked, []Code{CodeProof}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.token, iss.Keys(), t0, VerifyOptions{CheckProof: tc.check})
			if diff := cmp.Diff(tc.want, codes(r)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	if want := "CSA-311228-0042 " + proof; seen != want {
		t.Errorf("hook saw %q, want %q", seen, want)
	}
}

func TestHostileInput(t *testing.T) {
	k := newKey(t, ES256, 9)
	iss := newIssuer(t, k)
	keys := iss.Keys()
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	for _, tc := range []struct {
		name  string
		token []byte
	}{
		{"one byte over the limit", bytes.Repeat([]byte("A"), MaxTokenSize+1)},
		{"a megabyte", bytes.Repeat([]byte("A."), 1<<19)},
		{"deep header", token([]byte(`{"alg":"ES256","kid":"x","typ":"`+Type+`","x":`+deep+`}`), []byte("{}"), nil)},
		{"header not an object", token([]byte(deep), []byte("{}"), nil)},
		{"deep signed claims", signRaw(t, k, fmt.Appendf(nil, `{"alg":"ES256","kid":%q,"typ":%q}`, k.ID(), Type), []byte(`{"proof":`+deep+`}`))},
		{"header of NULs", token(make([]byte, 1000), nil, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Verify(tc.token, keys, t0, VerifyOptions{})
			if got := codes(r); !cmp.Equal(got, []Code{CodeMalformed}) {
				t.Errorf("problems %+v", r.Problems)
			}
		})
	}

	// Sign refuses what verifiers would refuse.
	c := claims()
	c.Proof = json.RawMessage(`"` + strings.Repeat("A", MaxTokenSize) + `"`)
	if _, err := iss.Sign(c); err == nil {
		t.Errorf("Sign made a label over MaxTokenSize")
	}
	c.Proof = json.RawMessage(deep)
	if _, err := iss.Sign(c); err == nil {
		t.Errorf("Sign made a label nesting deeper than MaxDepth")
	}
}

func TestSignRefusesBadClaims(t *testing.T) {
	iss := newIssuer(t, newKey(t, EdDSA, 10))
	for _, tc := range []struct {
		name string
		edit func(*Claims)
	}{
		{"schema version", func(c *Claims) { c.SchemaVersion = 0 }},
		{"label id", func(c *Claims) { c.LabelID = "a/b" }},
		{"long label id", func(c *Claims) { c.LabelID = strings.Repeat("a", 129) }},
		{"registry", func(c *Claims) { c.Registry = "registry.example.org" }},
		{"registry scheme", func(c *Claims) { c.Registry = "javascript:alert(1)" }},
		{"maker", func(c *Claims) { c.Maker.Name = " " }},
		{"product", func(c *Claims) { c.ProductName = "" }},
		{"model", func(c *Claims) { c.Model = "" }},
		{"firmware", func(c *Claims) { c.FirmwareVersion = "" }},
		{"scheme", func(c *Claims) { c.Scheme.Slug = "" }},
		{"granted by", func(c *Claims) { c.GrantedBy.Name = "" }},
		{"tested by without name", func(c *Claims) { c.TestedBy = &Party{} }},
		{"status", func(c *Claims) { c.Status = "great" }},
		{"status unknown", func(c *Claims) { c.Status = StatusUnknown }},
		{"no valid_from", func(c *Claims) { c.ValidFrom = time.Time{} }},
		{"empty period", func(c *Claims) { c.ValidUntil = c.ValidFrom }},
		{"support end", func(c *Claims) { c.SupportEnd = "31/12/2030" }},
		{"update delivery", func(c *Claims) { c.UpdateDelivery = "sometimes" }},
		{"security contact", func(c *Claims) { c.SecurityContact = "call us" }},
		{"contact URL", func(c *Claims) { c.Maker.Contact = "ftp://aurora.example" }},
		{"page URL", func(c *Claims) { c.PageURL = "/l/x" }},
		{"proof", func(c *Claims) { c.Proof = json.RawMessage("{") }},
		{"long text", func(c *Claims) { c.Level = strings.Repeat("x", 1025) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := claims()
			tc.edit(&c)
			if _, err := iss.Sign(c); err == nil {
				t.Errorf("signed")
			}
		})
	}
	// Optional fields may be left out.
	c := claims()
	c.TestedBy, c.Level, c.SupportEnd, c.UpdateDelivery, c.SecurityContact, c.PageURL = nil, "", "", "", "", ""
	c.Maker.Contact, c.GrantedBy.Contact = "", ""
	if r := Verify(sign(t, iss, c), iss.Keys(), t0, VerifyOptions{}); !r.Valid {
		t.Errorf("minimal claims: %+v", r.Problems)
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, true},
		{`{"a":"x\"y","b":"\"a\":"}`, true},
		{`[[[[]]]]`, true},
		{`[[[[[]]]]]`, false},
		{`{"a":1,"a":2}`, false},
		{`{"a":1,"A":2}`, false},
		{`{"k":1,"\u212a":2}`, false}, // the Kelvin sign folds to k
		{`{"s":1,"ſ":2}`, false},      // and the long s to s
		{`{"a":1,"\u0061":2}`, false},
		{`{"a":{"b":1},"b":1}`, true},
		{`{"a":[1,2],"b":[{"c":1,"c":2}]}`, false},
		{`{} {}`, false},
		{`{`, false},
		{``, false},
		{`"a"`, true},
	} {
		if err := checkJSON([]byte(tc.in), 4); (err == nil) != tc.ok {
			t.Errorf("checkJSON(%s) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestLeafIgnoresProofAndZone(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 500, time.FixedZone("X", 3600))
	c := Claims{SchemaVersion: SchemaVersion, LabelID: "l1", IssuedAt: at, ValidFrom: at, ValidUntil: at.AddDate(2, 0, 0)}
	a, err := c.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	c.Proof = []byte(`{"index":1}`)
	c.IssuedAt = at.UTC().Truncate(time.Second)
	b, err := c.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || strings.Contains(string(a), "proof") {
		t.Errorf("Leaf differs with a proof or another zone:\n%s\n%s", a, b)
	}
}

// TestLabelsBeforeReasons: reasons were added to the claims after the
// first labels were issued. A label signed then (its payload written here
// field by field as the first engine wrote it, with no "reasons") still
// verifies, and its log leaf is the same bytes, so its inclusion proof
// still holds; one under review now carries its reasons.
func TestLabelsBeforeReasons(t *testing.T) {
	k := newKey(t, ES256, 9)
	keys := KeySet{Keys: []PublicKey{k.Public()}}
	old := fmt.Appendf(nil, `{"schema_version":1,"label_id":"CSA-311228-0042","registry":"https://registry.example.org",`+
		`"maker":{"name":"Aurora Devices Pte Ltd"},"product_name":"Aurora indoor camera","model":"AC-200","firmware_version":"1.4.0",`+
		`"scheme":{"slug":"sg-cls","title":""},"level":"2","granted_by":{"name":"CSA"},"status":"certified",`+
		`"issued_at":%q,"valid_from":%q,"valid_until":%q,"sbom_available":false,"page_url":"https://registry.example.org/l/CSA-311228-0042"}`,
		t0.Format(time.RFC3339), t0.Add(-24*time.Hour).Format(time.RFC3339), t0.AddDate(3, 0, 0).Format(time.RFC3339))
	tok := signRaw(t, k, fmt.Appendf(nil, `{"alg":"ES256","kid":%q,"typ":%q}`, k.ID(), Type), old)
	r := Verify(tok, keys, t0, VerifyOptions{})
	if !r.Valid || r.Label == nil || r.Label.Reasons != nil {
		t.Fatalf("a label from before reasons: %+v", r)
	}
	leaf, err := r.Label.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	if string(leaf) != string(old) {
		t.Errorf("the leaf of an old label changed:\n got %s\nwant %s", leaf, old)
	}

	c := claims()
	c.Status, c.Reasons = StatusUnderReview, []string{"CVE-2023-28450 in dnsmasq 2.89 is known to be exploited (CISA KEV)"}
	r = Verify(sign(t, newIssuer(t, k), c), keys, t0, VerifyOptions{})
	if r.Valid || r.Status != StatusUnderReview || r.Label == nil || len(r.Label.Reasons) != 1 {
		t.Errorf("a label under review: %+v", r)
	}
	c.Reasons = []string{""}
	if err := c.Validate(); err == nil {
		t.Error("an empty reason validates")
	}
}

// standardBase64 re-encodes a token from sign in standard base64. A token
// whose encoding happens to hold neither '-' nor '_' reads the same in
// both alphabets, so it signs again until one differs.
func standardBase64(t *testing.T, sign func() []byte) []byte {
	t.Helper()
	for range 1000 {
		tok := sign()
		if bytes.ContainsAny(tok, "-_") {
			return []byte(strings.NewReplacer("-", "+", "_", "/").Replace(string(tok)))
		}
	}
	t.Fatal("a thousand signatures without '-' or '_' in base64url")
	return nil
}
