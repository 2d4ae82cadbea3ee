package version

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// vector is one line of testdata/vectors.txt.
type vector struct {
	a, op, b, note string
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, note, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			t.Fatalf("vectors.txt:%d: want 'a OP b', got %q", n, line)
		}
		vs = append(vs, vector{f[0], f[1], f[2], strings.TrimSpace(note)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestCompareVectors(t *testing.T) {
	vs := readVectors(t)
	if len(vs) < 50 {
		t.Fatalf("only %d vectors read", len(vs))
	}
	want := map[string]int{"<": -1, "=": 0, ">": 1}
	for _, v := range vs {
		t.Run(v.a+v.op+v.b, func(t *testing.T) {
			w, ok := want[v.op]
			if !ok {
				t.Fatalf("bad operator %q", v.op)
			}
			if got := Compare(v.a, v.b); got != w {
				t.Errorf("Compare(%q, %q) = %d, want %d (%s)", v.a, v.b, got, w, v.note)
			}
			if got := Compare(v.b, v.a); got != -w {
				t.Errorf("Compare(%q, %q) = %d, want %d (%s)", v.b, v.a, got, -w, v.note)
			}
		})
	}
}

// TestTransitive checks the order is consistent over every triple of the
// vector strings, which a hand-made rule set easily breaks.
func TestTransitive(t *testing.T) {
	var all []string
	for _, v := range readVectors(t) {
		all = append(all, v.a, v.b)
	}
	for _, a := range all {
		for _, b := range all {
			if Compare(a, b) != -Compare(b, a) {
				t.Fatalf("Compare(%q,%q) not antisymmetric", a, b)
			}
			for _, c := range all {
				if Compare(a, b) <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
					t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
				}
			}
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1.36.1", true},
		{"v2.0", true},
		{"1:2.3", true},
		{"2018.76", true},
		{"custom", false},
		{"", false},
		{"git", false},
		{"-", false},
		{"*", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Parse(tt.in).Valid(); got != tt.want {
				t.Errorf("Parse(%q).Valid() = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLongInputCut(t *testing.T) {
	a := strings.Repeat("1.", 1000)
	b := strings.Repeat("1.", 1000) + "9"
	if got := Compare(a, b); got != 0 {
		t.Errorf("Compare of two long versions equal in the first %d bytes = %d, want 0", MaxLen, got)
	}
}

func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{{"1.1.1k", "1.1.1"}, {"2.90rc1", "2.90"}, {"1:2", "v3"}, {"2.4.7p1", "2018.76"}, {"", "-"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, %q) != 0", a, a)
		}
		if x, y := Compare(a, b), Compare(b, a); x != -y {
			t.Fatalf("Compare(%q,%q) = %d but Compare(%q,%q) = %d", a, b, x, b, a, y)
		}
		// Equal versions must have equal normal forms and vice versa.
		va, vb := Parse(a), Parse(b)
		if (va.Compare(vb) == 0) != (va.String() == vb.String()) {
			t.Fatalf("Compare(%q,%q)=%d but String %q vs %q", a, b, va.Compare(vb), va.String(), vb.String())
		}
	})
}

func TestCompareNoAlloc(t *testing.T) {
	v := Parse("1.1.1k")
	if n := testing.AllocsPerRun(100, func() { v.CompareString("1.1.1w") }); n != 0 {
		t.Errorf("CompareString allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { Compare("2.90rc1", "2.90") }); n != 0 {
		t.Errorf("Compare allocates %v times", n)
	}
	long := strings.Repeat("1.", 100)
	if got := Compare(long, long+"1"); got != -1 {
		t.Errorf("Compare of versions past the stack buffer = %d, want -1", got)
	}
}
