package translog

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint readers: they must
// return a checkpoint or an error, never panic; a parsed text must write
// back byte for byte, and a verified note must be the log's.
func FuzzCheckpoint(f *testing.F) {
	_, _, v, _ := goldenLog(f)
	msg, err := os.ReadFile("testdata/checkpoint.golden")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add(bytes.SplitN(msg, []byte("\n\n"), 2)[0])
	f.Add([]byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"))
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n"))
	f.Add([]byte("o\n01\nAAAA\n"))
	f.Add([]byte("\n\n\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if c, err := ParseCheckpoint(in); err == nil {
			if got := c.Text(); !bytes.Equal(got, in) {
				t.Fatalf("ParseCheckpoint(%q).Text() = %q", in, got)
			}
			if c.Size < 0 || c.Size > MaxTreeSize || c.Origin == "" {
				t.Fatalf("ParseCheckpoint accepted %+v", c)
			}
		}
		if c, err := VerifyCheckpoint(in, v); err == nil {
			if c.Origin != origin {
				t.Fatalf("VerifyCheckpoint accepted origin %q", c.Origin)
			}
			if !bytes.HasPrefix(in, c.Text()) {
				t.Fatalf("verified checkpoint %+v is not the note's text", c)
			}
		}
		_, _ = readUnverified(in)
	})
}

// FuzzBundle feeds arbitrary JSON to ParseBundle and verifies what it
// accepts: never a panic, only bundles within the limits, and a bundle
// that writes and reads back to itself.
func FuzzBundle(f *testing.F) {
	_, _, v, _ := goldenLog(f)
	data, err := os.ReadFile("testdata/bundle.golden.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"index":0,"tree_size":1,"proof":[],"checkpoint":"o\n1\nAAAA\n\n— o AAAA\n"}`))
	f.Add([]byte(`{"index":0,"tree_size":2,"proof":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="],"checkpoint":"x"}`))
	f.Add([]byte(`{"index":-1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := ParseBundle(in)
		if err != nil {
			return
		}
		if b.Index < 0 || b.Index >= b.TreeSize || b.TreeSize > MaxTreeSize || len(b.Proof) > MaxProofHashes || len(b.Checkpoint) > MaxCheckpointSize {
			t.Fatalf("ParseBundle accepted %+v", b)
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseBundle(out)
		if err != nil {
			t.Fatalf("ParseBundle(Marshal(b)): %v", err)
		}
		if diff := cmp.Diff(b, again); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		if _, err := b.Verify(v, record(b.Index)); err == nil && b.Index >= 10 {
			t.Fatalf("bundle of record %d verified against the golden 10-record log", b.Index)
		}
	})
}
