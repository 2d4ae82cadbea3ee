package xzdec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/therootcompany/xz"
)

const testDict = 64 << 20

// xzCLI compresses data with the xz command and its flags.
func xzCLI(t testing.TB, data []byte, flags ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz command not installed")
	}
	cmd := exec.Command("xz", append([]string{"-c", "-T1"}, flags...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("xz %v: %v\n%s", flags, err, stderr.String())
	}
	return out.Bytes()
}

// reference decodes the first stream of src with therootcompany/xz.
func reference(src []byte, limit int, dict uint32) ([]byte, error) {
	r, err := xz.NewReader(bytes.NewReader(src), dict)
	if err != nil {
		return nil, err
	}
	r.Multistream(false)
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err == nil && len(out) > limit {
		return out[:limit], ErrTooBig
	}
	return out, err
}

// corpus returns test inputs: empty, small, incompressible, repetitive,
// text-like and binary-like data of several sizes.
func corpus() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	words := []string{"firmware ", "root:", "/bin/sh ", "password=", "\n", "0x7f454c46 ", "libc.so.6 ", "GLIBC_2.34 ", "\t", "admin "}
	text := func(n int) []byte {
		var b bytes.Buffer
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(7) == 0 {
				fmt.Fprintf(&b, "%d", rng.IntN(100000))
			}
		}
		return b.Bytes()[:n]
	}
	// binaryish mixes runs, copies at many distances and noise, like
	// machine code and its tables.
	binaryish := func(n int) []byte {
		b := make([]byte, 0, n)
		for len(b) < n {
			switch k := rng.IntN(10); {
			case k < 3 || len(b) < 16:
				b = append(b, random(1+rng.IntN(12))...)
			case k < 4:
				b = append(b, bytes.Repeat([]byte{byte(rng.IntN(3))}, 1+rng.IntN(300))...)
			default:
				d := 1 + rng.IntN(min(len(b), 1<<(1+rng.IntN(20))))
				l := 2 + rng.IntN(40)
				for range l {
					b = append(b, b[len(b)-d])
				}
			}
		}
		return b[:n]
	}
	return map[string][]byte{
		"empty":        {},
		"one":          {'x'},
		"zeros-1M":     make([]byte, 1<<20),
		"random-300K":  random(300 << 10),
		"text-1M":      text(1 << 20),
		"binary-128K":  binaryish(128 << 10),
		"binary-3M":    binaryish(3 << 20),
		"period3-200K": bytes.Repeat([]byte("abc"), 200<<10/3),
	}
}

