package translog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log"

	"github.com/iotsec/iotsec/internal/translog"
)

// The life of a label's log entry: the registry appends the grant, signs a
// checkpoint and hands the label a bundle; anyone verifies the bundle
// offline with the log's public key; a monitor that kept the old
// checkpoint checks that the log only grew.
func Example() {
	// The registry's key, made once and kept secret (a fixed seed here so
	// the example is reproducible; use crypto/rand).
	seed := sha256.Sum256([]byte("example"))
	skey, vkey, err := translog.GenerateKey(bytes.NewReader(seed[:]), "iotsec.example/registry")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := translog.NewSigner(skey)
	if err != nil {
		log.Fatal(err)
	}

	// Inside the transaction that records the grant.
	l, err := translog.New("iotsec.example/registry", translog.NewMemory())
	if err != nil {
		log.Fatal(err)
	}
	grant := []byte(`{"event":"granted","model":"cam-x","firmware":"1.4.0","scheme":"cls","level":2}` + "\n")
	idx, err := l.Append([][]byte{[]byte("earlier entry\n"), grant})
	if err != nil {
		log.Fatal(err)
	}
	_, old, err := l.Checkpoint(signer)
	if err != nil {
		log.Fatal(err)
	}
	b, err := l.Bundle(idx[1], old)
	if err != nil {
		log.Fatal(err)
	}
	label, err := json.Marshal(b)
	if err != nil {
		log.Fatal(err)
	}

	// Anyone, offline, with the label and the public key.
	verifier, err := translog.NewVerifier(vkey)
	if err != nil {
		log.Fatal(err)
	}
	got, err := translog.ParseBundle(label)
	if err != nil {
		log.Fatal(err)
	}
	c, err := got.Verify(verifier, grant)
	fmt.Printf("grant is record %d of %s at size %d: %v\n", got.Index, c.Origin, c.Size, err)
	_, err = got.Verify(verifier, bytes.Replace(grant, []byte("granted"), []byte("revoked"), 1))
	fmt.Println("changed record:", err)

	// Later: the log grew (a revocation is an entry too); a monitor that
	// kept the old checkpoint checks the new one.
	if _, err := l.Append([][]byte{[]byte(`{"event":"revoked","record":1}` + "\n")}); err != nil {
		log.Fatal(err)
	}
	_, now, err := l.Checkpoint(signer)
	if err != nil {
		log.Fatal(err)
	}
	proof, err := l.ProveConsistency(2, 3)
	if err != nil {
		log.Fatal(err)
	}
	c, err = translog.VerifyConsistency(verifier, old, now, proof)
	fmt.Printf("log grew to %d: %v\n", c.Size, err)
	// Output:
	// grant is record 1 of iotsec.example/registry at size 2: <nil>
	// changed record: translog: record 1 with its proof does not lead to the root of tree 2: record not in the checkpoint's tree
	// log grew to 3: <nil>
}
