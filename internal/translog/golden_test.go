package translog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// goldenLog is the log of testdata/README.md: records record(0..9), signed
// by the key whose Ed25519 seed is SHA-256("iotsec translog golden").
func goldenLog(t testing.TB) (*Log, Signer, Verifier, string) {
	l, _ := newLog(t, 10)
	s, v, _, vkey := key(t, origin, "iotsec translog golden")
	return l, s, v, vkey
}

func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
	return want
}

// The signed checkpoint is byte for byte C2SP tlog-checkpoint in a C2SP
// signed note, and reads back to the same checkpoint.
func TestCheckpointGolden(t *testing.T) {
	l, s, v, vkey := goldenLog(t)
	c, signed, err := l.Checkpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checkpoint.vkey", []byte(vkey+"\n"))
	msg := golden(t, "checkpoint.golden", signed)

	// The format, spelled out: origin, size, base64 root, blank line, one
	// signature line "— <key name> base64(key hash || Ed25519 signature)".
	format := regexp.MustCompile(`^iotsec\.example/registry\n10\n[A-Za-z0-9+/]{43}=\n\n\x{2014} iotsec\.example/registry ([A-Za-z0-9+/]{91}=)\n$`)
	m := format.FindSubmatch(msg)
	if m == nil {
		t.Fatalf("golden checkpoint is not in C2SP form:\n%s", msg)
	}
	sig, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil || len(sig) != 4+64 || binary.BigEndian.Uint32(sig) != v.KeyHash() {
		t.Fatalf("signature line: %d bytes, key hash %x; want 68 bytes starting with %08x", len(sig), sig[:4], v.KeyHash())
	}
	root, _ := l.TreeHash(10)
	if want := "iotsec.example/registry\n10\n" + root.String() + "\n"; string(c.Text()) != want {
		t.Fatalf("Text() = %q, want %q", c.Text(), want)
	}

	got, err := VerifyCheckpoint(msg, v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Fatalf("read back (-want +got):\n%s", diff)
	}
	if !bytes.HasPrefix(msg, got.Text()) {
		t.Fatal("the note's text is not the checkpoint's Text()")
	}

	// A bundle a label would carry: record 3 against this checkpoint.
	b, err := l.Bundle(3, msg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = golden(t, "bundle.golden.json", append(data, '\n'))
	pb, err := ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.Verify(v, record(3)); err != nil {
		t.Fatal(err)
	}
}

// The example of the C2SP specification reads as the spec says, and its
// text round-trips exactly.
func TestC2SPExample(t *testing.T) {
	const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	const signed = text + "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
	c, err := ParseCheckpoint([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 || c.Hash.String() != "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=" {
		t.Fatalf("parsed %+v", c)
	}
	if string(c.Text()) != text {
		t.Fatalf("Text() = %q, want %q", c.Text(), text)
	}
	u, err := readUnverified([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, u); diff != "" {
		t.Fatalf("signed note's checkpoint (-want +got):\n%s", diff)
	}
	// Without its key it is a checkpoint of an unknown key, not a valid one.
	_, v, _, _ := key(t, "example.com/behind-the-sofa", "not the spec's key")
	if _, err := VerifyCheckpoint([]byte(signed), v); kindOf(err) != "ErrUnknownKey" {
		t.Fatalf("spec example with another key: %v", err)
	}
	if strings.Count(signed, "\n\n") != 1 {
		t.Fatal("example is not one text and one signature block")
	}
}