func TestDecodeMatchesReference(t *testing.T) {
	inputs := corpus()
	type opts struct {
		name  string
		flags []string
		only  []string // inputs, all when empty
	}
	var cases []opts
	// The slow presets (big dictionaries, extreme) take a few inputs:
	// the xz command takes seconds on each.
	few := []string{"binary-128K", "text-1M", "period3-200K", "empty"}
	for lvl := range 10 {
		o := opts{name: fmt.Sprintf("-%d", lvl), flags: []string{fmt.Sprintf("-%d", lvl)}}
		if lvl >= 7 {
			o.only = few
		}
		cases = append(cases, o)
	}
	cases = append(cases,
		opts{name: "-0e", flags: []string{"-0e"}, only: few},
		opts{name: "-6e", flags: []string{"-6e"}, only: few},
		opts{name: "-9e", flags: []string{"-9e"}, only: []string{"binary-3M"}},
		opts{name: "crc32", flags: []string{"-C", "crc32"}},
		opts{name: "crc64", flags: []string{"-C", "crc64"}},
		opts{name: "sha256", flags: []string{"-C", "sha256"}},
		opts{name: "none", flags: []string{"-C", "none"}},
		opts{name: "lc0-lp0-pb0", flags: []string{"--lzma2=preset=6,lc=0,lp=0,pb=0"}},
		opts{name: "lc4-lp0-pb4", flags: []string{"--lzma2=preset=6,lc=4,lp=0,pb=4"}},
		opts{name: "lc0-lp4-pb2", flags: []string{"--lzma2=preset=6,lc=0,lp=4,pb=2"}},
		opts{name: "lc1-lp3-pb1", flags: []string{"--lzma2=preset=1,lc=1,lp=3,pb=1"}},
		opts{name: "lc2-lp2-pb3-dict4K", flags: []string{"--lzma2=preset=6,lc=2,lp=2,pb=3,dict=4KiB"}},
		opts{name: "fast-nice8", flags: []string{"--lzma2=preset=0,mf=hc3,nice=8"}},
		opts{name: "blocks-64K", flags: []string{"--block-size=65536"}},
		opts{name: "blocks-list", flags: []string{"--block-list=1000,70000,300000"}},
	)
	for _, c := range cases {
		for name, data := range inputs {
			if len(c.only) > 0 && !contains(c.only, name) {
				continue
			}
			t.Run(c.name+"/"+name, func(t *testing.T) {
				src := xzCLI(t, data, c.flags...)
				got, n, err := Decode(nil, src, len(data)+1, testDict)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if n != len(src) {
					t.Errorf("consumed %d of %d bytes", n, len(src))
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("output differs from the input (%d bytes, want %d)", len(got), len(data))
				}
				ref, err := reference(src, len(data)+1, testDict)
				if err != nil || !bytes.Equal(ref, got) {
					t.Fatalf("reference decoder: %v, equal %v", err, bytes.Equal(ref, got))
				}
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDecodeIntoBuffer checks that output goes into the caller's buffer
// when it fits and that the limit holds.
func TestDecodeIntoBuffer(t *testing.T) {
	data := corpus()["binary-128K"]
	src := xzCLI(t, data, "-6")
	buf := make([]byte, len(data)+1)
	got, _, err := Decode(buf, src, len(data), testDict)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Decode: %v, equal %v", err, bytes.Equal(got, data))
	}
	if &got[0] != &buf[0] {
		t.Error("output did not use the caller's buffer")
	}
	for _, limit := range []int{0, 1, 1000, len(data) - 1} {
		got, _, err := Decode(buf[:0], src, limit, testDict)
		if !errors.Is(err, ErrTooBig) {
			t.Errorf("limit %d: err %v, want ErrTooBig", limit, err)
		}
		if !bytes.Equal(got, data[:limit]) {
			t.Errorf("limit %d: got %d bytes, not the first %d of the data", limit, len(got), limit)
		}
	}
	// A buffer too small for the output is replaced by a larger one.
	got, _, err = Decode(make([]byte, 10), src, len(data), testDict)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("small buffer: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	data := corpus()["text-1M"][:200000]
	good := xzCLI(t, data, "-6")
	bcj := xzCLI(t, data, "--x86", "--lzma2=preset=6")
	delta := xzCLI(t, data, "--delta=dist=4", "--lzma2=preset=6")
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	tests := []struct {
		name string
		src  []byte
		dict uint32
		want error // nil: any error but these sentinels
	}{
		{"bcj", bcj, testDict, ErrUnsupported},
		{"delta", delta, testDict, ErrUnsupported},
		{"dict over limit", good, 1 << 20, ErrDictTooBig},
		{"truncated header", good[:8], testDict, nil},
		{"truncated data", good[:len(good)/2], testDict, nil},
		{"truncated footer", good[:len(good)-1], testDict, nil},
		{"bad magic", flip(1), testDict, nil},
		{"data bit flipped", flip(len(good) / 2), testDict, nil},
		{"check flipped", flip(len(good) - 25), testDict, nil},
		{"footer flipped", flip(len(good) - 3), testDict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(nil, tt.src, 1<<30, tt.dict)
			if err == nil {
				t.Fatal("no error")
			}
			var xe *Error
			if !errors.As(err, &xe) {
				t.Errorf("error %v is not an *Error with an offset", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if tt.want == nil && (errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooBig)) {
				t.Errorf("error %v is a sentinel", err)
			}
			t.Log(err)
			if _, rerr := reference(tt.src, 1<<30, testDict); rerr == nil && tt.want != ErrDictTooBig && tt.want != ErrUnsupported {
				t.Errorf("reference decoder accepts what this one rejects")
			}
		})
	}
}
